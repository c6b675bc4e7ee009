//! Annotation payloads: what an annotator produces for one item, per task kind.
//!
//! Payloads are JSON objects; every struct rejects unknown keys and every field has a default,
//! so an empty object `{}` is a valid (empty) draft of any kind. Parse with
//! [`crate::Template::parse_payload`], which reports every shape problem with its path.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::path;
use crate::template::{Kind, Template};
use crate::validate::{Code, Violation};

/// A half-open range `[start, end)` of a passage, in Unicode scalar values (Rust `char`s,
/// not bytes and not UTF-16 code units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// First character of the span.
    pub start: usize,
    /// One past the last character of the span.
    pub end: usize,
}

impl Span {
    /// Number of characters covered (0 when reversed).
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers no character.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the two spans share at least one character.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// One question/answer pair.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QaPair {
    /// The question.
    pub question: String,
    /// The answer.
    pub answer: String,
    /// One of the template's `question_types` (empty when the template has none).
    pub question_type: String,
    /// Passage spans supporting the answer.
    pub spans: Vec<Span>,
    /// "References entire passage": the pair is about the passage as a whole.
    pub entire_passage: bool,
}

/// Payload of a `qa` template.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QaPayload {
    /// The pairs, in the annotator's order.
    pub pairs: Vec<QaPair>,
}

/// Payload of a `ranking` template.
///
/// `rankings[dimension][response_id]` is the rank of a response on a dimension: 1 is the most
/// preferred. Ranks are dense: the ranks used on a dimension are exactly `1..=k`. Without ties
/// that is a permutation of `1..=N`; with ties, tied responses share a rank and the next rank
/// is the next integer (`a=1, b=1, c=2`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RankingPayload {
    /// dimension name → response id → rank (1 = best).
    pub rankings: BTreeMap<String, BTreeMap<String, u32>>,
    /// response id → classification name → chosen option.
    pub classifications: BTreeMap<String, BTreeMap<String, String>>,
    /// Free-text rationale (empty when not given).
    pub rationale: String,
}

/// An object marked on an image with a point. `x` and `y` are required; the other keys
/// default to empty strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageObject {
    /// Identifier unique within the payload (relationships refer to it).
    #[serde(default)]
    pub id: String,
    /// Horizontal pixel coordinate, 0 at the left edge.
    pub x: f64,
    /// Vertical pixel coordinate, 0 at the top edge.
    pub y: f64,
    /// Short name ("dog").
    #[serde(default)]
    pub name: String,
    /// Detailed description ("a brown labrador lying on its side").
    #[serde(default)]
    pub description: String,
}

/// A relationship between two marked objects: `subject relation object`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Relationship {
    /// Object id of the subject.
    pub subject: String,
    /// The relation ("is lying next to").
    pub relation: String,
    /// Object id of the object.
    pub object: String,
}

/// Payload of an `image-caption` template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImagePayload {
    /// Marked objects.
    pub objects: Vec<ImageObject>,
    /// Relationships between marked objects.
    pub relationships: Vec<Relationship>,
    /// Setting, background, environment.
    pub setting: String,
    /// The final caption.
    pub caption: String,
}

/// A timestamped event in a video, times in seconds from the start. `start` and `end` are
/// required; `description` defaults to an empty string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoEvent {
    /// Start time in seconds.
    pub start: f64,
    /// End time in seconds (`end >= start`; equal for an instant).
    pub end: f64,
    /// What happens.
    #[serde(default)]
    pub description: String,
}

/// Payload of a `video-caption` template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VideoPayload {
    /// Logged events.
    pub events: Vec<VideoEvent>,
    /// Setting, background, environment.
    pub setting: String,
    /// The final caption.
    pub caption: String,
}

/// An annotation payload of any kind. Serializes as the inner payload object (no tag): the
/// kind comes from the template.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    /// `qa`.
    Qa(QaPayload),
    /// `ranking`.
    Ranking(RankingPayload),
    /// `image-caption`.
    ImageCaption(ImagePayload),
    /// `video-caption`.
    VideoCaption(VideoPayload),
}

impl Payload {
    /// The kind of this payload.
    pub fn kind(&self) -> Kind {
        match self {
            Payload::Qa(_) => Kind::Qa,
            Payload::Ranking(_) => Kind::Ranking,
            Payload::ImageCaption(_) => Kind::ImageCaption,
            Payload::VideoCaption(_) => Kind::VideoCaption,
        }
    }

