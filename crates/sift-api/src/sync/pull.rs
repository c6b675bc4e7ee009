//! Pulling: an annotator joins from the lead's `project.json`, applies the batches assigned
//! to it (each whole or not at all) and the lead's reviews of its work; the lead merges the
//! annotators' result segments.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use sift_manifest::ContentHash;
use sift_store::{
    Direction, PulledBatch, PulledItem, PulledReviews, RemoteVersion, SegmentMerge, SyncObject,
};
use sift_template::Mode;

use super::config::{SyncConfig, SyncRole};
use super::digest::{parse_hash, parse_sha, sha256_hex};
use super::layout::{self, LAYOUT_VERSION, PROJECT_KEY};
use super::run::{SyncOptions, SyncRun, check_sha, fetch_parsed};
use super::store::{ObjectStore, RemoteObject, too_large};
use super::wire::{ProjectDoc, check_line_length, parse_assignments, parse_reviews, parse_segment};
use crate::{Error, Project, Result};

/// Reads the lead's `project.json` and creates an annotator's project from it in `dir`.
pub fn join_project(dir: &Path, remote: &dyn ObjectStore, config: &SyncConfig) -> Result<Project> {
    config.validate()?;
    if config.role != SyncRole::Annotator {
        return Err(Error::BadRequest(
            "joining makes an annotator's project: set the annotator".into(),
        ));
    }
    let doc = fetch_project_doc(remote, SyncOptions::MAX_OBJECT_BYTES)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create project folder", dir, e))?;
    let template_file = dir.join(".lead-template.toml");
    std::fs::write(&template_file, &doc.template_text)
        .map_err(|e| Error::io("cannot write template", &template_file, e))?;
    let made = crate::init_project(dir, &template_file, Some(&doc.name));
    // A leftover copy of the template is harmless: the project holds its own snapshot.
    let _ = std::fs::remove_file(&template_file);
    let project = made?;
    let annotator = config.annotator.as_deref().unwrap_or_default();
    project
        .store
        .ensure_annotator(annotator, crate::Role::Annotator)?;
    project.set_sync_config(config)?;
    Ok(project)
}

/// The lead's `project.json` (at most `max_bytes` of it), checked.
pub(super) fn fetch_project_doc(remote: &dyn ObjectStore, max_bytes: u64) -> Result<ProjectDoc> {
    let fetched = remote.get(PROJECT_KEY, max_bytes)?.ok_or_else(|| {
        Error::NotFound(format!(
            "{}/{PROJECT_KEY} (the lead has not pushed this project yet: run `sift sync push` on the lead's side)",
            remote.location()
        ))
    })?;
    check_sha(&fetched, PROJECT_KEY, remote)?;
    let doc: ProjectDoc = serde_json::from_slice(&fetched.body).map_err(|e| Error::ManifestFile {
        file: format!("{}/{PROJECT_KEY}", remote.location()),
        reason: e.to_string(),
    })?;
    if doc.sift_sync != LAYOUT_VERSION {
        return Err(Error::BadRequest(format!(
            "{}/{PROJECT_KEY} uses sync layout {}; this Sift reads layout {LAYOUT_VERSION}",
            remote.location(),
            doc.sift_sync
        )));
    }
    Ok(doc)
}

