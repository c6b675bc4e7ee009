//! The template model: what a labeling task asks for.
//!
//! A template is written in TOML (see `labeling-templates/README.md` for every key) and parsed
//! with [`parse_template`]. Parsing checks everything it can without an item: key names and
//! types, Ground Truth naming rules, rule consistency (`min <= max`), dimension and question
//! names, shortcut chords and conflicts. All problems are collected in [`TemplateErrors`].

mod parse;
pub mod shortcuts;

use std::fmt;

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

pub use parse::{TemplateError, TemplateErrors, parse_template};
pub use shortcuts::{Action, Chord, Shortcuts};

/// The four task kinds. Serialized (and parsed with [`str::parse`]) as `qa`, `ranking`,
/// `image-caption`, `video-caption`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// Question/answer pairs written about a passage (SFT demonstration data).
    #[serde(rename = "qa")]
    Qa,
    /// Ranking model responses to a prompt along one or more dimensions (preference data).
    #[serde(rename = "ranking")]
    Ranking,
    /// Objects, relationships, setting and a caption for an image.
    #[serde(rename = "image-caption")]
    ImageCaption,
    /// Timestamped events, setting and a caption for a video.
    #[serde(rename = "video-caption")]
    VideoCaption,
}

impl Kind {
    /// Every kind, in documentation order.
    pub const ALL: [Kind; 4] = [Kind::Qa, Kind::Ranking, Kind::ImageCaption, Kind::VideoCaption];

    /// The name used in templates: `qa`, `ranking`, `image-caption`, `video-caption`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Qa => "qa",
            Kind::Ranking => "ranking",
            Kind::ImageCaption => "image-caption",
            Kind::VideoCaption => "video-caption",
        }
    }

    /// Parses a kind name as written in templates.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The Ground Truth `<label>-metadata.type` value: `sift/<kind>`.
    pub fn gt_type(self) -> &'static str {
        match self {
            Kind::Qa => "sift/qa",
            Kind::Ranking => "sift/ranking",
            Kind::ImageCaption => "sift/image-caption",
            Kind::VideoCaption => "sift/video-caption",
        }
    }

    /// Whether items of this kind reference a media object (image or video).
    pub fn has_media(self) -> bool {
        matches!(self, Kind::ImageCaption | Kind::VideoCaption)
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Kind, String> {
        Kind::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown kind `{s}`; expected one of: {}", names.join(", "))
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Manifest keys feeding a Q&A template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QaFields {
    /// Key of the passage text (default `source`).
    pub passage: String,
}

/// Manifest keys feeding a ranking template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankingFields {
    /// Key of the prompt text (default `prompt`).
    pub prompt: String,
    /// Key of the responses (default `responses`): an array of strings (ids are the 0-based
    /// positions `"0"`, `"1"`, …) or of objects `{"id": "...", "text": "..."}`.
    pub responses: String,
}

/// Manifest keys feeding an image-caption template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFields {
    /// Key of the image reference (default `source-ref`).
    pub image: String,
    /// Optional key holding the image width in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<String>,
    /// Optional key holding the image height in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<String>,
}

/// Manifest keys feeding a video-caption template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VideoFields {
    /// Key of the video reference (default `source-ref`).
    pub video: String,
    /// Optional key holding the duration in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Optional key holding the frame rate (frames per second).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<String>,
}

/// Rules of a Q&A template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QaRules {
    /// Fewest pairs a submission may have.
    pub min_pairs: u32,
    /// Most pairs a submission may have.
    pub max_pairs: u32,
    /// Allowed question types; empty means the UI does not ask for a type.
    pub question_types: Vec<String>,
    /// Types that at least one pair of every submission must have.
    pub required_question_types: Vec<String>,
    /// Question length limits in characters (Unicode scalar values, trimmed).
    pub question_min_chars: u32,
    /// See `question_min_chars`.
    pub question_max_chars: u32,
    /// Answer length limits in characters (Unicode scalar values, trimmed).
    pub answer_min_chars: u32,
    /// See `answer_min_chars`.
    pub answer_max_chars: u32,
    /// Every pair must cite at least one passage span unless it references the entire passage.
    pub require_spans: bool,
    /// Whether the "references entire passage" flag may be used.
    pub allow_entire_passage: bool,
    /// Most spans one pair may cite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_spans_per_pair: Option<u32>,
}

