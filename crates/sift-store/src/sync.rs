//! What S3 sync reads and records: batches as they are pushed, pulled batches on an
//! annotator's side, unpushed annotation versions, merged result segments on the lead's
//! side, and the transfer bookkeeping (`sync_objects`, `sync_files`).
//!
//! Every change that depends on a remote object is made in one transaction together with the
//! row that records the object as transferred, so a crash leaves either both or neither.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sift_core::{Action, AnnotationState, hex};

use crate::{Decision, Result, Store, StoreError};

/// Direction of a recorded transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Direction {
    /// From this project to the bucket.
    Push,
    /// From the bucket into this project.
    Pull,
}

impl Direction {
    /// `sync_objects.direction`.
    fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A remote object as last transferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncObject {
    /// The object's key in the bucket.
    pub key: String,
    /// Its size in bytes.
    pub size: i64,
    /// SHA-256 of its bytes (64 lower-case hex digits).
    pub sha256: String,
    /// The ETag the store returned, when it returned one.
    pub etag: Option<String>,
}

/// One item of a batch, as the lead pushes it.
#[derive(Debug, Clone)]
pub struct BatchItemRow {
    /// The item's id in this project.
    pub item_id: i64,
    /// The item's place in the batch (0 first).
    pub position: i64,
    /// The manifest object as imported (JSON text).
    pub content: String,
    /// The item's content hash (BLAKE3, 16 bytes), which the annotator's project deduplicates by.
    pub content_hash: [u8; 16],
    /// The item's media reference in the lead's project (a path or a remote URI).
    pub media_ref: Option<String>,
    /// Names of the annotators the item is assigned to.
    pub annotators: Vec<String>,
}

/// A batch name and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchName {
    /// The batch's id.
    pub id: i64,
    /// The batch's unique name.
    pub name: String,
}

/// One item of a batch pulled from the lead.
#[derive(Debug, Clone)]
pub struct PulledItem {
    /// The manifest object as imported (JSON text).
    pub content: String,
    /// The item's content hash (BLAKE3, 16 bytes), which this project deduplicates by.
    pub hash: [u8; 16],
    /// The item's place in the batch (0 first).
    pub position: i64,
    /// Where the item's media is on this machine (or the lead's reference when not downloaded).
    pub media_ref: Option<String>,
    /// The lead's media object: key, size, SHA-256.
    pub media: Option<(String, i64, String)>,
}

/// A batch pulled from the lead, applied in one transaction.
#[derive(Debug, Clone)]
pub struct PulledBatch<'a> {
    /// The batch's name (the lead's).
    pub name: &'a str,
    /// Where the batch was read from (its manifest object), recorded as the import's file.
    pub source: &'a str,
    /// This project's annotator the items are assigned to.
    pub annotator_id: i64,
    /// The batch's items, in the manifest's order.
    pub items: Vec<PulledItem>,
    /// The objects this batch was read from, recorded as pulled with it.
    pub objects: Vec<SyncObject>,
}

/// What applying a pulled batch changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PulledBatchStats {
    /// Items new to this project.
    pub items_added: u64,
    /// Items this project already had (same content hash); they join the batch as they are.
    pub items_existing: u64,
}

/// A pulled item's media object and the item's media reference here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledMedia {
    /// The item's id in this project.
    pub item_id: i64,
    /// The item's media reference here now: a local path once downloaded, else the lead's
    /// reference.
    pub local: Option<String>,
    /// The lead's media object key.
    pub key: String,
    /// Its size in bytes.
    pub size: i64,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
}

/// A version not yet pushed (annotator side).
#[derive(Debug, Clone)]
pub struct UnpushedVersion {
    /// The batch the item belongs to (the first, if several).
    pub batch: String,
    /// The item's content hash: how lead and annotator name the same item across projects.
    pub item_hash: [u8; 16],
    /// The annotation (in this project) the version belongs to.
    pub annotation_id: i64,
    /// The annotation version number (from 1).
    pub version: i64,
    /// Whether that save was a submission (`false`: a draft).
    pub submitted: bool,
    /// The annotation as JSON text (the template kind's payload).
    pub payload: String,
    /// Active time that save added, in milliseconds.
    pub time_spent_ms: i64,
    /// When it was saved (RFC 3339, UTC).
    pub created_at: String,
}

