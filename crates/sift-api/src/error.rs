use std::path::PathBuf;

use sift_error::{ApiError, Code, ErrorCode};
use sift_store::{StorageFault, StoreError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a use case can fail with. Adapters turn it into [`ApiError`] with
/// [`Error::to_api_error`] (or `From`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Template(String),
    /// A manifest line (or task) that cannot be imported.
    #[error("{file}:{line}: {reason}")]
    Manifest { file: String, line: u64, reason: String },
    /// A manifest that cannot be read at all.
    #[error("{file}: {reason}")]
    ManifestFile { file: String, reason: String },
    #[error("{context} {}: {source}", path.display())]
    Io {
        context: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A payload that breaks the template's rules; every violation is listed.
    #[error("the annotation is not valid:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<sift_template::Violation>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
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
