//! Scoring in shards end to end (issue 19): the real `sift` binary, the real ONNX Runtime
//! (the digits classifier of `tests/scoring.rs`) and a real Garage server.
//!
//! - the lead pushes a pool of `SIFT_SHARDS_ITEMS` items (default 100,000) and the model;
//!   four worker processes, with a key that may read the pool bucket and write only the
//!   results bucket, score a shard each; one is killed with SIGKILL in the middle of its shard
//!   and rerun, and the shard holds every item exactly once; the lead's pull merges the
//!   segments (pulling again adds nothing), and the scores and vectors equal a single-process
//!   `sift score` of the same project bit for bit; `sift status` shows every shard done;
//! - the same worker key writing its results beside the pool is refused by Garage, and the
//!   worker says so;
//! - two `sift embed` workers, their shard from `JOB_COMPLETION_INDEX`, pull the MiniLM encoder
//!   (model and tokenizer) from the bucket; the merged vectors equal a single-process
//!   `sift embed`'s up to rounding (a text encoder pads each batch to its longest text).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sift_api::ObjectStore as _;
use sift_tests::garage::Garage;
use sift_tests::{query_column, query_one, sift_bin, template};

const DIGITS_CONFIG: &str = r#"name = "digits"
[input]
adapter = "features"
field = "features"
[output]
name = "probabilities"
kind = "probabilities"
"#;

const RESULTS_BUCKET: &str = "sift-test-scores";
const SHARDS: u32 = 4;

