//! Model suggestions through the use cases and the command table, on real project files with
//! heads that `sift learn` trained (no stand-ins): classification (digits with numeric
//! features) and ranking (reward heads on per-response vectors). The suggestion appears after
//! a round, follows the newest version, agrees with the predictions export, never fills in an
//! answer, disappears when the project turns suggestions off, and saves record whether it was
//! shown and accepted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

mod support;

use support::{RANKING_TEMPLATE, digits, digits_project};

use serde_json::{Value, json};
use sift_api::learn::SETTING_SUGGESTIONS;
use sift_api::{Caller, Error, ExportFormat, ExportOptions, LearnOptions, NoProgress, Project, Role};

fn ann() -> Caller {
    Caller {
        name: "ann".into(),
        role: Role::Annotator,
    }
}

fn suggestion(p: &mut Project, item: i64) -> Value {
    p.call(&ann(), "get_item", json!({"item_id": item}), None)
        .unwrap()["suggestion"]
        .clone()
}

/// The predictions export, by item id (import order: line i is item i + 1).
fn exported_predictions(p: &Project) -> Vec<Value> {
    let mut out = Vec::new();
    let opts = ExportOptions {
        format: ExportFormat::Predictions,
        ..Default::default()
    };
    p.export_to_writer(&mut out, &opts, &NoProgress).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["prediction"].clone())
        .collect()
}

#[test]
fn a_classification_suggestion_follows_the_newest_head_and_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, truth) = digits_project(dir.path(), digits(200));
    // No head yet: no suggestion.
    assert_eq!(suggestion(&mut p, 150), Value::Null);
    for item in 1..=60 {
        let class = &truth[(item - 1) as usize];
        p.submit(item, "ann", &json!({"labels": [class]}), 1000).unwrap();
    }
    let report = p.learn(&LearnOptions::default(), &NoProgress).unwrap();
    let head = &report.heads[0];

    let predictions = exported_predictions(&p);
    let mut right = 0;
    for item in 61..=200_i64 {
        let s = suggestion(&mut p, item);
        assert_eq!(s["model"], json!(head.model), "item {item}: {s}");
        assert_eq!(s["version"], json!(head.version));
        assert!(s.get("rankings").is_none(), "{s}");
        let probabilities = s["probabilities"].as_object().unwrap();
        assert_eq!(probabilities.len(), 10, "{s}");
        let sum: f64 = probabilities.values().map(|v| v.as_f64().unwrap()).sum();
        assert!(
            (sum - 1.0).abs() < 1e-3,
            "item {item}: probabilities sum to {sum}"
        );
        // One label for a single-label template: the most probable class, as exported.
        let labels = s["labels"].as_array().unwrap();
        assert_eq!(labels.len(), 1, "{s}");
        let label = labels[0].as_str().unwrap();
        let best = probabilities
            .iter()
            .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
            .unwrap()
            .0;
        assert_eq!(label, best, "{s}");
        let exported = &predictions[(item - 1) as usize];
        assert_eq!(exported["label"].as_str(), Some(label), "item {item}");
        let confidence = exported["confidence"].as_f64().unwrap();
        assert!((probabilities[label].as_f64().unwrap() - confidence).abs() < 1e-6);
        if label == truth[(item - 1) as usize] {
            right += 1;
        }
    }
    // A real head on 60 digits suggests most unlabeled ones right (far above 10% by chance).
    assert!(right > 140 * 6 / 10, "{right} of 140 suggestions right");

    // A suggestion is never an answer already given: the unlabeled item has no annotation.
    let view = p.item(150, Some("ann")).unwrap();
    assert!(view.annotation.is_none());
    assert!(view.suggestion.is_some());

    // Turned off for the project (to measure anchoring): no suggestion anywhere.
    p.set_learn_setting(SETTING_SUGGESTIONS, Some("off")).unwrap();
    assert!(!p.suggestions_enabled().unwrap());
    assert_eq!(suggestion(&mut p, 150), Value::Null);
    assert!(p.item(70, Some("ann")).unwrap().suggestion.is_none());
    let e = p
        .set_learn_setting(SETTING_SUGGESTIONS, Some("sometimes"))
        .unwrap_err();
    assert!(
        matches!(&e, Error::BadRequest(m) if m.contains("`on` or `off`")),
        "{e:?}"
    );
    assert!(
        !p.suggestions_enabled().unwrap(),
        "a refused value changes nothing"
    );
    // Removing the setting turns them back on.
    p.set_learn_setting(SETTING_SUGGESTIONS, None).unwrap();
    assert_ne!(suggestion(&mut p, 150), Value::Null);

    // The next round's version makes the suggestions.
    for item in 61..=100 {
        let class = &truth[(item - 1) as usize];
        p.submit(item, "ann", &json!({"labels": [class]}), 1000).unwrap();
    }
    let second = p.learn(&LearnOptions::default(), &NoProgress).unwrap();
    assert_eq!(second.heads[0].version, head.version + 1);
    assert_eq!(suggestion(&mut p, 150)["version"], json!(head.version + 1));
}

