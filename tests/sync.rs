//! S3 sync end to end: the real `sift` binary against a real Garage server started by the
//! harness (`sift_tests::garage`), on loopback ports, with real project files.
//!
//! - a lead hands a batch to two annotators, both label and push, the lead pulls: every
//!   version arrives once, and pulling again (or a segment repeated after a lost
//!   acknowledgement) adds nothing;
//! - media: Garage killed in the middle of a multipart upload and of a download; after a
//!   restart the rerun resumes and completes, and no partial object or file is ever taken
//!   as complete;
//! - wrong credentials, a missing bucket and a stopped server each give their message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sift_tests::garage::Garage;
use sift_tests::{count_rows, query_column, query_one, sift_bin, template};

/// A `sift` command talking to `g` (its key, region; the endpoint is in the project config).
fn sift(g: &Garage) -> Command {
    let mut cmd = Command::new(sift_bin());
    g.configure(&mut cmd);
    cmd.env_remove("SIFT_PROJECT")
        .env_remove("SIFT_BACKTRACE")
        .env("NO_COLOR", "1")
        // Fail fast when a test stops the server on purpose.
        .env("SIFT_S3_MAX_ATTEMPTS", "2");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run sift")
}

#[track_caller]
fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn ok_json(cmd: &mut Command) -> Value {
    let text = ok(cmd.arg("--json"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Remote options for `sift sync config` / `join`.
fn remote_args(g: &Garage, prefix: &str) -> Vec<String> {
    vec![
        "--bucket".into(),
        g.bucket().into(),
        "--prefix".into(),
        prefix.into(),
        "--endpoint".into(),
        g.endpoint(),
        "--region".into(),
        g.region().into(),
        "--path-style".into(),
    ]
}

fn ranking_payload(first: &str) -> Value {
    let order = match first {
        "0" => ["0", "3", "2", "1"],
        _ => ["1", "2", "3", "0"],
    };
    sift_tests::ranking_payload(
        order,
        &format!("Response {first} is the clearest and gets the facts right."),
    )
}

/// Manifest line `i` of the ranking items the tests hand out (`pass.id` is `i`).
fn item_line(i: usize) -> String {
    json!({"source": format!("Question {i}: why is the sky blue?"), "prompt": format!("Question {i}"),
           "responses": ["Rayleigh scattering.", "The ocean.", "Blue light scatters more.", "Dust."],
           "pass": {"id": i}})
    .to_string()
}

/// A lead project with `n` ranking items, annotators alice and bob, and batch `wk1` dealt
/// out to both, configured to sync with `g` under `prefix`.
fn lead_project(g: &Garage, dir: &Path, prefix: &str, n: usize) -> PathBuf {
    let lead = dir.join("lead");
    ok(sift(g)
        .arg("init")
        .arg(&lead)
        .arg("--template")
        .arg(template("ranking.toml")));
    let manifest = dir.join("items.jsonl");
    let lines: Vec<String> = (0..n).map(item_line).collect();
    std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
    ok(sift(g).arg("import").arg(&manifest).arg("-p").arg(&lead));
    for who in ["alice", "bob"] {
        ok(sift(g).args(["annotator", "add", who, "-p"]).arg(&lead));
    }
    ok(sift(g)
        .args([
            "batch",
            "create",
            "--size",
            &n.to_string(),
            "--assign",
            "alice,bob",
            "--name",
            "wk1",
            "-p",
        ])
        .arg(&lead));
    ok(sift(g)
        .args(["sync", "config", "-p"])
        .arg(&lead)
        .args(remote_args(g, prefix)));
    lead
}

fn join(g: &Garage, dir: &Path, prefix: &str, who: &str, media: bool) -> (PathBuf, Value) {
    let project = dir.join(who);
    let mut cmd = sift(g);
    cmd.args(["sync", "join"])
        .arg(&project)
        .args(["--annotator", who])
        .args(remote_args(g, prefix));
    if media {
        cmd.arg("--media");
    }
    let report = ok_json(&mut cmd);
    (project, report)
}

/// Item ids of an annotator's project, in its queue order.
fn item_ids(project: &Path) -> Vec<i64> {
    query_column(project, "SELECT item_id FROM batch_items ORDER BY position")
}

fn annotate(g: &Garage, project: &Path, who: &str, item: i64, payload: &Value, submit: bool) {
    let mut cmd = sift(g);
    cmd.args([
        "annotate",
        &item.to_string(),
        "--as",
        who,
        "--payload",
        &payload.to_string(),
        "-p",
    ])
    .arg(project);
    if submit {
        cmd.arg("--submit");
    }
    ok(&mut cmd);
}

#[test]
fn a_batch_goes_to_two_annotators_and_every_annotation_comes_back_once() {
    let g = Garage::start();
    let tmp = tempfile::tempdir().unwrap();
    let lead = lead_project(&g, tmp.path(), "team-a", 6);
    let pushed = ok_json(sift(&g).args(["sync", "push", "-p"]).arg(&lead));
    assert_eq!(pushed["batches"], json!(["wk1"]));
    // Pushing again moves nothing.
    let again = ok_json(sift(&g).args(["sync", "push", "-p"]).arg(&lead));
    assert_eq!(again["batches"], json!([]));
    assert_eq!(again["batches_unchanged"], 1);

    let (alice, joined) = join(&g, tmp.path(), "team-a", "alice", false);
    let (bob, _) = join(&g, tmp.path(), "team-a", "bob", false);
    // Round-robin: alice has items 1, 3, 5 of the lead; bob 2, 4, 6.
    assert_eq!(joined["items_added"], 3);
    assert_eq!(item_ids(&alice).len(), 3);
    assert_eq!(item_ids(&bob).len(), 3);

    // Alice saves a draft, then submits, on each item; Bob submits two of his.
    for id in item_ids(&alice) {
        annotate(
            &g,
            &alice,
            "alice",
            id,
            &json!({"rationale": "first look"}),
            false,
        );
        annotate(&g, &alice, "alice", id, &ranking_payload("0"), true);
    }
    for id in item_ids(&bob).into_iter().take(2) {
        annotate(&g, &bob, "bob", id, &ranking_payload("1"), true);
    }
    let status = ok_json(sift(&g).args(["sync", "status", "-p"]).arg(&alice));
    assert_eq!(status["versions_to_push"], 6);
    let a = ok_json(sift(&g).args(["sync", "push", "-p"]).arg(&alice));
    assert_eq!(a["versions"], 6);
    // Garage ignores If-None-Match: the probe notices, and the layout does not depend on it.
    assert_eq!(a["conditional_writes"], false);
    let b = ok_json(sift(&g).args(["sync", "push", "-p"]).arg(&bob));
    assert_eq!(b["versions"], 2);
    assert_eq!(
        ok_json(sift(&g).args(["sync", "push", "-p"]).arg(&bob))["versions"],
        0
    );

    let lead_status = ok_json(sift(&g).args(["sync", "status", "-p"]).arg(&lead));
    assert_eq!(lead_status["segments_to_pull"].as_array().unwrap().len(), 2);
    let pulled = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    assert_eq!(pulled["versions"], 8, "{pulled}");
    assert_eq!(pulled["problems"], json!([]));
    assert_eq!(count_rows(&lead, "annotation_versions"), 8);
    assert_eq!(
        query_one::<i64>(
            &lead,
            "SELECT count(*) FROM annotations WHERE state = 'submitted'"
        ),
        5
    );
    // Pulling twice adds nothing.
    let twice = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    assert_eq!(twice["versions"], 0);
    assert_eq!(twice["segments_unchanged"], 2);
    assert_eq!(count_rows(&lead, "annotation_versions"), 8);

    // The lead reviews one of Alice's annotations; later pulls keep the review.
    let annotation: i64 = {
        let conn = rusqlite::Connection::open(lead.join("project.sift")).unwrap();
        conn.query_row(
            "SELECT a.id FROM annotations a JOIN annotators p ON p.id = a.annotator_id
             WHERE p.name = 'alice' ORDER BY a.id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    ok(sift(&g)
        .args(["annotator", "add", "rita", "--role", "reviewer", "-p"])
        .arg(&lead));
    ok(sift(&g)
        .args([
            "review",
            "approve",
            &annotation.to_string(),
            "--version",
            "2",
            "--as",
            "rita",
            "-p",
        ])
        .arg(&lead));

    // A push whose acknowledgement was lost (the upload landed, the local record did not):
    // the versions go out again in a new segment, and the lead merges them once.
    {
        let conn = rusqlite::Connection::open(bob.join("project.sift")).unwrap();
        conn.execute("DELETE FROM sync_pushed_versions", []).unwrap();
    }
    let repeat = ok_json(sift(&g).args(["sync", "push", "-p"]).arg(&bob));
    assert_eq!(repeat["versions"], 2);
    assert_eq!(repeat["segments"][0], "results/bob/wk1/000002.jsonl");
    // The lead's record of a merged segment lost too: it is read again, and merged once.
    {
        let conn = rusqlite::Connection::open(lead.join("project.sift")).unwrap();
        conn.execute(
            "DELETE FROM sync_objects WHERE remote_key LIKE 'results/bob/%'",
            [],
        )
        .unwrap();
    }
    let merged = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    assert_eq!(merged["versions"], 0, "{merged}");
    assert_eq!(merged["duplicate_versions"], 4);
    assert_eq!(count_rows(&lead, "annotation_versions"), 8);
    assert_eq!(
        query_one::<i64>(&lead, "SELECT count(*) FROM annotations WHERE state = 'approved'"),
        1
    );

    // New work after the first round arrives as new versions only.
    let last = *item_ids(&bob).last().unwrap();
    annotate(&g, &bob, "bob", last, &ranking_payload("1"), true);
    ok(sift(&g).args(["sync", "push", "-p"]).arg(&bob));
    let third = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    assert_eq!(third["versions"], 1);
    assert_eq!(count_rows(&lead, "annotation_versions"), 9);

    // The export holds every submitted annotation once.
    let out = tmp.path().join("labels.jsonl");
    ok(sift(&g).args(["export", "-o"]).arg(&out).arg("-p").arg(&lead));
    let lines = std::fs::read_to_string(&out).unwrap();
    assert_eq!(lines.lines().count(), 6);

    // Reviews travel back. The lead returns one of Bob's submissions with a comment; the
    // lead's status shows the batch as waiting, and the push publishes Rita's approval of
    // Alice's work and the return of Bob's, each to its annotator only.
    let (returned_id, returned_version, item_hash): (i64, i64, Vec<u8>) = {
        let conn = rusqlite::Connection::open(lead.join("project.sift")).unwrap();
        conn.query_row(
            "SELECT a.id, a.submitted_version, i.content_hash FROM annotations a
             JOIN annotators p ON p.id = a.annotator_id JOIN items i ON i.id = a.item_id
             WHERE p.name = 'bob' AND a.state = 'submitted' ORDER BY a.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    ok(sift(&g)
        .args(["review", "return", &returned_id.to_string(), "--version"])
        .arg(returned_version.to_string())
        .args(["--as", "rita", "--comment", "Response 2 is the clearer one", "-p"])
        .arg(&lead));
    let waiting = ok_json(sift(&g).args(["sync", "status", "-p"]).arg(&lead));
    assert_eq!(waiting["batches_to_push"], json!(["wk1"]), "{waiting}");
    let published = ok_json(sift(&g).args(["sync", "push", "-p"]).arg(&lead));
    assert_eq!(published["reviews"], 2, "{published}");
    assert_eq!(
        ok_json(sift(&g).args(["sync", "status", "-p"]).arg(&lead))["batches_to_push"],
        json!([])
    );
    let bob_waiting = ok_json(sift(&g).args(["sync", "status", "-p"]).arg(&bob));
    assert_eq!(bob_waiting["reviews_to_pull"], json!(["wk1"]), "{bob_waiting}");

    // Bob pulls: the item is back with him, returned, with the comment; pulling again adds nothing.
    let got = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&bob));
    assert_eq!(
        (got["reviews"].as_u64(), got["returned"].as_u64()),
        (Some(1), Some(1)),
        "{got}"
    );
    assert_eq!(got["problems"], json!([]));
    let bob_item: i64 = {
        let conn = rusqlite::Connection::open(bob.join("project.sift")).unwrap();
        let (state, comment, item): (String, String, i64) = conn
            .query_row(
                "SELECT a.state, r.comment, i.id FROM annotations a JOIN items i ON i.id = a.item_id
                 JOIN reviews r ON r.annotation_id = a.id WHERE i.content_hash = ?1",
                [&item_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (state.as_str(), comment.as_str()),
            ("returned", "Response 2 is the clearer one")
        );
        item
    };
    let again = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&bob));
    assert_eq!(again["reviews"], 0, "{again}");
    assert_eq!(count_rows(&bob, "reviews"), 1);

    // Bob reworks it; the lead merges the new submission, waiting for review again.
    annotate(&g, &bob, "bob", bob_item, &ranking_payload("2"), true);
    ok(sift(&g).args(["sync", "push", "-p"]).arg(&bob));
    let rework = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    assert_eq!(rework["versions"], 1, "{rework}");
    assert_eq!(
        query_one::<i64>(
            &lead,
            &format!("SELECT count(*) FROM annotations WHERE id = {returned_id} AND state = 'submitted'")
        ),
        1
    );

    // Alice's side learns of the approval.
    let approved = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&alice));
    assert_eq!(
        (approved["reviews"].as_u64(), approved["returned"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        query_one::<i64>(
            &alice,
            "SELECT count(*) FROM annotations WHERE state = 'approved'"
        ),
        1
    );
}

/// Bytes that do not compress or repeat.
/// Gold reaches annotators who work offline: a batch carries gold items (answers kept apart,
/// `sift gold set`) to every assignee through the bucket, without their answers; what the
/// annotator submits on them comes back with the results and is graded on the lead's side.
#[test]
fn gold_items_travel_in_batches_without_their_answers_and_are_graded_after_the_pull() {
    let g = Garage::start();
    let tmp = tempfile::tempdir().unwrap();
    let lead = lead_project(&g, tmp.path(), "team-g", 2);
    // Items 3 and 4 become gold; 5 and 6 are ordinary work for the next batch.
    let more = tmp.path().join("more.jsonl");
    let lines: Vec<String> = (2..6).map(item_line).collect();
    std::fs::write(&more, lines.join("\n") + "\n").unwrap();
    ok(sift(&g).arg("import").arg(&more).arg("-p").arg(&lead));
    let answer = ranking_payload("0");
    for item in ["3", "4"] {
        ok(sift(&g)
            .args(["gold", "set", item, "--payload", &answer.to_string(), "-p"])
            .arg(&lead));
    }
    ok(sift(&g)
        .args(["gold", "settings", "--rate", "0.5", "-p"])
        .arg(&lead));
    let batch = ok_json(
        sift(&g)
            .args([
                "batch",
                "create",
                "--size",
                "2",
                "--assign",
                "alice,bob",
                "--name",
                "wk2",
                "-p",
            ])
            .arg(&lead),
    );
    assert_eq!(batch["items"], json!([5, 6]), "{batch}");
    assert_eq!(batch["gold"], json!([3, 4]), "{batch}");
    ok(sift(&g).args(["sync", "push", "-p"]).arg(&lead));

    let (alice, _) = join(&g, tmp.path(), "team-g", "alice", false);
    // Alice has her share of wk1 and wk2 and both gold items, as ordinary work.
    let local = |pass: i64| -> i64 {
        query_one(
            &alice,
            &format!("SELECT id FROM items WHERE json_extract(content, '$.pass.id') = {pass}"),
        )
    };
    let mine = item_ids(&alice);
    assert!(mine.contains(&local(2)) && mine.contains(&local(3)), "{mine:?}");
    assert_eq!(
        count_rows(&alice, "gold_items"),
        0,
        "the annotator's copy knows no answer"
    );
    // Right on one gold item, wrong on the other.
    annotate(&g, &alice, "alice", local(2), &ranking_payload("0"), true);
    annotate(&g, &alice, "alice", local(3), &ranking_payload("1"), true);
    ok(sift(&g).args(["sync", "push", "-p"]).arg(&alice));

    let pulled = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    assert_eq!(pulled["problems"], json!([]), "{pulled}");
    let status = ok_json(sift(&g).args(["gold", "status", "-p"]).arg(&lead));
    let alice_record = status
        .as_array()
        .or_else(|| status["records"].as_array())
        .unwrap()
        .iter()
        .find(|r| r["annotator"] == "alice")
        .unwrap_or_else(|| panic!("{status}"))
        .clone();
    assert_eq!(alice_record["answered"], 2, "{alice_record}");
    assert_eq!(alice_record["correct"], 1, "{alice_record}");
}

/// An annotator who joins again on a new machine (the old folder gone, no backup) gets their
/// own work back from their result segments: drafts and submissions, the work the lead
/// returned with its comment, their place in the queue; what they save next goes out once,
/// in a new segment that overwrites none of the old ones.
#[test]
fn an_annotator_joining_again_gets_their_own_work_back_from_the_bucket() {
    let g = Garage::start();
    let tmp = tempfile::tempdir().unwrap();
    let lead = lead_project(&g, tmp.path(), "team-r", 6);
    ok(sift(&g).args(["sync", "push", "-p"]).arg(&lead));
    let first = tmp.path().join("laptop-1");
    std::fs::create_dir_all(&first).unwrap();
    let (alice, _) = join(&g, &first, "team-r", "alice", false);
    let mine = item_ids(&alice);
    assert_eq!(mine.len(), 3);
    // A draft on the first item, submissions on the other two.
    annotate(
        &g,
        &alice,
        "alice",
        mine[0],
        &json!({"rationale": "half done"}),
        false,
    );
    annotate(&g, &alice, "alice", mine[1], &ranking_payload("0"), true);
    annotate(&g, &alice, "alice", mine[2], &ranking_payload("1"), true);
    ok(sift(&g).args(["sync", "push", "-p"]).arg(&alice));
    // The lead returns the last one with a comment.
    ok(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    ok(sift(&g)
        .args(["annotator", "add", "rita", "--role", "reviewer", "-p"])
        .arg(&lead));
    let returned: i64 = query_one(
        &lead,
        "SELECT a.id FROM annotations a JOIN annotators p ON p.id = a.annotator_id
         WHERE p.name = 'alice' AND a.state = 'submitted' ORDER BY a.item_id DESC LIMIT 1",
    );
    ok(sift(&g)
        .args(["review", "return", &returned.to_string(), "--version", "1"])
        .args(["--as", "rita", "--comment", "Rank response 3 higher", "-p"])
        .arg(&lead));
    ok(sift(&g).args(["sync", "push", "-p"]).arg(&lead));
    let segment_keys = || -> Vec<String> {
        use sift_api::ObjectStore as _;
        let store = store_as(&g, g.access_key(), g.secret_key(), g.bucket(), "team-r");
        store
            .list("results/alice/")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .filter(|k| k.ends_with(".jsonl"))
            .collect()
    };
    let old_segments = segment_keys();
    assert!(!old_segments.is_empty());

    // The laptop is gone; alice joins again elsewhere.
    std::fs::remove_dir_all(&first).unwrap();
    let second = tmp.path().join("laptop-2");
    std::fs::create_dir_all(&second).unwrap();
    let (again, joined) = join(&g, &second, "team-r", "alice", false);
    assert_eq!(joined["recovered"], 3, "{joined}");
    assert_eq!(joined["problems"], json!([]), "{joined}");
    let states: Vec<String> = query_column(
        &again,
        "SELECT a.state FROM annotations a JOIN items i ON i.id = a.item_id ORDER BY i.source_line",
    );
    assert_eq!(states, ["draft", "submitted", "returned"], "{joined}");
    let comment: String = query_one(&again, "SELECT comment FROM reviews");
    assert_eq!(comment, "Rank response 3 higher");
    let draft: String = query_one(
        &again,
        "SELECT v.payload FROM annotation_versions v JOIN annotations a ON a.id = v.annotation_id WHERE a.state = 'draft'",
    );
    assert!(draft.contains("half done"), "{draft}");
    // Nothing taken back goes out again.
    let status = ok_json(sift(&g).args(["sync", "status", "-p"]).arg(&again));
    assert_eq!(status["versions_to_push"], 0, "{status}");
    // Her queue starts with the returned work, then the draft.
    let mut project = sift_api::Project::open(&again).unwrap();
    let alice_caller = sift_api::Caller {
        name: "alice".into(),
        role: sift_api::Role::Annotator,
    };
    let queue = project
        .call(&alice_caller, "queue", json!({"limit": 10}), None)
        .unwrap();
    drop(project);
    let reasons: Vec<&str> = queue["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["returned", "draft"], "{queue}");

    // She fixes the returned work; the push adds a segment after the old ones.
    let fixed: i64 = query_one(&again, "SELECT item_id FROM annotations WHERE state = 'returned'");
    annotate(&g, &again, "alice", fixed, &ranking_payload("0"), true);
    let pushed = ok_json(sift(&g).args(["sync", "push", "-p"]).arg(&again));
    assert_eq!(pushed["versions"], 1, "{pushed}");
    let now = segment_keys();
    for key in &old_segments {
        assert!(now.contains(key), "{key} is still there: {now:?}");
    }
    assert_eq!(now.len(), old_segments.len() + 1, "{now:?}");
    let merged = ok_json(sift(&g).args(["sync", "pull", "-p"]).arg(&lead));
    assert_eq!(merged["versions"], 1, "{merged}");
    assert_eq!(merged["problems"], json!([]), "{merged}");
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            total += if meta.is_dir() {
                dir_size(&e.path())
            } else {
                meta.len()
            };
        }
    }
    total
}

/// Polls `cond` every 2 ms for up to `limit`.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

#[test]
fn media_transfers_survive_the_server_dying_mid_upload_and_mid_download() {
    let mut g = Garage::start();
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("photos");
    std::fs::create_dir_all(&media).unwrap();
    let big = noise(96 << 20, 7);
    std::fs::write(media.join("big.jpg"), &big).unwrap();
    std::fs::write(media.join("small.jpg"), noise(20_000, 8)).unwrap();
    let lead = tmp.path().join("lead");
    ok(sift(&g)
        .arg("init")
        .arg(&lead)
        .arg("--template")
        .arg(template("image-caption.toml")));
    let manifest = tmp.path().join("photos.jsonl");
    std::fs::write(
        &manifest,
        "{\"source-ref\":\"photos/big.jpg\",\"id\":1}\n{\"source-ref\":\"photos/small.jpg\",\"id\":2}\n",
    )
    .unwrap();
    ok(sift(&g).arg("import").arg(&manifest).arg("-p").arg(&lead));
    ok(sift(&g).args(["annotator", "add", "alice", "-p"]).arg(&lead));
    ok(sift(&g)
        .args([
            "batch", "create", "--size", "2", "--assign", "alice", "--name", "photos", "-p",
        ])
        .arg(&lead));
    ok(sift(&g)
        .args(["sync", "config", "-p"])
        .arg(&lead)
        .args(remote_args(&g, "media-test"))
        .arg("--media"));

    // 96 parts of 1 MiB, two at a time: kill Garage once some have landed.
    let push = |g: &Garage| {
        let mut cmd = sift(g);
        cmd.args(["sync", "push", "-p"])
            .arg(&lead)
            .env("SIFT_S3_PART_SIZE", (1 << 20).to_string())
            .env("SIFT_S3_MULTIPART_THRESHOLD", (4 << 20).to_string())
            .env("SIFT_S3_CONCURRENCY", "2");
        cmd
    };
    let data = g.dir().join("data");
    let before = dir_size(&data);
    let child = push(&g)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for(Duration::from_secs(60), || dir_size(&data) > before + (12 << 20)),
        "the upload never got going"
    );
    g.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the push should fail with the server gone: {stderr}"
    );
    assert!(stderr.contains("cannot reach"), "{stderr}");
    g.restart();

    // The batch was not written, so an annotator sees nothing half-pushed.
    let (alice, joined) = join(&g, tmp.path(), "media-test", "alice", true);
    assert_eq!(joined["batches"], json!([]));
    assert!(item_ids(&alice).is_empty());

    // The rerun finds the unfinished upload and sends only the missing parts.
    let again = ok_json(&mut push(&g));
    assert_eq!(again["batches"], json!(["photos"]), "{again}");
    let resumed = again["resumed_parts"].as_u64().unwrap();
    assert!((4..96).contains(&resumed), "resumed {resumed} parts: {again}");
    // Status agrees: with the media up and the batch written, nothing waits to be pushed.
    let status = ok_json(sift(&g).args(["sync", "status", "-p"]).arg(&lead));
    assert_eq!(status["batches_to_push"], json!([]), "{status}");

    // Download, killed mid-way: the file is never in place until complete and verified.
    let pull = |g: &Garage| {
        let mut cmd = sift(g);
        cmd.args(["sync", "pull", "-p"])
            .arg(&alice)
            .env("SIFT_S3_CONCURRENCY", "1");
        cmd
    };
    let media_dir = alice.join("media");
    let sha = sift_api::sha256_hex(&big);
    let final_path = media_dir.join(format!("{sha}.jpg"));
    let partial = media_dir.join(format!(".{sha}.jpg.{}.part", &sha[..16]));
    let child = pull(&g)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let caught = wait_for(Duration::from_secs(60), || {
        std::fs::metadata(&partial).is_ok_and(|m| m.len() > (4 << 20))
    });
    g.kill();
    let out = child.wait_with_output().unwrap();
    assert!(caught, "the download finished before the server could be stopped");
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(!final_path.exists(), "a partial download must not be in place");
    assert!(partial.exists());
    g.restart();
    let done = ok_json(&mut pull(&g));
    assert_eq!(
        std::fs::read(&final_path).unwrap(),
        big,
        "the downloaded file is the original"
    );
    assert!(!partial.exists(), "no partial file left behind");
    assert!(done["resumed_bytes"].as_u64().unwrap() > 0, "{done}");
    // The item points at its local copy, which the project may serve.
    let refs: Vec<String> = query_column(&alice, "SELECT media_ref FROM items ORDER BY id");
    assert!(
        refs.iter()
            .all(|r| r.starts_with(&media_dir.display().to_string())),
        "{refs:?}"
    );
    // Nothing more to move.
    let idle = ok_json(&mut pull(&g));
    assert_eq!(idle["media_files"], 0);
    assert_eq!(idle["media_unchanged"], 2);
}

#[test]
fn wrong_credentials_a_missing_bucket_and_a_stopped_server_each_say_so() {
    let mut g = Garage::start();
    let tmp = tempfile::tempdir().unwrap();
    let lead = lead_project(&g, tmp.path(), "errors", 2);

    let fail = |cmd: &mut Command| -> String {
        let out = run(cmd);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    let wrong = fail(sift(&g).args(["sync", "push", "-p"]).arg(&lead).env(
        "AWS_SECRET_ACCESS_KEY",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ));
    assert!(wrong.contains("rejected the credentials"), "{wrong}");
    assert!(!wrong.contains(g.secret_key()), "a secret must never be printed");
    let unknown = fail(
        sift(&g)
            .args(["sync", "push", "-p"])
            .arg(&lead)
            .env("AWS_ACCESS_KEY_ID", "GK00000000000000000000000000"),
    );
    assert!(unknown.contains("credentials"), "{unknown}");

    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let mut args = remote_args(&g, "errors");
    args[1] = "no-such-bucket".into();
    ok(sift(&g).args(["sync", "config", "-p"]).arg(&lead).args(&args));
    let missing = fail(sift(&g).args(["sync", "push", "-p"]).arg(&lead));
    assert!(
        missing.contains("bucket \"no-such-bucket\" does not exist"),
        "{missing}"
    );

    ok(sift(&g)
        .args(["sync", "config", "-p"])
        .arg(&lead)
        .args(remote_args(&g, "errors")));
    g.kill();
    let started = Instant::now();
    let stopped = fail(sift(&g).args(["sync", "status", "-p"]).arg(&lead));
    assert!(stopped.contains("cannot reach"), "{stopped}");
    assert!(stopped.contains(&g.endpoint()), "{stopped}");
    assert!(started.elapsed() < Duration::from_secs(30), "gave up too slowly");

    // Secrets never reach the project file.
    let file = std::fs::read(lead.join("project.sift")).unwrap();
    let text = String::from_utf8_lossy(&file);
    assert!(!text.contains(g.secret_key()) && !text.contains(g.access_key()));
}

// ---------------------------------------------------------------- who may write where
//
// Garage cannot limit a key to a prefix: each annotator gets a results bucket only their key
// can write (`docs/sync-policies/garage-setup.sh`), and the lead reads each annotator's
// results from that bucket alone.

/// An annotator's Garage key and results bucket, as the set-up script printed them.
struct Member {
    name: String,
    key: String,
    secret: String,
    bucket: String,
}

/// Runs the shipped Garage set-up script for `names` (the lead is this instance's own key).
fn garage_setup(g: &Garage, names: &[&str]) -> (Vec<Member>, String) {
    let script = sift_tests::repo_root().join("docs/sync-policies/garage-setup.sh");
    let mut args = vec![g.bucket(), g.access_key()];
    args.extend_from_slice(names);
    let out = g.run_script(&script, &args);
    let members = out
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() == 8 && w[0] == "annotator").then(|| Member {
                name: w[1].to_owned(),
                key: w[3].to_owned(),
                secret: w[5].to_owned(),
                bucket: w[7].to_owned(),
            })
        })
        .collect();
    (members, out)
}

