//! The learning loop through the use cases: `Project::learn` on a real project file (digits
//! with numeric features), its clear errors, the queue it reorders (drafts, returned and
//! assigned work keep their place), the rounds it records, the predictions export, and the
//! background runner retraining while labels come in.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

mod support;

use support::repo;

/// The first `n` digits as manifest lines, with the true digit in a `truth` field too.
fn digits(n: usize) -> Vec<(Value, String)> {
    support::digits(n)
        .into_iter()
        .map(|(mut v, label)| {
            v["truth"] = json!(label);
            (v, label)
        })
        .collect()
}

use serde_json::{Value, json};
use sift_api::learn::{LearnRunner, RunnerEvent, RunnerSettings};
use sift_api::{Error, ExportFormat, ExportOptions, LearnOptions, NoProgress, Project, QueueReason, Role};

/// A digits project with annotator `ann` and the first `n` digits (with their `truth` field);
/// returns it and the truth.
fn project(dir: &Path, n: usize) -> (Project, Vec<String>) {
    support::digits_project(dir, digits(n))
}

fn label(p: &mut Project, item: i64, truth: &[String]) {
    let class = &truth[(item - 1) as usize];
    p.submit(item, "ann", &json!({"labels": [class]}), 1000).unwrap();
}

fn bad_request(e: Error) -> String {
    match e {
        Error::BadRequest(m) | Error::Conflict(m) => m,
        other => panic!("expected a clear user error, got {other:?}"),
    }
}

#[test]
fn too_few_labels_one_class_and_missing_vectors_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, truth) = project(dir.path(), 60);
    let opts = LearnOptions::default();
    let e = bad_request(p.learn(&opts, &NoProgress).unwrap_err());
    assert!(e.contains("too few labels to learn from: 0"), "{e}");
    // Three items of one class.
    let zeros: Vec<i64> = (1..=60)
        .filter(|&i| truth[(i - 1) as usize] == "0")
        .take(3)
        .collect();
    for &i in &zeros {
        label(&mut p, i, &truth);
    }
    let e = bad_request(p.learn(&opts, &NoProgress).unwrap_err());
    assert!(e.contains("every training label is `0`"), "{e}");
    // No such field on any item.
    label(&mut p, 2, &truth);
    let e = bad_request(
        p.learn(
            &LearnOptions {
                features: Some("field:pixels".into()),
                ..LearnOptions::default()
            },
            &NoProgress,
        )
        .unwrap_err(),
    );
    assert!(e.contains("no item has a vector from field `pixels`"), "{e}");
    assert!(e.contains("field `pixels` is missing"), "{e}");
    // Stored embeddings of a model that has none.
    let e = p
        .learn(
            &LearnOptions {
                features: Some("embeddings:minilm@1".into()),
                ..LearnOptions::default()
            },
            &NoProgress,
        )
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    assert!(e.to_string().contains("sift embed"), "{e}");

    // A labeled item without a vector is named, with its line and the reason.
    let dir2 = tempfile::tempdir().unwrap();
    let manifest = dir2.path().join("m.jsonl");
    let mut text = String::new();
    for (i, (v, _)) in digits(20).iter().enumerate() {
        let mut v = v.clone();
        if i == 4 {
            v["features"] = json!([1, 2, 3]);
        }
        text.push_str(&format!("{v}\n"));
    }
    std::fs::write(&manifest, text).unwrap();
    let mut q = sift_api::init_project(
        &dir2.path().join("p"),
        &repo().join("tests/fixtures/learn/digits.toml"),
        None,
    )
    .unwrap();
    q.add_annotator("ann", Role::Annotator).unwrap();
    q.import(&manifest, &Default::default(), &NoProgress).unwrap();
    let truth: Vec<String> = digits(20).into_iter().map(|(_, t)| t).collect();
    for i in 1..=12 {
        label(&mut q, i, &truth);
    }
    let e = bad_request(q.learn(&opts, &NoProgress).unwrap_err());
    assert!(
        e.contains("item 5 (line 5): field `features` has 3 numbers"),
        "{e}"
    );
}

