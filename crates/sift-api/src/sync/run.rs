//! One push or pull: its options, its report, and the run context ([`SyncRun`]) the
//! directions work in — the project, the store, the configuration read once, the options,
//! where progress goes and the report being filled in. Also the remote reads every direction
//! shares: listings, verified fetches, and what was last pushed or pulled.

use std::collections::HashMap;

use serde::Serialize;
use sift_store::{Direction, SyncObject};

use super::config::{SyncConfig, SyncRole};
use super::digest::sha256_hex;
use super::store::{Fetched, ObjectStore, RemoteError, RemoteErrorKind, RemoteObject, too_large};
use crate::{Error, Progress, Project, Result};

/// Options of a push or pull.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Only these batches (lead push); empty: all.
    pub batches: Vec<String>,
    /// Transfer media even if the configuration says not to.
    pub media: bool,
    /// The most bytes of one remote object read into memory (`project.json`, a batch's
    /// manifest or assignments, a reviews file, a result segment); larger ones are refused
    /// unread. Media is streamed to disk, never read into memory.
    pub max_object_bytes: u64,
}

impl SyncOptions {
    /// The default [`SyncOptions::max_object_bytes`]: 256 MiB.
    pub const MAX_OBJECT_BYTES: u64 = 256 << 20;
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            batches: Vec::new(),
            media: false,
            max_object_bytes: Self::MAX_OBJECT_BYTES,
        }
    }
}

/// What a push or pull moved.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct SyncReport {
    /// `push` or `pull`.
    pub direction: String,
    /// The role this copy synced as.
    pub role: Option<SyncRole>,
    /// The remote, as `s3://bucket/prefix` (and its endpoint).
    pub location: String,
    /// Batches written (lead push) or applied (annotator pull).
    pub batches: Vec<String>,
    /// Batches that were already up to date.
    pub batches_unchanged: u64,
    /// Items added by pulled batches (annotator).
    pub items_added: u64,
    /// Result segments written (annotator push) or merged (lead pull).
    pub segments: Vec<String>,
    /// Remote result segments already merged as they are (lead pull).
    pub segments_unchanged: u64,
    /// Annotation versions pushed or merged.
    pub versions: u64,
    /// Versions pulled again that were already merged.
    pub duplicate_versions: u64,
    /// The annotator's own versions taken back from the bucket (joining again on a new
    /// machine: `recover.rs`).
    pub recovered: u64,
    /// Reviews published to annotators (lead push) or received from the lead (annotator pull).
    pub reviews: u64,
    /// Of the reviews received, items returned for rework (annotator pull).
    pub returned: u64,
    /// Media files uploaded (lead push) or downloaded (annotator pull).
    pub media_files: u64,
    /// Their total size in bytes.
    pub media_bytes: u64,
    /// Media files already in place (uploaded before, or already on this machine).
    pub media_unchanged: u64,
    /// Multipart parts reused from interrupted uploads.
    pub resumed_parts: u64,
    /// Downloaded bytes reused from interrupted downloads.
    pub resumed_bytes: u64,
    /// Whether the store honoured `If-None-Match: *` (`None`: not probed).
    pub conditional_writes: Option<bool>,
    /// Problems that did not stop the sync (a rejected line, a failed media file), with where.
    pub problems: Vec<String>,
    /// Wall-clock time of the push or pull.
    pub seconds: f64,
}

/// One push or pull in progress. The directions (`push.rs`, `pull.rs`, `media.rs`) are
/// methods of it, so none passes the store, the configuration, the options, the progress and
/// the report along by hand.
pub(super) struct SyncRun<'a> {
    /// The project syncing.
    pub project: &'a mut Project,
    /// The bucket and prefix it syncs through.
    pub remote: &'a dyn ObjectStore,
    /// The project's stored sync configuration.
    pub config: SyncConfig,
    /// What this run is limited to (batches, media, object size).
    pub opts: &'a SyncOptions,
    /// Where the run reports its progress.
    pub progress: &'a dyn Progress,
    /// What the run has moved so far; returned when it ends.
    pub report: SyncReport,
}

impl SyncRun<'_> {
    /// Whether this run transfers media.
    pub fn with_media(&self) -> bool {
        self.config.with_media(self.opts)
    }

    /// The annotator this project labels as (annotator role).
    pub fn annotator_name(&self) -> String {
        self.config.annotator.clone().unwrap_or_default()
    }
}

impl Project {
    /// Pushes this side's changes: the lead's batches (and media), or the annotator's saved work.
    pub fn sync_push(
        &mut self,
        remote: &dyn ObjectStore,
        opts: &SyncOptions,
        progress: &dyn Progress,
    ) -> Result<SyncReport> {
        let report = self.run_sync("push", remote, opts, progress, |run| match run.config.role {
            SyncRole::Lead => run.push_lead(),
            SyncRole::Annotator => run.push_annotator(),
        })?;
        self.store.append_event(
            None,
            "sync_push",
            &serde_json::json!({"batches": report.batches.len(), "segments": report.segments.len(),
                "versions": report.versions, "media_files": report.media_files}),
        )?;
        Ok(report)
    }

