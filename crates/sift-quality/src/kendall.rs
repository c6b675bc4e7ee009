//! Kendall's tau-b between two rankings of the same responses (with ties).

use serde::Serialize;

use crate::error::{QualityError, Result, Undefined};

/// Kendall's tau-b with its pair counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TauB {
    /// `(concordant - discordant) / sqrt((pairs - tied_x) (pairs - tied_y))`, in `[-1, 1]`.
    pub value: f64,
    /// Pairs ordered the same way by both rankings.
    pub concordant: usize,
    /// Pairs ordered opposite ways.
    pub discordant: usize,
    /// Pairs tied in the first ranking (including those tied in both).
    pub tied_x: usize,
    /// Pairs tied in the second ranking (including those tied in both).
    pub tied_y: usize,
    /// Number of ranked responses.
    pub n: usize,
}

/// Kendall's tau-b between `x` and `y`, where `x[i]` and `y[i]` are two annotators' ranks
/// (or scores: only the order matters) of response `i`. Ties are allowed. Undefined with
/// fewer than two responses or when either ranking ties everything.
/// Reference: `scipy.stats.kendalltau(x, y)` (variant "b", its default).
///
/// `O(n^2)` in the number of responses, which is a handful per item.
pub fn kendall_tau_b<T: Ord>(x: &[T], y: &[T]) -> Result<TauB> {
    if x.len() != y.len() {
        return Err(QualityError::LengthMismatch {
            what: "two rankings",
            left: x.len(),
            right: y.len(),
        });
    }
    let n = x.len();
    Undefined::at_least("ranked responses", 2, n)?;
    let (mut concordant, mut discordant, mut tied_x, mut tied_y) = (0, 0, 0, 0);
    for i in 0..n {
        for j in i + 1..n {
            let dx = x[i].cmp(&x[j]);
            let dy = y[i].cmp(&y[j]);
            tied_x += usize::from(dx.is_eq());
            tied_y += usize::from(dy.is_eq());
            if dx.is_ne() && dy.is_ne() {
                if dx == dy {
                    concordant += 1;
                } else {
                    discordant += 1;
                }
            }
        }
    }
    let pairs = n * (n - 1) / 2;
    if tied_x == pairs || tied_y == pairs {
        return Err(Undefined::NoVariation.into());
    }
    let denominator = ((pairs - tied_x) as f64 * (pairs - tied_y) as f64).sqrt();
    Ok(TauB {
        value: (concordant as f64 - discordant as f64) / denominator,
        concordant,
        discordant,
        tied_x,
        tied_y,
        n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_reversed_and_tied() {
        assert_eq!(kendall_tau_b(&[1, 2, 3], &[1, 2, 3]).unwrap().value, 1.0);
        assert_eq!(kendall_tau_b(&[1, 2, 3], &[3, 2, 1]).unwrap().value, -1.0);
        // x ties the first two; y does not: C = 2, D = 0, tied_x = 1.
        let t = kendall_tau_b(&[1, 1, 2], &[1, 2, 3]).unwrap();
        assert!((t.value - 2.0 / (2.0f64 * 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(
            kendall_tau_b(&[1, 1], &[1, 2]),
            Err(QualityError::Undefined(Undefined::NoVariation))
        );
        assert!(kendall_tau_b(&[1], &[1]).is_err());
        assert!(kendall_tau_b(&[1, 2], &[1]).is_err());
    }
}
