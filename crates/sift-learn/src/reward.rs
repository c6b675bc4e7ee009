//! The reward head for rankings: a Bradley-Terry model with a linear reward on standardised
//! features, trained as logistic regression without intercept on feature differences.

use serde::{Deserialize, Serialize};

use crate::data::{Element, check_features, check_len};
use crate::error::{LearnError, Result};
use crate::linear::Linear;
use crate::objective::{Problem, Targets, sigmoid, train};
use crate::scaler::Scaler;

/// One preference: item `winner` is preferred to item `loser` (row indices of the features).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Preference {
    /// The preferred item.
    pub winner: usize,
    /// The other item.
    pub loser: usize,
}

/// The pairs a ranking implies: for items `items[i]` with ranks `ranks[i]` (lower is better),
/// every pair of items with different ranks, the better one as winner. Tied items give no
/// pair, so a total order of `m` items gives `m (m - 1) / 2` pairs.
///
/// # Errors
/// [`LearnError::Shape`] if the two slices differ in length.
pub fn ranking_pairs(items: &[usize], ranks: &[u32]) -> Result<Vec<Preference>> {
    check_len("ranks", ranks, items.len())?;
    let mut pairs = Vec::new();
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            match ranks[i].cmp(&ranks[j]) {
                std::cmp::Ordering::Less => pairs.push(Preference {
                    winner: items[i],
                    loser: items[j],
                }),
                std::cmp::Ordering::Greater => pairs.push(Preference {
                    winner: items[j],
                    loser: items[i],
                }),
                std::cmp::Ordering::Equal => {}
            }
        }
    }
    Ok(pairs)
}

/// Training options of a [`RewardHead`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RewardOptions {
    /// Inverse regularisation strength (default 1): the objective is
    /// `C * sum_pairs log(1 + exp(-(r(winner) - r(loser)))) + ||w||^2 / 2`.
    pub c: f64,
    /// Gradient tolerance (default `1e-4`) on the objective divided by `C * pairs`.
    pub tol: f64,
    /// Iteration limit (default 500).
    pub max_iter: usize,
    /// The standardisation to store. `None` (default): fitted on all rows of the features.
    pub scaler: Option<Scaler>,
}

impl Default for RewardOptions {
    fn default() -> Self {
        Self {
            c: 1.0,
            tol: 1e-4,
            max_iter: 500,
            scaler: None,
        }
    }
}

/// How reward training went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardTraining {
    /// Preference pairs used.
    pub pairs: usize,
    /// L-BFGS iterations.
    pub iterations: usize,
    /// Whether the tolerance was met before the iteration limit.
    pub converged: bool,
    /// Final value of the (scaled) objective.
    pub objective: f64,
}

/// A trained reward head for one ranking dimension: `r(x) = w . ((x - mean) / scale)`, with
/// `P(a preferred to b) = sigmoid(r(a) - r(b))` (Bradley-Terry). Rewards are comparable
/// between items, not across heads; there is no intercept (it would cancel in every pair).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardHead {
    #[serde(flatten)]
    linear: Linear,
    training: RewardTraining,
}

