//! The Lab's queries on real project files: listings, search (indexed, half indexed and
//! not indexed give the same answers), overview counts, assignments, and the signals.

use std::path::Path;

use sift_core::{Action, Role};

use super::*;
use crate::tests::new_store;
use crate::{ImportStats, NewBatch, NewImport, ScoreRecord, Store, StoreError};

/// Items whose `text` is each of `texts`, ids 1.. in order.
fn import(store: &mut Store, texts: &[&str]) {
    let items: Vec<(String, [u8; 16])> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let content = serde_json::json!({ "text": text, "n": i }).to_string();
            let hash = *blake3::hash(content.as_bytes()).as_bytes();
            let mut h = [0u8; 16];
            h.copy_from_slice(&hash[..16]);
            (content, h)
        })
        .collect();
    crate::tests::import_items(store, &items);
}

const TEXTS: &[&str] = &[
    "The Millau Viaduct crosses the Tarn valley",
    "Honeybees dance to show where food is",
    "A café in Zürich serves crème brûlée",
    "Bridges and viaducts carry roads over valleys",
    "The honey badger is fearless",
    "Nothing to see here",
];

/// Six items; ann (annotator) submits 1 and drafts 2, bob submits 1 and 3, lead approves
/// bob's 3; a batch holds 4 and 5 (5 assigned to ann); a model scored every item.
fn populated(dir: &Path) -> (Store, i64, i64) {
    let mut store = new_store(dir);
    import(&mut store, TEXTS);
    let ann = store.add_annotator("ann", Role::Annotator, None).unwrap().id;
    let bob = store.add_annotator("bob", Role::Annotator, None).unwrap().id;
    let lead = store.add_annotator("lead", Role::Lead, None).unwrap().id;
    store.record_work(1, ann, Action::Submit, "{}", 60_000).unwrap();
    store
        .record_work(2, ann, Action::SaveDraft, "{}", 30_000)
        .unwrap();
    store.record_work(1, bob, Action::Submit, "{}", 1_000).unwrap();
    let a3 = store.record_work(3, bob, Action::Submit, "{}", 1_000).unwrap();
    store
        .review(
            a3.id,
            a3.latest_version,
            lead,
            crate::Decision::Approved,
            None,
            None,
        )
        .unwrap();
    store
        .create_batch(&NewBatch {
            name: "b1",
            strategy: None,
            model_version_id: None,
            items: &[(4, None), (5, None)],
            assign_to: &[],
            overlap: 1,
        })
        .unwrap();
    let model = store
        .add_model_version(&crate::NewModelVersion {
            name: "m",
            file_hash: "h",
            file_path: "m.onnx",
            config: "",
            signature: None,
        })
        .unwrap()
        .id;
    let run = store.start_scoring_run(model, "cpu", "test").unwrap();
    let records: Vec<ScoreRecord> = (1..=6)
        .map(|id| ScoreRecord {
            item_id: id,
            scores: vec![("margin".into(), Some(id as f64 / 10.0))],
            error: None,
            embedding: Some(vec![id as f32, 1.0, 0.5]),
        })
        .collect();
    store.save_scores(run, model, &records).unwrap();
    (store, ann, model)
}

fn ids(store: &Store, filter: &ItemFilter, sort: &ItemSort) -> Vec<i64> {
    store.list_item_ids(filter, sort).unwrap()
}

#[test]
fn listings_filter_and_sort() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ann, model) = populated(dir.path());
    let all = ItemFilter::default();
    assert_eq!(ids(&store, &all, &ItemSort::default()), vec![1, 2, 3, 4, 5, 6]);
    let by_state = |states: Vec<ItemState>| ItemFilter {
        states,
        ..ItemFilter::default()
    };
    assert_eq!(
        ids(
            &store,
            &by_state(vec![ItemState::Unlabeled]),
            &ItemSort::default()
        ),
        vec![4, 5, 6]
    );
    assert_eq!(
        ids(
            &store,
            &by_state(vec![ItemState::Submitted]),
            &ItemSort::default()
        ),
        vec![1]
    );
    assert_eq!(
        ids(
            &store,
            &by_state(vec![ItemState::Approved, ItemState::Draft]),
            &ItemSort::default()
        ),
        vec![2, 3]
    );
    let b1 = store.batch_progress().unwrap()[0].id;
    let in_batch = ItemFilter {
        batch: Some(BatchFilter::Batch(b1)),
        ..ItemFilter::default()
    };
    assert_eq!(ids(&store, &in_batch, &ItemSort::default()), vec![4, 5]);
    let no_batch = ItemFilter {
        batch: Some(BatchFilter::NoBatch),
        ..ItemFilter::default()
    };
    assert_eq!(ids(&store, &no_batch, &ItemSort::default()), vec![1, 2, 3, 6]);
    store.add_assignments(&[(b1, 5, ann)], Some("lead")).unwrap();
    let anns = ItemFilter {
        annotator_id: Some(ann),
        ..ItemFilter::default()
    };
    assert_eq!(ids(&store, &anns, &ItemSort::default()), vec![1, 2, 5]);
    let scored = ItemFilter {
        score: Some(ScoreFilter {
            model_version_id: model,
            strategy: "margin".into(),
            min: 0.25,
            max: 0.45,
        }),
        ..ItemFilter::default()
    };
    assert_eq!(ids(&store, &scored, &ItemSort::default()), vec![3, 4]);
    let by_score = ItemSort {
        key: SortKey::Score {
            model_version_id: model,
            strategy: "margin".into(),
        },
        descending: true,
    };
    assert_eq!(ids(&store, &all, &by_score), vec![6, 5, 4, 3, 2, 1]);
    let by_state_sort = ItemSort {
        key: SortKey::State,
        descending: true,
    };
    assert_eq!(ids(&store, &all, &by_state_sort), vec![3, 1, 2, 4, 5, 6]);
    let descending = ItemSort {
        key: SortKey::Id,
        descending: true,
    };
    assert_eq!(ids(&store, &all, &descending), vec![6, 5, 4, 3, 2, 1]);
    let updated = ItemSort {
        key: SortKey::Updated,
        descending: true,
    };
    assert_eq!(
        ids(&store, &all, &updated)[3..],
        [4, 5, 6],
        "never-worked items last"
    );
}

