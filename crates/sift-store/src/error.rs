use std::path::PathBuf;

use sift_core::{TimeSpentError, TransitionError};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    AlreadyExists(PathBuf),
    #[error("cannot open {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("{0} is not a Sift project file")]
    NotAProject(PathBuf),
    #[error(
        "this project was written by a newer Sift (schema {found}; this build knows up to {supported}); upgrade Sift to open it"
    )]
    TooNew { found: u32, supported: u32 },
    #[error("migration to schema version {version} failed: {source}")]
    Migration { version: u32, source: rusqlite::Error },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A value the caller passed is out of range; the message names the field.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("{0}")]
    Unsupported(String),
    #[error("the project file is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("unexpected value in the project file: {0}")]
    Value(#[from] rusqlite::types::FromSqlError),
}

impl From<TimeSpentError> for StoreError {
    fn from(e: TimeSpentError) -> Self {
        StoreError::Invalid(e.to_string())
    }
}

impl StoreError {
    pub(crate) fn open(path: &std::path::Path, source: rusqlite::Error) -> Self {
        match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotAProject(path.to_owned()),
            _ => StoreError::Open {
                path: path.to_owned(),
                source,
            },
        }
    }
}
