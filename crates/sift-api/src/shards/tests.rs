//! Tests of the shard rules without a network or a model runtime: keys, result segments as a
//! reader takes them (incomplete, damaged, another shard's), and a worker run over an
//! in-memory bucket with a deterministic model, killed in the middle and resumed.

use std::sync::atomic::AtomicBool;

use super::wire::*;
use super::*;
use crate::NoProgress;
use crate::scoring::{BatchModel, ItemOutput, ItemResult, ModelOutput, RunInfo, ScoreInput, ScorerError};
use crate::sync::layout::{POOL_INDEX_KEY, parse_shard_key, pool_segment_key};
use crate::sync::memory_store::MemoryStore;
use crate::sync::{ObjectStore, PutMode, sha256_hex};

/// Class probabilities from the item's content length: the same item, the same output.
/// `stop_after` batches, it refuses the next one (a worker that dies).
struct LengthModel {
    stop_after: Option<usize>,
    batches: usize,
}

impl BatchModel for LengthModel {
    type Output = ItemResult;

    fn describe(&self) -> RunInfo {
        RunInfo {
            device: "test".into(),
            runtime_version: "none".into(),
        }
    }

    fn run_batch(&mut self, items: &[ScoreInput]) -> std::result::Result<Vec<ItemResult>, ScorerError> {
        if self.stop_after.is_some_and(|n| self.batches >= n) {
            return Err(ScorerError("stopped".into()));
        }
        self.batches += 1;
        Ok(items
            .iter()
            .map(|i| {
                let p = (i.content.len() % 7) as f32 / 10.0 + 0.1;
                Ok(ItemOutput::new(ModelOutput::Probabilities(vec![p, 1.0 - p])))
            })
            .collect())
    }
}

/// A pool of `n` items in segments of `per` items, written as the lead writes it.
fn pool(store: &MemoryStore, n: usize, per: usize) -> Vec<String> {
    let mut segments = Vec::new();
    let mut hashes = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(per) {
        let mut body = Vec::new();
        for i in chunk {
            let hash = sift_core::hex::encode(&blake3::hash(format!("item {i}").as_bytes()).as_bytes()[..16]);
            hashes.push(hash.clone());
            body.extend(
                json_line(&PoolLine {
                    item: hash,
                    content: format!("{{\"n\":{i}}}"),
                    media: None,
                    media_object: None,
                })
                .unwrap(),
            );
        }
        let sha = sha256_hex(&body);
        let key = pool_segment_key(&sha);
        segments.push(PoolSegmentRef {
            key: key.clone(),
            sha256: sha.clone(),
            size: body.len() as u64,
            items: chunk.len() as u64,
        });
        store.put(&key, body, &sha, PutMode::Overwrite).unwrap();
    }
    let index = PoolIndex {
        sift_pool: SHARDS_VERSION,
        items: n as u64,
        segments,
    };
    let body = serde_json::to_vec(&index).unwrap();
    store
        .put(
            POOL_INDEX_KEY,
            body.clone(),
            &sha256_hex(&body),
            PutMode::Overwrite,
        )
        .unwrap();
    hashes
}

fn opts(index: u32, count: u32) -> WorkerOptions {
    WorkerOptions {
        shard: Shard::new(index, count, "test").unwrap(),
        batch_size: 4,
        segment_items: 8,
        media_dir: None,
    }
}

fn run(store: &MemoryStore, model: &mut LengthModel, o: &WorkerOptions) -> crate::Result<WorkerReport> {
    score_shard(
        store,
        store,
        "m@1",
        model,
        o,
        &NoProgress,
        &AtomicBool::new(false),
    )
}

/// Writes `body` under `key` with its own checksum.
fn put(store: &MemoryStore, key: &str, body: Vec<u8>) {
    let sha = sha256_hex(&body);
    store.put(key, body, &sha, PutMode::Overwrite).unwrap();
}

