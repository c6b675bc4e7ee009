//! Predictions made outside Sift (issue 16, point 2), on real project files: Label Studio
//! `predictions` (with `model_version` and `score`) and Ground Truth labels marked
//! `"human-annotated": "no"` import as predictions, never as annotations; an imported
//! prediction is the annotator's suggestion where no head has predicted the item, and a save
//! records it; the Label Studio export writes them back as `predictions` (the round trip). Bad
//! predictions (a class the template lacks, a score outside 0..1) are refused with the file,
//! the line and the field, and nothing is imported.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};

mod support;

use support::{digits, repo};

use serde_json::{Value, json};
use sift_api::{Caller, Error, ExportFormat, ExportOptions, ImportReport, NoProgress, Project, Role};

fn project(dir: &Path) -> Project {
    let template = repo().join("labeling-templates/classification.toml");
    let p = sift_api::init_project(&dir.join("proj"), &template, None).unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    p
}

fn ann() -> Caller {
    Caller {
        name: "ann".into(),
        role: Role::Annotator,
    }
}

fn import(p: &mut Project, file: &Path) -> sift_api::Result<ImportReport> {
    p.import(file, &Default::default(), &NoProgress)
}

/// Submitted annotations in the project (people's labels).
fn submitted(p: &Project) -> u64 {
    p.status()
        .unwrap()
        .counts
        .annotations
        .get("submitted")
        .copied()
        .unwrap_or(0)
}

fn choices(classes: &[&str]) -> Value {
    json!([{"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": classes}}])
}

/// A Label Studio export: task 1 annotated by a person and predicted, task 2 predicted only,
/// task 3 neither.
fn label_studio_export() -> Value {
    json!([
        {"id": 11, "data": {"source": "I was charged twice."},
         "annotations": [{"id": 1, "completed_by": {"email": "lee@example.com"}, "result": choices(&["billing"])}],
         "predictions": [{"model_version": "topics-bert-2", "score": 0.91, "result": choices(&["billing"])}]},
        {"id": 12, "data": {"source": "I cannot sign in."},
         "annotations": [],
         "predictions": [{"model_version": "topics-bert-2", "score": 0.62, "result": choices(&["account"])}]},
        {"id": 13, "data": {"source": "Thanks, great app!"}}
    ])
}

/// Writes a task list with one task a line: task i (from 0) starts on line i + 2.
fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let path = dir.join(name);
    let tasks: Vec<String> = v.as_array().unwrap().iter().map(Value::to_string).collect();
    std::fs::write(&path, format!("[\n{}\n]\n", tasks.join(",\n"))).unwrap();
    path
}

fn export(p: &Project, format: ExportFormat) -> (String, sift_api::ExportReport) {
    let mut out = Vec::new();
    let opts = ExportOptions {
        format,
        ..Default::default()
    };
    let report = p.export_to_writer(&mut out, &opts, &NoProgress).unwrap();
    (String::from_utf8(out).unwrap(), report)
}

/// Task data text → (annotations' classes, predictions as (model_version, score, classes)).
type Tasks = Vec<(String, Vec<Value>, Vec<(Value, Value, Value)>)>;

fn tasks_of(ls: &str) -> Tasks {
    let tasks: Vec<Value> = serde_json::from_str(ls).unwrap();
    tasks
        .iter()
        .map(|t| {
            let anns = t["annotations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["result"][0]["value"]["choices"].clone())
                .collect();
            let preds = t["predictions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["model_version"].clone(),
                        p["score"].clone(),
                        p["result"][0]["value"]["choices"].clone(),
                    )
                })
                .collect();
            (t["data"]["source"].as_str().unwrap().to_owned(), anns, preds)
        })
        .collect()
}

