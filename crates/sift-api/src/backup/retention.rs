//! Retention: keeps the newest `keep` snapshots and deletes older ones together with the
//! change segments that only they need (every change a kept snapshot already holds).

use super::layout::{CHANGES, SNAPSHOTS, parse_segment, parse_snapshot};
use crate::Result;
use crate::sync::ObjectStore;

/// What retention deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExpireReport {
    /// Snapshots deleted.
    pub snapshots: u32,
    /// Segments deleted.
    pub segments: u32,
}

/// Deletes all but the newest `keep` (at least 1) snapshots, and the segments whose changes
/// the oldest kept snapshot already holds.
pub fn expire(remote: &dyn ObjectStore, keep: usize) -> Result<ExpireReport> {
    let mut snapshots: Vec<_> = remote
        .list(SNAPSHOTS)?
        .iter()
        .filter_map(|o| parse_snapshot(&o.key))
        .collect();
    snapshots.sort_by_key(|s| std::cmp::Reverse((s.upto, s.at_ms)));
    let mut report = ExpireReport::default();
    if snapshots.len() <= keep.max(1) {
        return Ok(report);
    }
    let oldest_kept = snapshots[keep.max(1) - 1].upto;
    for old in &snapshots[keep.max(1)..] {
        remote.delete(&old.key)?;
        report.snapshots += 1;
    }
    for seg in remote.list(CHANGES)?.iter().filter_map(|o| parse_segment(&o.key)) {
        if seg.last <= oldest_kept {
            remote.delete(&seg.key)?;
            report.segments += 1;
        }
    }
    Ok(report)
}