/// Every item line in a shard's complete segments.
fn lines(store: &MemoryStore, shard: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in store.keys() {
        let Some(k) = parse_shard_key(&key) else { continue };
        if k.seq.is_none() || format!("{}/{}", k.index, k.count) != shard {
            continue;
        }
        let body = store.get(&key, u64::MAX).unwrap().unwrap().body;
        if let Ok((ls, _)) = parse_result_segment::<ScoreLine>(&body, &key, "m@1", shard) {
            out.extend(ls.into_iter().map(|l| l.item));
        }
    }
    out
}

#[test]
fn shard_keys_are_read_back_or_refused() {
    let k = parse_shard_key("scores/digits@2/3-of-8/00000001.jsonl").unwrap();
    assert_eq!(
        (k.kind, k.label, k.index, k.count, k.seq),
        ("scores", "digits@2", 3, 8, Some(1))
    );
    assert_eq!(
        parse_shard_key("embeddings/enc@1/0-of-1/done.json").unwrap().seq,
        None
    );
    for bad in [
        "scores/digits@2/8-of-8/1.jsonl",
        "scores/digits/0-of-8/1.jsonl",
        "scores/../0-of-8/1.jsonl",
        "results/digits@2/0-of-8/1.jsonl",
        "scores/digits@2/0-of-8/x/1.jsonl",
        "scores/digits@2/0-of-8/1.json",
    ] {
        assert!(parse_shard_key(bad).is_none(), "{bad}");
    }
}

#[test]
fn a_worker_killed_midway_resumes_and_writes_every_item_once() {
    let store = MemoryStore::new("mem://pool");
    let hashes = pool(&store, 200, 64);
    let o = opts(1, 3);
    let mine: Vec<&String> = hashes
        .iter()
        .filter(|h| o.shard.owns(&sift_core::hex::decode_array(h).unwrap()))
        .collect();
    // Dies on its sixth batch of 4: what the five before it gave (20 items) is written.
    let died = run(
        &store,
        &mut LengthModel {
            stop_after: Some(5),
            batches: 0,
        },
        &o,
    );
    assert!(died.unwrap_err().to_string().contains("stopped"));
    assert_eq!(
        lines(&store, "1/3").len(),
        20,
        "what finished before the failure is kept"
    );
    // A segment cut short (no trailer), as a store without atomic writes could leave it.
    put(
        &store,
        "scores/m@1/1-of-3/00000099.jsonl",
        b"{\"item\":\"00\"}\n".to_vec(),
    );
    let report = run(
        &store,
        &mut LengthModel {
            stop_after: None,
            batches: 0,
        },
        &o,
    )
    .unwrap();
    assert_eq!(report.already_done, 20);
    assert_eq!(report.items_done as usize, mine.len() - 20);
    assert_eq!(
        report.segments_ignored,
        vec!["scores/m@1/1-of-3/00000099.jsonl".to_owned()]
    );
    assert!(
        report
            .segments_written
            .iter()
            .all(|k| k.as_str() > "scores/m@1/1-of-3/00000099.jsonl")
    );
    assert!(report.finished);
    let mut written = lines(&store, "1/3");
    written.sort();
    let mut expected: Vec<String> = mine.into_iter().cloned().collect();
    expected.sort();
    assert_eq!(written, expected, "every item of the shard once, and no other");
    // Finished: running again writes nothing.
    let again = run(
        &store,
        &mut LengthModel {
            stop_after: None,
            batches: 0,
        },
        &o,
    )
    .unwrap();
    assert!(again.finished && again.items_done == 0 && again.segments_written.is_empty());
}

#[test]
fn a_pool_that_does_not_match_its_hashes_or_counts_is_refused() {
    let store = MemoryStore::new("mem://pool");
    pool(&store, 20, 10);
    let index: PoolIndex =
        serde_json::from_slice(&store.get(POOL_INDEX_KEY, u64::MAX).unwrap().unwrap().body).unwrap();
    // Another body under a segment's name.
    let key = &index.segments[1].key;
    put(&store, key, b"{\"item\":\"00\",\"content\":\"{}\"}\n".to_vec());
    let e = run(
        &store,
        &mut LengthModel {
            stop_after: None,
            batches: 0,
        },
        &opts(0, 1),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains(key.as_str()) && e.contains("SHA-256"), "{e}");
    // An index whose counts do not add up.
    let mut lying = index.clone();
    lying.items += 1;
    put(&store, POOL_INDEX_KEY, serde_json::to_vec(&lying).unwrap());
    let e = run(
        &store,
        &mut LengthModel {
            stop_after: None,
            batches: 0,
        },
        &opts(0, 1),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("pool/index.json") && e.contains("21"), "{e}");
}

