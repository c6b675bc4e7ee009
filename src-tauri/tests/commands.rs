//! Every Tauri command through Tauri's own IPC path (the mock runtime), with the app's real
//! context: the capabilities in `capabilities/` and the app manifest from `build.rs` are
//! enforced here as in the window. Each command is checked on its success and error paths,
//! and its answers against `Project::call`, the table `sift serve` dispatches through.
//! The sync commands run against an in-memory object store (the same `ObjectStore` trait
//! `sift-s3` implements), whose connector also drives a Tokio runtime of its own, as
//! `S3Store::connect` does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sift_api::memory_store::MemoryStore;
use sift_api::{ObjectStore, Project, RemoteError, RemoteErrorKind, Role, SyncConfig, SyncRole};
use sift_desktop::commands::{Pick, Picker, handler};
use sift_desktop::desktop::Desktop;
use sift_desktop::lab::LabLauncher;
use sift_desktop::media::MediaServer;
use sift_desktop::recent::RecentList;
use sift_desktop::sync::Syncer;
use tauri::WebviewWindowBuilder;
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::{InvokeRequest, WebviewWindow};

const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const USER: &str = "tester";

const RESPONSES: [&str; 4] = [
    "About 70 °C, because air pressure at the summit is about a third of sea level.",
    "Water always boils at 100 °C.",
    "Around 86 °C.",
    "Roughly 70 °C; lower pressure lowers the boiling point.",
];

fn ranking_payload() -> Value {
    let ranks = json!({"0": 1, "3": 2, "2": 3, "1": 4});
    json!({
        "rankings": {"clarity": ranks, "accuracy": ranks, "harmlessness": ranks},
        "classifications": {"0": {"factual_error": "no"}, "1": {"factual_error": "yes"},
                            "2": {"factual_error": "unsure"}, "3": {"factual_error": "no"}},
        "rationale": "Response 0 explains the physics and gives the right figure."
    })
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct App {
    _app: tauri::App<MockRuntime>,
    main: WebviewWindow<MockRuntime>,
    other: WebviewWindow<MockRuntime>,
    dir: tempfile::TempDir,
    picked: Arc<Mutex<Option<PathBuf>>>,
    picks: Arc<Mutex<Vec<Pick>>>,
    /// The object store the sync commands reach.
    store: MemoryStore,
    /// When set, connecting to the store fails with it.
    connect_error: Arc<Mutex<Option<RemoteError>>>,
    /// Every message sent through a channel (sync progress), as JSON.
    channel: Arc<Mutex<Vec<Value>>>,
}

fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let media = MediaServer::with_secret(4242, SECRET.into());
    let desktop = Desktop::new(
        USER,
        media,
        RecentList::new(dir.path().join("config/recent.json")),
    );
    let picked: Arc<Mutex<Option<PathBuf>>> = Arc::default();
    let picks: Arc<Mutex<Vec<Pick>>> = Arc::default();
    let (p, log) = (Arc::clone(&picked), Arc::clone(&picks));
    let store = MemoryStore::new("s3://team-labels/week-1 at memory");
    let connect_error: Arc<Mutex<Option<RemoteError>>> = Arc::default();
    let channel: Arc<Mutex<Vec<Value>>> = Arc::default();
    let (remote, failing, sent) = (store.clone(), Arc::clone(&connect_error), Arc::clone(&channel));
    let app = mock_builder()
        .manage(desktop)
        .manage(Picker::new(move |what| {
            log.lock().unwrap().push(what);
            p.lock().unwrap().clone()
        }))
        .manage(Syncer::new(move |config: &SyncConfig| {
            // Like `S3Store::connect`: a runtime of its own, blocked on. This panics if the
            // command ran it on an async worker instead of a blocking thread.
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async { tokio::task::yield_now().await });
            drop(rt);
            if let Some(e) = failing.lock().unwrap().clone() {
                return Err(e);
            }
            assert!(!config.bucket.is_empty());
            Ok(Box::new(remote.clone()) as Box<dyn ObjectStore>)
        }))
        // Nowhere to find the Lab: `open_in_lab` answers `unavailable` (tests/lab.rs starts one).
        .manage(LabLauncher::search(None, None))
        .channel_interceptor(move |_, _, _, body| {
            if let InvokeResponseBody::Json(text) = body {
                sent.lock().unwrap().push(serde_json::from_str(text).unwrap());
            }
            true
        })
        .invoke_handler(handler())
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .unwrap();
    App {
        _app: app,
        main,
        other,
        dir,
        picked,
        picks,
        store,
        connect_error,
        channel,
    }
}

