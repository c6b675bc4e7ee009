//! Unit tests of the sync rules against the in-memory store: keys and parsers, media
//! pushes, reviews travelling back to their annotator, rounds; `trust.rs`: what the lead
//! refuses from the store; `limits.rs`: media folders and object caps.

mod limits;
mod trust;

use std::path::Path;

use super::layout::{is_media_key, media_key, parse_segment_key};
use super::wire::parse_segment;
use super::*;

#[test]
fn segment_keys_name_their_writer() {
    assert_eq!(
        parse_segment_key("results/alice/b-1/000001.jsonl"),
        Some(("alice", "b-1"))
    );
    assert_eq!(parse_segment_key("results/alice/b-1/x.jsonl"), None);
    assert_eq!(parse_segment_key("results/../b/000001.jsonl"), None);
    assert_eq!(parse_segment_key("results/alice/b/c/000001.jsonl"), None);
    assert_eq!(parse_segment_key("results/alice/.conditional-write-probe"), None);
}

#[test]
fn a_segment_without_its_trailer_is_rejected() {
    let line = r#"{"item":"00112233445566778899aabbccddeeff","version":1,"kind":"submitted","payload":{},"time_spent_ms":5,"created_at":"t"}"#;
    let full = format!("{line}\n{{\"end\":{{\"annotator\":\"a\",\"batch\":\"b\",\"lines\":1}}}}\n");
    assert_eq!(
        parse_segment(full.as_bytes(), "k", "a", "b")
            .map(|v| v.len())
            .ok(),
        Some(1)
    );
    let cut = format!("{line}\n");
    let err = parse_segment(cut.as_bytes(), "k", "a", "b")
        .err()
        .map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("incomplete")));
    // A trailer that claims another writer is not trusted either.
    let other = format!("{line}\n{{\"end\":{{\"annotator\":\"mallory\",\"batch\":\"b\",\"lines\":1}}}}\n");
    assert!(parse_segment(other.as_bytes(), "k", "a", "b").is_err());
}

#[test]
fn config_refuses_secrets_and_bad_names() {
    let mut c = SyncConfig {
        prefix: "team/a".into(),
        region: Some("garage".into()),
        endpoint: Some("http://127.0.0.1:3900".into()),
        path_style: true,
        ..SyncConfig::new("sift-data", SyncRole::Lead)
    };
    assert!(c.validate().is_ok());
    c.endpoint = Some("http://AKIA:secret@127.0.0.1:3900".into());
    assert!(c.validate().unwrap_err().to_string().contains("credentials"));
    c.endpoint = None;
    c.prefix = "/abs/".into();
    assert!(c.validate().is_err());
    c.prefix = String::new();
    c.bucket = "Bad_Bucket".into();
    assert!(c.validate().is_err());
}

#[test]
fn media_keys_are_content_addressed() {
    let sha = "ab".repeat(32);
    assert_eq!(
        media_key(&sha, Path::new("/x/photo.JPG")),
        format!("media/{sha}.jpg")
    );
    assert_eq!(media_key(&sha, Path::new("/x/noext")), format!("media/{sha}"));
    assert!(is_media_key(&format!("media/{sha}.jpg")));
    assert!(!is_media_key("media/../../etc/passwd"));
    assert!(!is_media_key(&format!("media/{sha}.j/pg")));
}

