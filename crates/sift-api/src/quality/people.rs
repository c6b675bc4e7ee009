//! Annotator analytics: what each person submitted, their pace (items per active hour,
//! median active time per item: the UI's clock stops while the annotator is idle or the
//! window is hidden), their return rate with its interval, and how their work compares with
//! the consensus of the others.

use std::collections::BTreeMap;

use serde::Serialize;
use sift_quality::{Z_95, activity, return_rate};
use sift_store::{ReviewTally, SubmittedWork};

use super::Scope;

/// One annotator's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotatorFigures {
    /// The annotator.
    pub name: String,
    /// Items submitted (or approved).
    pub submitted: u64,
    /// Of them, approved by a reviewer.
    pub approved: u64,
    /// Active time on those items, milliseconds.
    pub active_ms: u64,
    /// Items per active hour.
    pub items_per_hour: Option<f64>,
    /// Median active time per item, milliseconds.
    pub median_ms: Option<f64>,
    /// Reviews that approved their work.
    pub reviews_approved: u64,
    /// Reviews that returned it.
    pub reviews_returned: u64,
    /// `returned / (approved + returned)` reviews.
    pub return_rate: Option<f64>,
    /// Its 95 % Wilson interval.
    pub return_rate_interval: Option<(f64, f64)>,
    /// Mean agreement with the others' consensus over the project (every dimension alike).
    pub agreement_with_consensus: Option<f64>,
}

/// Figures for everyone who submitted or was reviewed, by name.
pub(super) fn figures(
    work: &[SubmittedWork],
    reviews: &[ReviewTally],
    overall: &Scope,
) -> Vec<AnnotatorFigures> {
    let mut times: BTreeMap<&str, (Vec<u64>, u64)> = BTreeMap::new();
    for w in work {
        let e = times.entry(w.annotator.as_str()).or_default();
        e.0.push(w.time_spent_ms.max(0) as u64);
        e.1 += u64::from(w.state == "approved");
    }
    for r in reviews {
        times.entry(r.annotator.as_str()).or_default();
    }
    times
        .into_iter()
        .map(|(name, (durations, approved))| {
            let pace = activity(&durations);
            let tally = reviews
                .iter()
                .find(|r| r.annotator == name)
                .cloned()
                .unwrap_or_default();
            let rate = return_rate(tally.returned, tally.approved, Z_95).ok();
            let agreements: Vec<f64> = overall
                .vs_consensus
                .iter()
                .filter(|c| c.annotator == name)
                .filter_map(|c| c.agreement)
                .collect();
            AnnotatorFigures {
                name: name.to_owned(),
                submitted: durations.len() as u64,
                approved,
                active_ms: pace.active_ms,
                items_per_hour: pace.items_per_hour,
                median_ms: pace.median_ms,
                reviews_approved: tally.approved,
                reviews_returned: tally.returned,
                return_rate: rate.map(|p| p.estimate),
                return_rate_interval: rate.map(|p| (p.lower, p.upper)),
                agreement_with_consensus: (!agreements.is_empty())
                    .then(|| agreements.iter().sum::<f64>() / agreements.len() as f64),
            }
        })
        .collect()
}
