//! Reviews as sync moves them: the lead's reviews of a batch, published per annotator, and
//! their application on the annotator's side.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sift_core::{AnnotationState, hex};

use super::{Direction, SyncObject, batch_id_in, hash16, item_in_batch, record_objects};
use crate::{Decision, Result, Store, StoreError};

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

impl Store {
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
