//! *Open in Lab* (`open_in_lab`) through Tauri's own IPC path (the mock runtime, the app's
//! real capabilities): it starts `sift-lab PROJECT_FOLDER` for a lead of the open project,
//! found next to the app or on `PATH`, and says clearly where it looked when there is none.
//! The program started is a real executable — a shell script standing in for `sift-lab`
//! that writes its arguments to a file — so what is checked is what the app really ran.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sift_api::Role;
use sift_desktop::commands::handler;
use sift_desktop::desktop::Desktop;
use sift_desktop::lab::LabLauncher;
use sift_desktop::media::MediaServer;
use sift_desktop::recent::RecentList;
use tauri::WebviewWindowBuilder;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::{InvokeRequest, WebviewWindow};

const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const USER: &str = "tester";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct App {
    _app: tauri::App<MockRuntime>,
    main: WebviewWindow<MockRuntime>,
}

fn app(dir: &Path, lab: LabLauncher) -> App {
    let desktop = Desktop::new(
        USER,
        MediaServer::with_secret(4243, SECRET.into()),
        RecentList::new(dir.join("config/recent.json")),
    );
    let app = mock_builder()
        .manage(desktop)
        .manage(lab)
        .invoke_handler(handler())
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    App { _app: app, main }
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

    fn err(&self, cmd: &str, code: &str) -> String {
        let e = self.invoke(cmd, json!({})).expect_err(cmd);
        assert_eq!(e["code"], code, "{e}");
        e["message"].as_str().unwrap().to_owned()
    }
}

/// An empty Q&A project in `dir/name`, with `USER` in it as `role` when given.
fn project(dir: &Path, name: &str, role: Option<Role>) -> PathBuf {
    let folder = dir.join(name);
    let p = sift_api::init_project(&folder, &repo().join("labeling-templates/qa.toml"), None).unwrap();
    if let Some(role) = role {
        p.add_annotator(USER, role).unwrap();
    }
    folder.canonicalize().unwrap()
}

/// A stand-in `sift-lab` in `bin`: a shell script that writes its arguments, one a line, to
/// `bin/args.txt`.
fn stand_in(bin: &Path) -> PathBuf {
    std::fs::create_dir_all(bin).unwrap();
    let program = bin.join("sift-lab");
    std::fs::write(
        &program,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args.tmp\"\nmv \"$(dirname \"$0\")/args.tmp\" \"$(dirname \"$0\")/args.txt\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    program
}

/// What the stand-in was started with (waits up to 10 s for it to run).
fn started_with(bin: &Path) -> String {
    let file = bin.join("args.txt");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        assert!(Instant::now() < deadline, "sift-lab was not started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::read_to_string(file).unwrap()
}

#[test]
fn without_sift_lab_it_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let (beside, on_path) = (dir.path().join("app"), dir.path().join("path-dir"));
    std::fs::create_dir_all(&beside).unwrap();
    std::fs::create_dir_all(&on_path).unwrap();
    // A `sift-lab` that is not executable is not a program.
    std::fs::write(beside.join("sift-lab"), "not a program").unwrap();
    let lab = LabLauncher::search(Some(beside.clone()), Some(OsString::from(&on_path)));
    assert_eq!(lab.find(), None);
    let app = app(dir.path(), lab);

    // Before a project is open, there is nothing to open in the Lab.
    assert!(app.err("open_in_lab", "not_found").contains("no project is open"));

    let folder = project(dir.path(), "qa", None);
    app.invoke("open_project", json!({"path": folder})).unwrap();
    let message = app.err("open_in_lab", "unavailable");
    assert!(
        message.contains("sift-lab") && message.contains("not installed"),
        "{message}"
    );
    for looked in [&beside, &on_path] {
        assert!(message.contains(&looked.display().to_string()), "{message}");
    }
}

#[test]
fn it_starts_sift_lab_next_to_the_app_on_the_open_project() {
    let dir = tempfile::tempdir().unwrap();
    let beside = dir.path().join("app");
    let program = stand_in(&beside);
    // One on PATH too: the one next to the app wins.
    let elsewhere = dir.path().join("elsewhere");
    stand_in(&elsewhere);
    let app = app(
        dir.path(),
        LabLauncher::search(Some(beside.clone()), Some(OsString::from(&elsewhere))),
    );
    let folder = project(dir.path(), "qa", None);
    let me = app.invoke("open_project", json!({"path": folder})).unwrap();
    assert_eq!(
        me["annotator"]["role"], "lead",
        "the local user leads their own project"
    );

    let started = app.invoke("open_in_lab", json!({})).unwrap();
    assert_eq!(started, json!({"program": program, "project": folder}));
    assert_eq!(started_with(&beside), format!("{}\n", folder.display()));
    assert!(!elsewhere.join("args.txt").exists(), "only one Lab is started");
}

#[test]
fn it_finds_sift_lab_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let (empty, bin) = (dir.path().join("empty"), dir.path().join("bin"));
    std::fs::create_dir_all(&empty).unwrap();
    let program = stand_in(&bin);
    let path = std::env::join_paths([&empty, &bin]).unwrap();
    let app = app(
        dir.path(),
        LabLauncher::search(Some(dir.path().join("missing")), Some(path)),
    );
    let folder = project(dir.path(), "qa", Some(Role::Lead));
    app.invoke("open_project", json!({"path": folder})).unwrap();
    let started = app.invoke("open_in_lab", json!({})).unwrap();
    assert_eq!(started["program"], json!(program));
    assert_eq!(started_with(&bin), format!("{}\n", folder.display()));
}

#[test]
fn only_a_lead_opens_the_project_in_the_lab() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    stand_in(&bin);
    let app = app(dir.path(), LabLauncher::search(Some(bin.clone()), None));
    for (name, role) in [("as-annotator", Role::Annotator), ("as-reviewer", Role::Reviewer)] {
        let folder = project(dir.path(), name, Some(role));
        let me = app.invoke("open_project", json!({"path": folder})).unwrap();
        assert_eq!(me["annotator"]["role"], role.as_str());
        let message = app.err("open_in_lab", "forbidden");
        assert!(
            message.contains("lead") && message.contains(role.as_str()),
            "{message}"
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(!bin.join("args.txt").exists(), "nothing was started");
}