#[test]
fn learn_reorders_new_work_and_keeps_everyone_s_place() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, truth) = project(dir.path(), 400);
    let caller = p.caller_named("ann").unwrap();
    // 40 labels, a draft, and three items already assigned to the annotator.
    for i in 1..=40 {
        label(&mut p, i, &truth);
    }
    p.save_draft(41, "ann", &json!({"labels": []}), 300).unwrap();
    let batch = p
        .create_batch(Some("handed-out"), 3, &["ann".to_owned()])
        .unwrap();
    assert_eq!(batch.items, vec![42, 43, 44]);
    let before = p.queue_view(&caller, 10).unwrap();
    let new_before: Vec<i64> = before
        .entries
        .iter()
        .filter(|e| e.reason == QueueReason::New)
        .map(|e| e.item_id)
        .collect();
    assert_eq!(
        new_before,
        vec![45, 46, 47, 48, 49, 50],
        "import order before learning"
    );

    let report = p.learn(&LearnOptions::default(), &NoProgress).unwrap();
    let head = &report.heads[0];
    assert_eq!((head.model.as_str(), head.version), ("digits-head", 1));
    assert_eq!(head.labels_used + head.validation_items as u64, 40);
    assert_eq!(head.validation, "split");
    let accuracy = head.metrics.accuracy.unwrap();
    assert!((0.5..=1.0).contains(&accuracy), "{accuracy}");
    assert!(head.metrics.log_loss.unwrap() > 0.0 && head.metrics.ece.unwrap() >= 0.0);
    assert!(head.onnx.is_file(), "the head's ONNX file is written beside it");
    assert!(head.onnx.with_file_name("head.json").is_file());
    let r = &report.rescore;
    assert_eq!(r.items_predicted, 400);
    assert_eq!(r.items_scored, 400 - 41, "every unstarted item is scored");
    assert_eq!(
        r.items_queued,
        400 - 41,
        "ranked (assigned ones are skipped when served)"
    );
    assert!(r.changed_share.is_none(), "no previous version to compare with");

    // The draft and the assigned items keep their place; new work follows the scores.
    let after = p.queue_view(&caller, 12).unwrap();
    assert_eq!(after.entries[0].item_id, 41);
    assert_eq!(after.entries[0].reason, QueueReason::Draft);
    let assigned: Vec<i64> = after.entries[1..4].iter().map(|e| e.item_id).collect();
    assert_eq!(assigned, vec![42, 43, 44]);
    let new: Vec<_> = after.entries[4..].iter().collect();
    assert!(
        new.iter()
            .all(|e| e.reason == QueueReason::New && e.strategy.as_deref() == Some("margin"))
    );
    let scores: Vec<f64> = new.iter().map(|e| e.score.unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "most uncertain first: {scores:?}"
    );
    let new_ids: Vec<i64> = new.iter().map(|e| e.item_id).collect();
    assert_ne!(new_ids[..6], new_before[..], "the order changed");
    assert_eq!(new_ids[0], r.first[0].item_id);
    // The next page continues the learned order after the last item held.
    let page = p.queue_after(&caller, *new_ids.last().unwrap(), 5).unwrap();
    let more: Vec<f64> = page.entries.iter().map(|e| e.score.unwrap()).collect();
    assert!(more[0] <= *scores.last().unwrap() && more.windows(2).all(|w| w[0] >= w[1]));
    assert!(page.entries.iter().all(|e| !new_ids.contains(&e.item_id)));

    // Nothing new: a clear refusal, nothing registered.
    let e = bad_request(p.learn(&LearnOptions::default(), &NoProgress).unwrap_err());
    assert!(e.contains("nothing new to learn from: digits-head@1"), "{e}");

    // A second round: more labels, a new version, compared with the first.
    for id in new_ids.iter().take(8) {
        label(&mut p, *id, &truth);
    }
    let second = p.learn(&LearnOptions::default(), &NoProgress).unwrap();
    assert_eq!(second.heads[0].version, 2);
    let changed = second.rescore.changed_share.unwrap();
    assert!((0.0..=1.0).contains(&changed));
    assert!(second.rescore.kappa.is_some());
    let status = p.learn_status(None).unwrap();
    assert_eq!(status.heads.len(), 1);
    let rounds = &status.heads[0].rounds;
    assert_eq!(rounds.len(), 2);
    assert_eq!(rounds[1].labels_used + rounds[1].validation_items as u64, 48);
    assert_eq!(rounds[1].changed_share, Some(changed));
    assert!(
        rounds
            .iter()
            .all(|r| r.mean_uncertainty.is_some() && r.accuracy.is_some())
    );
    let stop = status.heads[0].stop.as_ref().unwrap();
    assert!(!stop.stop, "two rounds cannot show stability: {stop:?}");
    assert_eq!(
        status.queue_order.unwrap().model_version_id,
        Some(p.model(Some("digits-head@2")).unwrap().row.id)
    );

    // The head version is a regular model: listed with its scores.
    let counts = p.model_scores().unwrap();
    let v2 = counts
        .iter()
        .find(|c| c.name == "digits-head" && c.version == 2)
        .unwrap();
    assert_eq!(v2.items_scored, 400 - 49);

    // Predictions: every item, with the current version's label and probabilities.
    let mut out = Vec::new();
    let opts = ExportOptions {
        format: ExportFormat::Predictions,
        ..Default::default()
    };
    let report = p.export_to_writer(&mut out, &opts, &NoProgress).unwrap();
    assert_eq!(report.records, 400);
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["source"], "Digit image 0.");
    assert_eq!(lines[0]["features"].as_array().unwrap().len(), 64);
    let pred = &lines[0]["prediction"];
    assert_eq!(pred["model"], "digits-head@2");
    let probs = pred["probabilities"].as_object().unwrap();
    assert_eq!(probs.len(), 10);
    let sum: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-4);
    let best = probs
        .iter()
        .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
        .unwrap();
    assert_eq!(pred["label"].as_str().unwrap(), best.0);
    assert_eq!(pred["confidence"], best.1.clone());
    let right = lines
        .iter()
        .zip(&truth)
        .filter(|(l, t)| l["prediction"]["label"].as_str() == Some(t.as_str()))
        .count();
    assert!(right > 300, "the head predicts most digits right: {right} of 400");
}

