//! Pushing: the lead writes `project.json`, each batch's manifest and assignments (after its
//! media, see `media.rs`) and the reviews of each annotator's work; an annotator writes its
//! saved versions as new result segments under its own folder.

use std::collections::{BTreeMap, HashMap};

use sift_manifest::ContentHash;
use sift_store::{BatchItemRow, Direction, SyncObject, SyncedReview, UnpushedVersion};

use super::config::{check_key_segment, check_results_buckets};
use super::digest::sha256_hex;
use super::layout::{self, LAYOUT_VERSION, PROJECT_KEY};
use super::pull::fetch_project_doc;
use super::run::{SyncRun, listing};
use super::store::{ObjectStore, PutMode, PutOutcome, RemoteObject};
use super::wire::{
    AssignmentLine, BatchHeader, MediaDoc, ProjectDoc, ReviewLine, ReviewsHeader, SegmentLine,
    SegmentTrailer, TrailerBody, json_line,
};
use crate::{Error, Project, Result};

/// Settings key recording whether the store honours conditional writes.
const CONDITIONAL_KEY: &str = "sync.conditional_writes";

impl SyncRun<'_> {
    /// The lead's push: `project.json`, then each batch (media first, then its manifest and
    /// assignments), then the reviews of each annotator's work in it.
    pub fn push_lead(&mut self) -> Result<()> {
        let row = self.project.store.project()?;
        let doc = ProjectDoc {
            sift_sync: LAYOUT_VERSION,
            name: row.name,
            template_hash: row.template_hash,
            template_text: row.template_text,
            results_buckets: self.config.results_buckets.clone().unwrap_or_default(),
        };
        let body = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Internal(e.to_string()))?;
        // What push compares against; `results/` (the annotators' side) is never listed here.
        let with_media = self.with_media();
        let mut listed = listing(self.remote, PROJECT_KEY)?;
        listed.extend(listing(self.remote, "batches/")?);
        if with_media {
            listed.extend(listing(self.remote, "media/")?);
        }
        self.put_if_changed(PROJECT_KEY, body, &listed)?;

        let mut batches = self.project.store.batch_names()?;
        if !self.opts.batches.is_empty() {
            for wanted in &self.opts.batches {
                if !batches.iter().any(|b| &b.name == wanted) {
                    return Err(Error::NotFound(format!("batch {wanted:?}")));
                }
            }
            batches.retain(|b| self.opts.batches.contains(&b.name));
        }
        for batch in batches {
            let rows = self.project.store.batch_items_for_sync(batch.id)?;
            let media = if with_media {
                self.push_batch_media(&rows, &listed)?
            } else {
                BTreeMap::new()
            };
            let mut changed = false;
            // The manifest first, then the assignments that name its hash: a reader never
            // sees assignments for a manifest that is not there yet.
            for (key, body) in self.project.batch_files(&batch.name, &rows, &media)? {
                changed |= self.put_if_changed(&key, body, &listed)?;
            }
            // Reviews after the batch they are about.
            for (key, body, reviews) in self.project.review_files(batch.id, &batch.name)? {
                if self.put_if_changed(&key, body, &listed)? {
                    changed = true;
                    self.report.reviews += reviews;
                }
            }
            if changed {
                self.report.batches.push(batch.name);
            } else {
                self.report.batches_unchanged += 1;
            }
        }
        Ok(())
    }

    /// Writes `body` to `key` unless the recorded push has the same hash and the object is still there.
    fn put_if_changed(
        &mut self,
        key: &str,
        body: Vec<u8>,
        listed: &HashMap<String, RemoteObject>,
    ) -> Result<bool> {
        let sha = sha256_hex(&body);
        if self.project.pushed_matches(key, &sha, listed)? {
            return Ok(false);
        }
        let size = body.len() as i64;
        let etag = match self.remote.put(key, body, &sha, PutMode::Overwrite)? {
            PutOutcome::Written { etag } => etag,
            PutOutcome::AlreadyExists => None,
        };
        self.project.store.record_sync_objects(
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

    /// The annotator's push: every version saved and not pushed yet, one new segment per
    /// batch under `results/<annotator>/<batch>/` — in the annotator's own results bucket
    /// when the lead's `project.json` names one.
    pub fn push_annotator(&mut self) -> Result<()> {
        let name = self.annotator_name();
        let me = self.project.annotator(&name)?;
        let versions = self.project.store.unpushed_versions(me.id)?;
        if versions.is_empty() {
            return Ok(());
        }
        let doc = fetch_project_doc(self.remote, self.opts.max_object_bytes)?;
        let own;
        let results: &dyn ObjectStore = match doc.results_buckets.get(&name) {
            Some(bucket) => {
                check_results_buckets(
                    &BTreeMap::from([(name.clone(), bucket.clone())]),
                    &self.config.bucket,
                )?;
                own = self.remote.sibling(bucket)?;
                own.as_ref()
            }
            None => self.remote,
        };
        self.report.conditional_writes = Some(probe_conditional_writes(self.project, results, &name)?);
        let mut by_batch: BTreeMap<String, Vec<&UnpushedVersion>> = BTreeMap::new();
        for v in &versions {
            by_batch.entry(v.batch.clone()).or_default().push(v);
        }
        self.progress
            .start("pushing results", Some(versions.len() as u64));
        let mut pushed = 0;
        for (batch, versions) in by_batch {
            check_key_segment(&batch, "batch name")?;
            let body = segment_body(&name, &batch, &versions)?;
            let sha = sha256_hex(&body);
            let dir = layout::segment_dir(&name, &batch);
            // One writer per folder: the next number after the highest one there.
            let mut seq = results
                .list(&dir)?
                .iter()
                .filter_map(|o| layout::segment_seq(&o.key, &dir))
                .max()
                .unwrap_or(0)
                + 1;
            let (key, etag) = loop {
                let key = format!("{dir}{seq:06}.jsonl");
                match results.put(&key, body.clone(), &sha, PutMode::IfAbsent)? {
                    PutOutcome::Written { etag } => break (key, etag),
                    PutOutcome::AlreadyExists => seq += 1,
                }
            };
            let ids: Vec<(i64, i64)> = versions.iter().map(|v| (v.annotation_id, v.version)).collect();
            self.project.store.mark_pushed(
                &SyncObject {
                    key: key.clone(),
                    size: body.len() as i64,
                    sha256: sha,
                    etag,
                },
                &ids,
            )?;
            pushed += ids.len() as u64;
            self.progress.set_position(pushed);
            self.report.versions += ids.len() as u64;
            self.report.segments.push(key);
        }
        self.progress.finish();
        Ok(())
    }
}

/// A segment of `versions` by `annotator` in `batch`: one line each, then the trailer.
fn segment_body(annotator: &str, batch: &str, versions: &[&UnpushedVersion]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    for v in versions {
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
            annotator: annotator.to_owned(),
            batch: batch.to_owned(),
            lines: versions.len() as u64,
        },
    })?);
    Ok(body)
}

