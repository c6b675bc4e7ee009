//! Shipping and restoring through the in-memory object store (the Garage end-to-end test is
//! `tests/backup.rs`): the shipper ships after commits, a restore equals its source, a
//! point-in-time restore equals a copy taken then, damaged objects are reported and skipped,
//! retention expires old snapshots.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::json;

use super::*;
use crate::sync::memory_store::MemoryStore;
use crate::sync::{ObjectStore, PutMode, sha256_hex};
use crate::{NoProgress, Project, Role};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/qa-minimal.toml")
}

fn project(dir: &Path, n: usize) -> Project {
    let mut p = crate::init_project(dir, &template(), Some("demo")).unwrap();
    let manifest = dir.join("manifest.jsonl");
    let lines: String = (0..n)
        .map(|i| format!("{{\"source\":\"Passage {i}.\"}}\n"))
        .collect();
    std::fs::write(&manifest, lines).unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    p
}

fn draft(i: usize) -> serde_json::Value {
    json!({"pairs": [{"question": format!("question {i}")}]})
}

/// Every row a restore brings back (not sessions, the backup's own or the search index).
fn dump(path: &Path) -> Vec<(String, Vec<String>)> {
    sift_store::backup::backed_up_rows(path).unwrap()
}

fn config() -> BackupConfig {
    BackupConfig::new("backups", "team/demo")
}

fn file(dir: &Path) -> PathBuf {
    dir.join(crate::PROJECT_FILE)
}

/// Replaces an object's bytes, keeping its key (the name still records the old SHA-256).
fn damage(remote: &MemoryStore, key: &str, keep: usize) {
    let mut body = remote.get(key, u64::MAX).unwrap().unwrap().body;
    body.truncate(keep);
    let sha = sha256_hex(&body);
    remote.put(key, body, &sha, PutMode::Overwrite).unwrap();
}

#[test]
fn the_shipper_ships_commits_within_a_second_and_a_restore_equals_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let mut p = project(&src, 20);
    p.backup_enable(&config()).unwrap();
    let remote = MemoryStore::new("s3://backups/team/demo");
    let shipper = Shipper::start_for(&mut p, Box::new(remote.clone()))
        .unwrap()
        .unwrap();
    // The first pass takes the snapshot; what follows travels as changes.
    shipper.flush();
    for i in 1..=10 {
        p.save_draft(i, "ann", &draft(i as usize), 100).unwrap();
    }
    p.save_draft(3, "ann", &draft(33), 100).unwrap();
    // Shipped soon after the last commit, with no call from the writer.
    let start = Instant::now();
    let target = p.store.backup_state().unwrap().captured_seq;
    loop {
        let last = remote_chain(&remote).unwrap().last_change;
        if last.is_some_and(|(seq, _)| seq == target) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "not shipped: {:?}",
            shipper.state()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    assert!(shipper.state().error.is_none());
    drop(shipper);
    let status = p.backup_status(Some(&remote)).unwrap();
    assert_eq!((status.pending, status.snapshots.len()), (0, 1));

    let to = dir.path().join("restored");
    let report = restore(&remote, &to, None).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.changes > 10);
    assert_eq!(dump(&report.file), dump(&file(&src)));
    let restored = Project::open(&to).unwrap();
    assert!(!restored.backup_enabled().unwrap());
    // A second restore into the same folder is refused.
    assert!(restore(&remote, &to, None).is_err());
}