#[test]
fn pushing_media_hashes_while_uploading_and_sends_each_content_once() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    let mut manifest = String::new();
    for i in 0..300 {
        // Items 10 and 11 share their bytes; item 12's file is missing.
        let n = if i == 11 { 10 } else { i };
        let body = format!("image {n}").repeat(1 + n % 7);
        let path = media.join(format!("{i:03}.jpg"));
        if i != 12 {
            std::fs::write(&path, body).unwrap();
        }
        manifest += &format!("{}\n", serde_json::json!({ "source-ref": path }));
    }
    let manifest_path = dir.path().join("manifest.jsonl");
    std::fs::write(&manifest_path, manifest).unwrap();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labeling-templates/image-caption.toml");
    let mut project = crate::init_project(&dir.path().join("p"), &template, None).unwrap();
    project
        .import(
            &manifest_path,
            &crate::ImportOptions::default(),
            &crate::NoProgress,
        )
        .unwrap();
    project.create_batch(Some("b1"), 300, &[]).unwrap();
    project
        .set_sync_config(&SyncConfig {
            media: true,
            ..SyncConfig::new("bench", SyncRole::Lead)
        })
        .unwrap();
    let store = crate::memory_store::MemoryStore::default();
    let opts = SyncOptions::default();

    let first = project.sync_push(&store, &opts, &crate::NoProgress).unwrap();
    // The missing file is a problem of its item; everything else goes up once.
    assert_eq!(first.problems.len(), 1, "{:?}", first.problems);
    assert!(first.problems[0].contains("012.jpg"));
    assert_eq!((first.media_files, first.media_unchanged), (298, 0));
    let media_keys = || store.keys().iter().filter(|k| k.starts_with("media/")).count();
    assert_eq!(media_keys(), 298, "299 files, two with the same bytes");
    assert_eq!(store.take_upload_rounds().iter().sum::<usize>(), 298);

    // Only the file that appeared is sent; the others' hashes come from the cache.
    std::fs::write(media.join("012.jpg"), b"now here").unwrap();
    let again = project.sync_push(&store, &opts, &crate::NoProgress).unwrap();
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!((again.media_files, again.media_unchanged), (1, 299));
    assert_eq!(store.take_upload_rounds(), vec![1]);

    // An object gone from the store is sent again, under the cached hash's key.
    let path = media.join("005.jpg");
    let gone = media_key(&sha256_file(&path).unwrap(), &path);
    assert!(store.remove(&gone));
    let third = project.sync_push(&store, &opts, &crate::NoProgress).unwrap();
    assert_eq!((third.media_files, third.media_unchanged), (1, 299));
    assert!(store.keys().contains(&gone));
    assert_eq!(media_keys(), 299);

    // Status agrees with push: nothing pending after a push with media ...
    let status = project.sync_status(&store).unwrap();
    assert!(status.batches_to_push.is_empty(), "{:?}", status.batches_to_push);
    // ... a changed file makes its batch pending without status hashing anything ...
    std::fs::write(media.join("007.jpg"), b"edited").unwrap();
    assert_eq!(project.sync_status(&store).unwrap().batches_to_push, vec!["b1"]);
    project.sync_push(&store, &opts, &crate::NoProgress).unwrap();
    assert!(project.sync_status(&store).unwrap().batches_to_push.is_empty());
    // ... and so does an object gone from the store.
    assert!(store.remove(&gone));
    assert_eq!(project.sync_status(&store).unwrap().batches_to_push, vec!["b1"]);
}

pub(super) fn ranking_submission(first: &str) -> serde_json::Value {
    let ranks = serde_json::json!({ "0": 1, "1": 2, "2": 3, "3": 4 });
    serde_json::json!({
        "rankings": {"clarity": ranks, "accuracy": ranks, "harmlessness": ranks},
        "classifications": {"0": {"factual_error": "no"}, "1": {"factual_error": "yes"},
                            "2": {"factual_error": "unsure"}, "3": {"factual_error": "no"}},
        "rationale": format!("Response {first} is the clearest and gets the facts right.")
    })
}

/// A lead with two ranking items in batch `wk1` for `ann`, pushed to `store`; and the
/// annotator's project joined from it, with both items submitted and pushed, and merged
/// on the lead's side.
pub(super) fn lead_and_annotator(
    dir: &Path,
    store: &crate::memory_store::MemoryStore,
) -> (crate::Project, crate::Project) {
    let manifest = dir.join("items.jsonl");
    let lines: Vec<String> = (0..2)
        .map(|i| {
            serde_json::json!({"source": format!("Question {i}"), "prompt": format!("Question {i}"),
                "responses": ["Rayleigh scattering.", "The ocean.", "Blue light scatters more.", "Dust."]})
            .to_string()
        })
        .collect();
    std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labeling-templates/ranking.toml");
    let mut lead = crate::init_project(&dir.join("lead"), &template, None).unwrap();
    lead.import(&manifest, &crate::ImportOptions::default(), &crate::NoProgress)
        .unwrap();
    lead.add_annotator("ann", crate::Role::Annotator).unwrap();
    lead.add_annotator("rita", crate::Role::Reviewer).unwrap();
    lead.create_batch(Some("wk1"), 2, &["ann".to_owned()]).unwrap();
    lead.set_sync_config(&SyncConfig::new("team", SyncRole::Lead))
        .unwrap();
    let opts = SyncOptions::default();
    lead.sync_push(store, &opts, &crate::NoProgress).unwrap();
    let config = SyncConfig {
        annotator: Some("ann".into()),
        ..SyncConfig::new("team", SyncRole::Annotator)
    };
    let mut ann = join_project(&dir.join("ann"), store, &config).unwrap();
    ann.sync_pull(store, &opts, &crate::NoProgress).unwrap();
    let items: Vec<i64> = ann
        .store
        .batch_items_for_sync(1)
        .unwrap()
        .iter()
        .map(|r| r.item_id)
        .collect();
    assert_eq!(items.len(), 2);
    for id in items {
        ann.submit(id, "ann", &ranking_submission("0"), 1000).unwrap();
    }
    ann.sync_push(store, &opts, &crate::NoProgress).unwrap();
    lead.sync_pull(store, &opts, &crate::NoProgress).unwrap();
    (lead, ann)
}

