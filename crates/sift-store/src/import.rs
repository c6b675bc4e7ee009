//! Imports run inside one transaction: all lines or none.

use std::path::Path;

use crate::faults::InFile;

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sift_core::AnnotationState;

use crate::{Result, Store};

/// Where an import comes from.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub file: &'a str,
    pub format: &'a str,
    /// The manifest's folder, recorded as a media root.
    pub media_root: Option<&'a Path>,
}

/// Counts recorded with a finished import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportStats {
    pub lines: u64,
    pub added: u64,
    pub duplicates: u64,
    pub skipped: u64,
    pub labels_added: u64,
}

/// What happened to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Added(i64),
    Duplicate,
}

/// An import in progress. Dropping it without [`ImportTx::commit`] rolls everything back.
#[derive(Debug)]
pub struct ImportTx<'s> {
    tx: rusqlite::Transaction<'s>,
    import_id: i64,
    /// The project file, named in storage faults.
    path: &'s Path,
}

pub(crate) const INSERT_ITEM: &str =
    "INSERT INTO items (content, content_hash, media_ref, import_id, source_line)
     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(content_hash) DO NOTHING";

impl Store {
    /// Starts an import transaction (taking the write lock at once).
    pub fn begin_import(&mut self, import: &NewImport<'_>) -> Result<ImportTx<'_>> {
        let Store { conn, path, .. } = self;
        begin(conn, import)
            .map(|(tx, import_id)| ImportTx { tx, import_id, path })
            .in_file(path)
    }
}

fn begin<'c>(
    conn: &'c mut rusqlite::Connection,
    import: &NewImport<'_>,
) -> Result<(rusqlite::Transaction<'c>, i64)> {
    // A larger page cache keeps the content-hash index in memory for big imports.
    conn.pragma_update(None, "cache_size", -65536)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO imports (file, format, started_at) VALUES (?1, ?2, ?3)",
        params![import.file, import.format, sift_core::now_rfc3339()],
    )?;
    let import_id = tx.last_insert_rowid();
    if let Some(root) = import.media_root {
        add_media_root_in(&tx, &root.to_string_lossy())?;
    }
    Ok((tx, import_id))
}

impl ImportTx<'_> {
    /// Adds an item unless one with the same content hash exists.
    pub fn insert_item(
        &mut self,
        content: &str,
        hash: &[u8; 16],
        media_ref: Option<&str>,
        line: u64,
    ) -> Result<InsertOutcome> {
        let inserted = self.insert(content, hash, media_ref, line);
        inserted.in_file(self.path)
    }

    /// Records an existing label (from an output manifest or a Label Studio export) as a
    /// submitted — or, with `reviewer`, approved — annotation. Returns `false` and changes
    /// nothing when this annotator already has an annotation for the item.
    pub fn import_label(
        &mut self,
        item_id: i64,
        annotator_id: i64,
        payload: &str,
        created_at: &str,
        reviewer_id: Option<i64>,
    ) -> Result<bool> {
        let added = self.add_label(item_id, annotator_id, payload, created_at, reviewer_id);
        added.in_file(self.path)
    }

    /// Finds or creates an annotator inside the import transaction.
    pub fn ensure_annotator(&mut self, name: &str) -> Result<i64> {
        ensure_annotator_in(&self.tx, name).in_file(self.path)
    }

    /// Records the counts and the event, then commits. Nothing is visible before this.
    pub fn commit(
        self,
        stats: &ImportStats,
        actor: Option<&str>,
        details: &serde_json::Value,
    ) -> Result<i64> {
        let path = self.path;
        self.finish(stats, actor, details).in_file(path)
    }
}

impl ImportTx<'_> {
    fn insert(
        &mut self,
        content: &str,
        hash: &[u8; 16],
        media_ref: Option<&str>,
        line: u64,
    ) -> Result<InsertOutcome> {
        let mut stmt = self.tx.prepare_cached(INSERT_ITEM)?;
        let n = stmt.execute(params![
            content,
            &hash[..],
            media_ref,
            self.import_id,
            line as i64
        ])?;
        Ok(if n == 1 {
            InsertOutcome::Added(self.tx.last_insert_rowid())
        } else {
            InsertOutcome::Duplicate
        })
    }

    /// The id of the item with this content hash.
    pub fn item_id_by_hash(&self, hash: &[u8; 16]) -> Result<Option<i64>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT id FROM items WHERE content_hash = ?1")?;
        Ok(stmt.query_row([&hash[..]], |r| r.get(0)).optional()?)
    }

    fn add_label(
        &mut self,
        item_id: i64,
        annotator_id: i64,
        payload: &str,
        created_at: &str,
        reviewer_id: Option<i64>,
    ) -> Result<bool> {
        let state = if reviewer_id.is_some() {
            AnnotationState::Approved
        } else {
            AnnotationState::Submitted
        };
        let n = self
            .tx
            .prepare_cached(
                "INSERT INTO annotations (item_id, annotator_id, state, latest_version, submitted_version,
                                      created_at, updated_at)
             VALUES (?1, ?2, ?3, 1, 1, ?4, ?4) ON CONFLICT(item_id, annotator_id) DO NOTHING",
            )?
            .execute(params![item_id, annotator_id, state.as_str(), created_at])?;
        if n == 0 {
            return Ok(false);
        }
        let annotation_id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached(
                "INSERT INTO annotation_versions (annotation_id, version, kind, payload, created_at)
                 VALUES (?1, 1, 'submitted', ?2, ?3)",
            )?
            .execute(params![annotation_id, payload, created_at])?;
        if let Some(reviewer) = reviewer_id {
            self.tx
                .prepare_cached(
                    "INSERT INTO reviews (annotation_id, version, reviewer_id, decision, comment, created_at)
                     VALUES (?1, 1, ?2, 'approved', 'imported as approved', ?3)",
                )?
                .execute(params![annotation_id, reviewer, created_at])?;
        }
        Ok(true)
    }

    fn finish(self, stats: &ImportStats, actor: Option<&str>, details: &serde_json::Value) -> Result<i64> {
        self.tx.execute(
            "UPDATE imports SET lines = ?2, added = ?3, duplicates = ?4, skipped = ?5 WHERE id = ?1",
            params![
                self.import_id,
                stats.lines as i64,
                stats.added as i64,
                stats.duplicates as i64,
                stats.skipped as i64
            ],
        )?;
        self.tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, ?2, 'import', ?3)",
            params![sift_core::now_rfc3339(), actor, details.to_string()],
        )?;
        self.tx.commit()?;
        Ok(self.import_id)
    }
}

/// Finds or creates an annotator (role annotator, no token) on `conn`, e.g. inside a transaction.
pub(crate) fn ensure_annotator_in(conn: &rusqlite::Connection, name: &str) -> Result<i64> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM annotators WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO annotators (name, role, created_at) VALUES (?1, 'annotator', ?2)",
        params![name, sift_core::now_rfc3339()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records a folder media may be served from (once).
pub(crate) fn add_media_root_in(conn: &rusqlite::Connection, path: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO media_roots (path, added_at) VALUES (?1, ?2) ON CONFLICT(path) DO NOTHING",
        params![path, sift_core::now_rfc3339()],
    )?;
    Ok(())
}
