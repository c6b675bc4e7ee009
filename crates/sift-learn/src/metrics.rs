//! Validation metrics: accuracy, macro-F1, log loss, expected calibration error, pairwise
//! accuracy of reward heads, and Cohen's kappa between two prediction vectors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::classifier::{ClassifierHead, HeadKind};
use crate::data::{Element, check_len, check_shape};
use crate::error::{LearnError, Result};
use crate::reward::{Preference, RewardHead};

/// Default number of calibration bins.
pub const DEFAULT_BINS: usize = 10;

fn non_empty(n: usize) -> Result<()> {
    if n == 0 {
        Err(LearnError::TooFewLabels { got: 0, need: 1 })
    } else {
        Ok(())
    }
}

/// Share of rows where `predicted` equals `truth`.
///
/// # Errors
/// Different lengths, or no rows.
pub fn accuracy(truth: &[u32], predicted: &[u32]) -> Result<f64> {
    check_len("predictions", predicted, truth.len())?;
    non_empty(truth.len())?;
    let hits = truth.iter().zip(predicted).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / truth.len() as f64)
}

/// Unweighted mean over classes of the F1 score `2 tp / (2 tp + fp + fn)`, over every class
/// present in `truth` or `predicted` (scikit-learn's `f1_score(average="macro")`; a class with
/// no true positive scores 0).
///
/// # Errors
/// Different lengths, or no rows.
pub fn macro_f1(truth: &[u32], predicted: &[u32]) -> Result<f64> {
    check_len("predictions", predicted, truth.len())?;
    non_empty(truth.len())?;
    // class -> (tp, fp, fn)
    let mut counts: BTreeMap<u32, (usize, usize, usize)> = BTreeMap::new();
    for (&t, &p) in truth.iter().zip(predicted) {
        if t == p {
            counts.entry(t).or_default().0 += 1;
        } else {
            counts.entry(p).or_default().1 += 1;
            counts.entry(t).or_default().2 += 1;
        }
    }
    let sum: f64 = counts
        .values()
        .map(|&(tp, fp, fneg)| {
            let denom = 2 * tp + fp + fneg;
            if denom == 0 {
                0.0
            } else {
                2.0 * tp as f64 / denom as f64
            }
        })
        .sum();
    Ok(sum / counts.len() as f64)
}

/// Mean negative log-likelihood of the true classes: `-mean(log p_true)`, probabilities
/// clipped to `[eps, 1 - eps]` with `eps = f64::EPSILON` (scikit-learn's `log_loss` on
/// float64 input). `probabilities` is `n x classes.len()`; a true class the model does not
/// know has probability 0 (clipped).
///
/// # Errors
/// Shape mismatches, or no rows.
pub fn log_loss(truth: &[u32], probabilities: &[f32], classes: &[u32]) -> Result<f64> {
    check_shape("probabilities", probabilities, truth.len(), classes.len())?;
    non_empty(truth.len())?;
    let eps = f64::EPSILON;
    let k = classes.len();
    let total: f64 = truth
        .iter()
        .zip(probabilities.chunks_exact(k))
        .map(|(t, row)| {
            let p = classes
                .iter()
                .position(|c| c == t)
                .map_or(0.0, |j| f64::from(row[j]));
            -p.clamp(eps, 1.0 - eps).ln()
        })
        .sum();
    Ok(total / truth.len() as f64)
}

/// One bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Lower edge (exclusive, except 0 for the first bin).
    pub lower: f64,
    /// Upper edge (inclusive).
    pub upper: f64,
    /// Predictions in the bin.
    pub count: usize,
    /// Share of them that were right (0 for an empty bin).
    pub accuracy: f64,
    /// Their mean confidence (0 for an empty bin).
    pub confidence: f64,
}

/// Expected calibration error and the reliability diagram behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// `sum over bins of (count / n) * |accuracy - confidence|`.
    pub ece: f64,
    /// The bins, lowest first.
    pub bins: Vec<CalibrationBin>,
}

