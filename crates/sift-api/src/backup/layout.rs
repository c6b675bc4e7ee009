//! The backup's keys under its prefix, and reading them back (every key is hostile input: a
//! name that does not parse is reported, never trusted).
//!
//! - `snapshots/<upto:020>-<at_ms:013>-<sha256>.sift`: a whole project file holding every
//!   change up to `upto`, taken at `at_ms`;
//! - `changes/<first:020>-<last:020>-<last_at_ms:013>-<sha256>.jsonl`: changes `first..=last`,
//!   the last written at `last_at_ms`: a header line, then one change per line.
//!
//! Each name holds its object's SHA-256: a restore verifies every byte against it. One
//! writer per key: a name is derived from the content, so two shippers of the same range
//! (the first died before acknowledging it) write the same bytes.

/// Folder of snapshots.
pub(super) const SNAPSHOTS: &str = "snapshots/";
/// Folder of change segments.
pub(super) const CHANGES: &str = "changes/";
/// `format` of a segment's header line.
pub(super) const SEGMENT_FORMAT: &str = "sift-backup-changes-1";

/// A snapshot's key, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SnapshotKey {
    pub key: String,
    pub upto: i64,
    pub at_ms: i64,
    pub sha256: String,
}

/// A segment's key, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SegmentKey {
    pub key: String,
    pub first: i64,
    pub last: i64,
    pub last_at_ms: i64,
    pub sha256: String,
}

pub(super) fn snapshot_key(upto: i64, at_ms: i64, sha256: &str) -> String {
    format!("{SNAPSHOTS}{upto:020}-{at_ms:013}-{sha256}.sift")
}

pub(super) fn segment_key(first: i64, last: i64, last_at_ms: i64, sha256: &str) -> String {
    format!("{CHANGES}{first:020}-{last:020}-{last_at_ms:013}-{sha256}.jsonl")
}

fn numbers_and_sha(rest: &str, count: usize) -> Option<(Vec<i64>, String)> {
    let parts: Vec<&str> = rest.split('-').collect();
    if parts.len() != count + 1 {
        return None;
    }
    let nums = parts[..count]
        .iter()
        .map(|p| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                p.parse::<i64>().ok()
            }
        })
        .collect::<Option<Vec<_>>>()?;
    let sha = parts[count];
    crate::sync::parse_sha(sha)?;
    Some((nums, sha.to_owned()))
}

pub(super) fn parse_snapshot(key: &str) -> Option<SnapshotKey> {
    let rest = key.strip_prefix(SNAPSHOTS)?.strip_suffix(".sift")?;
    let (n, sha256) = numbers_and_sha(rest, 2)?;
    Some(SnapshotKey {
        key: key.to_owned(),
        upto: n[0],
        at_ms: n[1],
        sha256,
    })
}

pub(super) fn parse_segment(key: &str) -> Option<SegmentKey> {
    let rest = key.strip_prefix(CHANGES)?.strip_suffix(".jsonl")?;
    let (n, sha256) = numbers_and_sha(rest, 3)?;
    (n[0] <= n[1]).then(|| SegmentKey {
        key: key.to_owned(),
        first: n[0],
        last: n[1],
        last_at_ms: n[2],
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_odd_names_are_refused() {
        let sha = "ab".repeat(32);
        let k = snapshot_key(12, 1_700_000_000_000, &sha);
        assert_eq!(parse_snapshot(&k).unwrap().upto, 12);
        let s = segment_key(3, 9, 5, &sha);
        let p = parse_segment(&s).unwrap();
        assert_eq!((p.first, p.last, p.last_at_ms), (3, 9, 5));
        assert!(parse_segment(&segment_key(9, 3, 5, &sha)).is_none());
        assert!(parse_snapshot("snapshots/1-2-zz.sift").is_none());
        assert!(parse_segment("changes/../1-2-3-x.jsonl").is_none());
        assert!(parse_segment(&format!("changes/+1-2-3-{sha}.jsonl")).is_none());
    }
}
