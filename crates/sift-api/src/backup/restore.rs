//! Restoring a project from its backup: the newest snapshot at or before the chosen time
//! whose bytes match the SHA-256 in its name (a damaged or truncated one is reported and the
//! one before it is tried), then every change after it up to that time, segment by segment,
//! each verified the same way; a damaged segment is skipped when another covers its changes,
//! else the restore stops there and says which changes it could not include. The result
//! passes SQLite's integrity check and opens as a project.

use std::path::{Path, PathBuf};

use sift_store::backup::{Change, Restorer};

use super::layout::{CHANGES, SEGMENT_FORMAT, SNAPSHOTS, SegmentKey, parse_segment, parse_snapshot};
use crate::sync::{DownloadJob, ObjectStore, sha256_file, sha256_hex};
use crate::{Error, PROJECT_FILE, Project, Result};

/// Largest segment read into memory.
const MAX_SEGMENT_BYTES: u64 = 512 * 1024 * 1024;

/// What a restore did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    /// The restored project file.
    pub file: PathBuf,
    /// The snapshot it started from.
    pub snapshot: String,
    /// Changes applied after the snapshot.
    pub changes: u64,
    /// The newest change the file holds.
    pub last_seq: i64,
    /// When the newest applied change was written (Unix ms), if any was applied.
    pub last_change_ms: Option<i64>,
    /// Damaged, unreadable or unusable objects, and changes that could not be included.
    pub problems: Vec<String>,
}

/// A restore time: RFC 3339 (`2026-12-05T20:14:00Z`, any offset) or Unix milliseconds.
pub fn parse_time(text: &str) -> Result<i64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse()
            .map_err(|_| Error::BadRequest(format!("time {text:?}: too large")));
    }
    let parsed =
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).map_err(|e| {
            Error::BadRequest(format!(
                "time {text:?}: {e}; give RFC 3339 (2026-12-05T20:14:00Z) or Unix milliseconds"
            ))
        })?;
    Ok((parsed.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Unix milliseconds as Sift writes times (RFC 3339, UTC).
pub fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(sift_core::format_rfc3339)
        .unwrap_or_else(|_| ms.to_string())
}

/// Restores the backup in `remote` into the folder `to` (which must not hold a project) as
/// of `at_ms` (Unix ms; `None`: everything).
pub fn restore(remote: &dyn ObjectStore, to: &Path, at_ms: Option<i64>) -> Result<RestoreReport> {
    let file = to.join(PROJECT_FILE);
    if file.exists() {
        return Err(Error::Conflict(format!(
            "{} already holds a Sift project",
            to.display()
        )));
    }
    std::fs::create_dir_all(to).map_err(|e| Error::io("cannot create project folder", to, e))?;
    let limit = at_ms.unwrap_or(i64::MAX);
    let mut problems = Vec::new();
    let mut snapshots = Vec::new();
    let mut sizes = std::collections::HashMap::new();
    for o in remote.list(SNAPSHOTS)? {
        match parse_snapshot(&o.key) {
            Some(s) if s.at_ms <= limit => {
                sizes.insert(o.key.clone(), o.size);
                snapshots.push(s);
            }
            Some(_) => {}
            None => problems.push(format!("{}: not a snapshot name; ignored", o.key)),
        }
    }
    let mut segments: Vec<SegmentKey> = Vec::new();
    for o in remote.list(CHANGES)? {
        match parse_segment(&o.key) {
            Some(s) => segments.push(s),
            None => problems.push(format!("{}: not a segment name; ignored", o.key)),
        }
    }
    segments.sort_by_key(|s| (s.first, std::cmp::Reverse(s.last)));
    snapshots.sort_by_key(|s| std::cmp::Reverse((s.upto, s.at_ms)));
    if snapshots.is_empty() {
        return Err(Error::NotFound(format!(
            "a snapshot at or before the time asked for in {}",
            remote.location()
        )));
    }
    let tmp = to.join(".restoring.sift");
    for snap in &snapshots {
        let _ = std::fs::remove_file(&tmp);
        let job = DownloadJob {
            key: snap.key.clone(),
            dest: tmp.clone(),
            size: sizes.get(&snap.key).copied().unwrap_or(0),
            sha256: snap.sha256.clone(),
        };
        if let Some(Err(e)) = remote.download_files(&[job], &|_| {}).into_iter().next() {
            problems.push(format!(
                "{}: {e}; falling back to the snapshot before it",
                snap.key
            ));
            continue;
        }
        // Verified here too, whatever the store checked.
        let actual =
            sha256_file(&tmp).map_err(|e| Error::io("cannot read the downloaded snapshot", &tmp, e))?;
        if actual != snap.sha256 {
            problems.push(format!(
                "{}: damaged: its SHA-256 is {actual}, not the one its name records; falling back to the snapshot before it",
                snap.key
            ));
            continue;
        }
        match apply_after(&tmp, remote, &segments, limit, &mut problems) {
            Ok((changes, last_seq, last_change_ms)) => {
                std::fs::rename(&tmp, &file)
                    .map_err(|e| Error::io("cannot place the restored file", &file, e))?;
                // It opens as a project (and is brought to this build's schema).
                Project::open(&file)?;
                return Ok(RestoreReport {
                    file,
                    snapshot: snap.key.clone(),
                    changes,
                    last_seq,
                    last_change_ms,
                    problems,
                });
            }
            Err(e) => problems.push(format!(
                "{}: {e}; falling back to the snapshot before it",
                snap.key
            )),
        }
    }
    let _ = std::fs::remove_file(&tmp);
    Err(Error::Conflict(format!(
        "no snapshot in {} could be restored: {}",
        remote.location(),
        problems.join("; ")
    )))
}

/// Applies the segments after the snapshot at `file` up to `limit`; returns the changes
/// applied, the newest change and its time.
fn apply_after(
    file: &Path,
    remote: &dyn ObjectStore,
    segments: &[SegmentKey],
    limit: i64,
    problems: &mut Vec<String>,
) -> Result<(u64, i64, Option<i64>)> {
    let mut restorer = Restorer::open(file)?;
    let schema = restorer.schema()?;
    let mut last_ms = None;
    let mut reached_limit = false;
    for seg in segments {
        let next = restorer.applied_seq() + 1;
        if seg.last < next {
            continue;
        }
        if seg.first > next || reached_limit {
            break;
        }
        let changes = match read_segment(remote, seg, schema) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{}: {e}; skipped", seg.key));
                continue;
            }
        };
        for c in &changes {
            if c.at_ms > limit {
                reached_limit = true;
                break;
            }
            if c.seq > restorer.applied_seq() {
                restorer.apply(c)?;
                last_ms = Some(c.at_ms);
            }
        }
    }
    let applied = restorer.applied_seq();
    if !reached_limit && let Some(beyond) = segments.iter().filter(|s| s.last > applied).map(|s| s.last).max()
    {
        problems.push(format!(
            "changes {} to {beyond} could not be included: the segment holding change {} is damaged or missing",
            applied + 1,
            applied + 1
        ));
    }
    let count = restorer.applied_count();
    let last = restorer.finish()?;
    Ok((count, last, last_ms))
}

