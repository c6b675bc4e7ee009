//! Batches as sync moves them: the lead's batches and their items as pushed, a batch pulled
//! on an annotator's side (items, order, assignment, media objects), and pulled media.

use rusqlite::{TransactionBehavior, params};

use super::{Direction, SyncObject, hash16, record_objects};
use crate::rows;
use crate::{Result, Store};

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

rows::from_row! { BatchName { id, name } }

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

rows::from_row! { PulledMedia { item_id, local, key, size, sha256 } }

impl Store {
    /// Every batch, oldest first.
    pub fn batch_names(&self) -> Result<Vec<BatchName>> {
        let mut stmt = self.conn.prepare("SELECT id, name FROM batches ORDER BY id")?;
        rows::all(&mut stmt, [])
    }

    /// Up to `limit` items with no annotation that are in no batch, oldest first.
    pub fn unbatched_unlabeled(&self, limit: u32) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT i.id FROM items i
             WHERE NOT EXISTS (SELECT 1 FROM batch_items bi WHERE bi.item_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = i.id)
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
            let mut adder = crate::item_hashes::ItemAdder::new(&tx)?;
            let mut outcome = Vec::with_capacity(1);
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
                let new = crate::NewItem {
                    content: &item.content,
                    hash: &item.hash,
                    media_ref: item.media_ref.as_deref(),
                    line: line as u64 + 1,
                };
                adder.add(&tx, import_id, &[new], &mut outcome)?;
                let item_id: i64 = if let crate::InsertOutcome::Added(id) = outcome[0] {
                    stats.items_added += 1;
                    id
                } else {
                    stats.items_existing += 1;
                    let id = adder.item_id(&tx, &item.hash)?.ok_or_else(|| {
                        crate::StoreError::NotFound("the item of a known content hash".into())
                    })?;
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
            // The new items' hashes, before the commit.
            adder.flush(&tx)?;
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
        rows::all(&mut stmt, [])
    }
}
