//! Gold items (issue 18): items with a known answer, mixed into every annotator's queue at a
//! set rate, unannounced, once per annotator, and never treated as ordinary new work (one
//! annotation does not finish them; batches never take them as ordinary items). A new batch
//! may carry gold items beside its own, dealt to every assignee ([`Store::add_gold_to_batch`]):
//! how gold reaches annotators who work offline on batches. What the store keeps and counts;
//! `sift-api`'s `quality::gold` decides where they go in a queue and grades the answers.

use rusqlite::{OptionalExtension, params};

use crate::{Result, Store, StoreError};

/// A submitted answer on a gold item, with the expected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldAnswer {
    /// The gold item.
    pub item_id: i64,
    /// Who answered.
    pub annotator: String,
    /// Their submitted payload (JSON text).
    pub payload: String,
    /// The expected payload (JSON text).
    pub answer: String,
}

impl Store {
    /// Makes `items` gold with their expected payloads (JSON text), replacing earlier answers;
    /// returns how many were written. Every item must exist.
    pub fn set_gold(&mut self, items: &[(i64, String)], source: &str) -> Result<u64> {
        self.write_in_file(|store| {
            let tx = store.conn.transaction()?;
            let now = sift_core::now_rfc3339();
            {
                let mut exists = tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM items WHERE id = ?1)")?;
                let mut put = tx.prepare_cached(
                    "INSERT INTO gold_items (item_id, answer, source, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(item_id) DO UPDATE SET answer = excluded.answer, source = excluded.source",
                )?;
                for (item, answer) in items {
                    if !exists.query_row([item], |r| r.get::<_, bool>(0))? {
                        return Err(StoreError::Invalid(format!("item {item} does not exist")));
                    }
                    put.execute(params![item, answer, source, now])?;
                }
            }
            tx.execute(
                "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'gold_set', ?2)",
                params![
                    now,
                    serde_json::json!({"items": items.len(), "source": source}).to_string()
                ],
            )?;
            tx.commit()?;
            Ok(items.len() as u64)
        })
    }

    /// `(item id, source line, value as JSON text)` of every item whose manifest object holds
    /// `field` (not `null`), in import order.
    pub fn items_with_field(&self, field: &str) -> Result<Vec<(i64, i64, String)>> {
        let path = format!("$.\"{}\"", field.replace('"', "\\\""));
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, source_line, content -> ?1 FROM items
             WHERE json_type(content, ?1) IS NOT NULL AND json_type(content, ?1) != 'null' ORDER BY id",
        )?;
        let rows = stmt.query_map([path], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Gold items in the project.
    pub fn gold_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM gold_items", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// The expected payload of a gold item (`None` for an ordinary item).
    pub fn gold_answer(&self, item_id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT answer FROM gold_items WHERE item_id = ?1")?
            .query_row([item_id], |r| r.get(0))
            .optional()?)
    }

    /// The manifest field a gold item's answer was read from (`None` for an ordinary item or
    /// one made gold by hand): annotators must not be shown it.
    pub fn gold_field(&self, item_id: i64) -> Result<Option<String>> {
        let source: Option<String> = self
            .conn
            .prepare_cached("SELECT source FROM gold_items WHERE item_id = ?1")?
            .query_row([item_id], |r| r.get(0))
            .optional()?;
        Ok(source.and_then(|s| s.strip_prefix("field:").map(str::to_owned)))
    }

    /// Up to `limit` gold items a batch for `annotators` may carry: answers kept apart from the
    /// item (marked with `set`, not from a manifest field: a batch's items travel through the
    /// bucket as they were imported), that none of them has worked on or been assigned.
    pub fn gold_for_batch(&self, annotators: &[i64], limit: u32) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT g.item_id FROM gold_items g WHERE g.source = 'set'
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = g.item_id AND a.annotator_id = ?1)
               AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.item_id = g.item_id AND s.annotator_id = ?1)
             ORDER BY g.item_id",
        )?;
        let mut allowed: Option<Vec<i64>> = None;
        for who in annotators {
            let mine: Vec<i64> = stmt
                .query_map([who], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            allowed = Some(match allowed {
                None => mine,
                Some(before) => before
                    .into_iter()
                    .filter(|i| mine.binary_search(i).is_ok())
                    .collect(),
            });
        }
        let mut out = allowed.unwrap_or_default();
        out.truncate(limit as usize);
        Ok(out)
    }

    /// Adds `gold` items to batch `batch_id`, spread evenly among its items (unannounced: not
    /// all at the end), each assigned to every one of `assign_to`. One transaction.
    pub fn add_gold_to_batch(&mut self, batch_id: i64, gold: &[i64], assign_to: &[i64]) -> Result<()> {
        if gold.is_empty() || assign_to.is_empty() {
            return Ok(());
        }
        self.write_in_file(|store| {
            let tx = store.conn.transaction()?;
            let items: Vec<i64> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT item_id FROM batch_items WHERE batch_id = ?1 ORDER BY position",
                )?;
                stmt.query_map([batch_id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            // Gold item j goes after ordinary item floor((j + 1) * n / (g + 1)).
            let (n, g) = (items.len(), gold.len());
            let mut order: Vec<(i64, bool)> = Vec::with_capacity(n + g);
            let mut next_gold = 0;
            for (i, item) in items.iter().enumerate() {
                while next_gold < g && (next_gold + 1) * n / (g + 1) <= i {
                    order.push((gold[next_gold], true));
                    next_gold += 1;
                }
                order.push((*item, false));
            }
            order.extend(gold[next_gold..].iter().map(|&id| (id, true)));
            let now = sift_core::now_rfc3339();
            {
                let mut moved =
                    tx.prepare_cached("UPDATE batch_items SET position = ?3 WHERE batch_id = ?1 AND item_id = ?2")?;
                let mut added = tx.prepare_cached(
                    "INSERT INTO batch_items (batch_id, item_id, position, score) VALUES (?1, ?2, ?3, NULL)",
                )?;
                let mut assign = tx.prepare_cached(
                    "INSERT INTO assignments (batch_id, item_id, annotator_id, assigned_at) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (position, (item, is_gold)) in order.iter().enumerate() {
                    if *is_gold {
                        added.execute(params![batch_id, item, position as i64])?;
                        for who in assign_to {
                            assign.execute(params![batch_id, item, who, now])?;
                        }
                    } else {
                        moved.execute(params![batch_id, item, position as i64])?;
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Up to `limit` gold items `annotator_id` has not worked on, in an order of their own
    /// (a hash of item and annotator: people meet the gold items in different orders).
    pub fn gold_for(&self, annotator_id: i64, limit: u32) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT g.item_id FROM gold_items g
             WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = g.item_id AND a.annotator_id = ?1)
               AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.item_id = g.item_id AND s.annotator_id = ?1)
             ORDER BY ((g.item_id * 2654435761 + ?1 * 40503) % 4294967291), g.item_id
             LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![annotator_id, limit], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// `(gold, all)`: items `annotator_id` has worked on (any state), gold ones and in all.
    pub fn gold_share(&self, annotator_id: i64) -> Result<(u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT count(g.item_id), count(*) FROM annotations a
             LEFT JOIN gold_items g ON g.item_id = a.item_id WHERE a.annotator_id = ?1",
            [annotator_id],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// Every submitted (or approved) answer on a gold item, by item then annotator.
    pub fn gold_answers(&self) -> Result<Vec<GoldAnswer>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.item_id, p.name, v.payload, g.answer
             FROM gold_items g
             JOIN annotations a ON a.item_id = g.item_id AND a.state IN ('submitted', 'approved', 'returned')
             JOIN annotators p ON p.id = a.annotator_id
             JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
             ORDER BY a.item_id, p.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(GoldAnswer {
                item_id: r.get(0)?,
                annotator: r.get(1)?,
                payload: r.get(2)?,
                answer: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
