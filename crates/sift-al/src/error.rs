//! Errors: whole-call shape errors and per-row data errors.

/// A matrix whose shape cannot be interpreted. Returned for the whole call; no row is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// The number of columns (classes or embedding dimensions) is zero, so rows are undefined.
    #[error("a matrix needs at least one column")]
    ZeroColumns,
    /// The flat buffer length is not a multiple of the number of columns.
    #[error("a buffer of {len} values is not a whole number of rows of {columns} columns")]
    Ragged {
        /// Length of the flat buffer.
        len: usize,
        /// Declared number of columns.
        columns: usize,
    },
    /// [`crate::cluster_uncertain`]: the scores and the embedding matrix cover different
    /// numbers of items.
    #[error("the scores cover {scores} items but the embeddings cover {embeddings}")]
    LengthMismatch {
        /// Number of uncertainty scores given.
        scores: usize,
        /// Number of embedding rows given.
        embeddings: usize,
    },
}

/// Why one row could not be scored. The row is left out of every ranking.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum RowError {
    /// The row holds a NaN or an infinite value (first such column given).
    #[error("column {column} is NaN or infinite")]
    NonFinite {
        /// Index of the first non-finite value in the row.
        column: usize,
    },
    /// Probabilities input: a value is below `-PROBABILITY_TOLERANCE` (first such column given).
    #[error("column {column} is a negative probability ({value})")]
    Negative {
        /// Index of the first negative value in the row.
        column: usize,
        /// The offending value.
        value: f32,
    },
    /// Probabilities input: the row does not sum to 1 within `PROBABILITY_TOLERANCE`.
    #[error("probabilities sum to {sum}, not 1")]
    NotNormalised {
        /// The row sum, accumulated in `f64`.
        sum: f64,
    },
}

/// Number of rows of a flat buffer of `len` values with `columns` values per row.
pub(crate) fn rows_of(len: usize, columns: usize) -> Result<usize, ShapeError> {
    if columns == 0 {
        return Err(ShapeError::ZeroColumns);
    }
    let rows = len / columns;
    if rows * columns != len {
        return Err(ShapeError::Ragged { len, columns });
    }
    Ok(rows)
}
