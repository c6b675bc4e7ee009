//! A worker's run over its shard: [`score_shard`] and [`embed_shard`] read `pool/index.json`
//! and the pool's segments (each checked against the SHA-256 its key names), keep the items
//! of their shard, run the model over them in batches and write the results as segments
//! `<kind>/<name>@<version>/<I>-of-<N>/<seq>.jsonl`, each ending with a trailer (line count and
//! SHA-256 of the lines). A rerun lists what the shard already wrote, keeps the items of every
//! complete segment and skips them, and writes its segments under new sequence numbers: a
//! worker killed at any moment leaves whole segments or nothing, and nothing is written twice.
//! When every item of the shard has a line, `done.json` records it with the pool's hash.

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sift_al::Strategy;

use super::Shard;
use super::fetch::fetch_media;
use super::wire::{
    MAX_INDEX_BYTES, MAX_SEGMENT_BYTES, PoolIndex, ResultLine, ResultTrailer, ResultTrailerBody,
    SHARDS_VERSION, ScoreLine, ShardDone, VectorLine, check_index, for_each_pool_line, item_hash, json_line,
    parse_doc, parse_result_segment,
};
use crate::scoring::{BatchModel, ScoreInput, Scorer, records_for};
use crate::sync::layout::{POOL_INDEX_KEY, parse_shard_key, shard_dir, shard_done_key};
use crate::sync::{ObjectStore, PutMode, PutOutcome, RemoteError, RemoteErrorKind, sha256_hex};
use crate::{Encoder, Error, Progress, Result};

/// The id of the copy that keeps a lone item out of a batch of one (real ids start at 1).
const PADDING: i64 = 0;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// This worker's shard.
    pub shard: Shard,
    /// Items per model batch.
    pub batch_size: usize,
    /// Result lines per segment written (a segment also closes at 64 MiB).
    pub segment_items: usize,
    /// Where media named by the pool is downloaded (needed when the pool carries media).
    pub media_dir: Option<PathBuf>,
}

/// What a worker did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorkerReport {
    /// `scores` or `embeddings`.
    pub kind: String,
    /// `<name>@<version>`.
    pub model: String,
    /// `I/N`.
    pub shard: String,
    /// Items in the pool.
    pub pool_items: u64,
    /// Items of this shard in the pool (counted once the whole pool was read).
    pub shard_items: u64,
    /// Items of this shard that earlier runs already wrote (skipped).
    pub already_done: u64,
    /// Items given a result now.
    pub items_done: u64,
    /// Of those, items the model could not handle (a line with the reason).
    pub items_failed: u64,
    /// Segments written now.
    pub segments_written: Vec<String>,
    /// Segments of earlier runs that were incomplete or damaged (their items are redone).
    pub segments_ignored: Vec<String>,
    /// Whether the shard is finished (`done.json` written now or before).
    pub finished: bool,
    /// Whether the run was cancelled before the shard was done (rerun to resume).
    pub cancelled: bool,
    /// Where the model ran and its runtime.
    pub device: String,
    /// The runtime that ran the model.
    pub runtime: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Items done per second.
    pub items_per_second: f64,
}

