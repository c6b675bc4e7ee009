//! The lead's side of collecting workers' results: [`Project::merge_shard_results`] (run by
//! the lead's `sift sync pull`) merges every complete score and embedding segment not merged
//! yet, each in one transaction with the record of its key, so pulling twice, or after a
//! crash, adds nothing twice; and records each shard's `done.json` once all its segments are
//! in, for [`Project::shard_progress`].

use std::collections::BTreeMap;

use sift_store::{Direction, ScoreRecord, ShardMerge, ShardRows, SyncObject};

use super::wire::{
    MAX_INDEX_BYTES, MAX_SEGMENT_BYTES, ResultTrailerBody, ScoreLine, ShardDone, VectorLine, item_hash,
    parse_result_segment,
};
use crate::sync::layout::{POOL_INDEX_KEY, RESULT_KINDS, ShardKey, parse_shard_key};
use crate::sync::{Fetched, ObjectStore, RemoteObject, sha256_hex};
use crate::{Error, Progress, Project, Result, Strategy};

/// The longest vector a result line may carry.
const MAX_VECTOR_DIM: usize = 1 << 16;

/// What merging workers' results did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ShardMergeReport {
    /// Segments merged now.
    pub segments: Vec<String>,
    /// Segments merged before (skipped).
    pub segments_unchanged: u64,
    /// Items whose rows were stored.
    pub items: u64,
    /// Lines naming an item this project does not have.
    pub unknown_items: u64,
    /// Shards newly recorded as finished.
    pub shards_finished: u64,
    /// Segments refused (damaged, incomplete, a model not registered here), with why.
    pub problems: Vec<String>,
}

impl Project {
    /// Merges workers' score and embedding segments from `results` (the results bucket, or
    /// the sync bucket). A segment whose model version this project has not registered, or
    /// that is damaged or incomplete, is a problem of this pull and is read again next time.
    pub fn merge_shard_results(
        &mut self,
        results: &dyn ObjectStore,
        progress: &dyn Progress,
    ) -> Result<ShardMergeReport> {
        let mut report = ShardMergeReport::default();
        let mut listed = Vec::new();
        for kind in RESULT_KINDS {
            listed.extend(results.list(&format!("{kind}/"))?);
        }
        if listed.is_empty() {
            return Ok(report);
        }
        let pool_sha = self
            .store
            .sync_object(POOL_INDEX_KEY, Direction::Push)?
            .map(|o| o.sha256);
        progress.start("merging shard results", Some(listed.len() as u64));
        // Per (kind, model, shard): its segments, and its done.json.
        type Shard<'a> = (Vec<(&'a RemoteObject, ShardKey<'a>)>, Option<&'a RemoteObject>);
        let mut shards: BTreeMap<(String, String, u32, u32), Shard<'_>> = BTreeMap::new();
        for o in &listed {
            let Some(k) = parse_shard_key(&o.key) else {
                continue;
            };
            let entry = shards
                .entry((k.kind.to_owned(), k.label.to_owned(), k.index, k.count))
                .or_default();
            if k.seq.is_some() {
                entry.0.push((o, k));
            } else {
                entry.1 = Some(o);
            }
        }
        let mut runs: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        let mut position = 0_u64;
        for ((kind, label, index, count), (segments, done)) in &shards {
            let shard_label = format!("{index}/{count}");
            let mut all_in = true;
            for (o, _) in segments {
                position += 1;
                progress.set_position(position);
                let known = self.store.sync_object(&o.key, Direction::Pull)?;
                if known.is_some_and(|r| r.size == o.size as i64) {
                    report.segments_unchanged += 1;
                    continue;
                }
                let merged = self.merge_one(results, o, kind, label, &shard_label, &mut runs, &mut report);
                match merged {
                    Ok(()) => report.segments.push(o.key.clone()),
                    Err(e @ (Error::ManifestFile { .. } | Error::Manifest { .. } | Error::NotFound(_))) => {
                        all_in = false;
                        report
                            .problems
                            .push(format!("{}/{}: {e}", results.location(), o.key));
                    }
                    Err(e) => return Err(e),
                }
            }
            if let (true, Some(done)) = (all_in, done)
                && self.store.sync_object(&done.key, Direction::Pull)?.is_none()
                && let Some(f) = results.get(&done.key, MAX_INDEX_BYTES)?
                && let Ok(doc) = serde_json::from_slice::<ShardDone>(&f.body)
                && pool_sha.as_deref() == Some(doc.pool_sha256.as_str())
                && doc.shard == shard_label
                && &doc.model == label
            {
                self.store
                    .record_sync_objects(Direction::Pull, &[object_of(&done.key, &f)])?;
                report.shards_finished += 1;
            }
        }
        for (run_id, _) in runs.values() {
            self.store.finish_scoring_run(*run_id, "finished")?;
        }
        progress.finish();
        self.store.append_event(
            None,
            "shards_merged",
            &serde_json::json!({"segments": report.segments.len(), "items": report.items,
                "shards_finished": report.shards_finished}),
        )?;
        Ok(report)
    }

    /// Reads, checks and merges one segment.
    #[allow(clippy::too_many_arguments)]
    fn merge_one(
        &mut self,
        results: &dyn ObjectStore,
        o: &RemoteObject,
        kind: &str,
        label: &str,
        shard_label: &str,
        runs: &mut BTreeMap<(String, String), (i64, i64)>,
        report: &mut ShardMergeReport,
    ) -> Result<()> {
        let fetched = results
            .get(&o.key, MAX_SEGMENT_BYTES)?
            .ok_or_else(|| Error::NotFound("gone since it was listed".into()))?;
        let sha = sha256_hex(&fetched.body);
        if fetched
            .sha256
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case(&sha))
        {
            return Err(Error::ManifestFile {
                file: o.key.clone(),
                reason: "content does not match its recorded SHA-256; not merged".into(),
            });
        }
        let model = self.model(Some(label)).map_err(|_| {
            Error::NotFound(format!(
                "model {label} is not registered in this project; not merged"
            ))
        })?;
        let model_id = model.row.id;
        let run_for =
            |project: &mut Self, runs: &mut BTreeMap<_, _>, end: &ResultTrailerBody| -> Result<i64> {
                let key = (kind.to_owned(), label.to_owned());
                if let Some((run, _)) = runs.get(&key) {
                    return Ok(*run);
                }
                let run = project
                    .store
                    .start_scoring_run(model_id, &end.device, &end.runtime)?;
                runs.insert(key, (run, model_id));
                Ok(run)
            };
        let object = object_of(&o.key, &fetched);
        let stats = if kind == "scores" {
            let (lines, end) = parse_result_segment::<ScoreLine>(&fetched.body, &o.key, label, shard_label)?;
            let mut rows = Vec::with_capacity(lines.len());
            for (i, l) in lines.into_iter().enumerate() {
                rows.push(score_row(l, &o.key, i as u64 + 1)?);
            }
            let run_id = run_for(self, runs, &end)?;
            self.store.merge_shard_segment(&ShardMerge {
                object: &object,
                model_version_id: model_id,
                run_id,
                rows: ShardRows::Scores(&rows),
            })?
        } else {
            let (lines, end) = parse_result_segment::<VectorLine>(&fetched.body, &o.key, label, shard_label)?;
            let mut rows = Vec::with_capacity(lines.len());
            for (i, l) in lines.into_iter().enumerate() {
                let line = i as u64 + 1;
                let hash = item_hash(&l.item, &o.key, line)?;
                if let Some(v) = l.vector {
                    check_vector(&v, &o.key, line)?;
                    rows.push((hash, v));
                }
            }
            let run_id = run_for(self, runs, &end)?;
            self.store.merge_shard_segment(&ShardMerge {
                object: &object,
                model_version_id: model_id,
                run_id,
                rows: ShardRows::Vectors(&rows),
            })?
        };
        report.items += stats.items;
        report.unknown_items += stats.unknown;
        Ok(())
    }
}

