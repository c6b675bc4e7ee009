//! `sift export --consensus` (issue 18, point 3) on real project files: one Ground Truth line
//! per item with the majority vote (or Dawid-Skene's estimate) and the agreement as
//! `confidence`; a tied vote is left out and counted; rankings get the Kemeny order with its
//! pairwise support, a Condorcet cycle flagged as a tie.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

mod support;

use serde_json::{Value, json};
use sift_api::{ConsensusMethod, ExportFormat, ExportOptions, NoProgress, Project};
use sift_quality::{DawidSkeneOptions, Ratings, dawid_skene};
use support::{LABELS, PEOPLE, RANKING_TEMPLATE, annotator, project_of, repo};

/// The labels of item 7 by ann, bob and cy, after the shared six: a three-way tie.
const TIE: [&str; 3] = ["billing", "account", "technical"];

/// Labels of items 1..=7.
fn labels() -> Vec<[&'static str; 3]> {
    LABELS.iter().copied().chain([TIE]).collect()
}

fn submit(p: &mut Project, who: &str, item: usize, payload: &Value) {
    p.call(
        &annotator(who),
        "submit",
        json!({"item_id": item, "payload": payload, "time_spent_ms": 10_000}),
        None,
    )
    .unwrap();
}

fn export(p: &Project, consensus: Option<ConsensusMethod>) -> (Vec<Value>, Option<u64>) {
    let opts = ExportOptions {
        format: ExportFormat::Gt,
        consensus,
        ..Default::default()
    };
    let mut out = Vec::new();
    let report = p.export_to_writer(&mut out, &opts, &NoProgress).unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(report.records, lines.len() as u64);
    (lines, report.no_consensus)
}

fn classification_project(dir: &std::path::Path) -> Project {
    let template = repo().join("labeling-templates/classification.toml");
    let lines: Vec<_> = (0..labels().len())
        .map(|i| json!({"source": format!("Message {i}."), "ticket": i}))
        .collect();
    let mut p = project_of(&dir.join("proj"), &template, &lines, &PEOPLE);
    let people: Vec<String> = PEOPLE.iter().map(|s| (*s).to_owned()).collect();
    p.create_batch_with_overlap(Some("wk1"), labels().len(), &people, 3)
        .unwrap();
    for (i, row) in labels().iter().enumerate() {
        for (who, label) in PEOPLE.iter().zip(row) {
            submit(&mut p, who, i + 1, &json!({"labels": [label]}));
        }
    }
    p
}

#[test]
fn majority_vote_one_line_per_item_with_the_agreement_as_confidence() {
    let dir = tempfile::tempdir().unwrap();
    let p = classification_project(dir.path());
    let (plain, none) = export(&p, None);
    assert_eq!(plain.len(), 21, "without --consensus: one line per annotation");
    assert_eq!(none, None);

    let (lines, no_consensus) = export(&p, Some(ConsensusMethod::Vote));
    assert_eq!(no_consensus, Some(1), "item 7 ties 1-1-1");
    assert_eq!(lines.len(), 6);
    let expected = [
        ("billing", 1.0),
        ("account", 2.0 / 3.0),
        ("technical", 1.0),
        ("billing", 2.0 / 3.0),
        ("account", 1.0),
        ("technical", 2.0 / 3.0),
    ];
    for (i, (line, (class, agreement))) in lines.iter().zip(expected).enumerate() {
        // The input line is kept as it was imported.
        assert_eq!(line["source"], json!(format!("Message {i}.")));
        assert_eq!(line["ticket"], json!(i));
        let meta = &line["topic-metadata"];
        assert_eq!(meta["class-name"], json!(class), "item {}: {line}", i + 1);
        let confidence = meta["confidence"].as_f64().unwrap();
        assert!(
            (confidence - agreement).abs() < 1e-6,
            "item {}: {confidence}",
            i + 1
        );
        assert_eq!(meta["consensus"]["method"], json!("majority-vote"));
        assert_eq!(meta["consensus"]["annotations"], json!(3));
        assert_eq!(meta["consensus"]["annotators"], json!(["ann", "bob", "cy"]));
        assert_eq!(meta["human-annotated"], json!("yes"));
        assert_eq!(meta["item-id"], json!(i + 1));
        // Ground Truth's built-in shape: the class index.
        let index = ["billing", "technical", "account"]
            .iter()
            .position(|c| *c == class)
            .unwrap();
        assert_eq!(line["topic"], json!(index));
    }
}