/// A `sift` command using an annotator's own key.
fn sift_as(g: &Garage, m: &Member) -> Command {
    let mut cmd = sift(g);
    for (k, v) in g.env_for(&m.key, &m.secret) {
        cmd.env(k, v);
    }
    cmd
}

/// The real S3 transport with an explicit key, on `bucket` under `prefix`.
fn store_as(g: &Garage, key: &str, secret: &str, bucket: &str, prefix: &str) -> sift_s3::S3Store {
    let config = sift_api::SyncConfig {
        prefix: prefix.into(),
        region: Some(g.region().into()),
        endpoint: Some(g.endpoint()),
        path_style: true,
        ..sift_api::SyncConfig::new(bucket, sift_api::SyncRole::Lead)
    };
    let tuning = sift_s3::Tuning {
        max_attempts: 2,
        ..sift_s3::Tuning::default()
    };
    sift_s3::S3Store::connect_with_key(&config, tuning, key, secret).unwrap()
}

#[test]
fn each_annotator_writes_only_its_own_results_and_the_lead_reads_them_from_there() {
    use sift_api::{ObjectStore, PutMode, RemoteErrorKind};
    let g = Garage::start();
    let tmp = tempfile::tempdir().unwrap();
    let (team, out) = garage_setup(&g, &["alice", "bob"]);
    assert_eq!(team.len(), 2, "{out}");
    assert_eq!(team[0].bucket, "sift-test-results-alice");
    assert!(
        team.iter()
            .all(|m| m.key.starts_with("GK") && m.secret.len() > 20),
        "{out}"
    );
    // Running it again changes nothing and hands out no secret.
    let (again, _) = garage_setup(&g, &["alice", "bob"]);
    assert!(again.iter().all(|m| m.secret == "(unchanged)"));
    assert_eq!(again[1].key, team[1].key);

    let lead = lead_project(&g, tmp.path(), "trust", 4);
    let mut config = sift(&g);
    config.args(["sync", "config", "-p"]).arg(&lead);
    for m in &team {
        config.args(["--results-bucket", &format!("{}={}", m.name, m.bucket)]);
    }
    let shown = ok_json(&mut config);
    assert_eq!(shown["results_buckets"]["bob"], "sift-test-results-bob");
    let round = ok_json(sift(&g).args(["sync", "-p"]).arg(&lead));
    assert_eq!(round[1]["batches"], json!(["wk1"]), "{round}");

    // Each annotator joins and syncs with their own key; their work goes to their bucket.
    for m in &team {
        let project = tmp.path().join(&m.name);
        ok(sift_as(&g, m)
            .args(["sync", "join"])
            .arg(&project)
            .args(["--annotator", &m.name])
            .args(remote_args(&g, "trust")));
        for id in item_ids(&project) {
            annotate(&g, &project, &m.name, id, &ranking_payload("0"), true);
        }
        // `sift sync` alone and `sift sync run` are the same round.
        let round: &[&str] = if m.name == "bob" {
            &["sync", "run", "-p"]
        } else {
            &["sync", "-p"]
        };
        let reports = ok_json(sift_as(&g, m).args(round).arg(&project));
        assert_eq!(reports[0]["direction"], "push", "{reports}");
        assert_eq!(reports[0]["versions"], 2, "{reports}");
        assert_eq!(
            reports[0]["segments"],
            json!([format!("results/{}/wk1/000001.jsonl", m.name)])
        );
    }
    let bucket_of = |name: &str| &team.iter().find(|m| m.name == name).unwrap().bucket;

    // Garage refuses what a key may not write: Alice's key cannot write under results/bob/
    // (in the shared bucket or in Bob's), nor publish batches; the lead cannot write results.
    let (alice, bob) = (&team[0], &team[1]);
    let shared = store_as(&g, &alice.key, &alice.secret, g.bucket(), "trust");
    let in_bobs = store_as(&g, &alice.key, &alice.secret, &bob.bucket, "trust");
    let lead_in_alices = store_as(&g, g.access_key(), g.secret_key(), bucket_of("alice"), "trust");
    let body = b"{}\n".to_vec();
    let sha = sift_api::sha256_hex(&body);
    for (store, key) in [
        (&shared, "results/bob/wk1/000009.jsonl"),
        (&shared, "batches/wk1/assignments.jsonl"),
        (&in_bobs, "results/bob/wk1/000009.jsonl"),
        (&lead_in_alices, "results/alice/wk1/000009.jsonl"),
    ] {
        let e = store
            .put(key, body.clone(), &sha, PutMode::Overwrite)
            .expect_err(key);
        assert_eq!(e.kind, RemoteErrorKind::Forbidden, "{}: {e}", store.location());
    }

    // What Alice writes in her own bucket under Bob's name is never taken for Bob's work.
    let item: String = query_one(
        &lead,
        "SELECT lower(hex(content_hash)) FROM items ORDER BY id LIMIT 1",
    );
    let forged = format!(
        "{}\n{}\n",
        json!({"item": item, "version": 9, "kind": "submitted", "payload": ranking_payload("1"),
               "time_spent_ms": 1, "created_at": "2030-01-01T00:00:00Z"}),
        json!({"end": {"annotator": "bob", "batch": "wk1", "lines": 1}})
    );
    let own = store_as(&g, &alice.key, &alice.secret, &alice.bucket, "trust");
    let sha = sift_api::sha256_hex(forged.as_bytes());
    own.put(
        "results/bob/wk1/000001.jsonl",
        forged.into_bytes(),
        &sha,
        PutMode::Overwrite,
    )
    .unwrap();

    // The lead merges each annotator's work once, from their bucket, and names the stray.
    let out = run(sift(&g).args(["sync", "pull", "--json", "-p"]).arg(&lead));
    assert_eq!(out.status.code(), Some(1), "problems make the exit code say so");
    // With --json, the report comes first on stdout, then the error.
    let pulled: Value = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(pulled["versions"], 4, "{pulled}");
    let problems = pulled["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{pulled}");
    let stray = problems[0].as_str().unwrap();
    assert!(
        stray.contains("results/bob/wk1/000001.jsonl") && stray.contains("sift-test-results-alice"),
        "{stray}"
    );
    assert_eq!(count_rows(&lead, "annotation_versions"), 4);
    let status = ok_json(sift(&g).args(["sync", "status", "-p"]).arg(&lead));
    assert_eq!(status["segments_to_pull"], json!([]), "{status}");
}

