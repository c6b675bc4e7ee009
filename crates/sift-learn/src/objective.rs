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

use crate::lbfgs;
use crate::linalg::{View, gemm};

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

    /// Objective and gradient at `w`; `scratch` holds `n x k` logits.
    fn eval(&self, w: &[f64], grad: &mut [f64], scratch: &mut [f64], total_weight: f64) -> f64 {
        let (n, d, k) = (self.n, self.d, self.targets.k());
        let (coef, intercept) = w.split_at(k * d);
        // Logits: Z = X W^T (+ b).
        gemm(
            1.0,
            View::rows(self.x, n, d),
            View::transposed(coef, k, d),
            0.0,
            scratch,
        );
        let inv_total = 1.0 / total_weight;
        let mut loss = 0.0;
        match self.targets {
            Targets::Multinomial { class, .. } => {
                for ((z, &y), &s) in scratch.chunks_exact_mut(k).zip(class).zip(self.weights) {
                    if self.fit_intercept {
                        z.iter_mut().zip(intercept).for_each(|(zi, bi)| *zi += bi);
                    }
                    let max = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                    let sum: f64 = z.iter().map(|&v| (v - max).exp()).sum();
                    let lse = max + sum.ln();
                    loss += s * (lse - z[y]);
                    // The row of G = s / S * (softmax - onehot), written over the logits.
                    let scale = s * inv_total;
                    for (j, zj) in z.iter_mut().enumerate() {
                        let p = (*zj - lse).exp();
                        *zj = scale * (p - if j == y { 1.0 } else { 0.0 });
                    }
                }
            }
            Targets::Binary { y } => {
                let b = if self.fit_intercept { intercept[0] } else { 0.0 };
                for ((z, &t), &s) in scratch.iter_mut().zip(y).zip(self.weights) {
                    let v = *z + b;
                    // log(1 + e^v) - t v, computed without overflow.
                    let softplus = if v > 0.0 {
                        v + (-v).exp().ln_1p()
                    } else {
                        v.exp().ln_1p()
                    };
                    loss += s * (softplus - t * v);
                    *z = s * inv_total * (sigmoid(v) - t);
                }
            }
        }
        let (grad_coef, grad_intercept) = grad.split_at_mut(k * d);
        // dW = G^T X + W / (C S).
        let l2 = 1.0 / (self.c * total_weight);
        grad_coef.copy_from_slice(coef);
        gemm(
            1.0,
            View::transposed(scratch, n, k),
            View::rows(self.x, n, d),
            l2,
            grad_coef,
        );
        if self.fit_intercept {
            grad_intercept.iter_mut().for_each(|g| *g = 0.0);
            for row in scratch.chunks_exact(k) {
                grad_intercept.iter_mut().zip(row).for_each(|(g, r)| *g += r);
            }
        }
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
    let mut scratch = vec![0.0; problem.n * k];
    let outcome = lbfgs::minimize(&mut w, lbfgs::Options::new(max_iter, tol), |w, g| {
        problem.eval(w, g, &mut scratch, total_weight)
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
        for (targets, k) in [
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
                let mut scratch = vec![0.0; 6 * k];
                problem.eval(&w, &mut grad, &mut scratch, 8.5);
                for i in 0..p {
                    let h = 1e-6;
                    let (mut plus, mut minus) = (w.clone(), w.clone());
                    plus[i] += h;
                    minus[i] -= h;
                    let mut g = vec![0.0; p];
                    let numeric = (problem.eval(&plus, &mut g, &mut scratch, 8.5)
                        - problem.eval(&minus, &mut g, &mut scratch, 8.5))
                        / (2.0 * h);
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