#[test]
fn reviews_reach_their_annotator_once_and_never_undo_rework() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::memory_store::MemoryStore::default();
    let opts = SyncOptions::default();
    let (mut lead, mut ann) = lead_and_annotator(dir.path(), &store);
    let pending = lead.pending_reviews(10).unwrap();
    assert_eq!(pending.len(), 2);
    for (n, view) in pending.iter().enumerate() {
        lead.review(&crate::ReviewInput {
            annotation_id: view.id,
            version: view.submitted_version.unwrap(),
            reviewer: "rita",
            decision: sift_store::Decision::Returned,
            comment: Some(if n == 0 { "first" } else { "second" }),
            anchor: None,
        })
        .unwrap();
    }
    let pushed = lead.sync_push(&store, &opts, &crate::NoProgress).unwrap();
    assert_eq!(pushed.reviews, 2);
    assert!(store.keys().contains(&"batches/wk1/reviews/ann.jsonl".to_owned()));

    // Both come back to the annotator, returned, with their comments.
    let items: Vec<i64> = ann
        .store
        .batch_items_for_sync(1)
        .unwrap()
        .iter()
        .map(|r| r.item_id)
        .collect();
    assert_eq!(ann.sync_status(&store).unwrap().reviews_to_pull, vec!["wk1"]);
    let pulled = ann.sync_pull(&store, &opts, &crate::NoProgress).unwrap();
    assert!(pulled.problems.is_empty(), "{:?}", pulled.problems);
    assert_eq!((pulled.reviews, pulled.returned), (2, 2));
    let me = ann.store.annotator_by_name("ann").unwrap().unwrap().id;
    let state = |p: &crate::Project, item: i64| p.store.annotation(item, me).unwrap().unwrap().state;
    assert_eq!(state(&ann, items[0]), sift_core::AnnotationState::Returned);
    assert!(ann.sync_status(&store).unwrap().reviews_to_pull.is_empty());
    let view = ann.item(items[0], Some("ann")).unwrap();
    let comments: Vec<_> = view
        .annotation
        .unwrap()
        .reviews
        .into_iter()
        .map(|r| (r.reviewer, r.comment))
        .collect();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].0, "rita");

    // The annotator reworks one item; then the file is read again (its bytes changed,
    // here its spacing): nothing is recorded twice and the new submission is not set
    // back to returned.
    ann.submit(items[1], "ann", &ranking_submission("1"), 10).unwrap();
    assert_eq!(state(&ann, items[1]), sift_core::AnnotationState::Submitted);
    let key = "batches/wk1/reviews/ann.jsonl";
    let mut body = store.get(key, u64::MAX).unwrap().unwrap().body;
    body.splice(0..0, *b" ");
    let sha = sha256_hex(&body);
    store.put(key, body, &sha, PutMode::Overwrite).unwrap();
    assert_eq!(ann.sync_status(&store).unwrap().reviews_to_pull, vec!["wk1"]);
    let again = ann.sync_pull(&store, &opts, &crate::NoProgress).unwrap();
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!(again.reviews, 0);
    let first = ann.store.annotation(items[0], me).unwrap().unwrap();
    assert_eq!(ann.store.reviews(first.id).unwrap().len(), 1);
    assert_eq!(state(&ann, items[0]), sift_core::AnnotationState::Returned);
    assert_eq!(state(&ann, items[1]), sift_core::AnnotationState::Submitted);
}