#[test]
fn label_studio_predictions_round_trip_and_are_never_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let file = write(dir.path(), "ls.json", &label_studio_export());
    let report = import(&mut p, &file).unwrap();
    assert_eq!(
        (report.added, report.labels_added, report.predictions_added),
        (3, 1, 2)
    );

    // Never a human label: the Ground Truth export (human labels) holds one labeled line, and
    // only one annotation is counted.
    let (gt, gt_report) = export(&p, ExportFormat::Gt);
    assert_eq!(gt_report.annotations, 1);
    let records = serde_json::Deserializer::from_str(&gt)
        .into_iter::<Value>()
        .count();
    assert_eq!(records, 1, "{gt}");
    assert_eq!(submitted(&p), 1);

    let (ls, ls_report) = export(&p, ExportFormat::LabelStudio);
    assert_eq!(ls_report.annotations, 1);
    let want: Tasks = vec![
        (
            "I was charged twice.".into(),
            vec![json!(["billing"])],
            vec![(json!("topics-bert-2"), json!(0.91), json!(["billing"]))],
        ),
        (
            "I cannot sign in.".into(),
            vec![],
            vec![(json!("topics-bert-2"), json!(0.62), json!(["account"]))],
        ),
    ];
    assert_eq!(tasks_of(&ls), want);

    // Sift's export imported into a fresh project gives the same labels and predictions.
    let dir2 = tempfile::tempdir().unwrap();
    let mut q = project(dir2.path());
    let again = dir2.path().join("again.json");
    std::fs::write(&again, &ls).unwrap();
    let report = import(&mut q, &again).unwrap();
    assert_eq!(
        (report.added, report.labels_added, report.predictions_added),
        (2, 1, 2)
    );
    assert_eq!(tasks_of(&export(&q, ExportFormat::LabelStudio).0), want);

    // Importing the same file again adds nothing.
    let report = import(&mut p, &file).unwrap();
    assert_eq!(
        (report.duplicates, report.labels_added, report.predictions_added),
        (3, 0, 0)
    );
}

#[test]
fn an_imported_prediction_is_the_suggestion_and_a_save_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    import(&mut p, &write(dir.path(), "ls.json", &label_studio_export())).unwrap();

    let item = p.call(&ann(), "get_item", json!({"item_id": 2}), None).unwrap();
    assert_eq!(
        item["annotation"],
        Value::Null,
        "a prediction is never an answer already given"
    );
    assert_eq!(
        item["suggestion"],
        json!({"model": "topics-bert-2", "version": 0, "imported": "label-studio",
               "labels": ["account"], "probabilities": {"account": 0.62}})
    );
    let none = p.call(&ann(), "get_item", json!({"item_id": 3}), None).unwrap();
    assert_eq!(none["suggestion"], Value::Null);

    p.call(
        &ann(),
        "submit",
        json!({"item_id": 2, "payload": {"labels": ["account"]}, "time_spent_ms": 900,
               "suggestion_shown": true, "suggestion_accepted": true}),
        None,
    )
    .unwrap();
    let f = p.suggestion_figures().unwrap();
    assert_eq!((f.submitted, f.shown, f.accepted), (2, 1, 1));

    // Turned off for the project: no suggestion (item 2 had one above; item 1 holds another
    // person's imported annotation, which an annotator may not open).
    p.set_learn_setting(sift_api::learn::SETTING_SUGGESTIONS, Some("off"))
        .unwrap();
    let item = p.call(&ann(), "get_item", json!({"item_id": 2}), None).unwrap();
    assert_eq!(item["suggestion"], Value::Null);
}

#[test]
fn ground_truth_machine_labels_import_as_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let meta = |human: &str, class: &str| {
        json!({"class-name": class, "confidence": 0.93, "human-annotated": human,
               "type": "groundtruth/text-classification", "job-name": "labeling-job/topics-auto",
               "creation-date": "2026-01-02T03:04:05"})
    };
    let lines = [
        json!({"source": "Refund please.", "topic": 0, "topic-metadata": meta("yes", "billing")}),
        json!({"source": "App crashes.", "topic": 1, "topic-metadata": meta("no", "technical")}),
    ];
    let file = dir.path().join("gt.jsonl");
    std::fs::write(&file, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let report = import(&mut p, &file).unwrap();
    assert_eq!((report.labels_added, report.predictions_added), (1, 1));
    assert_eq!(submitted(&p), 1);
    let item = p.call(&ann(), "get_item", json!({"item_id": 2}), None).unwrap();
    assert_eq!(
        item["suggestion"],
        json!({"model": "labeling-job/topics-auto", "version": 0, "imported": "ground-truth",
               "labels": ["technical"], "probabilities": {"technical": 0.93}})
    );
    let (ls, _) = export(&p, ExportFormat::LabelStudio);
    let tasks = tasks_of(&ls);
    assert_eq!(
        tasks[1].2,
        vec![(
            json!("labeling-job/topics-auto"),
            json!(0.93),
            json!(["technical"])
        )]
    );
}

fn refused(p: &mut Project, file: &Path) -> (String, u64, String) {
    match import(p, file) {
        Err(Error::Manifest { file, line, reason }) => (file, line, reason),
        other => panic!("expected a manifest error, got {other:?}"),
    }
}

