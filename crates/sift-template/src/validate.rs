//! Validating a payload against its template and item: the entry points ([`validate()`],
//! [`check()`]), the two modes, and the [`Checker`] every kind's checks report through.
//!
//! [`validate`] returns every [`Violation`] it finds, never just the first. In
//! [`Mode::Draft`] only structural sanity is checked (offsets in range, ids that exist,
//! times and points inside the media), so incomplete work can be saved. [`Mode::Submit`]
//! adds every rule of the template (counts, lengths, required fields, complete and consistent
//! rankings, word limits, mentions).
//!
//! Fixed rules (not configurable):
//! * Spans are half-open `[start, end)` in Unicode scalar values; `end` may equal the passage
//!   length. A reversed span (`start > end`) or one past the end is an error in both modes; a
//!   zero-length span (`start == end`) is allowed in drafts (a selection in progress) and
//!   rejected on submit.
//! * Spans of one pair must not overlap on submit (merge them instead); spans of different
//!   pairs may overlap freely (two questions can rest on the same evidence). Touching spans
//!   (`a.end == b.start`) do not overlap.
//! * Text lengths count Unicode scalar values of the trimmed text; a text that is empty after
//!   trimming is reported as `required`.
//! * Ranks are dense (see [`crate::RankingPayload`]).
//! * A point is inside the image when `0 <= x <= width` and `0 <= y <= height`.
//! * An event must satisfy `0 <= start <= end <= duration + 0.001` (one millisecond of slack
//!   for player rounding).
//! * A class label that the template does not define, or the same label twice, is an error
//!   in both modes.
//!
//! The checks of each kind live with the kind (`crate::kinds`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::item::MediaInfo;
pub use crate::kinds::video::DURATION_SLACK_SECONDS;
use crate::kinds::{Payload, TaskKind, with_spec};
use crate::template::Template;
use crate::text::trimmed_len;
pub use crate::violation::{Code, Violation};

/// How strictly to validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Saving incomplete work: structural checks only.
    Draft,
    /// Submitting: every rule.
    Submit,
}

/// Checks `payload` for `item` against `template`; returns every violation (empty when valid).
pub fn validate(
    template: &Template,
    item: &Value,
    payload: &Payload,
    media: &MediaInfo,
    mode: Mode,
) -> Vec<Violation> {
    let mut v = Checker {
        out: Vec::new(),
        submit: mode == Mode::Submit,
    };
    with_spec!(&template.spec, |K, fields, rules| match K::unwrap(payload) {
        Some(p) => K::check(&mut v, template, fields, rules, item, media, p),
        None => v.push(
            "",
            Code::KindMismatch,
            format!(
                "a {} payload cannot be checked against a {} template",
                payload.kind(),
                template.kind()
            ),
        ),
    });
    v.out
}

/// Parses `payload` (JSON) and validates it; `Ok` only when there is no violation.
pub fn check(
    template: &Template,
    item: &Value,
    payload: &Value,
    media: &MediaInfo,
    mode: Mode,
) -> Result<Payload, Vec<Violation>> {
    let parsed = template.parse_payload(payload)?;
    let errs = validate(template, item, &parsed, media, mode);
    if errs.is_empty() { Ok(parsed) } else { Err(errs) }
}

/// Collects the violations of one validation run; the helpers apply the rules every kind
/// shares (counts, text lengths) in the current mode.
#[derive(Debug)]
pub(crate) struct Checker {
    pub(crate) out: Vec<Violation>,
    /// Whether every rule applies ([`Mode::Submit`]) or only structural ones.
    pub(crate) submit: bool,
}

/// `"1 pair"`, `"3 pairs"`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Display form of a JSON-ish number without a trailing `.0`.
pub(crate) fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl Checker {
    /// Records a violation.
    pub(crate) fn push(&mut self, path: &str, code: Code, message: impl Into<String>) {
        self.out.push(Violation::new(path, code, message));
    }

    /// Count limits (submit only): `too_few` below `min`, `too_many` above `max`.
    pub(crate) fn count(&mut self, path: &str, n: usize, min: u32, max: Option<u32>, one: &str, many: &str) {
        if !self.submit {
            return;
        }
        if n < min as usize {
            self.push(
                path,
                Code::TooFew,
                format!("needs at least {}, found {n}", plural(min as usize, one, many)),
            );
        }
        if let Some(max) = max
            && n > max as usize
        {
            self.push(
                path,
                Code::TooMany,
                format!("allows at most {}, found {n}", plural(max as usize, one, many)),
            );
        }
    }

    /// Length rules for a text (submit only). `min == 0` with `required == false` allows empty.
    pub(crate) fn text(&mut self, path: &str, text: &str, required: bool, min: u32, max: u32, what: &str) {
        if !self.submit {
            return;
        }
        let n = trimmed_len(text);
        if n == 0 {
            if required {
                self.push(path, Code::Required, format!("the {what} is required"));
            }
            return;
        }
        if n < min as usize {
            self.push(
                path,
                Code::TooShort,
                format!("the {what} has {n} characters; at least {min} are required"),
            );
        }
        if n > max as usize {
            self.push(
                path,
                Code::TooLong,
                format!("the {what} has {n} characters; at most {max} are allowed"),
            );
        }
    }

    /// The value read from the item, or `None` after recording the item problem.
    pub(crate) fn item<T>(&mut self, r: Result<T, Violation>) -> Option<T> {
        r.map_err(|e| self.out.push(e)).ok()
    }
}
