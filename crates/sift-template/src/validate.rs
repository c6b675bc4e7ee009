//! Validating a payload against its template and item.
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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::path;
use crate::payload::{ImagePayload, Payload, QaPayload, RankingPayload, VideoPayload};
use crate::template::{ImageRules, QaRules, RankingRules, Requirement, Spec, Template, VideoRules};
use crate::text::{char_len, mentions_tokens, tokens, trimmed_len, word_count};

/// Seconds an event may run past the known duration.
pub const DURATION_SLACK_SECONDS: f64 = 0.001;

/// How strictly to validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Saving incomplete work: structural checks only.
    Draft,
    /// Submitting: every rule.
    Submit,
}

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
    match (&template.spec, payload) {
        (Spec::Qa { rules, .. }, Payload::Qa(p)) => v.qa(template, rules, item, p),
        (Spec::Ranking { rules, .. }, Payload::Ranking(p)) => v.ranking(template, rules, item, p),
        (Spec::ImageCaption { rules, .. }, Payload::ImageCaption(p)) => {
            v.image(template, rules, item, media, p)
        }
        (Spec::VideoCaption { rules, .. }, Payload::VideoCaption(p)) => {
            v.video(template, rules, item, media, p)
        }
        _ => v.push(
            "",
            Code::KindMismatch,
            format!(
                "a {} payload cannot be checked against a {} template",
                payload.kind(),
                template.kind()
            ),
        ),
    }
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

