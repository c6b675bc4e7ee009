//! Tests of the scores store: model versions, runs, scores, resume and batches in one project.

use super::*;
use crate::tests::new_store as store;
use crate::{Store, StoreError};

fn record(item_id: i64, score: Option<f64>) -> ScoreRecord {
    ScoreRecord {
        item_id,
        scores: vec![("margin".into(), score), ("entropy".into(), score)],
        error: score.is_none().then(|| "broken".to_owned()),
        embedding: score.map(|s| vec![s as f32, 1.0]),
    }
}

/// A store with items of the given ids (one import) and a model "m" registry entry maker.
fn with_items(dir: &std::path::Path, ids: &[i64]) -> Store {
    let s = store(dir);
    let rows: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(line, id)| format!("({id}, '{{}}', x'{id:02x}', 1, {})", line + 1))
        .collect();
    s.conn
        .execute_batch(&format!(
            "INSERT INTO imports (id, file, format, started_at) VALUES (1, 'm', 'gt', 'now');
             INSERT INTO items (id, content, content_hash, import_id, source_line) VALUES {};",
            rows.join(", ")
        ))
        .unwrap();
    s
}

fn model(name: &str) -> NewModelVersion<'_> {
    NewModelVersion {
        name,
        file_hash: "h",
        file_path: "models/m.onnx",
        config: "",
        signature: None,
    }
}

#[test]
fn versions_runs_scores_resume_and_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = with_items(dir.path(), &[1, 2, 3]);
    let v1 = s.add_model_version(&model("m")).unwrap();
    let v2 = s.add_model_version(&model("m")).unwrap();
    assert_eq!((v1.version, v2.version), (1, 2));
    assert_eq!(s.next_model_version("m").unwrap(), 3);
    assert_eq!(s.model_version("m", None).unwrap().unwrap().id, v2.id);
    assert_eq!(s.model_version("m", Some(1)).unwrap().unwrap().id, v1.id);

    let run = s.start_scoring_run(v1.id, "cpu", "1.31.1").unwrap();
    assert_eq!(s.count_items_to_score(v1.id).unwrap(), 3);
    s.save_scores(run, v1.id, &[record(1, Some(0.9)), record(2, None)])
        .unwrap();
    // Item 2 failed: it is offered again; item 1 is not.
    let left: Vec<i64> = s
        .items_to_score(v1.id, 0, 10)
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(left, vec![2, 3]);
    s.save_scores(run, v1.id, &[record(2, Some(0.2)), record(3, Some(0.5))])
        .unwrap();
    s.finish_scoring_run(run, "finished").unwrap();
    let row = s.scoring_run(run).unwrap().unwrap();
    assert_eq!(
        (row.items_scored, row.items_failed, row.status.as_str()),
        (3, 1, "finished")
    );
    assert_eq!(s.count_items_to_score(v1.id).unwrap(), 0);
    // The other version has scored nothing.
    assert_eq!(s.count_items_to_score(v2.id).unwrap(), 3);

    let counts = s.model_score_counts().unwrap();
    assert_eq!(counts[0].items_scored, 3);
    assert_eq!(counts[0].items_failed, 0);
    assert_eq!(counts[1].items_scored, 0);

    let candidates = s.batch_candidates(v1.id, "margin").unwrap();
    assert_eq!(candidates.len(), 3);
    let vectors = s.embeddings(v1.id, &[3, 99]).unwrap();
    assert_eq!(vectors, vec![Some(vec![0.5, 1.0]), None]);

    let ann = s.add_annotator("ann", crate::Role::Annotator, None).unwrap();
    let batch = s
        .create_batch(&NewBatch {
            name: "b1",
            strategy: Some("margin"),
            model_version_id: Some(v1.id),
            items: &[(1, Some(0.9)), (3, Some(0.5))],
            assign_to: &[ann.id],
            overlap: 1,
        })
        .unwrap();
    assert_eq!(batch.name, "b1");
    assert!(
        s.create_batch(&NewBatch {
            items: &[],
            ..NewBatch {
                name: "b1",
                strategy: None,
                model_version_id: None,
                items: &[],
                assign_to: &[],
                overlap: 1
            }
        })
        .is_err()
    );
    // Batched items are no longer candidates.
    let left: Vec<i64> = s
        .batch_candidates(v1.id, "margin")
        .unwrap()
        .iter()
        .map(|c| c.item_id)
        .collect();
    assert_eq!(left, vec![2]);
    let queue = s.queue(ann.id, 10).unwrap();
    assert_eq!(queue[0].item_id, 1);
    assert_eq!(queue[0].score, Some(0.9));
    assert_eq!(queue[0].strategy.as_deref(), Some("margin"));
    assert_eq!(queue[1].item_id, 3);
}

/// item_scores and queue_order hold item ids without foreign-key clauses (migration 0012):
/// scores of an item the project does not have, or under a run of another version, and a queue
/// order naming a missing item are refused, and nothing of them is saved.
#[test]
fn scores_and_queue_orders_are_checked_without_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = with_items(dir.path(), &[1, 2, 4]);
    let v1 = s.add_model_version(&model("m")).unwrap();
    let v2 = s.add_model_version(&model("m")).unwrap();
    let run = s.start_scoring_run(v1.id, "cpu", "1").unwrap();
    let count = |s: &Store| -> i64 {
        s.conn
            .query_row("SELECT count(*) FROM item_scores", [], |r| r.get(0))
            .unwrap()
    };
    // Item 3 is a gap between 2 and 4; item 5 is past the end.
    for missing in [3, 5, 0] {
        let err = s
            .save_scores(run, v1.id, &[record(1, Some(0.5)), record(missing, Some(0.5))])
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound(ref m) if m == &format!("item {missing}")),
            "{err}"
        );
    }
    let err = s.save_scores(run, v2.id, &[record(1, Some(0.5))]).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert_eq!(count(&s), 0);
    s.save_scores(run, v1.id, &[record(1, Some(0.5)), record(4, Some(0.25))])
        .unwrap();
    assert_eq!(count(&s), 4);

    s.replace_queue_order(Some(v1.id), "margin", &[(4, 0.9), (1, 0.5)])
        .unwrap();
    let err = s
        .replace_queue_order(Some(v1.id), "margin", &[(1, 0.9), (3, 0.5)])
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(ref m) if m == "item 3"),
        "{err}"
    );
    let order: Vec<i64> = s
        .conn
        .prepare("SELECT item_id FROM queue_order ORDER BY position")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(order, [4, 1], "the order in force stays");
}
