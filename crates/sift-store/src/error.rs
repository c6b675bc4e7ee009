//! The store's error type. Storage faults (busy, full, read-only) are told apart from
//! Sift's own errors wherever an SQLite error is converted (see `faults.rs`).

use std::path::PathBuf;

use sift_core::{TimeSpentError, TransitionError};

use crate::StorageFault;

/// The store's result type: [`StoreError`] unless another error is named.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// [`Store::create`](crate::Store::create) was given a path that already exists; holds
    /// the path. Nothing was written.
    #[error("{0} already exists")]
    AlreadyExists(PathBuf),
    /// SQLite could not open the file (other than a storage fault or a non-database file).
    #[error("cannot open {path}: {source}")]
    Open {
        /// The project file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file is not an SQLite database, or one without Sift's `application_id`; holds
    /// the path. The file is left untouched.
    #[error("{0} is not a Sift project file")]
    NotAProject(PathBuf),
    /// The file's schema is newer than this build knows; it is refused, not changed.
    #[error(
        "this project was written by a newer Sift (schema {found}; this build knows up to {supported}); upgrade Sift to open it"
    )]
    TooNew {
        /// The file's schema version (`PRAGMA user_version`).
        found: u32,
        /// The newest schema this build knows, [`SCHEMA_VERSION`](crate::SCHEMA_VERSION).
        supported: u32,
    },
    /// A migration step failed; all pending migrations share one transaction, so the file
    /// is left as it was.
    #[error("migration to schema version {version} failed: {source}")]
    Migration {
        /// The schema version the failed step was migrating to.
        version: u32,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The copy made before migrating failed; the project was not migrated.
    #[error("cannot copy the project to {copy} before migrating it (it was left as it was): {source}")]
    Copy {
        /// Where the copy was being written.
        copy: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A row the caller named does not exist; holds what was looked for (e.g. `item 7`).
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the stored state (judging a version that is not the
    /// latest submission, a finished import, a name already taken); holds the explanation.
    #[error("{0}")]
    Conflict(String),
    /// A value the caller passed is out of range; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The review state machine refused the action (e.g. approving a draft).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The file system cannot hold a project as Sift needs it (e.g. it refuses WAL mode);
    /// holds the explanation.
    #[error("{0}")]
    Unsupported(String),
    /// The file's contents are inconsistent: SQLite's integrity check failed, or a stored
    /// value does not have the shape it must have; holds the details.
    #[error("the project file is damaged: {0}")]
    Corrupt(String),
    /// Busy, full or read-only storage under the project file (not Sift's fault; the
    /// message names the cause and, when known, the file).
    #[error("{}", fault.message(path.as_deref(), detail))]
    Storage {
        /// Which fault: busy, full or read-only.
        fault: StorageFault,
        /// The project file, when known.
        path: Option<PathBuf>,
        /// What SQLite or the OS said.
        detail: String,
    },
    /// Any other SQLite error (a bug in Sift, or a file changed by another program).
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// A stored value could not be converted to its Rust type (wrong type or out of range).
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
