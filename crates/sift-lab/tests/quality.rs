//! The Quality view (`Ctrl+9`) on a real project: a classification template with a dataset
//! target (`billing` at least half of the labels), three annotators on the same items (an
//! overlap batch) and two gold items bob gets wrong. The view shows the target against the
//! data, the agreement figures `sift report` gives, each person's row with bob's gold accuracy
//! flagged; it follows a new submission; *Save HTML report…* writes `sift report`'s file.
//! Snapshots in both themes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

mod support;

use std::path::{Path, PathBuf};

use eframe::egui::{self, Key, Modifiers};
use egui_kittest::kittest::Queryable;
use serde_json::json;
use sift_api::{Caller, ImportOptions, NoProgress, Project, Role};
use support::*;

const PEOPLE: [&str; 3] = ["ann", "bob", "cy"];

fn submit(p: &mut Project, who: &str, item: i64, label: &str) {
    let caller = Caller {
        name: who.into(),
        role: Role::Annotator,
    };
    p.call(
        &caller,
        "submit",
        json!({"item_id": item, "payload": {"labels": [label]}, "time_spent_ms": 20_000}),
        None,
    )
    .unwrap();
}

fn project(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("labeling-templates/classification.toml")).unwrap();
    let at = text.find("[shortcuts]").unwrap_or(text.len());
    let template = dir.join("topics.toml");
    let quotas = "[quotas]\nclasses = { billing = { min = 0.5 } }\n\n";
    std::fs::write(&template, format!("{}{quotas}{}", &text[..at], &text[at..])).unwrap();
    let folder = dir.join("topics");
    let mut p = sift_api::init_project(&folder, &template, None).unwrap();
    let manifest = dir.join("topics.jsonl");
    let lines: String = (0..6)
        .map(|i| format!("{}\n", json!({"source": format!("Message {i}.")})))
        .collect();
    std::fs::write(&manifest, lines).unwrap();
    p.import(&manifest, &ImportOptions::default(), &NoProgress)
        .unwrap();
    for who in PEOPLE {
        p.add_annotator(who, Role::Annotator).unwrap();
    }
    p.add_annotator(LEAD, Role::Lead).unwrap();
    let people: Vec<String> = PEOPLE.iter().map(|s| (*s).to_owned()).collect();
    p.create_batch_with_overlap(Some("wk1"), 4, &people, 3).unwrap();
    let labels = [
        ["billing", "billing", "billing"],
        ["account", "account", "technical"],
        ["technical", "technical", "technical"],
        ["billing", "account", "billing"],
    ];
    for (i, row) in labels.iter().enumerate() {
        for (who, label) in PEOPLE.iter().zip(row) {
            submit(&mut p, who, i as i64 + 1, label);
        }
    }
    // Items 5 and 6 are gold (billing); bob answers both wrong.
    p.mark_gold(5, &json!({"labels": ["billing"]})).unwrap();
    p.mark_gold(6, &json!({"labels": ["billing"]})).unwrap();
    p.set_gold_settings(None, None, Some(0.8), Some(2)).unwrap();
    for item in [5, 6] {
        submit(&mut p, "bob", item, "account");
        submit(&mut p, "ann", item, "billing");
    }
    folder
}

#[test]
fn targets_agreement_people_and_gold_in_the_quality_view() {
    let dir = tempfile::tempdir().unwrap();
    let folder = project(dir.path());
    let expected = Project::open(&folder).unwrap().quality_report().unwrap();
    for (theme, name) in [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")] {
        let mut h = lab(&folder, theme, dir.path());
        wait_label_contains(&mut h, "items");
        h.key_press_modifiers(Modifiers::COMMAND, Key::Num9);
        wait_label(&mut h, "share of class `billing`");
        // 7 billing labels of 16 (gold answers count too): 44 %, asked at least 50 %.
        h.get_by_label_contains("44% (asked ≥ 50%; 7/16)");
        h.get_by_label("2 more `billing` labels");
        h.get_by_label("not yet");
        // The project's agreement, as the report computes it.
        let alpha = expected
            .overall
            .measures
            .iter()
            .find(|m| m.name == "Krippendorff's alpha (nominal)")
            .unwrap();
        h.get_by_label(&format!(
            "Krippendorff's alpha (nominal): {:.3} over {} items",
            alpha.value.unwrap(),
            alpha.units
        ));
        // The items to adjudicate first: the gold items ann and bob split on (ties), then
        // items 2 and 4 (two of three).
        h.get_by_label_contains(
            "Least agreement: item 5 (0.500, tie), item 6 (0.500, tie), item 2 (0.667), item 4 (0.667), item 1 (1.000)",
        );
        // Bob's gold accuracy is flagged; ann's is not.
        h.get_by_label("0% of 2 ⚑ below");
        h.get_by_label("100% of 2");
        h.get_by_label("wk1: 4 of 4 items have 3 annotations");
        snapshot(&mut h, &format!("quality-{name}"));
    }

    // A new billing label moves the bar when the project changes.
    let mut h = lab(&folder, egui::Theme::Light, dir.path());
    wait_label_contains(&mut h, "items");
    h.get_by_label("Quality").click();
    wait_label_contains(&mut h, "7/16");
    {
        let mut p = Project::open(&folder).unwrap();
        submit(&mut p, "cy", 5, "billing");
    }
    wait_label_contains(&mut h, "8/17");

    // The HTML file is the one `sift report` writes (its time stamp aside).
    let out = dir.path().join("report.html");
    h.state_mut().views.quality.save_request = Some(out.clone());
    wait_label(&mut h, &format!("Wrote {}", out.display()));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert!(html.contains("share of class `billing`"));
    assert!(!html.contains("<script"));
}
