//! Active learning end to end on the real `sift` binary and the real ONNX Runtime: a digits
//! classifier (scikit-learn, converted with skl2onnx) scores a project whose manifest carries
//! each digit's 64 pixels, and the queue it builds is what the annotator is served.
//!
//! `sift score` finds ONNX Runtime as a person's `sift` does (`ORT_DYLIB_PATH`, beside the
//! binary, `~/.cache/sift/venv` from `make setup`); when it cannot, these tests fail with its
//! message rather than being skipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::{Value, json};
use sift_tests::*;

fn onnx_fixture(name: &str) -> PathBuf {
    repo_root().join("crates/sift-onnx/tests/fixtures").join(name)
}

const DIGITS_CONFIG: &str = r#"name = "digits"
[input]
adapter = "features"
field = "features"
[output]
name = "probabilities"
kind = "probabilities"
"#;

/// A project with one item per held-out digit (plus one whose features are the wrong length),
/// an annotator `ann`, and the digits model registered.
fn digits_project(dir: &Path) -> PathBuf {
    let proj = init_project(dir, "qa.toml");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(onnx_fixture("digits_reference.json")).unwrap())
            .unwrap();
    let mut lines = String::new();
    for (i, features) in reference["features"].as_array().unwrap().iter().enumerate() {
        lines.push_str(&json!({"source": format!("Digit image {i}."), "features": features}).to_string());
        lines.push('\n');
    }
    lines.push_str(&json!({"source": "A damaged row.", "features": [1, 2, 3]}).to_string());
    lines.push('\n');
    let manifest = dir.join("digits.jsonl");
    std::fs::write(&manifest, lines).unwrap();
    import_manifest(&proj, &manifest);
    add_annotator(&proj, "ann");
    let config = dir.join("digits.toml");
    std::fs::write(&config, DIGITS_CONFIG).unwrap();
    model_add(&proj, onnx_fixture("digits.onnx"), &config)
        .success()
        .stdout(predicate::str::contains("Added digits@1 (features adapter"));
    proj
}

fn score_json(proj: &Path, extra: &[&str]) -> Value {
    json_of(
        sift()
            .args(["score", "--json", "--device", "cpu", "-p"])
            .arg(proj)
            .args(extra),
    )
}

#[test]
fn score_resume_queue_and_the_annotator_is_served_in_score_order() {
    let dir = tempfile::tempdir().unwrap();
    let proj = digits_project(dir.path());

    // Interrupted after 50 items (as a cancel would leave it), then resumed.
    let first = score_json(&proj, &["--limit", "50", "--batch-size", "16"]);
    assert_eq!(first["items_scored"], 50);
    assert_eq!(first["device"], "cpu");
    assert!(
        first["runtime_version"]
            .as_str()
            .unwrap()
            .starts_with("onnxruntime 1.31")
    );
    let second = score_json(&proj, &[]);
    assert_eq!(second["already_scored"], 50);
    assert_eq!(second["items_scored"], 70);
    assert_eq!(second["items_failed"], 1);
    assert_eq!(
        second["failures"][0]["reason"],
        "field `features` has 3 numbers; model input `float_input` takes 64"
    );
    // Nothing left: a third run scores nothing (the broken item is retried and fails again).
    let third = score_json(&proj, &[]);
    assert_eq!(third["items_scored"], 0);
    assert_eq!(third["already_scored"], 120);
    assert_eq!(count_rows(&proj, "scoring_runs"), 3);
    assert_eq!(count_rows(&proj, "item_scores"), 121 * 4);

    let queue = json_of(
        sift()
            .args([
                "queue",
                "--json",
                "--size",
                "20",
                "--strategy",
                "margin",
                "--assign",
                "ann",
                "-p",
            ])
            .arg(&proj),
    );
    assert_eq!(queue["batch"], "digits-v1-margin-1");
    assert_eq!(queue["candidates"], 120);
    let batch: Vec<(i64, f64)> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["item_id"].as_i64().unwrap(), e["score"].as_f64().unwrap()))
        .collect();
    assert_eq!(batch.len(), 20);

    // The batch is the 20 highest margin scores in the project file, highest first.
    let conn = open_read_only(&proj);
    let mut stmt = conn
        .prepare(
            "SELECT item_id, score FROM item_scores WHERE strategy = 'margin' AND score IS NOT NULL
             ORDER BY score DESC, item_id LIMIT 20",
        )
        .unwrap();
    let top: Vec<(i64, f64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        batch.iter().map(|b| b.0).collect::<Vec<_>>(),
        top.iter().map(|t| t.0).collect::<Vec<_>>()
    );
    assert!(batch.windows(2).all(|w| w[0].1 >= w[1].1));

    // What the labeling UI asks for: the annotator's queue, in score order, with score and strategy.
    let project = sift_api::Project::open(&proj).unwrap();
    let served = project.queue("ann", 25).unwrap();
    let assigned: Vec<_> = served
        .iter()
        .filter(|e| e.reason == sift_api::QueueReason::Assigned)
        .collect();
    assert_eq!(assigned.len(), 20);
    for (entry, (item, score)) in assigned.iter().zip(&batch) {
        assert_eq!(entry.item_id, *item);
        assert!((entry.score.unwrap() - score).abs() < 1e-12);
        assert_eq!(entry.strategy.as_deref(), Some("margin"));
    }
    // After the batch come unassigned items, without scores.
    assert!(
        served[20..]
            .iter()
            .all(|e| e.reason == sift_api::QueueReason::New && e.score.is_none())
    );

    // A second queue takes the next items; a diverse one works from the stored vectors.
    let next = json_of(
        sift()
            .args([
                "queue",
                "--json",
                "--size",
                "10",
                "--strategy",
                "entropy",
                "--diverse",
                "-p",
            ])
            .arg(&proj),
    );
    assert_eq!(next["candidates"], 100);
    let next_items: Vec<i64> = next["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item_id"].as_i64().unwrap())
        .collect();
    assert_eq!(next_items.len(), 10);
    assert!(next_items.iter().all(|i| !batch.iter().any(|b| b.0 == *i)));
}