/// A lead's settings as the window's form sends them.
fn lead_settings() -> Value {
    json!({
        "bucket": "team-labels", "prefix": "/week-1/", "region": "garage",
        "endpoint": "http://127.0.0.1:3900", "path_style": true, "profile": "",
        "role": "lead", "annotator": null, "media": false
    })
}

fn request(cmd: &str, body: Value) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

impl App {
    /// `sync_now` with a progress channel; returns the reports and the messages sent.
    fn sync_now(&self) -> Result<(Value, Vec<Value>), Value> {
        self.channel.lock().unwrap().clear();
        let reports = self.invoke("sync_now", json!({"on_progress": "__CHANNEL__:4242"}))?;
        Ok((reports, std::mem::take(&mut *self.channel.lock().unwrap())))
    }

    fn invoke(&self, cmd: &str, body: Value) -> Result<Value, Value> {
        get_ipc_response(&self.main, request(cmd, body)).map(|b| b.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, body: Value) -> Value {
        let shown = body.to_string();
        self.invoke(cmd, body)
            .unwrap_or_else(|e| panic!("{cmd} {shown} failed: {e}"))
    }

    /// The error of a call that must fail, checked to have the `{code, message}` shape.
    fn err(&self, cmd: &str, body: Value, code: &str) -> Value {
        let shown = body.to_string();
        let e = self
            .invoke(cmd, body)
            .expect_err(&format!("{cmd} {shown} should fail"));
        assert_eq!(e["code"], code, "{cmd} {shown}: {e}");
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{cmd}: no message in {e}"
        );
        e
    }

    /// A ranking project with two prompts, created with the CLI's API (not the desktop).
    fn ranking_project(&self, name: &str) -> PathBuf {
        let folder = self.dir.path().join(name);
        let mut p =
            sift_api::init_project(&folder, &repo().join("labeling-templates/ranking.toml"), None).unwrap();
        let manifest = self.dir.path().join(format!("{name}.jsonl"));
        let lines: String = (0..2)
            .map(|i| {
                json!({"source": "everest", "prompt": format!("What is the boiling point of water on Everest? ({i})"),
                       "responses": RESPONSES})
                .to_string()
                    + "\n"
            })
            .collect();
        std::fs::write(&manifest, lines).unwrap();
        p.import(&manifest, &Default::default(), &sift_api::NoProgress)
            .unwrap();
        folder
    }
}

#[test]
fn the_command_table_is_registered_whole_and_granted_exactly() {
    // The names come from one declaration each (sift_api's table, command_names.rs); the
    // capability is written by build.rs from them. Check what the generated pieces add up to.
    let all: Vec<&str> = sift_desktop::APP_COMMANDS.to_vec();
    for c in sift_api::commands::COMMANDS {
        assert!(all.contains(&c.name), "{} is not registered", c.name);
    }

    let cap: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("src-tauri/capabilities/default.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        cap["windows"],
        json!(["main"]),
        "capabilities are for the main window only"
    );
    let mut granted: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = all
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    granted.sort();
    expected.sort();
    assert_eq!(
        granted, expected,
        "grant exactly the app's own commands, nothing else"
    );

    // Every name answers through its own command (never "command not found").
    let app = app();
    for cmd in all {
        match app.invoke(cmd, json!({})) {
            Ok(_) => {}
            Err(e) => assert!(
                e.get("code").is_some(),
                "{cmd} did not answer with {{code, message}}: {e}"
            ),
        }
    }
}

