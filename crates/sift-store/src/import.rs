//! Imports run inside one transaction: all lines or none.
//!
//! Big imports leave WAL mode while they run ([`Store::begin_bulk_import`]): see [`ImportTx`].

use std::path::Path;

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sift_core::AnnotationState;

use crate::faults::InFile;
use crate::item_hashes::ItemAdder;
pub use crate::item_hashes::{InsertOutcome, NewItem};
use crate::{Result, Store, StoreError};

/// The error for using an import that has ended (a bug in the caller).
const FINISHED: &str = "the import has already ended";

/// Where an import comes from.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    /// The manifest file as the user named it (recorded in the import's row and event).
    pub file: &'a str,
    /// The manifest format's short name: `gt` or `label-studio`.
    pub format: &'a str,
    /// A folder to record as a media root when the import begins (the API records the
    /// one it chose with [`ImportTx::add_media_root`] once it has seen local media).
    pub media_root: Option<&'a Path>,
}

/// Counts recorded with a finished import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportStats {
    /// Non-blank lines (or Label Studio tasks) read.
    pub lines: u64,
    /// New items stored.
    pub added: u64,
    /// Lines whose content matched an item already in the project (same content hash).
    pub duplicates: u64,
    /// Lines refused as invalid (each is reported with its reason).
    pub skipped: u64,
    /// Existing labels imported as annotations.
    pub labels_added: u64,
}

/// An import in progress. Dropping it without [`ImportTx::commit`] rolls everything back.
///
/// A bulk import ([`Store::begin_bulk_import`]) runs in SQLite's rollback-journal mode when
/// it can: pages appended to the file need no journal, so every page is written once,
/// instead of once to the write-ahead log and again when it is checkpointed. The project
/// is back in WAL mode when the import ends, committed or not; a crash in between leaves a
/// hot journal that SQLite rolls back on the next open, which also restores WAL mode.
#[derive(Debug)]
pub struct ImportTx<'s> {
    pub(crate) conn: &'s rusqlite::Connection,
    /// `None` once committed.
    tx: Option<rusqlite::Transaction<'s>>,
    pub(crate) items: ItemAdder,
    outcomes: Vec<InsertOutcome>,
    pub(crate) import_id: i64,
    /// Switched out of WAL mode for this import: switch back when it ends.
    bulk: bool,
    /// The page cache size to restore when the import ends.
    cache_size: i64,
    /// The project file, named in storage faults.
    pub(crate) path: &'s Path,
}

/// Page cache of an import, in KiB (SQLite's negative `cache_size`): room for the
/// content-hash index of a million items, whatever the file's size.
const IMPORT_CACHE_KIB: i64 = 64 * 1024;

