//! Input matrices: the `f32`/`f64` element trait and the shape and finiteness checks shared by
//! every entry point.

use crate::error::{LearnError, Result};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A feature value: `f32` (stored embeddings) or `f64`. Everything is computed in `f64`.
pub trait Element: sealed::Sealed + Copy + Send + Sync + 'static {
    /// The value as `f64`.
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for f64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

/// Checks that `data` holds `rows x cols` values, `cols > 0`.
pub(crate) fn check_shape<T>(what: &'static str, data: &[T], rows: usize, cols: usize) -> Result<()> {
    if cols == 0 {
        return Err(LearnError::ZeroColumns { what });
    }
    let expected = rows.checked_mul(cols).ok_or(LearnError::Shape {
        what,
        expected: usize::MAX,
        got: data.len(),
    })?;
    check_len(what, data, expected)
}

/// Checks that a vector has one entry per row.
pub(crate) fn check_len<T>(what: &'static str, data: &[T], expected: usize) -> Result<()> {
    if data.len() != expected {
        return Err(LearnError::Shape {
            what,
            expected,
            got: data.len(),
        });
    }
    Ok(())
}

/// The first NaN or infinite value of a `rows x cols` matrix, as an error.
pub(crate) fn check_finite<T: Element>(what: &'static str, data: &[T], cols: usize) -> Result<()> {
    match data.iter().position(|v| !v.to_f64().is_finite()) {
        None => Ok(()),
        Some(at) => Err(LearnError::NonFinite {
            what,
            row: at / cols,
            column: at % cols,
        }),
    }
}

/// Checks shape and finiteness of a feature matrix.
pub(crate) fn check_features<T: Element>(
    what: &'static str,
    data: &[T],
    rows: usize,
    cols: usize,
) -> Result<()> {
    check_shape(what, data, rows, cols)?;
    check_finite(what, data, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_finiteness() {
        assert!(check_features("x", &[1.0_f32, 2.0, 3.0, 4.0], 2, 2).is_ok());
        assert_eq!(
            check_features("x", &[1.0_f32, 2.0, 3.0], 2, 2),
            Err(LearnError::Shape {
                what: "x",
                expected: 4,
                got: 3
            })
        );
        assert_eq!(
            check_features("x", &[1.0_f64, 2.0, f64::NAN, 4.0], 2, 2),
            Err(LearnError::NonFinite {
                what: "x",
                row: 1,
                column: 0
            })
        );
        assert_eq!(
            check_features::<f32>("x", &[], 0, 0),
            Err(LearnError::ZeroColumns { what: "x" })
        );
    }
}
