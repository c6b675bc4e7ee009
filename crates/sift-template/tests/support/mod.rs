//! Fixtures shared by sift-template's integration tests: the shipped templates' text (the
//! files under `labeling-templates/`) and parsing one that must parse.

#![allow(dead_code)] // each test binary uses its own part

use sift_template::{Template, parse_template};

/// `labeling-templates/qa.toml`.
pub const QA: &str = include_str!("../../../../labeling-templates/qa.toml");
/// `labeling-templates/ranking.toml`.
pub const RANKING: &str = include_str!("../../../../labeling-templates/ranking.toml");
/// `labeling-templates/image-caption.toml`.
pub const IMAGE: &str = include_str!("../../../../labeling-templates/image-caption.toml");
/// `labeling-templates/video-caption.toml`.
pub const VIDEO: &str = include_str!("../../../../labeling-templates/video-caption.toml");
/// `labeling-templates/classification.toml`.
pub const CLASSIFICATION: &str = include_str!("../../../../labeling-templates/classification.toml");

/// Parses a template that must parse.
pub fn template(text: &str) -> Template {
    parse_template(text, "test").unwrap_or_else(|e| panic!("{e}"))
}
