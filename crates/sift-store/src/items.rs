//! Reading items.

use rusqlite::{OptionalExtension, params};

use crate::{Result, Store};

/// One item to label.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ItemRow {
    /// The item's id; ids grow in import order.
    pub id: i64,
    /// The manifest object as imported (JSON text).
    pub content: String,
    /// The item's media as stored at import: a local path (resolved against the manifest's
    /// folder) or a remote URI such as `s3://...`; `None` for items without media.
    pub media_ref: Option<String>,
    /// The 1-based line (or task number) of the manifest it was imported from.
    pub source_line: i64,
}

impl ItemRow {
    /// Reads a row whose first columns are `id, content, media_ref, source_line` of `items`.
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            content: r.get(1)?,
            media_ref: r.get(2)?,
            source_line: r.get(3)?,
        })
    }
}

/// Checks that every id is one of the project's items, for tables that hold item ids without a
/// foreign-key clause (`item_scores`, `queue_order`: derived rows written in bulk). Items are
/// never deleted, so when the ids between the smallest and the largest given are all taken (the
/// usual case: ids are handed out in import order) one range count decides; otherwise each id
/// is looked up.
pub(crate) fn check_item_ids(conn: &rusqlite::Connection, ids: &[i64]) -> Result<()> {
    let (Some(&min), Some(&max)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(());
    };
    let present: i64 = conn.query_row(
        "SELECT count(*) FROM items WHERE id BETWEEN ?1 AND ?2",
        params![min, max],
        |r| r.get(0),
    )?;
    if i128::from(present) == i128::from(max) - i128::from(min) + 1 {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached("SELECT 1 FROM items WHERE id = ?1")?;
    for &id in ids {
        if !stmt.exists([id])? {
            return Err(crate::StoreError::NotFound(format!("item {id}")));
        }
    }
    Ok(())
}

impl Store {
    /// The item with this id; `None` when there is none.
    pub fn item(&self, id: i64) -> Result<Option<ItemRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, content, media_ref, source_line FROM items WHERE id = ?1",
                [id],
                ItemRow::from_row,
            )
            .optional()?)
    }

    /// How many items the project holds.
    pub fn item_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Item ids in import order, `limit` of them after `after_id`.
    pub fn item_ids(&self, after_id: i64, limit: u32) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM items WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let rows = stmt.query_map(params![after_id, limit], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
