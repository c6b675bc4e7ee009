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
    /// The item's id.
    pub item_id: i64,
    /// The manifest object as imported (JSON text). Bytes, not `&str`: Ground Truth exports
    /// copy it verbatim, so checking it for UTF-8 on every row would be wasted work.
    pub content: &'r [u8],
    /// The item's media as stored at import: a local path (resolved against the manifest's
    /// folder) or a remote URI such as `s3://...`; `None` for items without media.
    pub media_ref: Option<&'r str>,
    /// The submitted payload (JSON text), as bytes for the same reason.
    pub payload: &'r [u8],
    /// The annotator's id.
    pub annotator_id: i64,
    /// The annotator's name (`unknown` if the id has no annotator row).
    pub annotator: &'r str,
    /// `submitted` or `approved`.
    pub state: &'r str,
    /// The exported version: the annotation's latest submitted one.
    pub version: i64,
    /// When that version was submitted (RFC 3339, UTC).
    pub submitted_at: &'r str,
    /// The annotation's total active time over all saves, in milliseconds.
    pub time_spent_ms: i64,
    /// For approved work, the name of the reviewer who approved this version.
    pub reviewer: Option<&'r str>,
    /// For approved work, when it was approved (RFC 3339, UTC).
    pub reviewed_at: Option<&'r str>,
}

/// Annotator names by id, resolved once per export instead of joined on every row.
struct Names {
    /// Ids are small consecutive integers: a direct index, no hashing.
    dense: Vec<Option<String>>,
    sparse: std::collections::HashMap<i64, String>,
}

impl Names {
    const DENSE_MAX: i64 = 1 << 16;

    fn get(&self, id: i64) -> &str {
        let found = match usize::try_from(id) {
            Ok(i) if id < Self::DENSE_MAX => self.dense.get(i).and_then(Option::as_deref),
            _ => self.sparse.get(&id).map(String::as_str),
        };
        found.unwrap_or("unknown")
    }
}

const EXPORT_MMAP_BYTES: i64 = 1 << 30;

impl Store {
    fn annotator_names(&self) -> Result<Names> {
        let mut names = Names {
            dense: Vec::new(),
            sparse: Default::default(),
        };
        let mut stmt = self.conn.prepare("SELECT id, name FROM annotators")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, name): (i64, String) = (r.get(0)?, r.get(1)?);
            match usize::try_from(id) {
                Ok(i) if id < Names::DENSE_MAX => {
                    if names.dense.len() <= i {
                        names.dense.resize(i + 1, None);
                    }
                    names.dense[i] = Some(name);
                }
                _ => {
                    names.sparse.insert(id, name);
                }
            }
        }
        Ok(names)
    }

    /// How many annotations [`Store::for_each_labelled`] would visit without a batch filter.
    pub fn labelled_count(&self, approved_only: bool) -> Result<u64> {
        // Submitted and approved work is usually most of the table: counting the rows of the
        // table (which SQLite does page by page) less the few drafts and returned ones beats
        // walking a million index entries.
        let sql = if approved_only {
            "SELECT count(*) FROM annotations WHERE state = 'approved'"
        } else {
            "SELECT (SELECT count(*) FROM annotations)
                  - (SELECT count(*) FROM annotations WHERE state IN ('draft', 'returned'))"
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
                crate::sync::batch_id_in(&self.conn, name)?
                    .ok_or_else(|| StoreError::NotFound(format!("batch {name:?}")))?,
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
        // One read transaction, so the names, the reviews check below and the rows all see the
        // same state of the project. It only reads: ending it with a rollback changes nothing.
        let _snapshot = self.conn.unchecked_transaction()?;
        let names = self.annotator_names()?;
        // Reviews only matter for approved work. With none in the project the join is left
        // out; otherwise the lookup key is NULL for unapproved rows, which SQLite skips without
        // searching the index (a condition beside the key would be tested only after the search).
        let reviews = filter.approved_only
            || self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM annotations WHERE state = 'approved')",
                [],
                |r| r.get::<_, bool>(0),
            )?;
        let (review_cols, review_join) = if reviews {
            (
                "r.reviewer_id, r.created_at",
                "LEFT JOIN reviews r ON r.annotation_id = CASE WHEN a.state = 'approved' THEN a.id END
                                 AND r.version = a.submitted_version AND r.decision = 'approved'",
            )
        } else {
            ("NULL, NULL", "")
        };
        let sql = format!(
            "SELECT a.item_id, i.content, i.media_ref, v.payload, a.annotator_id, a.state = 'approved',
                    v.version, v.created_at, a.time_spent_ms, {review_cols}
             FROM annotations a
             JOIN items i ON i.id = a.item_id
             JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
             {review_join}
             WHERE +a.state IN {states}
               AND (?1 IS NULL OR a.item_id IN (SELECT item_id FROM batch_items WHERE batch_id = ?1))
             ORDER BY a.item_id, a.annotator_id"
        );
        // `+a.state` keeps the planner on the (item_id, annotator_id) index, which yields rows
        // already in export order instead of sorting them all in a temporary B-tree.
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params![batch_id])?;
        let mut n = 0u64;
        while let Some(r) = rows.next()? {
            let annotator_id = r.get(4)?;
            let row = ExportRow {
                item_id: r.get(0)?,
                content: r.get_ref(1)?.as_bytes()?,
                media_ref: r.get_ref(2)?.as_str_or_null()?,
                payload: r.get_ref(3)?.as_bytes()?,
                annotator_id,
                annotator: names.get(annotator_id),
                state: if r.get(5)? { "approved" } else { "submitted" },
                version: r.get(6)?,
                submitted_at: r.get_ref(7)?.as_str()?,
                time_spent_ms: r.get(8)?,
                reviewer: if reviews {
                    r.get::<_, Option<i64>>(9)?.map(|id| names.get(id))
                } else {
                    None
                },
                reviewed_at: if reviews {
                    r.get_ref(10)?.as_str_or_null()?
                } else {
                    None
                },
            };
            if let Err(e) = f(row) {
                return Ok(Err(e));
            }
            n += 1;
        }
        Ok(Ok(n))
    }
}
