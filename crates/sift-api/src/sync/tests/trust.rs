//! What the lead takes from the store, and what it refuses: result segments of people the
//! project does not know, for items not assigned to their writer, with payloads that break
//! the template, with version numbers that skip ahead, or changing work that waits for
//! review or was approved; and segments read in order, a damaged one holding back the rest.

use serde_json::{Value, json};
use sift_core::AnnotationState;
use sift_manifest::ContentHash;

use super::{lead_and_annotator, ranking_submission};
use crate::memory_store::MemoryStore;
use crate::sync::{ObjectStore, PutMode, SyncOptions, sha256_hex};
use crate::{NoProgress, Project, ReviewInput};

/// Writes a segment of `lines` (item index, version, kind, payload) by `annotator` in batch
/// `wk1` of `lead`'s items, with a trailer that agrees with its key.
fn put_segment(
    store: &MemoryStore,
    lead: &Project,
    annotator: &str,
    seq: u32,
    lines: &[(usize, i64, &str, Value)],
) {
    let items = lead.store.batch_items_for_sync(1).unwrap();
    let mut body = String::new();
    for (item, version, kind, payload) in lines {
        body += &json!({"item": ContentHash(items[*item].content_hash).to_string(), "version": version,
                        "kind": kind, "payload": payload, "time_spent_ms": 10,
                        "created_at": "2030-01-01T00:00:00Z"})
        .to_string();
        body.push('\n');
    }
    body += &json!({"end": {"annotator": annotator, "batch": "wk1", "lines": lines.len()}}).to_string();
    body.push('\n');
    let key = format!("results/{annotator}/wk1/{seq:06}.jsonl");
    let sha = sha256_hex(body.as_bytes());
    store
        .put(&key, body.into_bytes(), &sha, PutMode::Overwrite)
        .unwrap();
}

/// `ann`'s annotation of the lead's item `n`: state, latest and submitted version.
fn work(lead: &Project, n: usize) -> (AnnotationState, i64, Option<i64>) {
    let item = lead.store.batch_items_for_sync(1).unwrap()[n].item_id;
    let ann = lead.store.annotator_by_name("ann").unwrap().unwrap().id;
    let a = lead.store.annotation(item, ann).unwrap().unwrap();
    (a.state, a.latest_version, a.submitted_version)
}

/// The lead reviews `ann`'s newest submission of item `n`.
fn review(lead: &mut Project, n: usize, decision: sift_store::Decision) {
    let item = lead.store.batch_items_for_sync(1).unwrap()[n].item_id;
    let ann = lead.store.annotator_by_name("ann").unwrap().unwrap().id;
    let a = lead.store.annotation(item, ann).unwrap().unwrap();
    lead.review(&ReviewInput {
        annotation_id: a.id,
        version: a.submitted_version.unwrap(),
        reviewer: "rita",
        decision,
        comment: Some("again"),
        anchor: None,
    })
    .unwrap();
}

fn pull(lead: &mut Project, store: &MemoryStore) -> crate::SyncReport {
    lead.sync_pull(store, &SyncOptions::default(), &NoProgress)
        .unwrap()
}

#[track_caller]
fn one_problem(report: &crate::SyncReport, needles: &[&str]) {
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    for n in needles {
        assert!(
            report.problems[0].contains(n),
            "{n:?} not in {:?}",
            report.problems
        );
    }
}

#[test]
fn segments_of_people_the_project_does_not_know_are_refused_and_add_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::default();
    let (mut lead, _ann) = lead_and_annotator(dir.path(), &store);
    put_segment(
        &store,
        &lead,
        "mallory",
        1,
        &[(0, 1, "submitted", ranking_submission("2"))],
    );
    let pulled = pull(&mut lead, &store);
    assert_eq!(pulled.versions, 0);
    one_problem(
        &pulled,
        &[
            "results/mallory/wk1/000001.jsonl",
            "\"mallory\" is not an annotator",
        ],
    );
    assert!(lead.store.annotator_by_name("mallory").unwrap().is_none());
    // Not recorded as merged: once the lead adds them, their work is merged.
    assert_eq!(lead.sync_status(&store).unwrap().segments_to_pull.len(), 1);
    lead.add_annotator("mallory", crate::Role::Annotator).unwrap();
    let pulled = pull(&mut lead, &store);
    one_problem(&pulled, &["not assigned to mallory"]);
}

