//! Continuous backup end to end: the real `sift` binary and `sift serve` against a real
//! Garage started by the harness, on loopback ports, with real project files.
//!
//! - an annotator labels continuously through the HTTP API of `sift serve` with backup on;
//!   the server is SIGKILLed and the project folder deleted; `sift backup restore` rebuilds
//!   it: every save acknowledged more than 5 s before the kill is there, and it opens;
//! - a point-in-time restore equals a copy of the file taken at that time; a corrupted
//!   object in the bucket is detected, reported and skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sift_api::ObjectStore;
use sift_tests::garage::Garage;
use sift_tests::http::call;
use sift_tests::serve::{Served, ranking_project};
use sift_tests::{ranking_payload, sift_bin};

/// A `sift` command talking to `g` with its key.
fn sift(g: &Garage) -> Command {
    let mut cmd = Command::new(sift_bin());
    g.configure(&mut cmd);
    cmd.env_remove("SIFT_PROJECT").env("NO_COLOR", "1");
    cmd
}

fn ok(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn store_args(g: &Garage) -> Vec<String> {
    vec![
        "--endpoint".into(),
        g.endpoint(),
        "--region".into(),
        g.region().into(),
        "--path-style".into(),
    ]
}

fn enable(g: &Garage, project: &Path, prefix: &str) -> Value {
    ok(&sift(g)
        .args(["--json", "backup", "enable", "-p"])
        .arg(project)
        .args(["--bucket", g.bucket(), "--prefix", prefix])
        .args(store_args(g))
        .output()
        .unwrap())
}

fn restore(g: &Garage, prefix: &str, to: &Path, at: Option<&str>) -> Value {
    let mut cmd = sift(g);
    cmd.args(["--json", "backup", "restore"])
        .arg(format!("{}/{prefix}", g.bucket()))
        .arg("--to")
        .arg(to)
        .args(store_args(g));
    if let Some(at) = at {
        cmd.args(["--at", at]);
    }
    ok(&cmd.output().unwrap())
}

/// Every row a restore brings back (not sessions, the backup's own or the search index).
fn dump(file: &Path) -> Vec<(String, Vec<String>)> {
    sift_api::backup::backed_up_rows(file).unwrap()
}

#[test]
fn labelling_through_a_server_that_is_killed_is_restored_from_the_bucket() {
    let g = Garage::start();
    let p = ranking_project(400, &[("ann", "annotator")]);
    enable(&g, &p.path, "lab/proj");
    let served = Served::start_with_env(&p.path, &[], &g.env());
    let token = p.token("ann").to_owned();
    // (item, rationale, when acknowledged) of every saved draft.
    let mut acked: Vec<(i64, String, Instant)> = Vec::new();
    let start = Instant::now();
    let mut item = 1;
    while start.elapsed() < Duration::from_secs(9) {
        let rationale = format!("Draft {} of item {item}: response 1 is clearest.", acked.len());
        let body = json!({ "item_id": item, "payload": ranking_payload(["1", "0", "2", "3"], &rationale), "time_spent_ms": 50 });
        let r = call(served.addr, &token, "save_draft", &body).unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        acked.push((item, rationale, Instant::now()));
        item = item % 400 + 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed_at = Instant::now();
    served.kill();
    std::fs::remove_dir_all(&p.path).unwrap();
    assert!(!p.path.exists());

    let to = p.path.with_file_name("restored");
    let report = restore(&g, "lab/proj", &to, None);
    assert_eq!(report["problems"], json!([]), "{report}");
    let db = rusqlite::Connection::open(to.join("project.sift")).unwrap();
    let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let present = |rationale: &str| -> bool {
        db.query_row(
            "SELECT EXISTS(SELECT 1 FROM annotation_versions WHERE instr(payload, ?1) > 0)",
            [rationale],
            |r| r.get(0),
        )
        .unwrap()
    };
    let old: Vec<_> = acked
        .iter()
        .filter(|(_, _, at)| killed_at.duration_since(*at) > Duration::from_secs(5))
        .collect();
    assert!(old.len() > 20, "too few saves to prove anything: {}", old.len());
    for (item, rationale, _) in &old {
        assert!(
            present(rationale),
            "the draft {rationale:?} of item {item}, acknowledged > 5 s before the kill, is missing"
        );
    }
    let recent_kept = acked.iter().filter(|(_, r, _)| present(r)).count();
    println!(
        "saves acknowledged: {}, restored: {recent_kept}, acknowledged > 5 s before the kill: {}",
        acked.len(),
        old.len()
    );
    // The restored project opens and serves.
    ok(&sift(&g)
        .args(["--json", "status", "-p"])
        .arg(&to)
        .output()
        .unwrap());
}

#[test]
fn point_in_time_restore_equals_a_copy_and_a_corrupted_object_is_skipped() {
    let g = Garage::start();
    let p = ranking_project(5, &[("ann", "annotator")]);
    let file = p.path.join("project.sift");
    let enabled = enable(&g, &p.path, "pit");
    assert!(enabled["snapshot"].is_string(), "{enabled}");
    let now = |project: &Path| {
        ok(&sift(&g)
            .args(["--json", "backup", "now", "-p"])
            .arg(project)
            .output()
            .unwrap())
    };
    ok(&sift(&g)
        .args(["--json", "annotator", "add", "bob", "-p"])
        .arg(&p.path)
        .output()
        .unwrap());
    now(&p.path);
    std::thread::sleep(Duration::from_millis(50));
    let copy = p.path.with_file_name("copy.sift");
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    std::thread::sleep(Duration::from_millis(50));
    ok(&sift(&g)
        .args(["--json", "annotator", "add", "carol", "-p"])
        .arg(&p.path)
        .output()
        .unwrap());
    // Each command ships its change as it ends: the last segment holds dave's alone.
    let before_dave = p.path.with_file_name("before-dave.sift");
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute("VACUUM INTO ?1", [before_dave.to_str().unwrap()])
        .unwrap();
    ok(&sift(&g)
        .args(["--json", "annotator", "add", "dave", "-p"])
        .arg(&p.path)
        .output()
        .unwrap());
    // Each command shipped its own change as it ended: nothing is left for `backup now`.
    let shipped = now(&p.path);
    assert_eq!(shipped["changes"], 0, "{shipped}");

    let status = ok(&sift(&g)
        .args(["--json", "backup", "status", "-p"])
        .arg(&p.path)
        .output()
        .unwrap());
    assert_eq!(status["pending"], 0, "{status}");
    assert_eq!(status["snapshots"].as_array().unwrap().len(), 1, "{status}");
    assert!(status["last_remote_age_s"].as_f64().unwrap() < 60.0, "{status}");

    let pit = p.path.with_file_name("pit");
    restore(&g, "pit", &pit, Some(&at));
    assert_eq!(dump(&pit.join("project.sift")), dump(&copy));
    let latest = p.path.with_file_name("latest");
    restore(&g, "pit", &latest, None);
    assert_eq!(dump(&latest.join("project.sift")), dump(&file));

    // Corrupt the last segment in the bucket (same key, other bytes): detected, reported,
    // skipped; the restore holds everything before it (up to carol).
    let config = sift_api::SyncConfig {
        prefix: "pit".into(),
        region: Some(g.region().into()),
        endpoint: Some(g.endpoint()),
        path_style: true,
        ..sift_api::SyncConfig::new(g.bucket(), sift_api::SyncRole::Lead)
    };
    let store = sift_s3::S3Store::connect_with_key(
        &config,
        sift_s3::Tuning::default(),
        g.access_key(),
        g.secret_key(),
    )
    .unwrap();
    let segments: Vec<String> = store
        .list("changes/")
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    let last = segments.last().unwrap().clone();
    let mut body = store.get(&last, 1 << 30).unwrap().unwrap().body;
    let n = body.len();
    body[n / 2] ^= 0x20;
    let sha = sift_api::sha256_hex(&body);
    store
        .put(&last, body, &sha, sift_api::PutMode::Overwrite)
        .unwrap();
    let damaged = p.path.with_file_name("damaged");
    let report = restore(&g, "pit", &damaged, None);
    let problems = report["problems"].to_string();
    assert!(
        problems.contains(&last) && problems.contains("damaged"),
        "{report}"
    );
    assert!(problems.contains("could not be included"), "{report}");
    assert_eq!(dump(&damaged.join("project.sift")), dump(&before_dave));
}

/// The first row's two columns.
fn two<A: rusqlite::types::FromSql, B: rusqlite::types::FromSql>(project: &Path, sql: &str) -> (A, B) {
    sift_tests::open_read_only(project)
        .query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn run_ok(cmd: &mut Command) -> Value {
    ok(&cmd.arg("--json").output().unwrap())
}

fn remote_args(g: &Garage, prefix: &str) -> Vec<String> {
    let mut v = vec![
        "--bucket".into(),
        g.bucket().into(),
        "--prefix".into(),
        prefix.into(),
    ];
    v.extend(store_args(g));
    v
}

/// An annotator labels on their machine with backup on, the lead returns one submission with a
/// comment, the machine is lost: restored into a second folder, the annotator has their draft,
/// their submission, the returned work with its comment, their queue and their sync settings,
/// and goes on syncing.
#[test]
fn an_annotators_work_comes_back_on_a_new_machine() {
    let g = Garage::start();
    let dir = tempfile::tempdir().unwrap();
    let lead = dir.path().join("lead");
    run_ok(
        sift(&g)
            .arg("init")
            .arg(&lead)
            .arg("--template")
            .arg(sift_tests::template("ranking.toml")),
    );
    let manifest = dir.path().join("items.jsonl");
    let lines: Vec<String> = (0..4)
        .map(|i| {
            json!({"source": format!("Question {i}"), "prompt": format!("Question {i}: why is the sky blue?"),
                   "responses": ["Rayleigh scattering.", "The ocean.", "Blue light scatters more.", "Dust."]})
            .to_string()
        })
        .collect();
    std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
    run_ok(sift(&g).arg("import").arg(&manifest).arg("-p").arg(&lead));
    run_ok(sift(&g).args(["annotator", "add", "bob", "-p"]).arg(&lead));
    run_ok(
        sift(&g)
            .args(["annotator", "add", "rita", "--role", "reviewer", "-p"])
            .arg(&lead),
    );
    run_ok(
        sift(&g)
            .args([
                "batch", "create", "--size", "4", "--assign", "bob", "--name", "wk1", "-p",
            ])
            .arg(&lead),
    );
    run_ok(
        sift(&g)
            .args(["sync", "config", "-p"])
            .arg(&lead)
            .args(remote_args(&g, "team")),
    );
    run_ok(sift(&g).args(["sync", "push", "-p"]).arg(&lead));

    let bob = dir.path().join("bob");
    run_ok(
        sift(&g)
            .args(["sync", "join"])
            .arg(&bob)
            .args(["--annotator", "bob"])
            .args(remote_args(&g, "team")),
    );
    enable(&g, &bob, "people/bob");
    let items: Vec<i64> = sift_tests::query_column(&bob, "SELECT item_id FROM batch_items ORDER BY position");
    let annotate = |item: i64, text: &str, submit: bool| {
        let payload = ranking_payload(["0", "3", "2", "1"], text);
        let mut cmd = sift(&g);
        cmd.args([
            "annotate",
            &item.to_string(),
            "--as",
            "bob",
            "--payload",
            &payload.to_string(),
            "-p",
        ])
        .arg(&bob);
        if submit {
            cmd.arg("--submit");
        }
        run_ok(&mut cmd);
    };
    annotate(items[0], "Submitted by bob: response 0 is clearest.", true);
    annotate(items[1], "Submitted by bob, to be returned: response 0.", true);
    annotate(items[2], "A draft bob has not finished.", false);
    run_ok(sift(&g).args(["sync", "push", "-p"]).arg(&bob));
    run_ok(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    let (id, version): (i64, i64) = two(
        &lead,
        "SELECT a.id, a.submitted_version FROM annotations a JOIN annotation_versions v ON v.annotation_id = a.id
         WHERE instr(v.payload, 'to be returned') > 0",
    );
    run_ok(
        sift(&g)
            .args([
                "review",
                "return",
                &id.to_string(),
                "--version",
                &version.to_string(),
            ])
            .args(["--as", "rita", "--comment", "Response 2 is the clearer one", "-p"])
            .arg(&lead),
    );
    run_ok(sift(&g).args(["sync", "push", "-p"]).arg(&lead));
    run_ok(sift(&g).args(["sync", "pull", "-p"]).arg(&bob));
    run_ok(sift(&g).args(["backup", "now", "-p"]).arg(&bob));
    let before = dump(&bob.join("project.sift"));
    let status = |project: &Path| {
        let mut v = run_ok(sift(&g).args(["status", "-p"]).arg(project));
        v["project"]["path"] = Value::Null;
        v
    };
    let queue_before = status(&bob);

    // The machine is lost; a new one restores into another folder.
    std::fs::remove_dir_all(&bob).unwrap();
    let again = dir.path().join("bob-new-machine");
    let report = restore(&g, "people/bob", &again, None);
    assert_eq!(report["problems"], json!([]), "{report}");
    assert_eq!(dump(&again.join("project.sift")), before);
    let (state, comment): (String, String) = two(
        &again,
        "SELECT a.state, r.comment FROM annotations a JOIN reviews r ON r.annotation_id = a.id",
    );
    assert_eq!(
        (state.as_str(), comment.as_str()),
        ("returned", "Response 2 is the clearer one")
    );
    let draft: String = sift_tests::query_one(
        &again,
        "SELECT a.state FROM annotations a JOIN annotation_versions v ON v.annotation_id = a.id
         WHERE instr(v.payload, 'not finished') > 0",
    );
    assert_eq!(draft, "draft");
    assert_eq!(status(&again), queue_before);
    // Bob goes on: finishes the draft and pushes; the lead receives it.
    let payload = ranking_payload(["0", "3", "2", "1"], "Finished on the new machine.");
    run_ok(
        sift(&g)
            .args([
                "annotate",
                &items[2].to_string(),
                "--as",
                "bob",
                "--payload",
                &payload.to_string(),
            ])
            .args(["--submit", "-p"])
            .arg(&again),
    );
    run_ok(sift(&g).args(["sync", "push", "-p"]).arg(&again));
    run_ok(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    let arrived: i64 = sift_tests::query_one(
        &lead,
        "SELECT count(*) FROM annotation_versions WHERE instr(payload, 'Finished on the new machine') > 0",
    );
    assert_eq!(arrived, 1);
}

/// A change made with the CLI alone (no `sift serve`, no desktop app) is shipped when the
/// command ends: nothing waits for a later session.
#[test]
fn a_cli_change_is_in_the_bucket_when_the_command_ends() {
    let g = Garage::start();
    let p = ranking_project(3, &[("ann", "annotator")]);
    enable(&g, &p.path, "cli");
    ok(&sift(&g)
        .args(["--json", "annotator", "add", "zed", "-p"])
        .arg(&p.path)
        .output()
        .unwrap());
    let status = ok(&sift(&g)
        .args(["--json", "backup", "status", "-p"])
        .arg(&p.path)
        .output()
        .unwrap());
    assert_eq!(status["pending"], 0, "{status}");
    let to = p.path.with_file_name("restored-cli");
    restore(&g, "cli", &to, None);
    let names: Vec<String> = rusqlite::Connection::open(to.join("project.sift"))
        .unwrap()
        .prepare("SELECT name FROM annotators ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(names.contains(&"zed".to_owned()), "{names:?}");
    // A store that cannot be reached does not fail the command: it says so, and the change
    // stays captured for the next ship.
    let out = sift(&g)
        .env("AWS_ACCESS_KEY_ID", "GKnotakey")
        .env("SIFT_S3_MAX_ATTEMPTS", "1")
        .args(["--json", "annotator", "add", "yan", "-p"])
        .arg(&p.path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("backup of"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = ok(&sift(&g)
        .args(["--json", "backup", "status", "-p"])
        .arg(&p.path)
        .output()
        .unwrap());
    assert!(status["pending"].as_i64().unwrap() > 0, "{status}");
}
