//! Reading a `ranking` item: its prompt and its responses (plain strings, or objects with
//! `id` and `text`), every problem reported at its `item.` path.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::item::{field, item_path, string_field};
use crate::kinds::Spec;
use crate::path;
use crate::payload::json_type;
use crate::template::Template;
use crate::violation::{Code, Violation};

/// One response to rank, read from the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The id used in payloads: the object's `id`, or the 0-based position (`"0"`, `"1"`, …)
    /// when responses are plain strings.
    pub id: String,
    /// The response text.
    pub text: String,
}

impl Template {
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
}
