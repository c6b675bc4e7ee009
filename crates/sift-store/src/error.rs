//! The store's error type. Storage faults (busy, full, read-only) are told apart from
//! Sift's own errors wherever an SQLite error is converted (see `faults.rs`).

use std::path::PathBuf;

use sift_core::{TimeSpentError, TransitionError};

use crate::StorageFault;

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
    /// The copy made before migrating failed; the project was not migrated.
    #[error("cannot copy the project to {copy} before migrating it (it was left as it was): {source}")]
    Copy { copy: PathBuf, source: rusqlite::Error },
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
    /// Busy, full or read-only storage under the project file (not Sift's fault; the
    /// message names the cause and, when known, the file).
    #[error("{}", fault.message(path.as_deref(), detail))]
    Storage {
        fault: StorageFault,
        path: Option<PathBuf>,
        /// What SQLite or the OS said.
        detail: String,
    },
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("unexpected value in the project file: {0}")]
    Value(#[from] rusqlite::types::FromSqlError),
}

impl From<TimeSpentError> for StoreError {
    fn from(e: TimeSpentError) -> Self {
        StoreError::Invalid(e.to_string())
    }
}

/// SQLite errors: storage faults get their own variant (the path is added by the store,
/// see `InFile`); everything else is a database error.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match StorageFault::of_sqlite(&e) {
            Some(fault) => StoreError::Storage {
                fault,
                path: None,
                detail: e.to_string(),
            },
            None => StoreError::Sqlite(e),
        }
    }
}

impl StoreError {
    pub(crate) fn open(path: &std::path::Path, source: rusqlite::Error) -> Self {
        if let Some(fault) = StorageFault::of_sqlite(&source) {
            return StoreError::storage(fault, path, source.to_string());
        }
        match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotAProject(path.to_owned()),
            _ => StoreError::Open {
                path: path.to_owned(),
                source,
            },
        }
    }

    pub(crate) fn migration(path: &std::path::Path, version: u32, source: rusqlite::Error) -> Self {
        match StorageFault::of_sqlite(&source) {
            Some(fault) => StoreError::storage(
                fault,
                path,
                format!("while migrating to schema version {version}: {source}"),
            ),
            None => StoreError::Migration { version, source },
        }
    }

    pub(crate) fn copy(path: &std::path::Path, copy: &std::path::Path, source: rusqlite::Error) -> Self {
        match StorageFault::of_sqlite(&source) {
            Some(fault) => StoreError::storage(
                fault,
                path,
                format!(
                    "while copying it to {} before migrating: {source}",
                    copy.display()
                ),
            ),
            None => StoreError::Copy {
                copy: copy.to_owned(),
                source,
            },
        }
    }

    pub(crate) fn storage(fault: StorageFault, path: &std::path::Path, detail: impl Into<String>) -> Self {
        StoreError::Storage {
            fault,
            path: Some(path.to_owned()),
            detail: detail.into(),
        }
    }

    /// The storage fault this is, if it is one.
    pub fn storage_fault(&self) -> Option<StorageFault> {
        match self {
            StoreError::Storage { fault, .. } => Some(*fault),
            _ => None,
        }
    }
}
