//! One shipping pass: a snapshot when none was shipped yet, the schema changed or the newest
//! is older than the configured period (then retention), and every captured change after it
//! in segments of up to [`SEGMENT_CHANGES`] changes, each acknowledged (deleted from the
//! local log) only once the store has it.

use std::path::Path;
use std::time::Duration;

use sift_store::Store;
use sift_store::backup::Change;

use super::BackupConfig;
use super::layout::{SEGMENT_FORMAT, segment_key, snapshot_key};
use crate::sync::{ObjectStore, PutMode, UploadJob, sha256_file, sha256_hex};
use crate::{Error, Project, Result};

/// Most changes in one segment.
pub(super) const SEGMENT_CHANGES: usize = 5000;

/// More unshipped changes than this ship as a snapshot instead.
pub(super) const BULK_CHANGES: i64 = 50_000;

/// How long a claim keeps other processes off a range (a shipper that died frees it then).
const LEASE: Duration = Duration::from_secs(60);

/// What one pass shipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ShipReport {
    /// Changes shipped.
    pub changes: u64,
    /// Segments written.
    pub segments: u32,
    /// Bytes of segments written.
    pub segment_bytes: u64,
    /// The snapshot written, if one was due (its key).
    pub snapshot: Option<String>,
    /// Bytes of that snapshot.
    pub snapshot_bytes: u64,
    /// The newest change now in the bucket (0: none yet).
    pub shipped_seq: i64,
    /// Snapshots expired by retention.
    pub expired: u32,
}

/// Ships what is due from the project file `store` to `remote`, as `owner` (a name unique to
/// this process). Nothing to do when backup is off.
pub fn ship_pending(
    store: &mut Store,
    remote: &dyn ObjectStore,
    config: &BackupConfig,
    owner: &str,
) -> Result<ShipReport> {
    ship(store, remote, config, owner, false)
}

impl Project {
    /// Ships what is due now (the CLI's `sift backup now`; `snapshot`: take a snapshot
    /// whether or not one is due). Backup must be on.
    pub fn backup_ship(&mut self, remote: &dyn ObjectStore, snapshot: bool) -> Result<ShipReport> {
        let config = self
            .backup_config()?
            .filter(|_| self.store.backup_state().is_ok_and(|s| s.enabled));
        let Some(config) = config else {
            return Err(Error::BadRequest(
                "backup is not on for this project: run `sift backup enable --bucket B ...`".into(),
            ));
        };
        let owner = format!("pid-{}", std::process::id());
        ship(&mut self.store, remote, &config, &owner, snapshot)
    }
}

fn ship(
    store: &mut Store,
    remote: &dyn ObjectStore,
    config: &BackupConfig,
    owner: &str,
    force_snapshot: bool,
) -> Result<ShipReport> {
    let mut report = ShipReport::default();
    let state = store.backup_state()?;
    if !state.enabled {
        return Ok(report);
    }
    let schema = store.schema_version()?;
    let now = sift_store::backup::now_ms();
    let due = force_snapshot
        || match state.snapshot {
            None => true,
            Some((_, s, at)) => s != schema || now - at >= config.snapshot_every_s as i64 * 1000,
        };
    // A bulk change (an import of many items) travels as a snapshot, not as rows: its
    // changes are then in the snapshot and need no segments (no point in time inside it).
    let bulk = state.pending > BULK_CHANGES;
    if due || bulk {
        let upto = snapshot(store, remote, &mut report)?;
        if bulk {
            store.backup_shipped(owner, upto)?;
        }
        report.expired = super::expire(remote, config.keep_snapshots as usize)?.snapshots;
    }
    loop {
        let Some(claim) = store.backup_claim(owner, SEGMENT_CHANGES, LEASE)? else {
            break;
        };
        let (Some(first), Some(last)) = (claim.changes.first(), claim.changes.last()) else {
            break;
        };
        let body = segment(&claim.changes, claim.schema);
        let sha = sha256_hex(&body);
        let key = segment_key(first.seq, last.seq, last.at_ms, &sha);
        report.segment_bytes += body.len() as u64;
        remote.put(&key, body, &sha, PutMode::Overwrite)?;
        store.backup_shipped(owner, last.seq)?;
        report.changes += claim.changes.len() as u64;
        report.segments += 1;
        if claim.changes.len() < SEGMENT_CHANGES {
            break;
        }
    }
    report.shipped_seq = store.backup_state()?.shipped_seq;
    Ok(report)
}

/// A segment: the header line, then one line per change.
fn segment(changes: &[Change], schema: u32) -> Vec<u8> {
    let header = serde_json::json!({
        "format": SEGMENT_FORMAT,
        "schema": schema,
        "first": changes.first().map_or(0, |c| c.seq),
        "last": changes.last().map_or(0, |c| c.seq),
        "count": changes.len(),
    });
    let mut out = header.to_string().into_bytes();
    out.push(b'\n');
    for c in changes {
        out.extend_from_slice(c.to_line().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Takes a snapshot beside the project file, uploads it and records it.
/// Returns the newest change the snapshot holds.
fn snapshot(store: &mut Store, remote: &dyn ObjectStore, report: &mut ShipReport) -> Result<i64> {
    let folder = store.path().parent().unwrap_or(Path::new(".")).to_owned();
    let tmp = tempfile::Builder::new()
        .prefix(".backup-snapshot-")
        .suffix(".sift")
        .tempdir_in(&folder)
        .map_err(|e| Error::io("cannot make a snapshot folder", &folder, e))?;
    let file = tmp.path().join("snapshot.sift");
    let info = store.backup_snapshot(&file)?;
    let sha = sha256_file(&file).map_err(|e| Error::io("cannot read the snapshot", &file, e))?;
    let size = std::fs::metadata(&file)
        .map_err(|e| Error::io("cannot read the snapshot", &file, e))?
        .len();
    let key = snapshot_key(info.upto_seq, info.at_ms, &sha);
    let job = UploadJob {
        path: file.clone(),
        key: key.clone(),
        size,
        sha256: sha,
    };
    for done in remote.upload_files(&[job], &|_| {}) {
        done?;
    }
    store.backup_snapshot_shipped(info.upto_seq, info.schema, info.at_ms)?;
    report.snapshot = Some(key);
    report.snapshot_bytes = size;
    Ok(info.upto_seq)
}