fn items() -> usize {
    std::env::var("SIFT_SHARDS_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// A `sift` command with `g`'s lead key.
fn sift(g: &Garage) -> Command {
    let mut cmd = Command::new(sift_bin());
    g.configure(&mut cmd);
    cmd.env_remove("SIFT_PROJECT")
        .env_remove("SIFT_BUCKET")
        .env_remove("SIFT_RESULTS_BUCKET")
        .env("NO_COLOR", "1")
        .env("SIFT_S3_MAX_ATTEMPTS", "2");
    cmd
}

#[track_caller]
fn ok(cmd: &mut Command) -> String {
    let out: Output = cmd.output().expect("run sift");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn ok_json(cmd: &mut Command) -> Value {
    let text = ok(cmd.arg("--json"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A project with `n` digit items (every 10,000th with features of the wrong length, which
/// the model cannot score) and the digits model registered as digits@1.
fn lead_project(g: &Garage, dir: &Path, n: usize) -> PathBuf {
    let proj = dir.join("lead");
    ok(sift(g)
        .args(["init"])
        .arg(&proj)
        .arg("--template")
        .arg(template("qa.toml")));
    let fixtures = sift_tests::repo_root().join("crates/sift-onnx/tests/fixtures");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("digits_reference.json")).unwrap())
            .unwrap();
    let features = reference["features"].as_array().unwrap();
    let mut lines = String::with_capacity(n * 300);
    for i in 0..n {
        let f: Vec<f64> = if i % 10_000 == 7 {
            vec![1.0, 2.0, 3.0]
        } else {
            let base = features[i % features.len()].as_array().unwrap();
            let shift = ((i / features.len()) % 9) as f64 * 0.25;
            base.iter().map(|v| v.as_f64().unwrap() + shift).collect()
        };
        lines.push_str(&json!({"source": format!("Digit image {i}."), "features": f}).to_string());
        lines.push('\n');
    }
    let manifest = dir.join("digits.jsonl");
    std::fs::write(&manifest, lines).unwrap();
    ok(sift(g).arg("import").arg(&manifest).arg("-p").arg(&proj));
    let config = dir.join("digits.toml");
    std::fs::write(&config, DIGITS_CONFIG).unwrap();
    ok(sift(g)
        .args(["model", "add"])
        .arg(fixtures.join("digits.onnx"))
        .arg("--config")
        .arg(&config)
        .arg("-p")
        .arg(&proj));
    ok(sift(g).args(["sync", "config", "-p"]).arg(&proj).args([
        "--bucket",
        g.bucket(),
        "--endpoint",
        &g.endpoint(),
        "--region",
        g.region(),
        "--path-style",
    ]));
    proj
}

/// The workers' key, from the shipped set-up script.
fn worker_key(g: &Garage) -> (String, String) {
    let script = sift_tests::repo_root().join("docs/sync-policies/garage-workers.sh");
    let out = g.run_script(&script, &[g.bucket(), RESULTS_BUCKET, g.access_key()]);
    let line = out
        .lines()
        .find(|l| l.starts_with("workers key "))
        .unwrap_or_else(|| panic!("{out}"));
    let w: Vec<&str> = line.split_whitespace().collect();
    (w[2].to_owned(), w[4].to_owned())
}

/// A worker process for shard `i` of [`SHARDS`], with only bucket settings and its own key.
fn worker(g: &Garage, key: &(String, String), i: u32, results: Option<&str>, cache: &Path) -> Command {
    let mut cmd = sift(g);
    cmd.envs(g.env_for(&key.0, &key.1))
        .env("SIFT_BUCKET", g.bucket())
        .env("SIFT_ENDPOINT", g.endpoint())
        .env("SIFT_REGION", g.region())
        .env("SIFT_PATH_STYLE", "true")
        .env("SIFT_MODEL_CACHE", cache)
        .current_dir(cache)
        .args([
            "score",
            "--json",
            "--model",
            "digits@1",
            "--from-bucket",
            "--device",
            "cpu",
            "--threads",
            "1",
        ])
        .args(["--shard", &format!("{i}/{SHARDS}"), "--segment-items", "2000"]);
    if let Some(b) = results {
        cmd.env("SIFT_RESULTS_BUCKET", b);
    }
    cmd
}

/// The results bucket as the lead's key reads it.
fn results_store(g: &Garage) -> sift_s3::S3Store {
    let config = sift_api::SyncConfig {
        region: Some(g.region().into()),
        endpoint: Some(g.endpoint()),
        path_style: true,
        ..sift_api::SyncConfig::new(RESULTS_BUCKET, sift_api::SyncRole::Lead)
    };
    sift_s3::S3Store::connect_with_key(
        &config,
        sift_s3::Tuning::default(),
        g.access_key(),
        g.secret_key(),
    )
    .unwrap()
}

/// Every item hash in shard `i`'s segments, with repeats.
fn shard_items(store: &sift_s3::S3Store, i: u32) -> Vec<String> {
    let mut items = Vec::new();
    for o in store.list(&format!("scores/digits@1/{i}-of-{SHARDS}/")).unwrap() {
        if !o.key.ends_with(".jsonl") {
            continue;
        }
        let body = store.get(&o.key, 1 << 30).unwrap().unwrap().body;
        let text = String::from_utf8(body).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let (trailer, rows) = lines.split_last().unwrap();
        let trailer: Value = serde_json::from_str(trailer).unwrap();
        assert_eq!(trailer["end"]["lines"], rows.len() as u64, "{}", o.key);
        for r in rows {
            let v: Value = serde_json::from_str(r).unwrap();
            items.push(v["item"].as_str().unwrap().to_owned());
        }
    }
    items
}

/// Item scores and vectors of digits@1, in a fixed order, as stored.
fn scores_of(proj: &Path) -> (Vec<String>, Vec<String>) {
    let scores = query_column::<String>(
        proj,
        "SELECT item_id || ' ' || strategy || ' ' || quote(score) || ' ' || coalesce(error, '')
         FROM item_scores WHERE model_version_id = 1 ORDER BY item_id, strategy",
    );
    let vectors = query_column::<String>(
        proj,
        "SELECT item_id || ' ' || hex(vector) FROM item_embeddings WHERE model_version_id = 1 ORDER BY item_id",
    );
    (scores, vectors)
}

#[test]
fn four_workers_score_the_pool_in_shards_and_the_lead_merges_exactly_a_single_run() {
    let g = Garage::start();
    let tmp = tempfile::tempdir().unwrap();
    let n = items();
    let started = Instant::now();
    let lead = lead_project(&g, tmp.path(), n);
    // The baseline: the same project scored by one process.
    let single = tmp.path().join("single");
    std::fs::create_dir_all(&single).unwrap();
    for entry in std::fs::read_dir(&lead).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), single.join(entry.file_name())).unwrap();
        }
    }
    copy_dir(&lead.join("models"), &single.join("models"));
    eprintln!("{n} items imported in {:.1} s", started.elapsed().as_secs_f64());

    let key = worker_key(&g);
    let pushed = ok_json(
        sift(&g)
            .args([
                "sync",
                "push",
                "--pool",
                "--model",
                "digits@1",
                "--workers-bucket",
                RESULTS_BUCKET,
                "-p",
            ])
            .arg(&lead),
    );
    assert_eq!(pushed["items"], n as u64, "{pushed}");
    assert_eq!(pushed["segments"], n.div_ceil(50_000) as u64, "{pushed}");
    // Pushing again writes no segment.
    let again = ok_json(sift(&g).args(["sync", "push", "--pool", "-p"]).arg(&lead));
    assert_eq!(again["segments_written"], 0, "{again}");

    // Least privilege: the workers' key may not write beside the pool.
    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let refused = worker(&g, &key, 1, None, &cache).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "a write to the pool bucket went through: {stderr}"
    );
    assert!(
        stderr.contains("access denied") && stderr.contains(g.bucket()),
        "the refusal is not reported clearly: {stderr}"
    );

    // Four workers at once; worker 0 is killed once it has written a segment, then rerun.
    let t = Instant::now();
    let store = results_store(&g);
    let mut children: Vec<_> = (0..SHARDS)
        .map(|i| {
            worker(&g, &key, i, Some(RESULTS_BUCKET), &cache)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let written = store.list("scores/digits@1/0-of-4/").unwrap();
        if written.iter().any(|o| o.key.ends_with(".jsonl")) {
            break;
        }
        assert!(Instant::now() < deadline, "worker 0 wrote nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    children[0].kill().unwrap(); // SIGKILL
    children[0].wait().unwrap();
    let before = shard_items(&store, 0);
    assert!(
        store.list("scores/digits@1/0-of-4/done.json").unwrap().is_empty(),
        "worker 0 finished before it was killed; nothing was tested"
    );
    for child in children.drain(1..) {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["finished"], true, "{r}");
    }
    let rerun: Value =
        serde_json::from_str(&ok(&mut worker(&g, &key, 0, Some(RESULTS_BUCKET), &cache))).unwrap();
    let shards_seconds = t.elapsed().as_secs_f64();
    assert_eq!(rerun["already_done"], before.len() as u64, "{rerun}");
    assert_eq!(rerun["finished"], true, "{rerun}");
    // A finished shard run again does nothing.
    let third: Value =
        serde_json::from_str(&ok(&mut worker(&g, &key, 0, Some(RESULTS_BUCKET), &cache))).unwrap();
    assert_eq!(third["items_done"], 0, "{third}");
    assert!(third["segments_written"].as_array().unwrap().is_empty());

    // Every item is in exactly one shard, once.
    let mut all = HashSet::new();
    for i in 0..SHARDS {
        let items = shard_items(&store, i);
        let unique: HashSet<_> = items.iter().cloned().collect();
        assert_eq!(unique.len(), items.len(), "shard {i} holds an item twice");
        for item in unique {
            assert!(all.insert(item), "an item is in two shards");
        }
    }
    assert_eq!(all.len(), n);

    // The lead merges; pulling again adds nothing.
    let t = Instant::now();
    let pulled = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    let merge_seconds = t.elapsed().as_secs_f64();
    assert!(pulled["problems"].as_array().unwrap().is_empty(), "{pulled}");
    let segments = pulled["segments"].as_array().unwrap().len();
    assert!(segments >= SHARDS as usize, "{pulled}");
    let counted: i64 = query_one(&lead, "SELECT sum(items_scored + items_failed) FROM scoring_runs");
    assert_eq!(counted, n as i64);
    let again = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    assert!(again["segments"].as_array().unwrap().is_empty(), "{again}");
    assert_eq!(again["segments_unchanged"], segments as u64);
    let counted: i64 = query_one(&lead, "SELECT sum(items_scored + items_failed) FROM scoring_runs");
    assert_eq!(counted, n as i64, "the second pull merged something again");

    let status = ok_json(sift(&g).args(["status", "-p"]).arg(&lead));
    assert_eq!(
        status["shards"],
        json!([{"kind": "scores", "model": "digits@1", "shards": 4, "done": [0, 1, 2, 3], "missing": [],
                "segments_merged": segments}]),
        "{status}"
    );

    // The same scores as one process gives, bit for bit.
    let t = Instant::now();
    ok(sift(&g).args(["score", "--device", "cpu", "-p"]).arg(&single));
    let single_seconds = t.elapsed().as_secs_f64();
    let (merged_scores, merged_vectors) = scores_of(&lead);
    let (single_scores, single_vectors) = scores_of(&single);
    assert_eq!(merged_scores.len(), n * 4);
    // The items the model cannot score came back as failures, with their reason.
    let failed = merged_scores
        .iter()
        .filter(|s| s.contains(" NULL ") && s.len() > 30)
        .count();
    assert_eq!(failed, n.div_ceil(10_000) * 4, "{:?}", &merged_scores[..8]);
    let differ: Vec<_> = merged_scores
        .iter()
        .zip(&single_scores)
        .filter(|(a, b)| a != b)
        .collect();
    if !differ.is_empty() {
        let ids: Vec<&str> = differ.iter().map(|(a, _)| a.split(' ').next().unwrap()).collect();
        panic!(
            "the merged scores differ from a single run's: {} rows, items {:?}",
            differ.len(),
            ids
        );
    }
    assert_eq!(merged_scores.len(), single_scores.len());
    assert!(
        merged_vectors == single_vectors,
        "the merged vectors differ from a single run's"
    );
    eprintln!(
        "{n} items: 4 workers (one killed and rerun) {shards_seconds:.1} s, merge {merge_seconds:.1} s, \
         single process {single_seconds:.1} s"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

#[test]
fn the_aws_worker_policy_writes_results_only_and_reads_the_pool() {
    let policy: Value = serde_json::from_str(
        &std::fs::read_to_string(sift_tests::repo_root().join("docs/sync-policies/aws-worker-policy.json"))
            .unwrap(),
    )
    .unwrap();
    let (mut writes, mut reads) = (Vec::new(), Vec::new());
    for s in policy["Statement"].as_array().unwrap() {
        assert_eq!(s["Effect"], "Allow");
        let actions: Vec<String> = match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            a => a
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect(),
        };
        assert!(actions.iter().all(|a| !a.ends_with('*')), "{actions:?}");
        let resources: Vec<String> = match &s["Resource"] {
            Value::String(r) => vec![r.clone()],
            r => r
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect(),
        };
        if actions.iter().any(|a| a == "s3:PutObject") {
            writes.extend(resources.clone());
        }
        if actions.iter().any(|a| a == "s3:GetObject") {
            reads.extend(resources);
        }
    }
    assert_eq!(
        writes,
        [
            "arn:aws:s3:::BUCKET/PREFIX/scores/*",
            "arn:aws:s3:::BUCKET/PREFIX/embeddings/*"
        ]
    );
    for needed in ["pool/*", "models/*"] {
        assert!(reads.iter().any(|r| r.ends_with(needed)), "{reads:?}");
    }
}

#[test]
fn two_workers_embed_the_pool_with_a_pulled_encoder_and_the_lead_merges_the_vectors() {
    let g = Garage::start();
    let tmp = tempfile::tempdir().unwrap();
    let n = 200;
    let proj = tmp.path().join("lead");
    ok(sift(&g)
        .args(["init"])
        .arg(&proj)
        .arg("--template")
        .arg(template("qa.toml")));
    let text = std::fs::read_to_string(sift_tests::repo_root().join("demo/classification.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().take(n).collect();
    assert_eq!(lines.len(), n);
    let manifest = tmp.path().join("texts.jsonl");
    std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
    ok(sift(&g).arg("import").arg(&manifest).arg("-p").arg(&proj));
    let enc = sift_tests::learning::encoder_dir();
    ok(sift(&g)
        .args(["model", "add"])
        .arg(enc.join("model.onnx"))
        .arg("--config")
        .arg(enc.join("model.toml"))
        .arg("-p")
        .arg(&proj));
    let single = tmp.path().join("single");
    copy_dir(&proj, &single);
    ok(sift(&g)
        .args(["sync", "config", "-p"])
        .arg(&proj)
        .args([
            "--bucket",
            g.bucket(),
            "--prefix",
            "enc",
            "--endpoint",
            &g.endpoint(),
            "--region",
            g.region(),
        ])
        .arg("--path-style"));
    let pushed = ok_json(
        sift(&g)
            .args(["sync", "push", "--pool", "--model", "all-minilm-l6-v2@1", "-p"])
            .arg(&proj),
    );
    assert_eq!(
        pushed["models"],
        json!(["models/all-minilm-l6-v2@1/model.json"]),
        "{pushed}"
    );

    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    for i in 0..2 {
        // The shard from the scheduler's environment, as a Kubernetes Indexed Job sets it.
        let mut cmd = sift(&g);
        cmd.env("JOB_COMPLETION_INDEX", i.to_string())
            .env("SIFT_SHARD_COUNT", "2")
            .args([
                "embed",
                "--json",
                "--from-bucket",
                "--model",
                "all-minilm-l6-v2@1",
                "--device",
                "cpu",
            ])
            .args([
                "--pool-bucket",
                g.bucket(),
                "--pool-prefix",
                "enc",
                "--endpoint",
                &g.endpoint(),
            ])
            .args(["--region", g.region(), "--path-style", "--model-cache"])
            .arg(&cache);
        let r: Value = serde_json::from_str(&ok(&mut cmd)).unwrap();
        assert_eq!(r["kind"], "embeddings", "{r}");
        assert_eq!(r["shard"], format!("{i}/2"), "{r}");
        assert_eq!(r["finished"], true, "{r}");
    }
    let pulled = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&proj));
    assert!(pulled["problems"].as_array().unwrap().is_empty(), "{pulled}");
    let status = ok_json(sift(&g).args(["status", "-p"]).arg(&proj));
    assert_eq!(status["shards"][0]["kind"], "embeddings", "{status}");
    assert_eq!(status["shards"][0]["done"], json!([0, 1]), "{status}");

    ok(sift(&g).args(["embed", "--device", "cpu", "-p"]).arg(&single));
    let vectors = |p: &Path| {
        query_column::<Vec<u8>>(
            p,
            "SELECT vector FROM item_embeddings WHERE model_version_id = 1 ORDER BY item_id",
        )
        .into_iter()
        .map(|b| {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect::<Vec<f32>>()
        })
        .collect::<Vec<_>>()
    };
    let (merged, one) = (vectors(&proj), vectors(&single));
    assert_eq!(merged.len(), n);
    assert_eq!(one.len(), n);
    let worst = merged
        .iter()
        .zip(&one)
        .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
        .fold(0.0_f32, f32::max);
    eprintln!("largest difference between merged and single-process vectors: {worst:e}");
    // A text encoder pads each batch to its longest text, and the shards' batches hold other
    // texts than the single run's: the same vectors up to rounding, not bit for bit.
    assert!(
        worst < 1e-6,
        "the merged vectors differ from a single run's (largest difference {worst:e})"
    );
}
