//! The penalised logistic losses and their gradients (multinomial softmax and binary sigmoid),
//! and the training driver that hands them to L-BFGS.
//!
//! Parameters are laid out as the `k x d` coefficient matrix (row-major) followed by the `k`
//! intercepts when there are any. With sample weights `s_i` summing to `S`, the objective is
//! scikit-learn's, divided by `C * S` so that the gradient tolerance means the same thing for
//! any number of rows:
//!
//! `f(W, b) = (1 / S) * sum_i s_i * loss_i(W, b) + 1 / (2 * C * S) * ||W||^2`
//!
//! (the intercepts are not penalised). Its minimiser is scikit-learn's
//! `argmin C * sum_i s_i * loss_i + ||W||^2 / 2`.

use crate::kernel::{self, RowCallback};
use crate::lbfgs;

/// What the rows are labeled with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Targets<'a> {
    /// One class index per row in `0..k`, `k >= 3` (softmax over `k` rows of coefficients).
    Multinomial { class: &'a [usize], k: usize },
    /// A 0/1 target per row (one row of coefficients, sigmoid).
    Binary { y: &'a [f64] },
}

impl Targets<'_> {
    fn k(&self) -> usize {
        match self {
            Targets::Multinomial { k, .. } => *k,
            Targets::Binary { .. } => 1,
        }
    }
}

/// A training problem on standardised rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Problem<'a> {
    /// `n x d` standardised features, row-major.
    pub x: &'a [f64],
    pub n: usize,
    pub d: usize,
    pub targets: Targets<'a>,
    /// Per-row weights (class weights), not normalised.
    pub weights: &'a [f64],
    /// Inverse regularisation strength.
    pub c: f64,
    pub fit_intercept: bool,
}

/// Result of [`train`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Trained {
    /// `k x d` coefficients.
    pub coef: Vec<f64>,
    /// `k` intercepts (zeros without an intercept).
    pub intercept: Vec<f64>,
    pub outcome: lbfgs::Outcome,
}

impl Problem<'_> {
    fn n_params(&self) -> usize {
        let k = self.targets.k();
        k * self.d + if self.fit_intercept { k } else { 0 }
    }

    /// Objective and gradient at `w`, in one pass over the rows.
    fn eval(&self, w: &[f64], grad: &mut [f64], total_weight: f64) -> f64 {
        let (n, d, k) = (self.n, self.d, self.targets.k());
        let (coef, intercept) = w.split_at(k * d);
        let (grad_coef, grad_intercept) = grad.split_at_mut(k * d);
        let inv_total = 1.0 / total_weight;
        // dW = G^T X + W / (C S): start from the penalty, the pass adds G^T X.
        let l2 = 1.0 / (self.c * total_weight);
        grad_coef.iter_mut().zip(coef).for_each(|(g, c)| *g = l2 * c);
        grad_intercept.iter_mut().for_each(|g| *g = 0.0);
        let mut loss = 0.0;
        let fit_intercept = self.fit_intercept;
        let b = if fit_intercept { intercept[0] } else { 0.0 }; // the binary intercept
        // Each row's logits become its row of G = s / S * (p - y), and its loss is added.
        let mut row: Box<RowCallback<'_>> = match self.targets {
            Targets::Multinomial { class, .. } => Box::new(|i: usize, z: &mut [f64]| {
                if fit_intercept {
                    z.iter_mut().zip(intercept).for_each(|(zi, bi)| *zi += bi);
                }
                let (y, s) = (class[i], self.weights[i]);
                let max = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                let zy = z[y];
                let mut sum = 0.0;
                for zj in z.iter_mut() {
                    *zj = (*zj - max).exp();
                    sum += *zj;
                }
                loss += s * (max + sum.ln() - zy);
                let scale = s * inv_total / sum;
                z.iter_mut().for_each(|e| *e *= scale);
                z[y] -= s * inv_total;
                if fit_intercept {
                    grad_intercept.iter_mut().zip(z.iter()).for_each(|(g, r)| *g += r);
                }
            }),
            Targets::Binary { y } => {
                Box::new(|i: usize, z: &mut [f64]| {
                    let (t, s) = (y[i], self.weights[i]);
                    let v = z[0] + b;
                    // log(1 + e^v) - t v, computed without overflow.
                    let softplus = if v > 0.0 {
                        v + (-v).exp().ln_1p()
                    } else {
                        v.exp().ln_1p()
                    };
                    loss += s * (softplus - t * v);
                    z[0] = s * inv_total * (sigmoid(v) - t);
                    if fit_intercept {
                        grad_intercept[0] += z[0];
                    }
                })
            }
        };
        kernel::fused(self.x, n, d, coef, k, grad_coef, &mut *row);
        drop(row);
        let penalty = 0.5 * l2 * coef.iter().map(|v| v * v).sum::<f64>();
        loss * inv_total + penalty
    }
}

/// The logistic function, accurate in both tails.
#[inline]
pub(crate) fn sigmoid(v: f64) -> f64 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

/// Minimises the objective from `start` (`None`: zeros), stopping as [`lbfgs::minimize`] does.
pub(crate) fn train(problem: &Problem<'_>, start: Option<Vec<f64>>, max_iter: usize, tol: f64) -> Trained {
    let k = problem.targets.k();
    let p = problem.n_params();
    let mut w = start.filter(|s| s.len() == p).unwrap_or_else(|| vec![0.0; p]);
    let total_weight: f64 = problem.weights.iter().sum();
    let outcome = lbfgs::minimize(&mut w, lbfgs::Options::new(max_iter, tol), |w, g| {
        problem.eval(w, g, total_weight)
    });
    let intercept = if problem.fit_intercept {
        w.split_off(k * problem.d)
    } else {
        vec![0.0; k]
    };
    Trained {
        coef: w,
        intercept,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient agrees with central differences.
    #[test]
    fn gradients_match_finite_differences() {
        let x: Vec<f64> = (0..24).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0).collect(); // 6 x 4
        let class = [0, 1, 2, 1, 0, 2];
        let y = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
        let weights = [1.0, 2.0, 0.5, 1.0, 1.0, 3.0];
        for (targets, _k) in [
            (Targets::Multinomial { class: &class, k: 3 }, 3),
            (Targets::Binary { y: &y }, 1),
        ] {
            for fit_intercept in [true, false] {
                let problem = Problem {
                    x: &x,
                    n: 6,
                    d: 4,
                    targets,
                    weights: &weights,
                    c: 0.7,
                    fit_intercept,
                };
                let p = problem.n_params();
                let w: Vec<f64> = (0..p).map(|i| (i as f64 * 0.37).sin()).collect();
                let mut grad = vec![0.0; p];
                problem.eval(&w, &mut grad, 8.5);
                for i in 0..p {
                    let h = 1e-6;
                    let (mut plus, mut minus) = (w.clone(), w.clone());
                    plus[i] += h;
                    minus[i] -= h;
                    let mut g = vec![0.0; p];
                    let numeric =
                        (problem.eval(&plus, &mut g, 8.5) - problem.eval(&minus, &mut g, 8.5)) / (2.0 * h);
                    assert!(
                        (numeric - grad[i]).abs() < 1e-7,
                        "param {i}: {numeric} vs {}",
                        grad[i]
                    );
                }
            }
        }
    }
}
