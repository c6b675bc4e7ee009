//! The `qa` kind: question/answer pairs written about a passage, each citing passage spans
//! (SFT demonstration data). This module owns the kind's `[fields]` and `[rules]` (types and
//! reader), its payload types, the passage accessor and its shortcut actions; the checks are
//! in [`check`], the Label Studio mapping in [`label_studio`].

mod check;
mod label_studio;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Kind, Payload, Spec, TaskKind};
use crate::item::{MediaInfo, string_field};
use crate::path;
use crate::payload::list;
use crate::template::rules::{FieldReader, check_order, ident_list};
use crate::template::shortcuts::{Action, act};
use crate::template::toml_reader::{Reader, Table};
use crate::template::{FieldBinding, Template};
use crate::validate::Checker;
use crate::violation::Violation;

/// Manifest keys feeding a Q&A template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct QaFields {
    /// Key of the passage text (default `source`).
    pub passage: String,
}

/// Rules of a Q&A template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
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
    #[ts(optional)]
    pub max_spans_per_pair: Option<u32>,
}

/// A half-open range `[start, end)` of a passage, in Unicode scalar values (Rust `char`s,
/// not bytes and not UTF-16 code units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct QaPayload {
    /// The pairs, in the annotator's order.
    pub pairs: Vec<QaPair>,
}

/// The `qa` kind.
#[derive(Debug)]
pub(crate) struct QaKind;

const RULE_KEYS: &[&str] = &[
    "min_pairs",
    "max_pairs",
    "question_types",
    "required_question_types",
    "question_min_chars",
    "question_max_chars",
    "answer_min_chars",
    "answer_max_chars",
    "require_spans",
    "allow_entire_passage",
    "max_spans_per_pair",
];

const ACTIONS: &[Action] = &[
    act("add_pair", "Alt+N", "Add a new question/answer pair"),
    act("delete_pair", "Alt+Backspace", "Delete the selected pair"),
    act("next_pair", "Alt+Down", "Select the next pair"),
    act("previous_pair", "Alt+Up", "Select the previous pair"),
    act(
        "cite_selection",
        "Alt+C",
        "Cite the selected passage text as evidence for the selected pair",
    ),
    act(
        "toggle_entire_passage",
        "Alt+E",
        "Toggle \"references entire passage\" on the selected pair",
    ),
    act(
        "cycle_question_type",
        "Alt+T",
        "Cycle the question type of the selected pair",
    ),
];

impl TaskKind for QaKind {
    const KIND: Kind = Kind::Qa;
    const GT_TYPE: &'static str = "sift/qa";
    const FIELD_KEYS: &'static [&'static str] = &["passage"];
    const RULE_KEYS: &'static [&'static str] = RULE_KEYS;
    const PAYLOAD_KEYS: &'static [&'static str] = &["pairs"];
    const ACTIONS: &'static [Action] = ACTIONS;
    type Fields = QaFields;
    type Rules = QaRules;
    type Payload = QaPayload;

    fn read_spec(r: &mut Reader<'_>, f: &mut FieldReader<'_, '_, '_>, rules: &Table<'_, '_>) -> Option<Spec> {
        let passage = f.field(r, "passage", Some("source"));
        let rules = read_rules(r, rules);
        Some(Spec::Qa {
            fields: QaFields { passage: passage? },
            rules: rules?,
        })
    }

    fn bindings(fields: &QaFields) -> Vec<FieldBinding<'_>> {
        vec![FieldBinding::new("passage", &fields.passage, true)]
    }

    fn parse_payload(obj: &Map<String, Value>, errs: &mut Vec<Violation>) -> QaPayload {
        QaPayload {
            pairs: list::<QaPair>(obj, "pairs", errs),
        }
    }

    fn wrap(p: QaPayload) -> Payload {
        Payload::Qa(p)
    }

    fn unwrap(p: &Payload) -> Option<&QaPayload> {
        match p {
            Payload::Qa(p) => Some(p),
            _ => None,
        }
    }

    fn check(
        c: &mut Checker,
        t: &Template,
        _fields: &QaFields,
        rules: &QaRules,
        item: &Value,
        _media: &MediaInfo,
        p: &QaPayload,
    ) {
        check::check(c, t, rules, item, p);
    }
}

impl Template {
    /// The passage of a `qa` item.
    pub fn passage<'a>(&self, item: &'a Value) -> Result<&'a str, Violation> {
        match &self.spec {
            Spec::Qa { fields, .. } => string_field(item, &fields.passage, "passage"),
            _ => Err(self.wrong_kind("passage")),
        }
    }
}

fn read_rules(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<QaRules> {
    let n0 = r.errors.len();
    let min_pairs = t.uint_or(r, "min_pairs", 0, 1);
    let max_pairs = t.uint_or(r, "max_pairs", 1, 10);
    check_order(r, &min_pairs, &max_pairs);
    let question_types = ident_list(r, t, "question_types", "question type");
    let required = ident_list(r, t, "required_question_types", "question type");
    if let (Some(types), Some(req_at), Some(req)) = (
        &question_types,
        t.string_array(r, "required_question_types"),
        &required,
    ) {
        for (s, name) in req_at.iter().zip(req) {
            if !types.contains(name) {
                let msg = if types.is_empty() {
                    format!("`{name}` is required but `question_types` is empty")
                } else {
                    format!("`{name}` is not one of `question_types` ({})", types.join(", "))
                };
                r.push(&s.path, Some(s.span.clone()), msg);
            }
        }
        if req.len() > max_pairs.value as usize {
            r.push(
                &path::key(&t.path, "required_question_types"),
                t.get("required_question_types").map(|v| v.span()),
                format!(
                    "lists {} types but `max_pairs` is {}; a submission could not cover them",
                    req.len(),
                    max_pairs.value
                ),
            );
        }
    }
    let question_min_chars = t.uint_or(r, "question_min_chars", 0, 1);
    let question_max_chars = t.uint_or(r, "question_max_chars", 1, 500);
    check_order(r, &question_min_chars, &question_max_chars);
    let answer_min_chars = t.uint_or(r, "answer_min_chars", 0, 1);
    let answer_max_chars = t.uint_or(r, "answer_max_chars", 1, 2000);
    check_order(r, &answer_min_chars, &answer_max_chars);
    let require_spans = t.boolean(r, "require_spans", true);
    let allow_entire_passage = t.boolean(r, "allow_entire_passage", true);
    let max_spans_per_pair = t.uint(r, "max_spans_per_pair", 1).map(|v| v.value);
    if r.errors.len() > n0 {
        return None;
    }
    Some(QaRules {
        min_pairs: min_pairs.value,
        max_pairs: max_pairs.value,
        question_types: question_types?,
        required_question_types: required?,
        question_min_chars: question_min_chars.value,
        question_max_chars: question_max_chars.value,
        answer_min_chars: answer_min_chars.value,
        answer_max_chars: answer_max_chars.value,
        require_spans,
        allow_entire_passage,
        max_spans_per_pair,
    })
}
