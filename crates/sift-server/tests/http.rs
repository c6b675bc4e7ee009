//! The HTTP adapter on a real project file: authentication, per-annotator isolation, media
//! confinement with Range requests, hardening headers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sift_api::{NoProgress, Project, Role};
use tower::ServiceExt;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Fixture {
    _dir: tempfile::TempDir,
    app: Router,
    ann: String,
    other: String,
    rev: String,
}

fn fixture(template: &str, manifest: &str, setup: impl FnOnce(&Path)) -> Fixture {
    fixture_with(template, manifest, setup, |_| {})
}

/// As [`fixture`], with `prepare` run on the project once its people exist.
fn fixture_with(
    template: &str,
    manifest: &str,
    setup: impl FnOnce(&Path),
    prepare: impl FnOnce(&mut Project),
) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("m.jsonl"), manifest).unwrap();
    let mut p = sift_api::init_project(
        &dir.path().join("proj"),
        &repo().join("labeling-templates").join(template),
        None,
    )
    .unwrap();
    p.import(&data.join("m.jsonl"), &Default::default(), &NoProgress)
        .unwrap();
    let (_, ann) = p.add_annotator("ann", Role::Annotator).unwrap();
    let (_, other) = p.add_annotator("other", Role::Annotator).unwrap();
    let (_, rev) = p.add_annotator("rev", Role::Reviewer).unwrap();
    prepare(&mut p);
    drop(p);
    let project = Project::open(&dir.path().join("proj")).unwrap();
    Fixture {
        app: sift_server::router(project, None),
        ann,
        other,
        rev,
        _dir: dir,
    }
}

