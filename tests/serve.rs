//! `sift serve` end to end: the real binary on a temporary project, spoken to over real HTTP
//! on 127.0.0.1. Sessions (sign-in, sign-out, what the cookie holds).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use serde_json::json;
use sift_tests::http::{Response, post_json, request};
use sift_tests::serve::{Served, ranking_project};
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
