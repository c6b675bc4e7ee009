//! What an annotator should work on next.

use rusqlite::params;

use crate::{Result, Store};

/// Why an item is in someone's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueReason {
    /// A reviewer returned it: rework comes first.
    Returned,
    /// Started and not submitted.
    Draft,
    /// Assigned to this annotator in a batch (in batch order).
    Assigned,
    /// Nobody has started it and it is not assigned to anyone else.
    New,
}

/// One item of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QueueEntry {
    pub item_id: i64,
    pub reason: QueueReason,
}

impl Store {
    /// Up to `limit` items for `annotator_id`: returned work first (oldest return first),
    /// then drafts, then items assigned to them in batch order, then unstarted items no one
    /// else is assigned, in import order.
    pub fn queue(&self, annotator_id: i64, limit: u32) -> Result<Vec<QueueEntry>> {
        let mut out: Vec<QueueEntry> = Vec::new();
        let take = |sql: &str, reason: QueueReason, out: &mut Vec<QueueEntry>| -> Result<()> {
            let left = limit.saturating_sub(out.len() as u32);
            if left == 0 {
                return Ok(());
            }
            let mut stmt = self.conn.prepare_cached(sql)?;
            let ids = stmt.query_map(params![annotator_id, left], |r| r.get::<_, i64>(0))?;
            for id in ids {
                out.push(QueueEntry { item_id: id?, reason });
            }
            Ok(())
        };
        take(
            "SELECT item_id FROM annotations WHERE annotator_id = ?1 AND state = 'returned'
             ORDER BY updated_at, id LIMIT ?2",
            QueueReason::Returned,
            &mut out,
        )?;
        take(
            "SELECT item_id FROM annotations WHERE annotator_id = ?1 AND state = 'draft'
             ORDER BY updated_at, id LIMIT ?2",
            QueueReason::Draft,
            &mut out,
        )?;
        take(
            "SELECT s.item_id FROM assignments s
             JOIN batch_items b ON b.batch_id = s.batch_id AND b.item_id = s.item_id
             WHERE s.annotator_id = ?1
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.item_id AND a.annotator_id = ?1)
             ORDER BY s.batch_id, b.position LIMIT ?2",
            QueueReason::Assigned,
            &mut out,
        )?;
        take(
            "SELECT i.id FROM items i
             WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.item_id = i.id AND s.annotator_id != ?1)
             ORDER BY i.id LIMIT ?2",
            QueueReason::New,
            &mut out,
        )?;
        Ok(out)
    }
}