#[test]
fn commands_outside_the_capability_are_refused() {
    let app = app();
    let folder = app.ranking_project("acl");
    app.ok("open_project", json!({"path": folder}));
    // Plugin commands the page was not granted: the shell shows dialogs itself.
    for cmd in [
        "plugin:dialog|open",
        "plugin:dialog|message",
        "plugin:window|set_title",
        "plugin:webview|print",
    ] {
        let e = app
            .invoke(cmd, json!({"options": {}, "value": "x"}))
            .expect_err(cmd);
        assert!(e.to_string().contains("not allowed"), "{cmd}: {e}");
    }
    // The app's own commands, from a window the capability does not name.
    for cmd in ["me", "submit", "open_project"] {
        let e = get_ipc_response(&app.other, request(cmd, json!({}))).expect_err(cmd);
        assert!(
            e.to_string().contains("not allowed"),
            "{cmd} from another window: {e}"
        );
    }
    // And from a remote origin in the main window.
    let mut remote = request("me", json!({}));
    remote.url = "https://example.com".parse().unwrap();
    let e = get_ipc_response(&app.main, remote).expect_err("remote me");
    assert!(e.to_string().contains("not allowed"), "{e}");
}

#[test]
fn every_command_errors_cleanly_before_a_project_is_open() {
    let app = app();
    for cmd in sift_api::commands::COMMANDS.iter().map(|c| c.name) {
        let e = app.err(cmd, json!({}), "not_found");
        assert!(
            e["message"].as_str().unwrap().contains("no project is open"),
            "{e}"
        );
        assert!(e.get("violations").is_none());
    }
    assert_eq!(app.ok("recent_projects", json!({})), json!([]));
}

#[test]
fn labeling_commands_answer_what_the_http_table_answers() {
    let app = app();
    let folder = app.ranking_project("ranking");
    let me = app.ok("open_project", json!({"path": folder}));
    assert_eq!(
        me["annotator"],
        json!({"name": USER, "role": "lead"}),
        "the local user is added as lead"
    );
    let base = me["media_base_url"].as_str().unwrap();
    assert!(
        base.starts_with(&format!("http://127.0.0.1:4242/{SECRET}/")) && base.ends_with("/media"),
        "{base}"
    );

    // The same answers as the API crate's command table for the same person.
    let mut direct = Project::open(&folder).unwrap();
    let caller = direct.caller_named(USER).unwrap();
    for (cmd, args) in [
        ("me", json!({})),
        ("template", json!({})),
        ("queue", json!({"limit": 10})),
        ("recent_work", json!({})),
        ("get_item", json!({"item_id": 1})),
        ("status", json!({})),
        ("pending_reviews", json!({})),
    ] {
        let want = direct.call(&caller, cmd, args.clone(), Some(base)).unwrap();
        assert_eq!(app.ok(cmd, args), want, "{cmd}");
    }
    assert_eq!(app.ok("template", json!({}))["kind"], "ranking");
    assert_eq!(app.ok("queue", json!({}))["entries"].as_array().unwrap().len(), 2);

    // Save, validate, submit.
    let draft = app.ok(
        "save_draft",
        json!({"item_id": 1, "payload": {"rationale": "started"}, "time_spent_ms": 1200}),
    );
    assert_eq!(draft["state"], "draft");
    let violations = app.ok("validate", json!({"item_id": 1, "payload": {"rationale": "x"}}));
    assert!(!violations.as_array().unwrap().is_empty());
    assert_eq!(
        app.ok("validate", json!({"item_id": 1, "payload": ranking_payload()})),
        json!([])
    );
    let submitted = app.ok(
        "submit",
        json!({"item_id": 1, "payload": ranking_payload(), "time_spent_ms": 5000}),
    );
    assert_eq!(submitted["state"], "submitted");
    let got = app.ok("get_annotation", json!({"annotation_id": submitted["id"]}));
    assert_eq!(got["annotation"]["payload"], ranking_payload());
    assert_eq!(
        app.ok("get_item", json!({"item_id": 1}))["annotation"]["state"],
        "submitted"
    );
    assert_eq!(app.ok("status", json!({}))["project"]["kind"], "ranking");

    // Another annotator's submission, reviewed by the local lead.
    direct.add_annotator("ann", Role::Annotator).unwrap();
    let theirs = direct.submit(2, "ann", &ranking_payload(), 1000).unwrap();
    let pending = app.ok("pending_reviews", json!({}));
    assert_eq!(
        pending.as_array().unwrap().len(),
        1,
        "the lead's own work is not in their review list"
    );
    let reviewed = app.ok(
        "review",
        json!({"annotation_id": theirs.id, "version": theirs.version, "decision": "approved", "comment": "good"}),
    );
    assert_eq!(reviewed["state"], "approved");
}

