//! Time spent on work: each save is bounded, totals saturate, pulled segments are checked,
//! and values stored before the bound existed are repaired (issue 13, defect 2).

use super::*;
use sift_core::Action;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn store_with_item(dir: &Path) -> (Store, i64) {
    let mut store = new_store(dir);
    import_lines(&mut store, &[(r#"{"source":"a"}"#, 1), (r#"{"source":"b"}"#, 2)]);
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap();
    (store, ann.id)
}

#[test]
fn a_save_outside_0_to_24_hours_is_refused_naming_the_field_and_later_saves_work() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ann) = store_with_item(dir.path());
    for bad in [i64::MAX, DAY_MS + 1, -1, i64::MIN] {
        let err = store
            .record_work(1, ann, Action::SaveDraft, r#"{"v":0}"#, bad)
            .expect_err("an out-of-range time must be refused");
        assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("time_spent_ms"), "{err}");
        assert!(err.to_string().contains(&bad.to_string()), "{err}");
    }
    assert!(store.annotation(1, ann).unwrap().is_none(), "nothing was saved");
    let a = store
        .record_work(1, ann, Action::SaveDraft, r#"{"v":1}"#, DAY_MS)
        .unwrap();
    assert_eq!(a.time_spent_ms, DAY_MS);
    let a = store
        .record_work(1, ann, Action::SaveDraft, r#"{"v":2}"#, 0)
        .unwrap();
    assert_eq!((a.latest_version, a.time_spent_ms), (2, DAY_MS));
}

#[test]
fn totals_saturate_instead_of_overflowing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ann) = store_with_item(dir.path());
    store
        .record_work(1, ann, Action::SaveDraft, r#"{"v":1}"#, 10)
        .unwrap();
    store
        .record_work(2, ann, Action::SaveDraft, r#"{"v":1}"#, 10)
        .unwrap();
    // Totals as an older build could leave them, one step from the top.
    store
        .conn
        .execute("UPDATE annotations SET time_spent_ms = ?1", [i64::MAX - 5])
        .unwrap();
    let a = store
        .record_work(1, ann, Action::SaveDraft, r#"{"v":2}"#, 1000)
        .unwrap();
    assert_eq!(a.time_spent_ms, i64::MAX);
    let a = store
        .record_work(1, ann, Action::SaveDraft, r#"{"v":3}"#, 1000)
        .unwrap();
    assert_eq!((a.latest_version, a.time_spent_ms), (3, i64::MAX));
    // Two annotations at the top: the per-person sum saturates too.
    let s = store.status().unwrap();
    assert_eq!(s.by_annotator[0].time_spent_ms, i64::MAX);
}

fn segment(line_times: &[(i64, i64)]) -> SegmentMerge<'static> {
    SegmentMerge {
        object: SyncObject {
            key: "results/ann/b1/000001.jsonl".into(),
            size: 1,
            sha256: "00".into(),
            etag: None,
        },
        annotator: "ann",
        batch: "b1",
        versions: line_times
            .iter()
            .enumerate()
            .map(|(i, (version, ms))| RemoteVersion {
                item_hash: [1; 16],
                version: *version,
                submitted: false,
                payload: format!(r#"{{"v":{version}}}"#),
                time_spent_ms: *ms,
                created_at: "2026-01-01T00:00:00.000000Z".into(),
                line: i as u64 + 1,
            })
            .collect(),
    }
}

fn lead_with_batch(dir: &Path) -> (Store, i64) {
    let (mut store, ann) = store_with_item(dir);
    store
        .create_batch(&NewBatch {
            name: "b1",
            strategy: None,
            model_version_id: None,
            items: &[(1, None)],
            assign_to: &[ann],
            overlap: 1,
        })
        .unwrap();
    (store, ann)
}

#[test]
fn pulled_segment_lines_with_an_unbounded_time_are_rejected_with_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ann) = lead_with_batch(dir.path());
    // Rejected lines do not count as merged versions, so the next good line carries the
    // next version number (a segment may not skip versions: issue 13, defect 10).
    let stats = store
        .merge_segment(&segment(&[(1, 500), (2, i64::MAX), (2, -7), (2, 250)]))
        .unwrap();
    assert_eq!(stats.added, 2, "{stats:?}");
    assert_eq!(stats.rejected.len(), 2, "{stats:?}");
    assert!(stats.rejected[0].contains(":2:"), "{:?}", stats.rejected);
    assert!(
        stats.rejected[0].contains("time_spent_ms"),
        "{:?}",
        stats.rejected
    );
    assert!(stats.rejected[1].contains(":3:"), "{:?}", stats.rejected);
    let a = store.annotation(1, ann).unwrap().unwrap();
    assert_eq!((a.latest_version, a.time_spent_ms), (2, 750));
    // Later saves of the annotation still work.
    store
        .record_work(1, ann, Action::SaveDraft, r#"{"v":3}"#, 50)
        .unwrap();
}

#[test]
fn merged_totals_saturate() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ann) = lead_with_batch(dir.path());
    store.merge_segment(&segment(&[(1, 500)])).unwrap();
    store
        .conn
        .execute("UPDATE annotations SET time_spent_ms = ?1", [i64::MAX - 5])
        .unwrap();
    let mut later = segment(&[(2, DAY_MS), (3, DAY_MS)]);
    later.object.key = "results/ann/b1/000002.jsonl".into();
    let stats = store.merge_segment(&later).unwrap();
    assert_eq!(stats.added, 2, "{stats:?}");
    let a = store.annotation(1, ann).unwrap().unwrap();
    assert_eq!((a.latest_version, a.time_spent_ms), (3, i64::MAX));
}

/// A schema-4 file holding what the unbounded saves left behind: a version with
/// `i64::MAX` ms and a total SQLite had turned into a REAL.
fn broken_v4_file(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    for sql in &MIGRATIONS[..4] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 4).unwrap();
    conn.execute_batch(
        "INSERT INTO project VALUES (1, 'demo', 't', 'qa', 'qa', '', 'h', 'qa', 'job');
         INSERT INTO imports (id, file, format, started_at) VALUES (1, 'm', 'gt', 't');
         INSERT INTO items (id, content, content_hash, import_id, source_line)
             VALUES (1, '{}', x'01010101010101010101010101010101', 1, 1),
                    (2, '{}', x'02020202020202020202020202020202', 1, 2);
         INSERT INTO annotators (id, name, role, created_at) VALUES (1, 'ann', 'annotator', 't');
         INSERT INTO annotations (id, item_id, annotator_id, state, latest_version, time_spent_ms, created_at, updated_at)
             VALUES (1, 1, 1, 'draft', 3, 9223372036854775807, 't', 't'),
                    (2, 2, 1, 'draft', 1, 1200, 't', 't');
         UPDATE annotations SET time_spent_ms = time_spent_ms + 1000 WHERE id = 1;
         INSERT INTO annotation_versions VALUES (1, 1, 'draft', '{}', 9223372036854775807, 't'),
                                               (1, 2, 'draft', '{}', 1000, 't'),
                                               (1, 3, 'draft', '{}', -40, 't'),
                                               (2, 1, 'draft', '{}', 1200, 't');",
    )
    .unwrap();
    let kind: String = conn
        .query_row(
            "SELECT typeof(time_spent_ms) FROM annotations WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "real", "the fixture must hold the overflowed total");
}

#[test]
fn opening_repairs_totals_left_by_unbounded_saves_and_keeps_history_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sift");
    broken_v4_file(&path);
    let mut store = Store::open(&path).unwrap();
    // The total is the sum of the versions, each read within 0 to 24 h.
    let a = store.annotation(1, 1).unwrap().unwrap();
    assert_eq!(a.time_spent_ms, DAY_MS + 1000);
    let times: Vec<i64> = store
        .versions(a.id)
        .unwrap()
        .iter()
        .map(|v| v.time_spent_ms)
        .collect();
    assert_eq!(times, vec![DAY_MS, 1000, 0]);
    assert_eq!(store.annotation(2, 1).unwrap().unwrap().time_spent_ms, 1200);
    // Saved versions are never rewritten: the stored value stays as it was saved.
    let raw: i64 = store
        .conn
        .query_row(
            "SELECT time_spent_ms FROM annotation_versions WHERE annotation_id = 1 AND version = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(raw, i64::MAX);
    // The repair is in the event log.
    let events = store.recent_events(10).unwrap();
    let repair = events
        .iter()
        .find(|e| e.kind == "time_spent_repaired")
        .expect("the repair is logged");
    assert!(repair.data.contains("\"annotations\":1"), "{}", repair.data);
    // And the annotation takes saves again.
    let a = store
        .record_work(1, 1, Action::SaveDraft, r#"{"v":4}"#, 10)
        .unwrap();
    assert_eq!((a.latest_version, a.time_spent_ms), (4, DAY_MS + 1010));
    assert_eq!(
        store.status().unwrap().by_annotator[0].time_spent_ms,
        DAY_MS + 2210
    );
}
