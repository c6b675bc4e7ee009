//! Annotation versions as sync moves them: the versions an annotator has not pushed yet, and
//! the merge of an annotator's result segment on the lead's side.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sift_core::{Action, AnnotationState, hex};

use super::{Direction, SyncObject, batch_id_in, hash16, item_in_batch, record_objects};
use crate::{Result, Store, StoreError};

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

/// What merging a segment did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeStats {
    /// Versions added.
    pub added: u64,
    /// Versions already present with the same payload (a segment pulled again, or repeated).
    pub duplicates: u64,
    /// Problems with single lines (`key:line: reason`); those lines were not merged.
    pub rejected: Vec<String>,
    /// `(annotation id, version)` of each version added (an annotator taking their own work
    /// back records these as pushed: they are in the bucket already).
    #[serde(skip)]
    pub merged: Vec<(i64, i64)>,
}

impl Store {
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
            stats.merged.push((annotation_id, v.version));
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
}

fn same_json(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (serde_json::from_str::<serde_json::Value>(a), serde_json::from_str::<serde_json::Value>(b)),
            (Ok(x), Ok(y)) if x == y
        )
}