#[test]
fn point_in_time_and_damaged_objects() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let mut p = project(&src, 10);
    p.backup_enable(&config()).unwrap();
    let remote = MemoryStore::new("s3://backups/team/demo");
    p.backup_ship(&remote, false).unwrap();
    p.save_draft(1, "ann", &draft(1), 100).unwrap();
    p.backup_ship(&remote, false).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let copy = dir.path().join("copy.sift");
    Connection::open(file(&src))
        .unwrap()
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    let t = sift_store::backup::now_ms();
    std::thread::sleep(Duration::from_millis(20));
    p.save_draft(2, "ann", &draft(2), 100).unwrap();
    p.backup_ship(&remote, false).unwrap();
    let copy2 = dir.path().join("copy2.sift");
    Connection::open(file(&src))
        .unwrap()
        .execute("VACUUM INTO ?1", [copy2.to_str().unwrap()])
        .unwrap();
    let second = p.backup_ship(&remote, true).unwrap().snapshot.unwrap();
    p.save_draft(3, "ann", &draft(3), 100).unwrap();
    p.backup_ship(&remote, false).unwrap();

    // As of t: the copy taken then.
    let pit = restore(&remote, &dir.path().join("pit"), Some(t)).unwrap();
    assert!(pit.problems.is_empty(), "{:?}", pit.problems);
    assert_eq!(dump(&pit.file), dump(&copy));
    assert_ne!(dump(&pit.file), dump(&file(&src)));

    // The newest snapshot damaged: reported, and the one before it plus every segment used.
    damage(&remote, &second, 4096);
    let fell_back = restore(&remote, &dir.path().join("fallback"), None).unwrap();
    assert!(
        fell_back
            .problems
            .iter()
            .any(|m| m.contains(&second) && m.contains("damaged")),
        "{:?}",
        fell_back.problems
    );
    assert_eq!(dump(&fell_back.file), dump(&file(&src)));

    // A truncated segment: reported, skipped, and the changes it held named as missing.
    let segments: Vec<String> = remote
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("changes/"))
        .collect();
    let last = segments.last().unwrap();
    damage(&remote, last, 10);
    let partial = restore(&remote, &dir.path().join("partial"), None).unwrap();
    assert!(
        partial
            .problems
            .iter()
            .any(|m| m.contains(last.as_str()) && m.contains("skipped"))
    );
    assert!(
        partial
            .problems
            .iter()
            .any(|m| m.contains("could not be included")),
        "{:?}",
        partial.problems
    );
    assert_eq!(dump(&partial.file), dump(&copy2));
    Project::open(&partial.file).unwrap();
}

#[test]
fn retention_keeps_the_newest_snapshots_and_the_segments_they_need() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let mut p = project(&src, 5);
    let mut c = config();
    c.keep_snapshots = 2;
    p.backup_enable(&c).unwrap();
    let remote = MemoryStore::new("s3://backups/team/demo");
    for i in 1..=4 {
        p.save_draft(i, "ann", &draft(i as usize), 100).unwrap();
        p.backup_ship(&remote, true).unwrap();
    }
    p.save_draft(5, "ann", &draft(5), 100).unwrap();
    p.backup_ship(&remote, false).unwrap();
    let snapshots = remote_chain(&remote).unwrap().snapshots;
    assert_eq!(snapshots.len(), 2);
    // Every segment left holds changes after the oldest kept snapshot.
    let oldest = snapshots[0].upto_seq;
    for k in remote.keys().iter().filter(|k| k.starts_with("changes/")) {
        let last: i64 = k[8 + 21..8 + 41].parse().unwrap();
        assert!(last > oldest, "{k} is only needed by an expired snapshot");
    }
    let r = restore(&remote, &dir.path().join("r"), None).unwrap();
    assert_eq!(dump(&r.file), dump(&file(&src)));
}

#[test]
fn config_is_checked_and_ship_needs_backup_on() {
    let mut c = config();
    c.keep_snapshots = 0;
    assert!(c.validate().is_err());
    let mut c = config();
    c.endpoint = Some("http://key:secret@127.0.0.1:3900".into());
    assert!(c.validate().unwrap_err().to_string().contains("credentials"));
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), 1);
    let remote = MemoryStore::new("m");
    assert!(p.backup_ship(&remote, false).is_err());
}

#[test]
fn a_bulk_import_travels_as_a_snapshot_not_as_rows() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let mut p = project(&src, 1);
    p.backup_enable(&config()).unwrap();
    let remote = MemoryStore::new("s3://backups/team/demo");
    p.backup_ship(&remote, false).unwrap();
    let manifest = dir.path().join("big.jsonl");
    let lines: String = (0..26_000)
        .map(|i| format!("{{\"source\":\"Bulk passage {i}.\"}}\n"))
        .collect();
    std::fs::write(&manifest, lines).unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    assert!(p.store.backup_state().unwrap().pending > ship::BULK_CHANGES);
    let report = p.backup_ship(&remote, false).unwrap();
    assert!(report.snapshot.is_some(), "{report:?}");
    assert!(report.changes < 10, "{report:?}");
    assert_eq!(p.store.backup_state().unwrap().pending, 0);
    p.save_draft(1, "ann", &draft(1), 100).unwrap();
    p.backup_ship(&remote, false).unwrap();
    let r = restore(&remote, &dir.path().join("r"), None).unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(dump(&r.file), dump(&file(&src)));
}
