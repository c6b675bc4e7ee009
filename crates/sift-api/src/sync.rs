//! S3 sync between a lead and annotators.
//!
//! This module knows the layout and the merge rules but no S3 client: an [`ObjectStore`]
//! (`sift-s3` implements it with the AWS SDK) moves the bytes. Every key has exactly one
//! writer, so correctness never rests on conditional writes (Garage ignores them):
//!
//! ```text
//! <prefix>/project.json                          lead: name, template snapshot and its hash
//! <prefix>/batches/<batch>/manifest.jsonl        lead: the batch's items, one manifest line each
//! <prefix>/batches/<batch>/assignments.jsonl     lead: header (with the manifest's SHA-256), then
//!                                                      one line per item: hash, position, annotators, media
//! <prefix>/media/<sha256>.<ext>                  lead: media, named by content (same key = same bytes)
//! <prefix>/results/<annotator>/<batch>/<seq>.jsonl
//!                                                annotator: append-only segments of saved versions,
//!                                                      each ending with a trailer line
//! ```
//!
//! A pull applies each remote object in one transaction together with the row recording it
//! as pulled, and the lead merges versions by (item, annotator, version): pulling twice,
//! pulling a segment that repeats versions, or pulling again after a crash adds nothing twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sift_manifest::ContentHash;
use sift_store::{BatchItemRow, Direction, PulledBatch, PulledItem, RemoteVersion, SegmentMerge, SyncObject};

use crate::{Error, Progress, Project, Result};

/// Version of the remote layout written in `project.json` and batch headers.
pub const LAYOUT_VERSION: u32 = 1;

/// Settings keys of the sync configuration (never a secret: credentials come from the AWS chain).
const SETTINGS_KEY: &str = "sync.config";
const CONDITIONAL_KEY: &str = "sync.conditional_writes";

/// Who this project is in the sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncRole {
    /// Hands out batches and collects results.
    Lead,
    /// Labels pulled batches and pushes results.
    Annotator,
}

/// Where and how a project syncs. Credentials are not part of it: they come from the AWS
/// chain (environment, shared config and credentials files, the profile, SSO).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncConfig {
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing `/`), may be empty.
    #[serde(default)]
    pub prefix: String,
    pub region: Option<String>,
    /// Endpoint URL of an S3-compatible store (`http://127.0.0.1:3900`); `None` for AWS.
    pub endpoint: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), needed by most self-hosted stores.
    #[serde(default)]
    pub path_style: bool,
    /// AWS profile from the shared config files.
    pub profile: Option<String>,
    pub role: SyncRole,
    /// The annotator this project labels as (annotator role).
    pub annotator: Option<String>,
    /// Transfer media with batches (lead: upload; annotator: download).
    #[serde(default)]
    pub media: bool,
}

impl SyncConfig {
    /// A configuration for `bucket` with no prefix, region, endpoint or profile, virtual-host
    /// addressing and no media: what AWS needs; the rest is set field by field.
    pub fn new(bucket: &str, role: SyncRole) -> Self {
        Self {
            bucket: bucket.to_owned(),
            prefix: String::new(),
            region: None,
            endpoint: None,
            path_style: false,
            profile: None,
            role,
            annotator: None,
            media: false,
        }
    }

    /// The configuration as typed by a person, tidied: names trimmed, the prefix without
    /// leading or trailing `/`, empty optional fields absent. Every adapter that takes
    /// settings from people (CLI flags, the desktop form) passes them through this.
    pub fn normalized(mut self) -> Self {
        self.bucket = self.bucket.trim().to_owned();
        self.prefix = self.prefix.trim().trim_matches('/').to_owned();
        for field in [&mut self.region, &mut self.endpoint, &mut self.profile] {
            *field = field
                .take()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
        }
        self
    }

    /// Checks names and the endpoint; refuses credentials embedded in the endpoint URL.
    pub fn validate(&self) -> Result<()> {
        let b = &self.bucket;
        let bucket_ok = (3..=63).contains(&b.len())
            && b.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && !b.starts_with(['-', '.'])
            && !b.ends_with(['-', '.']);
        if !bucket_ok {
            return Err(Error::BadRequest(format!(
                "bucket {b:?}: use 3-63 lowercase letters, digits, '-' or '.'"
            )));
        }
        if !self.prefix.is_empty()
            && (self.prefix.starts_with('/')
                || self.prefix.ends_with('/')
                || self
                    .prefix
                    .split('/')
                    .any(|s| s.is_empty() || s == "." || s == ".."))
        {
            return Err(Error::BadRequest(format!(
                "prefix {:?}: use segments separated by '/', without a leading or trailing '/'",
                self.prefix
            )));
        }
        if let Some(e) = &self.endpoint {
            let rest = e
                .strip_prefix("http://")
                .or_else(|| e.strip_prefix("https://"))
                .ok_or_else(|| {
                    Error::BadRequest(format!("endpoint {e:?}: must start with http:// or https://"))
                })?;
            let authority = rest.split('/').next().unwrap_or_default();
            if authority.contains('@') {
                return Err(Error::BadRequest(
                    "endpoint: credentials do not belong in the URL (they would be saved in the project file); \
                     use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile"
                        .into(),
                ));
            }
            if authority.is_empty() {
                return Err(Error::BadRequest(format!("endpoint {e:?}: no host")));
            }
        }
        if self.role == SyncRole::Annotator {
            let name = self.annotator.as_deref().unwrap_or_default();
            crate::validate_person_name(name)?;
            check_key_segment(name, "annotator name")?;
        }
        Ok(())
    }

    /// `s3://bucket/prefix`.
    pub fn location(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

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
    /// A local file could not be read or written.
    Io,
    /// Anything else.
    Other,
}

/// An object-store failure with a message fit for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RemoteError {
    pub kind: RemoteErrorKind,
    pub message: String,
}

impl RemoteError {
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
            RemoteErrorKind::Io => Error::Internal(e.message),
            RemoteErrorKind::Other => Error::Unavailable(e.message),
        }
    }
}

/// A listed object. Keys are relative to the configured prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
}

/// A fetched object.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub etag: Option<String>,
    /// The SHA-256 (hex) the writer recorded in the object's metadata, if any.
    pub sha256: Option<String>,
}

/// Whether a write may replace an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    Overwrite,
    /// Sends `If-None-Match: *` (a guard only: stores such as Garage ignore it).
    IfAbsent,
}

/// The result of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Written {
        etag: Option<String>,
    },
    /// `IfAbsent` and the store refused because the key exists.
    AlreadyExists,
}

/// A local file to upload.
#[derive(Debug, Clone)]
pub struct UploadJob {
    pub path: PathBuf,
    pub key: String,
    pub size: u64,
    /// SHA-256 of the file (hex): sent as the object's checksum and recorded in its metadata.
    pub sha256: String,
}

/// A finished upload.
#[derive(Debug, Clone, Default)]
pub struct UploadDone {
    pub etag: Option<String>,
    /// Parts of an interrupted multipart upload that were found on the store and reused.
    pub resumed_parts: u32,
}

/// An object to download to a local file (written to a temporary file, verified, renamed).
#[derive(Debug, Clone)]
pub struct DownloadJob {
    pub key: String,
    pub dest: PathBuf,
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
    /// A whole object, or `None` when it does not exist.
    fn get(&self, key: &str) -> std::result::Result<Option<Fetched>, RemoteError>;
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
}

/// Options of a push or pull.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Only these batches (lead push); empty: all.
    pub batches: Vec<String>,
    /// Transfer media even if the configuration says not to.
    pub media: bool,
}

/// What a push or pull moved.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct SyncReport {
    pub direction: String,
    pub role: Option<SyncRole>,
    pub location: String,
    /// Batches written (lead push) or applied (annotator pull).
    pub batches: Vec<String>,
    /// Batches that were already up to date.
    pub batches_unchanged: u64,
    /// Items added by pulled batches (annotator).
    pub items_added: u64,
    /// Result segments written (annotator push) or merged (lead pull).
    pub segments: Vec<String>,
    pub segments_unchanged: u64,
    /// Annotation versions pushed or merged.
    pub versions: u64,
    /// Versions pulled again that were already merged.
    pub duplicate_versions: u64,
    /// Reviews published to annotators (lead push) or received from the lead (annotator pull).
    pub reviews: u64,
    /// Of the reviews received, items returned for rework (annotator pull).
    pub returned: u64,
    pub media_files: u64,
    pub media_bytes: u64,
    pub media_unchanged: u64,
    /// Multipart parts and downloaded bytes reused from interrupted transfers.
    pub resumed_parts: u64,
    pub resumed_bytes: u64,
    /// Whether the store honoured `If-None-Match: *` (`None`: not probed).
    pub conditional_writes: Option<bool>,
    /// Problems that did not stop the sync (a rejected line, a failed media file), with where.
    pub problems: Vec<String>,
    pub seconds: f64,
}

