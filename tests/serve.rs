//! `sift serve` end to end: the real binary on a temporary project, spoken to over real HTTP
//! on 127.0.0.1. Sessions (sign-in, sign-out, what the cookie holds).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use serde_json::json;
use sift_tests::http::{Response, call, post_json, request};
use sift_tests::serve::{Served, payload, ranking_project};
use sift_tests::*;

fn sign_in(addr: std::net::SocketAddr, token: &str) -> Response {
    post_json(addr, "/api/session", None, &json!({ "token": token })).unwrap()
}

fn me_with_cookie(addr: std::net::SocketAddr, cookie: &str) -> u16 {
    post_json(addr, "/api/me", Some(("Cookie", cookie)), &json!({}))
        .unwrap()
        .status
}

#[test]
fn sign_out_ends_the_session_and_the_cookie_never_holds_the_token() {
    let p = ranking_project(2, &[("ann", "annotator")]);
    let s = Served::start(&p.path, &[]);
    let token = p.token("ann");

    let res = sign_in(s.addr, token);
    assert_eq!(res.status, 200, "{}", res.text());
    let set = res.header("set-cookie").unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP on loopback: {set}");
    let pair = res.cookie_pair("sift_session").unwrap();
    let id = pair.split_once('=').unwrap().1;
    assert!(
        !id.contains(token.trim_start_matches("sift_")),
        "the cookie carries the access token: {set}"
    );
    assert_eq!(me_with_cookie(s.addr, &pair), 200);
    assert_eq!(
        me_with_cookie(s.addr, &format!("sift_session={token}")),
        401,
        "a token is not a session id"
    );

    // Sign out as the browser sends it: DELETE, same origin, no body and no Content-Type.
    let origin = format!("http://{}", s.addr);
    let out = request(
        s.addr,
        "DELETE",
        "/api/session",
        &[
            ("Cookie", &pair),
            ("Accept", "application/json"),
            ("Origin", &origin),
        ],
        None,
    )
    .unwrap();
    assert_eq!(out.status, 204, "sign-out refused: {}", out.text());
    let cleared = out.header("set-cookie").unwrap_or_default();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // A copy of the cookie kept elsewhere no longer signs anyone in.
    assert_eq!(
        me_with_cookie(s.addr, &pair),
        401,
        "the session outlived sign-out"
    );

    // The UI's own call (DELETE with a JSON body) works as well, and signing out twice is fine.
    let again = sign_in(s.addr, token).cookie_pair("sift_session").unwrap();
    let out = request(
        s.addr,
        "DELETE",
        "/api/session",
        &[
            ("Cookie", &again),
            ("Content-Type", "application/json"),
            ("Origin", &origin),
        ],
        Some(b"{}"),
    )
    .unwrap();
    assert_eq!(out.status, 204, "{}", out.text());
    assert_eq!(me_with_cookie(s.addr, &again), 401);
    let out = request(s.addr, "DELETE", "/api/session", &[("Cookie", &again)], None).unwrap();
    assert_eq!(out.status, 204);

    // Another site cannot sign a person out (or in).
    let third = sign_in(s.addr, token).cookie_pair("sift_session").unwrap();
    let out = request(
        s.addr,
        "DELETE",
        "/api/session",
        &[("Cookie", &third), ("Origin", "http://evil.example")],
        None,
    )
    .unwrap();
    assert_eq!(out.status, 403);
    assert_eq!(me_with_cookie(s.addr, &third), 200);
}

#[test]
fn resetting_a_token_ends_its_sessions() {
    let p = ranking_project(1, &[("ann", "annotator")]);
    let s = Served::start(&p.path, &[]);
    let pair = sign_in(s.addr, p.token("ann"))
        .cookie_pair("sift_session")
        .unwrap();
    assert_eq!(me_with_cookie(s.addr, &pair), 200);
    sift()
        .args(["annotator", "reset-token", "ann", "-p"])
        .arg(&p.path)
        .assert()
        .success();
    assert_eq!(me_with_cookie(s.addr, &pair), 401);
}

