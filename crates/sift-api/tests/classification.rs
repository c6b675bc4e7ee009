//! The classification template through the use cases the CLI and the UI call: create a
//! project, import texts, save and submit labels (with the template's rules enforced), export
//! the Ground Truth manifest in the built-in classification shape, training records and Label
//! Studio tasks, and import Ground Truth and Label Studio files back as annotations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sift_api::{Error, ExportFormat, ExportOptions, NoProgress, Project, Role};
use sift_template::Code;

const MESSAGES: [&str; 3] = [
    "I was charged twice for my subscription this month.",
    "The app crashes every time I open the settings page.",
    "Please add a dark mode to the web version.",
];

fn template_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labeling-templates/classification.toml")
}

/// A project made from `classification.toml` with an annotator `ann` and the items (and
/// labels) of `text` imported from `file` (written in `dir`).
fn project(dir: &Path, name: &str, file: &str, text: &str) -> Project {
    let manifest = dir.join(file);
    std::fs::write(&manifest, text).unwrap();
    let mut p = sift_api::init_project(&dir.join(name), &template_file(), None).unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    p
}

fn export(p: &Project, format: ExportFormat) -> String {
    let mut out = Vec::new();
    let opts = ExportOptions {
        format,
        ..Default::default()
    };
    p.export_to_writer(&mut out, &opts, &NoProgress).unwrap();
    String::from_utf8(out).unwrap()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The stored payload of item `id` by `who`.
fn stored(p: &Project, id: i64, who: &str) -> Value {
    p.item(id, Some(who))
        .unwrap()
        .annotation
        .expect("annotated")
        .payload
}

#[test]
fn classification_project_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let manifest: String = MESSAGES
        .iter()
        .map(|m| format!("{}\n", json!({"source": m})))
        .collect();
    let mut p = project(dir.path(), "topics", "messages.jsonl", &manifest);
    assert_eq!(p.template().kind(), sift_template::Kind::Classification);

    // Drafts keep incomplete work; submit enforces exactly one known class.
    p.save_draft(1, "ann", &json!({"labels": []}), 500).unwrap();
    match p.submit(1, "ann", &json!({"labels": ["billing", "account"]}), 900) {
        Err(Error::Invalid(v)) => assert_eq!(v[0].code, Code::TooMany, "{v:?}"),
        other => panic!("expected a rule violation, got {other:?}"),
    }
    match p.submit(1, "ann", &json!({"labels": ["refunds"]}), 900) {
        Err(Error::Invalid(v)) => assert_eq!(v[0].code, Code::UnknownClass, "{v:?}"),
        other => panic!("expected a rule violation, got {other:?}"),
    }
    p.submit(1, "ann", &json!({"labels": ["billing"]}), 1200).unwrap();
    let unsure = json!({"labels": ["technical"], "unsure": {"reason": "could be an account problem"}});
    p.submit(2, "ann", &unsure, 2500).unwrap();
    p.submit(3, "ann", &json!({"labels": ["feature-request"]}), 800)
        .unwrap();
    assert_eq!(stored(&p, 2, "ann"), unsure);

    // Ground Truth output manifest in the built-in classification shape.
    let gt_text = export(&p, ExportFormat::Gt);
    let gt = lines(&gt_text);
    assert_eq!(gt.len(), 3);
    assert_eq!(gt[0]["source"], MESSAGES[0]);
    assert_eq!(gt[0]["topic"], 0);
    let meta = &gt[0]["topic-metadata"];
    assert_eq!(meta["class-name"], "billing");
    assert_eq!(meta["confidence"], 1.0);
    assert_eq!(meta["type"], "groundtruth/text-classification");
    assert_eq!(meta["job-name"], "support-topics");
    assert_eq!(meta["human-annotated"], "yes");
    assert_eq!(meta["annotator"], "ann");
    assert!(meta["creation-date"].is_string());
    assert_eq!(gt[1]["topic"], 1);
    assert_eq!(gt[1]["topic-metadata"]["confidence"], 0.5);
    assert_eq!(gt[1]["topic-metadata"]["unsure"], true);
    assert_eq!(
        gt[1]["topic-metadata"]["worker-feedback"],
        json!([{"comment": "could be an account problem"}])
    );
    assert_eq!(gt[2]["topic"], 3);

    // Training records with a `label` column.
    let records = lines(&export(&p, ExportFormat::Classification));
    assert_eq!(
        records,
        [
            json!({"text": MESSAGES[0], "label": "billing", "unsure": false}),
            json!({"text": MESSAGES[1], "label": "technical", "unsure": true}),
            json!({"text": MESSAGES[2], "label": "feature-request", "unsure": false}),
        ]
    );
    let mut out = Vec::new();
    let wrong = ExportOptions {
        format: ExportFormat::Sft,
        ..Default::default()
    };
    let err = p.export_to_writer(&mut out, &wrong, &NoProgress).unwrap_err();
    assert!(
        err.to_string()
            .contains("the sft format is for qa projects; this project is classification"),
        "{err}"
    );

    // The Ground Truth manifest imports back as the same annotations (unsure mark included).
    let again = project(dir.path(), "from-gt", "gt.jsonl", &gt_text);
    for id in 1..=3 {
        assert_eq!(stored(&again, id, "ann"), stored(&p, id, "ann"), "item {id}");
    }

    // Label Studio tasks with `choices` results import back unchanged.
    let ls = export(&p, ExportFormat::LabelStudio);
    let tasks: Value = serde_json::from_str(&ls).unwrap();
    assert_eq!(
        tasks[0]["annotations"][0]["result"][0],
        json!({"id": "classes", "from_name": "classes", "to_name": "text", "type": "choices", "value": {"choices": ["billing"]}})
    );
    let back = project(dir.path(), "from-ls", "tasks.json", &ls);
    for id in 1..=3 {
        assert_eq!(stored(&back, id, "imported"), stored(&p, id, "ann"), "item {id}");
    }
}

/// A task array as Label Studio exports a text classification project of its own: the
/// `choices` control has its own name, and the class names must match the template's.
#[test]
fn label_studio_choices_import_as_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = json!([
        {"id": 1, "data": {"source": MESSAGES[0]}, "annotations": [
            {"id": 11, "completed_by": {"id": 3, "email": "kim@example.com"}, "was_cancelled": false,
             "created_at": "2024-05-02T10:00:00.000000Z",
             "result": [{"id": "Xk2", "from_name": "topic", "to_name": "text", "type": "choices",
                         "origin": "manual", "value": {"choices": ["account"]}}]}]},
        {"id": 2, "data": {"source": MESSAGES[1]}, "annotations": []}
    ]);
    let p = project(dir.path(), "ls", "project.json", &tasks.to_string());
    assert_eq!(stored(&p, 1, "kim@example.com"), json!({"labels": ["account"]}));
    assert_eq!(
        p.item(2, Some("ann")).unwrap().annotation.map(|a| a.payload),
        None
    );

    let bad = json!([{"id": 1, "data": {"source": MESSAGES[0]}, "annotations": [
        {"id": 11, "result": [{"id": "Xk2", "from_name": "topic", "to_name": "text", "type": "choices",
                               "value": {"choices": ["Account"]}}]}]}]);
    let manifest = dir.path().join("bad.json");
    std::fs::write(&manifest, bad.to_string()).unwrap();
    let mut q = sift_api::init_project(&dir.path().join("bad"), &template_file(), None).unwrap();
    let err = q.import(&manifest, &Default::default(), &NoProgress).unwrap_err();
    assert!(
        err.to_string()
            .contains("`Account` is not a class of this template"),
        "{err}"
    );
}