#[test]
fn gold_items_are_the_validation_set_when_named() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.jsonl");
    let items = digits(120);
    let mut text = String::new();
    for (i, (v, t)) in items.iter().enumerate() {
        let mut v = v.clone();
        if i >= 100 {
            v["gold"] = json!(t);
        }
        text.push_str(&format!(
            "{v}
"
        ));
    }
    std::fs::write(&manifest, text).unwrap();
    let mut p = sift_api::init_project(
        &dir.path().join("p"),
        &repo().join("tests/fixtures/learn/digits.toml"),
        None,
    )
    .unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    let truth: Vec<String> = items.into_iter().map(|(_, t)| t).collect();
    // 30 ordinary labels and 5 on gold items (never trained on).
    for i in (1..=30).chain(101..=105) {
        label(&mut p, i, &truth);
    }
    let report = p
        .learn(
            &LearnOptions {
                gold_field: Some("gold".into()),
                ..LearnOptions::default()
            },
            &NoProgress,
        )
        .unwrap();
    let head = &report.heads[0];
    assert_eq!(head.validation, "gold");
    assert_eq!(head.validation_items, 20);
    assert_eq!(head.labels_used, 30);
    // A gold value that is not a class is named.
    let bad = p
        .learn(
            &LearnOptions {
                gold_field: Some("source".into()),
                ..LearnOptions::default()
            },
            &NoProgress,
        )
        .unwrap_err();
    assert!(
        bad.to_string().contains("item 1 (line 1): gold field `source`"),
        "{bad}"
    );
}

#[test]
fn the_runner_retrains_after_every_n_labels_while_labeling_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, truth) = project(dir.path(), 200);
    for i in 1..=20 {
        label(&mut p, i, &truth);
    }
    p.save_draft(21, "ann", &json!({"labels": ["3"]}), 300).unwrap();
    let (tx, rx) = mpsc::channel();
    let runner = LearnRunner::start(
        &dir.path().join("proj"),
        RunnerSettings {
            every: 5,
            poll: Duration::from_millis(20),
            ..RunnerSettings::default()
        },
        None,
        move |e| {
            // The test may have stopped listening once it saw the events it waits for.
            let _ = tx.send(e);
        },
    )
    .unwrap();
    let wait = |what: &str| loop {
        match rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no event: {what}"))
        {
            RunnerEvent::Started { .. } => {}
            RunnerEvent::Trained(r) => return *r,
            other => panic!("{what}: {other:?}"),
        }
    };
    let first = wait("the round at start");
    assert_eq!(first.heads[0].version, 1);
    let caller = p.caller_named("ann").unwrap();
    let queue = p.queue_view(&caller, 3).unwrap();
    assert_eq!(queue.entries[0].item_id, 21, "the draft stays first");
    // Labeling goes on through this connection; the runner retrains after 5 more.
    let next: Vec<i64> = queue.entries[1..].iter().map(|e| e.item_id).collect();
    for id in next.iter().chain(&[100, 101, 102]) {
        label(&mut p, *id, &truth);
    }
    let second = wait("the round after five labels");
    assert_eq!(second.heads[0].version, 2);
    let queue = p.queue_view(&caller, 3).unwrap();
    assert_eq!(queue.entries[0].item_id, 21);
    assert_eq!(
        queue.entries[1].item_id, second.rescore.first[0].item_id,
        "new work follows v2"
    );
    runner.stop();
    assert_eq!(p.learn_status(None).unwrap().heads[0].rounds.len(), 2);
}

#[test]
fn a_cancelled_learning_run_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, truth) = project(dir.path(), 120);
    for i in 1..=40 {
        label(&mut p, i, &truth);
    }
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let err = p
        .learn_until(&LearnOptions::default(), &NoProgress, &cancel)
        .unwrap_err();
    assert_eq!(bad_request(err), sift_api::learn::cancelled().to_string());
    assert!(p.models().unwrap().is_empty(), "no head was registered");
    assert!(
        p.learn_status(None).unwrap().heads.is_empty(),
        "no round was recorded"
    );
    // Not cancelled, the same run trains the first version.
    cancel.store(false, std::sync::atomic::Ordering::Relaxed);
    let report = p
        .learn_until(&LearnOptions::default(), &NoProgress, &cancel)
        .unwrap();
    assert_eq!(report.heads[0].version, 1);
}