#[test]
fn versions_are_taken_only_for_items_assigned_to_their_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::default();
    let (mut lead, _ann) = lead_and_annotator(dir.path(), &store);
    lead.add_annotator("bob", crate::Role::Annotator).unwrap();
    put_segment(
        &store,
        &lead,
        "bob",
        1,
        &[(1, 1, "submitted", ranking_submission("1"))],
    );
    let pulled = pull(&mut lead, &store);
    assert_eq!(pulled.versions, 0);
    one_problem(
        &pulled,
        &["000001.jsonl:1", "not assigned to bob in batch \"wk1\""],
    );
    let bob = lead.store.annotator_by_name("bob").unwrap().unwrap().id;
    let item = lead.store.batch_items_for_sync(1).unwrap()[1].item_id;
    assert!(lead.store.annotation(item, bob).unwrap().is_none());
}

#[test]
fn merged_payloads_must_meet_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::default();
    let (mut lead, _ann) = lead_and_annotator(dir.path(), &store);
    review(&mut lead, 0, sift_store::Decision::Returned);
    // A submission missing every ranking, and a draft whose rationale is not text.
    put_segment(
        &store,
        &lead,
        "ann",
        2,
        &[(0, 2, "submitted", json!({"rationale": "done"}))],
    );
    let pulled = pull(&mut lead, &store);
    assert_eq!(pulled.versions, 0);
    one_problem(&pulled, &["000002.jsonl:1", "breaks the template"]);
    put_segment(
        &store,
        &lead,
        "ann",
        3,
        &[(0, 2, "draft", json!({"rationale": 5}))],
    );
    let pulled = pull(&mut lead, &store);
    assert_eq!(pulled.versions, 0);
    one_problem(&pulled, &["000003.jsonl:1", "breaks the template"]);
    assert_eq!(work(&lead, 0), (AnnotationState::Returned, 1, Some(1)));
    // Rework that meets the template is merged.
    put_segment(
        &store,
        &lead,
        "ann",
        4,
        &[(0, 2, "submitted", ranking_submission("3"))],
    );
    let pulled = pull(&mut lead, &store);
    assert!(pulled.problems.is_empty(), "{:?}", pulled.problems);
    assert_eq!(work(&lead, 0), (AnnotationState::Submitted, 2, Some(2)));
}

#[test]
fn a_segment_cannot_skip_version_numbers_nor_change_work_that_was_not_returned() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::default();
    let (mut lead, _ann) = lead_and_annotator(dir.path(), &store);
    // Item 0 waits for review: a new version cannot replace what the reviewer will judge.
    put_segment(
        &store,
        &lead,
        "ann",
        2,
        &[(0, 2, "submitted", ranking_submission("1"))],
    );
    let pulled = pull(&mut lead, &store);
    one_problem(&pulled, &["000002.jsonl:1", "waits for review"]);
    assert_eq!(work(&lead, 0), (AnnotationState::Submitted, 1, Some(1)));

    // Item 1 was returned: a version that skips numbers cannot take the place of the rework
    // (nor flip it to submitted), and repeating the returned version changes nothing.
    review(&mut lead, 1, sift_store::Decision::Returned);
    put_segment(
        &store,
        &lead,
        "ann",
        3,
        &[
            (1, 1, "submitted", ranking_submission("0")),
            (1, 7, "submitted", ranking_submission("2")),
        ],
    );
    let pulled = pull(&mut lead, &store);
    assert_eq!((pulled.versions, pulled.duplicate_versions), (0, 1));
    one_problem(
        &pulled,
        &["000003.jsonl:2", "version 7", "the newest merged is 1"],
    );
    assert_eq!(work(&lead, 1), (AnnotationState::Returned, 1, Some(1)));
    // The next version is the rework, and goes to review.
    put_segment(
        &store,
        &lead,
        "ann",
        4,
        &[(1, 2, "submitted", ranking_submission("2"))],
    );
    let pulled = pull(&mut lead, &store);
    assert!(pulled.problems.is_empty(), "{:?}", pulled.problems);
    assert_eq!(work(&lead, 1), (AnnotationState::Submitted, 2, Some(2)));

    // Approved work stays as approved: the label is the version the reviewer judged.
    review(&mut lead, 0, sift_store::Decision::Approved);
    put_segment(
        &store,
        &lead,
        "ann",
        5,
        &[(0, 2, "submitted", ranking_submission("3"))],
    );
    let pulled = pull(&mut lead, &store);
    one_problem(&pulled, &["000005.jsonl:1", "approved"]);
    assert_eq!(work(&lead, 0), (AnnotationState::Approved, 1, Some(1)));
}