#[test]
fn result_segments_count_only_when_whole_and_their_own() {
    let body = |lines: &str, shard: &str, count: u64| {
        let mut b = lines.as_bytes().to_vec();
        let t = ResultTrailer {
            end: ResultTrailerBody {
                model: "m@1".into(),
                shard: shard.into(),
                lines: count,
                sha256: sha256_hex(lines.as_bytes()),
                device: "cpu".into(),
                runtime: "x".into(),
            },
        };
        b.extend(json_line(&t).unwrap());
        b
    };
    let line = "{\"item\":\"000102030405060708090a0b0c0d0e0f\",\"scores\":[]}\n";
    let ok = body(line, "0/2", 1);
    assert!(parse_result_segment::<ScoreLine>(&ok, "k", "m@1", "0/2").is_ok());
    assert!(
        parse_result_segment::<ScoreLine>(&ok, "k", "m@1", "1/2")
            .unwrap_err()
            .to_string()
            .contains("shard")
    );
    assert!(parse_result_segment::<ScoreLine>(&ok[..ok.len() - 5], "k", "m@1", "0/2").is_err());
    assert!(parse_result_segment::<ScoreLine>(line.as_bytes(), "k", "m@1", "0/2").is_err());
    let mut tampered = ok.clone();
    tampered[10] = b'f';
    let e = parse_result_segment::<ScoreLine>(&tampered, "k", "m@1", "0/2")
        .unwrap_err()
        .to_string();
    assert!(e.contains("SHA-256"), "{e}");
    let wrong_count = body(line, "0/2", 2);
    assert!(
        parse_result_segment::<ScoreLine>(&wrong_count, "k", "m@1", "0/2")
            .unwrap_err()
            .to_string()
            .contains("2")
    );
}

/// A lead project with `n` items, a registered model `m@1` and sync set up.
fn lead(dir: &std::path::Path, n: usize) -> crate::Project {
    let manifest = dir.join("items.jsonl");
    let lines: Vec<String> = (0..n)
        .map(|i| serde_json::json!({"source": format!("Passage {i}"), "n": i}).to_string())
        .collect();
    std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labeling-templates/qa.toml");
    let mut lead = crate::init_project(&dir.join("lead"), &template, None).unwrap();
    lead.import(&manifest, &crate::ImportOptions::default(), &NoProgress)
        .unwrap();
    let file = dir.join("m.onnx");
    std::fs::write(&file, b"not run in these tests").unwrap();
    let model = lead
        .add_model(&crate::NewModel {
            name: "m".into(),
            model_file: file,
            config: String::new(),
            assets: Vec::new(),
            signature: None,
        })
        .unwrap();
    assert_eq!(model.label(), "m@1");
    lead.set_sync_config(&crate::SyncConfig::new("team", crate::SyncRole::Lead))
        .unwrap();
    lead
}