/// Fetches a segment and checks it: bytes against the name's SHA-256, the header against the
/// name, the schema against the snapshot's, every line a change in order inside the range.
fn read_segment(
    remote: &dyn ObjectStore,
    seg: &SegmentKey,
    schema: u32,
) -> std::result::Result<Vec<Change>, String> {
    let fetched = remote
        .get(&seg.key, MAX_SEGMENT_BYTES)
        .map_err(|e| e.to_string())?
        .ok_or("missing")?;
    let actual = sha256_hex(&fetched.body);
    if actual != seg.sha256 {
        return Err(format!(
            "damaged: its SHA-256 is {actual}, not the {} its name records ({} bytes)",
            seg.sha256,
            fetched.body.len()
        ));
    }
    let text = std::str::from_utf8(&fetched.body).map_err(|_| "not UTF-8")?;
    let mut lines = text.lines();
    let header: serde_json::Value =
        serde_json::from_str(lines.next().ok_or("empty")?).map_err(|e| format!("header: {e}"))?;
    if header["format"] != SEGMENT_FORMAT {
        return Err(format!(
            "header: format {} is not {SEGMENT_FORMAT}",
            header["format"]
        ));
    }
    if header["first"] != seg.first || header["last"] != seg.last {
        return Err("header: its range differs from its name".into());
    }
    if header["schema"] != schema {
        return Err(format!(
            "captured under schema {}, the snapshot has schema {schema}",
            header["schema"]
        ));
    }
    let mut out = Vec::new();
    let mut prev = seg.first - 1;
    for (i, line) in lines.enumerate() {
        let c = Change::from_line(line).map_err(|e| format!("line {}: {e}", i + 2))?;
        if c.seq != prev + 1 || c.seq > seg.last {
            return Err(format!("line {}: change {} out of order", i + 2, c.seq));
        }
        prev = c.seq;
        out.push(c);
    }
    if prev != seg.last {
        return Err(format!("truncated: ends at change {prev}, not {}", seg.last));
    }
    Ok(out)
}