/// Scores this worker's shard of the pool with `scorer`, writing to `results`.
pub fn score_shard(
    pool: &dyn ObjectStore,
    results: &dyn ObjectStore,
    label: &str,
    scorer: &mut dyn Scorer,
    opts: &WorkerOptions,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<WorkerReport> {
    let strategies: Vec<String> = Strategy::ALL.iter().map(|s| s.name().to_owned()).collect();
    run_shard::<_, ScoreLine>(
        pool,
        results,
        label,
        "scores",
        scorer,
        opts,
        progress,
        cancel,
        |batch, out, hashes| {
            records_for(batch, out, &strategies)
                .into_iter()
                .zip(hashes)
                .map(|(r, h)| ScoreLine {
                    item: sift_core::hex::encode(h),
                    scores: r.scores,
                    error: r.error,
                    embedding: r.embedding,
                })
                .collect()
        },
    )
}

/// Embeds this worker's shard of the pool with `encoder`, writing to `results`.
pub fn embed_shard(
    pool: &dyn ObjectStore,
    results: &dyn ObjectStore,
    label: &str,
    encoder: &mut dyn Encoder,
    opts: &WorkerOptions,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<WorkerReport> {
    let mut dim = None;
    run_shard::<_, VectorLine>(
        pool,
        results,
        label,
        "embeddings",
        encoder,
        opts,
        progress,
        cancel,
        |batch, out, hashes| {
            let mut out = out.into_iter();
            batch
                .iter()
                .zip(hashes)
                .map(|(_, h)| {
                    let v = out
                        .next()
                        .unwrap_or_else(|| Err("the encoder returned no result for this item".to_owned()))
                        .and_then(|v| crate::embed::check_vector(&v, &mut dim).map(|()| v));
                    match v {
                        Ok(v) => VectorLine {
                            item: sift_core::hex::encode(h),
                            vector: Some(v),
                            error: None,
                        },
                        Err(e) => VectorLine {
                            item: sift_core::hex::encode(h),
                            vector: None,
                            error: Some(e),
                        },
                    }
                })
                .collect()
        },
    )
}

/// Whether a result line records a failure.
trait Failed {
    fn failed(&self) -> bool;
}

impl Failed for ScoreLine {
    fn failed(&self) -> bool {
        self.error.is_some()
    }
}

impl Failed for VectorLine {
    fn failed(&self) -> bool {
        self.vector.is_none()
    }
}

/// The run shared by both kinds: resume, read the pool, run, write segments, mark done.
#[allow(clippy::too_many_arguments)]
fn run_shard<M: BatchModel + ?Sized, L: Serialize + DeserializeOwned + ResultLine + Failed>(
    pool: &dyn ObjectStore,
    results: &dyn ObjectStore,
    label: &str,
    kind: &str,
    model: &mut M,
    opts: &WorkerOptions,
    progress: &dyn Progress,
    cancel: &AtomicBool,
    mut lines_of: impl FnMut(&[ScoreInput], Vec<M::Output>, &[[u8; 16]]) -> Vec<L>,
) -> Result<WorkerReport> {
    let started = Instant::now();
    let shard = opts.shard;
    let shard_label = shard.label();
    let dir = shard_dir(kind, label, &shard.key_segment());
    let info = model.describe();
    let mut report = WorkerReport {
        kind: kind.to_owned(),
        model: label.to_owned(),
        shard: shard_label.clone(),
        device: info.device.clone(),
        runtime: info.runtime_version.clone(),
        ..WorkerReport::default()
    };

    // The pool.
    let index_body = pool.get(POOL_INDEX_KEY, MAX_INDEX_BYTES)?.ok_or_else(|| {
        Error::NotFound(format!(
            "{}/{POOL_INDEX_KEY}: no pool (the lead writes it with `sift sync push --pool`)",
            pool.location()
        ))
    })?;
    let pool_sha = sha256_hex(&index_body.body);
    let index: PoolIndex = parse_doc(&index_body.body, POOL_INDEX_KEY)?;
    check_index(&index, POOL_INDEX_KEY)?;
    report.pool_items = index.items;

    // What earlier runs wrote.
    let mut done: HashSet<[u8; 16]> = HashSet::new();
    let mut next_seq = 0_u64;
    let mut segments_before = 0_u64;
    for o in results.list(&dir)? {
        let Some(k) = parse_shard_key(&o.key) else {
            continue;
        };
        let Some(seq) = k.seq else {
            let fetched = results.get(&o.key, MAX_INDEX_BYTES)?;
            let finished = fetched
                .and_then(|f| serde_json::from_slice::<ShardDone>(&f.body).ok())
                .is_some_and(|d| d.pool_sha256 == pool_sha && d.shard == shard_label && d.model == label);
            if finished {
                report.finished = true;
            }
            continue;
        };
        next_seq = next_seq.max(seq + 1);
        let parsed = match results.get(&o.key, MAX_SEGMENT_BYTES) {
            Ok(Some(f)) => parse_result_segment::<L>(&f.body, &o.key, label, &shard_label),
            Ok(None) => continue,
            Err(e) if e.kind == RemoteErrorKind::TooLarge => Err(e.into()),
            Err(e) => return Err(e.into()),
        };
        match parsed {
            Ok((lines, _)) => {
                segments_before += 1;
                for (i, l) in lines.iter().enumerate() {
                    done.insert(item_hash(l.item(), &o.key, i as u64 + 1)?);
                }
            }
            Err(e) => {
                progress.note(&format!("{e}; its items are done again"));
                report.segments_ignored.push(o.key.clone());
            }
        }
    }
    if report.finished {
        report.already_done = done.len() as u64;
        report.shard_items = done.len() as u64;
        return Ok(report);
    }

    let error: RefCell<Option<Error>> = RefCell::new(None);
    let queue: RefCell<VecDeque<[u8; 16]>> = RefCell::new(VecDeque::new());
    let mut buffered: VecDeque<ScoreInput> = VecDeque::new();
    let mut segment_at = 0_usize;
    let mut shard_items = 0_u64;
    let mut already = 0_u64;
    let mut counter = 0_i64;
    let batch_size = opts.batch_size.clamp(1, 1 << 16);
    progress.start(&format!("{kind} shard {shard_label}"), None);

    let mut body: Vec<u8> = Vec::new();
    let mut body_lines = 0_u64;
    let mut written = 0_u64;
    let mut failed = 0_u64;
    let mut segments_written = Vec::new();
    let mut flush = |body: &mut Vec<u8>, body_lines: &mut u64| -> Result<()> {
        if *body_lines == 0 {
            return Ok(());
        }
        let trailer = json_line(&ResultTrailer {
            end: ResultTrailerBody {
                model: label.to_owned(),
                shard: shard_label.clone(),
                lines: *body_lines,
                sha256: sha256_hex(body),
                device: info.device.clone(),
                runtime: info.runtime_version.clone(),
            },
        })?;
        body.extend_from_slice(&trailer);
        let key = format!("{dir}{next_seq:08}.jsonl");
        let sha = sha256_hex(body);
        match results.put(&key, std::mem::take(body), &sha, PutMode::IfAbsent)? {
            PutOutcome::Written { .. } => {}
            PutOutcome::AlreadyExists => {
                return Err(RemoteError::new(
                    RemoteErrorKind::Other,
                    format!("{key} exists: is another worker running shard {shard_label}?"),
                )
                .into());
            }
        }
        segments_written.push(key);
        next_seq += 1;
        *body_lines = 0;
        Ok(())
    };

    let outcome = {
        let mut next = || -> Option<Vec<ScoreInput>> {
            if cancel.load(Ordering::Relaxed) || error.borrow().is_some() {
                return None;
            }
            while buffered.len() < batch_size && segment_at < index.segments.len() {
                let seg = &index.segments[segment_at];
                segment_at += 1;
                let loaded = load_segment(pool, &seg.key, &seg.sha256);
                let mut pending = Vec::new();
                let picked = loaded.and_then(|body| {
                    for_each_pool_line(&body, &seg.key, |hash, parse| {
                        if !shard.owns(&hash) {
                            return Ok(());
                        }
                        shard_items += 1;
                        if done.contains(&hash) {
                            already += 1;
                            return Ok(());
                        }
                        pending.push((hash, parse()?));
                        Ok(())
                    })?;
                    fetch_media(pool, opts.media_dir.as_deref(), &mut pending)
                });
                if let Err(e) = picked {
                    *error.borrow_mut() = Some(e);
                    return None;
                }
                for (hash, line) in pending {
                    queue.borrow_mut().push_back(hash);
                    counter += 1;
                    buffered.push_back(ScoreInput {
                        item_id: counter,
                        content: line.content,
                        media_ref: line.media,
                    });
                }
            }
            let take = buffered.len().min(batch_size);
            let mut batch: Vec<ScoreInput> = buffered.drain(..take).collect();
            // ONNX Runtime's CPU kernels switch to another path for a batch of one row, whose
            // results can differ in the last bits from the same row in a larger batch; a lone
            // item is run beside a copy of itself (id 0, dropped) so that every item gets what
            // a run over the whole pool in one process gives it.
            if batch.len() == 1 && batch_size > 1 {
                let mut pad = batch[0].clone();
                pad.item_id = PADDING;
                batch.push(pad);
            }
            (!batch.is_empty()).then_some(batch)
        };
        let mut sink = |batch: Vec<ScoreInput>, out: Vec<M::Output>| -> bool {
            let (batch, out): (Vec<ScoreInput>, Vec<M::Output>) = batch
                .into_iter()
                .zip(out)
                .filter(|(input, _)| input.item_id != PADDING)
                .unzip();
            let hashes: Vec<[u8; 16]> = {
                let mut q = queue.borrow_mut();
                batch.iter().filter_map(|_| q.pop_front()).collect()
            };
            for line in lines_of(&batch, out, &hashes) {
                if line.failed() {
                    failed += 1;
                }
                match json_line(&line) {
                    Ok(bytes) => body.extend_from_slice(&bytes),
                    Err(e) => {
                        *error.borrow_mut() = Some(e);
                        return false;
                    }
                }
                body_lines += 1;
                written += 1;
            }
            if (body_lines as usize >= opts.segment_items || body.len() as u64 >= MAX_SEGMENT_BYTES / 2)
                && let Err(e) = flush(&mut body, &mut body_lines)
            {
                *error.borrow_mut() = Some(e);
                return false;
            }
            progress.set_position(written);
            !cancel.load(Ordering::Relaxed)
        };
        model.run_stream(&mut next, &mut sink)
    };
    progress.finish();
    // What finished is kept even when the run stops early.
    let flushed = flush(&mut body, &mut body_lines);
    if let Some(e) = error.into_inner() {
        return Err(e);
    }
    flushed?;
    outcome.map_err(|e| Error::BadRequest(format!("{kind} with {label} failed: {e}")))?;
    report.segments_written = segments_written;
    report.items_done = written;
    report.items_failed = failed;
    report.already_done = already;
    // Every item handed out, and every one handed out written (a model that reads ahead may
    // have taken batches it never ran when the run stopped).
    let consumed = segment_at == index.segments.len() && buffered.is_empty() && written == counter as u64;
    report.cancelled = cancel.load(Ordering::Relaxed) && !consumed;
    if consumed {
        report.shard_items = shard_items;
        let doc = ShardDone {
            sift_shard: SHARDS_VERSION,
            model: label.to_owned(),
            shard: shard_label.clone(),
            pool_sha256: pool_sha,
            items: shard_items,
            segments: segments_before + report.segments_written.len() as u64,
        };
        let bytes = serde_json::to_vec(&doc).map_err(|e| Error::Internal(e.to_string()))?;
        let sha = sha256_hex(&bytes);
        results.put(
            &shard_done_key(kind, label, &shard.key_segment()),
            bytes,
            &sha,
            PutMode::Overwrite,
        )?;
        report.finished = true;
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.items_per_second = if report.seconds > 0.0 {
        written as f64 / report.seconds
    } else {
        0.0
    };
    Ok(report)
}

/// A pool segment, read with its size bounded and checked against the SHA-256 its key names.
fn load_segment(pool: &dyn ObjectStore, key: &str, sha: &str) -> Result<Vec<u8>> {
    let fetched = pool.get(key, MAX_SEGMENT_BYTES)?.ok_or_else(|| {
        Error::NotFound(format!(
            "{}/{key}: listed in the pool index but missing",
            pool.location()
        ))
    })?;
    if !sha256_hex(&fetched.body).eq_ignore_ascii_case(sha) {
        return Err(RemoteError::new(
            RemoteErrorKind::Integrity,
            format!(
                "{}/{key}: content does not match the SHA-256 its name says; not read",
                pool.location()
            ),
        )
        .into());
    }
    Ok(fetched.body)
}