/// One version read from a result segment (lead side).
#[derive(Debug, Clone)]
pub struct RemoteVersion {
    /// The item's content hash: how lead and annotator name the same item across projects.
    pub item_hash: [u8; 16],
    /// The annotation version number (from 1).
    pub version: i64,
    /// Whether that save was a submission (`false`: a draft).
    pub submitted: bool,
    /// The annotation as JSON text (the template kind's payload).
    pub payload: String,
    /// Active time that save added, in milliseconds.
    pub time_spent_ms: i64,
    /// When it was saved (RFC 3339, UTC).
    pub created_at: String,
    /// Line of the segment, for messages.
    pub line: u64,
}

/// A result segment to merge (lead side).
#[derive(Debug, Clone)]
pub struct SegmentMerge<'a> {
    /// The segment object, recorded as pulled in the same transaction as the merge.
    pub object: SyncObject,
    /// The annotator who pushed the segment; must already be in this project.
    pub annotator: &'a str,
    /// The batch the segment's work is for.
    pub batch: &'a str,
    /// The versions the segment holds, in the segment's order.
    pub versions: Vec<RemoteVersion>,
}

/// A review the lead made of an annotator's version, as it travels to that annotator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedReview {
    /// The item's content hash: how lead and annotator name the same item across projects.
    pub item_hash: [u8; 16],
    /// The annotation version judged.
    pub version: i64,
    /// Approved or returned.
    pub decision: Decision,
    /// The reviewer's comment, if any.
    pub comment: Option<String>,
    /// What the comment points at, as JSON (`{"span":[s,e]}`, `{"object":"id"}` or
    /// `{"time":12.5}`).
    pub anchor: Option<String>,
    /// The reviewer's name.
    pub reviewer: String,
    /// When the review was made (RFC 3339, UTC).
    pub created_at: String,
}

/// Reviews pulled from the lead for one annotator in one batch (annotator side).
#[derive(Debug, Clone)]
pub struct PulledReviews<'a> {
    /// The remote object this came from, recorded as pulled in the same transaction.
    pub object: SyncObject,
    /// The batch the reviews are for.
    pub batch: &'a str,
    /// This project's annotator whose work was reviewed.
    pub annotator_id: i64,
    /// With the line each came from, for messages.
    pub reviews: Vec<(u64, SyncedReview)>,
}

/// What applying pulled reviews did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReviewMergeStats {
    /// Reviews recorded.
    pub added: u64,
    /// Of those, the ones that returned the newest submission for rework.
    pub returned: u64,
    /// Of those, the ones that approved the newest submission.
    pub approved: u64,
    /// Reviews already recorded.
    pub duplicates: u64,
    /// Problems with single lines (`key:line: reason`); those reviews were not recorded.
    pub rejected: Vec<String>,
}

/// What merging a segment did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeStats {
    /// Versions added.
    pub added: u64,
    /// Versions already present with the same payload (a segment pulled again, or repeated).
    pub duplicates: u64,
    /// Problems with single lines (`key:line: reason`); those lines were not merged.
    pub rejected: Vec<String>,
}

