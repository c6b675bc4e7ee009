//! Fixtures shared by sift-api's integration tests: the repository root and the digits pool
//! (64 numeric features per item) that the learning tests train heads on.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

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