#[test]
fn a_prediction_the_template_rejects_is_refused_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let mut tasks = label_studio_export();
    tasks[1]["predictions"][0]["result"] = choices(&["refunds"]);
    let file = write(dir.path(), "bad-class.json", &tasks);
    let (name, line, reason) = refused(&mut p, &file);
    assert_eq!(name, file.display().to_string());
    assert_eq!(line, 3, "the line task 2 starts on");
    assert!(
        reason.starts_with(
            "predictions[0].result[0].value.choices[0]: `refunds` is not a class of this template"
        ),
        "{reason}"
    );
    assert_eq!(p.status().unwrap().counts.items, 0, "nothing was imported");
}

#[test]
fn a_score_outside_0_to_1_is_refused_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let mut tasks = label_studio_export();
    tasks[0]["predictions"][0]["score"] = json!(91);
    let file = write(dir.path(), "bad-score.json", &tasks);
    let (name, line, reason) = refused(&mut p, &file);
    assert_eq!(name, file.display().to_string());
    assert_eq!(line, 2);
    assert!(
        reason.starts_with("predictions[0].score: 91 is outside 0..1"),
        "{reason}"
    );
    assert_eq!(p.status().unwrap().counts.items, 0);

    // Ground Truth: the metadata's confidence.
    let gt = dir.path().join("gt.jsonl");
    let line = json!({"source": "x", "topic": 0, "topic-metadata":
        {"class-name": "billing", "confidence": -0.5, "human-annotated": "no"}});
    std::fs::write(&gt, format!("{{\"source\": \"ok\"}}\n{line}\n")).unwrap();
    let (name, line, reason) = refused(&mut p, &gt);
    assert_eq!((name, line), (gt.display().to_string(), 2));
    assert!(
        reason.starts_with("field \"topic-metadata\".confidence: -0.5 is outside 0..1"),
        "{reason}"
    );
    assert_eq!(p.status().unwrap().counts.items, 0);
}

