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

const EXPORT_MMAP_BYTES: i64 = 1 << 30;

impl Store {
    fn annotator_names(&self) -> Result<std::collections::HashMap<i64, String>> {
        let mut stmt = self.conn.prepare("SELECT id, name FROM annotators")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many annotations [`Store::for_each_labelled`] would visit without a batch filter.
    pub fn labelled_count(&self, approved_only: bool) -> Result<u64> {
        let sql = if approved_only {
            "SELECT count(*) FROM annotations WHERE state = 'approved'"
        } else {
            "SELECT count(*) FROM annotations WHERE state IN ('submitted', 'approved')"
        };
        Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Calls `f` for every exported annotation, ordered by item then annotator, and
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
        // A long sequential read: map the file instead of a syscall per page, for this scan
        // only, so an open project does not keep the whole file resident afterwards.
        self.conn.pragma_update(None, "mmap_size", EXPORT_MMAP_BYTES)?;
        let result = self.scan_labelled(filter, batch_id, &mut f);
        let _ = self.conn.pragma_update(None, "mmap_size", 0);
        result
    }

    fn scan_labelled<E>(
        &self,
        filter: &ExportFilter<'_>,
        batch_id: Option<i64>,
        f: &mut impl FnMut(ExportRow<'_>) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<u64, E>> {
        let states = if filter.approved_only {
            "('approved')"
        } else {
            "('submitted', 'approved')"
        };
        let names = self.annotator_names()?;
        let name = |id: i64| names.get(&id).map(String::as_str).unwrap_or("unknown");
        let sql = format!(
            "SELECT i.id, i.content, i.media_ref, v.payload, a.annotator_id, a.state, v.version, v.created_at,
                    a.time_spent_ms, r.reviewer_id, r.created_at
             FROM annotations a
             JOIN items i ON i.id = a.item_id
             JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
             LEFT JOIN reviews r ON a.state = 'approved' AND r.annotation_id = a.id
                                 AND r.version = a.submitted_version AND r.decision = 'approved'
             WHERE +a.state IN {states}
               AND (?1 IS NULL OR a.item_id IN (SELECT item_id FROM batch_items WHERE batch_id = ?1))
             ORDER BY a.item_id, a.annotator_id"
        );
        // `+a.state` keeps the planner on the (item_id, annotator_id) index, which yields rows
        // already in export order instead of sorting them all in a temporary B-tree; the
        // `a.state = 'approved'` term skips the reviews lookup for work not yet approved.
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params![batch_id])?;
        let mut n = 0u64;
        while let Some(r) = rows.next()? {
            let row = ExportRow {
                item_id: r.get(0)?,
                content: r.get_ref(1)?.as_str()?,
                media_ref: r.get_ref(2)?.as_str_or_null()?,
                payload: r.get_ref(3)?.as_str()?,
                annotator: name(r.get(4)?),
                state: r.get_ref(5)?.as_str()?,
                version: r.get(6)?,
                submitted_at: r.get_ref(7)?.as_str()?,
                time_spent_ms: r.get(8)?,
                reviewer: r.get::<_, Option<i64>>(9)?.map(name),
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