#[test]
fn a_damaged_segment_holds_back_the_later_ones_of_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::default();
    let (mut lead, _ann) = lead_and_annotator(dir.path(), &store);
    review(&mut lead, 1, sift_store::Decision::Returned);
    put_segment(
        &store,
        &lead,
        "ann",
        2,
        &[(1, 2, "draft", json!({"rationale": "r"}))],
    );
    put_segment(
        &store,
        &lead,
        "ann",
        3,
        &[(1, 3, "submitted", ranking_submission("2"))],
    );
    // Segment 2 cut short: no trailer.
    let key = "results/ann/wk1/000002.jsonl";
    let whole = store.get(key, u64::MAX).unwrap().unwrap().body;
    let cut: Vec<u8> = whole.split_inclusive(|&b| b == b'\n').next().unwrap().to_vec();
    let sha = sha256_hex(&cut);
    store.put(key, cut, &sha, PutMode::Overwrite).unwrap();
    let pulled = pull(&mut lead, &store);
    assert_eq!(pulled.versions, 0);
    assert_eq!(pulled.problems.len(), 2, "{:?}", pulled.problems);
    assert!(pulled.problems[0].contains("incomplete"), "{:?}", pulled.problems);
    assert!(
        pulled.problems[1].contains("000003.jsonl") && pulled.problems[1].contains("waits for"),
        "{:?}",
        pulled.problems
    );
    // Whole again: both merge, in order.
    let sha = sha256_hex(&whole);
    store.put(key, whole, &sha, PutMode::Overwrite).unwrap();
    let pulled = pull(&mut lead, &store);
    assert!(pulled.problems.is_empty(), "{:?}", pulled.problems);
    assert_eq!(pulled.versions, 2);
    assert_eq!(work(&lead, 1), (AnnotationState::Submitted, 3, Some(3)));
}

#[test]
fn an_annotator_with_a_results_bucket_of_their_own_is_read_from_there_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new("s3://team at memory");
    let opts = SyncOptions::default();
    let (mut lead, mut ann) = lead_and_annotator(dir.path(), &store);
    let mut config = lead.require_sync_config().unwrap();
    config.results_buckets = Some([("ann".to_owned(), "team-ann".to_owned())].into());
    lead.set_sync_config(&config).unwrap();
    lead.sync_push(&store, &opts, &NoProgress).unwrap();
    // The annotator learns it from project.json: its next push goes to its own bucket.
    review(&mut lead, 1, sift_store::Decision::Returned);
    lead.sync_push(&store, &opts, &NoProgress).unwrap();
    ann.sync_pull(&store, &opts, &NoProgress).unwrap();
    let item = ann.store.batch_items_for_sync(1).unwrap()[1].item_id;
    ann.submit(item, "ann", &ranking_submission("2"), 10).unwrap();
    let pushed = ann.sync_push(&store, &opts, &NoProgress).unwrap();
    assert_eq!(pushed.segments, ["results/ann/wk1/000001.jsonl"]);
    let own = store.sibling("team-ann").unwrap();
    assert!(
        own.get("results/ann/wk1/000001.jsonl", u64::MAX)
            .unwrap()
            .is_some()
    );
    // Work under ann's name in the shared bucket is not taken for theirs.
    put_segment(
        &store,
        &lead,
        "ann",
        7,
        &[(1, 2, "submitted", ranking_submission("3"))],
    );
    let pulled = pull(&mut lead, &store);
    assert_eq!(pulled.versions, 1);
    one_problem(&pulled, &["results/ann/wk1/000007.jsonl", "bucket \"team-ann\""]);
    assert_eq!(work(&lead, 1), (AnnotationState::Submitted, 2, Some(2)));
    // Status does not offer what a pull will never take.
    assert!(lead.sync_status(&store).unwrap().segments_to_pull.is_empty());
}