/// Expected calibration error of single-label predictions (Guo et al. 2017).
///
/// Each row's confidence is its largest probability and its prediction that class (ties: the
/// first column). Rows go into `n_bins` equal-width bins over `[0, 1]`: bin `b` holds
/// confidences in `(b / n_bins, (b + 1) / n_bins]`, and a confidence of exactly 0 goes to the
/// first bin. ECE is `sum_b (|b| / n) * |accuracy(b) - mean confidence(b)|`, from 0 (calibrated)
/// to 1.
///
/// # Errors
/// Shape mismatches, no rows, or `n_bins == 0`.
pub fn expected_calibration_error(
    truth: &[u32],
    probabilities: &[f32],
    classes: &[u32],
    n_bins: usize,
) -> Result<Calibration> {
    check_shape("probabilities", probabilities, truth.len(), classes.len())?;
    non_empty(truth.len())?;
    let k = classes.len();
    let rows = truth.iter().zip(probabilities.chunks_exact(k)).map(|(t, row)| {
        let (best, conf) =
            row.iter().enumerate().fold(
                (0, f32::NEG_INFINITY),
                |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
            );
        (f64::from(conf), classes[best] == *t)
    });
    calibration(rows, truth.len(), n_bins)
}

/// Bins `(confidence, correct)` pairs into the reliability diagram.
fn calibration(rows: impl Iterator<Item = (f64, bool)>, n: usize, n_bins: usize) -> Result<Calibration> {
    if n_bins == 0 {
        return Err(LearnError::InvalidOption {
            name: "bins",
            reason: "at least one calibration bin is needed".into(),
        });
    }
    let mut sums = vec![(0_usize, 0.0_f64, 0.0_f64); n_bins]; // count, correct, confidence
    for (conf, correct) in rows {
        let conf = if conf.is_finite() {
            conf.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let bin = ((conf * n_bins as f64).ceil() as usize)
            .saturating_sub(1)
            .min(n_bins - 1);
        let s = &mut sums[bin];
        s.0 += 1;
        s.1 += f64::from(u8::from(correct));
        s.2 += conf;
    }
    let mut ece = 0.0;
    let bins = sums
        .into_iter()
        .enumerate()
        .map(|(b, (count, correct, conf))| {
            let (accuracy, confidence) = if count == 0 {
                (0.0, 0.0)
            } else {
                (correct / count as f64, conf / count as f64)
            };
            ece += count as f64 / n as f64 * (accuracy - confidence).abs();
            CalibrationBin {
                lower: b as f64 / n_bins as f64,
                upper: (b + 1) as f64 / n_bins as f64,
                count,
                accuracy,
                confidence,
            }
        })
        .collect();
    Ok(Calibration { ece, bins })
}

/// Share of preference pairs the rewards order correctly: `r(winner) > r(loser)` counts 1, a
/// tie counts 1/2.
///
/// # Errors
/// No pairs, or a pair outside `scores`.
pub fn pairwise_accuracy(scores: &[f32], pairs: &[Preference]) -> Result<f64> {
    non_empty(pairs.len())?;
    let mut total = 0.0;
    for (i, p) in pairs.iter().enumerate() {
        let (Some(w), Some(l)) = (scores.get(p.winner), scores.get(p.loser)) else {
            return Err(LearnError::BadPair {
                pair: i,
                winner: p.winner,
                loser: p.loser,
                reason: "an item index is outside the scores",
            });
        };
        total += if w > l {
            1.0
        } else if w == l {
            0.5
        } else {
            0.0
        };
    }
    Ok(total / pairs.len() as f64)
}

/// Cohen's kappa between two label vectors: `(p_o - p_e) / (1 - p_e)`, with `p_o` the observed
/// agreement and `p_e` the agreement expected from the two marginals (scikit-learn's
/// `cohen_kappa_score`). When both vectors are the same single class (`p_e = 1`), where
/// scikit-learn returns NaN, this returns 1: the predictions agree completely.
///
/// # Errors
/// Different lengths, or no rows.
pub fn cohen_kappa(a: &[u32], b: &[u32]) -> Result<f64> {
    check_len("second prediction vector", b, a.len())?;
    non_empty(a.len())?;
    let n = a.len() as f64;
    let mut marg: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
    let mut agree = 0.0;
    for (&x, &y) in a.iter().zip(b) {
        marg.entry(x).or_default().0 += 1.0;
        marg.entry(y).or_default().1 += 1.0;
        agree += f64::from(u8::from(x == y));
    }
    let po = agree / n;
    let pe: f64 = marg.values().map(|(ca, cb)| (ca / n) * (cb / n)).sum();
    if po == 1.0 {
        return Ok(1.0);
    }
    Ok((po - pe) / (1.0 - pe))
}

/// Validation metrics of a classifier head on held-out rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Rows evaluated.
    pub rows: usize,
    /// Single-label: share of rows predicted right. Multi-label: share of rows whose whole
    /// label set is right (subset accuracy).
    pub accuracy: f64,
    /// Single-label: [`macro_f1`]. Multi-label: mean over labels of each label's F1.
    pub macro_f1: f64,
    /// Single-label: [`log_loss`]. Multi-label: mean over labels of the binary log loss.
    pub log_loss: f64,
    /// Expected calibration error ([`expected_calibration_error`]; multi-label: over every
    /// (row, label) decision, confidence `max(p, 1 - p)`).
    pub ece: f64,
    /// Calibration bins used.
    pub bins: usize,
}

