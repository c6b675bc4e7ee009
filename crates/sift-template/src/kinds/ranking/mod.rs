//! The `ranking` kind: model responses to a prompt ranked on one or more dimensions, with
//! optional per-response classification questions and a rationale (preference data). This
//! module owns the kind's `[fields]` and `[rules]` types, its payload and its shortcut
//! actions; the rules reader is in [`rules`], the prompt and response accessors in [`item`],
//! the checks in [`check`], the Label Studio mapping in [`label_studio`].

mod check;
mod item;
mod label_studio;
mod rules;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Kind, Payload, Spec, TaskKind};
use crate::item::MediaInfo;
use crate::payload::entry;
use crate::template::rules::FieldReader;
use crate::template::shortcuts::{Action, act};
use crate::template::toml_reader::{Reader, Table};
use crate::template::{FieldBinding, Requirement, Template};
use crate::validate::Checker;
use crate::violation::Violation;
pub use item::Response;

/// Manifest keys feeding a ranking template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RankingFields {
    /// Key of the prompt text (default `prompt`).
    pub prompt: String,
    /// Key of the responses (default `responses`): an array of strings (ids are the 0-based
    /// positions `"0"`, `"1"`, …) or of objects `{"id": "...", "text": "..."}`.
    pub responses: String,
}

/// How "best" reads on a ranking dimension. Rank 1 is always the most preferred response; the
/// direction only tells annotators (and the UI) whether preferred means more or less of the
/// named quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(rename = "RankingDirection")]
pub enum Direction {
    /// Rank 1 has the most of the quality (clarity, helpfulness).
    MoreIsBetter,
    /// Rank 1 has the least of the quality (toxicity, verbosity).
    LessIsBetter,
}

/// One ranking dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "RankingDimension")]
pub struct Dimension {
    /// Identifier (`[a-z0-9_-]`), the key in payloads and exports.
    pub name: String,
    /// Display title (defaults to the name).
    pub title: String,
    /// What to judge, shown to annotators.
    pub description: String,
    /// Whether more or less of the quality is preferred.
    pub direction: Direction,
}

/// A per-response classification question, e.g. "contains a factual error: yes/no".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "RankingClassification")]
pub struct Classification {
    /// Identifier (`[a-z0-9_-]`), the key in payloads.
    pub name: String,
    /// The question shown to annotators.
    pub question: String,
    /// Allowed answers (at least two, distinct).
    pub options: Vec<String>,
    /// Whether every response must be answered on submit.
    pub required: bool,
}

/// Rules of a ranking template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RankingRules {
    /// Fewest responses an item must have.
    pub min_responses: u32,
    /// Most responses an item may have.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_responses: Option<u32>,
    /// Whether two responses may share a rank.
    pub allow_ties: bool,
    /// Free-text rationale.
    pub rationale: Requirement,
    /// Rationale length limit in characters.
    pub rationale_max_chars: u32,
    /// The dimensions to rank on (at least one).
    pub dimensions: Vec<Dimension>,
    /// Optional per-response classification questions.
    pub classifications: Vec<Classification>,
}

impl RankingRules {
    /// The dimension named `name`.
    pub fn dimension(&self, name: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.name == name)
    }

    /// The classification question named `name`.
    pub fn classification(&self, name: &str) -> Option<&Classification> {
        self.classifications.iter().find(|c| c.name == name)
    }
}

/// Payload of a `ranking` template.
///
/// `rankings[dimension][response_id]` is the rank of a response on a dimension: 1 is the most
/// preferred. Ranks are dense: the ranks used on a dimension are exactly `1..=k`. Without ties
/// that is a permutation of `1..=N`; with ties, tied responses share a rank and the next rank
/// is the next integer (`a=1, b=1, c=2`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct RankingPayload {
    /// dimension name → response id → rank (1 = best).
    pub rankings: BTreeMap<String, BTreeMap<String, u32>>,
    /// response id → classification name → chosen option.
    pub classifications: BTreeMap<String, BTreeMap<String, String>>,
    /// Free-text rationale (empty when not given).
    pub rationale: String,
}

/// The `ranking` kind.
#[derive(Debug)]
pub(crate) struct RankingKind;

const ACTIONS: &[Action] = &[
    act(
        "move_up",
        "Alt+Up",
        "Move the selected response one place up (better)",
    ),
    act(
        "move_down",
        "Alt+Down",
        "Move the selected response one place down (worse)",
    ),
    act("next_response", "Alt+J", "Select the next response"),
    act("previous_response", "Alt+K", "Select the previous response"),
    act(
        "next_dimension",
        "Alt+Right",
        "Switch to the next ranking dimension",
    ),
    act(
        "previous_dimension",
        "Alt+Left",
        "Switch to the previous ranking dimension",
    ),
    act(
        "tie_with_next",
        "Alt+T",
        "Tie the selected response with the next one (when ties are allowed)",
    ),
    act(
        "focus_rationale",
        "Alt+R",
        "Move the cursor to the rationale field",
    ),
];

impl TaskKind for RankingKind {
    const KIND: Kind = Kind::Ranking;
    const GT_TYPE: &'static str = "sift/ranking";
    const FIELD_KEYS: &'static [&'static str] = &["prompt", "responses"];
    const RULE_KEYS: &'static [&'static str] = rules::RULE_KEYS;
    const PAYLOAD_KEYS: &'static [&'static str] = &["rankings", "classifications", "rationale"];
    const ACTIONS: &'static [Action] = ACTIONS;
    type Fields = RankingFields;
    type Rules = RankingRules;
    type Payload = RankingPayload;

    fn read_spec(r: &mut Reader<'_>, f: &mut FieldReader<'_, '_, '_>, rules: &Table<'_, '_>) -> Option<Spec> {
        let prompt = f.field(r, "prompt", Some("prompt"));
        let responses = f.field(r, "responses", Some("responses"));
        let rules = rules::read(r, rules);
        Some(Spec::Ranking {
            fields: RankingFields {
                prompt: prompt?,
                responses: responses?,
            },
            rules: rules?,
        })
    }

    fn bindings(fields: &RankingFields) -> Vec<FieldBinding<'_>> {
        vec![
            FieldBinding::new("prompt", &fields.prompt, true),
            FieldBinding::new("responses", &fields.responses, true),
        ]
    }

    fn parse_payload(obj: &Map<String, Value>, errs: &mut Vec<Violation>) -> RankingPayload {
        let rankings = entry(obj, "rankings", errs);
        let classifications = entry(obj, "classifications", errs);
        let rationale = entry(obj, "rationale", errs);
        RankingPayload {
            rankings,
            classifications,
            rationale,
        }
    }

    fn wrap(p: RankingPayload) -> Payload {
        Payload::Ranking(p)
    }

    fn unwrap(p: &Payload) -> Option<&RankingPayload> {
        match p {
            Payload::Ranking(p) => Some(p),
            _ => None,
        }
    }

    fn check(
        c: &mut Checker,
        t: &Template,
        fields: &RankingFields,
        rules: &RankingRules,
        item: &Value,
        _media: &MediaInfo,
        p: &RankingPayload,
    ) {
        check::check(c, t, fields, rules, item, p);
    }
}
