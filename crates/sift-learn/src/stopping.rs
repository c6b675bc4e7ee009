//! When to stop labeling: the stabilising-predictions rule of Bloodgood & Vijay-Shanker
//! (CoNLL 2009), optionally combined with a flat validation metric.

use serde::{Deserialize, Serialize};

use crate::error::{LearnError, Result};
use crate::metrics::cohen_kappa;

/// The stopping rule.
///
/// Keep a fixed *stop set*: unlabeled items (no labels needed, so it can be large), the same
/// ones every round. After each round, predict them with the new model and compute Cohen's
/// kappa between this round's and the previous round's predictions. Bloodgood &
/// Vijay-Shanker stop when the mean of the last `window` kappas (three in the paper) is at
/// least `kappa_threshold` (0.99 in the paper): the model has stopped changing its mind, and
/// more labels of the same kind are unlikely to change it. A lower threshold stops earlier
/// (more aggressive), a higher one later.
///
/// Sift adds an optional second condition for `sift learn status`: over the last `window + 1`
/// rounds the validation metric (e.g. accuracy) moved by at most `metric_tolerance`
/// (max - min). Both must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoppingRule {
    /// Mean kappa required over the window (default 0.99).
    pub kappa_threshold: f64,
    /// Number of successive kappas averaged (default 3).
    pub window: usize,
    /// Largest spread of the validation metric over the window's rounds (default `Some(0.01)`;
    /// `None` ignores the metric).
    pub metric_tolerance: Option<f64>,
}

impl Default for StoppingRule {
    fn default() -> Self {
        Self {
            kappa_threshold: 0.99,
            window: 3,
            metric_tolerance: Some(0.01),
        }
    }
}

/// What the rule says about a sequence of rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopCheck {
    /// Whether to stop now.
    pub stop: bool,
    /// Kappa between each round's stop-set predictions and the previous round's (one fewer
    /// than the rounds).
    pub kappas: Vec<f64>,
    /// Mean of the last `window` kappas, when there are that many.
    pub mean_kappa: Option<f64>,
    /// Spread (max - min) of the validation metric over the last `window + 1` rounds, when
    /// metrics were given and there are that many.
    pub metric_spread: Option<f64>,
    /// One sentence saying why (not) to stop.
    pub reason: String,
}

impl StoppingRule {
    /// The kappa condition alone on successive kappas (oldest first): the mean of the last
    /// `window` is at least `kappa_threshold`.
    #[must_use]
    pub fn stops_after(&self, kappas: &[f64]) -> bool {
        let w = self.window.max(1);
        kappas.len() >= w && kappas[kappas.len() - w..].iter().sum::<f64>() / w as f64 >= self.kappa_threshold
    }

    /// Applies the rule to rounds in order, oldest first: `predictions[r]` are round `r`'s
    /// predicted classes on the stop set (same items, same order, every round), `metrics[r]`
    /// its validation metric (empty to ignore metrics).
    ///
    /// # Errors
    /// Invalid settings, stop-set vectors of different lengths, or a `metrics` slice that is
    /// neither empty nor one per round.
    pub fn check(&self, predictions: &[&[u32]], metrics: &[f64]) -> Result<StopCheck> {
        if self.window == 0 || !(0.0..=1.0).contains(&self.kappa_threshold) {
            return Err(LearnError::InvalidOption {
                name: "stopping rule",
                reason: "the window must be at least 1 and the kappa threshold within [0, 1]".into(),
            });
        }
        if !metrics.is_empty() && metrics.len() != predictions.len() {
            return Err(LearnError::Shape {
                what: "metrics",
                expected: predictions.len(),
                got: metrics.len(),
            });
        }
        let kappas = predictions
            .windows(2)
            .map(|w| cohen_kappa(w[0], w[1]))
            .collect::<Result<Vec<f64>>>()?;
        let w = self.window;
        let mean_kappa =
            (kappas.len() >= w).then(|| kappas[kappas.len() - w..].iter().sum::<f64>() / w as f64);
        let metric_spread = (!metrics.is_empty() && metrics.len() > w).then(|| {
            let last = &metrics[metrics.len() - w - 1..];
            let max = last.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            let min = last.iter().fold(f64::INFINITY, |m, &v| m.min(v));
            max - min
        });
        let (stop, reason) = match mean_kappa {
            None => (
                false,
                format!(
                    "{} of the {} rounds needed to judge stability",
                    predictions.len(),
                    w + 1
                ),
            ),
            Some(k) if k < self.kappa_threshold => (
                false,
                format!(
                    "predictions still change: mean kappa over the last {w} rounds {k:.4} < {}",
                    self.kappa_threshold
                ),
            ),
            Some(k) => match (self.metric_tolerance, metric_spread) {
                (Some(tol), Some(spread)) if spread > tol => (
                    false,
                    format!(
                        "predictions are stable (mean kappa {k:.4}) but the validation metric moved by {spread:.4} > {tol}"
                    ),
                ),
                (Some(_), None) if !metrics.is_empty() => {
                    (false, "not enough rounds of validation metrics".into())
                }
                _ => (
                    true,
                    format!(
                        "predictions are stable: mean kappa over the last {w} rounds {k:.4} >= {}",
                        self.kappa_threshold
                    ),
                ),
            },
        };
        Ok(StopCheck {
            stop,
            kappas,
            mean_kappa,
            metric_spread,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_only_when_stable_over_the_window() {
        let a: Vec<u32> = (0..200).map(|i| i % 4).collect();
        let mut b = a.clone();
        b[0] = 1; // one change in 200: kappa ~0.993
        let c: Vec<u32> = (0..200).map(|i| (i / 3) % 4).collect(); // very different
        let rule = StoppingRule::default();
        let rounds: Vec<&[u32]> = vec![&c, &a, &b, &b, &a];
        let check = rule.check(&rounds, &[]).unwrap();
        assert_eq!(check.kappas.len(), 4);
        assert!(check.stop, "{check:?}");
        let rounds: Vec<&[u32]> = vec![&a, &c, &a, &b];
        assert!(!rule.check(&rounds, &[]).unwrap().stop);
        let early: Vec<&[u32]> = vec![&a, &a, &a];
        let check = rule.check(&early, &[]).unwrap();
        assert!(!check.stop && check.mean_kappa.is_none());
        // Stable predictions but a moving metric.
        let rounds: Vec<&[u32]> = vec![&a, &a, &a, &a];
        assert!(!rule.check(&rounds, &[0.80, 0.85, 0.86, 0.86]).unwrap().stop);
        assert!(rule.check(&rounds, &[0.855, 0.86, 0.86, 0.86]).unwrap().stop);
        assert!(rule.check(&rounds, &[0.8]).is_err());
    }
}
