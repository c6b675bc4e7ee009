//! The closed loop from the command line, on real data and the real ONNX Runtime: the demo's
//! support tickets embedded by all-MiniLM-L6-v2 (`sift embed`), a few labeled, `sift learn`
//! trains a head on the stored vectors, registers it (its ONNX file loads), rescores the pool
//! and requeues the unlabeled tickets; `sift learn status` shows the learning curve and the
//! stopping rule; `sift export --format predictions` writes every ticket's prediction; `sift
//! learn --every N` retrains in the background while labels come in; `sift learn config`
//! checks the settings it stores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use sift_tests::learning::*;
use sift_tests::*;

const FEATURES: &str = "embeddings:all-minilm-l6-v2@1";

fn learn(proj: &Path, extra: &[&str]) -> Value {
    json_of(
        sift()
            .args(["learn", "--json", "--features", FEATURES, "-p"])
            .arg(proj)
            .args(extra),
    )
}

#[test]
fn learn_trains_on_stored_embeddings_rescores_requeues_and_reports_the_curve() {
    let dir = tempfile::tempdir().unwrap();
    let n = 120;
    let proj = tickets_project(dir.path(), n);
    let items = items_and_truth(&proj, &tickets(n));

    // Nothing to learn from yet: a clear error, nothing registered.
    let e = user_error(sift().args(["learn", "--features", FEATURES, "-p"]).arg(&proj));
    assert!(e.contains("label"), "{e}");

    // Label 24 tickets (6 per class, as they come), then learn.
    let mut labeled = Vec::new();
    for class in ["billing", "shipping", "technical", "account"] {
        for (id, _) in items.iter().filter(|(_, t)| t == class).take(6) {
            submit_label(&proj, *id, class);
            labeled.push(*id);
        }
    }
    let first = learn(&proj, &[]);
    let head = &first["heads"][0];
    assert_eq!(head["model"], "support-tickets-head");
    assert_eq!(head["version"], 1);
    assert_eq!(head["head"], "classifier");
    assert_eq!(head["features"], FEATURES);
    let used = head["labels_used"].as_u64().unwrap();
    let held_out = head["validation_items"].as_u64().unwrap();
    assert_eq!(used + held_out, 24);
    assert!(held_out >= 4, "a stratified validation split: {held_out}");
    let onnx = Path::new(head["onnx"].as_str().unwrap());
    assert!(onnx.is_file(), "{}", onnx.display());
    let rescore = &first["rescore"];
    assert_eq!(rescore["items_predicted"], n);
    assert_eq!(rescore["items_without_vectors"], 0);
    // Every unlabeled ticket is in the new order, none of the labeled ones.
    assert_eq!(rescore["items_queued"], n - 24);
    let next: Vec<i64> = rescore["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item_id"].as_i64().unwrap())
        .collect();
    assert!(!next.is_empty());
    assert!(next.iter().all(|id| !labeled.contains(id)), "{next:?}");
    // Most informative first: margin scores never increase down the order.
    let scores: Vec<f64> = rescore["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // The head is a regular registered model version.
    let models = json_of(sift().args(["model", "list", "--json", "-p"]).arg(&proj));
    assert!(
        models
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["model"] == "support-tickets-head" && m["version"] == 1),
        "{models}"
    );

    // The same labels again: nothing new to learn from.
    let e = user_error(sift().args(["learn", "--features", FEATURES, "-p"]).arg(&proj));
    assert!(e.contains("nothing new to learn from"), "{e}");

    // Predictions: every ticket with its predicted class and probabilities; with 24 labels
    // of real MiniLM vectors the head gets most of the 96 unlabeled tickets right.
    let out = dir.path().join("predictions.jsonl");
    sift()
        .args(["export", "--format", "predictions", "-o"])
        .arg(&out)
        .arg("-p")
        .arg(&proj)
        .assert()
        .success();
    let lines = read_jsonl(&out);
    assert_eq!(lines.len(), n);
    let mut right = 0;
    for (line, (id, truth)) in lines.iter().zip(&items) {
        let p = &line["prediction"];
        assert_eq!(p["model"], "support-tickets-head@1", "{line}");
        let probs = p["probabilities"].as_object().unwrap();
        assert_eq!(probs.len(), 4);
        let total: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
        if !labeled.contains(id) && p["label"].as_str() == Some(truth) {
            right += 1;
        }
        // The item's input fields are kept.
        assert!(line["source"].is_string());
    }
    println!("unlabeled tickets predicted right after 24 labels: {right} of 96");
    assert!(right >= 60, "{right} of 96 unlabeled tickets predicted right");

    // A second round after 16 more labels from the top of the new order.
    let mut more = 0;
    for (id, truth) in &items {
        if more == 16 {
            break;
        }
        if !labeled.contains(id) {
            submit_label(&proj, *id, truth);
            labeled.push(*id);
            more += 1;
        }
    }
    let second = learn(&proj, &[]);
    assert_eq!(second["heads"][0]["version"], 2);
    assert_eq!(second["rescore"]["items_queued"], n - 40);
    let changed = second["rescore"]["changed_share"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&changed));

    // The learning curve: two versions, labels growing, metrics and pool figures recorded.
    let status = json_of(sift().args(["learn", "status", "--json", "-p"]).arg(&proj));
    let head = &status["heads"][0];
    assert_eq!(head["model"], "support-tickets-head");
    let rounds = head["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    assert!(rounds[1]["labels_used"].as_u64() > rounds[0]["labels_used"].as_u64());
    for r in rounds {
        for key in ["accuracy", "macro_f1", "log_loss", "ece", "mean_uncertainty"] {
            assert!(r[key].is_number(), "{key} in {r}");
        }
    }
    assert!(rounds[0]["changed_share"].is_null());
    assert!(rounds[1]["changed_share"].is_number());
    // Two rounds are too few for the stopping rule.
    assert_eq!(head["stop"]["stop"], false);
    let text = sift()
        .args(["learn", "status", "-p"])
        .arg(&proj)
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("support-tickets-head"), "{text}");
    assert!(text.contains("stopping rule: keep labeling"), "{text}");
}