#[test]
fn labeling_commands_report_errors_as_code_message_and_violations() {
    let app = app();
    let folder = app.ranking_project("errors");
    app.ok("open_project", json!({"path": folder}));
    // Malformed arguments: the API crate's argument types refuse them.
    app.err("get_item", json!({}), "invalid_input");
    app.err("get_item", json!({"item": 1}), "invalid_input");
    app.err("queue", json!({"limit": "ten"}), "invalid_input");
    app.err("save_draft", json!({"item_id": 1}), "invalid_input");
    app.err("review", json!({"annotation_id": 1}), "invalid_input");
    // Things that are not there.
    app.err("get_item", json!({"item_id": 999}), "not_found");
    app.err("save_draft", json!({"item_id": 999, "payload": {}}), "not_found");
    app.err("validate", json!({"item_id": 999, "payload": {}}), "not_found");
    app.err("get_annotation", json!({"annotation_id": 999}), "not_found");
    app.err(
        "review",
        json!({"annotation_id": 999, "version": 1, "decision": "approved"}),
        "not_found",
    );
    // A payload that breaks the rules: every violation, as over HTTP.
    let e = app.err(
        "submit",
        json!({"item_id": 1, "payload": {"rationale": "x"}}),
        "invalid_input",
    );
    let violations = e["violations"].as_array().expect("violations listed");
    assert!(!violations.is_empty());
    for v in violations {
        assert!(
            v["path"].is_string() && v["code"].is_string() && v["message"].is_string(),
            "{v}"
        );
    }
    // Not a template kind of payload at all.
    app.err(
        "submit",
        json!({"item_id": 1, "payload": "not an object"}),
        "invalid_input",
    );
    // Reviewing a draft.
    let draft = app.ok("save_draft", json!({"item_id": 2, "payload": {}}));
    let e = app.invoke(
        "review",
        json!({"annotation_id": draft["id"], "version": 1, "decision": "approved"}),
    );
    assert!(e.is_err(), "a draft cannot be reviewed: {e:?}");
    let e = e.unwrap_err();
    assert!(
        ["conflict", "forbidden", "invalid_input"].contains(&e["code"].as_str().unwrap()),
        "{e}"
    );
}

#[test]
fn an_annotator_is_refused_what_needs_a_reviewer() {
    let app = app();
    let folder = app.ranking_project("annotator");
    // The project already knows the local user, as an annotator: the desktop keeps that role.
    Project::open(&folder)
        .unwrap()
        .add_annotator(USER, Role::Annotator)
        .unwrap();
    let me = app.ok("open_project", json!({"path": folder}));
    assert_eq!(me["annotator"]["role"], "annotator");
    app.err("status", json!({}), "forbidden");
    app.err("pending_reviews", json!({}), "forbidden");
    let mut direct = Project::open(&folder).unwrap();
    direct.add_annotator("ann", Role::Annotator).unwrap();
    let theirs = direct.submit(1, "ann", &ranking_payload(), 1000).unwrap();
    app.err("get_annotation", json!({"annotation_id": theirs.id}), "forbidden");
    app.err(
        "review",
        json!({"annotation_id": theirs.id, "version": theirs.version, "decision": "approved"}),
        "forbidden",
    );
}

