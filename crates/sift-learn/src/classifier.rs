//! The classifier head: multinomial (or binary) logistic regression with L2 and class weights,
//! one-vs-rest for multi-label, features standardised inside the head.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::{Element, check_features, check_len, check_shape};
use crate::error::{LearnError, Result};
use crate::linear::Linear;
use crate::objective::{Problem, Targets, Trained, sigmoid, train};
use crate::scaler::Scaler;

/// Fewest labeled rows a head trains on.
pub const MIN_LABELS: usize = 2;

/// How rows are weighted by their class (scikit-learn's `class_weight`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassWeights {
    /// Every row counts once.
    #[default]
    Uniform,
    /// `n / (n_classes * count(class))`: every class weighs the same in total. Multi-label:
    /// per label, positives and negatives weigh the same in total.
    Balanced,
    /// An explicit weight per class id (classes not listed weigh 1). Multi-label: the weight
    /// of a label's positive rows (its negative rows weigh 1).
    PerClass(BTreeMap<u32, f64>),
}

/// Training options of a [`ClassifierHead`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Inverse regularisation strength, scikit-learn's `C` (default 1): the objective is
    /// `C * sum_i w_i * loss_i + ||W||^2 / 2`, intercepts not penalised.
    pub c: f64,
    /// Class weights (default uniform).
    pub class_weights: ClassWeights,
    /// Gradient tolerance (default `1e-4`, scikit-learn's `tol`), on the largest component of
    /// the gradient of the objective divided by `C * sum_i w_i`.
    pub tol: f64,
    /// Iteration limit of L-BFGS (default 500). Reaching it is not an error;
    /// [`Training::converged`] says so.
    pub max_iter: usize,
    /// The standardisation to store in the head. `None` (default): fitted on the training rows.
    /// Passing a scaler fitted on the whole pool (all stored embeddings, labeled or not) keeps
    /// the head's input transform stable from one round to the next.
    pub scaler: Option<Scaler>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            c: 1.0,
            class_weights: ClassWeights::Uniform,
            tol: 1e-4,
            max_iter: 500,
            scaler: None,
        }
    }
}

impl Options {
    pub(crate) fn validate(&self, dim: usize) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(invalid(
                "c",
                format!("must be finite and positive, got {}", self.c),
            ));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(invalid(
                "tol",
                format!("must be finite and positive, got {}", self.tol),
            ));
        }
        if let ClassWeights::PerClass(map) = &self.class_weights
            && let Some((class, w)) = map.iter().find(|(_, w)| !(w.is_finite() && **w > 0.0))
        {
            return Err(invalid(
                "class_weights",
                format!("class {class} has weight {w}; weights must be positive"),
            ));
        }
        if let Some(s) = &self.scaler {
            s.validate()?;
            if s.dim() != dim {
                return Err(invalid(
                    "scaler",
                    format!("it has {} columns, the features {dim}", s.dim()),
                ));
            }
        }
        Ok(())
    }
}

fn invalid(name: &'static str, reason: String) -> LearnError {
    LearnError::InvalidOption { name, reason }
}

/// Single-label (softmax over classes) or multi-label (an independent sigmoid per label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeadKind {
    /// Exactly one class per row; probabilities sum to 1.
    SingleLabel,
    /// Any set of labels per row; one probability per label.
    MultiLabel,
}

/// How training went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// Labeled rows used.
    pub labels: usize,
    /// L-BFGS iterations (summed over labels for multi-label heads).
    pub iterations: usize,
    /// Whether every optimisation met its tolerance before the iteration limit.
    pub converged: bool,
    /// Final value of the (scaled) objective; summed over labels for multi-label heads.
    pub objective: f64,
}

/// A trained classifier head. Serialise it with serde (e.g. `serde_json`) to store it; write it
/// as an ONNX model with [`ClassifierHead::to_onnx`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierHead {
    kind: HeadKind,
    /// Class ids, in the order of the probability columns.
    classes: Vec<u32>,
    #[serde(flatten)]
    linear: Linear,
    training: Training,
}

impl ClassifierHead {
    /// Trains a single-label head on `n` rows of `d` features (`x`, row-major) labeled with
    /// class ids (`labels`, one per row). The head's classes are the distinct ids present,
    /// ascending; with two, it is a binary logistic regression (scikit-learn's binary case),
    /// with more a multinomial one.
    ///
    /// # Errors
    /// Shape mismatches, NaN or infinite features, fewer than [`MIN_LABELS`] rows, a single
    /// class, invalid options.
    pub fn fit<T: Element>(x: &[T], n: usize, d: usize, labels: &[u32], options: &Options) -> Result<Self> {
        Self::fit_inner(x, n, d, labels, options, None)
    }

