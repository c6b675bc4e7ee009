//! Dawid-Skene (1979): consensus labels and per-annotator reliability by expectation
//! maximisation over each annotator's confusion matrix.
//!
//! Model: each unit has a hidden true class `k` (prior `p_k`); annotator `c` reports class
//! `l` with probability `pi_c[k][l]`. EM alternates
//!
//! * E-step: `T_u(k) ∝ p_k * prod_{c rated u} pi_c[k][label_uc]` (in log space);
//! * M-step: `p_k = mean_u T_u(k)`, `pi_c[k][l] = (sum_u T_u(k) [label_uc = l] + s) /
//!   (sum_{u rated by c} T_u(k) + K s)`, with a small additive smoothing `s` so that an
//!   annotator who never saw class `k` keeps a uniform row instead of a 0/0.
//!
//! It starts from the majority-vote proportions of each unit (no random start: the result
//! is deterministic) and stops when no posterior moves by more than `tolerance` or after
//! `max_iterations`. An annotator's reliability is their expected accuracy
//! `sum_k p_k pi_c[k][k]`.

use serde::{Deserialize, Serialize};

use crate::error::{QualityError, Result, Undefined};
use crate::ratings::Ratings;

/// Dawid-Skene parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DawidSkeneOptions {
    /// Most EM iterations (default 1000; EM converges linearly, a few hundred are typical).
    pub max_iterations: usize,
    /// Stop when no posterior probability changes by more than this (default 1e-6).
    pub tolerance: f64,
    /// Additive smoothing of confusion-matrix rows (default 0.01).
    pub smoothing: f64,
}

impl Default for DawidSkeneOptions {
    fn default() -> Self {
        DawidSkeneOptions {
            max_iterations: 1000,
            tolerance: 1e-6,
            smoothing: 0.01,
        }
    }
}

/// The consensus of one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitEstimate {
    /// The most probable class (the lowest index among equally probable ones).
    pub label: usize,
    /// Its posterior probability: the consensus agreement.
    pub confidence: f64,
    /// Whether another class is as probable (within 1e-9): flagged like a vote tie.
    pub tie: bool,
    /// Posterior probability of every class.
    pub posterior: Vec<f64>,
}

/// What Dawid-Skene estimated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DawidSkene {
    /// One estimate per unit; `None` for units nobody rated.
    pub units: Vec<Option<UnitEstimate>>,
    /// Estimated class priors `p_k`.
    pub priors: Vec<f64>,
    /// `confusion[c][k][l]`: probability that coder `c` says `l` when the truth is `k`.
    pub confusion: Vec<Vec<Vec<f64>>>,
    /// Expected accuracy of each coder, `sum_k p_k pi_c[k][k]`; `None` for a coder who rated
    /// nothing.
    pub reliability: Vec<Option<f64>>,
    /// EM iterations run.
    pub iterations: usize,
    /// Whether the posteriors settled within `tolerance`.
    pub converged: bool,
}

/// Runs Dawid-Skene on labels given as class indices `0..classes`.
pub fn dawid_skene(
    ratings: &Ratings<usize>,
    classes: usize,
    options: DawidSkeneOptions,
) -> Result<DawidSkene> {
    Undefined::at_least("classes", 2, classes)?;
    if !(options.smoothing > 0.0 && options.smoothing.is_finite()) {
        return Err(QualityError::InvalidParameter {
            what: "smoothing",
            rule: "a positive finite number",
            value: options.smoothing,
        });
    }
    if options.tolerance.is_nan() || options.tolerance < 0.0 {
        return Err(QualityError::InvalidParameter {
            what: "tolerance",
            rule: "zero or more",
            value: options.tolerance,
        });
    }
    let (n_units, n_coders) = (ratings.units(), ratings.coders());
    for u in 0..n_units {
        for (coder, label) in ratings.row(u).iter().enumerate() {
            if let Some(&label) = label.as_ref().filter(|&&l| l >= classes) {
                return Err(QualityError::LabelOutOfRange {
                    unit: u,
                    coder,
                    label,
                    classes,
                });
            }
        }
    }
    let rated: Vec<usize> = (0..n_units)
        .filter(|&u| ratings.values(u).next().is_some())
        .collect();
    Undefined::at_least("rated units", 1, rated.len())?;
    // Start: each unit's vote proportions.
    let mut posterior: Vec<Vec<f64>> = vec![vec![0.0; classes]; n_units];
    for &u in &rated {
        let m = ratings.values(u).count() as f64;
        for &l in ratings.values(u) {
            posterior[u][l] += 1.0 / m;
        }
    }
    let mut priors = vec![0.0; classes];
    let mut confusion = vec![vec![vec![0.0; classes]; classes]; n_coders];
    let (mut iterations, mut converged) = (0, false);
    while iterations < options.max_iterations {
        iterations += 1;
        m_step(
            ratings,
            &rated,
            &posterior,
            options.smoothing,
            &mut priors,
            &mut confusion,
        );
        let change = e_step(ratings, &rated, &priors, &confusion, &mut posterior);
        if change <= options.tolerance {
            converged = true;
            break;
        }
    }
    // Parameters consistent with the final posteriors.
    m_step(
        ratings,
        &rated,
        &posterior,
        options.smoothing,
        &mut priors,
        &mut confusion,
    );
    let units = (0..n_units)
        .map(|u| {
            rated.binary_search(&u).ok().map(|_| {
                let p = &posterior[u];
                let (label, confidence) =
                    p.iter()
                        .copied()
                        .enumerate()
                        .fold(
                            (0, f64::NEG_INFINITY),
                            |best, (k, v)| if v > best.1 { (k, v) } else { best },
                        );
                let tie = p
                    .iter()
                    .enumerate()
                    .any(|(k, &v)| k != label && (confidence - v).abs() <= 1e-9);
                UnitEstimate {
                    label,
                    confidence,
                    tie,
                    posterior: p.clone(),
                }
            })
        })
        .collect();
    let reliability = (0..n_coders)
        .map(|c| {
            (0..n_units)
                .any(|u| ratings.get(u, c).is_some())
                .then(|| (0..classes).map(|k| priors[k] * confusion[c][k][k]).sum::<f64>())
        })
        .collect();
    Ok(DawidSkene {
        units,
        priors,
        confusion,
        reliability,
        iterations,
        converged,
    })
}