#[test]
fn open_project_records_recent_projects_and_refuses_non_projects() {
    let app = app();
    let a = app.ranking_project("first");
    let b = app.ranking_project("second");
    app.err(
        "open_project",
        json!({"path": app.dir.path().join("nowhere")}),
        "not_found",
    );
    app.err("open_project", json!({"path": app.dir.path()}), "not_found");
    app.err("open_project", json!({}), "invalid_input");
    let not_sift = app.dir.path().join("not-sift");
    std::fs::create_dir_all(&not_sift).unwrap();
    std::fs::write(not_sift.join("project.sift"), b"this is not SQLite").unwrap();
    let e = app.invoke("open_project", json!({"path": not_sift})).unwrap_err();
    assert!(e["code"].is_string(), "{e}");

    let first = app.ok("open_project", json!({"path": a}));
    app.ok("open_project", json!({"path": b}));
    let third = app.ok("open_project", json!({"path": a.join("project.sift")}));
    let recent = app.ok("recent_projects", json!({}));
    let paths: Vec<&str> = recent
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            a.canonicalize().unwrap().to_str().unwrap(),
            b.canonicalize().unwrap().to_str().unwrap()
        ]
    );
    assert_eq!(recent[0]["kind"], "ranking");
    assert_eq!(recent[0]["exists"], true);
    // Each opening serves media under a new prefix, so cached URLs never cross projects.
    assert_ne!(first["media_base_url"], third["media_base_url"]);
    let item = app.ok("get_item", json!({"item_id": 1}));
    assert_eq!(item["media_url"], Value::Null, "text items have no media");
}

#[test]
fn create_project_from_a_bundled_template_with_a_manifest() {
    let app = app();
    let folder = app.dir.path().join("new-qa");
    let me = app.ok(
        "create_project",
        json!({"folder": folder, "template": "qa", "name": "Desk QA", "manifest": repo().join("demo/qa.jsonl")}),
    );
    assert_eq!(me["project"]["name"], "Desk QA");
    assert_eq!(me["project"]["kind"], "qa");
    assert_eq!(me["annotator"]["role"], "lead");
    assert_eq!(app.ok("status", json!({}))["project"]["name"], "Desk QA");
    assert_eq!(app.ok("queue", json!({}))["total_items"], 5);
    // Errors: a folder that holds a project, an unknown template, a bad manifest, bad args.
    app.err(
        "create_project",
        json!({"folder": folder, "template": "qa"}),
        "conflict",
    );
    app.err(
        "create_project",
        json!({"folder": app.dir.path().join("x"), "template": "poetry"}),
        "invalid_input",
    );
    let bad = app.dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{not json\n").unwrap();
    app.err(
        "create_project",
        json!({"folder": app.dir.path().join("y"), "template": "ranking", "manifest": bad}),
        "invalid_input",
    );
    app.err(
        "create_project",
        json!({"folder": app.dir.path().join("z")}),
        "invalid_input",
    );
    app.err(
        "create_project",
        json!({"folder": 7, "template": "qa"}),
        "invalid_input",
    );
}

#[test]
fn pickers_return_the_chosen_path_or_null() {
    let app = app();
    assert_eq!(app.ok("pick_project_folder", json!({})), Value::Null);
    *app.picked.lock().unwrap() = Some(app.dir.path().to_owned());
    assert_eq!(app.ok("pick_project_folder", json!({})), json!(app.dir.path()));
    assert_eq!(app.ok("pick_manifest_file", json!({})), json!(app.dir.path()));
    assert_eq!(
        *app.picks.lock().unwrap(),
        [Pick::ProjectFolder, Pick::ProjectFolder, Pick::Manifest]
    );
}

#[test]
fn the_content_security_policy_is_strict_and_names_the_exact_media_origin() {
    let conf: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("src-tauri/tauri.conf.json")).unwrap())
            .unwrap();
    let csp: tauri::utils::config::Csp =
        serde_json::from_value(conf["app"]["security"]["csp"].clone()).unwrap();
    let narrowed = sift_desktop::narrow_csp(&csp, "http://127.0.0.1:40123").to_string();
    assert!(
        !narrowed.contains("unsafe-inline") && !narrowed.contains("unsafe-eval"),
        "{narrowed}"
    );
    assert!(!narrowed.contains('*'), "{narrowed}");
    assert!(narrowed.contains("script-src 'self'"), "{narrowed}");
    assert!(
        narrowed.contains("media-src 'self' blob: http://127.0.0.1:40123"),
        "{narrowed}"
    );
    assert!(
        narrowed.contains("img-src 'self' data: blob: http://127.0.0.1:40123"),
        "{narrowed}"
    );
    assert_eq!(conf["app"]["security"]["assetProtocol"]["enable"], false);
    assert_eq!(conf["app"]["withGlobalTauri"], false);
}

