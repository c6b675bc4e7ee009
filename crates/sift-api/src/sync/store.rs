//! The [`ObjectStore`] trait that moves bytes to and from one bucket and prefix (`sift-s3`
//! implements it for S3; [`crate::memory_store`] in memory for tests), the jobs it runs and
//! its errors, by what the user can do about them.

use std::path::PathBuf;

use serde::Serialize;

use crate::Error;

/// What went wrong talking to the object store, by what the user can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteErrorKind {
    /// Missing, wrong or expired credentials.
    Credentials,
    /// Known credentials without the permission.
    Forbidden,
    /// The bucket does not exist.
    NoBucket,
    /// The endpoint cannot be reached (refused, DNS, timeout).
    Unreachable,
    /// The store kept asking to slow down after every retry.
    Throttled,
    /// The store kept failing (5xx) after every retry.
    Server,
    /// The object is missing.
    NotFound,
    /// The bytes do not match their checksum or size.
    Integrity,
    /// The object is larger than Sift reads into memory for it.
    TooLarge,
    /// A local file could not be read or written.
    Io,
    /// Anything else.
    Other,
}

/// An object-store failure with a message fit for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RemoteError {
    /// What sort of failure, which decides the API error it becomes.
    pub kind: RemoteErrorKind,
    /// What happened, in words fit for the user.
    pub message: String,
}

impl RemoteError {
    /// A failure of `kind` described by `message`.
    pub fn new(kind: RemoteErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl From<RemoteError> for Error {
    fn from(e: RemoteError) -> Self {
        match e.kind {
            RemoteErrorKind::Credentials => Error::Unauthenticated(e.message),
            RemoteErrorKind::Forbidden => Error::Forbidden(e.message),
            RemoteErrorKind::NoBucket | RemoteErrorKind::NotFound => Error::NotFound(e.message),
            RemoteErrorKind::Unreachable | RemoteErrorKind::Throttled | RemoteErrorKind::Server => {
                Error::Unavailable(e.message)
            }
            RemoteErrorKind::Integrity => Error::Conflict(e.message),
            RemoteErrorKind::TooLarge => Error::BadRequest(e.message),
            RemoteErrorKind::Io => Error::Internal(e.message),
            RemoteErrorKind::Other => Error::Unavailable(e.message),
        }
    }
}

/// A listed object. Keys are relative to the configured prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    /// The key, relative to the configured prefix.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// The store's entity tag, if it gave one (changes when the object does).
    pub etag: Option<String>,
}

/// A fetched object.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The object's bytes.
    pub body: Vec<u8>,
    /// The store's entity tag, if it gave one.
    pub etag: Option<String>,
    /// The SHA-256 (hex) the writer recorded in the object's metadata, if any.
    pub sha256: Option<String>,
}

/// Whether a write may replace an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// Write whether or not the key exists.
    Overwrite,
    /// Sends `If-None-Match: *` (a guard only: stores such as Garage ignore it).
    IfAbsent,
}

/// The result of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// The object was stored.
    Written {
        /// The new object's entity tag, if the store gave one.
        etag: Option<String>,
    },
    /// `IfAbsent` and the store refused because the key exists.
    AlreadyExists,
}

/// A local file to upload.
#[derive(Debug, Clone)]
pub struct UploadJob {
    /// The local file.
    pub path: PathBuf,
    /// The key to write it under, relative to the configured prefix.
    pub key: String,
    /// The file's size in bytes (it decides single or multipart upload).
    pub size: u64,
    /// SHA-256 of the file (hex): sent as the object's checksum and recorded in its metadata.
    pub sha256: String,
}

/// A finished upload.
#[derive(Debug, Clone, Default)]
pub struct UploadDone {
    /// The new object's entity tag, if the store gave one.
    pub etag: Option<String>,
    /// Parts of an interrupted multipart upload that were found on the store and reused.
    pub resumed_parts: u32,
}

/// An object to download to a local file (written to a temporary file, verified, renamed).
#[derive(Debug, Clone)]
pub struct DownloadJob {
    /// The object's key, relative to the configured prefix.
    pub key: String,
    /// The local file to create.
    pub dest: PathBuf,
    /// The object's size: a download never writes more than this.
    pub size: u64,
    /// Expected SHA-256 (hex) of the whole object.
    pub sha256: String,
}

/// A finished download.
#[derive(Debug, Clone, Default)]
pub struct DownloadDone {
    /// Bytes already present from an interrupted download (0 when it started afresh).
    pub resumed_from: u64,
}

/// Moves bytes to and from one bucket and prefix. `sift-s3` implements it for S3.
pub trait ObjectStore: Sync {
    /// `s3://bucket/prefix` and the endpoint, for messages.
    fn location(&self) -> String;
    /// Every object whose key starts with `prefix`, in key order.
    fn list(&self, prefix: &str) -> std::result::Result<Vec<RemoteObject>, RemoteError>;
    /// A whole object, or `None` when it does not exist. An object larger than `max_bytes`
    /// is refused ([`RemoteErrorKind::TooLarge`]) without reading more than that into memory.
    fn get(&self, key: &str, max_bytes: u64) -> std::result::Result<Option<Fetched>, RemoteError>;
    /// Writes a small object; `sha256` (hex) is sent as its checksum and kept in its metadata.
    fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        sha256: &str,
        mode: PutMode,
    ) -> std::result::Result<PutOutcome, RemoteError>;
    /// Uploads files concurrently (multipart for large ones, resuming interrupted ones);
    /// `progress` receives bytes transferred so far. One result per job, in order.
    fn upload_files(
        &self,
        jobs: &[UploadJob],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<std::result::Result<UploadDone, RemoteError>>;
    /// Downloads objects concurrently, resuming interrupted ones. One result per job, in order.
    fn download_files(
        &self,
        jobs: &[DownloadJob],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<std::result::Result<DownloadDone, RemoteError>>;
    /// Deletes an object (a missing one is no error). Backup retention uses it; a store that
    /// cannot delete says so.
    fn delete(&self, key: &str) -> std::result::Result<(), RemoteError> {
        Err(RemoteError::new(
            RemoteErrorKind::Other,
            format!("{}: this store cannot delete {key}", self.location()),
        ))
    }
    /// The same store, credentials and prefix on another bucket (an annotator's own results
    /// bucket).
    fn sibling(&self, bucket: &str) -> std::result::Result<Box<dyn ObjectStore>, RemoteError>;
}

/// `key` is larger than the `max` bytes it may be read into memory with.
pub fn too_large(key: &str, size: u64, max: u64) -> RemoteError {
    RemoteError::new(
        RemoteErrorKind::TooLarge,
        format!(
            "{key}: {size} bytes or more, larger than the {max} bytes Sift reads into memory for it; not read"
        ),
    )
}
