//! Errors: invalid input ([`QualityError`]) and measures that have no value on the data
//! given ([`Undefined`]), which callers usually show as "—" with the reason.

use serde::Serialize;

/// Why a measure has no value on the data given. Not a fault: a report shows the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Undefined {
    /// No unit has two or more ratings, so there is no pair to compare.
    #[error("no unit has two or more ratings")]
    NoPairableUnits,
    /// Every pairable rating (or both coders' ratings) is the same value: chance agreement is
    /// total and the chance-corrected measure is 0/0.
    #[error("every rating has the same value, so agreement expected by chance is total")]
    NoVariation,
    /// Both sides are empty (no spans, no objects, no events): nothing to compare.
    #[error("both sides are empty, so there is nothing to compare")]
    Empty,
    /// Fewer things than the measure needs (values, raters, pairs).
    #[error("needs at least {need} {what}, has {have}")]
    TooFew {
        /// What is counted.
        what: &'static str,
        /// How many the measure needs.
        need: usize,
        /// How many there are.
        have: usize,
    },
}

impl Undefined {
    /// [`Undefined::TooFew`] unless there are at least `need` of `what` (there are `have`).
    pub(crate) fn at_least(what: &'static str, need: usize, have: usize) -> Result<(), Undefined> {
        if have < need {
            Err(Undefined::TooFew { what, need, have })
        } else {
            Ok(())
        }
    }
}

/// An error from a `sift-quality` function.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QualityError {
    /// The measure has no value on this data (see [`Undefined`]); the input itself is fine.
    #[error("undefined: {0}")]
    Undefined(#[from] Undefined),
    /// A row of a ratings matrix has a different number of cells than the first row.
    #[error("row {row} has {found} cells but the first row has {expected}")]
    Ragged {
        /// Index of the offending row (a unit).
        row: usize,
        /// Its number of cells.
        found: usize,
        /// The number of cells of row 0 (the number of coders).
        expected: usize,
    },
    /// A unit or coder index outside the matrix.
    #[error("unit {unit}, coder {coder} is outside a {units} x {coders} ratings matrix")]
    OutOfRange {
        /// Unit index asked for.
        unit: usize,
        /// Coder index asked for.
        coder: usize,
        /// Number of units of the matrix.
        units: usize,
        /// Number of coders of the matrix.
        coders: usize,
    },
    /// The same coder rated the same unit twice in a list of records.
    #[error("unit {unit} is rated twice by coder {coder}")]
    DuplicateRating {
        /// The unit's identifier, as `Debug` prints it.
        unit: String,
        /// The coder's identifier, as `Debug` prints it.
        coder: String,
    },
    /// A rating, coordinate or time that must be a finite number is NaN or infinite.
    #[error("{what} {index} is not a finite number ({value})")]
    NonFinite {
        /// What holds the value ("unit", "object", "event", ...).
        what: &'static str,
        /// Its index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Two inputs that must have the same length do not.
    #[error("{what}: {left} values against {right}; they must have the same length")]
    LengthMismatch {
        /// What is compared.
        what: &'static str,
        /// Length of the first input.
        left: usize,
        /// Length of the second input.
        right: usize,
    },
    /// Fleiss' kappa: a unit has a different number of ratings than the others.
    #[error(
        "unit {unit} has {found} ratings but the units before it have {expected}; \
         Fleiss' kappa needs the same number of ratings on every rated unit"
    )]
    UnequalRaters {
        /// Index of the offending unit.
        unit: usize,
        /// Number of ratings of the first rated unit.
        expected: usize,
        /// Number of ratings of this unit.
        found: usize,
    },
    /// Dawid-Skene: a label is not a class index below the number of classes.
    #[error("unit {unit}, coder {coder}: label {label} is not below the number of classes ({classes})")]
    LabelOutOfRange {
        /// Unit index.
        unit: usize,
        /// Coder index.
        coder: usize,
        /// The label.
        label: usize,
        /// The number of classes given.
        classes: usize,
    },
    /// A parameter outside its allowed range.
    #[error("{what} must be {rule}, got {value}")]
    InvalidParameter {
        /// The parameter.
        what: &'static str,
        /// The rule it breaks, in words.
        rule: &'static str,
        /// The value given.
        value: f64,
    },
    /// One element of an input list is invalid (an event ending before it starts, ...).
    #[error("{what} {index}: {problem}")]
    InvalidInput {
        /// What the list holds ("event", "ranking", ...).
        what: &'static str,
        /// Index of the element.
        index: usize,
        /// What is wrong, in words.
        problem: String,
    },
    /// Kemeny aggregation searches all orders and is limited to a few responses.
    #[error(
        "Kemeny aggregation is exact and limited to {max} responses, got {found}; \
         use the Borda count for longer lists"
    )]
    TooManyForKemeny {
        /// Number of responses given.
        found: usize,
        /// [`crate::KEMENY_MAX_RESPONSES`].
        max: usize,
    },
}

/// Result alias of this crate.
pub type Result<T, E = QualityError> = std::result::Result<T, E>;

/// Checks that `value` is finite; `what` and `index` name it in the error.
pub(crate) fn finite(what: &'static str, index: usize, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(QualityError::NonFinite { what, index, value })
    }
}