#[test]
fn the_command_line_takes_project_folders() {
    use sift_desktop::{Cli, parse_cli};
    let os = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
    assert_eq!(parse_cli(os(&[])), Cli::Run { projects: vec![] });
    assert_eq!(
        parse_cli(os(&["a", "b"])),
        Cli::Run {
            projects: vec!["a".into(), "b".into()]
        }
    );
    assert_eq!(parse_cli(os(&["--help"])), Cli::Help);
    assert_eq!(parse_cli(os(&["-V"])), Cli::Version);
    assert!(matches!(parse_cli(os(&["--frobnicate"])), Cli::Error(_)));
    assert_eq!(
        parse_cli(os(&["--", "-odd"])),
        Cli::Run {
            projects: vec!["-odd".into()]
        }
    );
}

#[test]
fn the_local_user_name_is_a_valid_annotator_name() {
    use sift_desktop::desktop::sanitize_user_name;
    assert_eq!(sanitize_user_name("alice"), "alice");
    assert_eq!(sanitize_user_name("Jean Dupont"), "JeanDupont");
    assert_eq!(sanitize_user_name(""), "local");
    assert_eq!(sanitize_user_name("   "), "local");
    assert_eq!(sanitize_user_name(&"x".repeat(100)).len(), 64);
}

#[test]
fn sync_settings_round_trip_and_never_take_credentials() {
    let app = app();
    for cmd in ["sync_settings", "sync_status", "sync_now"] {
        let e = app.err(cmd, json!({}), "not_found");
        assert!(
            e["message"].as_str().unwrap().contains("no project is open"),
            "{e}"
        );
    }
    let folder = app.ranking_project("settings");
    app.ok("open_project", json!({"path": folder}));
    assert_eq!(app.ok("sync_settings", json!({})), Value::Null);

    // Not set up: a clear error, and the store is never reached.
    for cmd in ["sync_status", "sync_now"] {
        let e = app.err(cmd, json!({}), "invalid_input");
        assert!(
            e["message"].as_str().unwrap().contains("sync is not set up"),
            "{cmd}: {e}"
        );
    }
    assert!(app.store.keys().is_empty());

    // Saved as given, trimmed: the prefix without slashes, an empty profile as null.
    let saved = app.ok("save_sync_settings", json!({"config": lead_settings()}));
    let want = json!({
        "bucket": "team-labels", "prefix": "week-1", "region": "garage",
        "endpoint": "http://127.0.0.1:3900", "path_style": true, "profile": null,
        "role": "lead", "annotator": null, "media": false
    });
    assert_eq!(saved, want);
    assert_eq!(app.ok("sync_settings", json!({})), want);
    let stored = Project::open(&folder).unwrap().sync_config().unwrap().unwrap();
    assert_eq!(stored.location(), "s3://team-labels/week-1");
    assert_eq!(stored.role, SyncRole::Lead);

    // Credentials are refused by name, never stored; so are other unknown fields.
    let mut with_secret = lead_settings();
    with_secret["secret_access_key"] = json!("wJalrXUtnFEMI/K7MDENG");
    let e = app.err(
        "save_sync_settings",
        json!({"config": with_secret}),
        "invalid_input",
    );
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("secret_access_key") && message.contains("never stored"),
        "{e}"
    );
    assert!(
        !message.contains("wJalrXUtnFEMI"),
        "the secret is not echoed: {e}"
    );
    app.err(
        "save_sync_settings",
        json!({"config": lead_settings(), "access_key_id": "AKIA"}),
        "invalid_input",
    );
    let mut in_url = lead_settings();
    in_url["endpoint"] = json!("http://AKIA:secret@127.0.0.1:3900");
    let e = app.err("save_sync_settings", json!({"config": in_url}), "invalid_input");
    assert!(e["message"].as_str().unwrap().contains("credentials"), "{e}");
    let file = std::fs::read(folder.join("project.sift")).unwrap();
    assert!(
        !String::from_utf8_lossy(&file).contains("wJalrXUtnFEMI"),
        "no secret in the project file"
    );

    // Bad values, a role change, a malformed call: refused, the saved settings kept.
    let mut bad = lead_settings();
    bad["bucket"] = json!("Not_A_Bucket");
    app.err("save_sync_settings", json!({"config": bad}), "invalid_input");
    let mut annotator = lead_settings();
    annotator["role"] = json!("annotator");
    annotator["annotator"] = json!("ann");
    app.err(
        "save_sync_settings",
        json!({"config": annotator}),
        "invalid_input",
    );
    app.err("save_sync_settings", json!({}), "invalid_input");
    app.err("save_sync_settings", json!({"config": "s3://x"}), "invalid_input");
    assert_eq!(app.ok("sync_settings", json!({})), want);

    // Changing where it syncs is fine.
    let mut moved = lead_settings();
    moved["prefix"] = json!("week-2");
    moved["media"] = json!(true);
    assert_eq!(
        app.ok("save_sync_settings", json!({"config": moved}))["prefix"],
        "week-2"
    );
}