/// Whether the store honours `If-None-Match: *`, probed once per project: two guarded
/// writes of one key under this annotator's own folder; if both succeed, it is ignored.
fn probe_conditional_writes(
    project: &mut Project,
    remote: &dyn ObjectStore,
    annotator: &str,
) -> Result<bool> {
    if let Some(v) = project.store.setting(CONDITIONAL_KEY)? {
        return Ok(v == "honoured");
    }
    let key = layout::probe_key(annotator);
    let body = b"probe\n".to_vec();
    let sha = sha256_hex(&body);
    remote.put(&key, body.clone(), &sha, PutMode::Overwrite)?;
    let honoured = matches!(
        remote.put(&key, body, &sha, PutMode::IfAbsent)?,
        PutOutcome::AlreadyExists
    );
    project
        .store
        .set_setting(CONDITIONAL_KEY, if honoured { "honoured" } else { "ignored" })?;
    project.store.append_event(
        None,
        "sync_conditional_writes",
        &serde_json::json!({"honoured": honoured, "location": remote.location()}),
    )?;
    Ok(honoured)
}

impl Project {
    /// Batch `name`'s `manifest.jsonl` and `assignments.jsonl` (of its `rows`), in that order.
    pub(super) fn batch_files(
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
            (layout::manifest_key(name), manifest),
            (layout::assignments_key(name), assignments),
        ])
    }

    /// `batches/<b>/reviews/<annotator>.jsonl` for each annotator with reviewed work in the
    /// batch: every review of their work there, oldest first. The lead is the only writer
    /// and rewrites the whole file when a review is added. With each file, how many reviews
    /// it holds.
    pub(super) fn review_files(&self, batch_id: i64, name: &str) -> Result<Vec<(String, Vec<u8>, u64)>> {
        let mut by_annotator: BTreeMap<String, Vec<SyncedReview>> = BTreeMap::new();
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
            files.push((layout::reviews_key(name, &annotator), body, count));
        }
        Ok(files)
    }
}