#[test]
fn rows_come_back_in_the_order_asked_with_state_people_batch_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _, model) = populated(dir.path());
    let rows = store.item_list_rows(&[3, 1, 99, 4], Some(model)).unwrap();
    let got: Vec<i64> = rows.iter().map(|r| r.id).collect();
    assert_eq!(got, vec![3, 1, 4], "unknown ids are left out, the order is kept");
    assert_eq!(rows[0].state, ItemState::Approved);
    assert_eq!(rows[1].state, ItemState::Submitted);
    assert_eq!(rows[1].annotators, "ann, bob");
    assert_eq!(rows[2].state, ItemState::Unlabeled);
    assert_eq!(rows[2].batch.as_deref(), Some("b1"));
    assert_eq!(rows[0].scores, vec![("margin".to_owned(), Some(0.3))]);
    assert!(rows[0].content_head.contains("Zürich"));
    assert!(store.item_list_rows(&[1], None).unwrap()[0].scores.is_empty());
}

#[test]
fn search_gives_the_same_answers_before_during_and_after_indexing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _, _) = populated(dir.path());
    let find = |store: &Store, q: &str| {
        ids(
            store,
            &ItemFilter {
                search: Some(q.to_owned()),
                ..ItemFilter::default()
            },
            &ItemSort::default(),
        )
    };
    let queries = [
        "viaduct",
        "honey",
        "valley",
        "the",
        "Zürich",
        "nothing here",
        "\"quoted\" OR x*",
    ];
    let unindexed: Vec<Vec<i64>> = queries.iter().map(|q| find(&store, q)).collect();
    assert_eq!(unindexed[0], vec![1, 4]);
    assert_eq!(
        unindexed[1],
        vec![2, 5],
        "the last word matches as a prefix (honeybees)"
    );
    assert_eq!(store.search_index_status().unwrap().pending, 6);
    assert_eq!(store.index_for_search(4).unwrap(), 4);
    let status = store.search_index_status().unwrap();
    assert_eq!((status.indexed_upto, status.pending), (4, 2));
    let half: Vec<Vec<i64>> = queries.iter().map(|q| find(&store, q)).collect();
    assert_eq!(store.index_for_search(100).unwrap(), 2);
    assert_eq!(store.index_for_search(100).unwrap(), 0, "nothing left to index");
    let indexed: Vec<Vec<i64>> = queries.iter().map(|q| find(&store, q)).collect();
    assert_eq!(indexed[1], vec![2, 5]);
    assert_eq!(indexed[2], vec![1, 4], "tokens: 'valley' and 'valleys' by prefix");
    assert_eq!(indexed[4], vec![3]);
    assert_eq!(indexed[5], vec![6]);
    assert!(
        indexed[6].is_empty(),
        "FTS syntax in the input is searched as words"
    );
    // The scan matches substrings, the index whole tokens by prefix; for these queries the
    // answers agree.
    assert_eq!(unindexed[..5], indexed[..5]);
    assert_eq!(half[..5], indexed[..5]);
    // Diacritics: the index finds "creme" in "crème" (the scan cannot).
    assert_eq!(find(&store, "creme brulee"), vec![3]);
}

#[test]
fn fts_queries_quote_every_word() {
    assert_eq!(fts_query("  "), None);
    assert_eq!(fts_query("a b").as_deref(), Some("\"a\" \"b\"*"));
    assert_eq!(fts_query("NEAR(\"x\" y)").as_deref(), Some("\"NEAR(x\" \"y)\"*"));
}