#[test]
fn new_model_versions_keep_earlier_runs_and_status_says_who_scored_what() {
    let dir = tempfile::tempdir().unwrap();
    let proj = digits_project(dir.path());
    score_json(&proj, &["--limit", "30"]);

    // The same file with another config is version 2; the identical pair is refused.
    let config = dir.path().join("digits.toml");
    model_add(&proj, onnx_fixture("digits.onnx"), &config)
        .code(1)
        .stderr(predicate::str::contains("already registered as digits@1"));
    std::fs::write(&config, format!("batch_size = 8\n{DIGITS_CONFIG}")).unwrap();
    model_add(&proj, onnx_fixture("digits.onnx"), &config)
        .success()
        .stdout(predicate::str::contains("Added digits@2"));

    let v2 = score_json(&proj, &["--model", "digits@2"]);
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["items_scored"], 120);
    assert_eq!(v2["already_scored"], 0);

    let status = json_of(sift().args(["status", "--json", "-p"]).arg(&proj));
    let models = status["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(
        (models[0]["name"].as_str(), models[0]["version"].as_i64()),
        (Some("digits"), Some(1))
    );
    assert_eq!(models[0]["items_scored"], 30);
    assert_eq!(models[1]["items_scored"], 120);
    assert_eq!(models[1]["items_failed"], 1);
    assert_eq!(models[1]["last_device"], "cpu");
    sift()
        .args(["status", "-p"])
        .arg(&proj)
        .assert()
        .success()
        .stdout(predicate::str::contains("digits@1").and(predicate::str::contains("digits@2")));
    sift()
        .args(["model", "list", "-p"])
        .arg(&proj)
        .assert()
        .success()
        .stdout(predicate::str::contains("digits@2"));
    // The queue uses the newest version with scores unless told otherwise.
    let queue = json_of(sift().args(["queue", "--json", "--size", "5", "-p"]).arg(&proj));
    assert_eq!(queue["version"], 2);
    let queue = json_of(
        sift()
            .args(["queue", "--json", "--size", "5", "--model", "digits@1", "-p"])
            .arg(&proj),
    );
    assert_eq!(queue["version"], 1);
}

#[test]
fn without_onnx_runtime_scoring_says_how_to_fix_it_and_the_rest_works() {
    let dir = tempfile::tempdir().unwrap();
    let proj = digits_project(dir.path());
    let missing = dir.path().join("no-such-libonnxruntime.so");
    for args in [vec!["score"], vec!["model", "add"]] {
        let mut cmd = sift();
        cmd.args(&args)
            .arg("-p")
            .arg(&proj)
            .env("ORT_DYLIB_PATH", &missing);
        if args[0] == "model" {
            cmd.arg(onnx_fixture("digits.onnx"))
                .arg("--config")
                .arg(dir.path().join("digits.toml"));
        }
        cmd.assert().code(1).stderr(
            predicate::str::contains("ONNX Runtime not found")
                .and(predicate::str::contains("make setup"))
                .and(predicate::str::contains(
                    "Labeling, import, export and sync do not need it",
                )),
        );
    }
    let err = json_of_failure(
        sift()
            .args(["score", "--json", "-p"])
            .arg(&proj)
            .env("ORT_DYLIB_PATH", &missing),
    );
    assert_eq!(err["error"]["code"], "unavailable");
    // Labeling, import, export keep working on the same project.
    let payload = json!({"pairs": [{"question": "Which digit is it?", "answer": "Digit", "question_type": "factual",
        "spans": [{"start": 0, "end": 5}], "entire_passage": false}]});
    sift()
        .args(["annotate", "1", "--as", "ann", "--payload"])
        .arg(payload.to_string())
        .arg("-p")
        .arg(&proj)
        .env("ORT_DYLIB_PATH", &missing)
        .assert()
        .success();
    let out = dir.path().join("labels.jsonl");
    sift()
        .args(["export", "-o"])
        .arg(&out)
        .arg("-p")
        .arg(&proj)
        .env("ORT_DYLIB_PATH", &missing)
        .assert()
        .success();
    assert!(out.is_file());
    let status = json_of(
        sift()
            .args(["status", "--json", "-p"])
            .arg(&proj)
            .env("ORT_DYLIB_PATH", &missing),
    );
    assert_eq!(status["annotations"]["draft"], 1);
    let more = dir.path().join("more.jsonl");
    std::fs::write(&more, "{\"source\": \"One more digit.\", \"features\": []}\n").unwrap();
    sift()
        .arg("import")
        .arg(&more)
        .arg("-p")
        .arg(&proj)
        .env("ORT_DYLIB_PATH", &missing)
        .assert()
        .success();
    // A device that does not exist is refused before anything runs.
    sift()
        .args(["score", "--device", "tpu", "-p"])
        .arg(&proj)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown device \"tpu\""));
}

fn json_of_failure(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn scoring_commands_have_help_with_examples() {
    for args in [
        vec!["model", "add", "--help"],
        vec!["model", "list", "--help"],
        vec!["score", "--help"],
        vec!["queue", "--help"],
    ] {
        sift()
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}