#[test]
fn dawid_skene_gives_the_posterior_of_the_em_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let p = classification_project(dir.path());
    let (lines, no_consensus) = export(&p, Some(ConsensusMethod::DawidSkene));
    // The same estimate computed here from the labels (class indices in template order).
    let classes = ["billing", "technical", "account", "feature-request", "other"];
    let records = labels().into_iter().enumerate().flat_map(|(i, row)| {
        PEOPLE
            .iter()
            .zip(row)
            .map(move |(who, l)| (i, *who, classes.iter().position(|c| c == &l).unwrap()))
    });
    let labelled = Ratings::from_records(records).unwrap();
    let ds = dawid_skene(&labelled.ratings, classes.len(), DawidSkeneOptions::default()).unwrap();
    let expected: Vec<(usize, f64)> = ds
        .units
        .iter()
        .enumerate()
        .filter_map(|(i, u)| u.as_ref().filter(|u| !u.tie).map(|u| (i + 1, u.confidence)))
        .collect();
    assert_eq!(no_consensus, Some((labels().len() - expected.len()) as u64));
    assert_eq!(lines.len(), expected.len());
    for (line, (item, posterior)) in lines.iter().zip(&expected) {
        let meta = &line["topic-metadata"];
        assert_eq!(meta["item-id"], json!(item));
        assert_eq!(meta["consensus"]["method"], json!("dawid-skene"));
        let confidence = meta["confidence"].as_f64().unwrap();
        assert!(
            (confidence - posterior).abs() < 1e-6,
            "item {item}: {confidence} vs {posterior}"
        );
    }
    // Unanimous items keep their label.
    assert_eq!(lines[0]["topic-metadata"]["class-name"], json!("billing"));
}

#[test]
fn consensus_is_refused_where_it_has_no_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let p = classification_project(dir.path());
    let opts = ExportOptions {
        format: ExportFormat::Classification,
        consensus: Some(ConsensusMethod::Vote),
        ..Default::default()
    };
    let err = p
        .export_to_writer(&mut Vec::new(), &opts, &NoProgress)
        .unwrap_err();
    assert!(err.to_string().contains("gt format"), "{err}");

    let template = dir.path().join("pairs.toml");
    std::fs::write(&template, RANKING_TEMPLATE).unwrap();
    let responses = json!([{"id": "a", "text": "A."}, {"id": "b", "text": "B."}]);
    let r = project_of(
        &dir.path().join("rank"),
        &template,
        &[json!({"source": "P.", "responses": responses})],
        &PEOPLE,
    );
    let opts = ExportOptions {
        consensus: Some(ConsensusMethod::DawidSkene),
        ..Default::default()
    };
    let err = r
        .export_to_writer(&mut Vec::new(), &opts, &NoProgress)
        .unwrap_err();
    assert!(err.to_string().contains("single-label classification"), "{err}");
}

#[test]
fn rankings_take_the_kemeny_order_with_its_pairwise_support() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("pairs.toml");
    std::fs::write(&template, RANKING_TEMPLATE).unwrap();
    let responses = json!([{"id": "a", "text": "A."}, {"id": "b", "text": "B."}, {"id": "c", "text": "C."}]);
    let lines: Vec<_> = (0..2)
        .map(|i| json!({"source": format!("Prompt {i}."), "responses": responses}))
        .collect();
    let mut p = project_of(&dir.path().join("proj"), &template, &lines, &PEOPLE);
    let people: Vec<String> = PEOPLE.iter().map(|s| (*s).to_owned()).collect();
    p.create_batch_with_overlap(None, 2, &people, 3).unwrap();
    // Item 1: a > b > c twice, b > a > c once. Item 2: a Condorcet cycle.
    let orders = [
        [["a", "b", "c"], ["a", "b", "c"], ["b", "a", "c"]],
        [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]],
    ];
    for (i, item) in orders.iter().enumerate() {
        for (who, order) in PEOPLE.iter().zip(item) {
            let rank = |id: &str| order.iter().position(|o| *o == id).unwrap() + 1;
            let r = json!({"a": rank("a"), "b": rank("b"), "c": rank("c")});
            submit(
                &mut p,
                who,
                i + 1,
                &json!({"rankings": {"clarity": r, "accuracy": r}}),
            );
        }
    }
    let (lines, no_consensus) = export(&p, Some(ConsensusMethod::Vote));
    assert_eq!(no_consensus, Some(0), "ranking ties are written, flagged");
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(
        first["pairs"]["rankings"]["clarity"],
        json!({"a": 1, "b": 2, "c": 3})
    );
    assert_eq!(
        first["pairs"]["rankings"]["accuracy"],
        json!({"a": 1, "b": 2, "c": 3})
    );
    let meta = &first["pairs-metadata"];
    // Pairs (a,b): 2 of 3 agree; (a,c) and (b,c): 3 of 3. Support 8/9.
    let confidence = meta["confidence"].as_f64().unwrap();
    assert!((confidence - 8.0 / 9.0).abs() < 1e-6, "{confidence}");
    assert_eq!(meta["consensus"]["method"], json!("kemeny"));
    assert_eq!(meta["consensus"]["tie"], json!(false));
    let cycle = &lines[1]["pairs-metadata"];
    assert_eq!(cycle["consensus"]["tie"], json!(true), "{cycle}");
}
