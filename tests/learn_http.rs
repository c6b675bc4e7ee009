//! The closed loop with an annotator working over HTTP, on a real text encoder: the demo's
//! support tickets are imported and embedded by all-MiniLM-L6-v2 (`sift embed`); an annotator
//! signs in to a real `sift serve` with a bearer token and, with real HTTP requests, keeps a
//! draft in progress on one ticket and labels others with the classification template;
//! `sift learn` (another process, while the server runs) trains a head on the stored vectors;
//! the annotator's queue, read again over HTTP, then follows the new head's scores, most
//! uncertain first, page after page, while the draft keeps its place and its work.
//!
//! The encoder is that of `make setup-python` (`$SIFT_ENCODER_DIR`); without it the test FAILS
//! with the command that builds it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::collections::BTreeSet;

use serde_json::json;
use sift_tests::http;
use sift_tests::learning::*;
use sift_tests::serve::Served;
use sift_tests::*;

/// The real `sift serve` (`support/serve.rs`) with the calls this test makes over HTTP
/// (`support/http.rs`): status and JSON answer, or the JSON of a call that must succeed.
struct Server(Served);

impl Server {
    fn start(proj: &std::path::Path) -> Self {
        Server(Served::start(proj, &[]))
    }

    fn call(&self, token: &str, command: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let r = http::call(self.0.addr, token, command, body).expect("an answer from sift serve");
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null),
        )
    }

    fn ok(&self, token: &str, command: &str, body: &serde_json::Value) -> serde_json::Value {
        let (status, v) = self.call(token, command, body);
        assert_eq!(status, 200, "{command} {body}: {v}");
        v
    }
}

const FEATURES: &str = "embeddings:all-minilm-l6-v2@1";

/// The whole queue over HTTP, page by page as the UI reads it: `(item, reason, score)`.
fn whole_queue(server: &Server, token: &str) -> Vec<(i64, String, Option<f64>)> {
    let mut out = Vec::new();
    let mut page = server.ok(token, "queue", &json!({"limit": 20}));
    loop {
        let entries = page["entries"].as_array().unwrap().clone();
        if entries.is_empty() {
            return out;
        }
        for e in &entries {
            out.push((
                e["item_id"].as_i64().unwrap(),
                e["reason"].as_str().unwrap().to_owned(),
                e["score"].as_f64(),
            ));
        }
        let last = out.last().unwrap().0;
        page = server.ok(token, "queue", &json!({"limit": 20, "after": last}));
    }
}

