//! Gold items (issue 18, point 4) on a real project file: marked from a manifest field (the
//! field then hidden from annotators), mixed into each queue unannounced at the project's rate
//! (within tolerance over 100 items), met once per annotator, graded; the expected answer is
//! shown only in the answer to a submission, with feedback on; accuracy per annotator is
//! judged, and someone confidently below the threshold is flagged.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sift_api::{NoProgress, Project, Role};
use support::{annotator as caller, project_of, repo};

const CLASSES: [&str; 3] = ["billing", "account", "technical"];

/// 200 messages; every tenth (20) carries the expected class in field `expected`.
fn project(dir: &std::path::Path) -> Project {
    let template = repo().join("labeling-templates/classification.toml");
    let lines: Vec<Value> = (0..200)
        .map(|i| {
            let mut line = json!({"source": format!("Message {i}.")});
            if i % 10 == 0 {
                line["expected"] = json!(CLASSES[(i / 10) % 3]);
            }
            line
        })
        .collect();
    project_of(&dir.join("proj"), &template, &lines, &["ann", "bob"])
}

fn expected_of(item: i64) -> &'static str {
    // Item ids follow the manifest lines: item i + 1 is line i.
    CLASSES[((item as usize - 1) / 10) % 3]
}

/// Works through `n` items of the queue, answering gold right when `right_on_gold`.
fn work(
    p: &mut Project,
    who: &str,
    n: usize,
    right_on_gold: bool,
    gold: &BTreeSet<i64>,
) -> (Vec<i64>, Vec<Value>) {
    let (mut done, mut answers) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let queue = p.call(&caller(who), "queue", json!({}), None).unwrap();
        let entry = queue["entries"][0].clone();
        let item = entry["item_id"].as_i64().unwrap();
        assert_eq!(
            entry["reason"], "new",
            "a gold item is served as new work: {entry}"
        );
        assert!(entry.get("gold").is_none());
        let view = p
            .call(&caller(who), "get_item", json!({"item_id": item}), None)
            .unwrap();
        assert!(
            view["content"].get("expected").is_none(),
            "the answer is hidden: {view}"
        );
        let label = if gold.contains(&item) && !right_on_gold {
            CLASSES.iter().find(|c| **c != expected_of(item)).unwrap()
        } else if gold.contains(&item) {
            expected_of(item)
        } else {
            "billing"
        };
        // A draft says nothing.
        let draft = p
            .call(
                &caller(who),
                "save_draft",
                json!({"item_id": item, "payload": {"labels": [label]}, "time_spent_ms": 100}),
                None,
            )
            .unwrap();
        assert!(draft.get("gold").is_none());
        let saved = p
            .call(
                &caller(who),
                "submit",
                json!({"item_id": item, "payload": {"labels": [label]}, "time_spent_ms": 100}),
                None,
            )
            .unwrap();
        done.push(item);
        answers.push(saved);
    }
    (done, answers)
}

#[test]
fn gold_items_are_mixed_in_at_the_rate_once_each_and_graded() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let marked = p.mark_gold_from_field("expected").unwrap();
    assert_eq!((marked.marked, marked.without_field), (20, 180));
    let gold: BTreeSet<i64> = (0..200).filter(|i| i % 10 == 0).map(|i| i + 1).collect();

    // Off by default: nothing gold is served.
    let (done, _) = work(&mut p, "bob", 5, true, &gold);
    assert!(done.iter().all(|i| !gold.contains(i)), "{done:?}");

    p.set_gold_settings(Some(0.1), Some(true), Some(0.8), Some(5))
        .unwrap();
    let (done, answers) = work(&mut p, "ann", 100, true, &gold);
    let served: Vec<i64> = done.iter().copied().filter(|i| gold.contains(i)).collect();
    let unique: BTreeSet<i64> = served.iter().copied().collect();
    assert_eq!(unique.len(), served.len(), "each gold item once: {served:?}");
    assert!(
        (8..=12).contains(&served.len()),
        "rate 0.1 over 100 items: {} gold",
        served.len()
    );
    // Feedback only in the answer to a gold submission, and right.
    for (item, a) in done.iter().zip(&answers) {
        if gold.contains(item) {
            assert_eq!(a["gold"]["correct"], true, "{a}");
            assert_eq!(a["gold"]["expected"], json!({"labels": [expected_of(*item)]}));
        } else {
            assert!(a.get("gold").is_none(), "{a}");
        }
    }

    // bob meets the same gold items too (they are not done after one annotation), and gets
    // them wrong: with 5 answers needed and 0.8 asked, he is flagged; ann passes.
    let (done, answers) = work(&mut p, "bob", 60, false, &gold);
    let bob_gold = done.iter().filter(|i| gold.contains(i)).count();
    assert!(bob_gold >= 5, "{bob_gold}");
    assert!(
        answers
            .iter()
            .filter(|a| a.get("gold").is_some())
            .all(|a| a["gold"]["correct"] == false)
    );
    let records = serde_json::to_value(p.gold_records().unwrap()).unwrap();
    let rec = |who: &str| {
        records
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["annotator"] == who)
            .unwrap()
            .clone()
    };
    assert_eq!(rec("ann")["correct"], rec("ann")["answered"]);
    assert_eq!(rec("ann")["status"], "passing");
    assert_eq!(rec("bob")["correct"], 0);
    assert_eq!(rec("bob")["status"], "flagged");

    // With feedback off, nothing is said.
    p.set_gold_settings(None, Some(false), None, None).unwrap();
    let (done, answers) = work(&mut p, "ann", 20, true, &gold);
    assert!(done.iter().any(|i| gold.contains(i)));
    assert!(answers.iter().all(|a| a.get("gold").is_none()));

    // Reviewers see the whole item, field included.
    p.add_annotator("rita", Role::Reviewer).unwrap();
    let reviewer = support::caller("rita", Role::Reviewer);
    let item = p
        .call(&reviewer, "get_item", json!({"item_id": 1}), None)
        .unwrap();
    assert_eq!(item["content"]["expected"], "billing");
    // The report carries the records.
    let report = serde_json::to_value(p.quality_report().unwrap()).unwrap();
    assert_eq!(report["gold"]["items"], 20);
    assert_eq!(report["gold"]["records"].as_array().unwrap().len(), 2);
}