fn sign_out(addr: std::net::SocketAddr, cookie: &str) -> Response {
    let origin = format!("http://{addr}");
    request(
        addr,
        "DELETE",
        "/api/session",
        &[("Cookie", cookie), ("Origin", &origin)],
        None,
    )
    .unwrap()
}

/// Sessions live in the project file: a server restarted on the same project (after a
/// SIGKILL, the harshest restart) still knows the cookie, and work saved with it lands; a
/// session signed out before the restart stays ended after it.
#[test]
fn a_session_survives_a_restart_and_a_signed_out_one_stays_out() {
    let p = ranking_project(2, &[("ann", "annotator")]);
    let s = Served::start(&p.path, &[]);
    let kept = sign_in(s.addr, p.token("ann"))
        .cookie_pair("sift_session")
        .unwrap();
    let ended = sign_in(s.addr, p.token("ann"))
        .cookie_pair("sift_session")
        .unwrap();
    assert_eq!(me_with_cookie(s.addr, &kept), 200);
    assert_eq!(sign_out(s.addr, &ended).status, 204);
    s.kill();

    let s = Served::start(&p.path, &[]);
    let me = post_json(s.addr, "/api/me", Some(("Cookie", &kept)), &json!({})).unwrap();
    assert_eq!(me.status, 200, "the restart signed the person out: {}", me.text());
    assert_eq!(me.json()["annotator"]["name"], "ann");
    let draft = json!({ "item_id": 1, "payload": payload(), "time_spent_ms": 1000 });
    let saved = post_json(s.addr, "/api/save_draft", Some(("Cookie", &kept)), &draft).unwrap();
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert_eq!(
        me_with_cookie(s.addr, &ended),
        401,
        "sign-out undone by a restart"
    );

    // Signing out now also holds across a restart.
    assert_eq!(sign_out(s.addr, &kept).status, 204);
    s.kill();
    let s = Served::start(&p.path, &[]);
    assert_eq!(me_with_cookie(s.addr, &kept), 401);
    assert_eq!(count_rows(&p.path, "sessions"), 0, "sign-out deletes the row");
}

/// A session past its idle limit (12 h unused) or its lifetime (7 days) is refused, also
/// when the server that issued it is gone; the row is removed.
#[test]
fn an_expired_session_is_refused_after_a_restart() {
    let p = ranking_project(1, &[("ann", "annotator")]);
    let s = Served::start(&p.path, &[]);
    let idle = sign_in(s.addr, p.token("ann"))
        .cookie_pair("sift_session")
        .unwrap();
    let old = sign_in(s.addr, p.token("ann"))
        .cookie_pair("sift_session")
        .unwrap();
    let fresh = sign_in(s.addr, p.token("ann"))
        .cookie_pair("sift_session")
        .unwrap();
    s.kill();

    // Age two of the sessions in the file, found by the hash of their id (all it stores).
    let db = rusqlite::Connection::open(p.path.join("project.sift")).unwrap();
    let hash = |pair: &str| {
        blake3::hash(pair.split_once('=').unwrap().1.as_bytes())
            .as_bytes()
            .to_vec()
    };
    const HOUR_MS: i64 = 3_600_000;
    let aged = db
        .execute(
            "UPDATE sessions SET last_seen_ms = last_seen_ms - 13 * ?2 WHERE id_hash = ?1",
            rusqlite::params![hash(&idle), HOUR_MS],
        )
        .unwrap();
    assert_eq!(aged, 1);
    let aged = db
        .execute(
            "UPDATE sessions SET created_ms = created_ms - 8 * 24 * ?2 WHERE id_hash = ?1",
            rusqlite::params![hash(&old), HOUR_MS],
        )
        .unwrap();
    assert_eq!(aged, 1);
    drop(db);

    let s = Served::start(&p.path, &[]);
    for pair in [&idle, &old] {
        let me = post_json(s.addr, "/api/me", Some(("Cookie", pair)), &json!({})).unwrap();
        assert_eq!(me.status, 401, "{}", me.text());
        assert_eq!(me.json()["code"], "unauthenticated");
        assert!(me.text().contains("expired"), "{}", me.text());
    }
    assert_eq!(me_with_cookie(s.addr, &fresh), 200);
    assert_eq!(count_rows(&p.path, "sessions"), 1, "expired sessions are removed");
}