#[test]
fn overview_counts_items_people_and_batches() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _, _) = populated(dir.path());
    let counts = store.item_state_counts().unwrap();
    assert_eq!(
        counts,
        ItemStateCounts {
            total: 6,
            unlabeled: 3,
            draft: 1,
            returned: 0,
            submitted: 1,
            approved: 1,
        }
    );
    let people = store.annotator_activity().unwrap();
    let ann = people.iter().find(|p| p.name == "ann").unwrap();
    assert_eq!((ann.submitted, ann.drafts, ann.time_spent_ms), (1, 1, 90_000));
    let bob = people.iter().find(|p| p.name == "bob").unwrap();
    assert_eq!((bob.submitted, bob.approved), (1, 1));
    let lead = people.iter().find(|p| p.name == "lead").unwrap();
    assert_eq!(lead.reviews_given, 1);
    let batches = store.batch_progress().unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(
        (batches[0].items, batches[0].assigned, batches[0].states.unlabeled),
        (2, 0, 2)
    );
    assert_eq!(store.reviews_waiting().unwrap(), 2);
}

#[test]
fn histograms_bin_scores_between_their_extremes() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _, model) = populated(dir.path());
    let (lo, hi, counts) = store.score_histogram(model, "margin", 5).unwrap().unwrap();
    assert!((lo - 0.1).abs() < 1e-9 && (hi - 0.6).abs() < 1e-9);
    assert_eq!(counts.iter().sum::<u64>(), 6);
    assert_eq!(counts, vec![1, 1, 1, 1, 2]);
    assert!(store.score_histogram(model, "entropy", 5).unwrap().is_none());
    assert_eq!(store.newest_scored_model_version().unwrap(), Some(model));
    assert_eq!(store.score_strategies(model).unwrap(), vec!["margin".to_owned()]);
}

#[test]
fn assignments_stay_inside_batches() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, ann, _) = populated(dir.path());
    let b1 = store.batch_progress().unwrap()[0].id;
    assert_eq!(
        store.newest_batch_of(&[4, 1]).unwrap(),
        vec![(4, Some(b1)), (1, None)]
    );
    assert_eq!(
        store
            .add_assignments(&[(b1, 4, ann), (b1, 5, ann)], None)
            .unwrap(),
        2
    );
    assert_eq!(
        store.add_assignments(&[(b1, 4, ann)], None).unwrap(),
        0,
        "already assigned"
    );
    let outside = store.add_assignments(&[(b1, 1, ann)], None);
    assert!(matches!(outside, Err(StoreError::Conflict(_))), "{outside:?}");
    assert_eq!(store.batch_progress().unwrap()[0].assigned, 2);
}

#[test]
fn map_vectors_come_from_embeddings_or_a_numeric_field() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _, model) = populated(dir.path());
    let sources = store.embedding_sources().unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!((sources[0].dim, sources[0].items), (3, 6));
    let v = store.embedding_vectors(model, 3, 4).unwrap();
    assert_eq!(v.ids, vec![1, 2, 3, 4]);
    assert_eq!(&v.values[3..6], &[2.0, 1.0, 0.5]);
    let n = store.field_vectors("n", 10).unwrap();
    assert!(n.ids.is_empty() && n.skipped == 0, "a number is not an array");
    let mut tx = store
        .begin_import(&NewImport {
            file: "f.jsonl",
            format: "gt",
            media_root: None,
        })
        .unwrap();
    for (i, f) in ["[1, 2]", "[3, 4]", "[5]", "[\"x\", 1]"].iter().enumerate() {
        tx.insert_item(
            &format!("{{\"features\": {f}}}"),
            &[100 + i as u8; 16],
            None,
            i as u64 + 1,
        )
        .unwrap();
    }
    tx.commit(&ImportStats::default(), None, &serde_json::json!({}))
        .unwrap();
    let f = store.field_vectors("features", 10).unwrap();
    assert_eq!(
        (f.ids, f.dim, f.values, f.skipped),
        (vec![7, 8], 2, vec![1.0, 2.0, 3.0, 4.0], 2)
    );
    let info = store.item_map_info(&[3, 6], Some((model, "margin"))).unwrap();
    assert_eq!(info[0].state_rank, ItemState::Approved.rank());
    assert_eq!(info[1].score, Some(0.6));
    assert_eq!(info[1].annotator_id, None);
}

#[test]
fn data_version_moves_when_another_connection_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _, _) = populated(dir.path());
    let watcher = Store::open(&dir.path().join("p.sift")).unwrap();
    let before = watcher.data_version().unwrap();
    assert_eq!(watcher.data_version().unwrap(), before, "nothing changed");
    store.set_setting("x", "1").unwrap();
    assert_ne!(watcher.data_version().unwrap(), before);
}

#[test]
fn an_interrupted_statement_fails_as_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let interrupter = store.interrupter();
    let stop = std::thread::spawn(move || {
        for _ in 0..200 {
            std::thread::sleep(std::time::Duration::from_millis(10));
            interrupter.interrupt();
        }
    });
    let long: rusqlite::Result<i64> = store.conn.query_row(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) SELECT count(*) FROM c",
        [],
        |r| r.get(0),
    );
    let error = StoreError::from(long.unwrap_err());
    assert!(is_interrupted(&error), "{error}");
    stop.join().unwrap();
}
