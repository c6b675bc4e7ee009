//! Media with batches: the lead uploads each batch's media (content-addressed, hashing
//! overlapping the uploads, hashes cached by size and mtime) before the batch that names it;
//! an annotator downloads its items' media and points the items at the local copies.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sift_store::{BatchItemRow, Direction, SyncObject};

use super::digest::sha256_file_with;
use super::layout;
use super::run::{SyncReport, SyncRun};
use super::store::{DownloadJob, RemoteError, RemoteObject, UploadJob};
use super::wire::MediaDoc;
use crate::{Error, Project, Result};

/// A local media file as found before a push.
pub(super) struct LocalFile {
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time (ns since the epoch); with `size`, the hash cache's key.
    pub mtime_ns: i64,
    /// From the hash cache; `None` when the file must be hashed.
    pub sha256: Option<String>,
}

/// The media objects of a batch being pushed, and which of them still need uploading.
struct MediaPlan<'a> {
    listed: &'a HashMap<String, RemoteObject>,
    media: BTreeMap<i64, MediaDoc>,
    queued: HashSet<String>,
}

impl MediaPlan<'_> {
    /// Records an item's media (`path` as the item names it, `real` the file it resolves to);
    /// the upload it needs, unless the store has the object (same key, so same bytes, and
    /// same size) or another item already queued it.
    fn add(
        &mut self,
        item_id: i64,
        path: &str,
        real: PathBuf,
        size: u64,
        sha256: String,
        report: &mut SyncReport,
    ) -> Option<UploadJob> {
        let key = layout::media_key(&sha256, Path::new(path));
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
            path: real,
            key,
            size,
            sha256,
        })
    }
}

impl SyncRun<'_> {
    /// Uploads the media of a batch's items that the store does not have yet; returns each
    /// item's media object.
    ///
    /// Hashing and uploading overlap: files whose hash is cached (same size and mtime) are
    /// queued at once, the others are hashed on this thread (which owns the project's
    /// database) while an uploader thread sends what is queued, each round taking everything
    /// queued since the last one. The store is busy while the rest is hashed.
    pub fn push_batch_media(
        &mut self,
        rows: &[BatchItemRow],
        listed: &HashMap<String, RemoteObject>,
    ) -> Result<BTreeMap<i64, MediaDoc>> {
        let (remote, progress) = (self.remote, self.progress);
        let roots = self.project.real_media_roots()?;
        let report = &mut self.report;
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
            let file = inside_roots(Path::new(path), &roots)
                .and_then(|real| Ok((self.project.local_file(&real)?, real)));
            match file {
                Ok((
                    LocalFile {
                        size,
                        sha256: Some(sha),
                        ..
                    },
                    real,
                )) => ready.extend(plan.add(r.item_id, path, real, size, sha, report)),
                Ok((file, real)) => to_hash.push((r.item_id, path, real, file)),
                Err(e) => report
                    .problems
                    .push(format!("item {}: media {path}: {e}", r.item_id)),
            }
        }
        progress.finish();
        if ready.is_empty() && to_hash.is_empty() {
            return Ok(plan.media);
        }
        let total: u64 = ready.iter().map(|j| j.size).sum::<u64>()
            + to_hash.iter().map(|(_, _, _, f)| f.size).sum::<u64>();
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
                // The uploader only stops when this sender is dropped, so the send cannot fail.
                let _ = tx.send(job);
            }
            let mut buf = vec![0u8; 1 << 20];
            for (item_id, path, real, file) in to_hash {
                match sha256_file_with(&real, &mut buf) {
                    Ok(sha) => {
                        hashed.push((
                            real.to_string_lossy().into_owned(),
                            file.size as i64,
                            file.mtime_ns,
                            sha.clone(),
                        ));
                        match plan.add(item_id, path, real, file.size, sha, report) {
                            Some(job) => {
                                // As above: the uploader is still receiving.
                                let _ = tx.send(job);
                            }
                            None => {
                                settled.fetch_add(file.size, Ordering::Relaxed);
                            }
                        }
                    }
                    Err(e) => {
                        let e = Error::io("cannot read media", &real, e);
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
            self.project.store.cache_file_hashes(&hashed)?;
        }
        if outcomes.is_empty() {
            return Ok(media);
        }
        let mut done = Vec::new();
        let mut first_error = None;
        for (job, result) in &outcomes {
            match result {
                Ok(up) => {
                    self.report.media_files += 1;
                    self.report.media_bytes += job.size;
                    self.report.resumed_parts += u64::from(up.resumed_parts);
                    done.push(SyncObject {
                        key: job.key.clone(),
                        size: job.size as i64,
                        sha256: job.sha256.clone(),
                        etag: up.etag.clone(),
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e.clone());
                    self.report.problems.push(format!("{}: {e}", job.path.display()));
                }
            }
        }
        self.project.store.record_sync_objects(Direction::Push, &done)?;
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

    /// Downloads pulled items' media that is not on this machine yet into `dir`.
    pub fn pull_media(&mut self, dir: &Path) -> Result<()> {
        let mut jobs = Vec::new();
        let mut seen = HashSet::new();
        let pulled = self.project.store.pulled_media()?;
        for m in &pulled {
            let dest = dir.join(layout::media_file_name(&m.key));
            if !seen.insert(dest.clone()) {
                continue;
            }
            if std::fs::metadata(&dest).is_ok_and(|f| f.len() == m.size as u64) {
                self.report.media_unchanged += 1;
                continue;
            }
            jobs.push(DownloadJob {
                key: m.key.clone(),
                dest,
                size: m.size as u64,
                sha256: m.sha256.clone(),
            });
        }
        let result = self.download_media(dir, &jobs);
        // Items point at their local copies once those are in place (also for batches
        // first pulled without media).
        self.project.store.add_media_root(&dir.to_string_lossy())?;
        for m in &pulled {
            let dest = dir.join(layout::media_file_name(&m.key));
            let dest_text = dest.to_string_lossy();
            if m.local.as_deref() != Some(&*dest_text) && dest.is_file() {
                self.project.store.set_media_ref(m.item_id, &dest_text)?;
            }
        }
        result
    }

    fn download_media(&mut self, dir: &Path, jobs: &[DownloadJob]) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create media folder", dir, e))?;
        let total: u64 = jobs.iter().map(|j| j.size).sum();
        let progress = self.progress;
        progress.start("downloading media", Some(total));
        let results = self.remote.download_files(jobs, &|b| progress.set_position(b));
        progress.finish();
        let mut first_error = None;
        for (job, result) in jobs.iter().zip(results) {
            match result {
                Ok(done) => {
                    self.report.media_files += 1;
                    self.report.media_bytes += job.size;
                    self.report.resumed_bytes += done.resumed_from;
                }
                Err(e) => {
                    self.report.problems.push(format!("{}: {e}", job.key));
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
                    self.report.problems.len(),
                    e.message
                ),
            )));
        }
        Ok(())
    }
}

