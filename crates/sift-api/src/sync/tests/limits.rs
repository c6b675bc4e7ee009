//! What a sync will not do, whatever the data asks: upload media from outside the project's
//! media folders.

use std::path::Path;

use crate::NoProgress;
use crate::memory_store::MemoryStore;
use crate::sync::{ObjectStore, SyncConfig, SyncOptions, SyncRole};

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
        let body = store.get(key).unwrap().unwrap().body;
        assert_eq!(body, b"a photo", "{key}");
    }
    // Status agrees: nothing more to push for files a push will not send.
    assert!(project.sync_status(&store).unwrap().batches_to_push.is_empty());
}
