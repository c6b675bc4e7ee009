//! Streaming the labelled items out, in a stable order.

use rusqlite::params;

use crate::{Result, Store, StoreError};

/// Which annotations to export.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter<'a> {
    /// Only approved annotations (otherwise submitted and approved ones).
    pub approved_only: bool,
    /// Only items of this batch.
    pub batch: Option<&'a str>,
}

/// One labelled annotation with its item.
#[derive(Debug, Clone, Copy)]
pub struct ExportRow<'r> {
    pub item_id: i64,
    pub content: &'r str,
    pub media_ref: Option<&'r str>,
    pub payload: &'r str,
    pub annotator: &'r str,
    pub state: &'r str,
    pub version: i64,
    pub submitted_at: &'r str,
    pub time_spent_ms: i64,
    pub reviewer: Option<&'r str>,
    pub reviewed_at: Option<&'r str>,
}

impl Store {
    /// Calls `f` for every exported annotation, ordered by item then annotation, and
    /// returns how many there were. Drafts and returned work are never exported.
    pub fn for_each_labelled<E>(
        &self,
        filter: &ExportFilter<'_>,
        mut f: impl FnMut(ExportRow<'_>) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<u64, E>> {
        let batch_id: Option<i64> = match filter.batch {
            None => None,
            Some(name) => Some(
                self.conn
                    .query_row("SELECT id FROM batches WHERE name = ?1", [name], |r| r.get(0))
                    .map_err(|_| StoreError::NotFound(format!("batch {name:?}")))?,
            ),
        };
        let states = if filter.approved_only {
            "('approved')"
        } else {
            "('submitted', 'approved')"
        };
        let sql = format!(
            "SELECT i.id, i.content, i.media_ref, v.payload, p.name, a.state, v.version, v.created_at,
                    a.time_spent_ms, rp.name, r.created_at
             FROM annotations a
             JOIN items i ON i.id = a.item_id
             JOIN annotators p ON p.id = a.annotator_id
             JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
             LEFT JOIN reviews r ON r.annotation_id = a.id AND r.version = a.submitted_version
                                 AND r.decision = 'approved'
             LEFT JOIN annotators rp ON rp.id = r.reviewer_id
             WHERE a.state IN {states}
               AND (?1 IS NULL OR a.item_id IN (SELECT item_id FROM batch_items WHERE batch_id = ?1))
             ORDER BY a.item_id, a.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params![batch_id])?;
        let mut n = 0u64;
        while let Some(r) = rows.next()? {
            let row = ExportRow {
                item_id: r.get(0)?,
                content: r.get_ref(1)?.as_str()?,
                media_ref: r.get_ref(2)?.as_str_or_null()?,
                payload: r.get_ref(3)?.as_str()?,
                annotator: r.get_ref(4)?.as_str()?,
                state: r.get_ref(5)?.as_str()?,
                version: r.get(6)?,
                submitted_at: r.get_ref(7)?.as_str()?,
                time_spent_ms: r.get(8)?,
                reviewer: r.get_ref(9)?.as_str_or_null()?,
                reviewed_at: r.get_ref(10)?.as_str_or_null()?,
            };
            if let Err(e) = f(row) {
                return Ok(Err(e));
            }
            n += 1;
        }
        Ok(Ok(n))
    }
}
