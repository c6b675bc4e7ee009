//! Fixtures shared by sift-api's integration tests: the repository root, the digits pool
//! (64 numeric features per item) that the learning tests train heads on, and a project of
//! those digits.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sift_api::{Caller, NoProgress, Project, Role};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The first `n` digits as manifest lines (source text, 64 features) and their true digits.
pub fn digits(n: usize) -> Vec<(Value, String)> {
    let text = std::fs::read_to_string(repo().join("crates/sift-learn/tests/fixtures/digits.txt")).unwrap();
    text.lines()
        .take(n)
        .enumerate()
        .map(|(i, line)| {
            let (label, pixels) = line.split_once(' ').unwrap();
            let features: Vec<u32> = pixels.chars().map(|c| c.to_digit(17).unwrap()).collect();
            (
                json!({"source": format!("Digit image {i}."), "features": features}),
                label.to_owned(),
            )
        })
        .collect()
}

/// A digits project in `dir/proj` with annotator `ann` and `items` (manifest lines and their
/// true digits) imported; returns it and the truth.
pub fn digits_project(dir: &Path, items: Vec<(Value, String)>) -> (Project, Vec<String>) {
    let manifest = dir.join("digits.jsonl");
    let text: String = items.iter().map(|(v, _)| format!("{v}\n")).collect();
    std::fs::write(&manifest, text).unwrap();
    let template = repo().join("tests/fixtures/learn/digits.toml");
    let mut p = sift_api::init_project(&dir.join("proj"), &template, None).unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    (p, items.into_iter().map(|(_, t)| t).collect())
}

/// A project at `path` made from `template` with `lines` imported (one manifest line each) and
/// `people` added as annotators.
pub fn project_of(path: &Path, template: &Path, lines: &[Value], people: &[&str]) -> Project {
    let mut p = sift_api::init_project(path, template, None).unwrap();
    let manifest = path.with_extension("jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&manifest, text).unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    for who in people {
        p.add_annotator(who, Role::Annotator).unwrap();
    }
    p
}

/// A ranking template of two dimensions (`clarity`, `accuracy`), no rationale: the ranks alone.
pub const RANKING_TEMPLATE: &str = r#"
name = "pairs"
kind = "ranking"
version = 1
title = "Rank the responses"
label_attribute = "pairs"
instructions = "Rank the responses, best first."

[fields]
prompt = "source"
responses = "responses"

[rules]
min_responses = 2
allow_ties = false
rationale = "off"

[[rules.dimensions]]
name = "clarity"
title = "Clarity"
description = "How clear the response is."

[[rules.dimensions]]
name = "accuracy"
title = "Accuracy"
description = "How accurate the response is."
"#;

/// Three annotators who label the same items in the quality tests.
pub const PEOPLE: [&str; 3] = ["ann", "bob", "cy"];

/// Labels of items 1..=6 by ann, bob and cy (classes of `labeling-templates/classification.toml`).
pub const LABELS: [[&str; 3]; 6] = [
    ["billing", "billing", "billing"],
    ["account", "account", "technical"],
    ["technical", "technical", "technical"],
    ["billing", "account", "billing"],
    ["account", "account", "account"],
    ["technical", "billing", "technical"],
];

/// `name` calling with `role`.
pub fn caller(name: &str, role: Role) -> Caller {
    Caller {
        name: name.into(),
        role,
    }
}

/// `name` calling as an annotator.
pub fn annotator(name: &str) -> Caller {
    caller(name, Role::Annotator)
}
