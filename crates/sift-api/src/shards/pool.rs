//! The lead's side of handing the pool out: [`Project::push_pool`] writes the unlabeled items as
//! content-addressed segments (`pool/<sha256>.jsonl`: a segment's bytes never change, so a
//! segment already in the bucket is not written again) and then `pool/index.json`, the one
//! object rewritten; [`Project::push_model`] writes a model version's files and `model.json`
//! under `models/<name>@<version>/`, where workers pull it from by name.

use std::collections::HashSet;

use sift_store::{Direction, SyncObject};

use super::wire::{
    MediaObject, ModelDoc, ModelFile, POOL_SEGMENT_BYTES, POOL_SEGMENT_ITEMS, PoolIndex, PoolLine,
    PoolSegmentRef, SHARDS_VERSION, json_line,
};
use crate::sync::layout::{POOL_INDEX_KEY, model_dir, pool_segment_key};
use crate::sync::{ObjectStore, PutMode, UploadJob, sha256_file, sha256_hex};
use crate::{Error, ModelInfo, Progress, Project, Result};

/// What [`Project::push_pool`] wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PoolReport {
    /// Unlabeled items in the pool.
    pub items: u64,
    /// Segments the pool has.
    pub segments: u64,
    /// Segments written now (the others were in the bucket already).
    pub segments_written: u64,
    /// Bytes written now.
    pub bytes_written: u64,
    /// Media files uploaded now (`--media`), and their bytes.
    pub media_files: u64,
    /// Bytes of media uploaded now.
    pub media_bytes: u64,
    /// Items whose media could not be sent, with why (they go without it).
    pub problems: Vec<String>,
    /// `model.json` keys written (models published for workers).
    pub models: Vec<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Settings key of the bucket workers write their results to.
const RESULTS_BUCKET_KEY: &str = "shards.results_bucket";

