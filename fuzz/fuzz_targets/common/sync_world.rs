#![allow(dead_code)] // each target uses part of the world
//! The sync world the sync targets fuzz: a lead and an annotator's project, joined through an
//! in-memory bucket, with one batch pushed, submitted, merged and reviewed, built once per
//! process in a temporary folder (under /dev/shm when there is one). The targets then put
//! one fuzzed object in the bucket and run a real pull through `sift-api`'s public API.
//!
//! `SIFT_FUZZ_WRITE_SEEDS=DIR` writes the real segment, reviews and assignments files of
//! this world to `DIR/<target>/` (how the committed seeds were made).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use sift_api::memory_store::MemoryStore;
use sift_api::{
    NoProgress, ObjectStore, Project, PutMode, ReviewInput, Role, SyncConfig, SyncOptions, SyncRole,
};

pub struct World {
    pub store: MemoryStore,
    pub lead: Project,
    pub ann: Project,
    /// Keeps the folder for the life of the process.
    _dir: tempfile::TempDir,
    /// Numbers the segments the lead is handed, so each one is new to it.
    pub next_segment: u64,
}

pub const BATCH: &str = "wk1";
pub const ANNOTATOR: &str = "ann";

fn world_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().expect("a temporary folder")
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn submission() -> serde_json::Value {
    let ranks = serde_json::json!({ "0": 1, "1": 2, "2": 3, "3": 4 });
    serde_json::json!({
        "rankings": {"clarity": ranks, "accuracy": ranks, "harmlessness": ranks},
        "classifications": {"0": {"factual_error": "no"}, "1": {"factual_error": "yes"},
                            "2": {"factual_error": "unsure"}, "3": {"factual_error": "no"}},
        "rationale": "Response 0 is the clearest and gets the facts right."
    })
}

fn build() -> World {
    let dir = world_dir();
    let store = MemoryStore::new("memory://fuzz");
    let manifest = dir.path().join("items.jsonl");
    let lines: Vec<String> = (0..3)
        .map(|i| {
            serde_json::json!({"source": format!("Question {i}"), "prompt": format!("Question {i}"),
                "responses": ["Rayleigh scattering.", "The ocean.", "Blue light scatters more.", "Dust."]})
            .to_string()
        })
        .collect();
    std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
    let template = repo_file("labeling-templates/ranking.toml");
    let mut lead = sift_api::init_project(&dir.path().join("lead"), &template, None).unwrap();
    lead.import(&manifest, &sift_api::ImportOptions::default(), &NoProgress)
        .unwrap();
    lead.add_annotator(ANNOTATOR, Role::Annotator).unwrap();
    lead.add_annotator("rita", Role::Reviewer).unwrap();
    lead.create_batch(Some(BATCH), 3, &[ANNOTATOR.to_owned()])
        .unwrap();
    lead.set_sync_config(&SyncConfig::new("team", SyncRole::Lead))
        .unwrap();
    let opts = SyncOptions::default();
    lead.sync_push(&store, &opts, &NoProgress).unwrap();
    let config = SyncConfig {
        annotator: Some(ANNOTATOR.into()),
        ..SyncConfig::new("team", SyncRole::Annotator)
    };
    let mut ann = sift_api::join_project(&dir.path().join("ann"), &store, &config).unwrap();
    ann.sync_pull(&store, &opts, &NoProgress).unwrap();
    for id in 1..=2 {
        ann.submit(id, ANNOTATOR, &submission(), 1000).unwrap();
    }
    ann.sync_push(&store, &opts, &NoProgress).unwrap();
    lead.sync_pull(&store, &opts, &NoProgress).unwrap();
    let pending = lead.pending_reviews(10).unwrap();
    for view in &pending {
        lead.review(&ReviewInput {
            annotation_id: view.id,
            version: view.submitted_version.unwrap(),
            reviewer: "rita",
            decision: sift_api::Decision::Returned,
            comment: Some("the second response is wrong"),
            anchor: None,
        })
        .unwrap();
    }
    lead.sync_push(&store, &opts, &NoProgress).unwrap();
    if let Ok(out) = std::env::var("SIFT_FUZZ_WRITE_SEEDS") {
        write_seeds(&store, Path::new(&out));
    }
    World {
        store,
        lead,
        ann,
        _dir: dir,
        next_segment: 1000,
    }
}

fn write_seeds(store: &MemoryStore, out: &Path) {
    for key in store.keys() {
        let target = if key.starts_with("results/") {
            "sync_segment"
        } else if key.contains("/reviews/") {
            "sync_reviews"
        } else if key.ends_with("/assignments.jsonl") {
            "sync_assignments"
        } else {
            continue;
        };
        let body = store.get(&key, u64::MAX).unwrap().unwrap().body;
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(key.replace('/', "_")), body).unwrap();
    }
}

/// The world, built on first use; libFuzzer runs inputs one at a time, the lock only keeps
/// the borrow checker honest.
pub fn world() -> std::sync::MutexGuard<'static, World> {
    static WORLD: OnceLock<Mutex<World>> = OnceLock::new();
    WORLD
        .get_or_init(|| Mutex::new(build()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Puts `body` at `key` as its writer would (with its SHA-256), so the pull reads it.
pub fn put(store: &MemoryStore, key: &str, body: &[u8]) {
    let sha = sift_api::sha256_hex(body);
    store
        .put(key, body.to_vec(), &sha, PutMode::Overwrite)
        .expect("the memory store takes any object");
}

/// A pull on either side: errors are answers (the input was refused), panics are bugs.
pub fn pull(project: &mut Project, store: &MemoryStore) {
    let _ = project.sync_pull(store, &SyncOptions::default(), &NoProgress);
}
