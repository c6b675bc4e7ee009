//! A fitted linear map on standardised features, `z = ((x - mean) / scale) W^T + b`, applied in
//! blocks of rows (the shared core of both heads' predictions).

use serde::{Deserialize, Serialize};

use crate::data::{Element, check_shape};
use crate::error::{LearnError, Result};
use crate::kernel;
use crate::scaler::Scaler;

/// Rows standardised and multiplied per block (keeps the block in cache).
const BLOCK: usize = 256;

/// The scaler, the `k x d` coefficients (on standardised features) and the `k` intercepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Linear {
    pub scaler: Scaler,
    /// `k x d`, row-major.
    pub coef: Vec<f64>,
    pub intercept: Vec<f64>,
}

impl Linear {
    pub fn dim(&self) -> usize {
        self.scaler.dim()
    }

    pub fn outputs(&self) -> usize {
        self.intercept.len()
    }

    /// Checks the internal consistency of a model read back from storage.
    pub fn validate(&self) -> Result<()> {
        self.scaler.validate()?;
        let (d, k) = (self.dim(), self.outputs());
        if d == 0 || k == 0 || self.coef.len() != k * d {
            return Err(LearnError::InvalidOption {
                name: "head",
                reason: format!("{} coefficients do not form {k} rows of {d}", self.coef.len()),
            });
        }
        if self.coef.iter().chain(&self.intercept).any(|v| !v.is_finite()) {
            return Err(LearnError::InvalidOption {
                name: "head",
                reason: "coefficients must be finite".into(),
            });
        }
        Ok(())
    }

    /// Applies the map to the `n` rows of `x` and hands each block's outputs (`rows x k`, in
    /// `f64`) to `sink` with the index of its first row. Rows holding NaN or infinite values
    /// come out as NaN.
    pub fn apply<T: Element>(
        &self,
        x: &[T],
        n: usize,
        mut sink: impl FnMut(usize, &mut [f64]),
    ) -> Result<()> {
        let (d, k) = (self.dim(), self.outputs());
        if x.len() != n.saturating_mul(d) && n > 0 && x.len().is_multiple_of(n) {
            return Err(LearnError::Width {
                expected: d,
                got: x.len() / n,
            });
        }
        check_shape("features", x, n, d)?;
        let mut block = vec![0.0; BLOCK.min(n.max(1)) * d];
        let mut out = vec![0.0; BLOCK.min(n.max(1)) * k];
        let mut first = 0;
        while first < n {
            let rows = BLOCK.min(n - first);
            let (xs, zs) = (&mut block[..rows * d], &mut out[..rows * k]);
            self.scaler.transform_block(x, first, rows, xs);
            kernel::logits(xs, rows, d, &self.coef, k, zs);
            for (r, z) in zs.chunks_exact_mut(k).enumerate() {
                if xs[r * d..(r + 1) * d].iter().any(|v| !v.is_finite()) {
                    z.iter_mut().for_each(|v| *v = f64::NAN);
                } else {
                    z.iter_mut().zip(&self.intercept).for_each(|(v, b)| *v += b);
                }
            }
            sink(first, zs);
            first += rows;
        }
        Ok(())
    }
}