#[test]
fn the_lead_merges_each_whole_segment_once_and_refuses_hostile_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new("mem://team");
    let mut lead = lead(dir.path(), 40);
    let pushed = lead.push_pool(&store, false, &NoProgress).unwrap();
    assert_eq!(
        (pushed.items, pushed.segments, pushed.segments_written),
        (40, 1, 1)
    );
    assert_eq!(
        lead.push_pool(&store, false, &NoProgress)
            .unwrap()
            .segments_written,
        0
    );
    for i in 0..2 {
        let r = run(
            &store,
            &mut LengthModel {
                stop_after: None,
                batches: 0,
            },
            &opts(i, 2),
        )
        .unwrap();
        assert!(r.finished);
    }
    // A worker that lies: a whole segment (its trailer checks) with a score Sift does not make.
    let hostile = "{\"item\":\"000102030405060708090a0b0c0d0e0f\",\"scores\":[[\"margin\",0.5],[\"ratio\",0.5],[\"entropy\",0.5],[\"evil\",1.0]]}\n";
    let mut body = hostile.as_bytes().to_vec();
    body.extend(
        json_line(&ResultTrailer {
            end: ResultTrailerBody {
                model: "m@1".into(),
                shard: "1/2".into(),
                lines: 1,
                sha256: sha256_hex(hostile.as_bytes()),
                device: "x".into(),
                runtime: "x".into(),
            },
        })
        .unwrap(),
    );
    put(&store, "scores/m@1/1-of-2/00000077.jsonl", body);
    let opts = crate::SyncOptions::default();
    let pulled = lead.sync_pull(&store, &opts, &NoProgress).unwrap();
    assert_eq!(pulled.problems.len(), 1, "{:?}", pulled.problems);
    assert!(
        pulled.problems[0].contains("00000077.jsonl") && pulled.problems[0].contains("evil"),
        "{:?}",
        pulled.problems
    );
    let merged = pulled.segments.len();
    assert!(merged >= 2, "{:?}", pulled.segments);
    let counts = lead.model_scores().unwrap();
    assert_eq!(counts[0].items_scored, 40);
    // Shard 1 has a segment that could not be merged: not done.
    let progress = lead.shard_progress().unwrap();
    assert_eq!(
        (progress[0].done.clone(), progress[0].missing.clone()),
        (vec![0], vec![1])
    );
    // Pulling again merges nothing again, and reports the refused segment again.
    let again = lead.sync_pull(&store, &opts, &NoProgress).unwrap();
    assert!(again.segments.is_empty());
    assert_eq!(again.segments_unchanged as usize, merged);
    assert_eq!(again.problems.len(), 1);
    let runs: i64 = lead
        .model_scores()
        .unwrap()
        .iter()
        .map(|c| c.items_scored as i64 + c.items_failed as i64)
        .sum();
    assert_eq!(runs, 40);
    // Once the bad segment is gone, the shard counts as done.
    assert!(store.remove("scores/m@1/1-of-2/00000077.jsonl"));
    lead.sync_pull(&store, &opts, &NoProgress).unwrap();
    assert_eq!(lead.shard_progress().unwrap()[0].done, vec![0, 1]);
}

/// Reads each item's media file: fails an item whose copy is missing; the output depends on
/// the bytes.
struct MediaModel;

impl BatchModel for MediaModel {
    type Output = ItemResult;

    fn describe(&self) -> RunInfo {
        RunInfo {
            device: "test".into(),
            runtime_version: "none".into(),
        }
    }

    fn run_batch(&mut self, items: &[ScoreInput]) -> std::result::Result<Vec<ItemResult>, ScorerError> {
        Ok(items
            .iter()
            .map(|i| {
                let path = i.media_ref.as_deref().ok_or("no media")?;
                let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
                let p = (bytes.len() % 7) as f32 / 10.0 + 0.1;
                Ok(ItemOutput::new(ModelOutput::Probabilities(vec![p, 1.0 - p])))
            })
            .collect())
    }
}

