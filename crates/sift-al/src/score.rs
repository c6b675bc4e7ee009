//! Scoring a whole matrix: [`score_rows`] and the [`Scores`] it returns.

use std::fmt;

use crate::error::{RowError, ShapeError};
use crate::kernel::{self, Columns};
use crate::select;
use crate::strategy::Strategy;

/// How far a probability row may stray from a distribution and still be scored.
///
/// A row of [`Input::Probabilities`] is accepted when every value is finite and at least
/// `-PROBABILITY_TOLERANCE` (values in `[-tolerance, 0)` count as `0`) and its sum, accumulated
/// in `f64`, is within `PROBABILITY_TOLERANCE` of 1. This covers `f32` softmax outputs over
/// thousands of classes and probabilities printed with four decimals, and still rejects rows
/// that are plainly not distributions (scores, logits, percentages).
///
/// Accepted rows are **renormalised** (divided by their sum) before scoring, so every score stays
/// in `[0, 1]` and equals the score of the nearest exact distribution; the ranking of rows that
/// already sum to 1 is unaffected.
pub const PROBABILITY_TOLERANCE: f32 = 1.0e-3;

/// What the matrix handed to [`score_rows`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    /// Raw, unnormalised model outputs. Turned into probabilities with a max-shifted softmax,
    /// which stays exact for any finite logits (`1e30` and `-1e30` included).
    Logits,
    /// Class probabilities, validated and renormalised (see [`PROBABILITY_TOLERANCE`]).
    Probabilities,
}

/// The four uncertainty scores of one row, each in `[0, 1]`, `1` = most uncertain.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RowScores {
    /// `(1 - p1) * n / (n - 1)`.
    pub least_confidence: f32,
    /// `1 - (p1 - p2)`.
    pub margin: f32,
    /// `p2 / p1`.
    pub ratio: f32,
    /// `-sum(p * log2 p) / log2 n`.
    pub entropy: f32,
}

impl RowScores {
    /// The score for one strategy.
    #[must_use]
    pub const fn get(&self, strategy: Strategy) -> f32 {
        match strategy {
            Strategy::LeastConfidence => self.least_confidence,
            Strategy::Margin => self.margin,
            Strategy::Ratio => self.ratio,
            Strategy::Entropy => self.entropy,
        }
    }
}

/// A row that could not be scored, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BadRow {
    /// Index of the row in the input matrix.
    pub index: usize,
    /// What is wrong with it.
    pub error: RowError,
}

/// Uncertainty scores for every row of a matrix, as returned by [`score_rows`].
///
/// Stored column-wise (one `Vec<f32>` per strategy) so that a ranking reads one contiguous
/// slice. Rows that could not be scored are listed in [`Scores::bad_rows`], hold `NaN` in every
/// column, and are skipped by [`Scores::top_k`].
#[derive(Clone, Default)]
pub struct Scores {
    n_classes: usize,
    least_confidence: Vec<f32>,
    margin: Vec<f32>,
    ratio: Vec<f32>,
    entropy: Vec<f32>,
    bad_rows: Vec<BadRow>,
}

impl fmt::Debug for Scores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scores")
            .field("n_items", &self.len())
            .field("n_classes", &self.n_classes)
            .field("bad_rows", &self.bad_rows.len())
            .finish_non_exhaustive()
    }
}

impl Scores {
    /// Number of rows (scored or not).
    #[must_use]
    pub fn len(&self) -> usize {
        self.least_confidence.len()
    }

    /// Whether the matrix had no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.least_confidence.is_empty()
    }

    /// Number of classes (columns) of the scored matrix.
    #[must_use]
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// The scores of row `index`, its error if it could not be scored, or `None` past the end.
    #[must_use]
    pub fn row(&self, index: usize) -> Option<Result<RowScores, RowError>> {
        if index >= self.len() {
            return None;
        }
        if let Ok(position) = self.bad_rows.binary_search_by_key(&index, |bad| bad.index) {
            return self.bad_rows.get(position).map(|bad| Err(bad.error));
        }
        Some(Ok(RowScores {
            least_confidence: self.least_confidence.get(index).copied()?,
            margin: self.margin.get(index).copied()?,
            ratio: self.ratio.get(index).copied()?,
            entropy: self.entropy.get(index).copied()?,
        }))
    }

    /// Every row in order: its scores or the reason it could not be scored.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Result<RowScores, RowError>> + '_ {
        let mut bad = self.bad_rows.iter().peekable();
        (0..self.len()).map(move |index| {
            if let Some(row) = bad.next_if(|row| row.index == index) {
                return Err(row.error);
            }
            Ok(RowScores {
                least_confidence: self.least_confidence.get(index).copied().unwrap_or(f32::NAN),
                margin: self.margin.get(index).copied().unwrap_or(f32::NAN),
                ratio: self.ratio.get(index).copied().unwrap_or(f32::NAN),
                entropy: self.entropy.get(index).copied().unwrap_or(f32::NAN),
            })
        })
    }

    /// All rows' scores for one strategy, indexed like the input rows. Rows listed in
    /// [`Scores::bad_rows`] hold `NaN`; every other value is in `[0, 1]`.
    #[must_use]
    pub fn values(&self, strategy: Strategy) -> &[f32] {
        match strategy {
            Strategy::LeastConfidence => &self.least_confidence,
            Strategy::Margin => &self.margin,
            Strategy::Ratio => &self.ratio,
            Strategy::Entropy => &self.entropy,
        }
    }

    /// The rows that could not be scored, in ascending row order.
    #[must_use]
    pub fn bad_rows(&self) -> &[BadRow] {
        &self.bad_rows
    }

    /// Indices of the `k` most uncertain rows for `strategy`, most uncertain first, ties broken
    /// by the lower index; bad rows are never returned. Fewer than `k` if fewer rows are valid.
    /// `O(n log k)`; see [`crate::top_k`].
    #[must_use]
    pub fn top_k(&self, strategy: Strategy, k: usize) -> Vec<usize> {
        select::top_k(self.values(strategy), k)
    }
}

