//! Agreement and consensus of one scope's work (the project, a batch), by template kind:
//! `classification` (alpha, Fleiss, Cohen per pair, majority vote), `ranking` (alpha ordinal
//! and Kendall's tau-b per dimension, Kemeny or Borda consensus), `matching` (Q&A pairs and
//! citations, image objects, video events: F1 of one-to-one matches). Every figure carries
//! the number of items it stands on, and an undefined one its reason.

mod classification;
mod matching;
mod ranking;

pub(crate) use ranking::rank_consensus;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;
use sift_store::SubmittedWork;
use sift_template::{Payload, Spec, Template};

/// One figure for the scope (or one dimension of it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    /// What it is ("Krippendorff's alpha (nominal)").
    pub name: String,
    /// The ranking dimension it is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// The value; `None` when undefined on this data.
    pub value: Option<f64>,
    /// Items (or units) it was computed on.
    pub units: u64,
    /// Why it has no value, if it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undefined: Option<String>,
}

/// A figure of two annotators on the items both did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairFigure {
    /// One annotator.
    pub a: String,
    /// The other.
    pub b: String,
    /// What it is ("Cohen's kappa", "object F1").
    pub measure: String,
    /// The ranking dimension, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// The value; `None` when undefined.
    pub value: Option<f64>,
    /// Items both annotated.
    pub shared_items: u64,
    /// Why it has no value, if it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undefined: Option<String>,
}

/// How one annotator's work compares with the consensus of the others (leave-one-out).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsensusFigure {
    /// The annotator.
    pub annotator: String,
    /// The ranking dimension, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// What `agreement` is ("share equal to the consensus", "Kendall's tau-b").
    pub measure: String,
    /// Items compared (the others reached a consensus on them).
    pub items: u64,
    /// Agreement with the consensus.
    pub agreement: Option<f64>,
    /// Cohen's kappa against the consensus (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kappa: Option<f64>,
}

/// The consensus over items with two or more annotations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsensusSummary {
    /// How it is made ("majority vote", "Kemeny", "Borda").
    pub method: String,
    /// The ranking dimension, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// Items with a consensus.
    pub items: u64,
    /// Of them, ties (no single label, or an order that could not separate every pair).
    pub ties: u64,
    /// Mean agreement with the consensus (share of annotators; pairwise support for rankings).
    pub mean_agreement: Option<f64>,
}

/// Agreement and consensus over one scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scope {
    /// Submitted or approved annotations.
    pub annotations: u64,
    /// Items with at least one.
    pub items: u64,
    /// Items with two or more (what agreement is computed on).
    pub overlapping_items: u64,
    /// Figures for the scope.
    pub measures: Vec<Measure>,
    /// Figures per pair of annotators.
    pub pairs: Vec<PairFigure>,
    /// Each annotator against the consensus of the others.
    pub vs_consensus: Vec<ConsensusFigure>,
    /// The consensus.
    pub consensus: Vec<ConsensusSummary>,
    /// Submitted payloads that did not parse for the template (left out).
    pub unreadable: u64,
    /// Agreement on each item with two or more annotations, least agreement first: the items
    /// to adjudicate.
    pub per_item: Vec<ItemAgreement>,
}

/// How much the annotators of one item agree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemAgreement {
    /// The item.
    pub item: i64,
    /// Its annotations compared.
    pub annotations: u64,
    /// What `agreement` is ("share behind the majority vote", "mean pairwise support",
    /// "object F1").
    pub measure: String,
    /// The agreement, 0 to 1; `None` when undefined (nothing to match on either side).
    pub agreement: Option<f64>,
    /// Whether the consensus is a tie (classification, ranking).
    pub tie: bool,
}

impl Scope {
    /// Sorts [`Scope::per_item`]: least agreement first, undefined last, then by item.
    fn sort_items(&mut self) {
        self.per_item.sort_by(|a, b| {
            let key = |x: &ItemAgreement| x.agreement.unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b)).then(a.item.cmp(&b.item))
        });
    }
}

/// What the measures need of the items: image diagonals (object matching radius) and the
/// response ids of ranking items.
#[derive(Debug, Clone, Default)]
pub struct ItemContext {
    diagonal: HashMap<i64, f64>,
    responses: HashMap<i64, Vec<String>>,
}

impl ItemContext {
    /// Reads what the template's kind needs from an item's content.
    pub(crate) fn add(&mut self, template: &Template, item: i64, content: &Value) {
        match template.spec() {
            Spec::Ranking { .. } => {
                if let Ok(r) = template.responses(content) {
                    self.responses.insert(item, r.into_iter().map(|r| r.id).collect());
                }
            }
            Spec::ImageCaption { .. } => {
                let size = |k: &str| content.get(k).and_then(Value::as_f64).filter(|v| *v > 0.0);
                if let (Some(w), Some(h)) = (size("width"), size("height")) {
                    self.diagonal.insert(item, w.hypot(h));
                }
            }
            _ => {}
        }
    }
}

impl Measure {
    fn of<E: std::fmt::Display>(name: &str, dimension: Option<&str>, r: Result<(f64, usize), E>) -> Measure {
        let (value, units, undefined) = match r {
            Ok((v, n)) => (Some(v), n as u64, None),
            Err(e) => (None, 0, Some(e.to_string())),
        };
        Measure {
            name: name.to_owned(),
            dimension: dimension.map(str::to_owned),
            value,
            units,
            undefined,
        }
    }
}

/// One annotator's parsed work on one item.
pub(crate) struct Work<'a> {
    item: i64,
    annotator: &'a str,
    payload: Payload,
}

/// The scope's figures for the template's kind.
pub fn scope(template: &Template, ctx: &ItemContext, work: &[&SubmittedWork]) -> Scope {
    let mut per_item: BTreeMap<i64, usize> = BTreeMap::new();
    let mut parsed = Vec::with_capacity(work.len());
    let mut unreadable = 0;
    for w in work {
        *per_item.entry(w.item_id).or_default() += 1;
        match serde_json::from_str::<Value>(&w.payload)
            .ok()
            .and_then(|v| template.parse_payload(&v).ok())
        {
            Some(payload) => parsed.push(Work {
                item: w.item_id,
                annotator: &w.annotator,
                payload,
            }),
            None => unreadable += 1,
        }
    }
    let mut out = Scope {
        annotations: work.len() as u64,
        items: per_item.len() as u64,
        overlapping_items: per_item.values().filter(|n| **n >= 2).count() as u64,
        unreadable,
        ..Scope::default()
    };
    match template.spec() {
        Spec::Classification { rules, .. } => classification::figures(&mut out, rules.multi_label, &parsed),
        Spec::Ranking { rules, .. } => {
            let dims: Vec<String> = rules.dimensions.iter().map(|d| d.name.clone()).collect();
            ranking::figures(&mut out, &dims, ctx, &parsed);
        }
        Spec::Qa { .. } => matching::qa(&mut out, &parsed),
        Spec::ImageCaption { .. } => matching::objects(&mut out, ctx, &parsed),
        Spec::VideoCaption { .. } => matching::events(&mut out, &parsed),
    }
    out.sort_items();
    out
}