#[test]
fn sync_now_runs_each_role_in_its_order_with_progress_and_reports() {
    let app = app();
    let lead = app.ranking_project("lead");
    {
        let mut p = Project::open(&lead).unwrap();
        p.add_annotator("ann", Role::Annotator).unwrap();
        p.create_batch(Some("week-1"), 2, &["ann".to_owned()]).unwrap();
    }
    app.ok("open_project", json!({"path": lead}));
    app.ok("save_sync_settings", json!({"config": lead_settings()}));
    let status = app.ok("sync_status", json!({}));
    assert_eq!(status["role"], "lead");
    assert_eq!(status["batches_to_push"], json!(["week-1"]));
    assert_eq!(status["location"], "s3://team-labels/week-1 at memory");

    // The lead pulls results first, then publishes its batches.
    let (reports, progress) = app.sync_now().unwrap();
    let directions: Vec<&str> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["direction"].as_str().unwrap())
        .collect();
    assert_eq!(directions, ["pull", "push"]);
    assert_eq!(reports[1]["batches"], json!(["week-1"]));
    assert_eq!(reports[1]["role"], "lead");
    assert!(
        app.store
            .keys()
            .contains(&"batches/week-1/assignments.jsonl".to_owned())
    );
    // Progress: connecting, each direction in order (with the API's phases), done.
    assert_eq!(progress.first().unwrap()["phase"], "connecting");
    assert_eq!(progress.last().unwrap()["phase"], "done");
    let steps: Vec<&Value> = progress
        .iter()
        .filter(|m| m["phase"] == "")
        .map(|m| &m["direction"])
        .collect();
    assert_eq!(steps, [&json!("pull"), &json!("push")]);
    assert!(
        progress
            .iter()
            .any(|m| m["direction"] == "pull" && m["phase"] == "merging results"),
        "{progress:?}"
    );
    for m in &progress {
        assert!(
            m["position"].is_u64() && (m["total"].is_null() || m["total"].is_u64()),
            "{m}"
        );
    }
    assert_eq!(app.ok("sync_status", json!({}))["batches_to_push"], json!([]));

    // The annotator's side: joined from what the lead pushed, then opened in the window.
    let mine = app.dir.path().join("annotator");
    let config = SyncConfig {
        role: SyncRole::Annotator,
        annotator: Some("ann".into()),
        ..serde_json::from_value(app.ok("sync_settings", json!({}))).unwrap()
    };
    drop(sift_api::join_project(&mine, &app.store, &config).unwrap());
    app.ok("open_project", json!({"path": mine}));
    assert_eq!(
        app.ok("sync_status", json!({}))["batches_to_pull"],
        json!(["week-1"])
    );
    let (reports, _) = app.sync_now().unwrap();
    assert_eq!(reports[0]["direction"], "push", "annotators push first");
    assert_eq!(reports[1]["direction"], "pull");
    assert_eq!(reports[1]["items_added"], 2);
    assert_eq!(reports[1]["batches"], json!(["week-1"]));

    // Work saved as the synced annotator goes up with the next sync...
    Project::open(&mine)
        .unwrap()
        .submit(1, "ann", &ranking_payload(), 1000)
        .unwrap();
    assert_eq!(app.ok("sync_status", json!({}))["versions_to_push"], 1);
    let (reports, _) = app.sync_now().unwrap();
    assert_eq!(reports[0]["versions"], 1);
    assert_eq!(reports[1]["items_added"], 0);

    // ...and the lead merges it.
    app.ok("open_project", json!({"path": lead}));
    let (reports, _) = app.sync_now().unwrap();
    assert_eq!(reports[0]["direction"], "pull");
    assert_eq!(reports[0]["versions"], 1);
    assert_eq!(reports[0]["problems"], json!([]));
    assert_eq!(app.ok("pending_reviews", json!({})).as_array().unwrap().len(), 1);

    // Without a channel it runs all the same.
    assert_eq!(app.ok("sync_now", json!({})).as_array().unwrap().len(), 2);
    app.err(
        "sync_now",
        json!({"on_progress": "not a channel"}),
        "invalid_input",
    );
}