#[test]
fn the_aws_policies_let_each_annotator_write_its_own_results_only() {
    let policy = |name: &str| -> Value {
        let path = sift_tests::repo_root().join("docs/sync-policies").join(name);
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    // Every resource a policy lets its holder write.
    let writable = |p: &Value| -> Vec<String> {
        let mut out = Vec::new();
        for s in p["Statement"].as_array().unwrap() {
            assert_eq!(s["Effect"], "Allow");
            let actions: Vec<&str> = match &s["Action"] {
                Value::String(a) => vec![a.as_str()],
                a => a
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect(),
            };
            if actions.iter().any(|a| *a == "s3:PutObject" || a.ends_with('*')) {
                match &s["Resource"] {
                    Value::String(r) => out.push(r.clone()),
                    r => out.extend(
                        r.as_array()
                            .unwrap()
                            .iter()
                            .map(|r| r.as_str().unwrap().to_owned()),
                    ),
                }
            }
        }
        out
    };
    assert_eq!(
        writable(&policy("aws-annotator-policy.json")),
        ["arn:aws:s3:::BUCKET/PREFIX/results/${aws:username}/*"]
    );
    let lead = writable(&policy("aws-lead-policy.json"));
    assert_eq!(lead.len(), 3, "{lead:?}");
    assert!(lead.iter().all(|r| !r.contains("/results/")), "{lead:?}");
}

// ---------------------------------------------------------------- reads and downloads have limits

#[test]
fn reads_stop_at_their_cap_and_downloads_at_the_expected_size() {
    use sift_api::{DownloadJob, ObjectStore, PutMode, RemoteErrorKind};
    use std::sync::atomic::{AtomicU64, Ordering};
    let g = Garage::start();
    let store = store_as(&g, g.access_key(), g.secret_key(), g.bucket(), "caps");
    let body = noise(300_000, 3);
    let sha = sift_api::sha256_hex(&body);
    store
        .put("media/object.bin", body.clone(), &sha, PutMode::Overwrite)
        .unwrap();

    // Into memory: refused past the cap, whole within it.
    let e = store.get("media/object.bin", 100_000).unwrap_err();
    assert_eq!(e.kind, RemoteErrorKind::TooLarge, "{e}");
    assert_eq!(
        store.get("media/object.bin", 300_000).unwrap().unwrap().body,
        body
    );

    // To disk: a download that expects fewer bytes than the object holds writes no more than
    // it expects, and leaves nothing behind; one that expects the object gets it.
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("object.bin");
    let short = DownloadJob {
        key: "media/object.bin".into(),
        dest: dest.clone(),
        size: 100_000,
        sha256: sift_api::sha256_hex(&body[..100_000]),
    };
    let most = AtomicU64::new(0);
    let results = store.download_files(std::slice::from_ref(&short), &|b| {
        most.fetch_max(b, Ordering::Relaxed);
    });
    let e = results[0].as_ref().unwrap_err();
    assert_eq!(e.kind, RemoteErrorKind::Integrity, "{e}");
    assert!(e.message.contains("more than the expected 100000 bytes"), "{e}");
    assert!(
        most.load(Ordering::Relaxed) <= 100_000,
        "wrote past the expected size"
    );
    assert!(!dest.exists());
    assert!(!sift_s3::partial_path(&dest, &short.sha256).exists());
    let whole = DownloadJob {
        size: 300_000,
        sha256: sha.clone(),
        ..short
    };
    let results = store.download_files(&[whole], &|_| {});
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert_eq!(std::fs::read(&dest).unwrap(), body);
}