struct Checker {
    out: Vec<Violation>,
    submit: bool,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Display form of a JSON-ish number without a trailing `.0`.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl Checker {
    fn push(&mut self, path: &str, code: Code, message: impl Into<String>) {
        self.out.push(Violation::new(path, code, message));
    }

    fn count(&mut self, path: &str, n: usize, min: u32, max: Option<u32>, one: &str, many: &str) {
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
    fn text(&mut self, path: &str, text: &str, required: bool, min: u32, max: u32, what: &str) {
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

    fn caption(&mut self, caption: &str, min: u32, max: Option<u32>) {
        if !self.submit {
            return;
        }
        let n = word_count(caption);
        if n == 0 && min > 0 {
            self.push("caption", Code::Required, "the caption is required");
            return;
        }
        if n < min as usize {
            self.push(
                "caption",
                Code::TooFewWords,
                format!(
                    "the caption has {}; at least {min} are required",
                    plural(n, "word", "words")
                ),
            );
        }
        if let Some(max) = max
            && n > max as usize
        {
            self.push(
                "caption",
                Code::TooManyWords,
                format!("the caption has {n} words; at most {max} are allowed"),
            );
        }
    }

    fn setting(&mut self, setting: &str, required: bool, max: u32) {
        self.text("setting", setting, required, 0, max, "setting");
    }

    fn item<T>(&mut self, r: Result<T, Violation>) -> Option<T> {
        r.map_err(|e| self.out.push(e)).ok()
    }

    // ---------------------------------------------------------------- Q&A

    fn qa(&mut self, t: &Template, rules: &QaRules, item: &Value, p: &QaPayload) {
        let passage = self.item(t.passage(item));
        let passage_len = passage.map(char_len);
        self.count(
            "pairs",
            p.pairs.len(),
            rules.min_pairs,
            Some(rules.max_pairs),
            "pair",
            "pairs",
        );

        if self.submit {
            for required in &rules.required_question_types {
                if !p.pairs.iter().any(|q| &q.question_type == required) {
                    self.push(
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
            self.text(
                &q_path,
                &pair.question,
                true,
                rules.question_min_chars,
                rules.question_max_chars,
                "question",
            );
            self.text(
                &path::key(&pp, "answer"),
                &pair.answer,
                true,
                rules.answer_min_chars,
                rules.answer_max_chars,
                "answer",
            );
            if self.submit && !pair.question.trim().is_empty() {
                let norm = tokens(&pair.question);
                if let Some(first) = questions.get(&norm) {
                    self.push(
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
                if self.submit && !rules.question_types.is_empty() {
                    self.push(
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
                self.push(&qt_path, Code::UnknownQuestionType, msg);
            }

            if self.submit && pair.entire_passage && !rules.allow_entire_passage {
                self.push(
                    &path::key(&pp, "entire_passage"),
                    Code::EntirePassageNotAllowed,
                    "this template does not allow pairs that reference the entire passage; cite spans instead",
                );
            }

            let sp = path::key(&pp, "spans");
            for (j, s) in pair.spans.iter().enumerate() {
                let spp = path::index(&sp, j);
                if s.start > s.end {
                    self.push(
                        &spp,
                        Code::SpanReversed,
                        format!("starts at {} but ends at {}", s.start, s.end),
                    );
                    continue;
                }
                if let Some(len) = passage_len
                    && s.end > len
                {
                    self.push(
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
                if self.submit && s.is_empty() {
                    self.push(
                        &spp,
                        Code::EmptySpan,
                        format!("is empty ({}..{}); select at least one character", s.start, s.end),
                    );
                }
            }
            if self.submit {
                let excused = pair.entire_passage && rules.allow_entire_passage;
                if rules.require_spans && pair.spans.is_empty() && !excused {
                    let hint = if rules.allow_entire_passage {
                        " or mark it as referencing the entire passage"
                    } else {
                        ""
                    };
                    self.push(
                        &sp,
                        Code::MissingSpans,
                        format!("cite at least one passage span{hint}"),
                    );
                }
                if let Some(max) = rules.max_spans_per_pair
                    && pair.spans.len() > max as usize
                {
                    self.push(
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
                        self.push(
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

    // ---------------------------------------------------------------- ranking

    fn ranking(&mut self, t: &Template, rules: &RankingRules, item: &Value, p: &RankingPayload) {
        let _ = self.item(t.prompt(item));
        let responses = match t.responses(item) {
            Ok(r) => Some(r),
            Err(errs) => {
                self.out.extend(errs);
                None
            }
        };
        if let Some(rs) = &responses {
            let key = match &t.spec {
                Spec::Ranking { fields, .. } => path::key("item", &fields.responses),
                _ => "item".to_owned(),
            };
            let n = rs.len();
            if n < rules.min_responses as usize {
                self.push(
                    &key,
                    Code::TooFew,
                    format!(
                        "the item has {}; this template needs at least {}",
                        plural(n, "response", "responses"),
                        rules.min_responses
                    ),
                );
            }
            if let Some(max) = rules.max_responses
                && n > max as usize
            {
                self.push(
                    &key,
                    Code::TooMany,
                    format!("the item has {n} responses; this template allows at most {max}"),
                );
            }
        }
        let ids: Option<BTreeSet<&str>> = responses
            .as_ref()
            .map(|rs| rs.iter().map(|r| r.id.as_str()).collect());
        let n = ids.as_ref().map(BTreeSet::len);

        for (dim, ranks) in &p.rankings {
            let dp = path::key("rankings", dim);
            if rules.dimension(dim).is_none() {
                let names: Vec<&str> = rules.dimensions.iter().map(|d| d.name.as_str()).collect();
                self.push(
                    &dp,
                    Code::UnknownDimension,
                    format!(
                        "`{dim}` is not a dimension of this template ({})",
                        names.join(", ")
                    ),
                );
                continue;
            }
            let mut structural_ok = true;
            for (rid, rank) in ranks {
                let rp = path::key(&dp, rid);
                if let Some(ids) = &ids
                    && !ids.contains(rid.as_str())
                {
                    self.push(
                        &rp,
                        Code::UnknownResponse,
                        format!("the item has no response with id `{rid}`"),
                    );
                    structural_ok = false;
                    continue;
                }
                let too_high = n.is_some_and(|n| *rank as usize > n);
                if *rank == 0 || too_high {
                    let range = n.map_or_else(|| "1 or more".to_owned(), |n| format!("1 to {n}"));
                    self.push(
                        &rp,
                        Code::RankOutOfRange,
                        format!("rank {rank} is out of range; ranks run from {range} (1 = best)"),
                    );
                    structural_ok = false;
                }
            }
            if self.submit && structural_ok {
                self.rank_order(&dp, dim, ranks, rules.allow_ties, ids.as_ref());
            }
        }
        if self.submit {
            for d in &rules.dimensions {
                if !p.rankings.contains_key(&d.name) {
                    self.push(
                        &path::key("rankings", &d.name),
                        Code::MissingDimension,
                        format!("rank the responses on `{}`", d.title),
                    );
                }
            }
        }

        for (rid, answers) in &p.classifications {
            let cp = path::key("classifications", rid);
            if let Some(ids) = &ids
                && !ids.contains(rid.as_str())
            {
                self.push(
                    &cp,
                    Code::UnknownResponse,
                    format!("the item has no response with id `{rid}`"),
                );
                continue;
            }
            for (name, answer) in answers {
                let ap = path::key(&cp, name);
                match rules.classification(name) {
                    None => self.push(
                        &ap,
                        Code::UnknownClassification,
                        format!("`{name}` is not a classification question of this template"),
                    ),
                    Some(c) if !c.options.contains(answer) => self.push(
                        &ap,
                        Code::InvalidOption,
                        format!(
                            "`{answer}` is not an option of `{name}` ({})",
                            c.options.join(", ")
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        if self.submit
            && let Some(rs) = &responses
        {
            for r in rs {
                for c in rules.classifications.iter().filter(|c| c.required) {
                    let answered = p
                        .classifications
                        .get(&r.id)
                        .is_some_and(|a| a.contains_key(&c.name));
                    if !answered {
                        self.push(
                            &path::key(&path::key("classifications", &r.id), &c.name),
                            Code::MissingClassification,
                            format!("answer \"{}\" for response `{}`", c.question, r.id),
                        );
                    }
                }
            }
        }

        match rules.rationale {
            Requirement::Off if self.submit && !p.rationale.trim().is_empty() => {
                self.push(
                    "rationale",
                    Code::RationaleNotAllowed,
                    "this template does not ask for a rationale",
                );
            }
            Requirement::Off => {}
            req => self.text(
                "rationale",
                &p.rationale,
                req == Requirement::Required,
                0,
                rules.rationale_max_chars,
                "rationale",
            ),
        }
    }

    /// Completeness and consistency of one dimension's ranks (submit only; every rank is
    /// already known to be in range and every id known).
    fn rank_order(
        &mut self,
        dp: &str,
        dim: &str,
        ranks: &BTreeMap<String, u32>,
        allow_ties: bool,
        ids: Option<&BTreeSet<&str>>,
    ) {
        if let Some(ids) = ids {
            for id in ids {
                if !ranks.contains_key(*id) {
                    self.push(
                        &path::key(dp, id),
                        Code::MissingResponse,
                        format!("response `{id}` is not ranked on `{dim}`"),
                    );
                }
            }
        }
        let mut by_rank: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
        for (id, rank) in ranks {
            by_rank.entry(*rank).or_default().push(id);
        }
        if !allow_ties {
            for (rank, group) in &by_rank {
                if group.len() > 1 {
                    let names: Vec<String> = group.iter().map(|g| format!("`{g}`")).collect();
                    self.push(
                        dp,
                        Code::TieNotAllowed,
                        format!(
                            "responses {} share rank {rank}; ties are not allowed",
                            names.join(", ")
                        ),
                    );
                }
            }
        }
        for (expected, rank) in (1u32..).zip(by_rank.keys()) {
            if *rank != expected {
                let used: Vec<String> = by_rank.keys().map(u32::to_string).collect();
                self.push(
                    dp,
                    Code::RankGap,
                    format!(
                        "rank {expected} is skipped (ranks used: {}); ranks must be consecutive from 1",
                        used.join(", ")
                    ),
                );
                break;
            }
        }
    }

    // ---------------------------------------------------------------- image

    fn image(&mut self, t: &Template, rules: &ImageRules, item: &Value, media: &MediaInfo, p: &ImagePayload) {
        let _ = self.item(t.media_ref(item));
        let (info, errs) = t.media_info(item, media);
        self.out.extend(errs);
        self.count(
            "objects",
            p.objects.len(),
            rules.min_objects,
            rules.max_objects,
            "object",
            "objects",
        );

        let mut ids = BTreeSet::new();
        for (i, o) in p.objects.iter().enumerate() {
            let op = path::index("objects", i);
            if o.id.trim().is_empty() {
                self.push(&path::key(&op, "id"), Code::EmptyId, "every object needs an id");
            } else if !ids.insert(o.id.as_str()) {
                self.push(
                    &path::key(&op, "id"),
                    Code::DuplicateId,
                    format!("id `{}` is used by an earlier object", o.id),
                );
            }
            let finite = o.x.is_finite() && o.y.is_finite();
            let outside = !finite
                || o.x < 0.0
                || o.y < 0.0
                || info.width.is_some_and(|w| o.x > w)
                || info.height.is_some_and(|h| o.y > h);
            if outside {
                let size = match (info.width, info.height) {
                    (Some(w), Some(h)) => format!("the {}×{} image", num(w), num(h)),
                    _ => "the image (coordinates start at 0)".to_owned(),
                };
                self.push(
                    &op,
                    Code::PointOutsideImage,
                    format!("point ({}, {}) is outside {size}", num(o.x), num(o.y)),
                );
            }
            self.text(
                &path::key(&op, "name"),
                &o.name,
                true,
                0,
                rules.object_name_max_chars,
                "object name",
            );
            self.text(
                &path::key(&op, "description"),
                &o.description,
                rules.require_object_description,
                0,
                rules.object_description_max_chars,
                "object description",
            );
        }

        self.count(
            "relationships",
            p.relationships.len(),
            rules.min_relationships,
            None,
            "relationship",
            "relationships",
        );
        let mut seen = BTreeSet::new();
        for (i, r) in p.relationships.iter().enumerate() {
            let rp = path::index("relationships", i);
            for (key, id) in [("subject", &r.subject), ("object", &r.object)] {
                let kp = path::key(&rp, key);
                if id.is_empty() {
                    if self.submit {
                        self.push(&kp, Code::Required, format!("choose the {key} object"));
                    }
                } else if !ids.contains(id.as_str()) {
                    self.push(&kp, Code::UnknownObject, format!("no object has id `{id}`"));
                }
            }
            if self.submit {
                self.text(
                    &path::key(&rp, "relation"),
                    &r.relation,
                    true,
                    0,
                    u32::MAX,
                    "relation",
                );
                if !r.subject.is_empty() && r.subject == r.object {
                    self.push(
                        &rp,
                        Code::SelfRelationship,
                        format!("relates object `{}` to itself", r.subject),
                    );
                }
                let key = (
                    r.subject.as_str(),
                    r.relation.trim().to_lowercase(),
                    r.object.as_str(),
                );
                if !r.relation.trim().is_empty() && !seen.insert(key) {
                    self.push(
                        &rp,
                        Code::DuplicateRelationship,
                        "repeats an earlier relationship",
                    );
                }
            }
        }

        self.setting(&p.setting, rules.require_setting, rules.setting_max_chars);
        self.caption(&p.caption, rules.caption_min_words, rules.caption_max_words);
        if self.submit && rules.caption_must_mention_objects {
            let words = tokens(&p.caption);
            let mut reported = BTreeSet::new();
            for (i, o) in p.objects.iter().enumerate() {
                let name_tokens = tokens(&o.name);
                if name_tokens.is_empty() || !reported.insert(name_tokens.clone()) {
                    continue;
                }
                if !mentions_tokens(&words, &name_tokens) {
                    self.push(
                        "caption",
                        Code::ObjectNotMentioned,
                        format!(
                            "the caption does not mention \"{}\" (objects[{i}])",
                            o.name.trim()
                        ),
                    );
                }
            }
        }
    }

    // ---------------------------------------------------------------- video

    fn video(&mut self, t: &Template, rules: &VideoRules, item: &Value, media: &MediaInfo, p: &VideoPayload) {
        let _ = self.item(t.media_ref(item));
        let (info, errs) = t.media_info(item, media);
        self.out.extend(errs);
        self.count(
            "events",
            p.events.len(),
            rules.min_events,
            rules.max_events,
            "event",
            "events",
        );

        let mut valid: Vec<(usize, f64, f64)> = Vec::new();
        for (i, e) in p.events.iter().enumerate() {
            let ep = path::index("events", i);
            let mut ok = true;
            for (key, x) in [("start", e.start), ("end", e.end)] {
                if !x.is_finite() || x < 0.0 {
                    self.push(
                        &path::key(&ep, key),
                        Code::InvalidTime,
                        format!("{key} time {x} must be a number of seconds >= 0"),
                    );
                    ok = false;
                }
            }
            if ok && e.end < e.start {
                self.push(
                    &ep,
                    Code::EndBeforeStart,
                    format!("ends at {}s, before it starts at {}s", num(e.end), num(e.start)),
                );
                ok = false;
            }
            if ok
                && let Some(d) = info.duration
                && e.end > d + DURATION_SLACK_SECONDS
            {
                let key = if e.start > d + DURATION_SLACK_SECONDS {
                    "start"
                } else {
                    "end"
                };
                self.push(
                    &path::key(&ep, key),
                    Code::BeyondDuration,
                    format!(
                        "{}s..{}s runs past the end of the video ({}s)",
                        num(e.start),
                        num(e.end),
                        num(d)
                    ),
                );
                ok = false;
            }
            self.text(
                &path::key(&ep, "description"),
                &e.description,
                true,
                0,
                rules.event_description_max_chars,
                "event description",
            );
            if ok {
                valid.push((i, e.start, e.end));
            }
        }
        if self.submit && !rules.allow_overlapping_events {
            valid.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            for (k, (i, s2, e2)) in valid.iter().enumerate() {
                let earlier = valid.iter().take(k).find(|(_, s1, e1)| s2 < e1 && s1 < e2);
                if let Some((j, _, _)) = earlier {
                    self.push(
                        &path::index("events", *i),
                        Code::OverlappingEvents,
                        format!("overlaps events[{j}]; events may not overlap in this template"),
                    );
                }
            }
        }
        self.setting(&p.setting, rules.require_setting, rules.setting_max_chars);
        self.caption(&p.caption, rules.caption_min_words, rules.caption_max_words);
    }
}