impl SyncRun<'_> {
    /// The lead's pull: merges every result segment not merged yet, from the shared bucket
    /// and from each annotator's own results bucket, in key order (so each folder's segments
    /// in the order they were written).
    pub fn pull_lead(&mut self) -> Result<()> {
        let mapped = self.config.results_buckets.clone().unwrap_or_default();
        let shared = self.remote.list("results/")?;
        let mut own = Vec::new();
        for (annotator, bucket) in &mapped {
            let store = self.remote.sibling(bucket)?;
            let objects = store.list("results/")?;
            own.push((annotator.as_str(), bucket.as_str(), store, objects));
        }
        let total = shared.len() + own.iter().map(|(_, _, _, o)| o.len()).sum::<usize>();
        self.progress.start("merging results", Some(total as u64));
        let mut merge = SegmentPull {
            mapped: &mapped,
            held: HashSet::new(),
            seen: 0,
        };
        let remote = self.remote;
        for o in &shared {
            merge.next(self, remote, None, o)?;
        }
        for (annotator, bucket, store, objects) in &own {
            for o in objects {
                merge.next(self, store.as_ref(), Some((*annotator, *bucket)), o)?;
            }
        }
        self.progress.finish();
        self.pull_shard_results()
    }

    /// Merges workers' score and embedding segments (`crate::shards`), from the bucket the
    /// workers write to.
    fn pull_shard_results(&mut self) -> Result<()> {
        let own = match self.project.shard_results_bucket()? {
            Some(bucket) => Some(self.remote.sibling(&bucket)?),
            None => None,
        };
        let results = own.as_deref().unwrap_or(self.remote);
        let merged = self.project.merge_shard_results(results, self.progress)?;
        self.report.segments.extend(merged.segments);
        self.report.segments_unchanged += merged.segments_unchanged;
        self.report.problems.extend(merged.problems);
        Ok(())
    }

    /// Versions whose payload meets the template (as a draft or a submission); the others
    /// are problems of this pull and are not merged.
    pub(super) fn checked_versions(
        &mut self,
        key: &str,
        batch: &str,
        versions: Vec<RemoteVersion>,
    ) -> Result<Vec<RemoteVersion>> {
        let mut ok = Vec::with_capacity(versions.len());
        for v in versions {
            // An item outside the batch is refused by the merge, with its reason.
            let Some(item_id) = self.project.store.batch_item_id(batch, &v.item_hash)? else {
                ok.push(v);
                continue;
            };
            let mode = if v.submitted { Mode::Submit } else { Mode::Draft };
            let checked = serde_json::from_str::<serde_json::Value>(&v.payload)
                .map_err(|e| e.to_string())
                .and_then(
                    |payload| match self.project.check_payload(item_id, &payload, mode) {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(violations)) => Err(violations
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")),
                        Err(e) => Err(e.to_string()),
                    },
                );
            match checked {
                Ok(()) => ok.push(v),
                Err(why) => self.report.problems.push(format!(
                    "{key}:{}: version {} of item {}: the payload breaks the template ({why}); not merged",
                    v.line,
                    v.version,
                    ContentHash(v.item_hash)
                )),
            }
        }
        Ok(ok)
    }

    /// The annotator's pull: the batches assigned to it, then the lead's reviews of its work,
    /// then (with media) the media of its items.
    pub fn pull_annotator(&mut self) -> Result<()> {
        let name = self.annotator_name();
        let me = self.project.annotator(&name)?;
        let doc = fetch_project_doc(self.remote, self.opts.max_object_bytes)?;
        let local = self.project.store.project()?;
        if doc.template_hash != local.template_hash {
            return Err(Error::Conflict(format!(
                "the lead's template at {}/{PROJECT_KEY} differs from this project's; join the project again \
                 in a new folder to label with the new template",
                self.remote.location()
            )));
        }
        let with_media = self.with_media();
        let media_dir = self.project.project_dir().join("media");
        let objects = self.remote.list("batches/")?;
        let batches: Vec<&RemoteObject> = objects
            .iter()
            .filter(|o| o.key.ends_with("/assignments.jsonl"))
            .collect();
        self.progress.start("pulling batches", Some(batches.len() as u64));
        for (n, o) in batches.iter().enumerate() {
            self.progress.set_position(n as u64);
            let Some(batch) = layout::assignments_key_batch(&o.key) else {
                self.report
                    .problems
                    .push(format!("{}: not a batch; ignored", o.key));
                continue;
            };
            if self.project.pulled_matches(o)? {
                self.report.batches_unchanged += 1;
                continue;
            }
            match self.pull_batch(batch, o, me.id, &name, with_media.then_some(media_dir.as_path()))? {
                Some(added) => {
                    self.report.items_added += added;
                    self.report.batches.push(batch.to_owned());
                }
                None => self.report.batches_unchanged += 1,
            }
        }
        self.progress.finish();
        // The annotator's own work already in the bucket (a new machine, a folder made again).
        self.recover_own_results(&doc, &name)?;
        // The lead's reviews of this annotator's work, once the batches they are about are here.
        for o in &objects {
            let Some(batch) = layout::reviews_key_batch(&o.key, &name) else {
                continue;
            };
            if self.project.pulled_matches(o)? {
                continue;
            }
            self.pull_reviews(o, batch, me.id, &name)?;
        }
        if with_media {
            self.pull_media(&media_dir)?;
        }
        Ok(())
    }

    /// Applies `batches/<batch>/reviews/<annotator>.jsonl`. A damaged or unreadable file is a
    /// problem of this pull (it is read again next time), not a failure of the whole sync.
    fn pull_reviews(
        &mut self,
        listed: &RemoteObject,
        batch: &str,
        annotator_id: i64,
        annotator: &str,
    ) -> Result<()> {
        let where_ = format!("{}/{}", self.remote.location(), listed.key);
        let max = self.opts.max_object_bytes;
        let Some((object, reviews)) =
            fetch_parsed(self.remote, listed, max, &mut self.report.problems, |body| {
                parse_reviews(body, &where_, batch, annotator)
            })?
        else {
            return Ok(());
        };
        let stats = self.project.store.apply_pulled_reviews(&PulledReviews {
            object,
            batch,
            annotator_id,
            reviews,
        })?;
        self.report.reviews += stats.added;
        self.report.returned += stats.returned;
        self.report.problems.extend(stats.rejected);
        Ok(())
    }

    /// Applies one remote batch; `None` when nothing in it is assigned to this annotator.
    fn pull_batch(
        &mut self,
        batch: &str,
        listed: &RemoteObject,
        annotator_id: i64,
        annotator: &str,
        media_dir: Option<&Path>,
    ) -> Result<Option<u64>> {
        let remote = self.remote;
        let assignments_key = listed.key.clone();
        let manifest_key = layout::manifest_key(batch);
        let where_ = |key: &str| format!("{}/{key}", remote.location());
        let max = self.opts.max_object_bytes;
        if listed.size > max {
            return Err(too_large(&where_(&assignments_key), listed.size, max).into());
        }
        let Some(fetched) = remote.get(&assignments_key, max)? else {
            return Ok(None);
        };
        let assignments_sha = check_sha(&fetched, &assignments_key, remote)?;
        let (header, mine) = parse_assignments(&fetched.body, &where_(&assignments_key), annotator)?;
        let assignments_object = SyncObject {
            key: assignments_key.clone(),
            size: fetched.body.len() as i64,
            sha256: assignments_sha,
            etag: fetched.etag.clone().or_else(|| listed.etag.clone()),
        };
        if mine.is_empty() {
            self.project
                .store
                .record_sync_objects(Direction::Pull, std::slice::from_ref(&assignments_object))?;
            return Ok(None);
        }
        let manifest = remote.get(&manifest_key, max)?.ok_or_else(|| {
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
            check_line_length(line, &where_(&manifest_key), i as u64 + 1)?;
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
                && (!layout::is_media_key(&m.key) || parse_sha(&m.sha256).is_none())
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
                (Some(m), Some(dir)) => Some(
                    dir.join(layout::media_file_name(&m.key))
                        .to_string_lossy()
                        .into_owned(),
                ),
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
            self.project.store.add_media_root(&dir.to_string_lossy())?;
        }
        let source = where_(&manifest_key);
        let stats = self.project.store.apply_pulled_batch(&PulledBatch {
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
}

/// The lead's walk over listed result segments.
struct SegmentPull<'m> {
    /// Annotators with a results bucket of their own, and that bucket.
    mapped: &'m BTreeMap<String, String>,
    /// Folders (annotator, batch) with a segment that could not be merged in this pull: the
    /// later segments of a folder follow their earlier ones, so they wait for the next pull.
    held: HashSet<(String, String)>,
    seen: u64,
}

impl SegmentPull<'_> {
    /// Merges one listed object of `store` (`owner`: the annotator whose own bucket it is,
    /// and that bucket; `None` for the shared bucket).
    fn next(
        &mut self,
        run: &mut SyncRun<'_>,
        store: &dyn ObjectStore,
        owner: Option<(&str, &str)>,
        o: &RemoteObject,
    ) -> Result<()> {
        run.progress.set_position(self.seen);
        self.seen += 1;
        let at = match owner {
            Some((_, bucket)) => format!("{} in bucket {bucket:?}", o.key),
            None => o.key.clone(),
        };
        let problems = &mut run.report.problems;
        let Some((annotator, batch)) = layout::parse_segment_key(&o.key) else {
            if !o.key.ends_with(layout::PROBE_SUFFIX) {
                problems.push(format!("{at}: not a result segment; ignored"));
            }
            return Ok(());
        };
        // Who wrote a segment is known from who may write where: an annotator with a bucket
        // of their own is read from there alone, and that bucket holds their work only.
        match owner {
            Some((own, bucket)) if annotator != own => {
                problems.push(format!(
                    "{at}: not {own}'s results (bucket {bucket:?} is {own}'s own); ignored"
                ));
                return Ok(());
            }
            None => {
                if let Some(bucket) = self.mapped.get(annotator) {
                    if !run.project.pulled_matches(o)? {
                        problems.push(format!(
                            "{at}: {annotator}'s results are read from bucket {bucket:?} only; ignored"
                        ));
                    }
                    return Ok(());
                }
            }
            Some(_) => {}
        }
        if run.project.pulled_matches(o)? {
            run.report.segments_unchanged += 1;
            return Ok(());
        }
        let folder = (annotator.to_owned(), batch.to_owned());
        if self.held.contains(&folder) {
            problems.push(format!(
                "{at}: waits for an earlier segment of results/{annotator}/{batch}/ that could not be merged; \
                 read again next time"
            ));
            return Ok(());
        }
        if run.project.store.annotator_by_name(annotator)?.is_none() {
            problems.push(format!(
                "{at}: {annotator:?} is not an annotator of this project; not merged (add them with \
                 `sift annotator add` if they label for you, and pull again)"
            ));
            self.held.insert(folder);
            return Ok(());
        }
        let Some((object, versions)) = fetch_parsed(store, o, run.opts.max_object_bytes, problems, |body| {
            parse_segment(body, &o.key, annotator, batch)
        })?
        else {
            self.held.insert(folder);
            return Ok(());
        };
        let versions = run.checked_versions(&o.key, batch, versions)?;
        let stats = run.project.store.merge_segment(&SegmentMerge {
            object,
            annotator,
            batch,
            versions,
        })?;
        run.report.versions += stats.added;
        run.report.duplicate_versions += stats.duplicates;
        run.report.problems.extend(stats.rejected);
        run.report.segments.push(o.key.clone());
        Ok(())
    }
}
