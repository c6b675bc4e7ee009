//! The quality report (issue 18) on a real project file: three annotators label the same six
//! items (an overlap batch), a reviewer returns one piece of work, and the report's figures
//! are the ones `sift-quality` (checked against the Python references in its own tests) gives
//! on the same labels, with the leave-one-out consensus figure worked out by hand; the HTML is
//! self-contained and escapes what came from the project.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

mod support;

use serde_json::{Value, json};
use sift_api::quality::html;
use sift_api::{Project, Role};
use sift_quality::{Ratings, alpha_nominal, cohen_kappa, fleiss_kappa};
use support::{LABELS, PEOPLE, RANKING_TEMPLATE, caller, project_of, repo};

fn labelled_project(dir: &std::path::Path) -> Project {
    let template = repo().join("labeling-templates/classification.toml");
    // A name with markup in it: the report must show it as text.
    let lines: Vec<_> = (0..6)
        .map(|i| json!({"source": format!("Message {i}.")}))
        .collect();
    let mut p = project_of(&dir.join("q<b>&a"), &template, &lines, &PEOPLE);
    p.add_annotator("rita", Role::Reviewer).unwrap();
    let people: Vec<String> = PEOPLE.iter().map(|s| (*s).to_owned()).collect();
    p.create_batch_with_overlap(Some("wk1"), 6, &people, 3).unwrap();
    for (i, row) in LABELS.iter().enumerate() {
        for (who, label) in PEOPLE.iter().zip(row) {
            p.call(
                &caller(who, Role::Annotator),
                "submit",
                json!({"item_id": i + 1, "payload": {"labels": [label]}, "time_spent_ms": 30_000 + 1000 * i}),
                None,
            )
            .unwrap();
        }
    }
    p
}

