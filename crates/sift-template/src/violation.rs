//! Violations: what validation reports. [`Code`] (machine-readable, a public contract shared
//! with the UI through generated TypeScript) and [`Violation`] (path, code, message).
//!
//! A leaf module: payload parsing, item reading and validation all report through it, and it
//! depends on none of them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Machine-readable violation codes (serialized in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
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
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidPayload => "invalid_payload",
            Code::KindMismatch => "kind_mismatch",
            Code::ItemFieldMissing => "item_field_missing",
            Code::ItemFieldInvalid => "item_field_invalid",
            Code::TooFew => "too_few",
            Code::TooMany => "too_many",
            Code::Required => "required",
            Code::TooShort => "too_short",
            Code::TooLong => "too_long",
            Code::TooFewWords => "too_few_words",
            Code::TooManyWords => "too_many_words",
            Code::UnknownQuestionType => "unknown_question_type",
            Code::MissingQuestionType => "missing_question_type",
            Code::DuplicateQuestion => "duplicate_question",
            Code::SpanReversed => "span_reversed",
            Code::SpanOutOfRange => "span_out_of_range",
            Code::EmptySpan => "empty_span",
            Code::OverlappingSpans => "overlapping_spans",
            Code::MissingSpans => "missing_spans",
            Code::EntirePassageNotAllowed => "entire_passage_not_allowed",
            Code::UnknownDimension => "unknown_dimension",
            Code::MissingDimension => "missing_dimension",
            Code::UnknownResponse => "unknown_response",
            Code::MissingResponse => "missing_response",
            Code::RankOutOfRange => "rank_out_of_range",
            Code::TieNotAllowed => "tie_not_allowed",
            Code::RankGap => "rank_gap",
            Code::UnknownClassification => "unknown_classification",
            Code::InvalidOption => "invalid_option",
            Code::MissingClassification => "missing_classification",
            Code::RationaleNotAllowed => "rationale_not_allowed",
            Code::EmptyId => "empty_id",
            Code::DuplicateId => "duplicate_id",
            Code::UnknownObject => "unknown_object",
            Code::SelfRelationship => "self_relationship",
            Code::DuplicateRelationship => "duplicate_relationship",
            Code::PointOutsideImage => "point_outside_image",
            Code::ObjectNotMentioned => "object_not_mentioned",
            Code::InvalidTime => "invalid_time",
            Code::EndBeforeStart => "end_before_start",
            Code::BeyondDuration => "beyond_duration",
            Code::OverlappingEvents => "overlapping_events",
            Code::UnknownClass => "unknown_class",
            Code::DuplicateLabel => "duplicate_label",
            Code::UnsureNotAllowed => "unsure_not_allowed",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