    /// As [`ClassifierHead::fit`], starting the optimisation from `previous` (a head trained
    /// on fewer labels of the same task). The optimum is the same; only the time to reach it
    /// changes. Classes `previous` did not know start from zero.
    ///
    /// # Errors
    /// As [`ClassifierHead::fit`].
    pub fn fit_warm<T: Element>(
        x: &[T],
        n: usize,
        d: usize,
        labels: &[u32],
        options: &Options,
        previous: &ClassifierHead,
    ) -> Result<Self> {
        Self::fit_inner(x, n, d, labels, options, Some(previous))
    }

    fn fit_inner<T: Element>(
        x: &[T],
        n: usize,
        d: usize,
        labels: &[u32],
        options: &Options,
        previous: Option<&ClassifierHead>,
    ) -> Result<Self> {
        check_features("features", x, n, d)?;
        check_len("labels", labels, n)?;
        options.validate(d)?;
        if n < MIN_LABELS {
            return Err(LearnError::TooFewLabels {
                got: n,
                need: MIN_LABELS,
            });
        }
        let mut classes: Vec<u32> = labels.to_vec();
        classes.sort_unstable();
        classes.dedup();
        if classes.len() < 2 {
            return Err(LearnError::SingleClass { class: classes[0] });
        }
        let k = classes.len();
        let class: Vec<usize> = labels
            .iter()
            .map(|l| classes.binary_search(l).unwrap_or_default())
            .collect();
        let weights = class_weights(&options.class_weights, &classes, &class);
        let scaler = match &options.scaler {
            Some(s) => s.clone(),
            None => Scaler::fit_rows(x, d, &(0..n).collect::<Vec<_>>())?,
        };
        let xs = scaler.transform_rows(x, &(0..n).collect::<Vec<_>>());
        let previous = previous.filter(|p| p.kind == HeadKind::SingleLabel && p.dim() == d);
        let (coef, intercept, outcome) = if k == 2 {
            let y: Vec<f64> = class.iter().map(|&c| c as f64).collect();
            let start = previous.and_then(|p| p.binary_start(&classes));
            let t = train_binary(&xs, n, d, &y, &weights, options, start);
            // Two softmax rows [0, w]: softmax([0, z]) = [1 - sigmoid(z), sigmoid(z)].
            let mut coef = vec![0.0; d];
            coef.extend_from_slice(&t.coef);
            (coef, vec![0.0, t.intercept[0]], t.outcome)
        } else {
            let start = previous.map(|p| p.multinomial_start(&classes));
            let problem = Problem {
                x: &xs,
                n,
                d,
                targets: Targets::Multinomial { class: &class, k },
                weights: &weights,
                c: options.c,
                fit_intercept: true,
            };
            let t = train(&problem, start, options.max_iter, options.tol);
            (t.coef, t.intercept, t.outcome)
        };
        if !outcome.f.is_finite() {
            return Err(LearnError::Diverged { loss: outcome.f });
        }
        Ok(Self {
            kind: HeadKind::SingleLabel,
            classes,
            linear: Linear {
                scaler,
                coef,
                intercept,
            },
            training: Training {
                labels: n,
                iterations: outcome.iterations,
                converged: outcome.converged,
                objective: outcome.f,
            },
        })
    }

    /// Trains a multi-label head: one binary logistic regression per label (one-vs-rest).
    /// `labels` is `n x n_labels`, row-major, `true` where the row carries the label; the
    /// head's classes are `0..n_labels`.
    ///
    /// # Errors
    /// As [`ClassifierHead::fit`]; a label that is present on every row or on none is a
    /// [`LearnError::ConstantLabel`].
    pub fn fit_multi_label<T: Element>(
        x: &[T],
        n: usize,
        d: usize,
        labels: &[bool],
        n_labels: usize,
        options: &Options,
    ) -> Result<Self> {
        check_features("features", x, n, d)?;
        check_shape("labels", labels, n, n_labels)?;
        options.validate(d)?;
        if n < MIN_LABELS {
            return Err(LearnError::TooFewLabels {
                got: n,
                need: MIN_LABELS,
            });
        }
        let scaler = match &options.scaler {
            Some(s) => s.clone(),
            None => Scaler::fit_rows(x, d, &(0..n).collect::<Vec<_>>())?,
        };
        let xs = scaler.transform_rows(x, &(0..n).collect::<Vec<_>>());
        let mut coef = Vec::with_capacity(n_labels * d);
        let mut intercept = Vec::with_capacity(n_labels);
        let mut training = Training {
            labels: n,
            iterations: 0,
            converged: true,
            objective: 0.0,
        };
        for label in 0..n_labels {
            let y: Vec<f64> = labels
                .iter()
                .skip(label)
                .step_by(n_labels)
                .map(|&b| f64::from(u8::from(b)))
                .collect();
            let positives = y.iter().filter(|&&v| v > 0.5).count();
            if positives == 0 || positives == n {
                return Err(LearnError::ConstantLabel {
                    label,
                    positive: positives == n,
                });
            }
            let weights = binary_weights(&options.class_weights, label, &y, positives);
            let t = train_binary(&xs, n, d, &y, &weights, options, None);
            if !t.outcome.f.is_finite() {
                return Err(LearnError::Diverged { loss: t.outcome.f });
            }
            coef.extend_from_slice(&t.coef);
            intercept.push(t.intercept[0]);
            training.iterations += t.outcome.iterations;
            training.converged &= t.outcome.converged;
            training.objective += t.outcome.f;
        }
        Ok(Self {
            kind: HeadKind::MultiLabel,
            classes: (0..n_labels)
                .map(|l| u32::try_from(l).unwrap_or(u32::MAX))
                .collect(),
            linear: Linear {
                scaler,
                coef,
                intercept,
            },
            training,
        })
    }