/// `body` with `from` replaced by `to`, which must be there.
fn hostile_line(body: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.contains(from), "{text}");
    text.replace(from, to).into_bytes()
}

#[test]
fn a_damaged_reviews_file_is_a_problem_and_is_read_again_once_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::memory_store::MemoryStore::default();
    let opts = SyncOptions::default();
    let (mut lead, mut ann) = lead_and_annotator(dir.path(), &store);
    let view = &lead.pending_reviews(1).unwrap()[0];
    lead.review(&crate::ReviewInput {
        annotation_id: view.id,
        version: view.submitted_version.unwrap(),
        reviewer: "rita",
        decision: sift_store::Decision::Approved,
        comment: None,
        anchor: None,
    })
    .unwrap();
    lead.sync_push(&store, &opts, &crate::NoProgress).unwrap();
    let key = "batches/wk1/reviews/ann.jsonl";
    let whole = store.get(key, u64::MAX).unwrap().unwrap().body;
    let header_only = whole.split(|&b| b == b'\n').next().unwrap().to_vec();
    for (body, why) in [
        (header_only, "header says 1 reviews, the file has 0"),
        (
            b"{\"sift_reviews\":1,\"batch\":\"other\",\"annotator\":\"ann\",\"reviews\":0}\n".to_vec(),
            "header names other/ann",
        ),
        (b"not json\n".to_vec(), "reviews header"),
        (
            hostile_line(
                &whole,
                "\"reviewer\":\"rita\"",
                "\"reviewer\":\"<img src=x onerror=alert(1)>\"",
            ),
            "field \"reviewer\"",
        ),
        (
            hostile_line(
                &whole,
                "\"anchor\":null",
                "\"anchor\":\"{\\\"span\\\":\\\"../../etc\\\"}\"",
            ),
            "field \"anchor\"",
        ),
    ] {
        let sha = sha256_hex(&body);
        store.put(key, body, &sha, PutMode::Overwrite).unwrap();
        let pulled = ann.sync_pull(&store, &opts, &crate::NoProgress).unwrap();
        assert_eq!(pulled.reviews, 0);
        assert_eq!(pulled.problems.len(), 1, "{:?}", pulled.problems);
        assert!(
            pulled.problems[0].contains(key) && pulled.problems[0].contains(why),
            "{:?}",
            pulled.problems
        );
    }
    let sha = sha256_hex(&whole);
    store.put(key, whole, &sha, PutMode::Overwrite).unwrap();
    let pulled = ann.sync_pull(&store, &opts, &crate::NoProgress).unwrap();
    assert_eq!((pulled.reviews, pulled.returned), (1, 0), "{:?}", pulled.problems);
}

#[test]
fn annotators_push_first_and_leads_pull_first() {
    assert_eq!(
        SyncRole::Annotator.round_order(),
        [SyncDirection::Push, SyncDirection::Pull]
    );
    assert_eq!(
        SyncRole::Lead.round_order(),
        [SyncDirection::Pull, SyncDirection::Push]
    );
}

#[test]
fn a_round_runs_in_the_role_order_and_a_failure_says_what_finished_before_it() {
    use sift_error::{Code, ErrorCode as _};
    let dir = tempfile::tempdir().unwrap();
    let store = crate::memory_store::MemoryStore::default();
    let opts = SyncOptions::default();
    let (mut lead, mut ann) = lead_and_annotator(dir.path(), &store);
    let mut begun = Vec::new();
    let reports = lead
        .sync_round(&store, &opts, &crate::NoProgress, |d| begun.push(d))
        .unwrap();
    assert_eq!(begun, [SyncDirection::Pull, SyncDirection::Push]);
    let directions: Vec<&str> = reports.iter().map(|r| r.direction.as_str()).collect();
    assert_eq!(directions, ["pull", "push"]);

    // The annotator pushes first; when the pull after it fails, the error says what the
    // push moved and keeps the pull's code.
    assert!(store.remove("project.json"));
    let e = ann
        .sync_round(&store, &opts, &crate::NoProgress, |_| {})
        .unwrap_err();
    assert_eq!(e.done.len(), 1);
    assert_eq!(e.done[0].direction, "push");
    assert_eq!(e.code(), Code::NotFound);
    assert!(
        e.to_string()
            .ends_with("(the push before it finished: nothing to move)"),
        "{e}"
    );
}
