//! `sift learn status`: the learning curve of each head (per version: labels used,
//! validation metrics, mean uncertainty of the pool, share of pool predictions changed since
//! the previous version) and whether the stopping rule holds.
//!
//! The rule is `sift_learn::StoppingRule::default()` (Bloodgood & Vijay-Shanker's stabilising
//! predictions, plus a flat validation metric): the mean Cohen's kappa between successive
//! versions' predictions on the pool over the last three rounds is at least 0.99, and the
//! validation metric (accuracy; pairwise accuracy for reward heads) moved by at most 0.01 over
//! those rounds.

use sift_learn::{StopCheck, StoppingRule};
use sift_store::LearnRoundRow;

use crate::{Project, Result};

/// One version of a head.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoundView {
    /// The model version the round made.
    pub version: i64,
    /// When it was trained (RFC 3339, UTC).
    pub created_at: String,
    /// `classifier`, `multi-label`, `reward` or `command`.
    pub head: String,
    /// Where its input vectors came from (`field:NAME`, `embeddings:NAME@VERSION`).
    pub features: Option<String>,
    /// Training labels (reward heads: preference pairs; commands: training records).
    pub labels_used: u64,
    /// Of them, machine labels.
    pub machine_labels: u64,
    /// How it was validated: `split` or `gold`.
    pub validation: String,
    /// Items held out for validation.
    pub validation_items: usize,
    /// Share of validation items predicted right.
    pub accuracy: Option<f64>,
    /// The unweighted mean of the per-class F1 scores.
    pub macro_f1: Option<f64>,
    /// Cross-entropy of the predicted probabilities (lower is better).
    pub log_loss: Option<f64>,
    /// Expected calibration error (ten equal-width bins).
    pub ece: Option<f64>,
    /// Reward heads: share of held-out preference pairs ordered right.
    pub pairwise_accuracy: Option<f64>,
    /// Items the version predicted when it rescored the pool.
    pub pool_items: u64,
    /// The strategy the pool was scored and ordered by.
    pub strategy: Option<String>,
    /// Mean uncertainty (by `strategy`) of the unlabeled pool.
    pub mean_uncertainty: Option<f64>,
    /// Share of the items predicted by both this and the previous version whose top
    /// prediction changed.
    pub changed_share: Option<f64>,
    /// Cohen's kappa between this and the previous version's predictions on those items.
    pub kappa: Option<f64>,
}

/// The versions of one head and what the stopping rule says about them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeadHistory {
    /// The head's model name.
    pub model: String,
    /// Its versions, oldest first.
    pub rounds: Vec<RoundView>,
    /// What the stopping rule says over the latest rounds (none while it cannot be
    /// judged yet).
    pub stop: Option<StopCheck>,
}

/// Every head's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LearnStatus {
    /// Every head's history (or only the one asked for).
    pub heads: Vec<HeadHistory>,
    /// The stopping rule the histories were judged by.
    pub rule: StoppingRule,
    /// The learned queue order in force.
    pub queue_order: Option<sift_store::QueueOrderRow>,
    /// Suggestions shown to annotators and how often they were accepted unchanged.
    pub suggestions: super::SuggestionFigures,
}

fn view(r: &LearnRoundRow) -> RoundView {
    RoundView {
        version: r.version,
        created_at: r.created_at.clone(),
        head: r.head.clone(),
        features: r.features.clone(),
        labels_used: r.labels_used,
        machine_labels: r.machine_labels,
        validation: r.validation.clone(),
        validation_items: r.validation_items.len(),
        accuracy: r.accuracy,
        macro_f1: r.macro_f1,
        log_loss: r.log_loss,
        ece: r.ece,
        pairwise_accuracy: r.pairwise_accuracy,
        pool_items: r.pool_items,
        strategy: r.strategy.clone(),
        mean_uncertainty: r.mean_uncertainty,
        changed_share: r.changed_share,
        kappa: r.kappa,
    }
}

/// The stopping rule over a head's rounds (oldest first): kappas between successive versions
/// and the validation metric of each.
pub(crate) fn stop_check(rule: &StoppingRule, rounds: &[LearnRoundRow]) -> Option<StopCheck> {
    let kappas: Vec<f64> = rounds.iter().skip(1).map(|r| r.kappa.unwrap_or(0.0)).collect();
    let metrics: Option<Vec<f64>> = rounds
        .iter()
        .map(|r| r.accuracy.or(r.pairwise_accuracy))
        .collect();
    rule.check_kappas(kappas, metrics.as_deref().unwrap_or(&[])).ok()
}

impl Project {
    /// The learning curve of every head (or of the model `name`), and the stopping rule.
    pub fn learn_status(&self, name: Option<&str>) -> Result<LearnStatus> {
        let rule = StoppingRule::default();
        let rounds = self.store.learn_rounds()?;
        let mut names: Vec<&str> = Vec::new();
        for r in &rounds {
            if !names.contains(&r.name.as_str()) && name.is_none_or(|n| n == r.name) {
                names.push(&r.name);
            }
        }
        let heads = names
            .into_iter()
            .map(|n| {
                let mine: Vec<LearnRoundRow> = rounds.iter().filter(|r| r.name == n).cloned().collect();
                HeadHistory {
                    model: n.to_owned(),
                    stop: stop_check(&rule, &mine),
                    rounds: mine.iter().map(view).collect(),
                }
            })
            .collect();
        Ok(LearnStatus {
            heads,
            rule,
            queue_order: self.store.queue_order()?,
            suggestions: self.suggestion_figures()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(version: i64, kappa: Option<f64>, accuracy: f64) -> LearnRoundRow {
        LearnRoundRow {
            model_version_id: version,
            name: "h".into(),
            version,
            head: "classifier".into(),
            features: None,
            labels_used: 10,
            labels_hash: String::new(),
            approved_only: false,
            machine_labels: 0,
            validation: "split".into(),
            validation_items: vec![],
            accuracy: Some(accuracy),
            macro_f1: None,
            log_loss: None,
            ece: None,
            pairwise_accuracy: None,
            outputs: vec![],
            strategy: None,
            pool_items: 0,
            mean_uncertainty: None,
            changed_share: None,
            kappa,
            seconds: 0.0,
            created_at: String::new(),
        }
    }

    #[test]
    fn the_rule_needs_stable_predictions_and_a_flat_metric() {
        let rule = StoppingRule::default();
        let stable = [
            round(1, None, 0.80),
            round(2, Some(0.9), 0.905),
            round(3, Some(0.995), 0.91),
            round(4, Some(0.996), 0.91),
            round(5, Some(1.0), 0.912),
        ];
        assert!(stop_check(&rule, &stable).unwrap().stop);
        let moving = [
            round(1, None, 0.80),
            round(2, Some(0.995), 0.85),
            round(3, Some(0.996), 0.91),
            round(4, Some(1.0), 0.91),
        ];
        assert!(!stop_check(&rule, &moving).unwrap().stop);
        let changing = [
            round(1, None, 0.9),
            round(2, Some(0.5), 0.9),
            round(3, Some(0.99), 0.9),
            round(4, Some(1.0), 0.9),
        ];
        assert!(!stop_check(&rule, &changing).unwrap().stop);
        assert!(!stop_check(&rule, &stable[..2]).unwrap().stop);
    }
}