/// Whether a free-text field is shown and required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// How "best" reads on a ranking dimension. Rank 1 is always the most preferred response; the
/// direction only tells annotators (and the UI) whether preferred means more or less of the
/// named quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Rank 1 has the most of the quality (clarity, helpfulness).
    MoreIsBetter,
    /// Rank 1 has the least of the quality (toxicity, verbosity).
    LessIsBetter,
}

/// One ranking dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dimension {
    /// Identifier (`[a-z0-9_-]`), the key in payloads and exports.
    pub name: String,
    /// Display title (defaults to the name).
    pub title: String,
    /// What to judge, shown to annotators.
    pub description: String,
    /// Whether more or less of the quality is preferred.
    pub direction: Direction,
}

/// A per-response classification question, e.g. "contains a factual error: yes/no".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Identifier (`[a-z0-9_-]`), the key in payloads.
    pub name: String,
    /// The question shown to annotators.
    pub question: String,
    /// Allowed answers (at least two, distinct).
    pub options: Vec<String>,
    /// Whether every response must be answered on submit.
    pub required: bool,
}

/// Rules of a ranking template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankingRules {
    /// Fewest responses an item must have.
    pub min_responses: u32,
    /// Most responses an item may have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_responses: Option<u32>,
    /// Whether two responses may share a rank.
    pub allow_ties: bool,
    /// Free-text rationale.
    pub rationale: Requirement,
    /// Rationale length limit in characters.
    pub rationale_max_chars: u32,
    /// The dimensions to rank on (at least one).
    pub dimensions: Vec<Dimension>,
    /// Optional per-response classification questions.
    pub classifications: Vec<Classification>,
}

impl RankingRules {
    /// The dimension named `name`.
    pub fn dimension(&self, name: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.name == name)
    }

    /// The classification question named `name`.
    pub fn classification(&self, name: &str) -> Option<&Classification> {
        self.classifications.iter().find(|c| c.name == name)
    }
}

/// Rules of an image-caption template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRules {
    /// Fewest objects a submission must mark.
    pub min_objects: u32,
    /// Most objects a submission may mark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_objects: Option<u32>,
    /// Object name length limit in characters.
    pub object_name_max_chars: u32,
    /// Whether every object needs a description.
    pub require_object_description: bool,
    /// Object description length limit in characters.
    pub object_description_max_chars: u32,
    /// Fewest relationships a submission must have.
    pub min_relationships: u32,
    /// Whether the setting text is required.
    pub require_setting: bool,
    /// Setting length limit in characters.
    pub setting_max_chars: u32,
    /// Caption word limits (words are separated by Unicode white space).
    pub caption_min_words: u32,
    /// See `caption_min_words`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption_max_words: Option<u32>,
    /// Whether the caption must mention every object by name.
    pub caption_must_mention_objects: bool,
}

/// Rules of a video-caption template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VideoRules {
    /// Fewest events a submission must log.
    pub min_events: u32,
    /// Most events a submission may log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u32>,
    /// Event description length limit in characters.
    pub event_description_max_chars: u32,
    /// Whether events may overlap in time.
    pub allow_overlapping_events: bool,
    /// Whether the setting text is required.
    pub require_setting: bool,
    /// Setting length limit in characters.
    pub setting_max_chars: u32,
    /// Caption word limits (words are separated by Unicode white space).
    pub caption_min_words: u32,
    /// See `caption_min_words`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption_max_words: Option<u32>,
}

