//! What S3 sync reads and records: batches as they are pushed, pulled batches on an
//! annotator's side, unpushed annotation versions, merged result segments on the lead's
//! side, and the transfer bookkeeping (`sync_objects`, `sync_files`).
//!
//! Every change that depends on a remote object is made in one transaction together with the
//! row that records the object as transferred, so a crash leaves either both or neither.
//!
//! This file holds the transfer direction and the helpers the parts share; `objects` the
//! transfer bookkeeping, `batches` batches and their media, `results` annotation versions
//! (pushed by annotators, merged by the lead), `reviews` the lead's reviews as they travel.

mod batches;
mod objects;
mod results;
mod reviews;

use rusqlite::{OptionalExtension, params};

pub use batches::{BatchItemRow, BatchName, PulledBatch, PulledBatchStats, PulledItem, PulledMedia};
pub use objects::SyncObject;
pub use results::{MergeStats, RemoteVersion, SegmentMerge, UnpushedVersion};
pub use reviews::{PulledReviews, ReviewMergeStats, SyncedReview};

use crate::Result;

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
            "SELECT h.item_id FROM item_hashes h JOIN batch_items bi ON bi.item_id = h.item_id
             WHERE h.hash = ?1 AND bi.batch_id = ?2",
        )?
        .query_row(params![&hash[..], batch_id], |r| r.get(0))
        .optional()?)
}

/// An item's 16-byte content hash from column `i` (zeros for a blob of another length,
/// which no item of a Sift file has; the other side then reports the item as unknown).
pub(crate) fn hash16(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<[u8; 16]> {
    let blob: Vec<u8> = r.get(i)?;
    Ok(blob.as_slice().try_into().unwrap_or([0; 16]))
}

pub(crate) fn record_objects(
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
