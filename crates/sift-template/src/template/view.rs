//! [`TemplateView`]: the effective template as it is serialized (TOML for `sift template
//! show --toml`, JSON for the UI's `template` command). [`Template`]'s `Serialize` goes through
//! it, and the UI's TypeScript type is generated from it (ts-rs), so the two cannot differ.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use super::{Shortcuts, Template};
use crate::kinds::Spec;

/// The effective template (every default filled in, shortcuts merged) in the TOML input shape:
/// the common keys, the kind (`kind`, `fields` and `rules`, from [`Spec`]) and `shortcuts`. In
/// TOML, `kind` follows `name` and the tables come after the plain keys.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TemplateView<'a> {
    /// The template name (a slug).
    pub name: &'a str,
    /// The kind with its `[fields]` and `[rules]`.
    #[serde(flatten)]
    pub spec: &'a Spec,
    /// The template version (bump it when rules change).
    pub version: u32,
    /// Title shown to annotators.
    pub title: &'a str,
    /// Optional one-paragraph summary for requesters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<&'a str>,
    /// The Ground Truth label attribute name.
    pub label_attribute: &'a str,
    /// The Ground Truth `job-name`.
    pub job_name: &'a str,
    /// Annotator instructions (Markdown).
    pub instructions: &'a str,
    /// Action name → chord (`Mod+Enter`, `Alt+C`, `F1`), or `none` when unbound: every action
    /// of the kind.
    #[ts(as = "BTreeMap<String, String>")]
    pub shortcuts: &'a Shortcuts,
}

impl Template {
    /// The effective template as it is serialized.
    pub fn view(&self) -> TemplateView<'_> {
        TemplateView {
            name: &self.name,
            version: self.version,
            title: &self.title,
            description: self.description.as_deref(),
            label_attribute: &self.label_attribute,
            job_name: &self.job_name,
            instructions: &self.instructions,
            spec: &self.spec,
            shortcuts: &self.shortcuts,
        }
    }
}

/// Serializes the effective template in the TOML input shape (see [`TemplateView`]).
impl Serialize for Template {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(s)
    }
}
