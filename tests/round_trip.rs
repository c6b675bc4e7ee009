//! Import, annotate through the API, review, export: pass-through keys come out byte for
//! byte, and the export imports back into a fresh project with its labels.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Value, json};
use sift_api::{Decision, NoProgress, Project, ReviewInput, Role};
use sift_tests::*;

const PASSAGE_1: &str = "The Millau Viaduct opened in 2004. It crosses the valley of the river Tarn near Millau in southern France, and its tallest mast rises 343 metres.";

fn raw_members(line: &str) -> BTreeMap<String, String> {
    let map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(line).unwrap();
    map.into_iter().map(|(k, v)| (k, v.get().to_owned())).collect()
}

fn valid_qa() -> Value {
    // Spans are character offsets into PASSAGE_1.
    let span = |s: &str| {
        let start = PASSAGE_1.find(s).unwrap();
        json!({"start": PASSAGE_1[..start].chars().count(), "end": PASSAGE_1[..start].chars().count() + s.chars().count()})
    };
    json!({"pairs": [
        {"question": "When did the Millau Viaduct open?", "answer": "In 2004.", "question_type": "factual",
         "spans": [span("opened in 2004")], "entire_passage": false},
        {"question": "Why might engineers have needed such a tall mast?", "answer": "Because the bridge spans a deep river valley.",
         "question_type": "inferential", "spans": [span("crosses the valley of the river Tarn"), span("343 metres")], "entire_passage": false},
        {"question": "What is the passage mainly about?", "answer": "A tall bridge in southern France.",
         "question_type": "whole-passage", "spans": [], "entire_passage": true}
    ]})
}

#[test]
fn pass_through_keys_survive_import_annotate_export() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("in.jsonl");
    let line1 = format!(
        r#"{{"id": 12345678901234567890, "source": {}, "score":1.50,"tags" : ["a", "b" ], "note":"caf\u00e9 \"quoted\" 東京","nested":{{"z":1, "a":{{"deep":[null,true,-0.0e+5]}}}}}}"#,
        serde_json::to_string(PASSAGE_1).unwrap()
    );
    let line2 = r#"{"source":"A second passage that nobody finishes.","id":"two"}"#;
    std::fs::write(&manifest, format!("{line1}\n{line2}\n")).unwrap();

    let proj_dir = dir.path().join("proj");
    let mut project = sift_api::init_project(&proj_dir, &template("qa.toml"), None).unwrap();
    let report = project
        .import(&manifest, &Default::default(), &NoProgress)
        .unwrap();
    assert_eq!(report.added, 2);
    project.add_annotator("ann", Role::Annotator).unwrap();
    project.add_annotator("rev", Role::Reviewer).unwrap();

    // An invalid submission lists every violation and saves nothing.
    let err = project.submit(1, "ann", &json!({"pairs": []}), 1000).unwrap_err();
    assert!(err.to_string().contains("pairs"), "{err}");
    assert_eq!(count_rows(&proj_dir, "annotation_versions"), 0);

    project
        .save_draft(
            1,
            "ann",
            &json!({"pairs": [{"question": "half-written"}]}),
            30_000,
        )
        .unwrap();
    let submitted = project.submit(1, "ann", &valid_qa(), 60_000).unwrap();
    project
        .save_draft(2, "ann", &json!({"pairs": []}), 5_000)
        .unwrap();
    project
        .review(&ReviewInput {
            annotation_id: submitted.id,
            version: submitted.version,
            reviewer: "rev",
            decision: Decision::Approved,
            comment: None,
            anchor: None,
        })
        .unwrap();
    drop(project);

    let out = dir.path().join("out.jsonl");
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj_dir)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "only the submitted item is exported: {text}");

    let input = raw_members(&line1);
    let output = raw_members(lines[0]);
    for (k, v) in &input {
        assert_eq!(output.get(k), Some(v), "pass-through key {k:?} changed");
    }
    let label: Value = serde_json::from_str(&output["qa-pairs"]).unwrap();
    assert_eq!(label, valid_qa());
    let meta: Value = serde_json::from_str(&output["qa-pairs-metadata"]).unwrap();
    assert_eq!(meta["type"], "sift/qa");
    assert_eq!(meta["human-annotated"], "yes");
    assert_eq!(meta["annotator"], "ann");
    assert_eq!(meta["review-state"], "approved");
    assert_eq!(meta["reviewer"], "rev");
    assert_eq!(meta["annotation-version"], 2);
    assert_eq!(meta["time-spent-ms"], 90_000);
    assert_eq!(meta["job-name"], "qa-passages");
    assert!(meta["creation-date"].as_str().unwrap().ends_with('Z'));
    // The whole line is the input line plus the two label columns, in the input's bytes.
    assert!(
        lines[0].starts_with(&line1[..line1.len() - 1]),
        "input bytes not kept as a prefix"
    );

    // Export is deterministic.
    let again = dir.path().join("again.jsonl");
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj_dir)
        .arg("-o")
        .arg(&again)
        .assert()
        .success();
    // Byte-identical on a second run: nothing in an export depends on when it was written.
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);

    // Filters.
    let approved = dir.path().join("approved.jsonl");
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj_dir)
        .arg("-o")
        .arg(&approved)
        .arg("--approved")
        .assert()
        .success();
    assert_eq!(read_jsonl(&approved).len(), 1);
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj_dir)
        .arg("-o")
        .arg(dir.path().join("b.jsonl"))
        .args(["--batch", "nope"])
        .assert()
        .code(1);

    // The output manifest imports back with its label.
    let proj2 = dir.path().join("proj2");
    let mut second = sift_api::init_project(&proj2, &template("qa.toml"), None).unwrap();
    let report = second.import(&out, &Default::default(), &NoProgress).unwrap();
    assert_eq!((report.added, report.labels_added), (1, 1));
    let status = second.status().unwrap();
    assert_eq!(status.counts.annotations["approved"], 1);
    drop(second);
    let out2 = dir.path().join("out2.jsonl");
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj2)
        .arg("-o")
        .arg(&out2)
        .assert()
        .success();
    let back = raw_members(std::fs::read_to_string(&out2).unwrap().trim_end());
    for (k, v) in &input {
        assert_eq!(
            back.get(k),
            Some(v),
            "pass-through key {k:?} changed on the second trip"
        );
    }
    assert_eq!(
        serde_json::from_str::<Value>(&back["qa-pairs"]).unwrap(),
        valid_qa()
    );

    // Re-importing the input into the first project adds nothing.
    let mut first = Project::open(&proj_dir).unwrap();
    let report = first.import(&manifest, &Default::default(), &NoProgress).unwrap();
    assert_eq!((report.added, report.duplicates), (0, 2));
}

