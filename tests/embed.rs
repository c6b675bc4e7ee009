//! Encoders end to end on the real `sift` binary and the real ONNX Runtime: the
//! all-MiniLM-L6-v2 encoder that `make setup` builds (scripts/make-minilm-onnx.py, checked there
//! against sentence-transformers) is registered with `sift model add`, `sift embed` stores every
//! demo text's vector, and the stored vectors equal what Python onnxruntime computes with the
//! same model for the same texts (scripts/minilm/encode.py). Resuming after a cancel adds
//! nothing twice; configs that are not encoders, and a missing runtime, are refused clearly.
//!
//! The encoder is looked for in `$SIFT_ENCODER_DIR`, else `~/.cache/sift/models/all-minilm-l6-v2`;
//! Python in `$SIFT_PYTHON`, else the venv of `make setup`. Without them these tests FAIL with
//! the command that makes them; they are never skipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::Value;
use sift_tests::learning::{encoder_dir, python};
use sift_tests::*;

fn demo_texts() -> PathBuf {
    repo_root().join("demo/classification.jsonl")
}

/// The first `n` demo texts as a manifest in `dir`.
fn manifest(dir: &Path, n: usize) -> PathBuf {
    let text = std::fs::read_to_string(demo_texts()).unwrap();
    let lines: Vec<&str> = text.lines().take(n).collect();
    assert_eq!(
        lines.len(),
        n,
        "demo/classification.jsonl has fewer than {n} texts"
    );
    let path = dir.join("texts.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// A project with the first `n` demo texts and the encoder registered.
fn project_with_encoder(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let proj = init_project(dir, "qa.toml");
    let texts = manifest(dir, n);
    import_manifest(&proj, &texts);
    let enc = encoder_dir();
    model_add(&proj, enc.join("model.onnx"), enc.join("model.toml"))
        .success()
        .stdout(
            predicate::str::contains(
                "Added all-minilm-l6-v2@1 (text adapter, encoder: `embedding` float32 [?, 384]",
            )
            .and(predicate::str::contains(
                "Next: sift embed -p PROJECT --model all-minilm-l6-v2@1",
            )),
        );
    (proj, texts)
}

fn embed_json(proj: &Path, extra: &[&str]) -> Value {
    json_of(
        sift()
            .args(["embed", "--json", "--device", "cpu", "-p"])
            .arg(proj)
            .args(extra),
    )
}

/// Every stored vector of model version 1, by the item's manifest line: `(line, dim, vector)`.
fn stored_vectors(proj: &Path) -> Vec<(i64, i64, Vec<f32>)> {
    let conn = open_read_only(proj);
    let mut stmt = conn
        .prepare(
            "SELECT i.source_line, e.dim, e.vector FROM item_embeddings e JOIN items i ON i.id = e.item_id
             WHERE e.model_version_id = 1 ORDER BY i.source_line",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let blob: Vec<u8> = r.get(2)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            blob.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// What Python onnxruntime computes for the manifest's texts, in manifest order.
fn python_vectors(manifest: &Path, dir: &Path) -> Vec<Vec<f32>> {
    let out = dir.join("python-vectors.json");
    let status = std::process::Command::new(python())
        .arg(repo_root().join("scripts/minilm/encode.py"))
        .arg(encoder_dir())
        .arg(manifest)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "scripts/minilm/encode.py failed: {status}");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    value["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        })
        .collect()
}

#[test]
fn sift_embed_stores_what_python_onnxruntime_computes_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let n = 48;
    let (proj, texts) = project_with_encoder(dir.path(), n);

    // A first run stopped after 10 items (as --limit leaves it), then the rest.
    let first = embed_json(&proj, &["--limit", "10", "--batch-size", "4"]);
    assert_eq!(first["items_embedded"], 10);
    assert_eq!(first["already_embedded"], 0);
    assert_eq!(first["dim"], 384);
    assert_eq!(first["device"], "cpu");
    assert!(
        first["runtime_version"]
            .as_str()
            .unwrap()
            .starts_with("onnxruntime 1.31")
    );
    let before = stored_vectors(&proj);
    assert_eq!(before.len(), 10);
    let second = embed_json(&proj, &[]);
    assert_eq!(second["already_embedded"], 10);
    assert_eq!(second["items_embedded"], n - 10);
    assert_eq!(second["items_failed"], 0);
    let third = embed_json(&proj, &[]);
    assert_eq!(third["items_embedded"], 0);
    assert_eq!(third["already_embedded"], n);

    let stored = stored_vectors(&proj);
    assert_eq!(stored.len(), n);
    // The first run's vectors are kept as they were, not written again.
    assert_eq!(stored[..10], before[..]);
    // One finished run per call, counted in the runs table.
    let runs: Vec<(String, i64)> =
        query_column::<String>(&proj, "SELECT status FROM scoring_runs ORDER BY id")
            .into_iter()
            .zip(query_column::<i64>(
                &proj,
                "SELECT items_scored FROM scoring_runs ORDER BY id",
            ))
            .collect();
    assert_eq!(
        runs,
        vec![
            ("finished".to_owned(), 10),
            ("finished".to_owned(), n as i64 - 10),
            ("finished".to_owned(), 0)
        ]
    );

    let reference = python_vectors(&texts, dir.path());
    assert_eq!(reference.len(), n);
    let mut worst = 0.0_f32;
    for ((line, dim, vector), want) in stored.iter().zip(&reference) {
        assert_eq!(*dim, 384, "line {line}");
        assert_eq!(vector.len(), want.len(), "line {line}");
        for (a, b) in vector.iter().zip(want) {
            worst = worst.max((a - b).abs());
        }
        let norm: f32 = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "line {line}: norm {norm}");
    }
    println!("largest difference from Python onnxruntime: {worst:e}");
    assert!(
        worst <= 1e-5,
        "stored vectors differ from Python onnxruntime by up to {worst}"
    );

    // The vectors mean something: two billing complaints are closer to each other than to a
    // shipping one (lines of demo/classification.jsonl, checked by their truth field).
    let truth: Vec<String> = std::fs::read_to_string(&texts)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["truth"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let (mut same, mut other) = ((0.0, 0), (0.0, 0));
    for i in 0..n {
        for j in (i + 1)..n {
            let s = dot(&stored[i].2, &stored[j].2);
            if truth[i] == truth[j] {
                same = (same.0 + s, same.1 + 1);
            } else {
                other = (other.0 + s, other.1 + 1);
            }
        }
    }
    let (same, other) = (same.0 / same.1 as f32, other.0 / other.1 as f32);
    assert!(same > other + 0.05, "same class {same}, other classes {other}");

    // `sift model list` counts the stored vectors.
    let list = json_of(sift().args(["model", "list", "--json", "-p"]).arg(&proj));
    assert_eq!(list[0]["items_with_vectors"], n);
}

#[test]
fn ctrl_c_keeps_what_was_embedded_and_a_rerun_adds_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let n = 200;
    let (proj, _) = project_with_encoder(dir.path(), n);
    let mut child = std::process::Command::new(sift_bin())
        .args([
            "embed",
            "--device",
            "cpu",
            "--batch-size",
            "2",
            "--threads",
            "1",
            "-p",
        ])
        .arg(&proj)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the first batches are saved, Ctrl-C (SIGINT) as a person would.
    let started = Instant::now();
    loop {
        let saved: i64 = query_one(&proj, "SELECT count(*) FROM item_embeddings");
        if saved >= 4 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "sift embed saved nothing in 2 minutes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "sift embed ended before it was interrupted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    ctrl_c(&child);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Cancelled after embedding"), "{stdout}");
    assert!(stdout.contains("Run `sift embed` again to resume."), "{stdout}");
    let kept = stored_vectors(&proj);
    assert!(!kept.is_empty() && kept.len() < n, "{} of {n} kept", kept.len());
    assert_eq!(
        query_column::<String>(&proj, "SELECT status FROM scoring_runs"),
        vec!["cancelled".to_owned()]
    );

    let rerun = embed_json(&proj, &[]);
    assert_eq!(rerun["already_embedded"], kept.len());
    assert_eq!(rerun["items_embedded"], n - kept.len());
    let all = stored_vectors(&proj);
    assert_eq!(all.len(), n);
    let distinct: i64 = query_one(&proj, "SELECT count(DISTINCT item_id) FROM item_embeddings");
    assert_eq!(distinct, n as i64);
    // What the interrupted run saved is untouched.
    for saved in &kept {
        assert!(all.contains(saved));
    }
}

const WRONG_SHAPE: &str = r#"name = "tokens"
[input]
adapter = "text"
tokenizer = "tokenizer.json"
max_length = 16
[output]
name = "token_logits"
kind = "embedding"
"#;

#[test]
fn models_that_are_not_encoders_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (proj, _) = project_with_encoder(dir.path(), 6);
    let fixtures = repo_root().join("crates/sift-onnx/tests/fixtures");

    // A per-token output [N, T, 3] declared as an encoder.
    let config = dir.path().join("tokens.toml");
    std::fs::write(&config, WRONG_SHAPE).unwrap();
    std::fs::copy(fixtures.join("tokenizer.json"), dir.path().join("tokenizer.json")).unwrap();
    model_add(&proj, fixtures.join("tiny_text.onnx"), &config)
                .code(1)
        .stderr(
            predicate::str::contains("the config does not match the model")
                .and(predicate::str::contains(
                    "model output `token_logits` float32 [?, ?, 3]: an encoder (output.kind = \"embedding\") gives one vector per item, [batch, dimensions] (rank 2)",
                ))
                .and(predicate::str::contains("pool them inside the model")),
        );

    // A classifier registered as such: `sift embed` refuses it by name, and `sift score`
    // refuses the encoder.
    let classifier = dir.path().join("pooled.toml");
    std::fs::write(
        &classifier,
        "name = \"pooled\"\n[input]\nadapter = \"text\"\ntokenizer = \"tokenizer.json\"\nmax_length = 16\n[output]\nname = \"pooled\"\n",
    )
    .unwrap();
    model_add(&proj, fixtures.join("tiny_text.onnx"), &classifier)
        .success()
        .stdout(predicate::str::contains("Next: sift score"));
    sift()
        .args(["embed", "--device", "cpu", "--model", "pooled", "-p"])
        .arg(&proj)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("is not an encoder")
                .and(predicate::str::contains("output.kind = \"embedding\"")),
        );
    sift()
        .args(["score", "--device", "cpu", "--model", "all-minilm-l6-v2", "-p"])
        .arg(&proj)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is an encoder").and(predicate::str::contains("sift embed")));
    // Without --model, `sift embed` finds the encoder even though a classifier was added later.
    let report = embed_json(&proj, &[]);
    assert_eq!(
        (report["model"].as_str(), report["items_embedded"].as_u64()),
        (Some("all-minilm-l6-v2"), Some(6))
    );
    assert_eq!(count_rows(&proj, "item_scores"), 0);
}

#[test]
fn without_onnx_runtime_embed_says_how_to_fix_it() {
    let dir = tempfile::tempdir().unwrap();
    let (proj, _) = project_with_encoder(dir.path(), 3);
    let missing = dir.path().join("no-such-libonnxruntime.so");
    sift()
        .args(["embed", "-p"])
        .arg(&proj)
        .env("ORT_DYLIB_PATH", &missing)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("ONNX Runtime not found")
                .and(predicate::str::contains("make setup"))
                .and(predicate::str::contains(missing.display().to_string())),
        );
    let out = sift()
        .args(["embed", "--json", "-p"])
        .arg(&proj)
        .env("ORT_DYLIB_PATH", &missing)
        .output()
        .unwrap();
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "unavailable");
    assert_eq!(count_rows(&proj, "item_embeddings"), 0);
    // A project without an encoder says how to add one.
    let bare = init_project(&dir.path().join("bare"), "qa.toml");
    sift()
        .args(["embed", "-p"])
        .arg(&bare)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("encoder").and(predicate::str::contains("sift model add")));
}