impl RewardHead {
    /// Trains on the items' features (`x`, `n x d`, row-major) and preferences between them.
    /// The likelihood is logistic regression without intercept on
    /// `standardised(x_winner) - standardised(x_loser)` with target 1, for every pair.
    ///
    /// # Errors
    /// Shape mismatches, NaN or infinite features, no pairs, a pair naming an item outside
    /// `0..n` or the same item twice, invalid options.
    pub fn fit<T: Element>(
        x: &[T],
        n: usize,
        d: usize,
        pairs: &[Preference],
        options: &RewardOptions,
    ) -> Result<Self> {
        check_features("features", x, n, d)?;
        if !(options.c.is_finite() && options.c > 0.0) {
            return Err(LearnError::InvalidOption {
                name: "c",
                reason: format!("must be finite and positive, got {}", options.c),
            });
        }
        if !(options.tol.is_finite() && options.tol > 0.0) {
            return Err(LearnError::InvalidOption {
                name: "tol",
                reason: format!("must be finite and positive, got {}", options.tol),
            });
        }
        if pairs.is_empty() {
            return Err(LearnError::TooFewLabels { got: 0, need: 1 });
        }
        for (i, p) in pairs.iter().enumerate() {
            let reason = if p.winner >= n || p.loser >= n {
                Some("an item index is outside the feature rows")
            } else if p.winner == p.loser {
                Some("an item cannot be preferred to itself")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(LearnError::BadPair {
                    pair: i,
                    winner: p.winner,
                    loser: p.loser,
                    reason,
                });
            }
        }
        let scaler = match &options.scaler {
            Some(s) if s.dim() == d => {
                s.validate()?;
                s.clone()
            }
            Some(s) => {
                return Err(LearnError::InvalidOption {
                    name: "scaler",
                    reason: format!("it has {} columns, the features {d}", s.dim()),
                });
            }
            None => Scaler::fit_rows(x, d, &(0..n).collect::<Vec<_>>())?,
        };
        let m = pairs.len();
        let mut diff = vec![0.0; m * d];
        for (row, p) in diff.chunks_exact_mut(d).zip(pairs) {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (x[p.winner * d + j].to_f64() - x[p.loser * d + j].to_f64()) / scaler.scale[j];
            }
        }
        let y = vec![1.0; m];
        let weights = vec![1.0; m];
        let problem = Problem {
            x: &diff,
            n: m,
            d,
            targets: Targets::Binary { y: &y },
            weights: &weights,
            c: options.c,
            fit_intercept: false,
        };
        let t = train(&problem, None, options.max_iter, options.tol);
        if !t.outcome.f.is_finite() {
            return Err(LearnError::Diverged { loss: t.outcome.f });
        }
        Ok(Self {
            linear: Linear {
                scaler,
                coef: t.coef,
                intercept: vec![0.0],
            },
            training: RewardTraining {
                pairs: m,
                iterations: t.outcome.iterations,
                converged: t.outcome.converged,
                objective: t.outcome.f,
            },
        })
    }

    /// The reward of each of `n` rows (`x`, row-major, the head's width). Rows holding NaN
    /// or infinite values give NaN.
    ///
    /// # Errors
    /// A buffer that is not `n` rows of the head's width.
    pub fn score<T: Element>(&self, x: &[T], n: usize) -> Result<Vec<f32>> {
        let mut out = vec![0.0_f32; n];
        self.linear.apply(x, n, |first, z| {
            out[first..first + z.len()]
                .iter_mut()
                .zip(z.iter())
                .for_each(|(o, &v)| *o = v as f32);
        })?;
        Ok(out)
    }

    /// `P(a preferred to b) = sigmoid(r(a) - r(b))` from two rewards.
    #[must_use]
    pub fn preference_probability(reward_a: f32, reward_b: f32) -> f32 {
        sigmoid(f64::from(reward_a) - f64::from(reward_b)) as f32
    }

    /// Number of input features.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.linear.dim()
    }

    /// Reward weights on standardised features (`dim()` values).
    #[must_use]
    pub fn weights(&self) -> &[f64] {
        &self.linear.coef
    }

    /// The stored standardisation.
    #[must_use]
    pub fn scaler(&self) -> &Scaler {
        &self.linear.scaler
    }

    /// How training went.
    #[must_use]
    pub fn training(&self) -> &RewardTraining {
        &self.training
    }

    /// Checks a head read back from storage.
    ///
    /// # Errors
    /// [`LearnError::InvalidOption`] naming what is inconsistent.
    pub fn validate(&self) -> Result<()> {
        self.linear.validate()
    }

    pub(crate) fn linear(&self) -> &Linear {
        &self.linear
    }
}