/// The project file (with its write-ahead log, as a kill leaves it) holds no session id and
/// no access token, in any form a browser or a script ever sent.
#[test]
fn the_project_file_holds_no_session_id_or_token() {
    let p = ranking_project(1, &[("ann", "annotator"), ("rev", "reviewer")]);
    let s = Served::start(&p.path, &[]);
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    for name in ["ann", "rev"] {
        let token = p.token(name);
        secrets.push(token.as_bytes().to_vec());
        secrets.push(token.trim_start_matches("sift_").as_bytes().to_vec());
        for _ in 0..3 {
            let pair = sign_in(s.addr, token).cookie_pair("sift_session").unwrap();
            assert_eq!(me_with_cookie(s.addr, &pair), 200);
            let id = pair.split_once('=').unwrap().1.to_owned();
            let raw: Vec<u8> = (0..id.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
                .collect();
            secrets.push(id.into_bytes());
            secrets.push(raw);
        }
    }
    s.kill();
    assert_eq!(count_rows(&p.path, "sessions"), 6);
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(p.path.join(format!("project.sift{suffix}"))) {
            bytes.extend(b);
        }
    }
    assert!(bytes.len() > 4096, "read the project file");
    for secret in &secrets {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
            "the project file holds a secret: {}",
            String::from_utf8_lossy(secret)
        );
    }
}

