//! The error every command returns: the same `{code, message, violations?}` JSON that
//! `sift serve` answers over HTTP, so the UI's two transports report errors alike.

use serde::Serialize;
use sift_api::Error;
use sift_error::{Code, ErrorCode};
use sift_template::Violation;

/// `{code, message}`, plus `violations` when a payload breaks the template's rules.
#[derive(Debug, Clone, Serialize)]
pub struct CommandError {
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<Violation>>,
}

impl CommandError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            violations: None,
        }
    }

    /// No project is open yet.
    pub fn no_project() -> Self {
        Self::new(
            Code::NotFound,
            "no project is open: choose one with File \u{25b8} Open Project\u{2026} \
             (or start `sift-desktop PROJECT_FOLDER`)",
        )
    }
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        Self::from(&e)
    }
}

impl From<&Error> for CommandError {
    fn from(e: &Error) -> Self {
        let api = e.to_api_error();
        let violations = e.violations().map(<[Violation]>::to_vec);
        Self {
            code: e.code(),
            message: api.message,
            violations,
        }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for CommandError {}
