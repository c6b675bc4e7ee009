//! Annotator analytics that need no storage: accuracy on gold items with a Wilson interval,
//! the rule that flags an annotator to the lead, return rate, and active-time statistics.

use serde::{Deserialize, Serialize};

use crate::error::{QualityError, Result, Undefined};
use crate::stats::median;

/// The normal quantile for a two-sided 95 % interval (`scipy.stats.norm.ppf(0.975)`).
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A proportion with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    /// Successes (correct gold answers, returned submissions, ...).
    pub successes: u64,
    /// Trials.
    pub trials: u64,
    /// `successes / trials`.
    pub estimate: f64,
    /// Lower end of the interval.
    pub lower: f64,
    /// Upper end of the interval.
    pub upper: f64,
}

/// `successes / trials` with its Wilson score interval at normal quantile `z` ([`Z_95`] for
/// 95 %). Wilson rather than the normal (Wald) interval because it stays inside `[0, 1]`
/// and behaves at 0 and 100 % and on the small counts of gold items. Undefined without a
/// trial. Reference: `statsmodels.stats.proportion.proportion_confint(method="wilson")`.
pub fn wilson(successes: u64, trials: u64, z: f64) -> Result<Proportion> {
    if successes > trials {
        return Err(QualityError::InvalidInput {
            what: "proportion",
            index: 0,
            problem: format!("{successes} successes out of {trials} trials"),
        });
    }
    if !(z > 0.0 && z.is_finite()) {
        return Err(QualityError::InvalidParameter {
            what: "z",
            rule: "a positive finite number",
            value: z,
        });
    }
    Undefined::at_least("trials", 1, usize::try_from(trials).unwrap_or(usize::MAX))?;
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Ok(Proportion {
        successes,
        trials,
        estimate: p,
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    })
}

/// When an annotator's gold accuracy is flagged to the lead.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GoldRule {
    /// Accuracy the lead asks for (e.g. 0.8).
    pub threshold: f64,
    /// Gold items an annotator must have answered before any judgement (e.g. 10).
    pub min_items: u64,
    /// Normal quantile of the interval ([`Z_95`]).
    pub z: f64,
}

impl Default for GoldRule {
    fn default() -> Self {
        GoldRule {
            threshold: 0.8,
            min_items: 10,
            z: Z_95,
        }
    }
}

/// Where an annotator stands against a [`GoldRule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GoldStatus {
    /// Fewer gold answers than `min_items`: no judgement yet.
    TooFew,
    /// Accuracy at or above the threshold.
    Passing,
    /// Accuracy below the threshold, but the interval still reaches it: watch, do not flag.
    Below,
    /// The whole interval is below the threshold: flagged to the lead.
    Flagged,
}

/// An annotator's gold accuracy judged by a rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GoldAssessment {
    /// Accuracy with its interval.
    pub accuracy: Proportion,
    /// The judgement.
    pub status: GoldStatus,
}

/// Judges `correct` answers out of `answered` gold items: flagged only with at least
/// `min_items` answers *and* an interval wholly below the threshold (confidently below), so
/// a newcomer's two unlucky answers flag nobody.
pub fn assess_gold(correct: u64, answered: u64, rule: GoldRule) -> Result<GoldAssessment> {
    if !(0.0..=1.0).contains(&rule.threshold) {
        return Err(QualityError::InvalidParameter {
            what: "gold threshold",
            rule: "between 0 and 1",
            value: rule.threshold,
        });
    }
    let accuracy = wilson(correct, answered, rule.z)?;
    let status = if answered < rule.min_items {
        GoldStatus::TooFew
    } else if accuracy.estimate >= rule.threshold {
        GoldStatus::Passing
    } else if accuracy.upper < rule.threshold {
        GoldStatus::Flagged
    } else {
        GoldStatus::Below
    };
    Ok(GoldAssessment { accuracy, status })
}

/// Return rate: the share of reviewed submissions that the reviewer returned
/// (`returned / (approved + returned)`), with its Wilson interval. Undefined before any
/// review.
pub fn return_rate(returned: u64, approved: u64, z: f64) -> Result<Proportion> {
    wilson(returned, returned.saturating_add(approved), z)
}

