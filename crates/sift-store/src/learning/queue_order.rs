//! The learned queue order: positions of never-started items as ranked by a version, replaced
//! in one transaction, and the scores it is built from.

use rusqlite::{OptionalExtension, params};

use crate::rows::{self, FromRow};
use crate::{Result, Store};

/// The learned queue order in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueOrderRow {
    /// The order's id.
    pub id: i64,
    /// The version whose predictions ranked the items; `None` when no model did.
    pub model_version_id: Option<i64>,
    /// The uncertainty strategy the items were ranked by.
    pub strategy: String,
    /// Items with a position in this order (the rest follow in import order).
    pub items: u64,
    /// When the order was put in force (RFC 3339, UTC).
    pub created_at: String,
}

rows::from_row! { QueueOrderRow { id, model_version_id, strategy, items: rows::count, created_at } }

impl Store {
    /// Replaces the learned queue order: `items` (most informative first, with the score they
    /// were ranked by) become positions 0, 1, ...; items not listed are served after them in
    /// import order. One transaction. Returns the new order's id.
    pub fn replace_queue_order(
        &mut self,
        model_version_id: Option<i64>,
        strategy: &str,
        items: &[(i64, f64)],
    ) -> Result<i64> {
        self.write_in_file(|store| {
            let tx = store.conn.transaction()?;
            // queue_order has no foreign-key clauses (migration 0012): its items are checked
            // here; its order row is the one inserted below.
            let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
            crate::items::check_item_ids(&tx, &ids)?;
            let now = sift_core::now_rfc3339();
            tx.execute("DELETE FROM queue_order", [])?;
            tx.execute(
                "INSERT INTO queue_orders (model_version_id, strategy, items, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![model_version_id, strategy, items.len() as i64, now],
            )?;
            let order_id = tx.last_insert_rowid();
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO queue_order (item_id, position, score, order_id) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (position, (item_id, score)) in items.iter().enumerate() {
                    stmt.execute(params![item_id, position as i64, score, order_id])?;
                }
            }
            tx.execute(
                "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'queue_reordered', ?2)",
                params![
                    now,
                    serde_json::json!({
                        "order": order_id, "model_version_id": model_version_id,
                        "strategy": strategy, "items": items.len()
                    })
                    .to_string()
                ],
            )?;
            tx.commit()?;
            Ok(order_id)
        })
    }

    /// The learned queue order in force, if any.
    pub fn queue_order(&self) -> Result<Option<QueueOrderRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, model_version_id, strategy, items, created_at FROM queue_orders
                 ORDER BY id DESC LIMIT 1",
                [],
                QueueOrderRow::from_row,
            )
            .optional()?)
    }

    /// The `strategy` scores of `model_version_id` for items nobody has started, by item.
    pub fn unlabeled_scores(&self, model_version_id: i64, strategy: &str) -> Result<Vec<(i64, f64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.item_id, s.score FROM item_scores s
             WHERE s.model_version_id = ?1 AND s.strategy = ?2 AND s.score IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.item_id)
             ORDER BY s.item_id",
        )?;
        let rows = stmt.query_map(params![model_version_id, strategy], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
