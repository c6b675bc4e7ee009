//! Storage faults come back as such, naming the project file (issue 13, defect 3).

use std::time::{Duration, Instant};

use super::*;
use sift_core::Action;

#[test]
fn writes_while_an_import_holds_the_lock_are_busy_and_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut importer, ann) = one_item_and_ann(dir.path());
    let file = dir.path().join("p.sift");
    let mut labeler = Store::open(&file).unwrap();
    assert!(!labeler.read_only());
    labeler.set_busy_timeout(Duration::from_millis(200)).unwrap();
    let tx = importer
        .begin_import(&NewImport {
            file: "big.jsonl",
            format: "gt",
            media_root: None,
        })
        .unwrap();
    let started = Instant::now();
    let err = labeler
        .record_work(1, ann.id, Action::SaveDraft, "{}", 10)
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(200), "it waits first");
    assert_eq!(err.storage_fault(), Some(StorageFault::Busy), "{err:?}");
    assert!(
        matches!(&err, StoreError::Storage { path: Some(p), .. } if p == &file),
        "{err:?}"
    );
    let err = labeler
        .append_event(Some("ann"), "note", &serde_json::json!({}))
        .unwrap_err();
    assert_eq!(err.storage_fault(), Some(StorageFault::Busy), "{err:?}");
    // Reading goes on while the import writes (WAL).
    assert_eq!(labeler.item_count().unwrap(), 1);
    drop(tx);
    let a = labeler
        .record_work(1, ann.id, Action::SaveDraft, "{}", 10)
        .unwrap();
    assert_eq!(a.latest_version, 1);
}

#[test]
fn an_import_started_while_another_writes_is_busy_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = new_store(dir.path());
    let mut second = Store::open(&dir.path().join("p.sift")).unwrap();
    second.set_busy_timeout(Duration::from_millis(100)).unwrap();
    let _held = first
        .begin_import(&NewImport {
            file: "a.jsonl",
            format: "gt",
            media_root: None,
        })
        .unwrap();
    let err = second
        .begin_import(&NewImport {
            file: "b.jsonl",
            format: "gt",
            media_root: None,
        })
        .unwrap_err();
    assert_eq!(err.storage_fault(), Some(StorageFault::Busy), "{err:?}");
    assert!(err.to_string().contains("p.sift"), "{err}");
}