impl Store {
    /// Every batch, oldest first.
    pub fn batch_names(&self) -> Result<Vec<BatchName>> {
        let mut stmt = self.conn.prepare("SELECT id, name FROM batches ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(BatchName {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` items with no annotation that are in no batch, oldest first.
    pub fn unbatched_unlabeled(&self, limit: u32) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT i.id FROM items i
             WHERE NOT EXISTS (SELECT 1 FROM batch_items bi WHERE bi.item_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)
             ORDER BY i.id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A batch's items in order, with their assignees.
    pub fn batch_items_for_sync(&self, batch_id: i64) -> Result<Vec<BatchItemRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT i.id, bi.position, i.content, i.content_hash, i.media_ref,
                    (SELECT group_concat(p.name, char(10)) FROM assignments s JOIN annotators p ON p.id = s.annotator_id
                      WHERE s.batch_id = bi.batch_id AND s.item_id = bi.item_id)
             FROM batch_items bi JOIN items i ON i.id = bi.item_id
             WHERE bi.batch_id = ?1 ORDER BY bi.position",
        )?;
        let rows = stmt.query_map([batch_id], |r| {
            let names: Option<String> = r.get(5)?;
            let mut annotators: Vec<String> = names
                .map(|n| n.split('\n').map(str::to_owned).collect())
                .unwrap_or_default();
            annotators.sort();
            Ok(BatchItemRow {
                item_id: r.get(0)?,
                position: r.get(1)?,
                content: r.get(2)?,
                content_hash: hash16(r, 3)?,
                media_ref: r.get(4)?,
                annotators,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The last recorded transfer of `key` in `direction`.
    pub fn sync_object(&self, key: &str, direction: Direction) -> Result<Option<SyncObject>> {
        // Once per listed object in push, pull and status: a cached statement.
        Ok(self
            .conn
            .prepare_cached(
                "SELECT remote_key, size, sha256, etag FROM sync_objects WHERE remote_key = ?1 AND direction = ?2",
            )?
            .query_row(params![key, direction.as_str()], sync_object_row)
            .optional()?)
    }

    /// Every recorded transfer in `direction` whose key starts with `prefix`.
    pub fn sync_objects(&self, direction: Direction, prefix: &str) -> Result<Vec<SyncObject>> {
        let mut stmt = self.conn.prepare(
            "SELECT remote_key, size, sha256, etag FROM sync_objects
             WHERE direction = ?1 AND substr(remote_key, 1, length(?2)) = ?2 ORDER BY remote_key",
        )?;
        let rows = stmt.query_map(params![direction.as_str(), prefix], sync_object_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records objects as transferred (one transaction).
    pub fn record_sync_objects(&mut self, direction: Direction, objects: &[SyncObject]) -> Result<()> {
        let tx = self.conn.transaction()?;
        record_objects(&tx, direction, objects)?;
        tx.commit()?;
        Ok(())
    }

    /// The recorded SHA-256 of a local file, if its size and modification time still match.
    pub fn cached_file_hash(&self, path: &str, size: i64, mtime_ns: i64) -> Result<Option<String>> {
        // Once per media file in push and status: a cached statement.
        Ok(self
            .conn
            .prepare_cached("SELECT sha256 FROM sync_files WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3")?
            .query_row(params![path, size, mtime_ns], |r| r.get(0))
            .optional()?)
    }

    /// Records local files' SHA-256 (path, size, mtime in ns, hash), one transaction.
    pub fn cache_file_hashes(&mut self, files: &[(String, i64, i64, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO sync_files (path, size, mtime_ns, sha256) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                                                 sha256 = excluded.sha256",
            )?;
            for (path, size, mtime, sha) in files {
                stmt.execute(params![path, size, mtime, sha])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds (or completes) a batch pulled from the lead: its items (deduplicated by content
    /// hash), the batch and its order, the assignment to this project's annotator, the media
    /// objects, and the objects it was read from — all in one transaction.
    pub fn apply_pulled_batch(&mut self, batch: &PulledBatch<'_>) -> Result<PulledBatchStats> {
        let now = sift_core::now_rfc3339();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO imports (file, format, started_at) VALUES (?1, 'sift-sync', ?2)",
            params![batch.source, now],
        )?;
        let import_id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO batches (name, created_at) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
            params![batch.name, now],
        )?;
        let batch_id: i64 = tx.query_row("SELECT id FROM batches WHERE name = ?1", [batch.name], |r| {
            r.get(0)
        })?;
        let mut stats = PulledBatchStats::default();
        {
            let mut insert_item = tx.prepare_cached(crate::import::INSERT_ITEM)?;
            let mut find_item = tx.prepare_cached("SELECT id FROM items WHERE content_hash = ?1")?;
            let mut set_media = tx.prepare_cached("UPDATE items SET media_ref = ?2 WHERE id = ?1")?;
            let mut batch_item = tx.prepare_cached(
                "INSERT INTO batch_items (batch_id, item_id, position) VALUES (?1, ?2, ?3)
                 ON CONFLICT(batch_id, item_id) DO UPDATE SET position = excluded.position",
            )?;
            let mut assign = tx.prepare_cached(
                "INSERT INTO assignments (batch_id, item_id, annotator_id, assigned_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
            )?;
            let mut media = tx.prepare_cached(
                "INSERT INTO sync_item_media (item_id, remote_key, size, sha256) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(item_id) DO UPDATE SET remote_key = excluded.remote_key, size = excluded.size,
                                                    sha256 = excluded.sha256",
            )?;
            for (line, item) in batch.items.iter().enumerate() {
                let n = insert_item.execute(params![
                    item.content,
                    &item.hash[..],
                    item.media_ref,
                    import_id,
                    line as i64 + 1
                ])?;
                let item_id: i64 = if n == 1 {
                    stats.items_added += 1;
                    tx.last_insert_rowid()
                } else {
                    stats.items_existing += 1;
                    let id: i64 = find_item.query_row([&item.hash[..]], |r| r.get(0))?;
                    if item.media_ref.is_some() {
                        set_media.execute(params![id, item.media_ref])?;
                    }
                    id
                };
                batch_item.execute(params![batch_id, item_id, item.position])?;
                assign.execute(params![batch_id, item_id, batch.annotator_id, now])?;
                if let Some((key, size, sha)) = &item.media {
                    media.execute(params![item_id, key, size, sha])?;
                }
            }
        }
        tx.execute(
            "UPDATE imports SET lines = ?2, added = ?3, duplicates = ?4 WHERE id = ?1",
            params![
                import_id,
                batch.items.len() as i64,
                stats.items_added as i64,
                stats.items_existing as i64
            ],
        )?;
        record_objects(&tx, Direction::Pull, &batch.objects)?;
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'batch_pulled', ?2)",
            params![
                now,
                serde_json::json!({"batch": batch.name, "source": batch.source,
                    "added": stats.items_added, "existing": stats.items_existing})
                .to_string()
            ],
        )?;
        tx.commit()?;
        Ok(stats)
    }

    /// Adds a folder media may be served from.
    pub fn add_media_root(&self, path: &str) -> Result<()> {
        crate::import::add_media_root_in(&self.conn, path)
    }

    /// Points an item at a local copy of its media.
    pub fn set_media_ref(&self, item_id: i64, media_ref: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE items SET media_ref = ?2 WHERE id = ?1",
            params![item_id, media_ref],
        )?;
        Ok(())
    }

    /// Media of pulled items, with where each item points now.
    pub fn pulled_media(&self) -> Result<Vec<PulledMedia>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.item_id, i.media_ref, m.remote_key, m.size, m.sha256
             FROM sync_item_media m JOIN items i ON i.id = m.item_id ORDER BY m.item_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PulledMedia {
                item_id: r.get(0)?,
                local: r.get(1)?,
                key: r.get(2)?,
                size: r.get(3)?,
                sha256: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Versions saved by `annotator_id` on items of a batch and not pushed yet, by batch,
    /// item and version. An item in several batches counts for the first.
    pub fn unpushed_versions(&self, annotator_id: i64) -> Result<Vec<UnpushedVersion>> {
        let mut stmt = self.conn.prepare(
            "SELECT (SELECT b.name FROM batch_items bi JOIN batches b ON b.id = bi.batch_id
                      WHERE bi.item_id = a.item_id ORDER BY b.id LIMIT 1) AS batch,
                    i.content_hash, v.annotation_id, v.version, v.kind = 'submitted', v.payload,
                    v.time_spent_ms, v.created_at
             FROM annotations a
             JOIN annotation_versions v ON v.annotation_id = a.id
             JOIN items i ON i.id = a.item_id
             WHERE a.annotator_id = ?1
               AND NOT EXISTS (SELECT 1 FROM sync_pushed_versions s
                               WHERE s.annotation_id = v.annotation_id AND s.version = v.version)
             ORDER BY batch, a.item_id, v.version",
        )?;
        let rows = stmt.query_map([annotator_id], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                UnpushedVersion {
                    batch: String::new(),
                    item_hash: hash16(r, 1)?,
                    annotation_id: r.get(2)?,
                    version: r.get(3)?,
                    submitted: r.get(4)?,
                    payload: r.get(5)?,
                    time_spent_ms: sift_core::clamp_time_spent_ms(r.get(6)?),
                    created_at: r.get(7)?,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (batch, mut v) = row?;
            // Work on items outside any batch is not the lead's to collect.
            if let Some(batch) = batch {
                v.batch = batch;
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Records versions as pushed in `segment`, together with the segment object.
    pub fn mark_pushed(&mut self, segment: &SyncObject, versions: &[(i64, i64)]) -> Result<()> {
        let now = sift_core::now_rfc3339();
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO sync_pushed_versions (annotation_id, version, segment, pushed_at)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            )?;
            for (annotation_id, version) in versions {
                stmt.execute(params![annotation_id, version, segment.key, now])?;
            }
        }
        record_objects(&tx, Direction::Push, std::slice::from_ref(segment))?;
        tx.commit()?;
        Ok(())
    }

    /// Counts versions by `annotator_id` not pushed yet.
    pub fn count_unpushed(&self, annotator_id: i64) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM annotations a JOIN annotation_versions v ON v.annotation_id = a.id
             WHERE a.annotator_id = ?1 AND EXISTS (SELECT 1 FROM batch_items bi WHERE bi.item_id = a.item_id)
               AND NOT EXISTS (SELECT 1 FROM sync_pushed_versions s
                               WHERE s.annotation_id = v.annotation_id AND s.version = v.version)",
            [annotator_id],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The item with content hash `hash` in batch `batch`, if this project has both.
    pub fn batch_item_id(&self, batch: &str, hash: &[u8; 16]) -> Result<Option<i64>> {
        let Some(batch_id) = batch_id_in(&self.conn, batch)? else {
            return Ok(None);
        };
        item_in_batch(&self.conn, hash, Some(batch_id))
    }

    /// Merges an annotator's result segment: each version is added once (a version already
    /// present is a duplicate — or, with another payload, rejected, never overwritten), the
    /// annotation's state moves as the state machine allows, reviews are kept, and the
    /// segment is recorded as pulled — all in one transaction.
    ///
    /// A segment is hostile input. The annotator must be one this project knows (no one is
    /// added); a version is taken only for an item assigned to that annotator in that batch,
    /// only as the next number after the newest merged one (a segment cannot claim numbers
    /// ahead of the real work), and only when saving it would have been allowed: work that
    /// waits for review or was approved is not changed by a pull.
    pub fn merge_segment(&mut self, segment: &SegmentMerge<'_>) -> Result<MergeStats> {
        let now = sift_core::now_rfc3339();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let annotator_id: i64 = tx
            .query_row(
                "SELECT id FROM annotators WHERE name = ?1",
                [segment.annotator],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("annotator {:?}", segment.annotator)))?;
        let batch_id = batch_id_in(&tx, segment.batch)?;
        let mut stats = MergeStats::default();
        let key = &segment.object.key;
        for v in &segment.versions {
            let reject = |why: String| format!("{key}:{}: {why}", v.line);
            // Each version adds 0 to 24 h; totals saturate (SQLite makes an overflowing
            // sum a REAL, and min() brings it back to the largest integer).
            if let Err(e) = sift_core::check_time_spent_ms(v.time_spent_ms) {
                stats.rejected.push(reject(e.to_string()));
                continue;
            }
            let Some(item_id) = item_in_batch(&tx, &v.item_hash, batch_id)? else {
                stats.rejected.push(reject(format!(
                    "item {} is not in batch {:?} of this project",
                    hex::encode(&v.item_hash),
                    segment.batch
                )));
                continue;
            };
            let assigned: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM assignments
                     WHERE batch_id = ?1 AND item_id = ?2 AND annotator_id = ?3)",
                )?
                .query_row(params![batch_id, item_id, annotator_id], |r| r.get(0))?;
            if !assigned {
                stats.rejected.push(reject(format!(
                    "item {} is not assigned to {} in batch {:?}; not merged",
                    hex::encode(&v.item_hash),
                    segment.annotator,
                    segment.batch
                )));
                continue;
            }
            let current: Option<(i64, String, i64)> = tx
                .prepare_cached(
                    "SELECT id, state, latest_version FROM annotations WHERE item_id = ?1 AND annotator_id = ?2",
                )?
                .query_row(params![item_id, annotator_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if let Some((annotation_id, _, _)) = &current {
                let existing: Option<String> = tx
                    .prepare_cached(
                        "SELECT payload FROM annotation_versions WHERE annotation_id = ?1 AND version = ?2",
                    )?
                    .query_row(params![annotation_id, v.version], |r| r.get(0))
                    .optional()?;
                if let Some(existing) = existing {
                    if same_json(&existing, &v.payload) {
                        stats.duplicates += 1;
                    } else {
                        stats.rejected.push(reject(format!(
                            "version {} of item {} differs from the version already merged; the merged one is kept",
                            v.version,
                            hex::encode(&v.item_hash)
                        )));
                    }
                    continue;
                }
            }
            let latest = current.as_ref().map_or(0, |c| c.2);
            if v.version > latest + 1 {
                stats.rejected.push(reject(format!(
                    "version {} of item {} skips ahead: the newest merged is {latest}; not merged",
                    v.version,
                    hex::encode(&v.item_hash)
                )));
                continue;
            }
            let action = if v.submitted {
                Action::Submit
            } else {
                Action::SaveDraft
            };
            let annotation_id = match &current {
                None => {
                    let state = AnnotationState::apply(None, action).map_err(StoreError::from)?;
                    tx.execute(
                        "INSERT INTO annotations (item_id, annotator_id, state, latest_version, submitted_version,
                                                  time_spent_ms, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 THEN ?4 END, ?6, ?7, ?8)",
                        params![
                            item_id,
                            annotator_id,
                            state.as_str(),
                            v.version,
                            v.submitted,
                            v.time_spent_ms.max(0),
                            v.created_at,
                            now
                        ],
                    )?;
                    tx.last_insert_rowid()
                }
                Some((id, state, latest)) => {
                    if v.version > *latest {
                        // The next version moves the state as saving it would have. Where the
                        // state machine refuses (the work waits for review, or was approved),
                        // the annotator could not have saved it: it is not merged.
                        let state: AnnotationState = state.parse().map_err(StoreError::Corrupt)?;
                        let Ok(next) = AnnotationState::apply(Some(state), action) else {
                            stats.rejected.push(reject(format!(
                                "version {} of item {}: the work {}; not merged",
                                v.version,
                                hex::encode(&v.item_hash),
                                if state == AnnotationState::Approved {
                                    "was approved"
                                } else {
                                    "waits for review (it changes only once the reviewer returns it)"
                                }
                            )));
                            continue;
                        };
                        tx.execute(
                            "UPDATE annotations SET state = ?2, latest_version = ?3,
                                submitted_version = CASE WHEN ?4 THEN ?3 ELSE submitted_version END,
                                time_spent_ms = min(time_spent_ms + ?5, 9223372036854775807), updated_at = ?6
                             WHERE id = ?1",
                            params![
                                id,
                                next.as_str(),
                                v.version,
                                v.submitted,
                                v.time_spent_ms.max(0),
                                now
                            ],
                        )?;
                    } else {
                        // An older version arriving late is kept for the history only.
                        tx.execute(
                            "UPDATE annotations SET time_spent_ms = min(time_spent_ms + ?2, 9223372036854775807) WHERE id = ?1",
                            params![id, v.time_spent_ms.max(0)],
                        )?;
                    }
                    *id
                }
            };
            tx.prepare_cached(
                "INSERT INTO annotation_versions (annotation_id, version, kind, payload, time_spent_ms, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                annotation_id,
                v.version,
                if v.submitted { "submitted" } else { "draft" },
                v.payload,
                v.time_spent_ms.max(0),
                v.created_at
            ])?;
            stats.added += 1;
        }
        record_objects(&tx, Direction::Pull, std::slice::from_ref(&segment.object))?;
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, ?2, 'results_merged', ?3)",
            params![
                now,
                segment.annotator,
                serde_json::json!({"segment": key, "batch": segment.batch, "added": stats.added,
                    "duplicates": stats.duplicates, "rejected": stats.rejected.len()})
                .to_string()
            ],
        )?;
        tx.commit()?;
        Ok(stats)
    }

    /// The reviews of every annotation of a batch's items, by annotator name, oldest first:
    /// what the lead publishes to each annotator.
    pub fn batch_reviews(&self, batch_id: i64) -> Result<Vec<(String, SyncedReview)>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.name, i.content_hash, r.version, r.decision, r.comment, r.anchor, rv.name, r.created_at
             FROM batch_items bi
             JOIN items i ON i.id = bi.item_id
             JOIN annotations a ON a.item_id = bi.item_id
             JOIN annotators p ON p.id = a.annotator_id
             JOIN reviews r ON r.annotation_id = a.id
             JOIN annotators rv ON rv.id = r.reviewer_id
             WHERE bi.batch_id = ?1
             ORDER BY p.name, r.id",
        )?;
        let rows = stmt.query_map([batch_id], |r| {
            Ok((
                r.get(0)?,
                SyncedReview {
                    item_hash: hash16(r, 1)?,
                    version: r.get(2)?,
                    decision: r.get(3)?,
                    comment: r.get(4)?,
                    anchor: r.get(5)?,
                    reviewer: r.get(6)?,
                    created_at: r.get(7)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records the lead's reviews of this annotator's work (annotator side), in one
    /// transaction with the object they came from. A review already recorded (same version,
    /// decision and time) is skipped, so pulling the file again changes nothing. A review moves
    /// the annotation's state only when it judges the newest version and that version is the
    /// submission waiting for review: work saved here since is never pushed back to an older
    /// state, and the review is still kept in the history.
    pub fn apply_pulled_reviews(&mut self, pulled: &PulledReviews<'_>) -> Result<ReviewMergeStats> {
        let now = sift_core::now_rfc3339();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let batch_id = batch_id_in(&tx, pulled.batch)?;
        let mut stats = ReviewMergeStats::default();
        let key = &pulled.object.key;
        for (line, review) in &pulled.reviews {
            let reject = |why: String| format!("{key}:{line}: {why}");
            let found: Option<(i64, String, i64, Option<i64>)> =
                match item_in_batch(&tx, &review.item_hash, batch_id)? {
                    None => None,
                    Some(item_id) => tx
                        .prepare_cached(
                            "SELECT id, state, latest_version, submitted_version FROM annotations
                         WHERE item_id = ?1 AND annotator_id = ?2",
                        )?
                        .query_row(params![item_id, pulled.annotator_id], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                        })
                        .optional()?,
                };
            let Some((annotation_id, state, latest, submitted)) = found else {
                stats.rejected.push(reject(format!(
                    "a review of item {}, which has no work of yours in batch {:?} here",
                    hex::encode(&review.item_hash),
                    pulled.batch
                )));
                continue;
            };
            let has_version: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM annotation_versions
                     WHERE annotation_id = ?1 AND version = ?2 AND kind = 'submitted')",
                )?
                .query_row(params![annotation_id, review.version], |r| r.get(0))?;
            if !has_version {
                stats.rejected.push(reject(format!(
                    "a review of version {} of item {}, which is not a submission saved here",
                    review.version,
                    hex::encode(&review.item_hash)
                )));
                continue;
            }
            let seen: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM reviews
                     WHERE annotation_id = ?1 AND version = ?2 AND decision = ?3 AND created_at = ?4)",
                )?
                .query_row(
                    params![
                        annotation_id,
                        review.version,
                        review.decision.as_str(),
                        review.created_at
                    ],
                    |r| r.get(0),
                )?;
            if seen {
                stats.duplicates += 1;
                continue;
            }
            let reviewer_id = crate::import::ensure_annotator_in(&tx, &review.reviewer)?;
            tx.prepare_cached(
                "INSERT INTO reviews (annotation_id, version, reviewer_id, decision, comment, anchor, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                annotation_id,
                review.version,
                reviewer_id,
                review.decision.as_str(),
                review.comment,
                review.anchor,
                review.created_at
            ])?;
            stats.added += 1;
            let state: AnnotationState = state.parse().map_err(StoreError::Corrupt)?;
            if latest == review.version
                && submitted == Some(review.version)
                && let Ok(next) = AnnotationState::apply(Some(state), review.decision.action())
            {
                tx.execute(
                    "UPDATE annotations SET state = ?2, updated_at = ?3 WHERE id = ?1",
                    params![annotation_id, next.as_str(), now],
                )?;
                match next {
                    AnnotationState::Returned => stats.returned += 1,
                    _ => stats.approved += 1,
                }
            }
        }
        record_objects(&tx, Direction::Pull, std::slice::from_ref(&pulled.object))?;
        tx.execute(
            "INSERT INTO events (at, actor, kind, data)
             SELECT ?1, name, 'reviews_pulled', ?2 FROM annotators WHERE id = ?3",
            params![
                now,
                serde_json::json!({"object": key, "batch": pulled.batch, "added": stats.added,
                    "returned": stats.returned, "approved": stats.approved, "duplicates": stats.duplicates,
                    "rejected": stats.rejected.len()})
                .to_string(),
                pulled.annotator_id
            ],
        )?;
        tx.commit()?;
        Ok(stats)
    }
}

/// The id of batch `name`, if this project has it.
pub(crate) fn batch_id_in(conn: &rusqlite::Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT id FROM batches WHERE name = ?1", [name], |r| r.get(0))
        .optional()?)
}

