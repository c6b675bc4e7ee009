//! The one error type of the crate: bad shapes, bad values, too little data, bad options.

/// Why a head could not be trained, applied, evaluated or exported, or a simulation run.
///
/// Every variant names what was wrong (the argument, the row and column, the class) so that an
/// adapter can show it to a person as is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LearnError {
    /// A buffer does not have the length its declared shape implies.
    #[error("{what}: expected {expected} values, got {got}")]
    Shape {
        /// Which argument (e.g. `features`, `labels`).
        what: &'static str,
        /// Length implied by the declared shape.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A feature matrix with no columns.
    #[error("{what}: a feature matrix needs at least one column")]
    ZeroColumns {
        /// Which argument.
        what: &'static str,
    },
    /// Features given to a head do not have the width the head was trained on.
    #[error("the head was trained on {expected} features per row, got {got}")]
    Width {
        /// The head's input width.
        expected: usize,
        /// The width given.
        got: usize,
    },
    /// A feature value is NaN or infinite.
    #[error("{what}: row {row}, column {column} is NaN or infinite")]
    NonFinite {
        /// Which argument.
        what: &'static str,
        /// Row of the value.
        row: usize,
        /// Column of the value.
        column: usize,
    },
    /// Fewer labeled rows (or preference pairs) than training needs.
    #[error("too few labels to train: {got} (at least {need} needed)")]
    TooFewLabels {
        /// How many were given.
        got: usize,
        /// The minimum.
        need: usize,
    },
    /// Every labeled row has the same class: there is nothing to tell apart.
    #[error("every labeled row has class {class}: at least two classes are needed")]
    SingleClass {
        /// The only class present.
        class: u32,
    },
    /// Multi-label: one label column is all positive or all negative.
    #[error("label {label} is {} on every labeled row: it needs both positive and negative rows",
        if *.positive { "present" } else { "absent" })]
    ConstantLabel {
        /// Index of the label column.
        label: usize,
        /// Whether the column is all positive (else all negative).
        positive: bool,
    },
    /// A preference pair names an item outside the feature matrix, or the same item twice.
    #[error("pair {pair} ({winner} preferred to {loser}) is invalid: {reason}")]
    BadPair {
        /// Index of the pair.
        pair: usize,
        /// Preferred item.
        winner: usize,
        /// Other item.
        loser: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// An option or argument is outside its domain.
    #[error("invalid {name}: {reason}")]
    InvalidOption {
        /// The option (e.g. `c`, `class_weights`, `test_fraction`).
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// Training produced a non-finite loss (features far too large for `f64`, in practice).
    #[error("training diverged (the loss became {loss})")]
    Diverged {
        /// The last loss value.
        loss: f64,
    },
    /// `sift-al` refused a matrix (a bug in the caller of sift-al, never expected from a head).
    #[error("uncertainty scoring failed: {0}")]
    Scoring(#[from] sift_al::ShapeError),
    /// A simulation was asked to stop before it finished (see `SimWatch`).
    #[error("the simulation was cancelled")]
    Cancelled,
    /// Plotting failed inside the plotting library.
    #[error("plotting failed: {0}")]
    Plot(String),
}

/// Result alias of the crate.
pub type Result<T, E = LearnError> = std::result::Result<T, E>;
