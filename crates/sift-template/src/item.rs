//! Reading a manifest line (the item) through a template's `[fields]`.
//!
//! Problems with the item are reported as [`Violation`]s whose path starts with `item.`
//! (`item.source`, `item.responses[2].id`), so callers can tell item problems from
//! annotation problems.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::path;
use crate::payload::json_type;
use crate::template::{Spec, Template};
use crate::validate::{Code, MediaInfo, Violation};

/// One response to rank, read from the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The id used in payloads: the object's `id`, or the 0-based position (`"0"`, `"1"`, …)
    /// when responses are plain strings.
    pub id: String,
    /// The response text.
    pub text: String,
}

fn item_path(key: &str) -> String {
    path::key("item", key)
}

fn field<'a>(item: &'a Value, key: &str) -> Result<&'a Value, Violation> {
    let Some(obj) = item.as_object() else {
        return Err(Violation::new(
            "item",
            Code::ItemFieldInvalid,
            format!("the item must be a JSON object, found {}", json_type(item)),
        ));
    };
    obj.get(key).ok_or_else(|| {
        Violation::new(
            &item_path(key),
            Code::ItemFieldMissing,
            format!("the item has no `{key}` field"),
        )
    })
}

fn string_field<'a>(item: &'a Value, key: &str, what: &str) -> Result<&'a str, Violation> {
    let v = field(item, key)?;
    v.as_str().ok_or_else(|| {
        Violation::new(
            &item_path(key),
            Code::ItemFieldInvalid,
            format!(
                "`{key}` should hold the {what} as a string, found {}",
                json_type(v)
            ),
        )
    })
}

fn positive_number(item: &Value, key: &str, what: &str, integer: bool) -> Result<f64, Violation> {
    let v = field(item, key)?;
    let n = v
        .as_f64()
        .filter(|n| n.is_finite() && *n > 0.0 && (!integer || n.fract() == 0.0));
    n.ok_or_else(|| {
        let kind = if integer {
            "a positive integer"
        } else {
            "a positive number"
        };
        Violation::new(
            &item_path(key),
            Code::ItemFieldInvalid,
            format!("`{key}` should hold the {what} as {kind}, found {v}"),
        )
    })
}

