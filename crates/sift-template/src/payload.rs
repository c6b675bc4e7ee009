//! Annotation payloads: what an annotator produces for one item, and how any kind's payload is
//! read from JSON.
//!
//! Payloads are JSON objects; every struct rejects unknown keys and every field has a default,
//! so an empty object `{}` is a valid (empty) draft of any kind. Parse with
//! [`crate::Template::parse_payload`], which reports every shape problem with its path. The
//! payload types themselves live with their kinds (`crate::kinds`) and are re-exported here.

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use crate::kinds::{
    ClassificationPayload, ImageObject, ImagePayload, Payload, QaPair, QaPayload, RankingPayload,
    Relationship, Span, Unsure, VideoEvent, VideoPayload,
};
use crate::kinds::{Kind, TaskKind, with_kind};
use crate::path;
use crate::template::Template;
use crate::violation::{Code, Violation};

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
    let known: &[&str] = with_kind!(kind, |K| K::PAYLOAD_KEYS);
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
    let payload = with_kind!(kind, |K| K::wrap(K::parse_payload(obj, &mut errs)));
    if errs.is_empty() { Ok(payload) } else { Err(errs) }
}

/// How a JSON value's type reads in messages (`a string`, `an array`).
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

/// The payload entry `key` (its default when absent); a shape problem is recorded at `key`.
pub(crate) fn entry<T: DeserializeOwned + Default>(
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

/// The payload list `key` read element by element (empty when absent); each bad element is
/// recorded at `key[i]` and left out.
pub(crate) fn list<T: DeserializeOwned>(
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