#[test]
fn saves_record_whether_a_suggestion_was_shown_and_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut p, truth) = digits_project(dir.path(), digits(120));
    for item in 1..=50 {
        let class = &truth[(item - 1) as usize];
        p.submit(item, "ann", &json!({"labels": [class]}), 1000).unwrap();
    }
    p.learn(&LearnOptions::default(), &NoProgress).unwrap();
    let before = p.learn_status(None).unwrap().suggestions;
    assert!(before.enabled);
    assert_eq!((before.submitted, before.shown, before.accepted), (50, 0, 0));
    assert_eq!(before.acceptance_rate, None);

    let suggested = |p: &mut Project, item: i64| -> String {
        suggestion(p, item)["labels"][0].as_str().unwrap().to_owned()
    };
    // Item 51: the suggestion accepted unchanged (a draft first, which is no submission).
    let label = suggested(&mut p, 51);
    p.call(
        &ann(),
        "save_draft",
        json!({"item_id": 51, "payload": {"labels": [label]}, "suggestion_shown": true, "suggestion_accepted": true}),
        None,
    )
    .unwrap();
    p.call(
        &ann(),
        "submit",
        json!({"item_id": 51, "payload": {"labels": [label]}, "suggestion_shown": true, "suggestion_accepted": true}),
        None,
    )
    .unwrap();
    // Item 52: shown, changed.
    let label = suggested(&mut p, 52);
    let other = if label == "0" { "1" } else { "0" };
    p.call(
        &ann(),
        "submit",
        json!({"item_id": 52, "payload": {"labels": [other]}, "suggestion_shown": true, "suggestion_accepted": false}),
        None,
    )
    .unwrap();
    // Item 53: a client that says nothing (no suggestion shown).
    p.call(
        &ann(),
        "submit",
        json!({"item_id": 53, "payload": {"labels": ["3"]}}),
        None,
    )
    .unwrap();
    // Accepting what was not shown is refused, and nothing is saved.
    let e = p
        .call(
            &ann(),
            "submit",
            json!({"item_id": 54, "payload": {"labels": ["4"]}, "suggestion_accepted": true}),
            None,
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::BadRequest(m) if m.contains("suggestion_shown")),
        "{e:?}"
    );
    assert!(p.item(54, Some("ann")).unwrap().annotation.is_none());

    let figures = p.learn_status(None).unwrap().suggestions;
    assert_eq!((figures.submitted, figures.shown, figures.accepted), (53, 2, 1));
    assert_eq!(figures.acceptance_rate, Some(0.5));

    // Stored with the saved versions, in the project file, append-only.
    let conn = rusqlite::Connection::open(dir.path().join("proj/project.sift")).unwrap();
    let rows: Vec<(i64, i64, String, bool, bool)> = conn
        .prepare(
            "SELECT a.item_id, v.version, v.kind, s.accepted, s.model_version_id IS NOT NULL
             FROM version_suggestions s
             JOIN annotations a ON a.id = s.annotation_id
             JOIN annotation_versions v ON v.annotation_id = s.annotation_id AND v.version = s.version
             ORDER BY a.item_id, v.version",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (51, 1, "draft".to_owned(), true, true),
            (51, 2, "submitted".to_owned(), true, true),
            (52, 1, "submitted".to_owned(), false, true),
        ]
    );
    let edit = conn.execute("UPDATE version_suggestions SET accepted = 0", []);
    assert!(edit.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM version_suggestions", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

/// Ranking items of three responses with 4 numbers each; on `clarity` the response with the
/// larger first number is better, on `accuracy` the one with the larger second number.
fn ranking_items(n: usize) -> Vec<Value> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let responses: Vec<Value> = ["a", "b", "c"]
                .iter()
                .map(|id| {
                    let f: Vec<f64> = (0..4)
                        .map(|_| (next() * 10.0).round() / 10.0 * 4.0 - 2.0)
                        .collect();
                    json!({"id": id, "text": format!("Response {id}."), "features": f})
                })
                .collect();
            json!({"source": format!("Prompt {i}."), "responses": responses})
        })
        .collect()
}

