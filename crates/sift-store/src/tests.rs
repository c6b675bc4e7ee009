use super::*;
use sift_core::Action;

/// A new project file `p.sift` in `dir` (a Q&A template), for the crate's tests.
pub(crate) fn new_store(dir: &Path) -> Store {
    Store::create(
        &dir.join("p.sift"),
        &NewProject {
            name: "demo",
            template_name: "qa",
            template_kind: "qa",
            template_text: "[template]\nname = \"qa\"\n",
            label_attribute: "qa",
            job_name: "demo-job",
        },
    )
    .unwrap()
}

fn import_lines(store: &mut Store, lines: &[(&str, u8)]) -> ImportStats {
    let items: Vec<(String, [u8; 16])> = lines.iter().map(|(c, h)| ((*c).to_owned(), [*h; 16])).collect();
    import_items(store, &items)
}

/// A new store with one item, `{"source":"a"}` (id 1), and annotator `ann`.
fn one_item_and_ann(dir: &Path) -> (Store, AnnotatorRow) {
    let mut store = new_store(dir);
    import_lines(&mut store, &[(r#"{"source":"a"}"#, 1)]);
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap();
    (store, ann)
}

/// [`one_item_and_ann`] with reviewer `rev` too.
fn one_item_ann_and_rev(dir: &Path) -> (Store, AnnotatorRow, AnnotatorRow) {
    let (store, ann) = one_item_and_ann(dir);
    let rev = store.add_annotator("rev", Role::Reviewer, None).unwrap();
    (store, ann, rev)
}

/// Three items, `{"source":"a"}` to `"c"`, ids 1 to 3.
fn import_abc(store: &mut Store) -> ImportStats {
    import_lines(
        store,
        &[
            (r#"{"source":"a"}"#, 1),
            (r#"{"source":"b"}"#, 2),
            (r#"{"source":"c"}"#, 3),
        ],
    )
}

/// Imports `(content, hash)` items in one import, lines 1.. in order, for the crate's tests.
pub(crate) fn import_items(store: &mut Store, items: &[(String, [u8; 16])]) -> ImportStats {
    let mut tx = store
        .begin_import(&NewImport {
            file: "m.jsonl",
            format: "gt",
            media_root: None,
        })
        .unwrap();
    let mut stats = ImportStats::default();
    for (i, (content, h)) in items.iter().enumerate() {
        stats.lines += 1;
        match tx.insert_item(content, h, None, i as u64 + 1).unwrap() {
            InsertOutcome::Added(_) => stats.added += 1,
            InsertOutcome::Duplicate => stats.duplicates += 1,
        }
    }
    tx.commit(&stats, None, &serde_json::json!({})).unwrap();
    stats
}

#[test]
fn create_then_open_keeps_the_project() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_store(dir.path()));
    let store = Store::open(&dir.path().join("p.sift")).unwrap();
    let p = store.project().unwrap();
    assert_eq!(p.name, "demo");
    assert_eq!(p.label_attribute, "qa");
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = store
        .conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    store.integrity_check().unwrap();
}

#[test]
fn refuses_to_overwrite_or_open_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_store(dir.path()));
    let again = Store::create(
        &dir.path().join("p.sift"),
        &NewProject {
            name: "x",
            template_name: "x",
            template_kind: "qa",
            template_text: "",
            label_attribute: "x",
            job_name: "x",
        },
    );
    assert!(matches!(again, Err(StoreError::AlreadyExists(_))));

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "hello, not a database, but long enough to look like a header.....................................",
    )
    .unwrap();
    assert!(matches!(Store::open(&text), Err(StoreError::NotAProject(_))));

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(matches!(Store::open(&other), Err(StoreError::NotAProject(_))));

    assert!(matches!(
        Store::open(&dir.path().join("missing.sift")),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    store
        .conn
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    let err = Store::open(&dir.path().join("p.sift")).unwrap_err();
    assert!(err.to_string().contains("newer Sift"), "{err}");
    let v: u32 = rusqlite::Connection::open(dir.path().join("p.sift"))
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1);
}

#[test]
fn imports_are_all_or_nothing_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    {
        let mut tx = store
            .begin_import(&NewImport {
                file: "m",
                format: "gt",
                media_root: None,
            })
            .unwrap();
        tx.insert_item(r#"{"source":"a"}"#, &[1; 16], None, 1).unwrap();
        // dropped without commit
    }
    assert_eq!(store.item_count().unwrap(), 0);
    assert_eq!(store.status().unwrap().imports, 0);

    let s = import_lines(
        &mut store,
        &[
            (r#"{"source":"a"}"#, 1),
            (r#"{"source":"b"}"#, 2),
            (r#"{"source":"a"}"#, 1),
        ],
    );
    assert_eq!((s.added, s.duplicates), (2, 1));
    let s = import_lines(&mut store, &[(r#"{"source":"a"}"#, 1), (r#"{"source":"b"}"#, 2)]);
    assert_eq!((s.added, s.duplicates), (0, 2));
    assert_eq!(store.item_count().unwrap(), 2);
}

#[test]
fn work_and_reviews_follow_the_state_machine_and_keep_history() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ann, rev) = one_item_ann_and_rev(dir.path());

    let a = store
        .record_work(1, ann.id, Action::SaveDraft, r#"{"v":1}"#, 1000)
        .unwrap();
    assert_eq!(
        (a.state, a.latest_version, a.submitted_version),
        (AnnotationState::Draft, 1, None)
    );
    let a = store
        .record_work(1, ann.id, Action::Submit, r#"{"v":2}"#, 500)
        .unwrap();
    assert_eq!(
        (a.state, a.latest_version, a.submitted_version),
        (AnnotationState::Submitted, 2, Some(2))
    );
    assert_eq!(a.time_spent_ms, 1500);

    // Submitted work is locked until reviewed.
    assert!(matches!(
        store.record_work(1, ann.id, Action::SaveDraft, "{}", 0),
        Err(StoreError::Transition(_))
    ));

    let a = store
        .review(
            a.id,
            2,
            rev.id,
            Decision::Returned,
            Some("cite a span"),
            Some(r#"{"span":[0,1]}"#),
        )
        .unwrap();
    assert_eq!(a.state, AnnotationState::Returned);
    // Returning twice is refused.
    assert!(matches!(
        store.review(a.id, 2, rev.id, Decision::Returned, None, None),
        Err(StoreError::Transition(_))
    ));

    let a = store
        .record_work(1, ann.id, Action::Submit, r#"{"v":3}"#, 10)
        .unwrap();
    assert_eq!(a.submitted_version, Some(3));
    // Approving the old version is refused.
    let err = store
        .review(a.id, 2, rev.id, Decision::Approved, None, None)
        .unwrap_err();
    assert!(err.to_string().contains("not the latest submission"), "{err}");
    let a = store
        .review(a.id, 3, rev.id, Decision::Approved, None, None)
        .unwrap();
    assert_eq!(a.state, AnnotationState::Approved);

    let versions = store.versions(a.id).unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.submitted))
            .collect::<Vec<_>>(),
        vec![(1, false), (2, true), (3, true)]
    );
    let reviews = store.reviews(a.id).unwrap();
    assert_eq!(reviews.len(), 2);
    assert_eq!(reviews[0].comment.as_deref(), Some("cite a span"));

    // History cannot be rewritten.
    assert!(
        store
            .conn
            .execute("UPDATE annotation_versions SET payload = '{}'", [])
            .is_err()
    );
    assert!(store.conn.execute("DELETE FROM events", []).is_err());
    assert!(store.conn.execute("UPDATE events SET kind = 'x'", []).is_err());
}

#[test]
fn work_on_a_missing_item_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap();
    assert!(matches!(
        store.record_work(99, ann.id, Action::Submit, "{}", 0),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.add_annotator("ann", Role::Lead, None),
        Err(StoreError::Conflict(_))
    ));
}

#[test]
fn export_streams_submitted_and_approved_in_item_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    import_abc(&mut store);
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap();
    let rev = store.add_annotator("rev", Role::Reviewer, None).unwrap();
    let a3 = store
        .record_work(3, ann.id, Action::Submit, r#"{"x":3}"#, 0)
        .unwrap();
    store
        .record_work(1, ann.id, Action::Submit, r#"{"x":1}"#, 0)
        .unwrap();
    store
        .record_work(2, ann.id, Action::SaveDraft, r#"{"x":2}"#, 0)
        .unwrap();
    store
        .review(a3.id, 1, rev.id, Decision::Approved, None, None)
        .unwrap();

    let collect = |filter: ExportFilter<'_>| {
        let mut got = Vec::new();
        store
            .for_each_labelled::<()>(&filter, |r| {
                got.push((
                    r.item_id,
                    r.payload.to_owned(),
                    r.state.to_owned(),
                    r.reviewer.map(str::to_owned),
                ));
                Ok(())
            })
            .unwrap()
            .unwrap();
        got
    };
    assert_eq!(
        collect(ExportFilter::default()),
        vec![
            (1, r#"{"x":1}"#.into(), "submitted".into(), None),
            (3, r#"{"x":3}"#.into(), "approved".into(), Some("rev".into()))
        ]
    );
    assert_eq!(
        collect(ExportFilter {
            approved_only: true,
            batch: None
        })
        .len(),
        1
    );
    assert!(
        store
            .for_each_labelled::<()>(
                &ExportFilter {
                    approved_only: false,
                    batch: Some("nope")
                },
                |_| Ok(())
            )
            .is_err()
    );
}

#[test]
fn status_counts_by_state_and_annotator() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    import_abc(&mut store);
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap();
    store.add_annotator("idle", Role::Annotator, None).unwrap();
    store.record_work(1, ann.id, Action::Submit, "{}", 2000).unwrap();
    store
        .record_work(2, ann.id, Action::SaveDraft, "{}", 1000)
        .unwrap();
    let s = store.status().unwrap();
    assert_eq!((s.items, s.unlabeled, s.imports), (3, 1, 1));
    assert_eq!(s.annotations["submitted"], 1);
    assert_eq!(s.annotations["draft"], 1);
    assert_eq!(s.annotations["approved"], 0);
    assert_eq!(s.by_annotator.len(), 2);
    assert_eq!(s.by_annotator[0].name, "ann");
    assert_eq!(s.by_annotator[0].time_spent_ms, 3000);
    assert!(s.by_annotator[1].states.is_empty());
}

#[test]
fn returned_work_heads_its_annotators_queue() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    import_lines(
        &mut store,
        &[
            (r#"{"source":"a"}"#, 1),
            (r#"{"source":"b"}"#, 2),
            (r#"{"source":"c"}"#, 3),
            (r#"{"source":"d"}"#, 4),
        ],
    );
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap();
    let other = store.add_annotator("other", Role::Annotator, None).unwrap();
    let rev = store.add_annotator("rev", Role::Reviewer, None).unwrap();
    let a3 = store.record_work(3, ann.id, Action::Submit, "{}", 0).unwrap();
    store.record_work(2, ann.id, Action::SaveDraft, "{}", 0).unwrap();
    store
        .record_work(4, other.id, Action::SaveDraft, "{}", 0)
        .unwrap();
    let reasons = |q: Vec<QueueEntry>| q.into_iter().map(|e| (e.item_id, e.reason)).collect::<Vec<_>>();
    assert_eq!(
        reasons(store.queue(ann.id, 10).unwrap()),
        vec![(2, QueueReason::Draft), (1, QueueReason::New)]
    );
    store
        .review(a3.id, 1, rev.id, Decision::Returned, Some("fix"), None)
        .unwrap();
    assert_eq!(
        reasons(store.queue(ann.id, 10).unwrap()),
        vec![
            (3, QueueReason::Returned),
            (2, QueueReason::Draft),
            (1, QueueReason::New)
        ]
    );
    assert_eq!(store.queue(ann.id, 1).unwrap().len(), 1);
    assert_eq!(
        reasons(store.queue(other.id, 10).unwrap()),
        vec![(4, QueueReason::Draft), (1, QueueReason::New)]
    );
}

#[test]
fn migrations_are_applied_in_order_from_any_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sift");
    // A file at schema version 1 only.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    conn.execute_batch(MIGRATIONS[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let n: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'assignments_by_item'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn queue_counts_match_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    import_abc(&mut store);
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap();
    store.record_work(1, ann.id, Action::Submit, "{}", 0).unwrap();
    store.record_work(2, ann.id, Action::SaveDraft, "{}", 0).unwrap();
    assert_eq!(store.queue_counts(ann.id).unwrap(), (2, 1));
    assert_eq!(store.queue(ann.id, 100).unwrap().len(), 2);
}

mod faults;
mod item_hashes;
mod migrations;
mod overlap;
mod suggestions;
mod time_spent;
