//! Violations: what validation reports. [`Code`] (machine-readable, a public contract shared
//! with the UI through generated TypeScript) and [`Violation`] (path, code, message).
//!
//! A leaf module: payload parsing, item reading and validation all report through it, and it
//! depends on none of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sift_core::{apply, named_enum};

/// Machine-readable violation codes, named in snake_case: serde, `strum` ([`Code::as_str`],
/// `Display`, the list of names) and the TypeScript type derive the names the same way.
#[apply(named_enum!)]
#[derive(PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
#[ts(rename = "ViolationCode")]
pub enum Code {
    /// The payload JSON does not have the expected shape.
    InvalidPayload,
    /// The payload or item does not belong to this template's kind.
    KindMismatch,
    /// A field the template reads is missing from the item.
    ItemFieldMissing,
    /// A field the template reads has the wrong type or value in the item.
    ItemFieldInvalid,
    /// Fewer elements than the template requires.
    TooFew,
    /// More elements than the template allows.
    TooMany,
    /// A required text is empty.
    Required,
    /// A text is shorter than allowed.
    TooShort,
    /// A text is longer than allowed.
    TooLong,
    /// A caption has fewer words than allowed.
    TooFewWords,
    /// A caption has more words than allowed.
    TooManyWords,
    /// A question type that the template does not list.
    UnknownQuestionType,
    /// A required question type is not used by any pair.
    MissingQuestionType,
    /// The same question appears twice.
    DuplicateQuestion,
    /// A span starts after it ends.
    SpanReversed,
    /// A span runs past the end of the passage.
    SpanOutOfRange,
    /// A zero-length span.
    EmptySpan,
    /// Two spans of one pair overlap.
    OverlappingSpans,
    /// A pair cites no span and does not reference the entire passage.
    MissingSpans,
    /// The "references entire passage" flag is used but not allowed.
    EntirePassageNotAllowed,
    /// A ranking dimension that the template does not define.
    UnknownDimension,
    /// A template dimension is not ranked.
    MissingDimension,
    /// A response id that the item does not have.
    UnknownResponse,
    /// A response is not ranked on a dimension.
    MissingResponse,
    /// A rank below 1 or above the number of responses.
    RankOutOfRange,
    /// Two responses share a rank but ties are not allowed.
    TieNotAllowed,
    /// Ranks are not consecutive from 1.
    RankGap,
    /// A classification question that the template does not define.
    UnknownClassification,
    /// A classification answer that is not one of the options.
    InvalidOption,
    /// A required classification is not answered.
    MissingClassification,
    /// A rationale is given but the template turns it off.
    RationaleNotAllowed,
    /// An empty object id.
    EmptyId,
    /// Two objects share an id.
    DuplicateId,
    /// A relationship refers to an object id that does not exist.
    UnknownObject,
    /// A relationship relates an object to itself.
    SelfRelationship,
    /// The same relationship appears twice.
    DuplicateRelationship,
    /// A point outside the image.
    PointOutsideImage,
    /// The caption does not mention a named object.
    ObjectNotMentioned,
    /// A negative or non-finite time.
    InvalidTime,
    /// An event ends before it starts.
    EndBeforeStart,
    /// An event runs past the end of the video.
    BeyondDuration,
    /// Two events overlap but overlapping is not allowed.
    OverlappingEvents,
    /// A label that is not one of the template's classes.
    UnknownClass,
    /// The same class is chosen twice.
    DuplicateLabel,
    /// An item is marked unsure but the template does not allow it.
    UnsureNotAllowed,
}

impl Code {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl FromStr for Code {
    type Err = String;

    /// A code's snake_case name, or an error listing them all.
    fn from_str(s: &str) -> Result<Code, String> {
        sift_core::parse_name(s, "violation code")
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Violation {
    /// Where: a path into the payload (`pairs[2].answer`, `rankings.clarity`), or into the item
    /// when it starts with `item` (`item.source`). Empty for the payload as a whole.
    pub path: String,
    /// What kind of problem.
    pub code: Code,
    /// A sentence for humans.
    pub message: String,
}

impl Violation {
    /// Builds a violation.
    pub fn new(path: &str, code: Code, message: impl Into<String>) -> Violation {
        Violation {
            path: path.to_owned(),
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} [{}]", self.message, self.code)
        } else {
            write!(f, "{}: {} [{}]", self.path, self.message, self.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use strum::VariantArray as _;

    /// `as_str`, `Display`, `FromStr` and serde agree on every code's name, and no two codes share one.
    #[test]
    fn names_are_the_serde_names() {
        let mut names = Vec::new();
        for &code in Code::VARIANTS {
            let serde_name = serde_json::to_value(code).ok();
            assert_eq!(serde_name, Some(Value::from(code.as_str())), "{code:?}");
            assert_eq!(code.to_string(), code.as_str());
            assert_eq!(code.as_str().parse::<Code>(), Ok(code));
            assert_eq!(
                serde_json::from_value::<Code>(Value::from(code.as_str())).ok(),
                Some(code)
            );
            names.push(code.as_str());
        }
        assert_eq!(Code::SpanOutOfRange.as_str(), "span_out_of_range");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::VARIANTS.len());
    }

    #[test]
    fn unknown_names_are_refused_with_the_list() {
        let err = "span_reversd".parse::<Code>().unwrap_err();
        assert!(
            err.starts_with("unknown violation code \"span_reversd\" (expected invalid_payload, "),
            "{err}"
        );
        assert!(err.ends_with(" or unsure_not_allowed)"), "{err}");
    }
}