impl Template {
    /// The passage of a `qa` item.
    pub fn passage<'a>(&self, item: &'a Value) -> Result<&'a str, Violation> {
        match &self.spec {
            Spec::Qa { fields, .. } => string_field(item, &fields.passage, "passage"),
            _ => Err(self.wrong_kind("passage")),
        }
    }

    /// The prompt of a `ranking` item.
    pub fn prompt<'a>(&self, item: &'a Value) -> Result<&'a str, Violation> {
        match &self.spec {
            Spec::Ranking { fields, .. } => string_field(item, &fields.prompt, "prompt"),
            _ => Err(self.wrong_kind("prompt")),
        }
    }

    /// The responses of a `ranking` item. The field holds an array of strings (ids are the
    /// 0-based positions as strings) or of objects with `id` (string or integer) and `text`;
    /// other keys of response objects are ignored. Ids must be distinct and non-empty.
    pub fn responses(&self, item: &Value) -> Result<Vec<Response>, Vec<Violation>> {
        let Spec::Ranking { fields, .. } = &self.spec else {
            return Err(vec![self.wrong_kind("responses")]);
        };
        let key = &fields.responses;
        let p = item_path(key);
        let v = field(item, key).map_err(|e| vec![e])?;
        let Some(arr) = v.as_array() else {
            return Err(vec![Violation::new(
                &p,
                Code::ItemFieldInvalid,
                format!(
                    "`{key}` should be an array of strings or of {{\"id\", \"text\"}} objects, found {}",
                    json_type(v)
                ),
            )]);
        };
        let mut out = Vec::with_capacity(arr.len());
        let mut errs = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, r) in arr.iter().enumerate() {
            let rp = path::index(&p, i);
            let resp = match r {
                Value::String(s) => Response {
                    id: i.to_string(),
                    text: s.clone(),
                },
                Value::Object(o) => {
                    let id = match o.get("id") {
                        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Some(n.to_string()),
                        Some(other) => {
                            errs.push(Violation::new(
                                &path::key(&rp, "id"),
                                Code::ItemFieldInvalid,
                                format!(
                                    "a response id must be a non-empty string or an integer, found {other}"
                                ),
                            ));
                            None
                        }
                        None => {
                            errs.push(Violation::new(
                                &path::key(&rp, "id"),
                                Code::ItemFieldMissing,
                                "a response object needs an `id`",
                            ));
                            None
                        }
                    };
                    let text = match o.get("text") {
                        Some(Value::String(s)) => Some(s.clone()),
                        other => {
                            let found = other.map_or("nothing", json_type);
                            errs.push(Violation::new(
                                &path::key(&rp, "text"),
                                if other.is_none() {
                                    Code::ItemFieldMissing
                                } else {
                                    Code::ItemFieldInvalid
                                },
                                format!("a response object needs a `text` string, found {found}"),
                            ));
                            None
                        }
                    };
                    match (id, text) {
                        (Some(id), Some(text)) => Response { id, text },
                        _ => continue,
                    }
                }
                other => {
                    errs.push(Violation::new(
                        &rp,
                        Code::ItemFieldInvalid,
                        format!(
                            "a response must be a string or an {{\"id\", \"text\"}} object, found {}",
                            json_type(other)
                        ),
                    ));
                    continue;
                }
            };
            if !seen.insert(resp.id.clone()) {
                errs.push(Violation::new(
                    &rp,
                    Code::ItemFieldInvalid,
                    format!("response id `{}` appears more than once", resp.id),
                ));
                continue;
            }
            out.push(resp);
        }
        if errs.is_empty() { Ok(out) } else { Err(errs) }
    }

    /// The media reference (image or video URI) of an item.
    pub fn media_ref<'a>(&self, item: &'a Value) -> Result<&'a str, Violation> {
        match self.media_field() {
            Some(key) => string_field(item, key, "media reference"),
            None => Err(self.wrong_kind("media reference")),
        }
    }

    /// Media facts for an item: each value of `known` wins; missing ones are read from the
    /// item fields named in `[fields]` (`width`, `height`, `duration`, `frame_rate`). Item
    /// fields that are named but missing or not positive numbers are reported.
    ///
    /// Values in `known` that are not finite positive numbers are treated as unknown.
    pub fn media_info(&self, item: &Value, known: &MediaInfo) -> (MediaInfo, Vec<Violation>) {
        let usable = |v: Option<f64>| v.filter(|n| n.is_finite() && *n > 0.0);
        let mut info = MediaInfo {
            width: usable(known.width),
            height: usable(known.height),
            duration: usable(known.duration),
            frame_rate: usable(known.frame_rate),
        };
        let mut errs = Vec::new();
        let mut read = |slot: &mut Option<f64>, key: &Option<String>, what: &str, integer: bool| {
            if slot.is_some() {
                return;
            }
            if let Some(k) = key {
                match positive_number(item, k, what, integer) {
                    Ok(n) => *slot = Some(n),
                    Err(e) => errs.push(e),
                }
            }
        };
        match &self.spec {
            Spec::ImageCaption { fields, .. } => {
                read(&mut info.width, &fields.width, "image width in pixels", true);
                read(&mut info.height, &fields.height, "image height in pixels", true);
            }
            Spec::VideoCaption { fields, .. } => {
                read(&mut info.duration, &fields.duration, "duration in seconds", false);
                read(&mut info.frame_rate, &fields.frame_rate, "frame rate", false);
            }
            Spec::Qa { .. } | Spec::Ranking { .. } => {}
        }
        (info, errs)
    }

    fn wrong_kind(&self, what: &str) -> Violation {
        Violation::new(
            "item",
            Code::KindMismatch,
            format!("a {} template has no {what}", self.kind()),
        )
    }
}
