//! Bulk changes from the Lab's selection: which batch holds each selected item, and
//! assigning items inside their batches (one transaction, logged). New batches are made by
//! [`Store::create_batch`]; returns go through [`Store::review`] one annotation at a time,
//! under the review state machine.

use rusqlite::params;

use super::id_array;
use crate::faults::InFile;
use crate::{Result, Store};

impl Store {
    /// For each of `item_ids` (same order): the newest batch holding it, if any.
    pub fn newest_batch_of(&self, item_ids: &[i64]) -> Result<Vec<(i64, Option<i64>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT j.value, (SELECT max(bi.batch_id) FROM batch_items bi WHERE bi.item_id = j.value)
             FROM json_each(?1) j",
        )?;
        let rows = stmt.query_map([id_array(item_ids)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds assignments `(batch_id, item_id, annotator_id)` (each item must be in that
    /// batch); ones that exist already are left as they are. Returns how many were added.
    pub fn add_assignments(&mut self, assignments: &[(i64, i64, i64)], actor: Option<&str>) -> Result<u64> {
        let added = self.insert_assignments(assignments, actor);
        added.in_file(&self.path)
    }

    fn insert_assignments(&mut self, assignments: &[(i64, i64, i64)], actor: Option<&str>) -> Result<u64> {
        let now = sift_core::now_rfc3339();
        let tx = self.conn.transaction()?;
        let mut added = 0_u64;
        {
            let mut in_batch = tx.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM batch_items WHERE batch_id = ?1 AND item_id = ?2)",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO assignments (batch_id, item_id, annotator_id, assigned_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for &(batch, item, annotator) in assignments {
                let ok: bool = in_batch.query_row(params![batch, item], |r| r.get(0))?;
                if !ok {
                    return Err(crate::StoreError::Conflict(format!(
                        "item {item} is not in batch {batch}: it cannot be assigned there"
                    )));
                }
                added += insert.execute(params![batch, item, annotator, now])? as u64;
            }
        }
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, ?2, 'items_assigned', ?3)",
            params![
                now,
                actor,
                serde_json::json!({ "assignments": assignments.len(), "added": added }).to_string()
            ],
        )?;
        tx.commit()?;
        Ok(added)
    }
}