impl Project {
    /// Writes the unlabeled pool to `remote` as segments of at most
    /// [`POOL_SEGMENT_ITEMS`] items (and about [`POOL_SEGMENT_BYTES`]), in item order, then the
    /// index. Segments are named by their SHA-256, so pushing an unchanged pool writes only
    /// the index, and a pool that grew rewrites only its last segments.
    ///
    /// With `media`, items' local media files (inside the project's media folders) are
    /// uploaded as a batch's are and named in their pool lines, for workers to download.
    pub fn push_pool(
        &mut self,
        remote: &dyn ObjectStore,
        media: bool,
        progress: &dyn Progress,
    ) -> Result<PoolReport> {
        let started = std::time::Instant::now();
        let listed: HashSet<String> = remote.list("pool/")?.into_iter().map(|o| o.key).collect();
        let mut report = PoolReport::default();
        let mut segments = Vec::new();
        let mut body: Vec<u8> = Vec::new();
        let mut in_body = 0_u64;
        let total = self.store.status()?.unlabeled;
        progress.start("pushing the pool", Some(total));
        let mut flush = |body: &mut Vec<u8>, items: &mut u64, report: &mut PoolReport| -> Result<()> {
            if *items == 0 {
                return Ok(());
            }
            let sha = sha256_hex(body);
            let key = pool_segment_key(&sha);
            let size = body.len() as u64;
            if !listed.contains(&key) {
                remote.put(&key, std::mem::take(body), &sha, PutMode::Overwrite)?;
                report.segments_written += 1;
                report.bytes_written += size;
            }
            segments.push(PoolSegmentRef {
                key,
                sha256: sha,
                size,
                items: *items,
            });
            body.clear();
            *items = 0;
            Ok(())
        };
        let mut after = 0_i64;
        loop {
            let rows = self.store.pool_items(after, 10_000)?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let mut objects = if media {
                let wanted: Vec<(i64, Option<String>)> =
                    rows.iter().map(|r| (r.id, r.media_ref.clone())).collect();
                let pushed = self.push_pool_media(remote, &wanted, progress)?;
                report.media_files += pushed.files;
                report.media_bytes += pushed.bytes;
                report.problems.extend(pushed.problems);
                pushed.media
            } else {
                Default::default()
            };
            for row in rows {
                let line = json_line(&PoolLine {
                    item: sift_core::hex::encode(&row.hash),
                    content: row.content,
                    media: row.media_ref,
                    media_object: objects.remove(&row.id).map(|(key, size, sha256)| MediaObject {
                        key,
                        size,
                        sha256,
                    }),
                })?;
                if in_body > 0 && body.len() + line.len() > POOL_SEGMENT_BYTES {
                    flush(&mut body, &mut in_body, &mut report)?;
                }
                body.extend_from_slice(&line);
                in_body += 1;
                report.items += 1;
                if in_body as usize >= POOL_SEGMENT_ITEMS {
                    flush(&mut body, &mut in_body, &mut report)?;
                }
            }
            progress.set_position(report.items);
        }
        flush(&mut body, &mut in_body, &mut report)?;
        progress.finish();
        report.segments = segments.len() as u64;
        let index = PoolIndex {
            sift_pool: SHARDS_VERSION,
            items: report.items,
            segments,
        };
        let bytes = serde_json::to_vec(&index).map_err(|e| Error::Internal(e.to_string()))?;
        let sha = sha256_hex(&bytes);
        let size = bytes.len() as i64;
        let before = self.store.sync_object(POOL_INDEX_KEY, Direction::Push)?;
        if before.is_some_and(|o| o.sha256 != sha) {
            self.store.forget_finished_shards()?;
        }
        remote.put(POOL_INDEX_KEY, bytes, &sha, PutMode::Overwrite)?;
        self.store.record_sync_objects(
            Direction::Push,
            &[SyncObject {
                key: POOL_INDEX_KEY.to_owned(),
                size,
                sha256: sha,
                etag: None,
            }],
        )?;
        self.store.append_event(
            None,
            "pool_pushed",
            &serde_json::json!({"items": report.items, "segments": report.segments,
                "segments_written": report.segments_written}),
        )?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Publishes `model` for workers: its files (model and assets: every plain file of its
    /// folder) and `models/<name>@<version>/model.json`, written last. Returns that key.
    pub fn push_model(&self, remote: &dyn ObjectStore, model: &ModelInfo) -> Result<String> {
        let dir = model_dir(&model.label());
        let model_file = model
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Internal(format!("model {} has no file name", model.label())))?;
        let mut files = Vec::new();
        let mut jobs = Vec::new();
        let entries = std::fs::read_dir(&model.dir).map_err(|e| Error::io("cannot read", &model.dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("cannot read", &model.dir, e))?;
            let path = entry.path();
            let meta = entry.metadata().map_err(|e| Error::io("cannot read", &path, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !meta.is_file() || !crate::sync::is_key_segment(&name) {
                continue;
            }
            let sha = sha256_file(&path).map_err(|e| Error::io("cannot read", &path, e))?;
            jobs.push(UploadJob {
                path,
                key: format!("{dir}{name}"),
                size: meta.len(),
                sha256: sha.clone(),
            });
            files.push(ModelFile {
                name,
                size: meta.len(),
                sha256: sha,
            });
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        for done in remote.upload_files(&jobs, &|_| {}) {
            done?;
        }
        let doc = ModelDoc {
            sift_model: SHARDS_VERSION,
            name: model.row.name.clone(),
            version: model.row.version,
            config: model.row.config.clone(),
            model_file,
            files,
        };
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Internal(e.to_string()))?;
        let key = format!("{dir}model.json");
        let sha = sha256_hex(&bytes);
        remote.put(&key, bytes, &sha, PutMode::Overwrite)?;
        Ok(key)
    }

    /// The bucket workers write their results to (`None`: the sync bucket itself).
    pub fn shard_results_bucket(&self) -> Result<Option<String>> {
        Ok(self.store.setting(RESULTS_BUCKET_KEY)?.filter(|b| !b.is_empty()))
    }

    /// Sets the bucket workers write their results to (`None` or empty: the sync bucket).
    pub fn set_shard_results_bucket(&self, bucket: Option<&str>) -> Result<()> {
        let bucket = bucket.map(str::trim).unwrap_or_default();
        if !bucket.is_empty() {
            let mut check = crate::SyncConfig::new(bucket, crate::SyncRole::Lead);
            check.prefix.clear();
            check.validate()?;
        }
        self.store.set_setting(RESULTS_BUCKET_KEY, bucket)?;
        Ok(())
    }
}