#[test]
fn a_bad_answer_names_its_item_and_line_and_nothing_is_marked() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let manifest = dir.path().join("more.jsonl");
    std::fs::write(
        &manifest,
        "{\"source\": \"Late one.\", \"expected\": \"refunds\"}\n",
    )
    .unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    let e = p.mark_gold_from_field("expected").unwrap_err().to_string();
    assert!(
        e.contains("item 201 (manifest line 1), field \"expected\""),
        "{e}"
    );
    assert!(e.contains("refunds"), "{e}");
    assert_eq!(p.gold_settings().unwrap().rate, 0.0);
    let report = p.quality_report().unwrap();
    assert_eq!(report.gold.items, 0, "all or nothing");
    // A rate outside 0..0.5 is refused.
    assert!(p.set_gold_settings(Some(0.9), None, None, None).is_err());
}

#[test]
fn new_batches_carry_gold_kept_apart_to_every_assignee_spread_among_their_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    // Ten items marked with `set` (the answer kept apart); the field-marked ones carry their
    // answer in the line and must never travel in a batch.
    p.mark_gold_from_field("expected").unwrap();
    let field_gold: BTreeSet<i64> = (0..200).filter(|i| i % 10 == 0).map(|i| i + 1).collect();
    let set_gold: Vec<i64> = (150..160).collect();
    for &item in &set_gold {
        p.mark_gold(item, &json!({"labels": ["account"]})).unwrap();
    }
    let people = vec!["ann".to_owned(), "bob".to_owned()];
    // Rate 0: no gold in batches.
    let plain = p.create_batch(Some("plain"), 10, &people).unwrap();
    assert!(plain.gold.is_empty());

    p.set_gold_settings(Some(0.2), None, None, None).unwrap();
    let batch = p.create_batch(Some("wk1"), 16, &people).unwrap();
    // 16 ordinary items at 20 % gold: 4 gold items, 20 in all.
    assert_eq!(batch.gold.len(), 4, "{:?}", batch.gold);
    assert!(
        batch.gold.iter().all(|g| set_gold.contains(g)),
        "{:?}",
        batch.gold
    );
    assert!(
        batch
            .items
            .iter()
            .all(|i| !field_gold.contains(i) && !set_gold.contains(i))
    );

    // Each gold item is dealt to both people; ordinary ones to one each (overlap 1).
    let queue_of = |p: &mut Project, who: &str| -> Vec<i64> {
        let q = p.call(&caller(who), "queue", json!({"limit": 40}), None).unwrap();
        q["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["reason"] == "assigned")
            .map(|e| e["item_id"].as_i64().unwrap())
            .collect()
    };
    let (ann, bob) = (queue_of(&mut p, "ann"), queue_of(&mut p, "bob"));
    for g in &batch.gold {
        assert!(
            ann.contains(g) && bob.contains(g),
            "{g}: ann {ann:?}, bob {bob:?}"
        );
    }
    assert_eq!(
        ann.len() + bob.len(),
        10 + 16 + 2 * 4,
        "plain, wk1 and gold twice"
    );
    // Spread among the items, not all at the end of the batch.
    let wk1: Vec<i64> = ann.iter().copied().filter(|i| !plain.items.contains(i)).collect();
    let positions: Vec<usize> = batch
        .gold
        .iter()
        .map(|g| wk1.iter().position(|i| i == g).unwrap())
        .collect();
    assert!(positions[0] < wk1.len() / 2, "{positions:?} in {wk1:?}");
    assert!(positions.windows(2).all(|w| w[1] > w[0] + 1), "{positions:?}");

    // Graded like any gold answer once submitted; the online queue does not serve them again.
    let g = batch.gold[0];
    p.call(
        &caller("bob"),
        "submit",
        json!({"item_id": g, "payload": {"labels": ["billing"]}, "time_spent_ms": 100}),
        None,
    )
    .unwrap();
    let records = serde_json::to_value(p.gold_records().unwrap()).unwrap();
    let bob_record = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["annotator"] == "bob")
        .unwrap();
    assert_eq!(
        (bob_record["answered"].as_u64(), bob_record["correct"].as_u64()),
        (Some(1), Some(0))
    );
    // A second batch takes the gold items nobody of its people has met yet.
    let next = p.create_batch(Some("wk2"), 16, &people).unwrap();
    assert!(
        next.gold.iter().all(|g| !batch.gold.contains(g)),
        "{:?}",
        next.gold
    );
    assert_eq!(next.gold.len(), 4);
}
