//! The API's error type and its mapping to the boundary error codes adapters send.

use std::path::PathBuf;

use sift_error::{ApiError, Code, ErrorCode};
use sift_store::{StorageFault, StoreError};

/// A use case's result; fails with [`Error`] unless told otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a use case can fail with. Adapters turn it into [`ApiError`] with
/// [`Error::to_api_error`] (or `From`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The project file failed (busy, full, read-only, conflicting, corrupt, ...).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template that cannot be parsed or breaks the template rules; the message lists
    /// every problem with its key path.
    #[error("{0}")]
    Template(String),
    /// A manifest line (or task) that cannot be imported.
    #[error("{file}:{line}: {reason}")]
    Manifest {
        /// The manifest file as given.
        file: String,
        /// The line (1-based) of the bad record.
        line: u64,
        /// What is wrong with it, naming the field.
        reason: String,
    },
    /// A manifest that cannot be read at all.
    #[error("{file}: {reason}")]
    ManifestFile {
        /// The manifest file as given.
        file: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// A file or folder operation failed.
    #[error("{context} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `cannot read template`.
        context: &'static str,
        /// The file or folder it was done to.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A payload that breaks the template's rules; every violation is listed.
    #[error("the annotation is not valid:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<sift_template::Violation>),
    /// Arguments or options that cannot work (the message says which and why).
    #[error("{0}")]
    BadRequest(String),
    /// Something named that does not exist; the message names it (`item 12`), and the
    /// display adds "not found".
    #[error("{0} not found")]
    NotFound(String),
    /// No valid access token.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller's role or ownership does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The project's state does not allow it now (already exists, stale version, ...).
    #[error("{0}")]
    Conflict(String),
    /// A fault that is not the caller's: stored data that cannot be read back, no
    /// randomness for a token, a broken invariant.
    #[error("internal error: {0}")]
    Internal(String),
    /// An optional runtime (ONNX Runtime, a CUDA device) is missing or unusable.
    #[error("{0}")]
    Unavailable(String),
}

impl Error {
    pub(crate) fn io(context: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            context,
            path: path.into(),
            source,
        }
    }

    /// The boundary error adapters send: the code for this error and its message.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::new(self.code(), self.to_string())
    }
}

impl ErrorCode for Error {
    fn code(&self) -> Code {
        match self {
            Error::Store(e) => match e {
                StoreError::AlreadyExists(_) | StoreError::Conflict(_) | StoreError::Transition(_) => {
                    Code::Conflict
                }
                StoreError::NotFound(_) => Code::NotFound,
                StoreError::NotAProject(_) | StoreError::TooNew { .. } | StoreError::Invalid(_) => {
                    Code::InvalidInput
                }
                StoreError::Open { .. } | StoreError::Copy { .. } => Code::Io,
                StoreError::Storage { fault, .. } => storage_code(*fault),
                StoreError::Unsupported(_) => Code::Unavailable,
                StoreError::Corrupt(_)
                | StoreError::Migration { .. }
                | StoreError::Sqlite(_)
                | StoreError::Value(_) => Code::Internal,
            },
            Error::Template(_)
            | Error::Manifest { .. }
            | Error::ManifestFile { .. }
            | Error::Invalid(_)
            | Error::BadRequest(_) => Code::InvalidInput,
            Error::Io { source, .. } => StorageFault::of_io(source).map_or(Code::Io, storage_code),
            Error::NotFound(_) => Code::NotFound,
            Error::Unauthenticated(_) => Code::Unauthenticated,
            Error::Forbidden(_) => Code::Forbidden,
            Error::Conflict(_) => Code::Conflict,
            Error::Internal(_) => Code::Internal,
            Error::Unavailable(_) => Code::Unavailable,
        }
    }
}

/// Busy, full and read-only storage have codes of their own: clients keep the work and
/// retry (busy, full) or say the project cannot be changed (read-only).
fn storage_code(fault: StorageFault) -> Code {
    match fault {
        StorageFault::Busy => Code::Busy,
        StorageFault::Full => Code::StorageFull,
        StorageFault::ReadOnly => Code::ReadOnly,
    }
}

impl Error {
    /// The rules a rejected payload breaks, for adapters that show them field by field.
    pub fn violations(&self) -> Option<&[sift_template::Violation]> {
        match self {
            Error::Invalid(v) => Some(v),
            _ => None,
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        e.to_api_error()
    }
}
