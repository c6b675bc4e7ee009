//! Fixtures shared by sift-api's integration tests: the repository root, the digits pool
//! (64 numeric features per item) that the learning tests train heads on, and a project of
//! those digits.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sift_api::{NoProgress, Project, Role};

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
