//! Migrations copy the project first, decide inside their write transaction, and keep
//! reviews append-only (issue 13, defect 11).

use std::sync::{Arc, Barrier};

use super::*;
use sift_core::Action;

/// A project file at schema version `version` with one reviewed annotation.
pub(super) fn old_file(path: &Path, version: usize) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    for sql in &MIGRATIONS[..version] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", version as u32).unwrap();
    conn.execute_batch(
        "INSERT INTO project VALUES (1, 'demo', 't', 'qa', 'qa', '', 'h', 'qa', 'job');
         INSERT INTO imports (id, file, format, started_at) VALUES (1, 'm', 'gt', 't');
         INSERT INTO items (id, content, content_hash, import_id, source_line)
             VALUES (1, '{}', x'01010101010101010101010101010101', 1, 1);
         INSERT INTO annotators (id, name, role, created_at)
             VALUES (1, 'ann', 'annotator', 't'), (2, 'rev', 'reviewer', 't');
         INSERT INTO annotations (id, item_id, annotator_id, state, latest_version, submitted_version,
                                  time_spent_ms, created_at, updated_at)
             VALUES (1, 1, 1, 'returned', 1, 1, 500, 't', 't');
         INSERT INTO annotation_versions VALUES (1, 1, 'submitted', '{\"v\":1}', 500, 't');
         INSERT INTO reviews (annotation_id, version, reviewer_id, decision, comment, created_at)
             VALUES (1, 1, 2, 'returned', 'fix it', 't');",
    )
    .unwrap();
}

pub(super) fn user_version(path: &Path) -> u32 {
    rusqlite::Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn migrating_leaves_a_copy_of_the_old_file_named_with_its_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.sift");
    old_file(&path, 1);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    let copy = dir.path().join("project.schema-1.sift");
    assert!(copy.is_file(), "no copy beside the migrated file");
    assert_eq!(user_version(&copy), 1, "the copy keeps the old schema");
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let comment: String = conn
        .query_row("SELECT comment FROM reviews", [], |r| r.get(0))
        .unwrap();
    assert_eq!(comment, "fix it");
    // Opening again migrates nothing and copies nothing.
    drop(Store::open(&path).unwrap());
    let copies = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().contains(".schema-")
        })
        .count();
    assert_eq!(copies, 1);
}

#[test]
fn an_earlier_copy_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.sift");
    old_file(&path, 3);
    std::fs::write(dir.path().join("project.schema-3.sift"), b"an earlier copy").unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(
        std::fs::read(dir.path().join("project.schema-3.sift")).unwrap(),
        b"an earlier copy"
    );
    assert_eq!(user_version(&dir.path().join("project.schema-3-2.sift")), 3);
}

#[test]
fn projects_opened_at_once_are_migrated_once() {
    for round in 0..12 {
        let dir = tempfile::tempdir().unwrap();
        let path = Arc::new(dir.path().join("project.sift"));
        old_file(&path, 1);
        let start = Arc::new(Barrier::new(3));
        let openers: Vec<_> = (0..3)
            .map(|_| {
                let (path, start) = (Arc::clone(&path), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    Store::open(&path).map(|s| s.schema_version().unwrap())
                })
            })
            .collect();
        for opener in openers {
            let opened = opener.join().unwrap();
            assert!(
                matches!(opened, Ok(v) if v == SCHEMA_VERSION),
                "round {round}: {opened:?}"
            );
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.reviews(1).unwrap().len(), 1, "round {round}");
        store.integrity_check().unwrap();
        let migrations = store
            .recent_events(100)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "schema_migrated")
            .count();
        assert_eq!(migrations, 1, "round {round}");
        let copies: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".schema-"))
            .collect();
        assert_eq!(copies, vec!["project.schema-1.sift".to_owned()], "round {round}");
    }
}

#[test]
fn reviews_are_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ann, rev) = one_item_ann_and_rev(dir.path());
    let a = store.record_work(1, ann.id, Action::Submit, "{}", 0).unwrap();
    store
        .review(a.id, 1, rev.id, Decision::Returned, Some("fix it"), None)
        .unwrap();
    let update = store.conn.execute("UPDATE reviews SET comment = 'forged'", []);
    assert!(
        update
            .as_ref()
            .is_err_and(|e| e.to_string().contains("append-only")),
        "{update:?}"
    );
    let delete = store.conn.execute("DELETE FROM reviews", []);
    assert!(
        delete
            .as_ref()
            .is_err_and(|e| e.to_string().contains("append-only")),
        "{delete:?}"
    );
    assert_eq!(store.reviews(a.id).unwrap()[0].comment.as_deref(), Some("fix it"));
}

/// Schema 12 keys `item_scores` by model version first (a round appends its rows instead of
/// rewriting every page); a project at schema 11 keeps every score, and the reads by item and
/// by version give the same rows.
#[test]
fn item_scores_move_to_the_version_first_key_with_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.sift");
    old_file(&path, 11);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO items (id, content, content_hash, import_id, source_line)
                 VALUES (2, '{}', x'02020202020202020202020202020202', 1, 2);
             INSERT INTO model_versions (id, name, version, file_hash, file_path, config, added_at)
                 VALUES (1, 'm', 1, 'h', 'f', '', 't'), (2, 'm', 2, 'h', 'f', '', 't');
             INSERT INTO scoring_runs (id, model_version_id, device, runtime_version, started_at)
                 VALUES (1, 1, 'cpu', 'r', 't'), (2, 2, 'cpu', 'r', 't');
             INSERT INTO item_scores VALUES
                 (2, 2, 'margin', 0.25, NULL, 2), (1, 2, 'margin', 0.5, NULL, 2),
                 (2, 1, 'margin', NULL, 'unreadable', 1), (1, 1, 'entropy', 0.75, NULL, 1),
                 (1, 1, 'margin', 0.125, NULL, 1);",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let pk: Vec<String> = {
        let mut stmt = store
            .conn
            .prepare("SELECT name FROM pragma_table_info('item_scores') WHERE pk > 0 ORDER BY pk")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    assert_eq!(pk, ["model_version_id", "item_id", "strategy"]);
    /// (model_version_id, item_id, strategy, score, error, run_id)
    type ScoreRow = (i64, i64, String, Option<f64>, Option<String>, i64);
    let rows: Vec<ScoreRow> = {
        let mut stmt = store
            .conn
            .prepare("SELECT model_version_id, item_id, strategy, score, error, run_id FROM item_scores")
            .unwrap();
        stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    };
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0], (1, 1, "entropy".to_owned(), Some(0.75), None, 1));
    assert_eq!(
        rows[2],
        (1, 2, "margin".to_owned(), None, Some("unreadable".to_owned()), 1)
    );
    let all = store.item_all_scores(1).unwrap();
    let seen: Vec<(i64, String, Option<f64>)> = all
        .iter()
        .map(|s| (s.version, s.strategy.clone(), s.score))
        .collect();
    assert_eq!(
        seen,
        [
            (1, "entropy".to_owned(), Some(0.75)),
            (1, "margin".to_owned(), Some(0.125)),
            (2, "margin".to_owned(), Some(0.5))
        ]
    );
    assert_eq!(store.unlabeled_scores(2, "margin").unwrap(), [(2, 0.25)]);
    let ok: String = store
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let fk: Option<String> = store
        .conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .optional()
        .unwrap();
    assert_eq!(fk, None);
}
