//! S3 sync between a lead and annotators.
//!
//! This module knows the layout and the merge rules but no S3 client: an [`ObjectStore`]
//! (`sift-s3` implements it with the AWS SDK) moves the bytes. Every key has exactly one
//! writer, so correctness never rests on conditional writes (Garage ignores them); the keys
//! are listed in `layout.rs`. A pull applies each remote object in one transaction together
//! with the row recording it as pulled, and the lead merges versions by (item, annotator,
//! version): pulling twice, pulling a segment that repeats versions, or pulling again after
//! a crash adds nothing twice.
//!
//! - `config`: [`SyncConfig`] and [`SyncRole`], kept in the project's settings;
//! - `store`: the [`ObjectStore`] trait, its jobs and its errors;
//! - `layout` and `wire`: the remote keys, the documents and their parsers;
//! - `run`: one push or pull ([`SyncOptions`], [`SyncReport`], the run context);
//! - `push`, `pull`, `media`: the directions; `status`: what is waiting;
//! - `round`: both directions in the order the role needs ([`Project::sync_round`]).
//!
//! [`Project::sync_round`]: crate::Project::sync_round

pub(crate) mod config;
mod digest;
pub(crate) mod layout;
mod media;
#[cfg(any(test, feature = "memory-store"))]
pub mod memory_store;
mod pool_media;
mod pull;
mod push;
mod recover;
mod round;
mod run;
mod status;
mod store;
#[cfg(test)]
mod tests;
mod wire;

pub(crate) use config::is_key_segment;
pub use config::{SyncConfig, SyncRole};
pub use digest::{parse_sha, sha256_file, sha256_hex};
pub use layout::LAYOUT_VERSION;
pub use pull::join_project;
pub use round::{RoundError, SyncDirection};
pub use run::{SyncOptions, SyncReport};
pub use status::SyncStatus;
pub use store::{
    DownloadDone, DownloadJob, Fetched, ObjectStore, PutMode, PutOutcome, RemoteError, RemoteErrorKind,
    RemoteObject, UploadDone, UploadJob, too_large,
};
pub(crate) use wire::check_line_length as check_line;
