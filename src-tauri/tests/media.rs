//! The loopback media server: Range requests, the per-launch secret, the per-project prefix,
//! media roots, and nothing but media.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use sift_api::Project;
use sift_desktop::media::{MediaServer, bind_loopback};
use tower::ServiceExt;

const SECRET: &str = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A video project whose media folder holds `clip.mp4` (item 1); item 2 points outside it.
fn project(dir: &Path) -> (PathBuf, Vec<u8>) {
    let media = dir.join("media");
    std::fs::create_dir_all(&media).unwrap();
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(media.join("clip.mp4"), &bytes).unwrap();
    let outside = dir.join("secret.mp4");
    std::fs::write(&outside, b"not yours").unwrap();
    let manifest = media.join("video.jsonl");
    let lines = [
        json!({"source-ref": "clip.mp4", "duration": 4.0, "fps": 25}),
        json!({"source-ref": outside, "duration": 1.0, "fps": 25}),
    ];
    std::fs::write(
        &manifest,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let folder = dir.join("video");
    let mut p = sift_api::init_project(
        &folder,
        &repo().join("labeling-templates/video-caption.toml"),
        None,
    )
    .unwrap();
    p.import(&manifest, &Default::default(), &sift_api::NoProgress)
        .unwrap();
    p.add_annotator("me", sift_api::Role::Lead).unwrap();
    (folder, bytes)
}

async fn get(
    server: &MediaServer,
    method: Method,
    uri: &str,
    range: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(r) = range {
        req = req.header(header::RANGE, r);
    }
    let res = server
        .router()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn serves_media_with_ranges_behind_the_secret_and_the_project_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, bytes) = project(dir.path());
    let server = MediaServer::with_secret(5555, SECRET.into());
    let base = server.mount(Project::open(&folder).unwrap(), "me");
    assert_eq!(base, format!("http://127.0.0.1:5555/{SECRET}/1/media"));
    let path = base.trim_start_matches("http://127.0.0.1:5555");

    let (status, headers, body) = get(&server, Method::GET, &format!("{path}/items/1"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, bytes);
    assert_eq!(headers["cross-origin-resource-policy"], "cross-origin");
    assert_eq!(headers[header::ACCEPT_RANGES], "bytes");

    let (status, headers, body) = get(
        &server,
        Method::GET,
        &format!("{path}/items/1"),
        Some("bytes=1000-1999"),
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers[header::CONTENT_RANGE], "bytes 1000-1999/10000");
    assert_eq!(body, &bytes[1000..2000]);

    let (status, _, body) = get(
        &server,
        Method::GET,
        &format!("{path}/items/1"),
        Some("bytes=9990-"),
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &bytes[9990..]);

    let (status, _, body) = get(&server, Method::HEAD, &format!("{path}/items/1"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());

    // Outside the project's media folders: refused by the API crate.
    let (status, _, body) = get(&server, Method::GET, &format!("{path}/items/2"), None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&body)
    );
    // Unknown item.
    let (status, _, _) = get(&server, Method::GET, &format!("{path}/items/99"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Anything else is a 404: a wrong secret, no secret, other routes, other methods, tricks.
    let wrong = format!("/{}/1/media/items/1", "0".repeat(64));
    let short = format!("/{}/1/media/items/1", &SECRET[..10]);
    let api = format!("/{SECRET}/1/api/me");
    let dotdot = format!("/{SECRET}/1/media/items/1/../2");
    let plain = "/media/items/1".to_owned();
    let keyed = format!("/media/items/1?key={SECRET}");
    let index = format!("/{SECRET}/1/");
    for uri in [
        &wrong,
        &short,
        &api,
        &dotdot,
        &plain,
        &keyed,
        &index,
        &"/".to_owned(),
    ] {
        let (status, _, _) = get(&server, Method::GET, uri, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
    let (status, _, _) = get(&server, Method::POST, &format!("{path}/items/1"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A new project (even the same one again) gets a new prefix; the old one stops working.
    let base2 = server.mount(Project::open(&folder).unwrap(), "me");
    assert_ne!(base2, base);
    let (status, _, _) = get(&server, Method::GET, &format!("{path}/items/1"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let path2 = base2.trim_start_matches("http://127.0.0.1:5555");
    let (status, _, _) = get(&server, Method::GET, &format!("{path2}/items/1"), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_loopback_only_on_a_random_port_and_answers_range_over_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, bytes) = project(dir.path());
    let listener = bind_loopback().unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    let server = MediaServer::new(addr.port()).unwrap();
    let base = server.mount(Project::open(&folder).unwrap(), "me");
    tokio::spawn(server.clone().serve(listener));
    let path = format!("{}/items/1", base.trim_start_matches(&format!("http://{addr}")));
    let response = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nRange: bytes=0-99\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 206"), "{text}");
    assert!(response.ends_with(&bytes[..100]));
    // Two launches never share a secret.
    let other = MediaServer::new(addr.port()).unwrap();
    let other_base = other.mount(Project::open(&folder).unwrap(), "me");
    assert_ne!(other_base, base);
}
