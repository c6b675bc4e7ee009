//! Feature standardisation stored inside a head: `(x - mean) / scale`, per column.

use serde::{Deserialize, Serialize};

use crate::data::{Element, check_features};
use crate::error::{LearnError, Result};

/// Per-column standardisation, `(x - mean) / scale`, as scikit-learn's `StandardScaler`:
/// the mean and the population standard deviation (`ddof = 0`) of each column; a constant
/// column (a variance within the rounding error of computing it, scikit-learn's test) keeps
/// `scale = 1`.
///
/// A head stores its scaler and applies it at predict time (and in its ONNX file), so callers
/// always hand raw features to a head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column scales (standard deviations, or 1 for constant columns).
    pub scale: Vec<f64>,
}

impl Scaler {
    /// The identity transform on `dim` columns.
    #[must_use]
    pub fn identity(dim: usize) -> Self {
        Self {
            mean: vec![0.0; dim],
            scale: vec![1.0; dim],
        }
    }

    /// Fits the scaler on every row of `x` (`n x d`, row-major).
    ///
    /// # Errors
    /// A shape mismatch, no rows, or a NaN or infinite value.
    pub fn fit<T: Element>(x: &[T], n: usize, d: usize) -> Result<Self> {
        check_features("features", x, n, d)?;
        Self::fit_rows(x, d, &(0..n).collect::<Vec<_>>())
    }

    /// Fits the scaler on the listed rows of `x` (`? x d`, row-major). The caller has checked
    /// the matrix; rows outside it are an error.
    pub(crate) fn fit_rows<T: Element>(x: &[T], d: usize, rows: &[usize]) -> Result<Self> {
        if rows.is_empty() {
            return Err(LearnError::TooFewLabels { got: 0, need: 1 });
        }
        let mut mean = vec![0.0_f64; d];
        for &r in rows {
            let row = x.get(r * d..(r + 1) * d).ok_or(LearnError::Shape {
                what: "features",
                expected: (r + 1) * d,
                got: x.len(),
            })?;
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v.to_f64();
            }
        }
        let count = rows.len() as f64;
        mean.iter_mut().for_each(|m| *m /= count);
        let mut var = vec![0.0_f64; d];
        for &r in rows {
            for ((s, m), v) in var.iter_mut().zip(&mean).zip(&x[r * d..(r + 1) * d]) {
                let dev = v.to_f64() - m;
                *s += dev * dev;
            }
        }
        // scikit-learn's test for a constant column: a variance within the rounding error of
        // its own computation, `var <= n eps var + (n mean eps)^2`.
        let eps = f64::EPSILON;
        let scale = var
            .into_iter()
            .zip(&mean)
            .map(|(s, m)| {
                let v = s / count;
                let bound = count * eps * v + (count * m * eps).powi(2);
                if v <= bound { 1.0 } else { v.sqrt() }
            })
            .collect();
        Ok(Self { mean, scale })
    }

    /// Number of columns.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Writes the standardised rows `first..first + count` of `x` into `out` (`count x d`).
    pub(crate) fn transform_block<T: Element>(&self, x: &[T], first: usize, count: usize, out: &mut [f64]) {
        let d = self.dim();
        let src = &x[first * d..(first + count) * d];
        for (row_out, row_in) in out.chunks_exact_mut(d).zip(src.chunks_exact(d)) {
            for (((o, v), m), s) in row_out.iter_mut().zip(row_in).zip(&self.mean).zip(&self.scale) {
                *o = (v.to_f64() - m) / s;
            }
        }
    }

    /// Standardises the listed rows of `x` into a new `rows.len() x d` matrix.
    pub(crate) fn transform_rows<T: Element>(&self, x: &[T], rows: &[usize]) -> Vec<f64> {
        let d = self.dim();
        let mut out = vec![0.0; rows.len() * d];
        for (row_out, &r) in out.chunks_exact_mut(d).zip(rows) {
            self.transform_block(x, r, 1, row_out);
        }
        out
    }

    /// Checks that the scaler's columns are finite and its scales positive (a head read back
    /// from storage).
    pub(crate) fn validate(&self) -> Result<()> {
        if self.mean.len() != self.scale.len() {
            return Err(LearnError::InvalidOption {
                name: "scaler",
                reason: format!("{} means but {} scales", self.mean.len(), self.scale.len()),
            });
        }
        if self.mean.iter().any(|m| !m.is_finite()) || self.scale.iter().any(|s| !(s.is_finite() && *s > 0.0))
        {
            return Err(LearnError::InvalidOption {
                name: "scaler",
                reason: "means must be finite and scales finite and positive".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_std_and_constant_columns() {
        let x = [1.0_f32, 5.0, 3.0, 5.0, 5.0, 5.0];
        let s = Scaler::fit(&x, 3, 2).unwrap();
        assert_eq!(s.mean, vec![3.0, 5.0]);
        assert!((s.scale[0] - (8.0_f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.scale[1], 1.0);
        let mut out = [0.0; 2];
        s.transform_block(&x, 2, 1, &mut out);
        assert!((out[0] - 2.0 / (8.0_f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(out[1], 0.0);
    }
}