/// The file `path` resolves to (`..` and symbolic links followed), if it lies inside one of
/// the project's media folders (`roots`, resolved the same way): a push never uploads a file
/// from anywhere else, whatever an item names.
fn inside_roots(path: &Path, roots: &[PathBuf]) -> Result<PathBuf> {
    let real = path
        .canonicalize()
        .map_err(|e| Error::io("cannot read media", path, e))?;
    if roots.iter().any(|root| real.starts_with(root)) {
        return Ok(real);
    }
    let shown: Vec<String> = roots.iter().take(3).map(|r| r.display().to_string()).collect();
    Err(Error::Forbidden(format!(
        "{} is outside the project's media folders ({}{}); not uploaded",
        real.display(),
        if shown.is_empty() {
            "none".to_owned()
        } else {
            shown.join(", ")
        },
        if roots.len() > 3 { ", ..." } else { "" }
    )))
}

impl Project {
    /// The project's media folders, resolved (`..` and symbolic links followed); folders
    /// that no longer exist are left out.
    fn real_media_roots(&self) -> Result<Vec<PathBuf>> {
        Ok(self
            .store
            .media_roots()?
            .iter()
            .filter_map(|r| r.canonicalize().ok())
            .collect())
    }

    /// Size and mtime of a local file, and its SHA-256 from the cache when its size and mtime
    /// are unchanged (`None`: it must be hashed).
    pub(super) fn local_file(&self, path: &Path) -> Result<LocalFile> {
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

    /// The batch's media objects as a push would name them, from the hash cache alone; `None`
    /// when a file's hash is not cached for its current size and mtime, or its object is not
    /// in `listed` (media not listed at all counts as missing).
    pub(super) fn cached_batch_media(
        &self,
        rows: &[BatchItemRow],
        listed: &HashMap<String, RemoteObject>,
    ) -> Result<Option<BTreeMap<i64, MediaDoc>>> {
        let roots = self.real_media_roots()?;
        let mut media = BTreeMap::new();
        for r in rows {
            let Some(path) = r.media_ref.as_deref().filter(|p| Path::new(p).is_absolute()) else {
                continue;
            };
            // An unreadable file, or one outside the media folders, is a problem a push
            // reports per item, not a pending upload.
            let Ok(file) = inside_roots(Path::new(path), &roots).and_then(|real| self.local_file(&real))
            else {
                continue;
            };
            let Some(sha256) = file.sha256 else {
                return Ok(None);
            };
            let key = layout::media_key(&sha256, Path::new(path));
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
}