#[test]
fn learn_config_checks_what_it_stores_and_learn_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let proj = digits_project(dir.path(), 60);
    let e = user_error(sift().args(["learn", "config", "--every", "0", "-p"]).arg(&proj));
    assert!(e.contains("learn.every"), "{e}");
    let e = user_error(
        sift()
            .args(["learn", "config", "--strategy", "most-fun", "-p"])
            .arg(&proj),
    );
    assert!(e.contains("learn.strategy"), "{e}");
    let e = user_error(
        sift()
            .args(["learn", "config", "--features", "embeddings:nope@1", "-p"])
            .arg(&proj),
    );
    assert!(e.contains("nope"), "{e}");
    let settings = json_of(
        sift()
            .args([
                "learn",
                "config",
                "--json",
                "--every",
                "7",
                "--strategy",
                "entropy",
                "-p",
            ])
            .arg(&proj),
    );
    assert_eq!(settings["learn.every"], "7");
    assert_eq!(settings["learn.strategy"], "entropy");
    assert!(settings["learn.command"].is_null());
    // An empty value removes a setting.
    let settings = json_of(
        sift()
            .args(["learn", "config", "--json", "--every", "", "-p"])
            .arg(&proj),
    );
    assert!(settings["learn.every"].is_null());
    // `--every` without a number and without the setting says what to do.
    let e = user_error(sift().args(["learn", "--every", "-p"]).arg(&proj));
    assert!(e.contains("learn.every"), "{e}");

    // The digits' own `features` field is the default source; the strategy setting is used.
    let ids: Vec<i64> = query_column(&proj, "SELECT id FROM items ORDER BY source_line");
    for (id, row) in ids.iter().zip(digits(60)).take(40) {
        submit_label(&proj, *id, row["truth"].as_str().unwrap());
    }
    let report = json_of(sift().args(["learn", "--json", "-p"]).arg(&proj));
    assert_eq!(report["heads"][0]["features"], "field:features");
    assert_eq!(report["rescore"]["strategy"], "entropy");
    assert_eq!(report["rescore"]["items_queued"], 20);
}

#[test]
fn learn_every_retrains_in_the_background_while_labels_come_in() {
    let dir = tempfile::tempdir().unwrap();
    let proj = digits_project(dir.path(), 200);
    let (ids, truth): (Vec<i64>, Vec<String>) = items_and_truth(&proj, &digits(200)).into_iter().unzip();
    for (id, t) in ids.iter().zip(&truth).take(40) {
        submit_label(&proj, *id, t);
    }
    let mut child = std::process::Command::new(sift_bin())
        .args(["learn", "--every", "10", "--json", "-p"])
        .arg(&proj)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let next_event = |want: &str| -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no `{want}` event within 2 minutes"));
            if v["event"] == want {
                return v;
            }
            assert_ne!(v["event"], "failed", "{v}");
        }
    };
    let started = next_event("started");
    assert_eq!(started["detail"]["labels"], 40);
    assert_eq!(started["detail"]["every"], 10);
    // It trains at once on the 40 labels no head has seen.
    let first = next_event("trained");
    assert_eq!(first["detail"]["heads"][0]["version"], 1);
    // Labeling goes on: 10 more labels start the next round.
    for (id, t) in ids.iter().zip(&truth).skip(40).take(10) {
        submit_label(&proj, *id, t);
    }
    let second = next_event("trained");
    assert_eq!(second["detail"]["heads"][0]["version"], 2);
    let used = second["detail"]["heads"][0]["labels_used"].as_u64().unwrap()
        + second["detail"]["heads"][0]["validation_items"].as_u64().unwrap();
    assert_eq!(used, 50);
    // Ctrl-C stops it after the round in progress.
    ctrl_c(&child);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let versions: Vec<i64> = query_column(
        &proj,
        "SELECT version FROM model_versions WHERE name = 'digits-head' ORDER BY version",
    );
    assert_eq!(versions, vec![1, 2]);
}
