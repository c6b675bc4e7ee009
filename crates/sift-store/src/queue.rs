//! What an annotator should work on next.

use rusqlite::{OptionalExtension, params};

use crate::{Result, Store};

/// Why an item is in someone's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum QueueReason {
    /// A reviewer returned it: rework comes first.
    Returned,
    /// Started and not submitted.
    Draft,
    /// Assigned to this annotator in a batch (in batch order).
    Assigned,
    /// Nobody has started it and it is not assigned to anyone.
    New,
}

/// One item of a queue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct QueueEntry {
    /// The item to work on.
    pub item_id: i64,
    /// Why it is in the queue (which also decides its place).
    pub reason: QueueReason,
    /// For items of a batch built by `sift queue`: the informativeness score the item was
    /// ranked by (1 = most uncertain).
    pub score: Option<f64>,
    /// The uncertainty strategy of that score (`least-confidence`, `margin`, `ratio`, `entropy`).
    pub strategy: Option<String>,
}

impl Store {
    /// `(remaining, done)` for an annotator: what their full queue holds, and how many
    /// items they have submitted or had approved.
    pub fn queue_counts(&self, annotator_id: i64) -> Result<(u64, u64)> {
        let count = |sql: &str, args: &[i64]| -> Result<u64> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            Ok(stmt.query_row(rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))? as u64)
        };
        let own_open = count(
            "SELECT count(*) FROM annotations WHERE annotator_id = ?1 AND state IN ('returned', 'draft')",
            &[annotator_id],
        )?;
        let assigned = count(
            "SELECT count(*) FROM assignments s WHERE s.annotator_id = ?1
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.item_id AND a.annotator_id = ?1)",
            &[annotator_id],
        )?;
        let new = count(
            "SELECT count(*) FROM items i
             WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.item_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM machine_labels m WHERE m.item_id = i.id AND m.withdrawn_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = i.id)",
            &[],
        )?;
        let done = count(
            "SELECT count(*) FROM annotations WHERE annotator_id = ?1 AND state IN ('submitted', 'approved')",
            &[annotator_id],
        )?;
        Ok((own_open + assigned + new, done))
    }

    /// Up to `limit` items for `annotator_id`: returned work first (oldest return first),
    /// then drafts, then items assigned to them in batch order, then unstarted, unassigned
    /// items: those the learned order ranks (`sift learn`), most informative first, then the
    /// rest in import order. Items holding a live machine label are not served as new work.
    pub fn queue(&self, annotator_id: i64, limit: u32) -> Result<Vec<QueueEntry>> {
        let mut out: Vec<QueueEntry> = Vec::new();
        // Every query binds the annotator as ?1 and the room left as ?2 (SQLite sizes the
        // parameter list by its highest index, so a query may use ?2 alone).
        let take = |sql: &str, reason: QueueReason, out: &mut Vec<QueueEntry>| -> Result<()> {
            let left = limit.saturating_sub(out.len() as u32);
            if left == 0 {
                return Ok(());
            }
            let mut stmt = self.conn.prepare_cached(sql)?;
            // A query may add the batch score and strategy as columns 1 and 2.
            let rows = stmt.query_map(params![annotator_id, left], |r| {
                let scored = r.as_ref().column_count() > 2;
                Ok(QueueEntry {
                    item_id: r.get(0)?,
                    reason,
                    score: if scored { r.get(1)? } else { None },
                    strategy: if scored { r.get(2)? } else { None },
                })
            })?;
            for row in rows {
                out.push(row?);
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
            "SELECT s.item_id, b.score, t.strategy FROM assignments s
             JOIN batch_items b ON b.batch_id = s.batch_id AND b.item_id = s.item_id
             JOIN batches t ON t.id = s.batch_id
             WHERE s.annotator_id = ?1
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.item_id AND a.annotator_id = ?1)
             ORDER BY s.batch_id, b.position LIMIT ?2",
            QueueReason::Assigned,
            &mut out,
        )?;
        let left = limit.saturating_sub(out.len() as u32);
        if left > 0 {
            out.extend(self.queue_after(0, left)?);
        }
        Ok(out)
    }
}

/// Never started, unassigned, and not machine-labeled (`i` is the item).
const NEW_WORK: &str = "NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)
       AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.item_id = i.id)
       AND NOT EXISTS (SELECT 1 FROM machine_labels m WHERE m.item_id = i.id AND m.withdrawn_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = i.id)";

impl Store {
    /// Whether an item is open to an annotator: it is in their queue now (new and unassigned,
    /// or assigned to them) or they have worked on it. False for an unknown item.
    pub fn item_open_to(&self, annotator_id: i64, item_id: i64) -> Result<bool> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = ?2 AND a.annotator_id = ?1)
                 OR EXISTS (SELECT 1 FROM assignments s WHERE s.item_id = ?2 AND s.annotator_id = ?1)
                 OR EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = ?2)
                 OR (EXISTS (SELECT 1 FROM items i WHERE i.id = ?2)
                     AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = ?2)
                     AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.item_id = ?2))",
        )?;
        Ok(stmt.query_row(params![annotator_id, item_id], |r| r.get::<_, bool>(0))?)
    }

    /// The next page of never-started, unassigned items after item `after_item_id` (0: from
    /// the start), in the order [`Store::queue`] serves them: how a queue continues once the
    /// first page has been worked through. After an item the learned order ranks, the page
    /// goes on with the items ranked after it, then the unranked ones in import order; after
    /// an unranked item, with the unranked items after it in import order.
    pub fn queue_after(&self, after_item_id: i64, limit: u32) -> Result<Vec<QueueEntry>> {
        let position: Option<i64> = if after_item_id <= 0 {
            Some(-1)
        } else {
            self.conn
                .query_row(
                    "SELECT position FROM queue_order WHERE item_id = ?1",
                    [after_item_id],
                    |r| r.get(0),
                )
                .optional()?
        };
        let mut out = Vec::new();
        if let Some(position) = position {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT i.item_id, i.score, o.strategy FROM queue_order i
                 JOIN queue_orders o ON o.id = i.order_id
                 WHERE i.position > ?1 AND {}
                 ORDER BY i.position LIMIT ?2",
                NEW_WORK.replace("i.id", "i.item_id")
            ))?;
            let rows = stmt.query_map(params![position, limit], |r| {
                Ok(QueueEntry {
                    item_id: r.get(0)?,
                    reason: QueueReason::New,
                    score: r.get(1)?,
                    strategy: r.get(2)?,
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        let left = limit.saturating_sub(out.len() as u32);
        if left == 0 {
            return Ok(out);
        }
        let after_id = if position.is_some() { 0 } else { after_item_id };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT i.id FROM items i
             WHERE i.id > ?1 AND {NEW_WORK}
               AND NOT EXISTS (SELECT 1 FROM queue_order q WHERE q.item_id = i.id)
             ORDER BY i.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after_id, left], |r| r.get::<_, i64>(0))?;
        for id in rows {
            out.push(QueueEntry {
                item_id: id?,
                reason: QueueReason::New,
                score: None,
                strategy: None,
            });
        }
        Ok(out)
    }
}
