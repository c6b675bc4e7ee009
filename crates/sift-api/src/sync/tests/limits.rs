//! What a sync will not do, whatever the data asks: upload media from outside the project's
//! media folders, or read a remote object into memory past its cap.

use std::path::Path;

use serde_json::json;

use super::{lead_and_annotator, ranking_submission};
use crate::NoProgress;
use crate::memory_store::MemoryStore;
use crate::sync::{ObjectStore, PutMode, SyncConfig, SyncOptions, SyncRole, sha256_hex};

#[test]
fn a_push_uploads_media_from_inside_the_media_folders_only() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    let private = dir.path().join("private");
    std::fs::create_dir_all(&photos).unwrap();
    std::fs::create_dir_all(&private).unwrap();
    std::fs::write(photos.join("a.jpg"), b"a photo").unwrap();
    std::fs::write(private.join("credentials"), b"aws_secret_access_key = top secret").unwrap();
    std::fs::write(private.join("c.jpg"), b"a private photo").unwrap();
    // A link inside the media folder that leads out of it.
    std::os::unix::fs::symlink(private.join("credentials"), photos.join("link.jpg")).unwrap();
    let manifest = photos.join("manifest.jsonl");
    std::fs::write(
        &manifest,
        "{\"source-ref\":\"a.jpg\"}\n{\"source-ref\":\"link.jpg\"}\n{\"source-ref\":\"sub/../a.jpg\",\"n\":3}\n",
    )
    .unwrap();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labeling-templates/image-caption.toml");
    let mut project = crate::init_project(&dir.path().join("p"), &template, None).unwrap();
    project
        .import(&manifest, &crate::ImportOptions::default(), &NoProgress)
        .unwrap();
    project.store.add_media_root(&photos.to_string_lossy()).unwrap();
    // The third item names a file outside every media folder by its absolute path.
    project
        .store
        .set_media_ref(3, &private.join("c.jpg").to_string_lossy())
        .unwrap();
    project.create_batch(Some("b1"), 3, &[]).unwrap();
    project
        .set_sync_config(&SyncConfig {
            media: true,
            ..SyncConfig::new("team", SyncRole::Lead)
        })
        .unwrap();
    let store = MemoryStore::default();
    let pushed = project
        .sync_push(&store, &SyncOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(pushed.media_files, 1, "{:?}", pushed.problems);
    assert_eq!(pushed.problems.len(), 2, "{:?}", pushed.problems);
    for (problem, file) in pushed.problems.iter().zip(["link.jpg", "c.jpg"]) {
        assert!(
            problem.contains(file) && problem.contains("outside the project's media folders"),
            "{problem}"
        );
    }
    for key in store.keys().iter().filter(|k| k.starts_with("media/")) {
        let body = store.get(key, u64::MAX).unwrap().unwrap().body;
        assert_eq!(body, b"a photo", "{key}");
    }
    // Status agrees: nothing more to push for files a push will not send.
    assert!(project.sync_status(&store).unwrap().batches_to_push.is_empty());
}