    /// An empty payload of `kind` (a blank draft).
    pub fn empty(kind: Kind) -> Payload {
        match kind {
            Kind::Qa => Payload::Qa(QaPayload::default()),
            Kind::Ranking => Payload::Ranking(RankingPayload::default()),
            Kind::ImageCaption => Payload::ImageCaption(ImagePayload::default()),
            Kind::VideoCaption => Payload::VideoCaption(VideoPayload::default()),
        }
    }

    /// The payload as a JSON value.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Template {
    /// Parses a payload of this template's kind. On failure every shape problem is reported
    /// (unknown keys, wrong types), each with its path (`pairs[1]`, `rankings`) and serde's description of the problem.
    pub fn parse_payload(&self, value: &Value) -> Result<Payload, Vec<Violation>> {
        parse_payload(self.kind(), value)
    }
}

/// Parses a payload of `kind`; see [`Template::parse_payload`].
pub fn parse_payload(kind: Kind, value: &Value) -> Result<Payload, Vec<Violation>> {
    let mut errs = Vec::new();
    let Some(obj) = value.as_object() else {
        errs.push(Violation::new(
            "",
            Code::InvalidPayload,
            format!("expected a JSON object, found {}", json_type(value)),
        ));
        return Err(errs);
    };
    let known: &[&str] = match kind {
        Kind::Qa => &["pairs"],
        Kind::Ranking => &["rankings", "classifications", "rationale"],
        Kind::ImageCaption => &["objects", "relationships", "setting", "caption"],
        Kind::VideoCaption => &["events", "setting", "caption"],
    };
    for key in obj.keys() {
        if !known.contains(&key.as_str()) {
            errs.push(Violation::new(
                &path::key("", key),
                Code::InvalidPayload,
                format!(
                    "unknown key `{key}` for a {kind} payload; expected one of: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    // Each top-level entry is parsed on its own (list elements one by one) so that every
    // problem is reported with a precise path.
    let payload = match kind {
        Kind::Qa => {
            let pairs = list::<QaPair>(obj, "pairs", &mut errs);
            Payload::Qa(QaPayload { pairs })
        }
        Kind::Ranking => {
            let rankings = entry(obj, "rankings", &mut errs);
            let classifications = entry(obj, "classifications", &mut errs);
            let rationale = entry(obj, "rationale", &mut errs);
            Payload::Ranking(RankingPayload {
                rankings,
                classifications,
                rationale,
            })
        }
        Kind::ImageCaption => Payload::ImageCaption(ImagePayload {
            objects: list(obj, "objects", &mut errs),
            relationships: list(obj, "relationships", &mut errs),
            setting: entry(obj, "setting", &mut errs),
            caption: entry(obj, "caption", &mut errs),
        }),
        Kind::VideoCaption => Payload::VideoCaption(VideoPayload {
            events: list(obj, "events", &mut errs),
            setting: entry(obj, "setting", &mut errs),
            caption: entry(obj, "caption", &mut errs),
        }),
    };
    if errs.is_empty() { Ok(payload) } else { Err(errs) }
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn entry<T: DeserializeOwned + Default>(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    errs: &mut Vec<Violation>,
) -> T {
    let Some(v) = obj.get(key) else {
        return T::default();
    };
    match T::deserialize(v) {
        Ok(t) => t,
        Err(e) => {
            errs.push(Violation::new(
                &path::key("", key),
                Code::InvalidPayload,
                e.to_string(),
            ));
            T::default()
        }
    }
}

fn list<T: DeserializeOwned>(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    errs: &mut Vec<Violation>,
) -> Vec<T> {
    let p = path::key("", key);
    let Some(v) = obj.get(key) else { return Vec::new() };
    let Some(items) = v.as_array() else {
        errs.push(Violation::new(
            &p,
            Code::InvalidPayload,
            format!("expected an array, found {}", json_type(v)),
        ));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match T::deserialize(item) {
            Ok(t) => out.push(t),
            Err(e) => errs.push(Violation::new(
                &path::index(&p, i),
                Code::InvalidPayload,
                e.to_string(),
            )),
        }
    }
    out
}