/// A score line as a record to store, refusing strategies Sift does not know and values that
/// are not finite.
fn score_row(l: ScoreLine, file: &str, line: u64) -> Result<([u8; 16], ScoreRecord)> {
    let hash = item_hash(&l.item, file, line)?;
    let bad = |reason: String| Error::Manifest {
        file: file.to_owned(),
        line,
        reason,
    };
    if l.scores.len() != Strategy::ALL.len() {
        return Err(bad(format!(
            "{} scores, not {}",
            l.scores.len(),
            Strategy::ALL.len()
        )));
    }
    for (name, value) in &l.scores {
        if !Strategy::ALL.iter().any(|s| s.name() == name) {
            return Err(bad(format!("unknown strategy {name:?}")));
        }
        if value.is_some_and(|v| !v.is_finite()) || (value.is_none() != l.error.is_some()) {
            return Err(bad(format!(
                "score {name}: not a finite number, or a score beside an error"
            )));
        }
    }
    if let Some(v) = &l.embedding {
        check_vector(v, file, line)?;
    }
    Ok((
        hash,
        ScoreRecord {
            item_id: 0,
            scores: l.scores,
            error: l.error,
            embedding: l.embedding,
        },
    ))
}

/// A vector from a worker: not empty, not too long, finite.
fn check_vector(v: &[f32], file: &str, line: u64) -> Result<()> {
    if v.is_empty() || v.len() > MAX_VECTOR_DIM || !v.iter().all(|x| x.is_finite()) {
        return Err(Error::Manifest {
            file: file.to_owned(),
            line,
            reason: format!(
                "a vector of {} values must have 1 to {MAX_VECTOR_DIM} finite ones",
                v.len()
            ),
        });
    }
    Ok(())
}

/// A fetched object as recorded.
fn object_of(key: &str, f: &Fetched) -> SyncObject {
    SyncObject {
        key: key.to_owned(),
        size: f.body.len() as i64,
        sha256: sha256_hex(&f.body),
        etag: f.etag.clone(),
    }
}