/// A small xorshift generator: random kill moments without a dependency.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(t | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Issue 13, "killed under load": 20 annotators save drafts and submit over HTTP while the
/// server is SIGKILLed at random moments 100 times and restarted. Every submission that got
/// a 2xx answer is in the project exactly once, versions are whole (1..=latest, no gaps, no
/// repeats), `PRAGMA integrity_check` says ok and the project opens.
#[test]
fn killed_under_load_nothing_acknowledged_is_lost() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, RwLock};
    use std::time::Duration;

    const ANNOTATORS: usize = 20;
    const ITEMS_EACH: usize = 60;
    const KILLS: usize = 100;

    let names: Vec<String> = (0..ANNOTATORS).map(|i| format!("a{i:02}")).collect();
    let people: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "annotator")).collect();
    let p = ranking_project(ANNOTATORS * ITEMS_EACH, &people);
    sift()
        .args(["batch", "create", "--size"])
        .arg((ANNOTATORS * ITEMS_EACH).to_string())
        .arg("--assign")
        .arg(names.join(","))
        .arg("-p")
        .arg(&p.path)
        .assert()
        .success();

    let server = Arc::new(Mutex::new(Some(Served::start(&p.path, &[]))));
    let addr = Arc::new(RwLock::new(server.lock().unwrap().as_ref().unwrap().addr));
    let done = Arc::new(AtomicBool::new(false));
    // (annotator, item, annotation id, version, rationale) of every 2xx submission.
    let acked = Arc::new(Mutex::new(Vec::<(String, i64, i64, i64, String)>::new()));

    let clients: Vec<_> = names
        .iter()
        .map(|name| {
            let token = p.token(name).to_owned();
            let name = name.clone();
            let (addr, done, acked) = (Arc::clone(&addr), Arc::clone(&done), Arc::clone(&acked));
            std::thread::spawn(move || {
                let current = || *addr.read().unwrap();
                // Retries a request that is safe to repeat until the server answers.
                let answer = |command: &str, args: &serde_json::Value| loop {
                    if let Ok(r) = call(current(), &token, command, args) {
                        return r;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                };
                let mut round = 0u64;
                while !done.load(Ordering::Relaxed) {
                    let q = answer("queue", &json!({ "limit": 1 }));
                    assert_eq!(q.status, 200, "{}", q.text());
                    let Some(item) = q.json()["entries"][0]["item_id"].as_i64() else {
                        break; // all work done
                    };
                    for d in 0..2 {
                        let draft = ranking_payload(["1", "0", "2", "3"], &format!("Draft {d} of {name}."));
                        // A draft may be lost with the server; the retry saves it again.
                        let r = answer(
                            "save_draft",
                            &json!({ "item_id": item, "payload": draft, "time_spent_ms": 100 }),
                        );
                        assert_eq!(r.status, 200, "draft: {}", r.text());
                    }
                    // A submission is sent once: when its answer is lost, whether it was saved
                    // is unknown, so the item's state is read back instead of sending it again.
                    round += 1;
                    let rationale = format!("Response 0 is the clearest: {name}, round {round}.");
                    let body = json!({ "item_id": item, "payload": ranking_payload(["0", "3", "2", "1"], &rationale) });
                    match call(current(), &token, "submit", &body) {
                        Ok(r) if (200..300).contains(&r.status) => {
                            let v = r.json();
                            acked.lock().unwrap().push((
                                name.clone(),
                                item,
                                v["id"].as_i64().unwrap(),
                                v["version"].as_i64().unwrap(),
                                rationale,
                            ));
                        }
                        Ok(r) => panic!("submit refused: {} {}", r.status, r.text()),
                        Err(_) => {} // unknown: the queue shows the item again if it was lost
                    }
                }
            })
        })
        .collect();

    let mut rng = Rng::seeded();
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(20 + rng.below(150)));
        let old = server.lock().unwrap().take().unwrap();
        old.kill();
        let fresh = Served::start(&p.path, &[]);
        *addr.write().unwrap() = fresh.addr;
        *server.lock().unwrap() = Some(fresh);
    }
    std::thread::sleep(Duration::from_millis(500));
    done.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("an annotator thread failed");
    }
    server.lock().unwrap().take().unwrap().kill();

    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= ANNOTATORS,
        "too little work got through to prove anything: {} submissions",
        acked.len()
    );
    let db = open_read_only(&p.path);
    let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    for (name, item, annotation, version, rationale) in &acked {
        let found: Vec<(String, String)> = db
            .prepare(
                "SELECT v.kind, v.payload FROM annotation_versions v
                 JOIN annotations a ON a.id = v.annotation_id
                 JOIN annotators p ON p.id = a.annotator_id
                 WHERE v.annotation_id = ?1 AND v.version = ?2 AND a.item_id = ?3 AND p.name = ?4",
            )
            .unwrap()
            .query_map(rusqlite::params![annotation, version, item, name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{name}'s acknowledged submission of item {item} is missing"
        );
        assert_eq!(found[0].0, "submitted");
        assert!(found[0].1.contains(rationale.as_str()), "{}", found[0].1);
        let copies: i64 = db
            .query_row(
                "SELECT count(*) FROM annotation_versions WHERE annotation_id = ?1 AND payload LIKE ?2",
                rusqlite::params![annotation, format!("%{rationale}%")],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            copies, 1,
            "{name}'s submission of item {item} was stored {copies} times"
        );
    }
    // Versions of every annotation run 1..=latest_version, once each.
    let broken: i64 = db
        .query_row(
            "SELECT count(*) FROM annotations a WHERE a.latest_version !=
                 (SELECT count(DISTINCT v.version) FROM annotation_versions v WHERE v.annotation_id = a.id)
              OR a.latest_version != (SELECT max(v.version) FROM annotation_versions v WHERE v.annotation_id = a.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(broken, 0, "annotations whose versions have gaps or repeats");
    drop(db);
    sift().args(["status", "-p"]).arg(&p.path).assert().success();
    println!("{} acknowledged submissions survived {KILLS} kills", acked.len());
}