fn m_step(
    ratings: &Ratings<usize>,
    rated: &[usize],
    posterior: &[Vec<f64>],
    smoothing: f64,
    priors: &mut [f64],
    confusion: &mut [Vec<Vec<f64>>],
) {
    let classes = priors.len();
    priors.fill(0.0);
    for &u in rated {
        for (k, prior) in priors.iter_mut().enumerate() {
            *prior += posterior[u][k] / rated.len() as f64;
        }
    }
    for (c, matrix) in confusion.iter_mut().enumerate() {
        for row in matrix.iter_mut() {
            row.fill(smoothing);
        }
        for &u in rated {
            if let Some(&l) = ratings.get(u, c) {
                for (k, row) in matrix.iter_mut().enumerate() {
                    row[l] += posterior[u][k];
                }
            }
        }
        for row in matrix.iter_mut() {
            let total: f64 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= total);
        }
    }
    debug_assert_eq!(confusion.first().map_or(classes, Vec::len), classes);
}

/// Updates the posteriors; returns the largest change of any probability.
fn e_step(
    ratings: &Ratings<usize>,
    rated: &[usize],
    priors: &[f64],
    confusion: &[Vec<Vec<f64>>],
    posterior: &mut [Vec<f64>],
) -> f64 {
    let classes = priors.len();
    let mut change: f64 = 0.0;
    let mut log_p = vec![0.0; classes];
    for &u in rated {
        for (k, lp) in log_p.iter_mut().enumerate() {
            // A class no unit seems to hold has prior 0: log 0 = -inf excludes it.
            *lp = priors[k].ln();
            for (c, label) in ratings.row(u).iter().enumerate() {
                if let Some(&l) = label.as_ref() {
                    *lp += confusion[c][k][l].ln();
                }
            }
        }
        let top = log_p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = log_p.iter().map(|lp| (lp - top).exp()).sum();
        for (k, lp) in log_p.iter().enumerate() {
            let p = (lp - top).exp() / total;
            change = change.max((p - posterior[u][k]).abs());
            posterior[u][k] = p;
        }
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanimous_units_are_certain_and_errors_are_reported() {
        let r = Ratings::from_rows([[Some(0), Some(0)], [Some(1), Some(1)], [None, None]]).unwrap();
        let ds = dawid_skene(&r, 2, DawidSkeneOptions::default()).unwrap();
        let first = ds.units[0].as_ref().unwrap();
        assert_eq!(first.label, 0);
        assert!(first.confidence > 0.99, "{first:?}");
        assert!(ds.units[2].is_none());
        assert!(ds.converged);
        let bad = Ratings::from_rows([[Some(3)]]).unwrap();
        assert!(matches!(
            dawid_skene(&bad, 2, DawidSkeneOptions::default()),
            Err(QualityError::LabelOutOfRange { label: 3, .. })
        ));
        assert!(dawid_skene(&r, 1, DawidSkeneOptions::default()).is_err());
    }

    #[test]
    fn a_symmetric_tie_is_flagged() {
        // Two equally reliable annotators who disagree on the only unit.
        let r = Ratings::from_rows([[Some(0), Some(1)]]).unwrap();
        let ds = dawid_skene(&r, 2, DawidSkeneOptions::default()).unwrap();
        let unit = ds.units[0].as_ref().unwrap();
        assert!(unit.tie, "{unit:?}");
        assert_eq!(unit.label, 0);
    }
}
