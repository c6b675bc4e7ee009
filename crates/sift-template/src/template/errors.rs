//! What a broken template file reports: [`TemplateError`] (one problem, with its key path and
//! location) and [`TemplateErrors`] (every problem of one file).

use std::fmt;

/// One problem in a template file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// TOML key path of the offending value (`rules.max_pairs`, `rules.dimensions[1].name`);
    /// empty for syntax errors.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line of the offending text, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the offending text, when known.
    pub column: Option<usize>,
}

/// Every problem found in a template file. `Display` writes one line per problem:
/// `origin: path: message (line L, column C)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateErrors {
    /// Where the text came from (usually a file path).
    pub origin: String,
    /// The problems, in document order where locations are known.
    pub errors: Vec<TemplateError>,
}

impl TemplateErrors {
    /// Whether some problem sits at `path` and its message contains `needle`.
    pub fn has(&self, path: &str, needle: &str) -> bool {
        self.errors
            .iter()
            .any(|e| e.path == path && e.message.contains(needle))
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " (line {l}, column {c})")?;
        }
        Ok(())
    }
}

impl fmt::Display for TemplateErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {e}", self.origin)?;
        }
        Ok(())
    }
}

impl std::error::Error for TemplateErrors {}
