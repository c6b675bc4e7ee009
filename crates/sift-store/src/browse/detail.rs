//! What the Lab's detail pane shows about one item beyond its annotations (which
//! `annotations.rs` reads): where it was imported from, the batches that hold it, and every
//! score any model version gave it.

use rusqlite::OptionalExtension;

use crate::rows::{self, FromRow};
use crate::{Result, Store};

/// The manifest an item came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ItemSource {
    /// The manifest file as given to the import.
    pub file: String,
    /// The item's line (1-based) in it.
    pub line: i64,
    /// When that import started (RFC 3339, UTC).
    pub imported_at: String,
}

rows::from_row! { ItemSource { file, line, imported_at } }

/// One batch holding an item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemBatchRow {
    /// The batch's name.
    pub batch: String,
    /// The item's place in the batch (0 first).
    pub position: i64,
    /// The score it was ranked by, for batches built from scores.
    pub score: Option<f64>,
    /// Who it is assigned to in this batch, comma-separated.
    pub assigned: String,
}

rows::from_row! { ItemBatchRow { batch, position, score, assigned: rows::text_or_empty } }

/// One stored score of an item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemScoreRow {
    /// The model's registry name.
    pub model: String,
    /// The model version's number under that name (from 1).
    pub version: i64,
    /// The uncertainty strategy (`least-confidence`, `margin`, `ratio`, `entropy`).
    pub strategy: String,
    /// The score in `[0, 1]`, 1 the most uncertain; `None` when the item could not be scored.
    pub score: Option<f64>,
    /// Why the item could not be scored, when it could not.
    pub error: Option<String>,
}

rows::from_row! { ItemScoreRow { model, version, strategy, score, error } }

impl Store {
    /// The manifest and line an item was imported from.
    pub fn item_source(&self, item_id: i64) -> Result<Option<ItemSource>> {
        Ok(self
            .conn
            .query_row(
                "SELECT m.file, i.source_line, m.started_at FROM items i JOIN imports m ON m.id = i.import_id
                 WHERE i.id = ?1",
                [item_id],
                ItemSource::from_row,
            )
            .optional()?)
    }

    /// The batches holding an item, oldest first.
    pub fn item_batches(&self, item_id: i64) -> Result<Vec<ItemBatchRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT b.name, bi.position, bi.score,
                    (SELECT group_concat(p.name, ', ') FROM assignments s JOIN annotators p ON p.id = s.annotator_id
                      WHERE s.batch_id = b.id AND s.item_id = bi.item_id)
             FROM batch_items bi JOIN batches b ON b.id = bi.batch_id
             WHERE bi.item_id = ?1 ORDER BY b.id",
        )?;
        rows::all(&mut stmt, [item_id])
    }

    /// Every score of an item, by model, version and strategy.
    pub fn item_all_scores(&self, item_id: i64) -> Result<Vec<ItemScoreRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.name, m.version, s.strategy, s.score, s.error
             FROM model_versions m CROSS JOIN item_scores s
               ON s.model_version_id = m.id AND s.item_id = ?1
             ORDER BY m.name, m.version, s.strategy",
        )?;
        rows::all(&mut stmt, [item_id])
    }
}