#[test]
fn labels_over_http_then_sift_learn_reorders_the_queue_and_keeps_the_draft() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100;
    let proj = tickets_project(dir.path(), n);
    let items = items_and_truth(&proj, &tickets(n));
    let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
    let token = json_of(
        sift()
            .args(["annotator", "add", "web", "--json", "-p"])
            .arg(&proj),
    )["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = Server::start(&proj);
    assert_eq!(server.ok(&token, "me", &json!({}))["annotator"]["name"], "web");
    let (status, _) = server.call("sift_not_a_token", "queue", &json!({}));
    assert_eq!(status, 401);

    // Before any head, new work comes in import order.
    let queue = whole_queue(&server, &token);
    assert_eq!(queue.iter().map(|e| e.0).collect::<Vec<_>>(), ids);

    // A draft in progress on one ticket.
    let draft_item = ids[50];
    let draft = json!({"labels": ["billing"]});
    let saved = server.ok(
        &token,
        "save_draft",
        &json!({"item_id": draft_item, "payload": draft, "time_spent_ms": 4000}),
    );
    assert_eq!(saved["state"], "draft");

    // 24 labels through the API, 6 per class, as the UI submits them.
    let mut labeled = BTreeSet::new();
    for class in ["billing", "shipping", "technical", "account"] {
        for (id, _) in items
            .iter()
            .filter(|(id, t)| t == class && *id != draft_item)
            .take(6)
        {
            let item = server.ok(&token, "get_item", &json!({"item_id": id}));
            assert!(item["content"]["source"].is_string(), "{item}");
            assert!(item["annotation"].is_null(), "{item}");
            let done = server.ok(
                &token,
                "submit",
                &json!({"item_id": id, "payload": {"labels": [class]}, "time_spent_ms": 2500}),
            );
            assert_eq!(done["state"], "submitted", "{done}");
            labeled.insert(*id);
        }
    }
    // A payload that breaks the template's rules is refused over HTTP as well.
    let (status, body) = server.call(
        &token,
        "submit",
        &json!({"item_id": ids[99], "payload": {"labels": ["billing", "shipping"]}}),
    );
    assert_eq!(status, 422, "{body}");
    let before = whole_queue(&server, &token);
    assert_eq!(before[0], (draft_item, "draft".to_owned(), None));
    let new_before: Vec<i64> = before[1..].iter().map(|e| e.0).collect();
    assert!(new_before.windows(2).all(|w| w[0] < w[1]), "import order");

    // `sift learn` in another process while the server runs.
    let report = json_of(
        sift()
            .args(["learn", "--json", "--features", FEATURES, "-p"])
            .arg(&proj),
    );
    assert_eq!(report["heads"][0]["version"], 1);
    assert_eq!(report["rescore"]["items_queued"], n - 25);

    // The same server now serves the new order: the draft first, then new work by the head's
    // margin scores, most uncertain first, across pages.
    let after = whole_queue(&server, &token);
    assert_eq!(after[0], (draft_item, "draft".to_owned(), None));
    let new_after: Vec<i64> = after[1..].iter().map(|e| e.0).collect();
    assert!(after[1..].iter().all(|e| e.1 == "new"));
    let want: BTreeSet<i64> = ids
        .iter()
        .copied()
        .filter(|id| !labeled.contains(id) && *id != draft_item)
        .collect();
    assert_eq!(new_after.iter().copied().collect::<BTreeSet<_>>(), want);
    assert_eq!(new_after.len(), want.len(), "no item twice");
    assert_ne!(new_after, new_before, "the order changed");
    let head = query_one::<i64>(
        &proj,
        "SELECT id FROM model_versions WHERE name = 'support-tickets-head' AND version = 1",
    );
    let mut by_score: Vec<(i64, f64)> = query_column::<String>(
        &proj,
        &format!(
            "SELECT item_id || ' ' || score FROM item_scores WHERE model_version_id = {head} \
             AND strategy = 'margin' AND score IS NOT NULL"
        ),
    )
    .iter()
    .map(|s| {
        let (id, score) = s.split_once(' ').unwrap();
        (id.parse().unwrap(), score.parse().unwrap())
    })
    .filter(|(id, _)| want.contains(id))
    .collect();
    by_score.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(
        new_after,
        by_score.iter().map(|e| e.0).collect::<Vec<_>>(),
        "the queue follows the new scores"
    );
    for (entry, (_, score)) in after[1..].iter().zip(&by_score) {
        assert!((entry.2.unwrap() - score).abs() < 1e-9, "{entry:?}");
    }
    let first: Vec<i64> = report["rescore"]["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item_id"].as_i64().unwrap())
        .collect();
    assert_eq!(&new_after[..first.len()], &first[..]);

    // The draft kept its work, and now shows the head's suggestion.
    let item = server.ok(&token, "get_item", &json!({"item_id": draft_item}));
    assert_eq!(item["annotation"]["state"], "draft");
    assert_eq!(item["annotation"]["payload"], draft);
    assert_eq!(item["annotation"]["version"], 1);
    assert_eq!(item["suggestion"]["model"], "support-tickets-head", "{item}");

    // Labeling goes on: once the draft is submitted, the next item is the head's first pick.
    let done = server.ok(
        &token,
        "submit",
        &json!({"item_id": draft_item, "payload": draft, "time_spent_ms": 1000}),
    );
    assert_eq!(done["state"], "submitted");
    assert_eq!(done["version"], 2);
    let next = server.ok(&token, "queue", &json!({"limit": 1}));
    assert_eq!(next["entries"][0]["item_id"], first[0]);
    assert_eq!(next["done"], 25);
}
