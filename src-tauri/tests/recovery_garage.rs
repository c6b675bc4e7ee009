//! Recovery from backup through the real Tauri commands against a real Garage, with the
//! app's own S3 connector (`Syncer::s3`, credentials from the environment as in the app): a
//! project shipped to the bucket, its folder deleted, offered, restored, opened, and its
//! backup running again (a new snapshot reaches the bucket). The outer test starts Garage and
//! runs the inner one in a child process of this test binary with Garage's environment (the
//! AWS chain reads it; a test never changes its own environment).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../../tests/support/garage.rs"]
mod garage;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sift_api::backup::{BackupConfig, remote_chain};
use sift_api::{Project, Role};
use sift_desktop::commands::{Picker, handler};
use sift_desktop::desktop::Desktop;
use sift_desktop::media::MediaServer;
use sift_desktop::recent::RecentList;
use sift_desktop::sync::Syncer;
use tauri::WebviewWindowBuilder;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const ENDPOINT_VAR: &str = "SIFT_RECOVERY_TEST_ENDPOINT";

#[test]
fn recovery_through_the_commands_against_garage() {
    let g = garage::Garage::start();
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    g.configure(&mut cmd);
    let out = cmd
        .env(ENDPOINT_VAR, g.endpoint())
        .args(["--exact", "inner", "--ignored", "--nocapture", "--test-threads=1"])
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}\nGarage log:\n{}", g.log_tail());
    assert!(text.contains("1 passed"), "the inner test did not run:\n{text}");
}

fn invoke(
    main: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    body: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(main, request).map(|b| b.deserialize::<Value>().unwrap())
}

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/qa-minimal.toml")
}

/// Run by the outer test only, in a child process with Garage's environment.
#[test]
#[ignore = "run by recovery_through_the_commands_against_garage"]
fn inner() {
    let endpoint = std::env::var(ENDPOINT_VAR).expect("run by the outer test");
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("field-notes");
    let mut config = BackupConfig::new(garage::BUCKET, "team/field-notes");
    config.endpoint = Some(endpoint);
    config.region = Some(garage::REGION.into());
    config.path_style = true;
    let remote = sift_s3::S3Store::connect(&config.connection(), sift_s3::Tuning::from_env()).unwrap();

    // The project as it was on the lost machine: backed up, a draft shipped as a change.
    let mut p = sift_api::init_project(&folder, &template(), Some("field notes")).unwrap();
    let manifest = folder.join("manifest.jsonl");
    std::fs::write(&manifest, "{\"source\":\"One.\"}\n{\"source\":\"Two.\"}\n").unwrap();
    p.import(&manifest, &Default::default(), &sift_api::NoProgress)
        .unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    p.backup_enable(&config).unwrap();
    p.backup_ship(&remote, false).unwrap();
    p.save_draft(2, "ann", &json!({"pairs": [{"question": "from garage?"}]}), 100)
        .unwrap();
    p.backup_ship(&remote, false).unwrap();
    drop(p);
    let folder = folder.canonicalize().unwrap();
    let snapshots_before = remote_chain(&remote).unwrap().snapshots.len();

    let desktop = Desktop::new(
        "tester",
        MediaServer::with_secret(4245, SECRET.into()),
        RecentList::new(dir.path().join("config/recent.json")),
    );
    desktop.remember(std::slice::from_ref(&folder));
    let app = mock_builder()
        .manage(desktop)
        .manage(Picker::new(|_| None))
        .manage(Syncer::s3())
        .invoke_handler(handler())
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

    std::fs::remove_dir_all(&folder).unwrap();
    let offers = invoke(&main, "recovery_candidates", json!({})).unwrap();
    assert_eq!(offers.as_array().unwrap().len(), 1, "{offers}");
    assert!(offers[0]["error"].is_null(), "{offers}");
    assert_eq!(offers[0]["location"], "s3://sift-test/team/field-notes");

    let restored = invoke(&main, "restore_project", json!({"path": folder})).unwrap();
    assert_eq!(restored["backup_resumed"], true, "{restored}");
    assert_eq!(restored["problems"], json!([]));
    let mut back = Project::open(&folder).unwrap();
    let ann = back.caller_named("ann").unwrap();
    let item = back.call(&ann, "get_item", json!({"item_id": 2}), None).unwrap();
    assert!(item.to_string().contains("from garage?"), "{item}");

    // The window's shipper runs again: a new snapshot of the restored file reaches the bucket.
    let start = Instant::now();
    while remote_chain(&remote).unwrap().snapshots.len() <= snapshots_before {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no new snapshot shipped"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
