//! The template model: what a labeling task asks for.
//!
//! A template is written in TOML (see `labeling-templates/README.md` for every key) and parsed
//! with [`parse_template`]. Parsing checks everything it can without an item: key names and
//! types, Ground Truth naming rules, rule consistency (`min <= max`), dimension and question
//! names, shortcut chords and conflicts. All problems are collected in [`TemplateErrors`].
//!
//! This module owns [`Template`] and what every kind shares; each kind's `[fields]` and
//! `[rules]` live with the kind (`crate::kinds`) and are re-exported here.
//!
//! * [`parse`]: the top-level keys and the dispatch to the kind's reader.
//! * [`toml_reader`]: the generic TOML reader; [`rules`]: rule-reading helpers every kind uses.
//! * [`shortcuts`]: key chords and the effective bindings.
//! * `view`: [`TemplateView`], the template as serialized (TOML, and JSON for the UI).

mod errors;
mod parse;
pub mod quotas;
pub(crate) mod rules;
pub mod shortcuts;
pub(crate) mod toml_reader;
mod view;

use serde::Serialize;

pub use crate::kinds::{
    Class, Classification, ClassificationFields, ClassificationRules, Dimension, Direction, ImageFields,
    ImageRules, Kind, QaFields, QaRules, RankingFields, RankingRules, SceneRules, Spec, VideoFields,
    VideoRules,
};
use crate::kinds::{TaskKind, with_spec};
pub use errors::{TemplateError, TemplateErrors};
pub use parse::parse_template;
pub use quotas::{QuotaBounds, Quotas, ShareQuota, WordBand};
pub use shortcuts::{Action, Chord, Shortcuts};
pub use view::TemplateView;

/// Whether a free-text field is shown and required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// Not asked for; a non-empty value is rejected on submit.
    Off,
    /// Asked for, may stay empty.
    Optional,
    /// Must be filled in to submit.
    Required,
}

impl Requirement {
    pub(crate) fn from_name(s: &str) -> Option<Requirement> {
        match s {
            "off" => Some(Requirement::Off),
            "optional" => Some(Requirement::Optional),
            "required" => Some(Requirement::Required),
            _ => None,
        }
    }
}

/// One manifest key a template reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldBinding<'a> {
    /// The role in the template (`passage`, `prompt`, `responses`, `image`, `width`, …).
    pub role: &'static str,
    /// The manifest key.
    pub key: &'a str,
    /// Whether every item must have the key.
    pub required: bool,
}

impl<'a> FieldBinding<'a> {
    /// A binding of `role` to the manifest key `key`.
    pub(crate) fn new(role: &'static str, key: &'a str, required: bool) -> Self {
        FieldBinding { role, key, required }
    }
}

/// A parsed, validated labeling template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub(crate) name: String,
    pub(crate) version: u32,
    pub(crate) title: String,
    pub(crate) description: Option<String>,
    pub(crate) label_attribute: String,
    pub(crate) job_name: String,
    pub(crate) instructions: String,
    pub(crate) spec: Spec,
    pub(crate) shortcuts: Shortcuts,
    pub(crate) quotas: Quotas,
    pub(crate) source: String,
}

impl Template {
    /// The template name (a slug).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dataset targets of `[quotas]` (empty when the template sets none).
    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }

    /// The task kind.
    pub fn kind(&self) -> Kind {
        self.spec.kind()
    }

    /// The template version (bump it when rules change).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Title shown to annotators.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Optional one-paragraph summary for requesters.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Annotator instructions (Markdown).
    pub fn instructions(&self) -> &str {
        &self.instructions
    }

    /// The Ground Truth label attribute name: output lines carry `<label>` and `<label>-metadata`.
    pub fn label_attribute(&self) -> &str {
        &self.label_attribute
    }

    /// The Ground Truth `job-name` (defaults to the template name).
    pub fn job_name(&self) -> &str {
        &self.job_name
    }

    /// The Ground Truth metadata `type`: `sift/qa`, `sift/ranking`, `sift/image-caption`,
    /// `sift/video-caption`; a classification template writes Ground Truth's built-in shape,
    /// `groundtruth/text-classification` or `groundtruth/image-classification` (with
    /// `-multilabel` for multi-label templates).
    pub fn gt_type(&self) -> &'static str {
        with_spec!(&self.spec, |K, fields, rules| K::gt_type(fields, rules))
    }

    /// Kind-specific fields and rules.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The effective keyboard shortcuts (defaults merged with overrides).
    pub fn shortcuts(&self) -> &Shortcuts {
        &self.shortcuts
    }

    /// The manifest keys this template reads, with their roles.
    pub fn fields(&self) -> Vec<FieldBinding<'_>> {
        with_spec!(&self.spec, |K, fields, _| K::bindings(fields))
    }

    /// The manifest key holding the media reference (image or video), `None` for text items.
    pub fn media_field(&self) -> Option<&str> {
        with_spec!(&self.spec, |K, fields, _| K::media_field(fields))
    }

    /// The TOML text the template was parsed from, byte for byte.
    pub fn source_text(&self) -> &str {
        &self.source
    }

    /// The effective template (every default filled in, shortcuts merged) as TOML. Parsing the
    /// result gives an equal template (apart from [`Template::source_text`]).
    pub fn to_toml_string(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// The effective template as JSON, same shape as [`Template::to_toml_string`].
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