#[test]
fn a_pool_pushed_with_media_hands_workers_checked_copies() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("photos");
    std::fs::create_dir_all(&media).unwrap();
    let mut lines = String::new();
    for i in 0..12 {
        std::fs::write(media.join(format!("p{i}.jpg")), vec![b'x'; 100 + i]).unwrap();
        lines.push_str(&format!("{{\"source-ref\": \"photos/p{i}.jpg\"}}\n"));
    }
    // One item names a file outside the project's media folders: never uploaded.
    lines.push_str("{\"source-ref\": \"/etc/hostname\"}\n");
    let manifest = dir.path().join("photos.jsonl");
    std::fs::write(&manifest, lines).unwrap();
    let template =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labeling-templates/image-caption.toml");
    let mut lead = crate::init_project(&dir.path().join("lead"), &template, None).unwrap();
    lead.import(&manifest, &crate::ImportOptions::default(), &NoProgress)
        .unwrap();
    lead.set_sync_config(&crate::SyncConfig::new("team", crate::SyncRole::Lead))
        .unwrap();
    let store = MemoryStore::new("mem://team");
    let pushed = lead.push_pool(&store, true, &NoProgress).unwrap();
    assert_eq!((pushed.items, pushed.media_files), (13, 12), "{pushed:?}");
    assert_eq!(pushed.problems.len(), 1, "{:?}", pushed.problems);
    assert!(pushed.problems[0].contains("outside the project's media folders"));

    let copies = dir.path().join("worker-media");
    let o = WorkerOptions {
        media_dir: Some(copies.clone()),
        ..opts(0, 1)
    };
    let r = score_shard(
        &store,
        &store,
        "m@1",
        &mut MediaModel,
        &o,
        &NoProgress,
        &AtomicBool::new(false),
    )
    .unwrap();
    // The item without a media object keeps the lead's reference (a shared file system).
    assert_eq!((r.items_done, r.items_failed), (13, 0), "{r:?}");
    assert_eq!(std::fs::read_dir(&copies).unwrap().count(), 12);
    // A worker with nowhere to put media refuses, rather than scoring without it.
    let without = WorkerOptions {
        media_dir: None,
        ..opts(0, 2)
    };
    let e = score_shard(
        &store,
        &store,
        "m@1",
        &mut MediaModel,
        &without,
        &NoProgress,
        &AtomicBool::new(false),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("carries media"), "{e}");
}

#[test]
fn a_new_pool_makes_finished_shards_missing_until_their_workers_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new("mem://team");
    let mut lead = lead(dir.path(), 10);
    lead.push_pool(&store, false, &NoProgress).unwrap();
    let mut model = LengthModel {
        stop_after: None,
        batches: 0,
    };
    run(&store, &mut model, &opts(0, 1)).unwrap();
    let opts_sync = crate::SyncOptions::default();
    lead.sync_pull(&store, &opts_sync, &NoProgress).unwrap();
    assert_eq!(lead.shard_progress().unwrap()[0].done, vec![0]);
    // More items, a new pool: the old done.json names the old one.
    let more = dir.path().join("more.jsonl");
    std::fs::write(&more, "{\"source\": \"Passage 99\"}\n").unwrap();
    lead.import(&more, &crate::ImportOptions::default(), &NoProgress)
        .unwrap();
    lead.push_pool(&store, false, &NoProgress).unwrap();
    lead.sync_pull(&store, &opts_sync, &NoProgress).unwrap();
    assert_eq!(lead.shard_progress().unwrap()[0].missing, vec![0]);
    let r = run(&store, &mut model, &opts(0, 1)).unwrap();
    assert_eq!((r.already_done, r.items_done, r.finished), (10, 1, true));
    lead.sync_pull(&store, &opts_sync, &NoProgress).unwrap();
    assert_eq!(lead.shard_progress().unwrap()[0].done, vec![0]);
    assert_eq!(lead.model_scores().unwrap()[0].items_scored, 11);
}

#[test]
fn pool_lines_are_read_by_their_start_and_checked_when_kept() {
    let h = "000102030405060708090a0b0c0d0e0f";
    let other = "ff0102030405060708090a0b0c0d0e0f";
    // As the lead writes it; with the fields in another order (parsed to find the item); and a
    // line whose start names another item than its field (a duplicate key).
    let body = format!(
        "{{\"item\":\"{h}\",\"content\":\"{{}}\"}}\n{{\"content\":\"{{}}\",\"item\":\"{other}\"}}\n{{\"item\":\"{h}\",\"content\":\"{{}}\",\"item\":\"{other}\"}}\n"
    );
    let mut seen = Vec::new();
    let e = for_each_pool_line(body.as_bytes(), "pool/x.jsonl", |hash, parse| {
        seen.push(sift_core::hex::encode(&hash));
        parse().map(|_| ())
    })
    .unwrap_err()
    .to_string();
    assert_eq!(seen, [h, other, h]);
    assert!(
        e.contains("pool/x.jsonl") && e.contains("duplicate field `item`"),
        "{e}"
    );
}