/// Kind-specific part of a template: which manifest keys feed it, and its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// `kind = "qa"`.
    Qa {
        /// `[fields]`.
        fields: QaFields,
        /// `[rules]`.
        rules: QaRules,
    },
    /// `kind = "ranking"`.
    Ranking {
        /// `[fields]`.
        fields: RankingFields,
        /// `[rules]`.
        rules: RankingRules,
    },
    /// `kind = "image-caption"`.
    ImageCaption {
        /// `[fields]`.
        fields: ImageFields,
        /// `[rules]`.
        rules: ImageRules,
    },
    /// `kind = "video-caption"`.
    VideoCaption {
        /// `[fields]`.
        fields: VideoFields,
        /// `[rules]`.
        rules: VideoRules,
    },
}

impl Spec {
    /// The task kind.
    pub fn kind(&self) -> Kind {
        match self {
            Spec::Qa { .. } => Kind::Qa,
            Spec::Ranking { .. } => Kind::Ranking,
            Spec::ImageCaption { .. } => Kind::ImageCaption,
            Spec::VideoCaption { .. } => Kind::VideoCaption,
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
    pub(crate) source: String,
}

impl Template {
    /// The template name (a slug).
    pub fn name(&self) -> &str {
        &self.name
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
    /// `sift/video-caption`.
    pub fn gt_type(&self) -> &'static str {
        self.kind().gt_type()
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
        fn b<'a>(role: &'static str, key: &'a str, required: bool) -> FieldBinding<'a> {
            FieldBinding { role, key, required }
        }
        let mut out = Vec::new();
        match &self.spec {
            Spec::Qa { fields, .. } => out.push(b("passage", fields.passage.as_str(), true)),
            Spec::Ranking { fields, .. } => {
                out.push(b("prompt", fields.prompt.as_str(), true));
                out.push(b("responses", fields.responses.as_str(), true));
            }
            Spec::ImageCaption { fields, .. } => {
                out.push(b("image", fields.image.as_str(), true));
                for (role, key) in [("width", &fields.width), ("height", &fields.height)] {
                    if let Some(k) = key {
                        out.push(b(role, k.as_str(), false));
                    }
                }
            }
            Spec::VideoCaption { fields, .. } => {
                out.push(b("video", fields.video.as_str(), true));
                for (role, key) in [("duration", &fields.duration), ("frame_rate", &fields.frame_rate)] {
                    if let Some(k) = key {
                        out.push(b(role, k.as_str(), false));
                    }
                }
            }
        }
        out
    }

    /// The manifest key holding the media reference (image or video), `None` for text kinds.
    pub fn media_field(&self) -> Option<&str> {
        match &self.spec {
            Spec::ImageCaption { fields, .. } => Some(&fields.image),
            Spec::VideoCaption { fields, .. } => Some(&fields.video),
            Spec::Qa { .. } | Spec::Ranking { .. } => None,
        }
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

/// Serializes the effective template in the TOML input shape.
impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Template", 11)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("kind", &self.kind())?;
        st.serialize_field("version", &self.version)?;
        st.serialize_field("title", &self.title)?;
        if let Some(d) = &self.description {
            st.serialize_field("description", d)?;
        }
        st.serialize_field("label_attribute", &self.label_attribute)?;
        st.serialize_field("job_name", &self.job_name)?;
        st.serialize_field("instructions", &self.instructions)?;
        match &self.spec {
            Spec::Qa { fields, rules } => {
                st.serialize_field("fields", fields)?;
                st.serialize_field("rules", rules)?;
            }
            Spec::Ranking { fields, rules } => {
                st.serialize_field("fields", fields)?;
                st.serialize_field("rules", rules)?;
            }
            Spec::ImageCaption { fields, rules } => {
                st.serialize_field("fields", fields)?;
                st.serialize_field("rules", rules)?;
            }
            Spec::VideoCaption { fields, rules } => {
                st.serialize_field("fields", fields)?;
                st.serialize_field("rules", rules)?;
            }
        }
        st.serialize_field("shortcuts", &self.shortcuts)?;
        st.end()
    }
}
