//! The one error shape that leaves Sift's core: a stable machine-readable [`Code`] plus a
//! human message.
//!
//! Every adapter (the `sift` CLI, the `sift serve` HTTP handlers and the Tauri commands)
//! turns the API crate's errors into an [`ApiError`] at its boundary. The UI switches on
//! [`Code`], never on message text, so codes are part of the public contract: add new ones,
//! never rename or reuse one.

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};

/// What kind of failure happened, as the UI and scripts see it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ts_rs::TS,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[ts(rename = "ErrorCode")]
pub enum Code {
    /// The caller sent something malformed: a bad manifest line, an invalid payload, a bad flag.
    InvalidInput,
    /// The thing asked for does not exist (item, annotator, batch, project).
    NotFound,
    /// The request conflicts with the current state (e.g. approving an old annotation version).
    Conflict,
    /// No or unknown credentials.
    Unauthenticated,
    /// Known caller, but not allowed to do this (another annotator's draft, a path outside the media roots).
    Forbidden,
    /// An optional runtime (ONNX Runtime, a display, an S3 endpoint) is missing or unreachable.
    Unavailable,
    /// Reading or writing a file failed.
    Io,
    /// The project is locked by another writer (for example while `sift import` holds its
    /// write transaction). Transient: the same request succeeds once the lock is released.
    Busy,
    /// The disk holding the project (or the file being written) is full. Nothing saved
    /// before is lost; the same request succeeds once space is freed.
    StorageFull,
    /// The project file or its folder cannot be written (read-only file, folder or mount).
    ReadOnly,
    /// A bug or an unexpected state inside Sift.
    Internal,
}

impl Code {
    /// The stable string form used in JSON and in CLI `--json` output.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the failure is the user's to fix (exit code 1) rather than Sift's (exit code 2).
    pub fn is_user_error(self) -> bool {
        !matches!(self, Code::Internal)
    }

    /// Whether the same request may succeed later unchanged: once another writer releases
    /// the lock ([`Code::Busy`]) or space is freed ([`Code::StorageFull`]). Clients keep the
    /// work and retry; every other code needs a change first.
    pub fn is_transient(self) -> bool {
        matches!(self, Code::Busy | Code::StorageFull)
    }
}

/// The boundary error: `{ "code": "...", "message": "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct ApiError {
    /// The kind of failure; the UI and scripts branch on this, never on `message`.
    pub code: Code,
    /// A human-readable explanation (naming the file, line or field where there is one);
    /// also the error's `Display` text. Wording may change between versions.
    pub message: String,
}

impl ApiError {
    /// An error with the given `code` and human `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Implemented by library errors that know which [`Code`] they map to.
pub trait ErrorCode {
    /// The boundary [`Code`] this error becomes when it reaches an adapter.
    fn code(&self) -> Code;
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn string_forms_are_the_serde_names() {
        for code in Code::VARIANTS {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json.as_str(), Some(code.as_str()));
            assert_eq!(code.to_string(), code.as_str());
        }
    }

    #[test]
    fn serializes_as_code_and_message() {
        let e = ApiError::new(Code::NotFound, "no item 7");
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"code":"not_found","message":"no item 7"}"#);
        for code in [
            Code::InvalidInput,
            Code::Conflict,
            Code::Forbidden,
            Code::Internal,
            Code::Busy,
            Code::StorageFull,
            Code::ReadOnly,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn storage_codes_are_a_contract_with_the_ui() {
        // The UI's autosave switches on these strings: never rename them.
        assert_eq!(serde_json::to_string(&Code::Busy).unwrap(), r#""busy""#);
        assert_eq!(
            serde_json::to_string(&Code::StorageFull).unwrap(),
            r#""storage_full""#
        );
        assert_eq!(serde_json::to_string(&Code::ReadOnly).unwrap(), r#""read_only""#);
        assert!(Code::Busy.is_transient() && Code::StorageFull.is_transient());
        assert!(!Code::ReadOnly.is_transient() && !Code::Internal.is_transient());
        assert!(Code::Busy.is_user_error() && Code::ReadOnly.is_user_error());
    }

    #[test]
    fn only_internal_is_not_a_user_error() {
        assert!(Code::InvalidInput.is_user_error());
        assert!(!Code::Internal.is_user_error());
    }
}
