//! What quality control reads (issue 18): every annotation's submitted work with who did it
//! and how long it took, the reviews each person's work got, submissions per day, and which
//! batch holds each item. Plain rows; `sift-api`'s `quality` turns them into agreement,
//! consensus and annotator figures with `sift-quality`.

use rusqlite::params;

use crate::{Result, Store};

/// One annotator's submitted work on one item (the newest submitted version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedWork {
    /// The item.
    pub item_id: i64,
    /// Who did the work.
    pub annotator: String,
    /// `submitted` or `approved` (returned work is waiting for rework and left out).
    pub state: String,
    /// The submitted payload (JSON text).
    pub payload: String,
    /// Active time spent on the item over every save, milliseconds.
    pub time_spent_ms: i64,
    /// When that version was submitted (RFC 3339, UTC).
    pub submitted_at: String,
}

/// The reviews one person's work received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewTally {
    /// The person whose work was reviewed.
    pub annotator: String,
    /// Reviews that approved.
    pub approved: u64,
    /// Reviews that returned the work.
    pub returned: u64,
}

/// Submissions and active time per annotator and day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DayActivity {
    /// The day (UTC, `YYYY-MM-DD`).
    pub day: String,
    /// Who.
    pub annotator: String,
    /// Versions submitted that day.
    pub submitted: u64,
    /// Active time of the versions saved that day, milliseconds.
    pub active_ms: i64,
}

impl Store {
    /// Submitted and approved work, by item then annotator name.
    pub fn submitted_work(&self) -> Result<Vec<SubmittedWork>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.item_id, p.name, a.state, v.payload, a.time_spent_ms, v.created_at
             FROM annotations a
             JOIN annotators p ON p.id = a.annotator_id
             JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
             WHERE a.state IN ('submitted', 'approved')
             ORDER BY a.item_id, p.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SubmittedWork {
                item_id: r.get(0)?,
                annotator: r.get(1)?,
                state: r.get(2)?,
                payload: r.get(3)?,
                time_spent_ms: r.get(4)?,
                submitted_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Reviews per person whose work was reviewed, by name.
    pub fn review_tallies(&self) -> Result<Vec<ReviewTally>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.name, sum(r.decision = 'approved'), sum(r.decision = 'returned')
             FROM reviews r
             JOIN annotations a ON a.id = r.annotation_id
             JOIN annotators p ON p.id = a.annotator_id
             GROUP BY p.name ORDER BY p.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ReviewTally {
                annotator: r.get(0)?,
                approved: r.get::<_, i64>(1)? as u64,
                returned: r.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Submissions and active time per day and annotator (every saved version's time counts
    /// on the day it was saved), oldest day first.
    pub fn day_activity(&self) -> Result<Vec<DayActivity>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT substr(v.created_at, 1, 10) AS day, p.name,
                    sum(v.kind = 'submitted'), sum(v.time_spent_ms)
             FROM annotation_versions v
             JOIN annotations a ON a.id = v.annotation_id
             JOIN annotators p ON p.id = a.annotator_id
             GROUP BY day, p.name ORDER BY day, p.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DayActivity {
                day: r.get(0)?,
                annotator: r.get(1)?,
                submitted: r.get::<_, i64>(2)? as u64,
                active_ms: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// `(batch name, item id)` for every item of every batch, batches oldest first.
    pub fn batch_members(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT b.name, bi.item_id FROM batch_items bi JOIN batches b ON b.id = bi.batch_id
             ORDER BY b.id, bi.position",
        )?;
        let rows = stmt.query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
