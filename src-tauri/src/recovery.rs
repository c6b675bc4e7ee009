//! Recovering a project from its backup in the window (issue 20, docs/desktop.md): a recent
//! project whose folder has gone, but whose backup settings were remembered with the recent
//! entry (bucket, prefix, endpoint, region, profile: never a secret), is offered back when
//! its bucket holds a backup of it; restoring it rebuilds it in the same folder and opens it.
//! The work is `sift_api::backup`'s (`recovery_offer`, `recover`); the store is reached the
//! way sync reaches it ([`Syncer`]'s connector: credentials from the AWS chain), on a
//! blocking thread. Only folders from the recent list can be restored into: the page never
//! names a folder of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use sift_api::Me;
use sift_api::backup::{Recovered, recover, recovery_offer};
use sift_error::Code;

use crate::error::CommandError;
use crate::recent::RecentProject;
use crate::sync::Connect;

/// A recent project that is not on this disk but whose bucket holds a backup of it.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryCandidate {
    /// The folder it lived in (and is restored into).
    pub path: PathBuf,
    pub name: String,
    pub kind: String,
    /// `s3://bucket/prefix` of its backup.
    pub location: String,
    /// When the newest change in the backup was written (Unix ms); `None` when the bucket
    /// could not be asked (see `error`).
    pub last_change_ms: Option<i64>,
    /// Its age in seconds when asked.
    pub last_change_age_s: Option<f64>,
    /// Why the bucket could not be asked (credentials, network); the offer stands, so the
    /// person can fix it and try again.
    pub error: Option<String>,
}

/// What `restore_project` did: the project as opened, and the restore's report.
#[derive(Debug, Clone, Serialize)]
pub struct RestoredProject {
    pub me: Me,
    /// Changes applied after the snapshot.
    pub changes: u64,
    /// When the newest restored change was written (Unix ms), if any was applied.
    pub last_change_ms: Option<i64>,
    /// Damaged or missing objects the restore went around.
    pub problems: Vec<String>,
    /// Whether backup is on again (to the same bucket and prefix).
    pub backup_resumed: bool,
}

/// One restore at a time in this process.
static RESTORING: AtomicBool = AtomicBool::new(false);

/// Clears [`RESTORING`] however the restore ends.
struct Restoring;

impl Drop for Restoring {
    fn drop(&mut self) {
        RESTORING.store(false, Ordering::Release);
    }
}

/// Runs `work` on a blocking thread (the S3 client drives a runtime of its own).
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::new(Code::Internal, format!("the restore stopped unexpectedly: {e}")))?
}

/// The recent projects that can be recovered: folder gone, backup settings known, and a
/// backup in the bucket (a bucket that could not be asked is reported with the entry).
pub async fn candidates(
    recent: Vec<RecentProject>,
    connect: Arc<Connect>,
) -> Result<Vec<RecoveryCandidate>, CommandError> {
    blocking(move || {
        let mut out = Vec::new();
        for entry in recent.into_iter().filter(|e| !e.exists) {
            let Some(backup) = entry.backup else { continue };
            let mut candidate = RecoveryCandidate {
                path: entry.path,
                name: entry.name,
                kind: entry.kind,
                location: backup.location(),
                last_change_ms: None,
                last_change_age_s: None,
                error: None,
            };
            let offer = connect(&backup.connection())
                .map_err(sift_api::Error::from)
                .and_then(|remote| recovery_offer(remote.as_ref()));
            match offer {
                Ok(Some(offer)) => {
                    candidate.last_change_ms = Some(offer.last_change_ms);
                    candidate.last_change_age_s = Some(offer.last_change_age_s);
                }
                // Nothing to restore from: no offer.
                Ok(None) => continue,
                Err(e) => candidate.error = Some(e.to_string()),
            }
            out.push(candidate);
        }
        Ok(out)
    })
    .await
}

/// Restores the recent project `entry` (folder gone, backup known) into its folder. A
/// second restore while one runs is refused.
pub async fn restore(entry: RecentProject, connect: Arc<Connect>) -> Result<Recovered, CommandError> {
    let Some(backup) = entry.backup else {
        return Err(CommandError::new(
            Code::NotFound,
            format!("{}: no backup is known for this project", entry.path.display()),
        ));
    };
    if RESTORING.swap(true, Ordering::AcqRel) {
        return Err(CommandError::new(
            Code::Conflict,
            "a restore is already running: wait for it to finish",
        ));
    }
    let guard = Restoring;
    blocking(move || {
        let _guard = guard;
        let remote = connect(&backup.connection()).map_err(sift_api::Error::from)?;
        Ok(recover(remote.as_ref(), &entry.path)?)
    })
    .await
}