/// The item with content hash `hash` in batch `batch_id` (pulled results and reviews name
/// items by hash; an item outside the batch they came with is not theirs to touch).
fn item_in_batch(conn: &rusqlite::Connection, hash: &[u8; 16], batch_id: Option<i64>) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT i.id FROM items i JOIN batch_items bi ON bi.item_id = i.id
             WHERE i.content_hash = ?1 AND bi.batch_id = ?2",
        )?
        .query_row(params![&hash[..], batch_id], |r| r.get(0))
        .optional()?)
}

/// An item's 16-byte content hash from column `i` (zeros for a blob of another length,
/// which no item of a Sift file has; the other side then reports the item as unknown).
fn hash16(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<[u8; 16]> {
    let blob: Vec<u8> = r.get(i)?;
    Ok(blob.as_slice().try_into().unwrap_or([0; 16]))
}

fn sync_object_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SyncObject> {
    Ok(SyncObject {
        key: r.get(0)?,
        size: r.get(1)?,
        sha256: r.get(2)?,
        etag: r.get(3)?,
    })
}

fn record_objects(
    tx: &rusqlite::Transaction<'_>,
    direction: Direction,
    objects: &[SyncObject],
) -> Result<()> {
    let now = sift_core::now_rfc3339();
    let mut stmt = tx.prepare_cached(
        "INSERT INTO sync_objects (remote_key, direction, size, sha256, etag, synced_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(remote_key, direction) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256,
                                                          etag = excluded.etag, synced_at = excluded.synced_at",
    )?;
    for o in objects {
        stmt.execute(params![o.key, direction.as_str(), o.size, o.sha256, o.etag, now])?;
    }
    Ok(())
}

fn same_json(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (serde_json::from_str::<serde_json::Value>(a), serde_json::from_str::<serde_json::Value>(b)),
            (Ok(x), Ok(y)) if x == y
        )
}
