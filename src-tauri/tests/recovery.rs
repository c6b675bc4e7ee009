//! Recovery from backup through the real Tauri commands (the mock runtime, with the app's
//! capabilities enforced): a recent project whose folder is gone is offered back from its
//! bucket (`recovery_candidates`), and `restore_project` rebuilds it in its folder, opens it
//! and turns its backup on again. The bucket is the in-memory object store the sync command
//! tests use (the Garage end-to-end restore is `tests/backup.rs`), reached through the
//! same connector as sync.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sift_api::backup::BackupConfig;
use sift_api::memory_store::MemoryStore;
use sift_api::{ObjectStore, Project, RemoteError, RemoteErrorKind, Role, SyncConfig};
use sift_desktop::commands::{Picker, handler};
use sift_desktop::desktop::Desktop;
use sift_desktop::media::MediaServer;
use sift_desktop::recent::RecentList;
use sift_desktop::sync::Syncer;
use tauri::WebviewWindowBuilder;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::{InvokeRequest, WebviewWindow};

const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct App {
    _app: tauri::App<MockRuntime>,
    main: WebviewWindow<MockRuntime>,
    /// Which buckets the connector was asked for.
    asked: Arc<Mutex<Vec<String>>>,
    /// When set, connecting fails with it.
    failing: Arc<Mutex<Option<RemoteError>>>,
}

fn app(desktop: Desktop, store: &MemoryStore) -> App {
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let failing: Arc<Mutex<Option<RemoteError>>> = Arc::default();
    let (remote, log, fail) = (store.clone(), Arc::clone(&asked), Arc::clone(&failing));
    let app = mock_builder()
        .manage(desktop)
        .manage(Picker::new(|_| None))
        .manage(Syncer::new(move |config: &SyncConfig| {
            log.lock().unwrap().push(config.location());
            if let Some(e) = fail.lock().unwrap().clone() {
                return Err(e);
            }
            Ok(Box::new(remote.clone()) as Box<dyn ObjectStore>)
        }))
        .invoke_handler(handler())
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    App {
        _app: app,
        main,
        asked,
        failing,
    }
}

impl App {
    fn invoke(&self, cmd: &str, body: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.main, request).map(|b| b.deserialize::<Value>().unwrap())
    }
}

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/qa-minimal.toml")
}

/// A project backed up to `remote` (a snapshot, then a draft as a change), with backup
/// turned off again so opening it here never starts a shipper to a real S3.
fn backed_up_project(folder: &Path, remote: &MemoryStore) -> BackupConfig {
    let mut p = sift_api::init_project(folder, &template(), Some("field notes")).unwrap();
    let manifest = folder.join("manifest.jsonl");
    std::fs::write(&manifest, "{\"source\":\"One.\"}\n{\"source\":\"Two.\"}\n").unwrap();
    p.import(&manifest, &Default::default(), &sift_api::NoProgress)
        .unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    let mut config = BackupConfig::new("backups", "team/field-notes");
    config.endpoint = Some("http://127.0.0.1:9".into());
    config.path_style = true;
    config.region = Some("garage".into());
    p.backup_enable(&config).unwrap();
    p.backup_ship(remote, false).unwrap();
    let draft = json!({"pairs": [{"question": "still here?"}]});
    p.save_draft(2, "ann", &draft, 100).unwrap();
    p.backup_ship(remote, false).unwrap();
    config
}

#[test]
fn a_lost_project_is_offered_and_restored_through_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let remote = MemoryStore::new("s3://backups/team/field-notes at memory");
    let folder = dir.path().join("field-notes");
    let config = backed_up_project(&folder, &remote);
    let folder = folder.canonicalize().unwrap();
    let desktop = Desktop::new(
        "tester",
        MediaServer::with_secret(4244, SECRET.into()),
        RecentList::new(dir.path().join("config/recent.json")),
    );
    // Opened on this machine once: the recent entry remembers where it is backed up.
    desktop.remember(std::slice::from_ref(&folder));
    let remembered = desktop.recent();
    assert_eq!(remembered[0].backup.as_ref(), Some(&config));
    let app = app(desktop, &remote);

    // On disk: nothing to offer (the bucket is not even asked).
    assert_eq!(app.invoke("recovery_candidates", json!({})).unwrap(), json!([]));
    assert!(app.asked.lock().unwrap().is_empty());

    // The folder is gone: the offer names the bucket and the newest change.
    std::fs::remove_dir_all(&folder).unwrap();
    let offers = app.invoke("recovery_candidates", json!({})).unwrap();
    let offer = &offers[0];
    assert_eq!(offers.as_array().unwrap().len(), 1, "{offers}");
    assert_eq!(offer["path"], json!(folder));
    assert_eq!(offer["name"], "field notes");
    assert_eq!(offer["location"], "s3://backups/team/field-notes");
    assert!(offer["error"].is_null(), "{offer}");
    assert!(offer["last_change_age_s"].as_f64().unwrap() < 60.0, "{offer}");
    assert_eq!(
        app.asked.lock().unwrap().as_slice(),
        ["s3://backups/team/field-notes"]
    );

    // A bucket that cannot be reached: the offer stands, with the reason.
    *app.failing.lock().unwrap() = Some(RemoteError::new(
        RemoteErrorKind::Credentials,
        "no credentials in the environment",
    ));
    let offers = app.invoke("recovery_candidates", json!({})).unwrap();
    assert!(
        offers[0]["error"].as_str().unwrap().contains("no credentials"),
        "{offers}"
    );
    let e = app
        .invoke("restore_project", json!({"path": folder}))
        .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("no credentials"), "{e}");
    assert!(!folder.join(sift_api::PROJECT_FILE).exists());
    *app.failing.lock().unwrap() = None;

    // Only a recent project's folder can be restored into.
    let elsewhere = dir.path().join("elsewhere");
    let e = app
        .invoke("restore_project", json!({"path": elsewhere}))
        .unwrap_err();
    assert_eq!(e["code"], "not_found", "{e}");
    assert!(!elsewhere.exists());

    // Restored, opened, and backed up again.
    let restored = app.invoke("restore_project", json!({"path": folder})).unwrap();
    assert_eq!(restored["me"]["project"]["name"], "field notes", "{restored}");
    assert_eq!(restored["backup_resumed"], true);
    assert!(restored["changes"].as_u64().unwrap() >= 1, "{restored}");
    assert_eq!(restored["problems"], json!([]));
    let me = app.invoke("me", json!({})).unwrap();
    assert_eq!(me["project"]["name"], "field notes");
    let mut back = Project::open(&folder).unwrap();
    assert!(back.backup_enabled().unwrap());
    let ann = back.caller_named("ann").unwrap();
    let item = back.call(&ann, "get_item", json!({"item_id": 2}), None).unwrap();
    assert!(item.to_string().contains("still here?"), "{item}");

    // Now on disk: no offer, and a second restore is refused without touching it.
    assert_eq!(app.invoke("recovery_candidates", json!({})).unwrap(), json!([]));
    let e = app
        .invoke("restore_project", json!({"path": folder}))
        .unwrap_err();
    assert_eq!(e["code"], "conflict", "{e}");
}