/// What is waiting in each direction.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    pub role: Option<SyncRole>,
    pub location: String,
    /// Batches whose remote copy is missing or stale (lead).
    pub batches_to_push: Vec<String>,
    /// Versions saved and not pushed (annotator).
    pub versions_to_push: u64,
    /// Remote batches not pulled yet or changed since (annotator).
    pub batches_to_pull: Vec<String>,
    /// Remote result segments not merged yet (lead).
    pub segments_to_pull: Vec<String>,
    /// Pulled items whose media is not on this machine (annotator).
    pub media_to_pull: u64,
    /// Batches with reviews from the lead not pulled yet (annotator).
    pub reviews_to_pull: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ProjectDoc {
    sift_sync: u32,
    name: String,
    template_hash: String,
    template_text: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct BatchHeader {
    sift_batch: u32,
    batch: String,
    manifest_sha256: String,
    items: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MediaDoc {
    key: String,
    size: u64,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct AssignmentLine {
    item: String,
    position: i64,
    annotators: Vec<String>,
    #[serde(default)]
    media: Option<MediaDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SegmentLine<'a> {
    item: String,
    version: i64,
    kind: String,
    #[serde(borrow)]
    payload: &'a serde_json::value::RawValue,
    time_spent_ms: i64,
    created_at: String,
}

/// First line of `batches/<b>/reviews/<annotator>.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
struct ReviewsHeader {
    sift_reviews: u32,
    batch: String,
    annotator: String,
    reviews: u64,
}

/// One review in `batches/<b>/reviews/<annotator>.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
struct ReviewLine {
    item: String,
    version: i64,
    decision: sift_store::Decision,
    comment: Option<String>,
    anchor: Option<String>,
    reviewer: String,
    created_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct SegmentTrailer {
    end: TrailerBody,
}

#[derive(Debug, Serialize, Deserialize)]
struct TrailerBody {
    annotator: String,
    batch: String,
    lines: u64,
}

/// Reads the lead's `project.json` and creates an annotator's project from it in `dir`.
pub fn join_project(dir: &Path, remote: &dyn ObjectStore, config: &SyncConfig) -> Result<Project> {
    config.validate()?;
    if config.role != SyncRole::Annotator {
        return Err(Error::BadRequest(
            "joining makes an annotator's project: set the annotator".into(),
        ));
    }
    let doc = fetch_project_doc(remote)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create project folder", dir, e))?;
    let template_file = dir.join(".lead-template.toml");
    std::fs::write(&template_file, &doc.template_text)
        .map_err(|e| Error::io("cannot write template", &template_file, e))?;
    let made = crate::init_project(dir, &template_file, Some(&doc.name));
    let _ = std::fs::remove_file(&template_file);
    let project = made?;
    let annotator = config.annotator.as_deref().unwrap_or_default();
    project
        .store
        .ensure_annotator(annotator, crate::Role::Annotator)?;
    project.set_sync_config(config)?;
    Ok(project)
}

fn fetch_project_doc(remote: &dyn ObjectStore) -> Result<ProjectDoc> {
    let fetched = remote.get("project.json")?.ok_or_else(|| {
        Error::NotFound(format!(
            "{}/project.json (the lead has not pushed this project yet: run `sift sync push` on the lead's side)",
            remote.location()
        ))
    })?;
    check_sha(&fetched, "project.json", remote)?;
    let doc: ProjectDoc = serde_json::from_slice(&fetched.body).map_err(|e| Error::ManifestFile {
        file: format!("{}/project.json", remote.location()),
        reason: e.to_string(),
    })?;
    if doc.sift_sync != LAYOUT_VERSION {
        return Err(Error::BadRequest(format!(
            "{}/project.json uses sync layout {}; this Sift reads layout {LAYOUT_VERSION}",
            remote.location(),
            doc.sift_sync
        )));
    }
    Ok(doc)
}

impl Project {
    /// The sync configuration, if set.
    pub fn sync_config(&self) -> Result<Option<SyncConfig>> {
        match self.store.setting(SETTINGS_KEY)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Internal(format!("stored sync configuration is unreadable: {e}"))),
        }
    }

    /// Saves the sync configuration after checking it.
    pub fn set_sync_config(&self, config: &SyncConfig) -> Result<()> {
        config.validate()?;
        let text = serde_json::to_string(config).map_err(|e| Error::Internal(e.to_string()))?;
        self.store.set_setting(SETTINGS_KEY, &text)?;
        self.store.append_event(
            None,
            "sync_configured",
            &serde_json::json!({"location": config.location()}),
        )?;
        Ok(())
    }

    /// The sync configuration, or an error saying how to set it.
    pub fn require_sync_config(&self) -> Result<SyncConfig> {
        self.sync_config()?.ok_or_else(|| {
            Error::BadRequest(
                "sync is not set up for this project: enter the bucket in the app's Sync panel, \
                 or run `sift sync config --bucket B ...`"
                    .into(),
            )
        })
    }

    /// Pushes this side's changes: the lead's batches (and media), or the annotator's saved work.
    pub fn sync_push(
        &mut self,
        remote: &dyn ObjectStore,
        opts: &SyncOptions,
        progress: &dyn Progress,
    ) -> Result<SyncReport> {
        let report = self.run_sync("push", remote, |p, config, report| match config.role {
            SyncRole::Lead => p.push_lead(remote, config, opts, progress, report),
            SyncRole::Annotator => p.push_annotator(remote, config, progress, report),
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
        self.run_sync("pull", remote, |p, config, report| match config.role {
            SyncRole::Lead => p.pull_lead(remote, progress, report),
            SyncRole::Annotator => p.pull_annotator(remote, config, opts, progress, report),
        })
    }

    /// Runs one direction for the configured role and times it.
    fn run_sync(
        &mut self,
        direction: &str,
        remote: &dyn ObjectStore,
        work: impl FnOnce(&mut Self, &SyncConfig, &mut SyncReport) -> Result<()>,
    ) -> Result<SyncReport> {
        let config = self.require_sync_config()?;
        let started = std::time::Instant::now();
        let mut report = SyncReport {
            direction: direction.into(),
            role: Some(config.role),
            location: remote.location(),
            ..SyncReport::default()
        };
        work(self, &config, &mut report)?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// What is waiting in each direction (reads the remote listing; transfers nothing).
    pub fn sync_status(&self, remote: &dyn ObjectStore) -> Result<SyncStatus> {
        let config = self.require_sync_config()?;
        let mut status = SyncStatus {
            role: Some(config.role),
            location: remote.location(),
            ..SyncStatus::default()
        };
        match config.role {
            SyncRole::Lead => {
                let mut listed = listing(remote, "batches/")?;
                if config.media {
                    listed.extend(listing(remote, "media/")?);
                }
                for batch in self.store.batch_names()? {
                    if self.batch_needs_push(&config, batch.id, &batch.name, &listed)? {
                        status.batches_to_push.push(batch.name);
                    }
                }
                for o in remote.list("results/")? {
                    if parse_segment_key(&o.key).is_some() && !self.pulled_matches(&o)? {
                        status.segments_to_pull.push(o.key);
                    }
                }
            }
            SyncRole::Annotator => {
                let me = self.annotator(config.annotator.as_deref().unwrap_or_default())?;
                status.versions_to_push = self.store.count_unpushed(me.id)?;
                let mine = config.annotator.as_deref().unwrap_or_default();
                for o in remote.list("batches/")? {
                    if let Some(batch) = assignments_key_batch(&o.key)
                        && !self.pulled_matches(&o)?
                    {
                        status.batches_to_pull.push(batch.to_owned());
                    }
                    if let Some(batch) = reviews_key_batch(&o.key, mine)
                        && !self.pulled_matches(&o)?
                    {
                        status.reviews_to_pull.push(batch.to_owned());
                    }
                }
                status.media_to_pull = self
                    .store
                    .pulled_media()?
                    .iter()
                    .filter(|m| !m.local.as_deref().is_some_and(|p| Path::new(p).is_file()))
                    .count() as u64;
            }
        }
        Ok(status)
    }

    /// Whether a push would write this batch again. Status never hashes media: it compares
    /// what a push would write, using the hashes cached at the last push. A batch pushed
    /// without media (config off, or before media was turned on) still counts as pushed.
    fn batch_needs_push(
        &self,
        config: &SyncConfig,
        batch_id: i64,
        name: &str,
        listed: &HashMap<String, RemoteObject>,
    ) -> Result<bool> {
        let rows = self.store.batch_items_for_sync(batch_id)?;
        let mut candidates = vec![BTreeMap::new()];
        if let Some(media) = self.cached_batch_media(&rows, listed)? {
            if !media.is_empty() {
                candidates.insert(0, media);
            }
        } else if config.media {
            // A file changed, is new or is missing on the store: a push has media to send.
            return Ok(true);
        }
        for (key, body, _) in self.review_files(batch_id, name)? {
            if !self.pushed_matches(&key, &sha256_hex(&body), listed)? {
                return Ok(true);
            }
        }
        for media in &candidates {
            let mut matches = true;
            for (key, body) in self.batch_files(name, &rows, media)? {
                matches &= self.pushed_matches(&key, &sha256_hex(&body), listed)?;
            }
            if matches {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The batch's media objects as a push would name them, from the hash cache alone; `None`
    /// when a file's hash is not cached for its current size and mtime, or its object is not
    /// in `listed` (media not listed at all counts as missing).
    fn cached_batch_media(
        &self,
        rows: &[BatchItemRow],
        listed: &HashMap<String, RemoteObject>,
    ) -> Result<Option<BTreeMap<i64, MediaDoc>>> {
        let mut media = BTreeMap::new();
        for r in rows {
            let Some(path) = r.media_ref.as_deref().filter(|p| Path::new(p).is_absolute()) else {
                continue;
            };
            // An unreadable file is a problem a push reports per item, not a pending upload.
            let Ok(file) = self.local_file(Path::new(path)) else {
                continue;
            };
            let Some(sha256) = file.sha256 else {
                return Ok(None);
            };
            let key = media_key(&sha256, Path::new(path));
            if listed.get(&key).is_none_or(|o| o.size != file.size) {
                return Ok(None);
            }
            media.insert(
                r.item_id,
                MediaDoc {
                    key,
                    size: file.size,
                    sha256,
                },
            );
        }
        Ok(Some(media))
    }

    fn pushed_matches(&self, key: &str, sha: &str, listed: &HashMap<String, RemoteObject>) -> Result<bool> {
        Ok(listed.contains_key(key)
            && self
                .store
                .sync_object(key, Direction::Push)?
                .is_some_and(|o| o.sha256 == sha))
    }

    fn pulled_matches(&self, o: &RemoteObject) -> Result<bool> {
        Ok(self
            .store
            .sync_object(&o.key, Direction::Pull)?
            .is_some_and(|r| r.size == o.size as i64 && r.etag == o.etag))
    }

    /// Batch `name`'s `manifest.jsonl` and `assignments.jsonl` (of its `rows`), in that order.
    fn batch_files(
        &self,
        name: &str,
        rows: &[BatchItemRow],
        media: &BTreeMap<i64, MediaDoc>,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        check_key_segment(name, "batch name")?;
        let mut manifest = Vec::new();
        for r in rows {
            manifest.extend_from_slice(r.content.as_bytes());
            manifest.push(b'\n');
        }
        let header = BatchHeader {
            sift_batch: LAYOUT_VERSION,
            batch: name.to_owned(),
            manifest_sha256: sha256_hex(&manifest),
            items: rows.len() as u64,
        };
        let mut assignments = json_line(&header)?;
        for r in rows {
            assignments.extend(json_line(&AssignmentLine {
                item: ContentHash(r.content_hash).to_string(),
                position: r.position,
                annotators: r.annotators.clone(),
                media: media.get(&r.item_id).cloned(),
            })?);
        }
        Ok(vec![
            (format!("batches/{name}/manifest.jsonl"), manifest),
            (format!("batches/{name}/assignments.jsonl"), assignments),
        ])
    }

    /// `batches/<b>/reviews/<annotator>.jsonl` for each annotator with reviewed work in the
    /// batch: every review of their work there, oldest first. The lead is the only writer
    /// and rewrites the whole file when a review is added. With each file, how many reviews
    /// it holds.
    fn review_files(&self, batch_id: i64, name: &str) -> Result<Vec<(String, Vec<u8>, u64)>> {
        let mut by_annotator: BTreeMap<String, Vec<sift_store::SyncedReview>> = BTreeMap::new();
        for (annotator, review) in self.store.batch_reviews(batch_id)? {
            by_annotator.entry(annotator).or_default().push(review);
        }
        let mut files = Vec::new();
        for (annotator, reviews) in by_annotator {
            // A name that cannot be a key (imported from elsewhere) never synced its work either.
            if check_key_segment(&annotator, "annotator").is_err() {
                continue;
            }
            let count = reviews.len() as u64;
            let mut body = json_line(&ReviewsHeader {
                sift_reviews: LAYOUT_VERSION,
                batch: name.to_owned(),
                annotator: annotator.clone(),
                reviews: count,
            })?;
            for r in reviews {
                body.extend(json_line(&ReviewLine {
                    item: ContentHash(r.item_hash).to_string(),
                    version: r.version,
                    decision: r.decision,
                    comment: r.comment,
                    anchor: r.anchor,
                    reviewer: r.reviewer,
                    created_at: r.created_at,
                })?);
            }
            files.push((format!("batches/{name}/reviews/{annotator}.jsonl"), body, count));
        }
        Ok(files)
    }

    fn push_lead(
        &mut self,
        remote: &dyn ObjectStore,
        config: &SyncConfig,
        opts: &SyncOptions,
        progress: &dyn Progress,
        report: &mut SyncReport,
    ) -> Result<()> {
        let row = self.store.project()?;
        let doc = ProjectDoc {
            sift_sync: LAYOUT_VERSION,
            name: row.name,
            template_hash: row.template_hash,
            template_text: row.template_text,
        };
        let body = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Internal(e.to_string()))?;
        // What push compares against; `results/` (the annotators' side) is never listed here.
        let with_media = config.media || opts.media;
        let mut listed = listing(remote, "project.json")?;
        listed.extend(listing(remote, "batches/")?);
        if with_media {
            listed.extend(listing(remote, "media/")?);
        }
        self.put_if_changed(remote, "project.json", body, &listed)?;

        let mut batches = self.store.batch_names()?;
        if !opts.batches.is_empty() {
            for wanted in &opts.batches {
                if !batches.iter().any(|b| &b.name == wanted) {
                    return Err(Error::NotFound(format!("batch {wanted:?}")));
                }
            }
            batches.retain(|b| opts.batches.contains(&b.name));
        }
        for batch in batches {
            let rows = self.store.batch_items_for_sync(batch.id)?;
            let media = if with_media {
                self.push_batch_media(remote, &rows, &listed, progress, report)?
            } else {
                BTreeMap::new()
            };
            let mut changed = false;
            // The manifest first, then the assignments that name its hash: a reader never
            // sees assignments for a manifest that is not there yet.
            for (key, body) in self.batch_files(&batch.name, &rows, &media)? {
                changed |= self.put_if_changed(remote, &key, body, &listed)?;
            }
            // Reviews after the batch they are about.
            for (key, body, reviews) in self.review_files(batch.id, &batch.name)? {
                if self.put_if_changed(remote, &key, body, &listed)? {
                    changed = true;
                    report.reviews += reviews;
                }
            }
            if changed {
                report.batches.push(batch.name);
            } else {
                report.batches_unchanged += 1;
            }
        }
        Ok(())
    }

    /// Writes `body` to `key` unless the recorded push has the same hash and the object is still there.
    fn put_if_changed(
        &mut self,
        remote: &dyn ObjectStore,
        key: &str,
        body: Vec<u8>,
        listed: &HashMap<String, RemoteObject>,
    ) -> Result<bool> {
        let sha = sha256_hex(&body);
        if self.pushed_matches(key, &sha, listed)? {
            return Ok(false);
        }
        let size = body.len() as i64;
        let etag = match remote.put(key, body, &sha, PutMode::Overwrite)? {
            PutOutcome::Written { etag } => etag,
            PutOutcome::AlreadyExists => None,
        };
        self.store.record_sync_objects(
            Direction::Push,
            &[SyncObject {
                key: key.to_owned(),
                size,
                sha256: sha,
                etag,
            }],
        )?;
        Ok(true)
    }

    /// Uploads the media of a batch's items that the store does not have yet; returns each
    /// item's media object.
    ///
    /// Hashing and uploading overlap: files whose hash is cached (same size and mtime) are
    /// queued at once, the others are hashed on this thread (which owns the project's
    /// database) while an uploader thread sends what is queued, each round taking everything
    /// queued since the last one. The store is busy while the rest is hashed.
    fn push_batch_media(
        &mut self,
        remote: &dyn ObjectStore,
        rows: &[BatchItemRow],
        listed: &HashMap<String, RemoteObject>,
        progress: &dyn Progress,
        report: &mut SyncReport,
    ) -> Result<BTreeMap<i64, MediaDoc>> {
        let mut plan = MediaPlan {
            listed,
            media: BTreeMap::new(),
            queued: HashSet::new(),
        };
        // The file system and the hash cache first: cheap, and it gives the bytes to send.
        let mut ready = Vec::new();
        let mut to_hash = Vec::new();
        progress.start("checking media", Some(rows.len() as u64));
        for (n, r) in rows.iter().enumerate() {
            progress.set_position(n as u64);
            let Some(path) = r.media_ref.as_deref().filter(|p| Path::new(p).is_absolute()) else {
                continue;
            };
            match self.local_file(Path::new(path)) {
                Ok(LocalFile {
                    size,
                    sha256: Some(sha),
                    ..
                }) => ready.extend(plan.add(r.item_id, path, size, sha, report)),
                Ok(file) => to_hash.push((r.item_id, path, file)),
                Err(e) => report
                    .problems
                    .push(format!("item {}: media {path}: {e}", r.item_id)),
            }
        }
        progress.finish();
        if ready.is_empty() && to_hash.is_empty() {
            return Ok(plan.media);
        }
        let total: u64 =
            ready.iter().map(|j| j.size).sum::<u64>() + to_hash.iter().map(|(_, _, f)| f.size).sum::<u64>();
        progress.start("uploading media", Some(total));
        // Bytes of finished rounds, and of files that turned out to need no upload.
        let settled = AtomicU64::new(0);
        let mut hashed = Vec::new();
        let (tx, rx) = std::sync::mpsc::channel::<UploadJob>();
        let outcomes = std::thread::scope(|s| {
            let settled = &settled;
            let uploader = s.spawn(move || {
                let mut out = Vec::new();
                while let Ok(first) = rx.recv() {
                    let round: Vec<UploadJob> = std::iter::once(first).chain(rx.try_iter()).collect();
                    let results = remote.upload_files(&round, &|b| {
                        progress.set_position(settled.load(Ordering::Relaxed) + b)
                    });
                    settled.fetch_add(round.iter().map(|j| j.size).sum(), Ordering::Relaxed);
                    out.extend(round.into_iter().zip(results));
                }
                out
            });
            for job in ready {
                // The uploader only stops when this sender is dropped.
                let _ = tx.send(job);
            }
            let mut buf = vec![0u8; 1 << 20];
            for (item_id, path, file) in to_hash {
                match sha256_file_with(Path::new(path), &mut buf) {
                    Ok(sha) => {
                        hashed.push((path.to_owned(), file.size as i64, file.mtime_ns, sha.clone()));
                        match plan.add(item_id, path, file.size, sha, report) {
                            Some(job) => {
                                let _ = tx.send(job);
                            }
                            None => {
                                settled.fetch_add(file.size, Ordering::Relaxed);
                            }
                        }
                    }
                    Err(e) => {
                        let e = Error::io("cannot read media", Path::new(path), e);
                        report.problems.push(format!("item {item_id}: media {path}: {e}"));
                        settled.fetch_add(file.size, Ordering::Relaxed);
                    }
                }
            }
            drop(tx);
            uploader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        progress.finish();
        let media = plan.media;
        if !hashed.is_empty() {
            self.store.cache_file_hashes(&hashed)?;
        }
        if outcomes.is_empty() {
            return Ok(media);
        }
        let mut done = Vec::new();
        let mut first_error = None;
        for (job, result) in &outcomes {
            match result {
                Ok(up) => {
                    report.media_files += 1;
                    report.media_bytes += job.size;
                    report.resumed_parts += u64::from(up.resumed_parts);
                    done.push(SyncObject {
                        key: job.key.clone(),
                        size: job.size as i64,
                        sha256: job.sha256.clone(),
                        etag: up.etag.clone(),
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e.clone());
                    report.problems.push(format!("{}: {e}", job.path.display()));
                }
            }
        }
        self.store.record_sync_objects(Direction::Push, &done)?;
        // A batch must never name media that is not on the store: stop before writing it.
        if let Some(e) = first_error {
            return Err(Error::from(RemoteError::new(
                e.kind,
                format!(
                    "{} of {} media uploads failed (first: {}); the batch was not pushed. Run the push again: \
                     finished files are skipped and interrupted ones resume",
                    outcomes.len() - done.len(),
                    outcomes.len(),
                    e.message
                ),
            )));
        }
        Ok(media)
    }

    /// Size and mtime of a local file, and its SHA-256 from the cache when its size and mtime
    /// are unchanged (`None`: it must be hashed).
    fn local_file(&self, path: &Path) -> Result<LocalFile> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io("cannot read media", path, e))?;
        let size = meta.len();
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        let sha256 = self
            .store
            .cached_file_hash(&path.to_string_lossy(), size as i64, mtime_ns)?;
        Ok(LocalFile {
            size,
            mtime_ns,
            sha256,
        })
    }

    fn push_annotator(
        &mut self,
        remote: &dyn ObjectStore,
        config: &SyncConfig,
        progress: &dyn Progress,
        report: &mut SyncReport,
    ) -> Result<()> {
        let name = config.annotator.clone().unwrap_or_default();
        let me = self.annotator(&name)?;
        let versions = self.store.unpushed_versions(me.id)?;
        if versions.is_empty() {
            return Ok(());
        }
        report.conditional_writes = Some(self.probe_conditional_writes(remote, &name)?);
        let mut by_batch: BTreeMap<String, Vec<&sift_store::UnpushedVersion>> = BTreeMap::new();
        for v in &versions {
            by_batch.entry(v.batch.clone()).or_default().push(v);
        }
        progress.start("pushing results", Some(versions.len() as u64));
        let mut pushed = 0;
        for (batch, versions) in by_batch {
            check_key_segment(&batch, "batch name")?;
            let mut body = Vec::new();
            for v in &versions {
                let payload = serde_json::value::RawValue::from_string(v.payload.clone())
                    .map_err(|e| Error::Internal(format!("stored payload is not JSON: {e}")))?;
                body.extend(json_line(&SegmentLine {
                    item: ContentHash(v.item_hash).to_string(),
                    version: v.version,
                    kind: if v.submitted { "submitted" } else { "draft" }.into(),
                    payload: &payload,
                    time_spent_ms: v.time_spent_ms,
                    created_at: v.created_at.clone(),
                })?);
            }
            body.extend(json_line(&SegmentTrailer {
                end: TrailerBody {
                    annotator: name.clone(),
                    batch: batch.clone(),
                    lines: versions.len() as u64,
                },
            })?);
            let sha = sha256_hex(&body);
            let dir = format!("results/{name}/{batch}/");
            // One writer per folder: the next number after the highest one there.
            let mut seq = remote
                .list(&dir)?
                .iter()
                .filter_map(|o| {
                    o.key
                        .strip_prefix(&dir)?
                        .strip_suffix(".jsonl")?
                        .parse::<u64>()
                        .ok()
                })
                .max()
                .unwrap_or(0)
                + 1;
            let (key, etag) = loop {
                let key = format!("{dir}{seq:06}.jsonl");
                match remote.put(&key, body.clone(), &sha, PutMode::IfAbsent)? {
                    PutOutcome::Written { etag } => break (key, etag),
                    PutOutcome::AlreadyExists => seq += 1,
                }
            };
            let ids: Vec<(i64, i64)> = versions.iter().map(|v| (v.annotation_id, v.version)).collect();
            self.store.mark_pushed(
                &SyncObject {
                    key: key.clone(),
                    size: body.len() as i64,
                    sha256: sha,
                    etag,
                },
                &ids,
            )?;
            pushed += ids.len() as u64;
            progress.set_position(pushed);
            report.versions += ids.len() as u64;
            report.segments.push(key);
        }
        progress.finish();
        Ok(())
    }

    /// Whether the store honours `If-None-Match: *`, probed once per project: two guarded
    /// writes of one key under this annotator's own folder; if both succeed, it is ignored.
    fn probe_conditional_writes(&mut self, remote: &dyn ObjectStore, annotator: &str) -> Result<bool> {
        if let Some(v) = self.store.setting(CONDITIONAL_KEY)? {
            return Ok(v == "honoured");
        }
        let key = format!("results/{annotator}/.conditional-write-probe");
        let body = b"probe\n".to_vec();
        let sha = sha256_hex(&body);
        remote.put(&key, body.clone(), &sha, PutMode::Overwrite)?;
        let honoured = matches!(
            remote.put(&key, body, &sha, PutMode::IfAbsent)?,
            PutOutcome::AlreadyExists
        );
        self.store
            .set_setting(CONDITIONAL_KEY, if honoured { "honoured" } else { "ignored" })?;
        self.store.append_event(
            None,
            "sync_conditional_writes",
            &serde_json::json!({"honoured": honoured, "location": remote.location()}),
        )?;
        Ok(honoured)
    }

    fn pull_lead(
        &mut self,
        remote: &dyn ObjectStore,
        progress: &dyn Progress,
        report: &mut SyncReport,
    ) -> Result<()> {
        let objects = remote.list("results/")?;
        progress.start("merging results", Some(objects.len() as u64));
        for (n, o) in objects.iter().enumerate() {
            progress.set_position(n as u64);
            let Some((annotator, batch)) = parse_segment_key(&o.key) else {
                if !o.key.ends_with("/.conditional-write-probe") {
                    report
                        .problems
                        .push(format!("{}: not a result segment; ignored", o.key));
                }
                continue;
            };
            if self.pulled_matches(o)? {
                report.segments_unchanged += 1;
                continue;
            }
            let (object, versions) = match fetch_parsed(remote, o, &mut report.problems, |body| {
                parse_segment(body, &o.key, annotator, batch)
            })? {
                Some(found) => found,
                None => continue,
            };
            let stats = self.store.merge_segment(&SegmentMerge {
                object,
                annotator,
                batch,
                versions,
            })?;
            report.versions += stats.added;
            report.duplicate_versions += stats.duplicates;
            report.problems.extend(stats.rejected);
            report.segments.push(o.key.clone());
        }
        progress.finish();
        Ok(())
    }

    fn pull_annotator(
        &mut self,
        remote: &dyn ObjectStore,
        config: &SyncConfig,
        opts: &SyncOptions,
        progress: &dyn Progress,
        report: &mut SyncReport,
    ) -> Result<()> {
        let name = config.annotator.clone().unwrap_or_default();
        let me = self.annotator(&name)?;
        let doc = fetch_project_doc(remote)?;
        let local = self.store.project()?;
        if doc.template_hash != local.template_hash {
            return Err(Error::Conflict(format!(
                "the lead's template at {}/project.json differs from this project's; join the project again \
                 in a new folder to label with the new template",
                remote.location()
            )));
        }
        let with_media = config.media || opts.media;
        let media_dir = self.project_dir().join("media");
        let objects = remote.list("batches/")?;
        let batches: Vec<&RemoteObject> = objects
            .iter()
            .filter(|o| o.key.ends_with("/assignments.jsonl"))
            .collect();
        progress.start("pulling batches", Some(batches.len() as u64));
        for (n, o) in batches.iter().enumerate() {
            progress.set_position(n as u64);
            let Some(batch) = assignments_key_batch(&o.key) else {
                report.problems.push(format!("{}: not a batch; ignored", o.key));
                continue;
            };
            if self.pulled_matches(o)? {
                report.batches_unchanged += 1;
                continue;
            }
            match self.pull_batch(
                remote,
                batch,
                o,
                me.id,
                &name,
                with_media.then_some(media_dir.as_path()),
            )? {
                Some(added) => {
                    report.items_added += added;
                    report.batches.push(batch.to_owned());
                }
                None => report.batches_unchanged += 1,
            }
        }
        progress.finish();
        // The lead's reviews of this annotator's work, once the batches they are about are here.
        for o in &objects {
            let Some(batch) = reviews_key_batch(&o.key, &name) else {
                continue;
            };
            if self.pulled_matches(o)? {
                continue;
            }
            self.pull_reviews(remote, o, batch, me.id, &name, report)?;
        }
        if with_media {
            self.pull_media(remote, &media_dir, progress, report)?;
        }
        Ok(())
    }

    /// Applies `batches/<batch>/reviews/<annotator>.jsonl`. A damaged or unreadable file is a
    /// problem of this pull (it is read again next time), not a failure of the whole sync.
    fn pull_reviews(
        &mut self,
        remote: &dyn ObjectStore,
        listed: &RemoteObject,
        batch: &str,
        annotator_id: i64,
        annotator: &str,
        report: &mut SyncReport,
    ) -> Result<()> {
        let where_ = format!("{}/{}", remote.location(), listed.key);
        let Some((object, reviews)) = fetch_parsed(remote, listed, &mut report.problems, |body| {
            parse_reviews(body, &where_, batch, annotator)
        })?
        else {
            return Ok(());
        };
        let stats = self.store.apply_pulled_reviews(&sift_store::PulledReviews {
            object,
            batch,
            annotator_id,
            reviews,
        })?;
        report.reviews += stats.added;
        report.returned += stats.returned;
        report.problems.extend(stats.rejected);
        Ok(())
    }

    /// Applies one remote batch; `None` when nothing in it is assigned to this annotator.
    fn pull_batch(
        &mut self,
        remote: &dyn ObjectStore,
        batch: &str,
        listed: &RemoteObject,
        annotator_id: i64,
        annotator: &str,
        media_dir: Option<&Path>,
    ) -> Result<Option<u64>> {
        let assignments_key = listed.key.clone();
        let manifest_key = format!("batches/{batch}/manifest.jsonl");
        let where_ = |key: &str| format!("{}/{key}", remote.location());
        let Some(fetched) = remote.get(&assignments_key)? else {
            return Ok(None);
        };
        let assignments_sha = check_sha(&fetched, &assignments_key, remote)?;
        let text = std::str::from_utf8(&fetched.body).map_err(|_| Error::ManifestFile {
            file: where_(&assignments_key),
            reason: "not UTF-8".into(),
        })?;
        let mut lines = text.lines().enumerate();
        let header: BatchHeader = match lines.next() {
            Some((_, l)) => serde_json::from_str(l).map_err(|e| Error::Manifest {
                file: where_(&assignments_key),
                line: 1,
                reason: format!("batch header: {e}"),
            })?,
            None => {
                return Err(Error::ManifestFile {
                    file: where_(&assignments_key),
                    reason: "empty".into(),
                });
            }
        };
        let mut mine = Vec::new();
        for (i, l) in lines {
            let a: AssignmentLine = serde_json::from_str(l).map_err(|e| Error::Manifest {
                file: where_(&assignments_key),
                line: i as u64 + 1,
                reason: e.to_string(),
            })?;
            if a.annotators.iter().any(|x| x == annotator) {
                mine.push((i as u64 + 1, a));
            }
        }
        let assignments_object = SyncObject {
            key: assignments_key.clone(),
            size: fetched.body.len() as i64,
            sha256: assignments_sha,
            etag: fetched.etag.clone().or_else(|| listed.etag.clone()),
        };
        if mine.is_empty() {
            self.store
                .record_sync_objects(Direction::Pull, std::slice::from_ref(&assignments_object))?;
            return Ok(None);
        }
        let manifest = remote.get(&manifest_key)?.ok_or_else(|| {
            Error::NotFound(format!(
                "{} (named by {})",
                where_(&manifest_key),
                where_(&assignments_key)
            ))
        })?;
        let manifest_sha = sha256_hex(&manifest.body);
        if manifest_sha != header.manifest_sha256 {
            return Err(Error::Conflict(format!(
                "{} does not match the hash in {} (the lead is pushing this batch right now, or the object is \
                 damaged); nothing of batch {batch:?} was applied — pull again",
                where_(&manifest_key),
                where_(&assignments_key)
            )));
        }
        let manifest_text = std::str::from_utf8(&manifest.body).map_err(|_| Error::ManifestFile {
            file: where_(&manifest_key),
            reason: "not UTF-8".into(),
        })?;
        let mut by_hash: HashMap<[u8; 16], (u64, &str, Option<String>)> = HashMap::new();
        let mut scratch = Vec::new();
        for (i, line) in manifest_text.lines().enumerate() {
            let rec =
                sift_manifest::parse_gt_line(line, None, &mut scratch).map_err(|e| Error::Manifest {
                    file: where_(&manifest_key),
                    line: i as u64 + 1,
                    reason: e.to_string(),
                })?;
            let source_ref = rec.source_ref.map(|s| s.into_owned());
            by_hash.insert(rec.hash.0, (i as u64 + 1, line, source_ref));
        }
        let mut items = Vec::new();
        for (line, a) in mine {
            let hash = parse_hash(&a.item).ok_or_else(|| Error::Manifest {
                file: where_(&assignments_key),
                line,
                reason: format!("field \"item\": {:?} is not a 32-digit hex hash", a.item),
            })?;
            let (_, content, source_ref) = by_hash.get(&hash).ok_or_else(|| Error::Manifest {
                file: where_(&assignments_key),
                line,
                reason: format!("item {} is not in {manifest_key}", a.item),
            })?;
            if let Some(m) = &a.media
                && (!is_media_key(&m.key) || parse_sha(&m.sha256).is_none())
            {
                return Err(Error::Manifest {
                    file: where_(&assignments_key),
                    line,
                    reason: format!(
                        "field \"media\": {:?} is not a media object of this layout",
                        m.key
                    ),
                });
            }
            let media = a.media.clone();
            // With media: the item points at its local copy; without: at the lead's reference.
            let media_ref = match (&media, media_dir) {
                (Some(m), Some(dir)) => {
                    Some(dir.join(media_file_name(&m.key)).to_string_lossy().into_owned())
                }
                // A path on the lead's machine means nothing here; a URI still does.
                _ => source_ref.clone().filter(|r| r.contains("://")),
            };
            items.push(PulledItem {
                content: (*content).to_owned(),
                hash,
                position: a.position,
                media_ref,
                media: media.map(|m| (m.key, m.size as i64, m.sha256)),
            });
        }
        if let Some(dir) = media_dir {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create media folder", dir, e))?;
            self.store.add_media_root(&dir.to_string_lossy())?;
        }
        let source = where_(&manifest_key);
        let stats = self.store.apply_pulled_batch(&PulledBatch {
            name: batch,
            source: &source,
            annotator_id,
            items,
            objects: vec![
                SyncObject {
                    key: manifest_key.clone(),
                    size: manifest.body.len() as i64,
                    sha256: manifest_sha,
                    etag: manifest.etag.clone(),
                },
                assignments_object,
            ],
        })?;
        Ok(Some(stats.items_added))
    }

    /// Downloads pulled items' media that is not on this machine yet.
    fn pull_media(
        &mut self,
        remote: &dyn ObjectStore,
        dir: &Path,
        progress: &dyn Progress,
        report: &mut SyncReport,
    ) -> Result<()> {
        let mut jobs = Vec::new();
        let mut seen = HashSet::new();
        let pulled = self.store.pulled_media()?;
        for m in &pulled {
            let dest = dir.join(media_file_name(&m.key));
            if !seen.insert(dest.clone()) {
                continue;
            }
            if std::fs::metadata(&dest).is_ok_and(|f| f.len() == m.size as u64) {
                report.media_unchanged += 1;
                continue;
            }
            jobs.push(DownloadJob {
                key: m.key.clone(),
                dest,
                size: m.size as u64,
                sha256: m.sha256.clone(),
            });
        }
        let result = self.download_media(remote, dir, &jobs, progress, report);
        // Items point at their local copies once those are in place (also for batches
        // first pulled without media).
        self.store.add_media_root(&dir.to_string_lossy())?;
        for m in &pulled {
            let dest = dir.join(media_file_name(&m.key));
            let dest_text = dest.to_string_lossy();
            if m.local.as_deref() != Some(&*dest_text) && dest.is_file() {
                self.store.set_media_ref(m.item_id, &dest_text)?;
            }
        }
        result
    }

    fn download_media(
        &mut self,
        remote: &dyn ObjectStore,
        dir: &Path,
        jobs: &[DownloadJob],
        progress: &dyn Progress,
        report: &mut SyncReport,
    ) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create media folder", dir, e))?;
        let total: u64 = jobs.iter().map(|j| j.size).sum();
        progress.start("downloading media", Some(total));
        let results = remote.download_files(jobs, &|b| progress.set_position(b));
        progress.finish();
        let mut first_error = None;
        for (job, result) in jobs.iter().zip(results) {
            match result {
                Ok(done) => {
                    report.media_files += 1;
                    report.media_bytes += job.size;
                    report.resumed_bytes += done.resumed_from;
                }
                Err(e) => {
                    report.problems.push(format!("{}: {e}", job.key));
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(Error::from(RemoteError::new(
                e.kind,
                format!(
                    "{} media downloads failed (first: {}); the batches were pulled. Run the pull again: \
                     finished files are kept and interrupted ones resume",
                    report.problems.len(),
                    e.message
                ),
            )));
        }
        Ok(())
    }
}

fn listing(remote: &dyn ObjectStore, prefix: &str) -> Result<HashMap<String, RemoteObject>> {
    Ok(remote
        .list(prefix)?
        .into_iter()
        .map(|o| (o.key.clone(), o))
        .collect())
}

/// Reads a listed object, verifies it and parses it: the object as it is to be recorded as
/// pulled, and what it holds. `None` when it is gone since it was listed, or when it is
/// damaged or not what the layout says: that is a problem of this object (added to
/// `problems`), not of the whole pull, and the object is read again next time.
fn fetch_parsed<T>(
    remote: &dyn ObjectStore,
    listed: &RemoteObject,
    problems: &mut Vec<String>,
    parse: impl FnOnce(&[u8]) -> Result<T>,
) -> Result<Option<(SyncObject, T)>> {
    let Some(fetched) = remote.get(&listed.key)? else {
        return Ok(None);
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
fn check_sha(fetched: &Fetched, key: &str, remote: &dyn ObjectStore) -> Result<String> {
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

/// `results/<annotator>/<batch>/<seq>.jsonl` → (annotator, batch).
fn parse_segment_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("results/")?;
    let mut parts = rest.split('/');
    let annotator = parts.next()?;
    let batch = parts.next()?;
    let file = parts.next()?;
    if parts.next().is_some()
        || crate::validate_person_name(annotator).is_err()
        || check_key_segment(annotator, "").is_err()
        || check_key_segment(batch, "").is_err()
    {
        return None;
    }
    let seq = file.strip_suffix(".jsonl")?;
    (!seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit())).then_some((annotator, batch))
}

/// The batch of `batches/<batch>/assignments.jsonl`.
fn assignments_key_batch(key: &str) -> Option<&str> {
    key.strip_prefix("batches/")
        .and_then(|k| k.strip_suffix("/assignments.jsonl"))
        .filter(|b| check_key_segment(b, "batch").is_ok())
}

/// The batch of `batches/<batch>/reviews/<annotator>.jsonl`, for this annotator's file only.
fn reviews_key_batch<'k>(key: &'k str, annotator: &str) -> Option<&'k str> {
    let rest = key.strip_prefix("batches/")?;
    let (batch, file) = rest.split_once("/reviews/")?;
    let who = file.strip_suffix(".jsonl")?;
    (who == annotator && check_key_segment(batch, "batch").is_ok()).then_some(batch)
}

/// Reads a reviews file: a header naming the batch, the annotator and the count, then one
/// review a line. Anything that does not match is refused whole, with file and line.
fn parse_reviews(
    body: &[u8],
    file: &str,
    batch: &str,
    annotator: &str,
) -> Result<Vec<(u64, sift_store::SyncedReview)>> {
    let bad = |line: u64, reason: String| Error::Manifest {
        file: file.to_owned(),
        line,
        reason,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad(0, "not UTF-8".into()))?;
    let mut lines = text.lines();
    let header: ReviewsHeader = lines
        .next()
        .ok_or_else(|| bad(1, "empty".into()))
        .and_then(|l| serde_json::from_str(l).map_err(|e| bad(1, format!("reviews header: {e}"))))?;
    if header.batch != batch || header.annotator != annotator {
        return Err(bad(
            1,
            format!(
                "header names {}/{}, the file is under {batch}/{annotator}",
                header.batch, header.annotator
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, l) in lines.enumerate() {
        let line = i as u64 + 2;
        let r: ReviewLine = serde_json::from_str(l).map_err(|e| bad(line, e.to_string()))?;
        let item_hash = parse_hash(&r.item)
            .ok_or_else(|| bad(line, format!("field \"item\": {:?} is not a hash", r.item)))?;
        if r.version < 1 {
            return Err(bad(
                line,
                format!("field \"version\": {} is not a version number", r.version),
            ));
        }
        crate::validate_person_name(&r.reviewer)
            .map_err(|e| bad(line, format!("field \"reviewer\": {e}")))?;
        if let Some(anchor) = &r.anchor {
            serde_json::from_str::<serde_json::Value>(anchor)
                .map_err(|e| Error::BadRequest(format!("not JSON: {e}")))
                .and_then(|v| crate::annotate::check_anchor(&v))
                .map_err(|e| bad(line, format!("field \"anchor\": {e}")))?;
        }
        out.push((
            line,
            sift_store::SyncedReview {
                item_hash,
                version: r.version,
                decision: r.decision,
                comment: r.comment,
                anchor: r.anchor,
                reviewer: r.reviewer,
                created_at: r.created_at,
            },
        ));
    }
    if out.len() as u64 != header.reviews {
        return Err(bad(
            out.len() as u64 + 1,
            format!(
                "header says {} reviews, the file has {}: incomplete; not applied",
                header.reviews,
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Reads a segment: version lines, then a trailer naming its writer and line count. A
/// segment without its trailer is incomplete and rejected as a whole.
fn parse_segment(body: &[u8], key: &str, annotator: &str, batch: &str) -> Result<Vec<RemoteVersion>> {
    let bad = |line: u64, reason: String| Error::Manifest {
        file: key.to_owned(),
        line,
        reason,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad(0, "not UTF-8".into()))?;
    let lines: Vec<&str> = text.lines().collect();
    let trailer: SegmentTrailer = lines
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| {
            bad(
                lines.len() as u64,
                "no trailer line: the segment is incomplete; not merged".into(),
            )
        })?;
    if trailer.end.annotator != annotator
        || trailer.end.batch != batch
        || trailer.end.lines != lines.len() as u64 - 1
    {
        return Err(bad(
            lines.len() as u64,
            format!(
                "trailer says {} lines of {}/{}, the segment has {} lines under {annotator}/{batch}; not merged",
                trailer.end.lines,
                trailer.end.annotator,
                trailer.end.batch,
                lines.len() - 1
            ),
        ));
    }
    let mut out = Vec::with_capacity(lines.len() - 1);
    for (i, l) in lines[..lines.len() - 1].iter().enumerate() {
        let line = i as u64 + 1;
        let s: SegmentLine<'_> = serde_json::from_str(l).map_err(|e| bad(line, e.to_string()))?;
        let item_hash = parse_hash(&s.item)
            .ok_or_else(|| bad(line, format!("field \"item\": {:?} is not a hash", s.item)))?;
        let submitted = match s.kind.as_str() {
            "submitted" => true,
            "draft" => false,
            other => {
                return Err(bad(
                    line,
                    format!("field \"kind\": {other:?} is not draft or submitted"),
                ));
            }
        };
        if s.version < 1 {
            return Err(bad(
                line,
                format!("field \"version\": {} is not a version number", s.version),
            ));
        }
        if !s.payload.get().trim_start().starts_with('{') {
            return Err(bad(line, "field \"payload\": not a JSON object".into()));
        }
        out.push(RemoteVersion {
            item_hash,
            version: s.version,
            submitted,
            payload: s.payload.get().to_owned(),
            time_spent_ms: s.time_spent_ms,
            created_at: s.created_at,
            line,
        });
    }
    Ok(out)
}

/// Batch and annotator names become key segments: keep them to a safe alphabet.
fn check_key_segment(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "{what} {name:?} cannot be synced: use letters, digits, '-', '_', '.' or '@'"
        )))
    }
}

/// A local media file as found before a push.
struct LocalFile {
    size: u64,
    mtime_ns: i64,
    /// From the hash cache; `None` when the file must be hashed.
    sha256: Option<String>,
}

/// The media objects of a batch being pushed, and which of them still need uploading.
struct MediaPlan<'a> {
    listed: &'a HashMap<String, RemoteObject>,
    media: BTreeMap<i64, MediaDoc>,
    queued: HashSet<String>,
}

impl MediaPlan<'_> {
    /// Records an item's media; the upload it needs, unless the store has the object (same
    /// key, so same bytes, and same size) or another item already queued it.
    fn add(
        &mut self,
        item_id: i64,
        path: &str,
        size: u64,
        sha256: String,
        report: &mut SyncReport,
    ) -> Option<UploadJob> {
        let key = media_key(&sha256, Path::new(path));
        self.media.insert(
            item_id,
            MediaDoc {
                key: key.clone(),
                size,
                sha256: sha256.clone(),
            },
        );
        if self.listed.get(&key).is_some_and(|o| o.size == size) {
            report.media_unchanged += 1;
            return None;
        }
        if !self.queued.insert(key.clone()) {
            return None;
        }
        Some(UploadJob {
            path: PathBuf::from(path),
            key,
            size,
            sha256,
        })
    }
}

/// SHA-256 (hex) of a file, reading through `buf` (reused from file to file).
fn sha256_file_with(path: &Path, buf: &mut [u8]) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    loop {
        let n = match file.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// `media/<sha256>.<ext>` (the extension kept when it is short and plain).
fn media_key(sha: &str, path: &Path) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase);
    match ext {
        Some(ext) => format!("media/{sha}.{ext}"),
        None => format!("media/{sha}"),
    }
}

fn is_media_key(key: &str) -> bool {
    key.strip_prefix("media/").is_some_and(|name| {
        let (sha, ext) = name.split_once('.').unwrap_or((name, ""));
        parse_sha(sha).is_some() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

fn media_file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

fn parse_hash(s: &str) -> Option<[u8; 16]> {
    let bytes = unhex(s)?;
    bytes.try_into().ok()
}

/// The 32 bytes of a SHA-256 written in hex.
pub fn parse_sha(s: &str) -> Option<[u8; 32]> {
    let bytes = unhex(s)?;
    bytes.try_into().ok()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn json_line<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut v = serde_json::to_vec(value).map_err(|e| Error::Internal(e.to_string()))?;
    v.push(b'\n');
    Ok(v)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// SHA-256 of bytes, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of a file, as hex (read in 1 MiB blocks).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    sha256_file_with(path, &mut vec![0u8; 1 << 20])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_keys_name_their_writer() {
        assert_eq!(
            parse_segment_key("results/alice/b-1/000001.jsonl"),
            Some(("alice", "b-1"))
        );
        assert_eq!(parse_segment_key("results/alice/b-1/x.jsonl"), None);
        assert_eq!(parse_segment_key("results/../b/000001.jsonl"), None);
        assert_eq!(parse_segment_key("results/alice/b/c/000001.jsonl"), None);
        assert_eq!(parse_segment_key("results/alice/.conditional-write-probe"), None);
    }

    #[test]
    fn a_segment_without_its_trailer_is_rejected() {
        let line = r#"{"item":"00112233445566778899aabbccddeeff","version":1,"kind":"submitted","payload":{},"time_spent_ms":5,"created_at":"t"}"#;
        let full = format!("{line}\n{{\"end\":{{\"annotator\":\"a\",\"batch\":\"b\",\"lines\":1}}}}\n");
        assert_eq!(
            parse_segment(full.as_bytes(), "k", "a", "b")
                .map(|v| v.len())
                .ok(),
            Some(1)
        );
        let cut = format!("{line}\n");
        let err = parse_segment(cut.as_bytes(), "k", "a", "b")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("incomplete")));
        // A trailer that claims another writer is not trusted either.
        let other =
            format!("{line}\n{{\"end\":{{\"annotator\":\"mallory\",\"batch\":\"b\",\"lines\":1}}}}\n");
        assert!(parse_segment(other.as_bytes(), "k", "a", "b").is_err());
    }

    #[test]
    fn config_refuses_secrets_and_bad_names() {
        let mut c = SyncConfig {
            prefix: "team/a".into(),
            region: Some("garage".into()),
            endpoint: Some("http://127.0.0.1:3900".into()),
            path_style: true,
            ..SyncConfig::new("sift-data", SyncRole::Lead)
        };
        assert!(c.validate().is_ok());
        c.endpoint = Some("http://AKIA:secret@127.0.0.1:3900".into());
        assert!(c.validate().unwrap_err().to_string().contains("credentials"));
        c.endpoint = None;
        c.prefix = "/abs/".into();
        assert!(c.validate().is_err());
        c.prefix = String::new();
        c.bucket = "Bad_Bucket".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn media_keys_are_content_addressed() {
        let sha = "ab".repeat(32);
        assert_eq!(
            media_key(&sha, Path::new("/x/photo.JPG")),
            format!("media/{sha}.jpg")
        );
        assert_eq!(media_key(&sha, Path::new("/x/noext")), format!("media/{sha}"));
        assert!(is_media_key(&format!("media/{sha}.jpg")));
        assert!(!is_media_key("media/../../etc/passwd"));
        assert!(!is_media_key(&format!("media/{sha}.j/pg")));
    }

    #[test]
    fn pushing_media_hashes_while_uploading_and_sends_each_content_once() {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir(&media).unwrap();
        let mut manifest = String::new();
        for i in 0..300 {
            // Items 10 and 11 share their bytes; item 12's file is missing.
            let n = if i == 11 { 10 } else { i };
            let body = format!("image {n}").repeat(1 + n % 7);
            let path = media.join(format!("{i:03}.jpg"));
            if i != 12 {
                std::fs::write(&path, body).unwrap();
            }
            manifest += &format!("{}\n", serde_json::json!({ "source-ref": path }));
        }
        let manifest_path = dir.path().join("manifest.jsonl");
        std::fs::write(&manifest_path, manifest).unwrap();
        let template =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labeling-templates/image-caption.toml");
        let mut project = crate::init_project(&dir.path().join("p"), &template, None).unwrap();
        project
            .import(
                &manifest_path,
                &crate::ImportOptions::default(),
                &crate::NoProgress,
            )
            .unwrap();
        project.create_batch(Some("b1"), 300, &[]).unwrap();
        project
            .set_sync_config(&SyncConfig {
                media: true,
                ..SyncConfig::new("bench", SyncRole::Lead)
            })
            .unwrap();
        let store = crate::memory_store::MemoryStore::default();
        let opts = SyncOptions::default();

        let first = project.sync_push(&store, &opts, &crate::NoProgress).unwrap();
        // The missing file is a problem of its item; everything else goes up once.
        assert_eq!(first.problems.len(), 1, "{:?}", first.problems);
        assert!(first.problems[0].contains("012.jpg"));
        assert_eq!((first.media_files, first.media_unchanged), (298, 0));
        let media_keys = || store.keys().iter().filter(|k| k.starts_with("media/")).count();
        assert_eq!(media_keys(), 298, "299 files, two with the same bytes");
        assert_eq!(store.take_upload_rounds().iter().sum::<usize>(), 298);

        // Only the file that appeared is sent; the others' hashes come from the cache.
        std::fs::write(media.join("012.jpg"), b"now here").unwrap();
        let again = project.sync_push(&store, &opts, &crate::NoProgress).unwrap();
        assert!(again.problems.is_empty(), "{:?}", again.problems);
        assert_eq!((again.media_files, again.media_unchanged), (1, 299));
        assert_eq!(store.take_upload_rounds(), vec![1]);

        // An object gone from the store is sent again, under the cached hash's key.
        let path = media.join("005.jpg");
        let gone = media_key(&sha256_file(&path).unwrap(), &path);
        assert!(store.remove(&gone));
        let third = project.sync_push(&store, &opts, &crate::NoProgress).unwrap();
        assert_eq!((third.media_files, third.media_unchanged), (1, 299));
        assert!(store.keys().contains(&gone));
        assert_eq!(media_keys(), 299);

        // Status agrees with push: nothing pending after a push with media ...
        let status = project.sync_status(&store).unwrap();
        assert!(status.batches_to_push.is_empty(), "{:?}", status.batches_to_push);
        // ... a changed file makes its batch pending without status hashing anything ...
        std::fs::write(media.join("007.jpg"), b"edited").unwrap();
        assert_eq!(project.sync_status(&store).unwrap().batches_to_push, vec!["b1"]);
        project.sync_push(&store, &opts, &crate::NoProgress).unwrap();
        assert!(project.sync_status(&store).unwrap().batches_to_push.is_empty());
        // ... and so does an object gone from the store.
        assert!(store.remove(&gone));
        assert_eq!(project.sync_status(&store).unwrap().batches_to_push, vec!["b1"]);
    }

    fn ranking_submission(first: &str) -> serde_json::Value {
        let ranks = serde_json::json!({ "0": 1, "1": 2, "2": 3, "3": 4 });
        serde_json::json!({
            "rankings": {"clarity": ranks, "accuracy": ranks, "harmlessness": ranks},
            "classifications": {"0": {"factual_error": "no"}, "1": {"factual_error": "yes"},
                                "2": {"factual_error": "unsure"}, "3": {"factual_error": "no"}},
            "rationale": format!("Response {first} is the clearest and gets the facts right.")
        })
    }

    /// A lead with two ranking items in batch `wk1` for `ann`, pushed to `store`; and the
    /// annotator's project joined from it, with both items submitted and pushed, and merged
    /// on the lead's side.
    fn lead_and_annotator(
        dir: &Path,
        store: &crate::memory_store::MemoryStore,
    ) -> (crate::Project, crate::Project) {
        let manifest = dir.join("items.jsonl");
        let lines: Vec<String> = (0..2)
            .map(|i| {
                serde_json::json!({"source": format!("Question {i}"), "prompt": format!("Question {i}"),
                    "responses": ["Rayleigh scattering.", "The ocean.", "Blue light scatters more.", "Dust."]})
                .to_string()
            })
            .collect();
        std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labeling-templates/ranking.toml");
        let mut lead = crate::init_project(&dir.join("lead"), &template, None).unwrap();
        lead.import(&manifest, &crate::ImportOptions::default(), &crate::NoProgress)
            .unwrap();
        lead.add_annotator("ann", crate::Role::Annotator).unwrap();
        lead.add_annotator("rita", crate::Role::Reviewer).unwrap();
        lead.create_batch(Some("wk1"), 2, &["ann".to_owned()]).unwrap();
        lead.set_sync_config(&SyncConfig::new("team", SyncRole::Lead))
            .unwrap();
        let opts = SyncOptions::default();
        lead.sync_push(store, &opts, &crate::NoProgress).unwrap();
        let config = SyncConfig {
            annotator: Some("ann".into()),
            ..SyncConfig::new("team", SyncRole::Annotator)
        };
        let mut ann = join_project(&dir.join("ann"), store, &config).unwrap();
        ann.sync_pull(store, &opts, &crate::NoProgress).unwrap();
        let items: Vec<i64> = ann
            .store
            .batch_items_for_sync(1)
            .unwrap()
            .iter()
            .map(|r| r.item_id)
            .collect();
        assert_eq!(items.len(), 2);
        for id in items {
            ann.submit(id, "ann", &ranking_submission("0"), 1000).unwrap();
        }
        ann.sync_push(store, &opts, &crate::NoProgress).unwrap();
        lead.sync_pull(store, &opts, &crate::NoProgress).unwrap();
        (lead, ann)
    }

    #[test]
    fn reviews_reach_their_annotator_once_and_never_undo_rework() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::memory_store::MemoryStore::default();
        let opts = SyncOptions::default();
        let (mut lead, mut ann) = lead_and_annotator(dir.path(), &store);
        let pending = lead.pending_reviews(10).unwrap();
        assert_eq!(pending.len(), 2);
        for (n, view) in pending.iter().enumerate() {
            lead.review(&crate::ReviewInput {
                annotation_id: view.id,
                version: view.submitted_version.unwrap(),
                reviewer: "rita",
                decision: sift_store::Decision::Returned,
                comment: Some(if n == 0 { "first" } else { "second" }),
                anchor: None,
            })
            .unwrap();
        }
        let pushed = lead.sync_push(&store, &opts, &crate::NoProgress).unwrap();
        assert_eq!(pushed.reviews, 2);
        assert!(store.keys().contains(&"batches/wk1/reviews/ann.jsonl".to_owned()));

        // Both come back to the annotator, returned, with their comments.
        let items: Vec<i64> = ann
            .store
            .batch_items_for_sync(1)
            .unwrap()
            .iter()
            .map(|r| r.item_id)
            .collect();
        assert_eq!(ann.sync_status(&store).unwrap().reviews_to_pull, vec!["wk1"]);
        let pulled = ann.sync_pull(&store, &opts, &crate::NoProgress).unwrap();
        assert!(pulled.problems.is_empty(), "{:?}", pulled.problems);
        assert_eq!((pulled.reviews, pulled.returned), (2, 2));
        let me = ann.store.annotator_by_name("ann").unwrap().unwrap().id;
        let state = |p: &crate::Project, item: i64| p.store.annotation(item, me).unwrap().unwrap().state;
        assert_eq!(state(&ann, items[0]), sift_core::AnnotationState::Returned);
        assert!(ann.sync_status(&store).unwrap().reviews_to_pull.is_empty());
        let view = ann.item(items[0], Some("ann")).unwrap();
        let comments: Vec<_> = view
            .annotation
            .unwrap()
            .reviews
            .into_iter()
            .map(|r| (r.reviewer, r.comment))
            .collect();
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].0, "rita");

        // The annotator reworks one item; then the file is read again (its bytes changed,
        // here its spacing): nothing is recorded twice and the new submission is not set
        // back to returned.
        ann.submit(items[1], "ann", &ranking_submission("1"), 10).unwrap();
        assert_eq!(state(&ann, items[1]), sift_core::AnnotationState::Submitted);
        let key = "batches/wk1/reviews/ann.jsonl";
        let mut body = store.get(key).unwrap().unwrap().body;
        body.splice(0..0, *b" ");
        let sha = sha256_hex(&body);
        store.put(key, body, &sha, PutMode::Overwrite).unwrap();
        assert_eq!(ann.sync_status(&store).unwrap().reviews_to_pull, vec!["wk1"]);
        let again = ann.sync_pull(&store, &opts, &crate::NoProgress).unwrap();
        assert!(again.problems.is_empty(), "{:?}", again.problems);
        assert_eq!(again.reviews, 0);
        let first = ann.store.annotation(items[0], me).unwrap().unwrap();
        assert_eq!(ann.store.reviews(first.id).unwrap().len(), 1);
        assert_eq!(state(&ann, items[0]), sift_core::AnnotationState::Returned);
        assert_eq!(state(&ann, items[1]), sift_core::AnnotationState::Submitted);
    }

    /// `body` with `from` replaced by `to`, which must be there.
    fn hostile_line(body: &[u8], from: &str, to: &str) -> Vec<u8> {
        let text = std::str::from_utf8(body).unwrap();
        assert!(text.contains(from), "{text}");
        text.replace(from, to).into_bytes()
    }

    #[test]
    fn a_damaged_reviews_file_is_a_problem_and_is_read_again_once_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::memory_store::MemoryStore::default();
        let opts = SyncOptions::default();
        let (mut lead, mut ann) = lead_and_annotator(dir.path(), &store);
        let view = &lead.pending_reviews(1).unwrap()[0];
        lead.review(&crate::ReviewInput {
            annotation_id: view.id,
            version: view.submitted_version.unwrap(),
            reviewer: "rita",
            decision: sift_store::Decision::Approved,
            comment: None,
            anchor: None,
        })
        .unwrap();
        lead.sync_push(&store, &opts, &crate::NoProgress).unwrap();
        let key = "batches/wk1/reviews/ann.jsonl";
        let whole = store.get(key).unwrap().unwrap().body;
        let header_only = whole.split(|&b| b == b'\n').next().unwrap().to_vec();
        for (body, why) in [
            (header_only, "header says 1 reviews, the file has 0"),
            (
                b"{\"sift_reviews\":1,\"batch\":\"other\",\"annotator\":\"ann\",\"reviews\":0}\n".to_vec(),
                "header names other/ann",
            ),
            (b"not json\n".to_vec(), "reviews header"),
            (
                hostile_line(
                    &whole,
                    "\"reviewer\":\"rita\"",
                    "\"reviewer\":\"<img src=x onerror=alert(1)>\"",
                ),
                "field \"reviewer\"",
            ),
            (
                hostile_line(
                    &whole,
                    "\"anchor\":null",
                    "\"anchor\":\"{\\\"span\\\":\\\"../../etc\\\"}\"",
                ),
                "field \"anchor\"",
            ),
        ] {
            let sha = sha256_hex(&body);
            store.put(key, body, &sha, PutMode::Overwrite).unwrap();
            let pulled = ann.sync_pull(&store, &opts, &crate::NoProgress).unwrap();
            assert_eq!(pulled.reviews, 0);
            assert_eq!(pulled.problems.len(), 1, "{:?}", pulled.problems);
            assert!(
                pulled.problems[0].contains(key) && pulled.problems[0].contains(why),
                "{:?}",
                pulled.problems
            );
        }
        let sha = sha256_hex(&whole);
        store.put(key, whole, &sha, PutMode::Overwrite).unwrap();
        let pulled = ann.sync_pull(&store, &opts, &crate::NoProgress).unwrap();
        assert_eq!((pulled.reviews, pulled.returned), (1, 0), "{:?}", pulled.problems);
    }
}