async fn call(app: &Router, token: Option<&str>, command: &str, body: Value) -> (StatusCode, Value) {
    let mut req = Request::post(format!("/api/{command}")).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn qa() -> Fixture {
    fixture(
        "qa.toml",
        "{\"source\":\"The bridge opened in 1932 after four years of work.\"}\n",
        |_| {},
    )
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let f = qa();
    let (status, body) = call(&f.app, None, "me", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
    let (status, _) = call(&f.app, Some("sift_0000"), "get_item", json!({"item_id": 1})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = call(&f.app, Some(&f.ann), "me", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["annotator"]["name"], "ann");
}

#[tokio::test]
async fn sign_in_sets_an_http_only_cookie_that_authenticates() {
    let f = qa();
    let req = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"token": f.ann}).to_string()))
        .unwrap();
    let res = f.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let req = Request::post("/api/me")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, pair)
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(f.app.clone().oneshot(req).await.unwrap().status(), StatusCode::OK);

    let bad = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"token": "sift_nope"}).to_string()))
        .unwrap();
    assert_eq!(
        f.app.clone().oneshot(bad).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn another_annotator_cannot_read_or_change_my_draft() {
    let f = qa();
    let draft = json!({"pairs": [{"question": "When did the bridge open?", "answer": "1932"}]});
    let (status, mine) = call(
        &f.app,
        Some(&f.ann),
        "save_draft",
        json!({"item_id": 1, "payload": draft, "time_spent_ms": 1500}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let annotation_id = mine["id"].as_i64().unwrap();

    // The item has left the other annotator's queue: they can open it no more (issue 13 #6).
    let (status, item) = call(&f.app, Some(&f.other), "get_item", json!({"item_id": 1})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{item}");
    assert!(item["annotation"].is_null(), "leaked: {item}");
    let (status, body) = call(
        &f.app,
        Some(&f.other),
        "get_annotation",
        json!({"annotation_id": annotation_id}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Nor can they write to it; my draft is untouched.
    let (status, theirs) = call(
        &f.app,
        Some(&f.other),
        "save_draft",
        json!({"item_id": 1, "payload": {"pairs": []}}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{theirs}");
    let (_, item) = call(&f.app, Some(&f.ann), "get_item", json!({"item_id": 1})).await;
    assert_eq!(item["annotation"]["payload"]["pairs"][0]["answer"], "1932");
    assert_eq!(item["annotation"]["time_spent_ms"], 1500);
    // Annotators cannot review; reviewers can open it.
    let (status, _) = call(&f.app, Some(&f.other), "pending_reviews", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, task) = call(
        &f.app,
        Some(&f.rev),
        "get_annotation",
        json!({"annotation_id": annotation_id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(task["item"]["id"], 1);
}

#[tokio::test]
async fn an_invalid_submission_is_422_with_every_violation() {
    let f = qa();
    let (status, body) = call(
        &f.app,
        Some(&f.ann),
        "submit",
        json!({"item_id": 1, "payload": {"pairs": []}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_input");
    assert!(!body["violations"].as_array().unwrap().is_empty());
    let (status, violations) = call(
        &f.app,
        Some(&f.ann),
        "validate",
        json!({"item_id": 1, "payload": {"pairs": []}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(violations, body["violations"]);
    let (status, body) = call(&f.app, Some(&f.ann), "get_item", json!({"item": 1})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown argument names are refused: {body}"
    );
    let (status, _) = call(&f.app, Some(&f.ann), "drop_tables", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn state_changing_requests_must_be_same_origin_json() {
    let f = qa();
    let form = Request::post("/api/save_draft")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.ann))
        .body(Body::from("item_id=1"))
        .unwrap();
    assert_eq!(
        f.app.clone().oneshot(form).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let cross = Request::post("/api/me")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "127.0.0.1:7878")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.ann))
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(
        f.app.clone().oneshot(cross).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

fn media_fixture() -> Fixture {
    let png = std::fs::read(repo().join("tests/fixtures/media/scene-64x48.png")).unwrap();
    let manifest = "{\"source-ref\":\"img/a.png\"}\n{\"source-ref\":\"../secret.png\"}\n{\"source-ref\":\"/etc/passwd\"}\n{\"source-ref\":\"s3://bucket/x.png\"}\n{\"source-ref\":\"img/link.png\"}\n";
    fixture("image-caption.toml", manifest, move |dir| {
        std::fs::create_dir_all(dir.join("data/img")).unwrap();
        std::fs::write(dir.join("data/img/a.png"), &png).unwrap();
        std::fs::write(dir.join("secret.png"), b"outside the media root").unwrap();
        std::os::unix::fs::symlink(dir.join("secret.png"), dir.join("data/img/link.png")).unwrap();
    })
}

async fn get_media(
    app: &Router,
    token: &str,
    id: i64,
    range: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req =
        Request::get(format!("/media/items/{id}")).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(r) = range {
        req = req.header(header::RANGE, r);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test]
async fn media_is_served_with_ranges_from_inside_the_roots_only() {
    let f = media_fixture();
    let (status, headers, body) = get_media(&f.app, &f.ann, 1, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(body.starts_with(b"\x89PNG"));
    let (status, headers, body) = get_media(&f.app, &f.ann, 1, Some("bytes=0-99")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body.len(), 100);
    assert!(
        headers[header::CONTENT_RANGE]
            .to_str()
            .unwrap()
            .starts_with("bytes 0-99/")
    );
    assert!(
        headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );

    for id in [2, 3, 5] {
        let (status, _, body) = get_media(&f.app, &f.ann, id, None).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "item {id}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let (status, _, _) = get_media(&f.app, &f.ann, 4, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "remote media is not proxied");
    let (status, _, _) = get_media(&f.app, "sift_bad", 1, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_response_carries_the_hardening_headers() {
    let f = qa();
    let res = f
        .app
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = res.headers();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
}

#[tokio::test]
async fn a_per_launch_media_key_serves_media_without_headers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/media/scene-64x48.png"),
        data.join("a.png"),
    )
    .unwrap();
    std::fs::write(data.join("m.jsonl"), "{\"source-ref\":\"a.png\"}\n").unwrap();
    let mut p = sift_api::init_project(
        &dir.path().join("proj"),
        &repo().join("labeling-templates/image-caption.toml"),
        None,
    )
    .unwrap();
    p.import(&data.join("m.jsonl"), &Default::default(), &NoProgress)
        .unwrap();
    p.add_annotator("me", Role::Lead).unwrap();
    let key = sift_server::MediaKey {
        secret: "k3y-abcdef".into(),
        annotator: "me".into(),
    };
    let app = sift_server::router_with_media_key(p, None, Some(key));
    let get = |q: &'static str| {
        let app = app.clone();
        async move {
            app.oneshot(
                Request::get(format!("/media/items/1{q}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
            .status()
        }
    };
    assert_eq!(get("?key=k3y-abcdef").await, StatusCode::OK);
    assert_eq!(get("?key=k3y-abcdeX").await, StatusCode::UNAUTHORIZED);
    assert_eq!(get("").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_queue_continues_after_its_first_page_and_finished_work_can_be_reopened() {
    let lines: String = (0..5)
        .map(|i| format!("{{\"source\":\"Passage number {i}.\"}}\n"))
        .collect();
    let f = fixture("qa.toml", &lines, |_| {});
    let (_, page) = call(&f.app, Some(&f.ann), "queue", json!({"limit": 2})).await;
    let ids: Vec<i64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2]);
    assert_eq!(page["total_items"], 5);
    let (_, next) = call(&f.app, Some(&f.ann), "queue", json!({"limit": 2, "after": 2})).await;
    let ids: Vec<i64> = next["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![3, 4],
        "the next page continues after item 2 instead of starting over"
    );

    call(
        &f.app,
        Some(&f.ann),
        "save_draft",
        json!({"item_id": 4, "payload": {"pairs": []}}),
    )
    .await;
    let (status, work) = call(&f.app, Some(&f.ann), "recent_work", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(work[0]["item_id"], 4);
    assert_eq!(work[0]["state"], "draft");
    let (_, theirs) = call(&f.app, Some(&f.other), "recent_work", json!({})).await;
    assert_eq!(theirs, json!([]), "only the caller's own work is listed");
}

/// Issue 13 #6: item ids are sequential, so an annotator must not reach items outside their
/// queue by guessing ids: not items assigned to someone else, not items someone else has
/// started. Reviewers and leads reach every item.
#[tokio::test]
async fn annotators_reach_only_the_items_in_their_queue() {
    let lines: String = (0..4)
        .map(|i| format!("{{\"source\":\"Passage number {i}.\"}}\n"))
        .collect();
    let f = fixture_with(
        "qa.toml",
        &lines,
        |_| {},
        |p| {
            // Two items dealt round-robin to ann and other; the rest stays unassigned.
            p.create_batch(Some("b"), 2, &["ann".to_owned(), "other".to_owned()])
                .unwrap();
        },
    );
    let first_of = |v: &Value| v["entries"][0]["item_id"].as_i64().unwrap();
    let (_, q) = call(&f.app, Some(&f.ann), "queue", json!({})).await;
    let mine = first_of(&q);
    let (_, q) = call(&f.app, Some(&f.other), "queue", json!({})).await;
    let theirs = first_of(&q);
    assert_ne!(mine, theirs);
    let draft = |id: i64| json!({"item_id": id, "payload": {"pairs": []}});
    let full = |id: i64| json!({"item_id": id, "payload": {"pairs": [{"question": "Which number?", "answer": "Passage"}]}});

    let (status, _) = call(&f.app, Some(&f.ann), "get_item", json!({"item_id": mine})).await;
    assert_eq!(status, StatusCode::OK);
    for (command, body) in [
        ("get_item", json!({"item_id": theirs})),
        ("save_draft", draft(theirs)),
        ("submit", full(theirs)),
        ("validate", full(theirs)),
    ] {
        let (status, res) = call(&f.app, Some(&f.ann), command, body).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{command} on another's item: {res}"
        );
        assert_eq!(res["code"], "forbidden");
    }
    let (status, _) = call(&f.app, Some(&f.ann), "get_item", json!({"item_id": 99})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A new, unassigned item is open to all until someone starts it.
    let new = (1..=4).find(|i| *i != mine && *i != theirs).unwrap();
    let (status, _) = call(&f.app, Some(&f.other), "get_item", json!({"item_id": new})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, res) = call(&f.app, Some(&f.ann), "save_draft", draft(new)).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    for (command, body) in [("get_item", json!({"item_id": new})), ("save_draft", draft(new))] {
        let (status, res) = call(&f.app, Some(&f.other), command, body).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{command} on work ann started: {res}"
        );
    }
    // Own work stays open to its annotator; reviewers open anything.
    let (status, item) = call(&f.app, Some(&f.ann), "get_item", json!({"item_id": new})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(item["annotation"]["state"], "draft");
    for id in [mine, theirs, new] {
        let (status, _) = call(&f.app, Some(&f.rev), "get_item", json!({"item_id": id})).await;
        assert_eq!(status, StatusCode::OK, "reviewer on item {id}");
    }
}

/// Issue 13 #6, media: an item's media is served only to those who may open the item.
#[tokio::test]
async fn media_of_an_item_outside_the_queue_is_refused() {
    let f = media_fixture();
    let (status, _, _) = get_media(&f.app, &f.ann, 1, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, res) = call(
        &f.app,
        Some(&f.other),
        "save_draft",
        json!({"item_id": 1, "payload": {}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let (status, _, body) = get_media(&f.app, &f.ann, 1, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _, _) = get_media(&f.app, &f.other, 1, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get_media(&f.app, &f.rev, 1, Some("bytes=0-9")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
}

/// The media route answers from its own Range parser: one normalised range, 416 past the
/// end, the whole file for anything it does not take.
#[tokio::test]
async fn media_ranges_are_normalised_before_the_file_server_sees_them() {
    let f = media_fixture();
    let (_, _, whole) = get_media(&f.app, &f.ann, 1, None).await;
    let len = whole.len();
    let (status, headers, body) = get_media(&f.app, &f.ann, 1, Some("bytes=-10")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, whole[len - 10..]);
    assert_eq!(
        headers[header::CONTENT_RANGE].to_str().unwrap(),
        format!("bytes {}-{}/{len}", len - 10, len - 1)
    );
    let (status, headers, _) = get_media(&f.app, &f.ann, 1, Some(&format!("bytes={len}-"))).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        headers[header::CONTENT_RANGE].to_str().unwrap(),
        format!("bytes */{len}")
    );
    for ignored in [
        "bytes=0-1,4-5",
        "bytes=5-1",
        "pages=1-2",
        "bytes=0-99999999999999999999",
    ] {
        let (status, _, body) = get_media(&f.app, &f.ann, 1, Some(ignored)).await;
        assert_eq!(status, StatusCode::OK, "{ignored}");
        assert_eq!(body.len(), len, "{ignored}");
    }
}