/// Scores every row of a row-major `n_items x n_classes` matrix with all four strategies.
///
/// One pass per row computes the (max-shifted) softmax once and derives the four scores from
/// it; see [`Strategy`] for the formulas. Rows are independent: a bad row (NaN or infinite
/// value; for probabilities also a negative value or a sum off 1, see
/// [`PROBABILITY_TOLERANCE`]) is reported in [`Scores::bad_rows`] and never ranked, and does
/// not affect any other row.
///
/// With a single class every valid row is certain and scores `0` on all four strategies (for
/// probabilities, the lone value must still be 1 within the tolerance).
///
/// Runs on the calling thread; `O(n_items * n_classes)`.
///
/// # Errors
///
/// [`ShapeError::ZeroColumns`] if `n_classes == 0` (the rows are undefined, even for an empty
/// buffer), and [`ShapeError::Ragged`] if `matrix.len()` is not a multiple of `n_classes`.
pub fn score_rows(matrix: &[f32], n_classes: usize, input: Input) -> Result<Scores, ShapeError> {
    let n_items = crate::error::rows_of(matrix.len(), n_classes)?;
    if n_items == 0 {
        return Ok(Scores {
            n_classes,
            ..Scores::default()
        });
    }
    if n_classes == 1 {
        let mut scores = Scores {
            n_classes,
            least_confidence: vec![0.0; n_items],
            margin: vec![0.0; n_items],
            ratio: vec![0.0; n_items],
            entropy: vec![0.0; n_items],
            bad_rows: Vec::new(),
        };
        for (index, row) in matrix.chunks_exact(1).enumerate() {
            if let Some(error) = diagnose(row, input) {
                scores.mark_bad(index, error);
            }
        }
        return Ok(scores);
    }

    let mut columns = Columns::default();
    kernel::score_blocks(
        matrix,
        n_classes,
        input == Input::Logits,
        PROBABILITY_TOLERANCE,
        &mut columns,
    );
    let mut scores = Scores {
        n_classes,
        least_confidence: columns.least_confidence,
        margin: columns.margin,
        ratio: columns.ratio,
        entropy: columns.entropy,
        bad_rows: Vec::with_capacity(columns.flagged.len()),
    };
    for index in columns.flagged {
        let row = matrix
            .get(index * n_classes..(index + 1) * n_classes)
            .unwrap_or_default();
        // The kernel and `diagnose` apply the same rules; the fallback only keeps a flagged row
        // out of the rankings should they ever disagree.
        let error = diagnose(row, input).unwrap_or(RowError::NotNormalised { sum: f64::NAN });
        scores.mark_bad(index, error);
    }
    Ok(scores)
}

impl Scores {
    fn mark_bad(&mut self, index: usize, error: RowError) {
        for column in [
            &mut self.least_confidence,
            &mut self.margin,
            &mut self.ratio,
            &mut self.entropy,
        ] {
            if let Some(value) = column.get_mut(index) {
                *value = f32::NAN;
            }
        }
        self.bad_rows.push(BadRow { index, error });
    }
}