/// Evaluates a single-label head on `n` held-out rows with their true class ids.
///
/// # Errors
/// A multi-label head, shape mismatches, or no rows.
pub fn evaluate<T: Element>(
    head: &ClassifierHead,
    x: &[T],
    n: usize,
    truth: &[u32],
    bins: usize,
) -> Result<Evaluation> {
    if head.kind() != HeadKind::SingleLabel {
        return Err(LearnError::InvalidOption {
            name: "head",
            reason: "a multi-label head is evaluated with evaluate_multi_label".into(),
        });
    }
    check_len("truth", truth, n)?;
    let probabilities = head.predict_proba(x, n)?;
    let classes = head.classes();
    let k = classes.len();
    let predicted: Vec<u32> = probabilities
        .chunks_exact(k)
        .map(|row| {
            let best =
                row.iter().enumerate().fold(
                    (0, f32::NEG_INFINITY),
                    |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
                );
            classes[best.0]
        })
        .collect();
    Ok(Evaluation {
        rows: n,
        accuracy: accuracy(truth, &predicted)?,
        macro_f1: macro_f1(truth, &predicted)?,
        log_loss: log_loss(truth, &probabilities, classes)?,
        ece: expected_calibration_error(truth, &probabilities, classes, bins)?.ece,
        bins,
    })
}

/// Evaluates a multi-label head on `n` held-out rows; `truth` is `n x labels`, row-major. A
/// label is predicted where its probability is at least `threshold`.
///
/// # Errors
/// A single-label head, shape mismatches, or no rows.
pub fn evaluate_multi_label<T: Element>(
    head: &ClassifierHead,
    x: &[T],
    n: usize,
    truth: &[bool],
    threshold: f32,
    bins: usize,
) -> Result<Evaluation> {
    if head.kind() != HeadKind::MultiLabel {
        return Err(LearnError::InvalidOption {
            name: "head",
            reason: "a single-label head is evaluated with evaluate".into(),
        });
    }
    let k = head.classes().len();
    check_shape("truth", truth, n, k)?;
    non_empty(n)?;
    let p = head.predict_proba(x, n)?;
    let subset = truth
        .chunks_exact(k)
        .zip(p.chunks_exact(k))
        .filter(|(t, r)| t.iter().zip(r.iter()).all(|(&t, &q)| t == (q >= threshold)))
        .count();
    let eps = f64::EPSILON;
    let (mut f1_sum, mut loss_sum) = (0.0, 0.0);
    for label in 0..k {
        let (mut tp, mut fp, mut fneg, mut loss) = (0_usize, 0_usize, 0_usize, 0.0);
        for r in 0..n {
            let (t, q) = (truth[r * k + label], p[r * k + label]);
            match (t, q >= threshold) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fneg += 1,
                (false, false) => {}
            }
            let q = f64::from(q).clamp(eps, 1.0 - eps);
            loss -= if t { q.ln() } else { (1.0 - q).ln() };
        }
        let denom = 2 * tp + fp + fneg;
        f1_sum += if denom == 0 {
            0.0
        } else {
            2.0 * tp as f64 / denom as f64
        };
        loss_sum += loss / n as f64;
    }
    let decisions = truth.iter().zip(&p).map(|(&t, &q)| {
        let yes = q >= threshold;
        let conf = if yes { f64::from(q) } else { 1.0 - f64::from(q) };
        (conf, yes == t)
    });
    Ok(Evaluation {
        rows: n,
        accuracy: subset as f64 / n as f64,
        macro_f1: f1_sum / k as f64,
        log_loss: loss_sum / k as f64,
        ece: calibration(decisions, n * k, bins)?.ece,
        bins,
    })
}