impl Store {
    /// Starts an import transaction (taking the write lock at once).
    pub fn begin_import(&mut self, import: &NewImport<'_>) -> Result<ImportTx<'_>> {
        self.begin(import, false)
    }

    /// Starts an import of many lines: like [`Store::begin_import`], in rollback-journal mode
    /// when no other connection has the project open (otherwise in WAL mode, as usual).
    pub fn begin_bulk_import(&mut self, import: &NewImport<'_>) -> Result<ImportTx<'_>> {
        self.begin(import, true)
    }

    fn begin(&mut self, import: &NewImport<'_>, bulk: bool) -> Result<ImportTx<'_>> {
        let path = &self.path;
        self.begin_in(import, bulk).in_file(path)
    }

    fn begin_in(&self, import: &NewImport<'_>, bulk: bool) -> Result<ImportTx<'_>> {
        let conn = &self.conn;
        let cache_size: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
        // Leaving WAL mode needs the only connection to the file; with another one open the
        // mode stays WAL and the import goes on as a normal one.
        let bulk = bulk
            && conn
                .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))
                .is_ok_and(|mode| mode.eq_ignore_ascii_case("delete"));
        let mut itx = ImportTx {
            conn,
            tx: None,
            items: ItemAdder::default(),
            outcomes: Vec::new(),
            import_id: 0,
            bulk,
            cache_size,
            path: &self.path,
        };
        // From here on, dropping `itx` restores the journal mode and the cache size.
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO imports (file, format, started_at) VALUES (?1, ?2, ?3)",
            params![import.file, import.format, sift_core::now_rfc3339()],
        )?;
        itx.import_id = tx.last_insert_rowid();
        if let Some(root) = import.media_root {
            add_media_root_in(&tx, &root.to_string_lossy())?;
        }
        itx.items = ItemAdder::new(&tx)?;
        itx.tx = Some(tx);
        Ok(itx)
    }
}

impl Drop for ImportTx<'_> {
    fn drop(&mut self) {
        // Rolls back unless committed.
        drop(self.tx.take());
        // Best effort: this connection goes on working in either mode, and every open of the
        // project (Store::open) puts it back in WAL mode anyway.
        if self.bulk {
            let _ = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0));
        }
        // Restoring the cache size is a tuning hint on a connection the import is finished
        // with; failing to restore it changes speed, never data.
        let _ = self.conn.pragma_update(None, "cache_size", self.cache_size);
    }
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
        let item = NewItem {
            content,
            hash,
            media_ref,
            line,
        };
        Ok(self.insert_items(&[item])?[0])
    }

    /// Adds each item unless one with the same content hash exists (in the project or earlier
    /// in this import). Returns one outcome per item, in order. Batches of many lines are
    /// much faster than one by one (`item_hashes.rs`).
    pub fn insert_items(&mut self, items: &[NewItem<'_>]) -> Result<&[InsertOutcome]> {
        let path = self.path;
        if self.tx.is_none() {
            return Err(StoreError::Conflict(FINISHED.into()));
        }
        self.items
            .add(self.conn, self.import_id, items, &mut self.outcomes)
            .in_file(path)?;
        Ok(&self.outcomes)
    }

    /// The id of the item with this content hash.
    pub fn item_id_by_hash(&self, hash: &[u8; 16]) -> Result<Option<i64>> {
        self.items.item_id(self.conn, hash).in_file(self.path)
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
        let path = self.path;
        self.import_label_in(item_id, annotator_id, payload, created_at, reviewer_id)
            .in_file(path)
    }

    fn import_label_in(
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
            .conn
            .prepare_cached(
                "INSERT INTO annotations (item_id, annotator_id, state, latest_version, submitted_version,
                                      created_at, updated_at)
             VALUES (?1, ?2, ?3, 1, 1, ?4, ?4) ON CONFLICT(item_id, annotator_id) DO NOTHING",
            )?
            .execute(params![item_id, annotator_id, state.as_str(), created_at])?;
        if n == 0 {
            return Ok(false);
        }
        let annotation_id = self.conn.last_insert_rowid();
        self.conn
            .prepare_cached(
                "INSERT INTO annotation_versions (annotation_id, version, kind, payload, created_at)
                 VALUES (?1, 1, 'submitted', ?2, ?3)",
            )?
            .execute(params![annotation_id, payload, created_at])?;
        if let Some(reviewer) = reviewer_id {
            self.conn
                .prepare_cached(
                    "INSERT INTO reviews (annotation_id, version, reviewer_id, decision, comment, created_at)
                     VALUES (?1, 1, ?2, 'approved', 'imported as approved', ?3)",
                )?
                .execute(params![annotation_id, reviewer, created_at])?;
        }
        Ok(true)
    }

    /// Records a folder media may be served from (once), inside the import transaction.
    pub fn add_media_root(&mut self, path: &Path) -> Result<()> {
        add_media_root_in(self.conn, &path.to_string_lossy()).in_file(self.path)
    }

    /// Finds or creates an annotator inside the import transaction.
    pub fn ensure_annotator(&mut self, name: &str) -> Result<i64> {
        ensure_annotator_in(self.conn, name).in_file(self.path)
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

    fn finish(
        mut self,
        stats: &ImportStats,
        actor: Option<&str>,
        details: &serde_json::Value,
    ) -> Result<i64> {
        self.items.flush(self.conn)?;
        let tx = self.tx.take().ok_or(StoreError::Conflict(FINISHED.into()))?;
        tx.execute(
            "UPDATE imports SET lines = ?2, added = ?3, duplicates = ?4, skipped = ?5 WHERE id = ?1",
            params![
                self.import_id,
                stats.lines as i64,
                stats.added as i64,
                stats.duplicates as i64,
                stats.skipped as i64
            ],
        )?;
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, ?2, 'import', ?3)",
            params![sift_core::now_rfc3339(), actor, details.to_string()],
        )?;
        tx.commit()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::new_store as store;

    const IMPORT: NewImport<'static> = NewImport {
        file: "m.jsonl",
        format: "gt",
        media_root: None,
    };

    fn journal_mode(store: &Store) -> String {
        store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap()
    }

    fn add(tx: &mut ImportTx<'_>, n: u8) -> InsertOutcome {
        tx.insert_item(&format!("{{\"source\":\"{n}\"}}"), &[n; 16], None, u64::from(n))
            .unwrap()
    }

    #[test]
    fn a_bulk_import_leaves_wal_mode_only_while_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(dir.path());
        let mut tx = s.begin_bulk_import(&IMPORT).unwrap();
        assert!(tx.bulk);
        assert!(matches!(add(&mut tx, 1), InsertOutcome::Added(_)));
        assert_eq!(add(&mut tx, 1), InsertOutcome::Duplicate);
        drop(tx); // rolled back
        assert_eq!(journal_mode(&s), "wal");
        assert_eq!(s.item_count().unwrap(), 0);

        let mut tx = s.begin_bulk_import(&IMPORT).unwrap();
        add(&mut tx, 2);
        tx.commit(&ImportStats::default(), None, &serde_json::json!({}))
            .unwrap();
        assert_eq!(journal_mode(&s), "wal");
        assert_eq!(s.item_count().unwrap(), 1);
        let cache: i64 = s
            .conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .unwrap();
        assert_ne!(cache, -IMPORT_CACHE_KIB, "the import's page cache is given back");
        s.integrity_check().unwrap();
    }

    #[test]
    fn a_bulk_import_stays_in_wal_mode_while_another_connection_reads() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(dir.path());
        let other = Store::open(&dir.path().join("p.sift")).unwrap();
        assert_eq!(other.item_count().unwrap(), 0);
        let mut tx = s.begin_bulk_import(&IMPORT).unwrap();
        assert!(!tx.bulk);
        add(&mut tx, 3);
        // WAL mode: the other connection still reads while the import writes.
        assert_eq!(other.item_count().unwrap(), 0);
        tx.commit(&ImportStats::default(), None, &serde_json::json!({}))
            .unwrap();
        assert_eq!(other.item_count().unwrap(), 1);
        assert_eq!(journal_mode(&s), "wal");
    }
}
