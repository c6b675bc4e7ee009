//! Checks of a `qa` payload: pair counts, required question types, question and answer
//! lengths, duplicate questions, and the cited spans (in range, non-empty, not overlapping
//! within a pair).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{QaPayload, QaRules};
use crate::path;
use crate::template::Template;
use crate::text::{char_len, tokens};
use crate::validate::{Checker, plural};
use crate::violation::Code;

/// Checks `p` (see [`crate::validate()`]).
pub(super) fn check(c: &mut Checker, t: &Template, rules: &QaRules, item: &Value, p: &QaPayload) {
    let passage = c.item(t.passage(item));
    let passage_len = passage.map(char_len);
    c.count(
        "pairs",
        p.pairs.len(),
        rules.min_pairs,
        Some(rules.max_pairs),
        "pair",
        "pairs",
    );

    if c.submit {
        for required in &rules.required_question_types {
            if !p.pairs.iter().any(|q| &q.question_type == required) {
                c.push(
                    "pairs",
                    Code::MissingQuestionType,
                    format!("at least one pair must have question type `{required}`"),
                );
            }
        }
    }

    let mut questions: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for (i, pair) in p.pairs.iter().enumerate() {
        let pp = path::index("pairs", i);
        let q_path = path::key(&pp, "question");
        c.text(
            &q_path,
            &pair.question,
            true,
            rules.question_min_chars,
            rules.question_max_chars,
            "question",
        );
        c.text(
            &path::key(&pp, "answer"),
            &pair.answer,
            true,
            rules.answer_min_chars,
            rules.answer_max_chars,
            "answer",
        );
        if c.submit && !pair.question.trim().is_empty() {
            let norm = tokens(&pair.question);
            if let Some(first) = questions.get(&norm) {
                c.push(
                    &q_path,
                    Code::DuplicateQuestion,
                    format!("repeats the question of pairs[{first}]"),
                );
            } else if !norm.is_empty() {
                questions.insert(norm, i);
            }
        }

        let qt_path = path::key(&pp, "question_type");
        if pair.question_type.is_empty() {
            if c.submit && !rules.question_types.is_empty() {
                c.push(
                    &qt_path,
                    Code::Required,
                    format!("choose a question type: {}", rules.question_types.join(", ")),
                );
            }
        } else if !rules.question_types.contains(&pair.question_type) {
            let msg = if rules.question_types.is_empty() {
                format!(
                    "`{}` given, but this template does not use question types",
                    pair.question_type
                )
            } else {
                format!(
                    "`{}` is not one of: {}",
                    pair.question_type,
                    rules.question_types.join(", ")
                )
            };
            c.push(&qt_path, Code::UnknownQuestionType, msg);
        }

        if c.submit && pair.entire_passage && !rules.allow_entire_passage {
            c.push(
                &path::key(&pp, "entire_passage"),
                Code::EntirePassageNotAllowed,
                "this template does not allow pairs that reference the entire passage; cite spans instead",
            );
        }

        let sp = path::key(&pp, "spans");
        for (j, s) in pair.spans.iter().enumerate() {
            let spp = path::index(&sp, j);
            if s.start > s.end {
                c.push(
                    &spp,
                    Code::SpanReversed,
                    format!("starts at {} but ends at {}", s.start, s.end),
                );
                continue;
            }
            if let Some(len) = passage_len
                && s.end > len
            {
                c.push(
                    &spp,
                    Code::SpanOutOfRange,
                    format!(
                        "{}..{} runs past the end of the passage ({})",
                        s.start,
                        s.end,
                        plural(len, "character", "characters")
                    ),
                );
                continue;
            }
            if c.submit && s.is_empty() {
                c.push(
                    &spp,
                    Code::EmptySpan,
                    format!("is empty ({}..{}); select at least one character", s.start, s.end),
                );
            }
        }
        if c.submit {
            let excused = pair.entire_passage && rules.allow_entire_passage;
            if rules.require_spans && pair.spans.is_empty() && !excused {
                let hint = if rules.allow_entire_passage {
                    " or mark it as referencing the entire passage"
                } else {
                    ""
                };
                c.push(
                    &sp,
                    Code::MissingSpans,
                    format!("cite at least one passage span{hint}"),
                );
            }
            if let Some(max) = rules.max_spans_per_pair
                && pair.spans.len() > max as usize
            {
                c.push(
                    &sp,
                    Code::TooMany,
                    format!(
                        "allows at most {}, found {}",
                        plural(max as usize, "span", "spans"),
                        pair.spans.len()
                    ),
                );
            }
            for (k, b) in pair.spans.iter().enumerate() {
                if let Some((j, a)) = pair.spans.iter().enumerate().take(k).find(|(_, a)| a.overlaps(b)) {
                    c.push(
                        &path::index(&sp, k),
                        Code::OverlappingSpans,
                        format!(
                            "{}..{} overlaps spans[{j}] ({}..{}); merge them into one span",
                            b.start, b.end, a.start, a.end
                        ),
                    );
                }
            }
        }
    }
}
