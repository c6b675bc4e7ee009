//! Choosing the confidence threshold of machine labels: the lowest one whose precision on
//! human-labeled validation items reaches the target, with a Wilson interval. The plain
//! criterion compares the measured precision with the target; the conservative one its 95 %
//! lower bound, so that the labels reach the target on new items too, not only on the
//! validation items the threshold was chosen on (the lowest of many thresholds that pass is
//! an optimistic pick).

use sift_quality::{Z_95, wilson};

/// The threshold chosen and how the validation items fared at or above it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ThresholdChoice {
    /// Predictions at least this confident are machine-labeled.
    pub threshold: f64,
    /// Validation items at or above the threshold.
    pub support: u64,
    /// Of them, predicted right.
    pub correct: u64,
    /// `correct / support`.
    pub precision: f64,
    /// 95% Wilson score interval of the precision: its lower end.
    pub ci_low: f64,
    /// Its upper end.
    pub ci_high: f64,
    /// Validation items considered.
    pub validation_items: u64,
}

/// What must reach the target precision at the chosen threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criterion {
    /// The precision measured on the validation items.
    #[default]
    Estimate,
    /// The lower end of its 95 % Wilson interval (`--conservative`): needs more validation
    /// items, and holds on new items with 95 % confidence.
    LowerBound,
}

/// The lowest threshold `t` among the validation confidences such that the predictions with
/// confidence `>= t` are right at least `target` of the time; `None` when no threshold does.
/// `confidence[i]` and `correct[i]` describe validation item `i`.
pub fn choose_threshold(confidence: &[f64], correct: &[bool], target: f64) -> Option<ThresholdChoice> {
    choose_threshold_by(confidence, correct, target, Criterion::Estimate)
}

/// [`choose_threshold`] with the criterion that must reach the target: the measured precision
/// or the lower end of its Wilson interval.
pub fn choose_threshold_by(
    confidence: &[f64],
    correct: &[bool],
    target: f64,
    criterion: Criterion,
) -> Option<ThresholdChoice> {
    let n = confidence.len().min(correct.len());
    let mut order: Vec<usize> = (0..n).filter(|&i| confidence[i].is_finite()).collect();
    order.sort_by(|&a, &b| confidence[b].total_cmp(&confidence[a]));
    let mut best: Option<(usize, u64)> = None; // (items taken, correct among them)
    let mut right = 0_u64;
    let mut taken = 0;
    while taken < order.len() {
        // Take every item tied at this confidence: a threshold cannot split them.
        let c = confidence[order[taken]];
        while taken < order.len() && confidence[order[taken]] == c {
            right += u64::from(correct[order[taken]]);
            taken += 1;
        }
        let reaches = match criterion {
            Criterion::Estimate => right as f64 >= target * taken as f64,
            Criterion::LowerBound => wilson(right, taken as u64, Z_95).is_ok_and(|p| p.lower >= target),
        };
        if reaches {
            best = Some((taken, right));
        }
    }
    let (taken, right) = best?;
    let p = wilson(right, taken as u64, Z_95).ok()?;
    Some(ThresholdChoice {
        threshold: confidence[order[taken - 1]],
        support: taken as u64,
        correct: right,
        precision: p.estimate,
        ci_low: p.lower,
        ci_high: p.upper,
        validation_items: n as u64,
    })
}

/// The best precision any threshold reaches (for the message when none reaches the target).
pub fn best_precision(confidence: &[f64], correct: &[bool]) -> Option<(f64, f64)> {
    let mut order: Vec<usize> = (0..confidence.len().min(correct.len())).collect();
    order.sort_by(|&a, &b| confidence[b].total_cmp(&confidence[a]));
    let (mut right, mut best) = (0_u64, None::<(f64, f64)>);
    for (k, &i) in order.iter().enumerate() {
        right += u64::from(correct[i]);
        let p = right as f64 / (k + 1) as f64;
        if best.is_none_or(|(bp, _)| p > bp) {
            best = Some((p, confidence[i]));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_threshold_that_reaches_the_target() {
        let conf = [0.99, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6];
        let ok = [true, true, true, true, false, true, false];
        // At 0.8: 4/5 = 0.8; at 0.7: 5/6 = 0.833; at 0.6: 5/7 = 0.714.
        let c = choose_threshold(&conf, &ok, 0.8).unwrap();
        assert_eq!((c.threshold, c.support, c.correct), (0.7, 6, 5));
        assert!((c.precision - 5.0 / 6.0).abs() < 1e-12);
        assert!(c.ci_low < c.precision && c.precision < c.ci_high);
        // statsmodels proportion_confint(5, 6, method="wilson"): (0.4365, 0.9699).
        assert!((c.ci_low - 0.4365).abs() < 1e-4 && (c.ci_high - 0.9699).abs() < 1e-4);
        // A stricter target takes only the sure ones.
        let c = choose_threshold(&conf, &ok, 0.95).unwrap();
        assert_eq!((c.threshold, c.support), (0.85, 4));
        // Ties are taken together: a threshold cannot split equal confidences.
        let c = choose_threshold(&[0.9, 0.9, 0.5], &[true, false, true], 0.6).unwrap();
        assert_eq!((c.threshold, c.support), (0.5, 3));
        assert!(choose_threshold(&[0.9, 0.9], &[true, false], 0.6).is_none());
        assert!(choose_threshold(&[0.9, 0.8], &[false, false], 0.5).is_none());
        assert_eq!(best_precision(&[0.9, 0.8], &[false, true]), Some((0.5, 0.8)));
        assert!(choose_threshold(&[], &[], 0.9).is_none());
    }

    #[test]
    fn the_conservative_criterion_asks_the_lower_bound_to_reach_the_target() {
        // 100 validation items, confidence falling from 1.00 by 0.01; the 82nd and 92nd most
        // confident are wrong. Plain: the lowest threshold with precision >= 0.95 takes all 100
        // (98/100). Conservative: Wilson lower bounds (statsmodels proportion_confint,
        // method="wilson"): 81/81 -> 0.9547, 81/82 -> 0.9341, 98/100 -> 0.9300: only the 81
        // most confident reach 0.95, down to confidence 0.20.
        let conf: Vec<f64> = (0..100).map(|i| 1.0 - f64::from(i) / 100.0).collect();
        let ok: Vec<bool> = (0..100).map(|i| i != 81 && i != 91).collect();
        let plain = choose_threshold(&conf, &ok, 0.95).unwrap();
        assert_eq!((plain.support, plain.correct), (100, 98));
        let sure = choose_threshold_by(&conf, &ok, 0.95, Criterion::LowerBound).unwrap();
        assert_eq!((sure.support, sure.correct), (81, 81));
        assert!((sure.threshold - 0.2).abs() < 1e-9, "{sure:?}");
        assert!(sure.threshold > plain.threshold);
        assert!((sure.ci_low - 0.9547).abs() < 1e-4, "{sure:?}");
        // Too few validation items for the bound: 20/20 right has a lower bound of 0.839.
        assert!(choose_threshold_by(&conf[..20], &ok[..20], 0.95, Criterion::LowerBound).is_none());
        assert!(choose_threshold_by(&conf[..20], &ok[..20], 0.95, Criterion::Estimate).is_some());
    }
}