/// Why a row cannot be scored, or `None` if it can. Same rules as the block kernels.
fn diagnose(row: &[f32], input: Input) -> Option<RowError> {
    if let Some(column) = row.iter().position(|v| !v.is_finite()) {
        return Some(RowError::NonFinite { column });
    }
    if input == Input::Logits {
        return None;
    }
    if let Some((column, &value)) = row.iter().enumerate().find(|(_, v)| **v < -PROBABILITY_TOLERANCE) {
        return Some(RowError::Negative { column, value });
    }
    let sum: f64 = row.iter().map(|&v| f64::from(kernel::clamp_probability(v))).sum();
    if (sum - 1.0).abs() <= f64::from(PROBABILITY_TOLERANCE) {
        None
    } else {
        Some(RowError::NotNormalised { sum })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f64) -> bool {
        (f64::from(a) - b).abs() < 1e-6
    }

    #[test]
    fn shape_errors() {
        assert_eq!(
            score_rows(&[], 0, Input::Logits).err(),
            Some(ShapeError::ZeroColumns)
        );
        assert_eq!(
            score_rows(&[1.0], 0, Input::Logits).err(),
            Some(ShapeError::ZeroColumns)
        );
        assert_eq!(
            score_rows(&[1.0, 2.0, 3.0], 2, Input::Logits).err(),
            Some(ShapeError::Ragged { len: 3, columns: 2 })
        );
        let empty = score_rows(&[], 4, Input::Probabilities).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.row(0), None);
        assert!(score_rows(&[], usize::MAX, Input::Logits).unwrap().is_empty());
    }

    #[test]
    fn single_class_rows_are_certain() {
        let scores = score_rows(&[3.0, f32::INFINITY, -1e30], 1, Input::Logits).unwrap();
        assert_eq!(scores.row(0), Some(Ok(RowScores::default())));
        assert_eq!(scores.row(1), Some(Err(RowError::NonFinite { column: 0 })));
        assert_eq!(scores.row(2), Some(Ok(RowScores::default())));
        let scores = score_rows(&[1.0, 0.9995, 0.5, -0.2], 1, Input::Probabilities).unwrap();
        assert_eq!(scores.row(0), Some(Ok(RowScores::default())));
        assert_eq!(scores.row(1), Some(Ok(RowScores::default())));
        assert!(matches!(scores.row(2), Some(Err(RowError::NotNormalised { .. }))));
        assert!(matches!(
            scores.row(3),
            Some(Err(RowError::Negative { column: 0, .. }))
        ));
        assert_eq!(scores.top_k(Strategy::Margin, 10), vec![0, 1]);
    }

    #[test]
    fn every_lane_position_and_tail_is_scored() {
        // 19 rows: two full blocks and a tail of three, with a bad row in each.
        let mut matrix = Vec::new();
        for i in 0..19 {
            let x = i as f32 * 0.25;
            matrix.extend_from_slice(&[x, 0.0, -x]);
        }
        for bad in [2, 9, 17] {
            matrix[bad * 3 + 1] = f32::NAN;
        }
        let scores = score_rows(&matrix, 3, Input::Logits).unwrap();
        assert_eq!(scores.len(), 19);
        let bad: Vec<usize> = scores.bad_rows().iter().map(|b| b.index).collect();
        assert_eq!(bad, vec![2, 9, 17]);
        for (i, row) in scores.iter().enumerate() {
            if bad.contains(&i) {
                assert_eq!(row, Err(RowError::NonFinite { column: 1 }));
                continue;
            }
            let x = f64::from(i as f32 * 0.25);
            let e = [x.exp(), 1.0, (-x).exp()];
            let s: f64 = e.iter().sum();
            let p: Vec<f64> = e.iter().map(|v| v / s).collect();
            let row = row.unwrap();
            let (p1, p2) = (p[0], p[1]);
            assert!(close(row.least_confidence, (1.0 - p1) * 1.5), "{i}");
            assert!(close(row.margin, 1.0 - (p1 - p2)), "{i}");
            assert!(close(row.ratio, p2 / p1), "{i}");
            let h: f64 = -p.iter().map(|q| q * q.log2()).sum::<f64>() / 3f64.log2();
            assert!(close(row.entropy, h), "{i}");
        }
        assert_eq!(scores.top_k(Strategy::Entropy, 3), vec![0, 1, 3]);
    }

    #[test]
    fn probabilities_are_validated_and_renormalised() {
        let matrix = [
            0.5,
            0.3,
            0.2, // fine
            0.5,
            0.3,
            0.2005, // within tolerance: renormalised
            0.6,
            0.6,
            -0.2, // negative
            0.5,
            0.3,
            0.1, // sums to 0.9
            0.7,
            0.3,
            -1e-4, // tiny negative counts as 0
            f32::NEG_INFINITY,
            0.5,
            0.5,
        ];
        let scores = score_rows(&matrix, 3, Input::Probabilities).unwrap();
        let first = scores.row(0).unwrap().unwrap();
        let second = scores.row(1).unwrap().unwrap();
        assert!(close(second.ratio, 0.6));
        assert!(close(second.least_confidence, (1.0 - 0.5 / 1.0005) * 1.5));
        assert!((first.entropy - second.entropy).abs() < 1e-3);
        assert_eq!(
            scores.row(2),
            Some(Err(RowError::Negative {
                column: 2,
                value: -0.2
            }))
        );
        assert!(
            matches!(scores.row(3), Some(Err(RowError::NotNormalised { sum })) if (sum - 0.9).abs() < 1e-6)
        );
        let tiny = scores.row(4).unwrap().unwrap();
        assert!(close(tiny.ratio, 0.3 / 0.7));
        assert_eq!(scores.row(5), Some(Err(RowError::NonFinite { column: 0 })));
        assert_eq!(scores.bad_rows().len(), 3);
    }
}
