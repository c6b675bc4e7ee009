//! Suggestions recorded with saved versions (migration 0009): written in the save's
//! transaction, counted over submissions only, never written by a save that fails, and never
//! changed afterwards.

use super::*;
use sift_core::Action;

#[test]
fn a_suggestion_is_recorded_with_its_version_and_counted_over_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    import_lines(&mut store, &[(r#"{"source":"a"}"#, 1), (r#"{"source":"b"}"#, 2)]);
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap().id;
    let taken = SuggestionUse {
        accepted: true,
        model_version_id: None,
        prediction_source_id: None,
    };
    let changed = SuggestionUse {
        accepted: false,
        model_version_id: None,
        prediction_source_id: None,
    };
    store
        .record_work_with(1, ann, Action::SaveDraft, "{}", 0, Some(&taken))
        .unwrap();
    let a = store
        .record_work_with(1, ann, Action::Submit, "{}", 0, Some(&changed))
        .unwrap();
    store.record_work(2, ann, Action::Submit, "{}", 0).unwrap();
    assert_eq!(
        store.version_suggestion(a.id, 1).unwrap(),
        Some(VersionSuggestion {
            accepted: true,
            model_version_id: None,
            prediction_source_id: None
        })
    );
    assert_eq!(
        store.version_suggestion(a.id, 2).unwrap().map(|s| s.accepted),
        Some(false)
    );
    let c = store.suggestion_counts().unwrap();
    assert_eq!((c.submitted, c.shown, c.accepted), (2, 1, 0));
    assert_eq!(c.acceptance_rate(), Some(0.0));

    // A save that is refused (a review action, a missing item) records nothing.
    let refused = store.record_work_with(1, ann, Action::Approve, "{}", 0, Some(&taken));
    assert!(refused.is_err());
    assert_eq!(store.version_suggestion(a.id, 3).unwrap(), None);
    let missing = store.record_work_with(99, ann, Action::Submit, "{}", 0, Some(&taken));
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
    assert_eq!(store.suggestion_counts().unwrap(), c);

    // History: rows are never edited or deleted.
    for sql in [
        "UPDATE version_suggestions SET accepted = 1",
        "DELETE FROM version_suggestions",
    ] {
        let e = store.conn.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}