    /// Pulls the other side's changes: batches (and media) for an annotator, results for the lead.
    pub fn sync_pull(
        &mut self,
        remote: &dyn ObjectStore,
        opts: &SyncOptions,
        progress: &dyn Progress,
    ) -> Result<SyncReport> {
        self.run_sync("pull", remote, opts, progress, |run| match run.config.role {
            SyncRole::Lead => run.pull_lead(),
            SyncRole::Annotator => run.pull_annotator(),
        })
    }

    /// Runs one direction for the configured role and times it.
    fn run_sync(
        &mut self,
        direction: &str,
        remote: &dyn ObjectStore,
        opts: &SyncOptions,
        progress: &dyn Progress,
        work: impl FnOnce(&mut SyncRun<'_>) -> Result<()>,
    ) -> Result<SyncReport> {
        let config = self.require_sync_config()?;
        let started = std::time::Instant::now();
        let report = SyncReport {
            direction: direction.into(),
            role: Some(config.role),
            location: remote.location(),
            ..SyncReport::default()
        };
        let mut run = SyncRun {
            project: self,
            remote,
            config,
            opts,
            progress,
            report,
        };
        work(&mut run)?;
        let mut report = run.report;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Whether `key` was pushed with this SHA-256 and is still listed.
    pub(super) fn pushed_matches(
        &self,
        key: &str,
        sha: &str,
        listed: &HashMap<String, RemoteObject>,
    ) -> Result<bool> {
        Ok(listed.contains_key(key)
            && self
                .store
                .sync_object(key, Direction::Push)?
                .is_some_and(|o| o.sha256 == sha))
    }

    /// Whether a listed object is the one last pulled (same size and ETag).
    pub(super) fn pulled_matches(&self, o: &RemoteObject) -> Result<bool> {
        Ok(self
            .store
            .sync_object(&o.key, Direction::Pull)?
            .is_some_and(|r| r.size == o.size as i64 && r.etag == o.etag))
    }
}

/// The objects under `prefix`, by key.
pub(super) fn listing(remote: &dyn ObjectStore, prefix: &str) -> Result<HashMap<String, RemoteObject>> {
    Ok(remote
        .list(prefix)?
        .into_iter()
        .map(|o| (o.key.clone(), o))
        .collect())
}

/// Reads a listed object (never more than `max_bytes` of it), verifies it and parses it: the
/// object as it is to be recorded as pulled, and what it holds. `None` when it is gone since
/// it was listed, or when it is too large, damaged or not what the layout says: that is a
/// problem of this object (added to `problems`), not of the whole pull, and the object is
/// read again next time.
pub(super) fn fetch_parsed<T>(
    remote: &dyn ObjectStore,
    listed: &RemoteObject,
    max_bytes: u64,
    problems: &mut Vec<String>,
    parse: impl FnOnce(&[u8]) -> Result<T>,
) -> Result<Option<(SyncObject, T)>> {
    let fetched = if listed.size > max_bytes {
        Err(too_large(&listed.key, listed.size, max_bytes))
    } else {
        remote.get(&listed.key, max_bytes)
    };
    let fetched = match fetched {
        Ok(Some(fetched)) => fetched,
        Ok(None) => return Ok(None),
        Err(e) if e.kind == RemoteErrorKind::TooLarge => {
            problems.push(format!("{}/{}", remote.location(), e.message));
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let checked = check_sha(&fetched, &listed.key, remote).and_then(|sha| Ok((sha, parse(&fetched.body)?)));
    match checked {
        Ok((sha, parsed)) => Ok(Some((
            SyncObject {
                key: listed.key.clone(),
                size: fetched.body.len() as i64,
                sha256: sha,
                etag: fetched.etag.clone().or_else(|| listed.etag.clone()),
            },
            parsed,
        ))),
        Err(e) => {
            problems.push(e.to_string());
            Ok(None)
        }
    }
}

/// Verifies a fetched object against the SHA-256 its writer recorded; returns the hash.
pub(super) fn check_sha(fetched: &Fetched, key: &str, remote: &dyn ObjectStore) -> Result<String> {
    let sha = sha256_hex(&fetched.body);
    if let Some(expected) = &fetched.sha256
        && !expected.eq_ignore_ascii_case(&sha)
    {
        return Err(Error::from(RemoteError::new(
            RemoteErrorKind::Integrity,
            format!(
                "{}/{key}: content does not match its recorded SHA-256 (damaged or half-written); not applied",
                remote.location()
            ),
        )));
    }
    Ok(sha)
}