#[test]
fn sync_failures_answer_with_code_and_message() {
    let app = app();
    let folder = app.ranking_project("failing");
    app.ok("open_project", json!({"path": folder}));
    app.ok("save_sync_settings", json!({"config": lead_settings()}));
    for (kind, code, message) in [
        (
            RemoteErrorKind::Credentials,
            "unauthenticated",
            "s3://team-labels/week-1: the credentials were refused (InvalidAccessKeyId)",
        ),
        (
            RemoteErrorKind::Unreachable,
            "unavailable",
            "http://127.0.0.1:3900 cannot be reached: connection refused",
        ),
        (
            RemoteErrorKind::Forbidden,
            "forbidden",
            "access denied to s3://team-labels/week-1",
        ),
    ] {
        *app.connect_error.lock().unwrap() = Some(RemoteError::new(kind, message));
        let e = app.sync_now().unwrap_err();
        assert_eq!(e["code"], code, "{e}");
        assert_eq!(e["message"], message);
        let e = app.err("sync_status", json!({}), code);
        assert_eq!(e["message"], message);
    }
    // The flag is cleared after a failure: the next sync runs.
    *app.connect_error.lock().unwrap() = None;
    assert_eq!(app.sync_now().unwrap().0.as_array().unwrap().len(), 2);
}

#[test]
fn an_annotators_project_labels_as_its_sync_annotator_and_adds_no_lead() {
    let app = app();
    let lead = app.ranking_project("lead");
    {
        let mut p = Project::open(&lead).unwrap();
        p.add_annotator("ann", Role::Annotator).unwrap();
        p.create_batch(Some("week-1"), 2, &["ann".to_owned()]).unwrap();
        p.set_sync_config(&SyncConfig::new("team-labels", SyncRole::Lead))
            .unwrap();
        p.sync_push(&app.store, &Default::default(), &sift_api::NoProgress)
            .unwrap();
    }
    let mine = app.dir.path().join("annotator");
    let config = SyncConfig {
        annotator: Some("ann".into()),
        ..SyncConfig::new("team-labels", SyncRole::Annotator)
    };
    let mut joined = sift_api::join_project(&mine, &app.store, &config).unwrap();
    joined
        .sync_pull(&app.store, &Default::default(), &sift_api::NoProgress)
        .unwrap();
    drop(joined);

    // The window labels as the annotator the project syncs as, not as the OS user.
    let me = app.ok("open_project", json!({"path": mine}));
    assert_eq!(me["annotator"], json!({"name": "ann", "role": "annotator"}));
    let names: Vec<String> = Project::open(&mine)
        .unwrap()
        .annotators()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["ann"], "no lead was added to an annotator's project");
    assert_eq!(app.ok("me", json!({}))["annotator"]["name"], "ann");

    // Work saved in the window is the synced annotator's: it waits to be pushed, and goes up.
    let queue = app.ok("queue", json!({}));
    let item = queue["entries"][0]["item_id"].as_i64().unwrap();
    app.ok(
        "submit",
        json!({"item_id": item, "payload": ranking_payload(), "time_spent_ms": 1000}),
    );
    assert_eq!(app.ok("sync_status", json!({}))["versions_to_push"], 1);
    let (reports, _) = app.sync_now().unwrap();
    assert_eq!(reports[0]["direction"], "push");
    assert_eq!(reports[0]["versions"], 1);
}