#[test]
fn a_failed_export_leaves_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let out = dir.path().join("keep.jsonl");
    std::fs::write(&out, "previous export\n").unwrap();
    // Exporting into a folder that does not exist fails before touching anything.
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj)
        .arg("-o")
        .arg(dir.path().join("no/such/dir/x.jsonl"))
        .assert()
        .code(1);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous export\n");
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".sift-export-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn ground_truth_consolidated_output_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let proj_dir = dir.path().join("p");
    let mut project = sift_api::init_project(&proj_dir, &template("qa.toml"), None).unwrap();
    let content = serde_json::to_string(&valid_qa()).unwrap();
    let line = json!({
        "source": PASSAGE_1,
        "qa-pairs": {"annotationsFromAllWorkers": [
            {"workerId": "private.us-east-1.abc", "annotationData": {"content": content}},
            {"workerId": "private.us-east-1.def", "annotationData": {"content": content}}
        ]},
        "qa-pairs-metadata": {"type": "groundtruth/custom", "job-name": "gt-job", "human-annotated": "yes", "creation-date": "2020-10-18T22:18:13.527256"}
    });
    let manifest = dir.path().join("gt-output.jsonl");
    std::fs::write(&manifest, format!("{line}\n")).unwrap();
    let report = project
        .import(&manifest, &Default::default(), &NoProgress)
        .unwrap();
    assert_eq!((report.added, report.labels_added), (1, 2));
    let status = project.status().unwrap();
    assert_eq!(status.counts.annotations["submitted"], 2);

    // A worker content that is not JSON is a precise line error.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"source\":\"x\",\"qa-pairs\":{\"annotationsFromAllWorkers\":[{\"workerId\":\"w\",\"annotationData\":{\"content\":\"{not json\"}}]}}\n",
    )
    .unwrap();
    let err = project
        .import(&bad, &Default::default(), &NoProgress)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("bad.jsonl:1: field \"qa-pairs\": annotationsFromAllWorkers[0].annotationData.content"),
        "{err}"
    );
}