    /// Start point for a binary problem from a previous head that knew both classes.
    fn binary_start(&self, classes: &[u32]) -> Option<Vec<f64>> {
        let d = self.dim();
        let row = |class: u32| self.classes.iter().position(|&c| c == class);
        let (r0, r1) = (row(classes[0])?, row(classes[1])?);
        let mut w: Vec<f64> = (0..d)
            .map(|j| self.linear.coef[r1 * d + j] - self.linear.coef[r0 * d + j])
            .collect();
        w.push(self.linear.intercept[r1] - self.linear.intercept[r0]);
        Some(w)
    }

    /// Start point for a multinomial problem: known classes keep their rows, new ones start at 0.
    fn multinomial_start(&self, classes: &[u32]) -> Vec<f64> {
        let d = self.dim();
        let k = classes.len();
        let mut w = vec![0.0; k * d + k];
        for (i, class) in classes.iter().enumerate() {
            if let Some(r) = self.classes.iter().position(|c| c == class) {
                w[i * d..(i + 1) * d].copy_from_slice(&self.linear.coef[r * d..(r + 1) * d]);
                w[k * d + i] = self.linear.intercept[r];
            }
        }
        w
    }

    /// Class probabilities of `n` rows (`x`, row-major, the head's width): `n x classes().len()`,
    /// in the order of [`ClassifierHead::classes`]. Single-label rows sum to 1 (softmax);
    /// multi-label entries are independent sigmoids. Rows holding NaN or infinite values give
    /// NaN probabilities (`sift_al::score_rows` reports such rows and never ranks them).
    ///
    /// # Errors
    /// A buffer that is not `n` rows of the head's width.
    pub fn predict_proba<T: Element>(&self, x: &[T], n: usize) -> Result<Vec<f32>> {
        let k = self.classes.len();
        let mut out = vec![0.0_f32; n * k];
        let kind = self.kind;
        self.linear.apply(x, n, |first, z| {
            for (dst, row) in out[first * k..].chunks_exact_mut(k).zip(z.chunks_exact(k)) {
                match kind {
                    HeadKind::SingleLabel => softmax_into(row, dst),
                    HeadKind::MultiLabel => {
                        dst.iter_mut().zip(row).for_each(|(o, &v)| *o = sigmoid(v) as f32)
                    }
                }
            }
        })?;
        Ok(out)
    }

    /// Raw scores before the softmax (or sigmoid): `n x classes().len()`.
    ///
    /// # Errors
    /// A buffer that is not `n` rows of the head's width.
    pub fn decision_function<T: Element>(&self, x: &[T], n: usize) -> Result<Vec<f32>> {
        let k = self.classes.len();
        let mut out = vec![0.0_f32; n * k];
        self.linear.apply(x, n, |first, z| {
            out[first * k..first * k + z.len()]
                .iter_mut()
                .zip(z.iter())
                .for_each(|(o, &v)| *o = v as f32);
        })?;
        Ok(out)
    }

    /// The most probable class id of each row (ties: the lower class). A multi-label head
    /// gives its most probable label; use [`ClassifierHead::predict_multi_label`] for sets. A
    /// row holding NaN gives the first class.
    ///
    /// # Errors
    /// A buffer that is not `n` rows of the head's width.
    pub fn predict<T: Element>(&self, x: &[T], n: usize) -> Result<Vec<u32>> {
        let k = self.classes.len();
        let mut out = vec![0_u32; n];
        self.linear.apply(x, n, |first, z| {
            for (dst, row) in out[first..].iter_mut().zip(z.chunks_exact(k)) {
                *dst = self.classes[argmax(row)];
            }
        })?;
        Ok(out)
    }