/// Pairwise accuracy of a reward head on held-out preferences between the rows of `x`.
///
/// # Errors
/// Shape mismatches, no pairs, or a pair outside `0..n`.
pub fn evaluate_reward<T: Element>(
    head: &RewardHead,
    x: &[T],
    n: usize,
    pairs: &[Preference],
) -> Result<f64> {
    pairwise_accuracy(&head.score(x, n)?, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        let truth = [0, 0, 1, 1, 2, 2];
        let pred = [0, 1, 1, 1, 2, 0];
        assert!((accuracy(&truth, &pred).unwrap() - 4.0 / 6.0).abs() < 1e-12);
        // F1: class 0: tp 1 fp 1 fn 1 -> 0.5; class 1: tp 2 fp 1 fn 0 -> 0.8; class 2: tp 1 fn 1 -> 2/3.
        let want = (0.5 + 0.8 + 2.0 / 3.0) / 3.0;
        assert!((macro_f1(&truth, &pred).unwrap() - want).abs() < 1e-12);
        // kappa: po = 4/6; marginals a: 2,2,2; b: 2,3,1 -> pe = (4 + 6 + 2) / 36 = 1/3.
        assert!((cohen_kappa(&truth, &pred).unwrap() - (4.0 / 6.0 - 1.0 / 3.0) / (2.0 / 3.0)).abs() < 1e-12);
        assert_eq!(cohen_kappa(&[3, 3], &[3, 3]).unwrap(), 1.0);
        assert!(accuracy(&[], &[]).is_err());
        assert!(accuracy(&[1], &[1, 2]).is_err());
    }

    #[test]
    fn calibration_bins_edges() {
        // Confidences 1.0 (bin 9), 0.55 (bin 5), 0.5 (bin 4: upper edge inclusive).
        let probs = [1.0_f32, 0.0, 0.45, 0.55, 0.5, 0.5];
        let c = expected_calibration_error(&[0, 1, 1], &probs, &[0, 1], 10).unwrap();
        assert_eq!(c.bins[9].count, 1);
        assert_eq!(c.bins[5].count, 1);
        assert_eq!(c.bins[4].count, 1);
        // bin 9: acc 1 conf 1; bin 5: acc 1, conf .55; bin 4: predicted class 0 (first), truth 1: acc 0 conf .5.
        let want = (0.45_f64 + 0.5) / 3.0;
        assert!((c.ece - want).abs() < 1e-6, "{}", c.ece);
        assert!(expected_calibration_error(&[0], &[1.0, 0.0], &[0, 1], 0).is_err());
    }

    #[test]
    fn pairwise_and_log_loss() {
        let pairs = [
            Preference { winner: 0, loser: 1 },
            Preference { winner: 2, loser: 1 },
            Preference { winner: 1, loser: 3 },
        ];
        assert_eq!(pairwise_accuracy(&[2.0, 1.0, 0.5, 1.0], &pairs).unwrap(), 0.5);
        assert!(pairwise_accuracy(&[1.0], &pairs).is_err());
        let ll = log_loss(&[0, 1, 7], &[0.8, 0.2, 0.3, 0.7, 0.5, 0.5], &[0, 1]).unwrap();
        let want = (-(0.8_f64.ln()) - 0.7_f64.ln() - f64::EPSILON.ln()) / 3.0;
        assert!((ll - want).abs() < 1e-6);
    }
}