#[test]
fn a_heads_prediction_comes_first_and_both_are_exported() {
    let dir = tempfile::tempdir().unwrap();
    let items = digits(120);
    let manifest = dir.path().join("digits.jsonl");
    std::fs::write(
        &manifest,
        items.iter().map(|(v, _)| format!("{v}\n")).collect::<String>(),
    )
    .unwrap();
    let template = repo().join("tests/fixtures/learn/digits.toml");
    let mut p = sift_api::init_project(&dir.path().join("proj"), &template, None).unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    import(&mut p, &manifest).unwrap();
    // An outside model predicted item 100 (a digit it got wrong on purpose: "0" unless it is 0).
    let wrong = if items[99].1 == "0" { "1" } else { "0" };
    let ls = json!([{"data": items[99].0, "predictions": [
        {"model_version": "outside-7", "score": 0.55,
         "result": [{"from_name": "classes", "to_name": "text", "type": "choices", "value": {"choices": [wrong]}}]}
    ]}]);
    let report = import(&mut p, &write(dir.path(), "ls.json", &ls)).unwrap();
    assert_eq!(
        (report.added, report.duplicates, report.predictions_added),
        (0, 1, 1)
    );
    let s = p.call(&ann(), "get_item", json!({"item_id": 100}), None).unwrap()["suggestion"].clone();
    assert_eq!(
        (s["model"].clone(), s["labels"].clone()),
        (json!("outside-7"), json!([wrong]))
    );

    for item in 1..=60_i64 {
        let class = &items[(item - 1) as usize].1;
        p.submit(item, "ann", &json!({"labels": [class]}), 1000).unwrap();
    }
    let report = p.learn(&sift_api::LearnOptions::default(), &NoProgress).unwrap();
    let head = &report.heads[0];
    let s = p.call(&ann(), "get_item", json!({"item_id": 100}), None).unwrap()["suggestion"].clone();
    assert_eq!(
        s["model"],
        json!(head.model),
        "the head's prediction comes first: {s}"
    );
    assert_eq!(s.get("imported"), None);

    // The Label Studio export: item 100 (no annotation) carries both predictions, the head's
    // first, with its probability as the score.
    let (ls, _) = export(&p, ExportFormat::LabelStudio);
    let tasks: Vec<Value> = serde_json::from_str(&ls).unwrap();
    let task = tasks
        .iter()
        .find(|t| t["data"]["source"] == "Digit image 99.")
        .unwrap();
    assert_eq!(task["annotations"], json!([]));
    let preds = task["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 2, "{task}");
    assert_eq!(
        preds[0]["model_version"],
        json!(format!("{}@{}", head.model, head.version))
    );
    assert_eq!(preds[0]["result"][0]["value"]["choices"], s["labels"]);
    let label = s["labels"][0].as_str().unwrap();
    assert!((preds[0]["score"].as_f64().unwrap() - s["probabilities"][label].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(preds[1]["model_version"], json!("outside-7"));
    assert_eq!(preds[1]["score"], json!(0.55));
    // Every item the head predicted is a task, annotated or not; none holds a machine's
    // annotation.
    assert_eq!(tasks.len(), 120);
    let annotated = tasks
        .iter()
        .filter(|t| !t["annotations"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(annotated, 60);
}

#[test]
fn per_region_scores_score_a_prediction_that_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let mut tasks = label_studio_export();
    // Task 2's prediction without a score of its own; its one region says 0.77.
    tasks[1]["predictions"][0]
        .as_object_mut()
        .unwrap()
        .remove("score");
    tasks[1]["predictions"][0]["result"][0]["score"] = json!(0.77);
    import(&mut p, &write(dir.path(), "ls.json", &tasks)).unwrap();
    let item = p.call(&ann(), "get_item", json!({"item_id": 2}), None).unwrap();
    assert_eq!(item["suggestion"]["probabilities"], json!({"account": 0.77}));
    let (ls, _) = export(&p, ExportFormat::LabelStudio);
    assert_eq!(
        tasks_of(&ls)[1].2,
        vec![(json!("topics-bert-2"), json!(0.77), json!(["account"]))]
    );

    // A region's score outside 0..1 is refused with its field, even beside a good score.
    let mut p = sift_api::init_project(
        &dir.path().join("second"),
        &repo().join("labeling-templates/classification.toml"),
        None,
    )
    .unwrap();
    let mut tasks = label_studio_export();
    tasks[0]["predictions"][0]["result"][0]["score"] = json!(1.5);
    let file = write(dir.path(), "bad-region.json", &tasks);
    let (_, line, reason) = refused(&mut p, &file);
    assert_eq!(line, 2);
    assert!(
        reason.starts_with("predictions[0].result[0].score: 1.5 is outside 0..1"),
        "{reason}"
    );
    assert_eq!(p.status().unwrap().counts.items, 0);
}

#[test]
fn an_imported_ranking_prediction_is_a_suggested_order_per_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let template = repo().join("labeling-templates/ranking.toml");
    // Two Label Studio tasks whose data is the item; the first predicted.
    let responses =
        json!([{"id": "r1", "text": "One."}, {"id": "r2", "text": "Two."}, {"id": "r3", "text": "Three."}]);
    let mut tasks = json!([
        {"id": 1, "data": {"source": "p1", "prompt": "Say hi.", "responses": responses}},
        {"id": 2, "data": {"source": "p2", "prompt": "Say bye.", "responses": responses}},
    ]);
    let ranker = |dim: &str, ids: &[&str], score: f64| {
        json!({"from_name": dim, "to_name": "responses", "type": "ranker", "score": score,
               "value": {"ranker": {dim: ids}}})
    };
    tasks[0]["predictions"] = json!([{"model_version": "reward-7", "result": [
        ranker("clarity", &["r2", "r3", "r1"], 0.8),
        ranker("accuracy", &["r1", "r2", "r3"], 0.6),
        // A dimension that misses a response is no starting point: left out.
        ranker("harmlessness", &["r1", "r2"], 0.9),
    ]}]);

    let dir2 = dir.path().join("labeling");
    std::fs::create_dir_all(&dir2).unwrap();
    let mut p = sift_api::init_project(&dir2.join("proj"), &template, None).unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    let report = import(&mut p, &write(dir.path(), "ls.json", &tasks)).unwrap();
    assert_eq!(report.predictions_added, 1);
    let item = p.call(&ann(), "get_item", json!({"item_id": 1}), None).unwrap();
    assert_eq!(item["annotation"], Value::Null);
    assert_eq!(
        item["suggestion"],
        json!({"model": "reward-7", "version": 0, "imported": "label-studio", "rankings": {
            "accuracy": {"order": ["r1", "r2", "r3"], "confidence": [], "score": 0.6},
            "clarity": {"order": ["r2", "r3", "r1"], "confidence": [], "score": 0.6}}})
    );
    let none = p.call(&ann(), "get_item", json!({"item_id": 2}), None).unwrap();
    assert_eq!(none["suggestion"], Value::Null);

    // Written back as a prediction, never as an annotation.
    let (ls, _) = export(&p, ExportFormat::LabelStudio);
    let back: Vec<Value> = serde_json::from_str(&ls).unwrap();
    assert_eq!(back[0]["annotations"], json!([]));
    let pred = &back[0]["predictions"][0];
    assert_eq!(
        (&pred["model_version"], &pred["score"]),
        (&json!("reward-7"), &json!(0.6))
    );
    let clarity = pred["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from_name"] == "clarity")
        .unwrap();
    assert_eq!(clarity["value"]["ranker"]["clarity"], json!(["r2", "r3", "r1"]));
}
