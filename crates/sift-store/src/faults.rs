//! Faults of the storage under a project file — another writer holding the lock, a full
//! disk, a file or folder that cannot be written — told apart from Sift's own errors, so
//! clients can keep the work and retry (or say what to fix) instead of giving up.
//!
//! SQLite reports them as result codes without the file; the store adds the project file's
//! path where the error leaves it ([`InFile`]).

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

use crate::{Result, StoreError};

/// What is wrong with the storage under the project file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    /// Another connection holds the write lock (SQLite busy or locked) for longer than the
    /// busy timeout. Transient.
    Busy,
    /// The disk is full (SQLite full, `ENOSPC`, a quota). Nothing already saved is lost.
    Full,
    /// The file, its folder or the file system cannot be written.
    ReadOnly,
}

impl StorageFault {
    /// The fault an SQLite error stands for, if it is one.
    pub fn of_sqlite(e: &rusqlite::Error) -> Option<StorageFault> {
        match e.sqlite_error_code()? {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(StorageFault::Busy),
            ErrorCode::DiskFull => Some(StorageFault::Full),
            ErrorCode::ReadOnly => Some(StorageFault::ReadOnly),
            _ => None,
        }
    }

    /// The fault an I/O error stands for, if it is one.
    pub fn of_io(e: &std::io::Error) -> Option<StorageFault> {
        use std::io::ErrorKind;
        match e.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Some(StorageFault::Full),
            ErrorKind::ReadOnlyFilesystem => Some(StorageFault::ReadOnly),
            _ => None,
        }
    }

    /// The message for `file` (the project file, when known).
    pub(crate) fn message(self, file: Option<&Path>, detail: &str) -> String {
        let file = file.map_or_else(|| "the project file".to_owned(), |p| p.display().to_string());
        match self {
            StorageFault::Busy => format!(
                "{file} is locked by another writer (for example a running `sift import`); \
                 nothing was changed: try again when it finishes ({detail})"
            ),
            StorageFault::Full => format!(
                "the disk holding {file} is full; nothing was changed and nothing saved before is lost: \
                 free some space and try again ({detail})"
            ),
            StorageFault::ReadOnly => {
                format!("{file} cannot be written: the file or its folder is read-only ({detail})")
            }
        }
    }
}

/// Names the project file in a storage fault that left SQLite without it.
pub(crate) trait InFile {
    fn in_file(self, path: &Path) -> Self;
}

impl crate::Store {
    /// Runs `write` on this store and names the project file in a storage fault it meets:
    /// what the public writes go through.
    pub(crate) fn write_in_file<T>(&mut self, write: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let done = write(self);
        done.in_file(&self.path)
    }
}

impl<T> InFile for Result<T> {
    fn in_file(self, path: &Path) -> Self {
        self.map_err(|e| match e {
            StoreError::Storage {
                fault,
                path: None,
                detail,
            } => StoreError::Storage {
                fault,
                path: Some(path.to_owned()),
                detail,
            },
            other => other,
        })
    }
}

/// Whether this process may write `path` (permissions, read-only mounts, immutable files).
#[cfg(unix)]
pub(crate) fn writable(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
}

/// Whether this process may write `path`.
#[cfg(not(unix))]
pub(crate) fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

/// The folder holding `file` (`.` for a bare file name).
pub(crate) fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// `file:` URI of `path` for SQLite, every byte outside the unreserved set percent-encoded.
pub(crate) fn file_uri(path: &Path, query: Option<&str>) -> String {
    use std::fmt::Write as _;
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().as_bytes().to_vec();
    let mut uri = String::from("file:");
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(uri, "%{b:02X}");
        }
    }
    if let Some(query) = query {
        uri.push('?');
        uri.push_str(query);
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_map_to_faults() {
        let err = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert_eq!(
            StorageFault::of_sqlite(&err(rusqlite::ffi::SQLITE_BUSY)),
            Some(StorageFault::Busy)
        );
        assert_eq!(
            StorageFault::of_sqlite(&err(rusqlite::ffi::SQLITE_LOCKED)),
            Some(StorageFault::Busy)
        );
        assert_eq!(
            StorageFault::of_sqlite(&err(rusqlite::ffi::SQLITE_FULL)),
            Some(StorageFault::Full)
        );
        assert_eq!(
            StorageFault::of_sqlite(&err(rusqlite::ffi::SQLITE_READONLY_DIRECTORY)),
            Some(StorageFault::ReadOnly)
        );
        assert_eq!(
            StorageFault::of_sqlite(&err(rusqlite::ffi::SQLITE_CONSTRAINT)),
            None
        );
        let io = std::io::Error::from_raw_os_error(28); // ENOSPC
        assert_eq!(StorageFault::of_io(&io), Some(StorageFault::Full));
        let io = std::io::Error::from_raw_os_error(30); // EROFS
        assert_eq!(StorageFault::of_io(&io), Some(StorageFault::ReadOnly));
    }

    #[test]
    fn uris_encode_every_special_byte() {
        assert_eq!(
            file_uri(Path::new("/tmp/a b/p?#%.sift"), Some("immutable=1")),
            "file:/tmp/a%20b/p%3F%23%25.sift?immutable=1"
        );
    }
}