/// The true ranks of an item's responses on feature `k` (larger is better).
fn true_ranks(item: &Value, k: usize) -> serde_json::Map<String, Value> {
    let mut r: Vec<(String, f64)> = item["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["features"][k].as_f64().unwrap(),
            )
        })
        .collect();
    r.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    r.into_iter()
        .enumerate()
        .map(|(i, (id, _))| (id, json!(i + 1)))
        .collect()
}

#[test]
fn a_ranking_suggestion_orders_each_dimension_by_its_reward_head() {
    let dir = tempfile::tempdir().unwrap();
    let items = ranking_items(80);
    let manifest = dir.path().join("pairs.jsonl");
    std::fs::write(
        &manifest,
        items.iter().map(|v| format!("{v}\n")).collect::<String>(),
    )
    .unwrap();
    let template = dir.path().join("pairs.toml");
    std::fs::write(&template, RANKING_TEMPLATE).unwrap();
    let mut p = sift_api::init_project(&dir.path().join("proj"), &template, None).unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    for (i, item) in items.iter().enumerate().take(40) {
        let payload = json!({"rankings": {"clarity": true_ranks(item, 0), "accuracy": true_ranks(item, 1)}});
        p.submit(i as i64 + 1, "ann", &payload, 1000).unwrap();
    }
    assert_eq!(suggestion(&mut p, 60), Value::Null);
    let report = p.learn(&LearnOptions::default(), &NoProgress).unwrap();
    assert_eq!(report.heads.len(), 2);

    let mut right = 0;
    for id in 41..=80_i64 {
        let s = suggestion(&mut p, id);
        assert!(
            s.get("labels").is_none() && s.get("probabilities").is_none(),
            "{s}"
        );
        assert!(report.heads.iter().any(|h| s["model"] == json!(h.model)), "{s}");
        let rankings = s["rankings"].as_object().unwrap();
        assert_eq!(rankings.len(), 2, "{s}");
        for (dim, k) in [("clarity", 0), ("accuracy", 1)] {
            let r = &rankings[dim];
            let order: Vec<&str> = r["order"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, ["a", "b", "c"], "{s}");
            let confidence: Vec<f64> = r["confidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(confidence.len(), 2, "{s}");
            assert!(confidence.iter().all(|c| (0.5..=1.0).contains(c)), "{s}");
            let truth = true_ranks(&items[(id - 1) as usize], k);
            let want: Vec<&str> = {
                let mut t: Vec<(&String, &Value)> = truth.iter().collect();
                t.sort_by_key(|(_, r)| r.as_u64().unwrap());
                t.into_iter().map(|(id, _)| id.as_str()).collect()
            };
            if order == want {
                right += 1;
            }
        }
    }
    // Linear rewards on the very feature that decides the order: nearly every order is right
    // (by chance, one in six).
    assert!(right >= 80 * 8 / 10, "{right} of 80 suggested orders right");

    // A submission of the suggested order is recorded as accepted.
    let s = suggestion(&mut p, 41);
    let mut rankings = serde_json::Map::new();
    for dim in ["clarity", "accuracy"] {
        let ranks: serde_json::Map<String, Value> = s["rankings"][dim]["order"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str().unwrap().to_owned(), json!(i + 1)))
            .collect();
        rankings.insert(dim.to_owned(), Value::Object(ranks));
    }
    p.call(
        &ann(),
        "submit",
        json!({"item_id": 41, "payload": {"rankings": rankings}, "suggestion_shown": true, "suggestion_accepted": true}),
        None,
    )
    .unwrap();
    let f = p.learn_status(None).unwrap().suggestions;
    assert_eq!((f.submitted, f.shown, f.accepted), (41, 1, 1));
}