fn value(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[test]
fn classification_agreement_consensus_and_people_on_an_overlap_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = labelled_project(dir.path());
    // rita returns bob's item 4.
    let work = p
        .call(
            &caller("bob", Role::Annotator),
            "get_item",
            json!({"item_id": 4}),
            None,
        )
        .unwrap();
    let annotation = &work["annotation"];
    p.call(
        &caller("rita", Role::Reviewer),
        "review",
        json!({"annotation_id": annotation["id"], "version": annotation["version"], "decision": "returned",
               "comment": "Re-read the message."}),
        None,
    )
    .unwrap();

    let report = serde_json::to_value(p.quality_report().unwrap()).unwrap();
    // The same labels straight into sift-quality (bob's returned item 4 is left out: returned
    // work waits for rework).
    let rows: Vec<[Option<&str>; 3]> = LABELS
        .iter()
        .enumerate()
        .map(|(i, r)| [Some(r[0]), if i == 3 { None } else { Some(r[1]) }, Some(r[2])])
        .collect();
    let ratings = Ratings::from_rows(rows).unwrap();
    let o = &report["overall"];
    assert_eq!(
        (
            o["annotations"].as_u64(),
            o["items"].as_u64(),
            o["overlapping_items"].as_u64()
        ),
        (Some(17), Some(6), Some(6))
    );
    let measure = |name: &str| {
        o["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    };
    let alpha = alpha_nominal(&ratings).unwrap();
    assert!((value(&measure("Krippendorff's alpha (nominal)")["value"]) - alpha.value).abs() < 1e-12);
    assert_eq!(measure("Krippendorff's alpha (nominal)")["units"], 6);
    // Fleiss needs the same number of ratings on every item: item 4 has two now.
    assert!(fleiss_kappa(&ratings).is_err());
    assert!(measure("Fleiss' kappa")["value"].is_null());
    assert!(measure("Fleiss' kappa")["undefined"].is_string());
    let pair = |a: &str, b: &str| {
        o["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["a"] == a && p["b"] == b)
            .unwrap()
            .clone()
    };
    let k = cohen_kappa(&ratings, 0, 2).unwrap();
    assert!((value(&pair("ann", "cy")["value"]) - k.value).abs() < 1e-12);
    assert_eq!(pair("ann", "bob")["shared_items"], 5);
    // Majority vote: item 2 (account, account, technical) and the rest have a majority; item 4
    // has ann and cy only, both billing. No tie.
    let vote = &o["consensus"][0];
    assert_eq!(
        (vote["items"].as_u64(), vote["ties"].as_u64()),
        (Some(6), Some(0))
    );
    // Per item, least agreement first: items 2 and 6 (two of three), then the unanimous ones.
    let per_item: Vec<(i64, f64)> = o["per_item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["item"].as_i64().unwrap(), value(&i["agreement"])))
        .collect();
    assert_eq!(
        per_item.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        [2, 6, 1, 3, 4, 5]
    );
    assert!((per_item[0].1 - 2.0 / 3.0).abs() < 1e-12 && (per_item[2].1 - 1.0).abs() < 1e-12);
    assert_eq!(o["per_item"][4]["annotations"], 2, "item 4: bob's is returned");
    // bob against ann + cy (leave-one-out): item 1 billing = billing, item 2 ann account vs cy
    // technical is a tie (no consensus), 3 technical = technical, 5 account = account, 6 billing
    // vs technical: 3 of 4 (item 4 is returned).
    let bob = o["vs_consensus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["annotator"] == "bob")
        .unwrap();
    assert_eq!(bob["items"], 4);
    assert!((value(&bob["agreement"]) - 0.75).abs() < 1e-12, "{bob}");

    // People: bob submitted 5 (one returned), his return rate is 1 of 1.
    let bob = report["annotators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "bob")
        .unwrap();
    assert_eq!(
        (bob["submitted"].as_u64(), bob["reviews_returned"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(bob["return_rate"], 1.0);
    let ann = report["annotators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "ann")
        .unwrap();
    // Six items of 30 to 35 s: median 32.5 s, 6 items in 195 s = 110.8 an hour.
    assert_eq!(ann["median_ms"], 32_500.0);
    assert!((value(&ann["items_per_hour"]) - 6.0 / (195.0 / 3600.0)).abs() < 1e-9);
    // The batch: 3 annotations per item; 5 items done (item 4 has two submissions now).
    let batch = &report["batches"][0];
    assert_eq!(
        (
            batch["name"].as_str(),
            batch["overlap"].as_u64(),
            batch["complete"].as_u64()
        ),
        (Some("wk1"), Some(3), Some(5))
    );
    let submitted: u64 = report["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["submitted"].as_u64().unwrap())
        .sum();
    assert_eq!(submitted, 18, "every submission counts on its day");

    let page = html::render(&p.quality_report().unwrap());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script"), "no script");
    let without_svg_namespace = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !without_svg_namespace.contains("http://") && !without_svg_namespace.contains("https://"),
        "no address to fetch"
    );
    assert!(
        !page.contains("src=") && !page.contains("<link"),
        "nothing loaded from elsewhere"
    );
    assert!(
        page.contains("q&lt;b&gt;&amp;a") && !page.contains("q<b>"),
        "the project's name is escaped"
    );
    assert!(page.contains("<svg") && page.contains("Cohen&#39;s kappa per pair of annotators"));
}

#[test]
fn an_empty_project_reports_nothing_to_compare() {
    let dir = tempfile::tempdir().unwrap();
    let template = repo().join("labeling-templates/classification.toml");
    let p = sift_api::init_project(&dir.path().join("proj"), &template, None).unwrap();
    let r = p.quality_report().unwrap();
    assert_eq!((r.overall.annotations, r.overall.items), (0, 0));
    let alpha = r
        .overall
        .measures
        .iter()
        .find(|m| m.name.starts_with("Krippendorff"))
        .unwrap();
    assert!(alpha.value.is_none() && alpha.undefined.is_some());
    let page = html::render(&r);
    assert!(page.contains("Nobody has submitted work yet.") && page.contains("No batch yet."));
}

/// Orders of responses a, b, c (best first) on `clarity`, per item, by ann, bob and cy.
const ORDERS: [[[&str; 3]; 3]; 4] = [
    [["a", "b", "c"], ["a", "b", "c"], ["a", "c", "b"]],
    [["c", "b", "a"], ["b", "c", "a"], ["c", "b", "a"]],
    [["b", "a", "c"], ["b", "a", "c"], ["b", "a", "c"]],
    [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]],
];

#[test]
fn ranking_agreement_per_dimension_matches_the_measures_on_the_same_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("pairs.toml");
    std::fs::write(&template, RANKING_TEMPLATE).unwrap();
    let responses = json!([{"id": "a", "text": "A."}, {"id": "b", "text": "B."}, {"id": "c", "text": "C."}]);
    let lines: Vec<_> = (0..4)
        .map(|i| json!({"source": format!("Prompt {i}."), "responses": responses}))
        .collect();
    let mut p = project_of(&dir.path().join("proj"), &template, &lines, &PEOPLE);
    let people: Vec<String> = PEOPLE.iter().map(|s| (*s).to_owned()).collect();
    p.create_batch_with_overlap(None, 4, &people, 3).unwrap();
    let ranks = |order: &[&str; 3]| -> Vec<u32> {
        ["a", "b", "c"]
            .iter()
            .map(|id| order.iter().position(|o| o == id).unwrap() as u32 + 1)
            .collect()
    };
    for (i, item) in ORDERS.iter().enumerate() {
        for (who, order) in PEOPLE.iter().zip(item) {
            let r = ranks(order);
            p.call(
                &caller(who, Role::Annotator),
                "submit",
                json!({"item_id": i + 1, "payload": {"rankings": {"clarity": {"a": r[0], "b": r[1], "c": r[2]}, "accuracy": {"a": r[0], "b": r[1], "c": r[2]}}},
                       "time_spent_ms": 10_000}),
                None,
            )
            .unwrap();
        }
    }
    let report = serde_json::to_value(p.quality_report().unwrap()).unwrap();
    let o = &report["overall"];

    // Alpha (ordinal) over the 12 (item, response) units.
    let rows: Vec<Vec<Option<u32>>> = ORDERS
        .iter()
        .flat_map(|item| {
            (0..3).map(move |resp| {
                item.iter()
                    .map(|order| Some(ranks(order)[resp]))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let alpha = sift_quality::alpha_ordinal(&Ratings::from_rows(rows).unwrap()).unwrap();
    let m = &o["measures"][0];
    assert_eq!(
        (m["name"].as_str(), m["dimension"].as_str()),
        (Some("Krippendorff's alpha (ordinal)"), Some("clarity"))
    );
    assert!(
        (value(&m["value"]) - alpha.value).abs() < 1e-12,
        "{m} vs {}",
        alpha.value
    );
    assert_eq!(m["units"], 12);

    // Per item: the cycle (item 4) first, flagged a tie: its consensus a > b > c (the first of
    // the optimal orders) has the support of 2, 1 and 2 annotators on its three pairs, 5/9;
    // items 1 and 2 have one dissent on one pair (8/9); item 3 is unanimous.
    let per_item: Vec<(i64, f64, bool)> = o["per_item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["item"].as_i64().unwrap(),
                value(&i["agreement"]),
                i["tie"] == true,
            )
        })
        .collect();
    let expected = [
        (4, 5.0 / 9.0, true),
        (1, 8.0 / 9.0, false),
        (2, 8.0 / 9.0, false),
        (3, 1.0, false),
    ];
    assert_eq!(per_item.len(), 4);
    for ((item, got, tie), (want_item, want, want_tie)) in per_item.iter().zip(expected) {
        assert_eq!((*item, *tie), (want_item, want_tie), "{per_item:?}");
        assert!((got - want).abs() < 1e-12, "item {item}: {got} vs {want}");
    }

    // Kendall's tau-b of ann and bob, the mean over the four items.
    let taus: Vec<f64> = ORDERS
        .iter()
        .map(|item| {
            sift_quality::kendall_tau_b(&ranks(&item[0]), &ranks(&item[1]))
                .unwrap()
                .value
        })
        .collect();
    let pair = o["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["a"] == "ann" && p["b"] == "bob")
        .unwrap();
    assert!(
        (value(&pair["value"]) - taus.iter().sum::<f64>() / 4.0).abs() < 1e-12,
        "{pair}"
    );
    assert_eq!(pair["shared_items"], 4);

    // Consensus (Kemeny, three responses): items 1 to 3 have a majority order; item 4 is a
    // cycle (a>b>c, b>c>a, c>a>b: every pair 2 to 1 and round), so three orders are optimal:
    // a tie.
    let c = &o["consensus"][0];
    assert_eq!(
        (c["items"].as_u64(), c["ties"].as_u64()),
        (Some(4), Some(1)),
        "{c}"
    );
    let ann = o["vs_consensus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["annotator"] == "ann")
        .unwrap();
    assert_eq!(ann["items"], 4);
}
