//! `sift backup status`: what this file has captured and shipped, and the chain in the
//! bucket (snapshots, newest change shipped and its age).

use serde::Serialize;

use super::layout::{CHANGES, SNAPSHOTS, parse_segment, parse_snapshot};
use crate::sync::ObjectStore;
use crate::{Project, Result};

/// One snapshot in the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteSnapshot {
    /// Its key.
    pub key: String,
    /// The newest change it holds.
    pub upto_seq: i64,
    /// When it was taken (Unix ms).
    pub at_ms: i64,
    /// Its size in bytes.
    pub size: u64,
}

/// Where a project's backup stands.
#[derive(Debug, Clone, Serialize)]
pub struct BackupStatus {
    /// Whether changes are captured.
    pub enabled: bool,
    /// `s3://bucket/prefix`, when configured.
    pub location: Option<String>,
    /// Changes captured, not yet shipped.
    pub pending: i64,
    /// Age of the oldest unshipped change in seconds.
    pub oldest_pending_age_s: Option<f64>,
    /// The newest change shipped (from this file's record).
    pub shipped_seq: i64,
    /// The newest change in the bucket and when it was written (Unix ms).
    pub last_remote_change: Option<(i64, i64)>,
    /// Its age in seconds.
    pub last_remote_age_s: Option<f64>,
    /// Snapshots in the bucket, oldest first.
    pub snapshots: Vec<RemoteSnapshot>,
    /// Change segments in the bucket.
    pub segments: usize,
    /// Their bytes in all.
    pub segment_bytes: u64,
}

/// What the bucket holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteChain {
    /// Snapshots, oldest first.
    pub snapshots: Vec<RemoteSnapshot>,
    /// The newest change shipped and when it was written (Unix ms).
    pub last_change: Option<(i64, i64)>,
    /// Change segments.
    pub segments: usize,
    /// Their bytes in all.
    pub segment_bytes: u64,
}

/// The chain in the bucket: snapshots, the newest change, the segments.
pub fn remote_chain(remote: &dyn ObjectStore) -> Result<RemoteChain> {
    let mut snapshots: Vec<RemoteSnapshot> = remote
        .list(SNAPSHOTS)?
        .into_iter()
        .filter_map(|o| {
            parse_snapshot(&o.key).map(|s| RemoteSnapshot {
                key: s.key,
                upto_seq: s.upto,
                at_ms: s.at_ms,
                size: o.size,
            })
        })
        .collect();
    snapshots.sort_by_key(|s| (s.upto_seq, s.at_ms));
    let listed = remote.list(CHANGES)?;
    let bytes = listed.iter().map(|o| o.size).sum();
    let segments: Vec<_> = listed.iter().filter_map(|o| parse_segment(&o.key)).collect();
    let last = segments.iter().map(|s| (s.last, s.last_at_ms)).max();
    Ok(RemoteChain {
        snapshots,
        last_change: last,
        segments: segments.len(),
        segment_bytes: bytes,
    })
}

impl Project {
    /// Where backup stands: this file's log, and the bucket's chain when `remote` is given.
    pub fn backup_status(&self, remote: Option<&dyn ObjectStore>) -> Result<BackupStatus> {
        let state = self.store.backup_state()?;
        let config = self.backup_config()?;
        let now = sift_store::backup::now_ms();
        let age = |ms: i64| (now - ms).max(0) as f64 / 1000.0;
        let chain = match remote {
            Some(r) => remote_chain(r)?,
            None => RemoteChain {
                snapshots: Vec::new(),
                last_change: None,
                segments: 0,
                segment_bytes: 0,
            },
        };
        let last = chain.last_change;
        Ok(BackupStatus {
            enabled: state.enabled && config.is_some(),
            location: config.map(|c| c.location()),
            pending: state.pending,
            oldest_pending_age_s: state.oldest_pending_ms.map(age),
            shipped_seq: state.shipped_seq,
            last_remote_change: last,
            last_remote_age_s: last.map(|(_, at)| age(at)),
            snapshots: chain.snapshots,
            segments: chain.segments,
            segment_bytes: chain.segment_bytes,
        })
    }
}
