//! Reading a manifest line (the item) through a template's `[fields]`: the generic field
//! readers every kind uses, the media reference, and media facts ([`MediaInfo`]).
//!
//! Problems with the item are reported as [`Violation`]s whose path starts with `item.`
//! (`item.source`, `item.responses[2].id`), so callers can tell item problems from
//! annotation problems. Kind-specific accessors (the passage, the responses, …) live with
//! their kinds.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kinds::{TaskKind, with_spec};
use crate::path;
use crate::payload::json_type;
use crate::template::Template;
use crate::violation::{Code, Violation};

/// Facts about the media known to the caller (e.g. probed from the file). Values given here
/// win over item fields; see [`Template::media_info`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaInfo {
    /// Image width in pixels.
    pub width: Option<f64>,
    /// Image height in pixels.
    pub height: Option<f64>,
    /// Video duration in seconds.
    pub duration: Option<f64>,
    /// Video frame rate (frames per second).
    pub frame_rate: Option<f64>,
}

/// A media fact a template can read from an item field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaFact {
    /// Image width in pixels (a positive integer).
    Width,
    /// Image height in pixels (a positive integer).
    Height,
    /// Video duration in seconds.
    Duration,
    /// Video frames per second.
    FrameRate,
}

impl MediaFact {
    fn what(self) -> &'static str {
        match self {
            MediaFact::Width => "image width in pixels",
            MediaFact::Height => "image height in pixels",
            MediaFact::Duration => "duration in seconds",
            MediaFact::FrameRate => "frame rate",
        }
    }

    fn integer(self) -> bool {
        matches!(self, MediaFact::Width | MediaFact::Height)
    }

    fn slot(self, info: &mut MediaInfo) -> &mut Option<f64> {
        match self {
            MediaFact::Width => &mut info.width,
            MediaFact::Height => &mut info.height,
            MediaFact::Duration => &mut info.duration,
            MediaFact::FrameRate => &mut info.frame_rate,
        }
    }
}

/// `item.<key>`: where item problems are reported.
pub(crate) fn item_path(key: &str) -> String {
    path::key("item", key)
}

/// The item's field `key`; a non-object item or a missing key is an item violation.
pub(crate) fn field<'a>(item: &'a Value, key: &str) -> Result<&'a Value, Violation> {
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

/// The item's field `key` as a string; `what` names it in the message.
pub(crate) fn string_field<'a>(item: &'a Value, key: &str, what: &str) -> Result<&'a str, Violation> {
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
        let facts = with_spec!(&self.spec, |K, fields, _| K::media_facts(fields));
        for (fact, key) in facts {
            let slot = fact.slot(&mut info);
            if slot.is_some() {
                continue;
            }
            match positive_number(item, key, fact.what(), fact.integer()) {
                Ok(n) => *slot = Some(n),
                Err(e) => errs.push(e),
            }
        }
        (info, errs)
    }

    /// The violation for asking a template for something its kind does not have.
    pub(crate) fn wrong_kind(&self, what: &str) -> Violation {
        Violation::new(
            "item",
            Code::KindMismatch,
            format!("a {} template has no {what}", self.kind()),
        )
    }
}