/// Pace of an annotator (or a batch) from per-item active times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Activity {
    /// Items counted.
    pub items: usize,
    /// Total active time, milliseconds.
    pub active_ms: u64,
    /// Items per hour of active time; `None` when no active time was recorded.
    pub items_per_hour: Option<f64>,
    /// Median active time per item, milliseconds; `None` without items.
    pub median_ms: Option<f64>,
    /// Mean active time per item, milliseconds; `None` without items.
    pub mean_ms: Option<f64>,
}

/// Statistics of per-item active times in milliseconds (the time the UI counted while the
/// annotator was working on each item: the clock stops after 60 s without input and while
/// the window is hidden). Items per hour is `items / (total active time in hours)`; the
/// median is the robust "time per item" (one forgotten item does not move it).
pub fn activity(durations_ms: &[u64]) -> Activity {
    let items = durations_ms.len();
    let active_ms = durations_ms.iter().fold(0u64, |sum, &d| sum.saturating_add(d));
    let as_f64: Vec<f64> = durations_ms.iter().map(|&d| d as f64).collect();
    Activity {
        items,
        active_ms,
        items_per_hour: (active_ms > 0).then(|| items as f64 / (active_ms as f64 / 3_600_000.0)),
        median_ms: median(&as_f64).ok(),
        mean_ms: (items > 0).then(|| active_ms as f64 / items as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_by_hand_and_bounds() {
        // 8/10 at z = 1.96: centre (0.8 + 0.19208) / 1.38416, half 1.96 sqrt(0.016 + 0.009604) / 1.38416.
        let p = wilson(8, 10, 1.96).unwrap();
        let denominator = 1.0 + 1.96f64.powi(2) / 10.0;
        let centre = (0.8 + 1.96f64.powi(2) / 20.0) / denominator;
        let half = 1.96 * (0.016 + 1.96f64.powi(2) / 400.0).sqrt() / denominator;
        assert!((p.lower - (centre - half)).abs() < 1e-15 && (p.upper - (centre + half)).abs() < 1e-15);
        let all = wilson(5, 5, Z_95).unwrap();
        assert_eq!(all.upper, 1.0);
        assert!(all.lower > 0.5 && all.lower < 1.0);
        assert!(wilson(0, 0, Z_95).is_err());
        assert!(wilson(3, 2, Z_95).is_err());
        assert!(wilson(1, 2, 0.0).is_err());
    }

    #[test]
    fn gold_rule_needs_evidence_then_confidence() {
        let rule = GoldRule::default();
        assert_eq!(assess_gold(0, 3, rule).unwrap().status, GoldStatus::TooFew);
        assert_eq!(assess_gold(9, 10, rule).unwrap().status, GoldStatus::Passing);
        // 6/10: below 0.8 but the interval reaches it.
        assert_eq!(assess_gold(6, 10, rule).unwrap().status, GoldStatus::Below);
        // 12/20: the upper bound is about 0.78.
        let flagged = assess_gold(12, 20, rule).unwrap();
        assert_eq!(flagged.status, GoldStatus::Flagged, "{flagged:?}");
        assert!(
            assess_gold(
                1,
                1,
                GoldRule {
                    threshold: 1.5,
                    ..rule
                }
            )
            .is_err()
        );
    }

    #[test]
    fn return_rate_and_activity() {
        assert_eq!(return_rate(1, 3, Z_95).unwrap().estimate, 0.25);
        assert!(return_rate(0, 0, Z_95).is_err());
        let a = activity(&[60_000, 120_000, 30_000, 3_600_000]);
        assert_eq!(a.items, 4);
        assert_eq!(a.median_ms, Some(90_000.0));
        assert!((a.items_per_hour.unwrap() - 4.0 / (3_810_000.0 / 3_600_000.0)).abs() < 1e-12);
        let none = activity(&[]);
        assert_eq!(
            (none.items_per_hour, none.median_ms, none.mean_ms),
            (None, None, None)
        );
        assert_eq!(activity(&[0, 0]).items_per_hour, None);
    }
}