    /// Multi-label predictions: `n x classes().len()`, `true` where the probability is at least
    /// `threshold`.
    ///
    /// # Errors
    /// A buffer that is not `n` rows of the head's width.
    pub fn predict_multi_label<T: Element>(&self, x: &[T], n: usize, threshold: f32) -> Result<Vec<bool>> {
        Ok(self
            .predict_proba(x, n)?
            .into_iter()
            .map(|p| p >= threshold)
            .collect())
    }

    /// Single- or multi-label.
    #[must_use]
    pub fn kind(&self) -> HeadKind {
        self.kind
    }

    /// Class ids (single-label) or label indices (multi-label), in column order.
    #[must_use]
    pub fn classes(&self) -> &[u32] {
        &self.classes
    }

    /// Number of input features.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.linear.dim()
    }

    /// The stored standardisation.
    #[must_use]
    pub fn scaler(&self) -> &Scaler {
        &self.linear.scaler
    }

    /// Coefficients on standardised features, `classes().len() x dim()`, row-major. A binary
    /// head has a zero first row (the softmax over `[0, z]` is the sigmoid of `z`).
    #[must_use]
    pub fn coefficients(&self) -> &[f64] {
        &self.linear.coef
    }

    /// Intercepts, one per class.
    #[must_use]
    pub fn intercepts(&self) -> &[f64] {
        &self.linear.intercept
    }

    /// How training went.
    #[must_use]
    pub fn training(&self) -> &Training {
        &self.training
    }

    /// Checks a head read back from storage (finite values, consistent sizes).
    ///
    /// # Errors
    /// [`LearnError::InvalidOption`] naming what is inconsistent.
    pub fn validate(&self) -> Result<()> {
        self.linear.validate()?;
        if self.classes.len() != self.linear.outputs() {
            return Err(invalid(
                "head",
                format!(
                    "{} classes for {} outputs",
                    self.classes.len(),
                    self.linear.outputs()
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn linear(&self) -> &Linear {
        &self.linear
    }
}

/// Trains one binary logistic regression (targets `y` in {0, 1}, with an intercept) on the
/// standardised rows `xs`, from `start` when there is one.
fn train_binary(
    xs: &[f64],
    n: usize,
    d: usize,
    y: &[f64],
    weights: &[f64],
    options: &Options,
    start: Option<Vec<f64>>,
) -> Trained {
    let problem = Problem {
        x: xs,
        n,
        d,
        targets: Targets::Binary { y },
        weights,
        c: options.c,
        fit_intercept: true,
    };
    train(&problem, start, options.max_iter, options.tol)
}

/// Softmax of one row of logits, in `f64`, written as `f32`.
fn softmax_into(z: &[f64], out: &mut [f32]) {
    let max = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0;
    for (o, &v) in out.iter_mut().zip(z) {
        let e = (v - max).exp();
        sum += e;
        *o = e as f32;
    }
    // The sum is at least 1, so an exponential that underflows f32 stays below f32 after the
    // division too; rounding twice costs at most one more f32 ulp.
    let inv = 1.0 / sum;
    out.iter_mut().for_each(|o| *o = (f64::from(*o) * inv) as f32);
}

/// Index of the largest value (first on ties; NaN never wins).
pub(crate) fn argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || row[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best
}

/// Per-row weights of a single-label problem.
fn class_weights(weights: &ClassWeights, classes: &[u32], class: &[usize]) -> Vec<f64> {
    match weights {
        ClassWeights::Uniform => vec![1.0; class.len()],
        ClassWeights::Balanced => {
            let mut counts = vec![0_usize; classes.len()];
            class.iter().for_each(|&c| counts[c] += 1);
            let n = class.len() as f64;
            let k = classes.len() as f64;
            class.iter().map(|&c| n / (k * counts[c] as f64)).collect()
        }
        ClassWeights::PerClass(map) => class
            .iter()
            .map(|&c| map.get(&classes[c]).copied().unwrap_or(1.0))
            .collect(),
    }
}

/// Per-row weights of one label of a multi-label problem.
fn binary_weights(weights: &ClassWeights, label: usize, y: &[f64], positives: usize) -> Vec<f64> {
    match weights {
        ClassWeights::Uniform => vec![1.0; y.len()],
        ClassWeights::Balanced => {
            let n = y.len() as f64;
            let (wp, wn) = (
                n / (2.0 * positives as f64),
                n / (2.0 * (y.len() - positives) as f64),
            );
            y.iter().map(|&t| if t > 0.5 { wp } else { wn }).collect()
        }
        ClassWeights::PerClass(map) => {
            let wp = u32::try_from(label)
                .ok()
                .and_then(|l| map.get(&l))
                .copied()
                .unwrap_or(1.0);
            y.iter().map(|&t| if t > 0.5 { wp } else { 1.0 }).collect()
        }
    }
}
