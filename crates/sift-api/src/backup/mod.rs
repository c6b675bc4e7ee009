//! Continuous backup of a project to a bucket, and restoring it (docs/backup.md).
//!
//! The store captures every committed row change (`sift_store::backup`); this module ships
//! them, restores, reports and expires. No S3 client here: an [`ObjectStore`] moves bytes.
//!
//! - `config`: [`BackupConfig`] (bucket, prefix, encryption, snapshot period, retention),
//!   kept in the project's settings; turning backup on and off;
//! - `layout`: the keys (`snapshots/…`, `changes/…`, each naming its SHA-256);
//! - `ship`: one shipping pass (a snapshot when due, then every captured change in segments);
//! - `shipper`: the background thread a writing process runs, woken by commits, debounced;
//! - `recovery`: the offer a window makes for a project in the bucket but not on disk, and
//!   recovering it there (restore, then backup on again);
//! - `restore`: newest valid snapshot at or before a time plus the changes after it;
//! - `status` and `retention`: what was shipped, the snapshot chain, expiring old snapshots.
//!
//! [`ObjectStore`]: crate::sync::ObjectStore

mod config;
mod layout;
mod recovery;
mod restore;
mod retention;
mod ship;
mod shipper;
mod status;
#[cfg(test)]
mod tests;

pub use config::{BackupConfig, Encryption};
pub use recovery::{Recovered, RecoveryOffer, recover, recovery_offer};
pub use restore::{RestoreReport, format_ms, parse_time, restore};
pub use retention::{ExpireReport, expire};
pub use ship::{ShipReport, ship_pending};
pub use shipper::{CommitSignal, Shipper, ShipperState};
pub use sift_store::backup::{TableRows, backed_up_rows};
pub use status::{BackupStatus, RemoteChain, RemoteSnapshot, remote_chain};
