//! Saving work through the API as the UI does: the time each save carries is bounded
//! (issue 13, defect 2), and storage faults (a locked, full or read-only project) come back
//! with their own codes (defect 3).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};

use serde_json::json;
use sift_api::{NoProgress, Project, Role};
use sift_error::{Code, ErrorCode};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/qa-minimal.toml")
}

/// A project in `dir` with `n` passages and the annotator `ann`.
fn project_with_items(dir: &Path, n: usize) -> Project {
    let mut project = sift_api::init_project(dir, &template(), Some("demo")).unwrap();
    let manifest = dir.join("manifest.jsonl");
    let lines: String = (0..n)
        .map(|i| format!("{{\"source\":\"Passage number {i}.\"}}\n"))
        .collect();
    std::fs::write(&manifest, lines).unwrap();
    let report = project
        .import(&manifest, &Default::default(), &NoProgress)
        .unwrap();
    assert_eq!(report.added as usize, n);
    project.add_annotator("ann", Role::Annotator).unwrap();
    project
}

#[test]
fn a_save_with_an_unbounded_time_is_invalid_input_and_the_annotation_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = project_with_items(dir.path(), 1);
    let draft = json!({"pairs": [{"question": "half-written"}]});
    project.save_draft(1, "ann", &draft, 1_000).unwrap();
    for bad in [i64::MAX, 86_400_001, -5] {
        let err = project.save_draft(1, "ann", &draft, bad).unwrap_err();
        assert_eq!(err.code(), Code::InvalidInput, "{err}");
        assert!(err.to_string().contains("time_spent_ms"), "{err}");
    }
    let view = project.save_draft(1, "ann", &draft, 2_000).unwrap();
    assert_eq!((view.version, view.time_spent_ms), (2, 3_000));
    let status = project.status().unwrap();
    assert_eq!(status.counts.by_annotator[0].time_spent_ms, 3_000);
}