#[test]
fn objects_larger_than_the_cap_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::default();
    let (mut lead, mut ann) = lead_and_annotator(dir.path(), &store);
    let small = SyncOptions {
        max_object_bytes: 300,
        ..SyncOptions::default()
    };

    // A result segment: a problem of the pull, not merged, read again with a larger cap.
    let items = lead.store.batch_items_for_sync(1).unwrap();
    let ann_id = lead.store.annotator_by_name("ann").unwrap().unwrap().id;
    let returned = lead.store.annotation(items[1].item_id, ann_id).unwrap().unwrap();
    lead.review(&crate::ReviewInput {
        annotation_id: returned.id,
        version: 1,
        reviewer: "rita",
        decision: sift_store::Decision::Returned,
        comment: Some("again"),
        anchor: None,
    })
    .unwrap();
    let line = json!({"item": sift_manifest::ContentHash(items[1].content_hash).to_string(), "version": 2,
                      "kind": "submitted", "payload": ranking_submission("2"), "time_spent_ms": 5,
                      "created_at": "2030-01-01T00:00:00Z"});
    let body = format!(
        "{line}\n{}\n",
        json!({"end": {"annotator": "ann", "batch": "wk1", "lines": 1}})
    );
    assert!(body.len() > 300);
    let key = "results/ann/wk1/000002.jsonl";
    store
        .put(
            key,
            body.clone().into_bytes(),
            &sha256_hex(body.as_bytes()),
            PutMode::Overwrite,
        )
        .unwrap();
    let pulled = lead.sync_pull(&store, &small, &NoProgress).unwrap();
    assert_eq!(pulled.versions, 0);
    assert_eq!(pulled.problems.len(), 1, "{:?}", pulled.problems);
    assert!(
        pulled.problems[0].contains(key) && pulled.problems[0].contains("larger than the 300 bytes"),
        "{:?}",
        pulled.problems
    );
    let pulled = lead
        .sync_pull(&store, &SyncOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(pulled.versions, 1, "{:?}", pulled.problems);

    // The lead's files: a pull that would read more refuses, naming the object.
    let e = ann.sync_pull(&store, &small, &NoProgress).unwrap_err();
    assert!(
        e.to_string().contains("project.json") && e.to_string().contains("larger than"),
        "{e}"
    );
    let roomy = SyncOptions {
        max_object_bytes: 64 << 10,
        ..SyncOptions::default()
    };
    lead.sync_push(&store, &SyncOptions::default(), &NoProgress)
        .unwrap();
    let assignments = store
        .get("batches/wk1/assignments.jsonl", u64::MAX)
        .unwrap()
        .unwrap();
    let padded = [assignments.body.as_slice(), &vec![b'\n'; 64 << 10]].concat();
    store
        .put(
            "batches/wk1/assignments.jsonl",
            padded.clone(),
            &sha256_hex(&padded),
            PutMode::Overwrite,
        )
        .unwrap();
    let e = ann.sync_pull(&store, &roomy, &NoProgress).unwrap_err();
    assert!(
        e.to_string().contains("assignments.jsonl") && e.to_string().contains("larger than"),
        "{e}"
    );
}

#[test]
fn sync_lines_longer_than_the_cap_are_refused_unparsed() {
    use crate::sync::wire::{MAX_LINE_BYTES, parse_assignments, parse_reviews, parse_segment};
    let item = "00112233445566778899aabbccddeeff";
    let long = "x".repeat(MAX_LINE_BYTES);
    // The value parsed is never printed: it is megabytes long.
    fn refused<T>(read: crate::Result<T>, file: &str, line: u64) {
        let Err(e) = read else {
            panic!("{file}: a line over the cap was read");
        };
        let e = e.to_string();
        assert!(
            e.starts_with(&format!("{file}:{line}: ")) && e.contains("longer than the"),
            "{e}"
        );
    }

    // A result segment: one version whose payload is longer than a line may be.
    let version = json!({"item": item, "version": 1, "kind": "submitted", "payload": {"note": long},
                         "time_spent_ms": 5, "created_at": "t"});
    let trailer = json!({"end": {"annotator": "a", "batch": "b", "lines": 1}});
    let segment = format!("{version}\n{trailer}\n");
    refused(parse_segment(segment.as_bytes(), "seg", "a", "b"), "seg", 1);

    // A reviews file: a comment longer than a line may be.
    let header = json!({"sift_reviews": 1, "batch": "b", "annotator": "a", "reviews": 1});
    let review = json!({"item": item, "version": 1, "decision": "returned", "comment": long,
                        "anchor": null, "reviewer": "rita", "created_at": "t"});
    let reviews = format!("{header}\n{review}\n");
    refused(parse_reviews(reviews.as_bytes(), "rev", "b", "a"), "rev", 2);

    // Assignments: an item given to a list of names longer than a line may be.
    let header = json!({"sift_batch": 1, "batch": "b", "manifest_sha256": "0".repeat(64), "items": 1});
    let assignment = json!({"item": item, "position": 0, "annotators": ["a", long]});
    let assignments = format!("{header}\n{assignment}\n");
    refused(parse_assignments(assignments.as_bytes(), "asg", "a"), "asg", 2);

    // Exactly at the cap is still read (the cap is on the line, not on what it holds).
    let short = "y".repeat(long.len() - (review.to_string().len() - MAX_LINE_BYTES));
    let review = json!({"item": item, "version": 1, "decision": "returned", "comment": short,
                        "anchor": null, "reviewer": "rita", "created_at": "t"});
    assert_eq!(review.to_string().len(), MAX_LINE_BYTES);
    let header = json!({"sift_reviews": 1, "batch": "b", "annotator": "a", "reviews": 1});
    let reviews = format!("{header}\n{review}\n");
    let read = parse_reviews(reviews.as_bytes(), "rev", "b", "a").map(|r| r.len());
    assert!(matches!(read, Ok(1)), "{:?}", read.map_err(|e| e.to_string()));
}
