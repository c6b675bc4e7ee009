//! A project file written by the first schema version opens in this build, with its data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use sift_api::{NoProgress, Project};
use sift_tests::*;

#[test]
fn a_version_1_project_opens_and_keeps_its_work() {
    let dir = tempfile::tempdir().unwrap();
    let proj = dir.path().join("old");
    std::fs::create_dir_all(&proj).unwrap();
    // Opening migrates in place, so work on a copy of the committed fixture.
    std::fs::copy(fixture("project-v1.sift"), proj.join("project.sift")).unwrap();
    let v: u32 = rusqlite::Connection::open(proj.join("project.sift"))
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1, "the fixture must stay at schema version 1");

    let mut project = Project::open(&proj).unwrap();
    project.check_integrity().unwrap();
    let status = project.status().unwrap();
    assert_eq!(status.counts.items, 3);
    assert_eq!(status.counts.annotations["submitted"], 1);
    assert_eq!(status.counts.annotations["approved"], 1);
    assert_eq!(status.counts.annotations["returned"], 1);
    assert!(status.project.schema_version > 1, "opening must migrate the file");
    // ...after copying it, untouched, beside itself.
    let copy = proj.join("project.schema-1.sift");
    assert_eq!(
        std::fs::read(&copy).map(|b| !b.is_empty()).ok(),
        Some(true),
        "no copy of the version-1 file"
    );
    let copied: u32 = rusqlite::Connection::open(&copy)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(copied, 1);

    // The upgraded project keeps working: new imports and exports.
    let manifest = dir.path().join("more.jsonl");
    write_text_manifest(&manifest, 5);
    let report = project
        .import(&manifest, &Default::default(), &NoProgress)
        .unwrap();
    assert_eq!(report.added, 5);
    let out = dir.path().join("out.jsonl");
    let exported = project
        .export_to_path(&out, &Default::default(), &NoProgress)
        .unwrap();
    assert_eq!(exported.records, 2);
    let returned = project.item(3, Some("ann")).unwrap();
    let reviews = &returned.annotation.unwrap().reviews;
    assert_eq!(reviews[0].comment.as_deref(), Some("Cite the span for pair 2."));
}
