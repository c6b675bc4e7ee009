//! Sift's project store: one SQLite file per project.
//!
//! The file is opened in WAL mode with foreign keys on, a busy timeout and full
//! synchronisation, so a crash or a kill at any moment leaves either the old or the new
//! state of every transaction, never a mix. [`Store::open`] applies pending migrations
//! (see `migrations/`), so a project made by an older Sift opens in a newer one; a file
//! made by a newer Sift is refused rather than damaged.
//!
//! The schema keeps every saved annotation version, reviews, model versions and scores,
//! batches and assignments, sync state and an append-only event log. Saved versions and
//! events are protected by triggers: they can be added, never changed.

mod annotations;
mod error;
mod export;
mod import;
mod items;
mod people;
mod queue;
mod scores;
mod status;
mod sync;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

pub use annotations::{AnnotationRow, Decision, ReviewRow, VersionRow};
pub use error::{Result, StoreError};
pub use export::{ExportFilter, ExportRow};
pub use import::{ImportStats, ImportTx, InsertOutcome, NewImport};
pub use items::ItemRow;
pub use people::AnnotatorRow;
pub use queue::{QueueEntry, QueueReason};
pub use scores::{
    BatchRow, ModelScoreCounts, ModelVersionRow, NewBatch, NewModelVersion, ScoreRecord, ScoredItem,
    ScoringRunRow, StoredScore,
};
pub use sift_core::{AnnotationState, Role};
pub use status::{AnnotatorCounts, StatusCounts};
pub use sync::{
    BatchItemRow, BatchName, Direction, MergeStats, PulledBatch, PulledBatchStats, PulledItem, PulledMedia,
    PulledReviews, RemoteVersion, ReviewMergeStats, SegmentMerge, SyncObject, SyncedReview, UnpushedVersion,
};

/// `PRAGMA application_id` of Sift project files ("SIFT").
pub const APPLICATION_ID: i32 = 0x5349_4654;

/// The migrations, in order; the schema version is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_queue_indexes.sql"),
    include_str!("migrations/0003_scoring.sql"),
    include_str!("migrations/0004_sync.sql"),
    include_str!("migrations/0005_time_spent_repair.sql"),
];

/// Page size of new project files.
const PAGE_SIZE: i64 = 16 * 1024;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// What a new project starts with.
#[derive(Debug, Clone)]
pub struct NewProject<'a> {
    pub name: &'a str,
    pub template_name: &'a str,
    pub template_kind: &'a str,
    pub template_text: &'a str,
    pub label_attribute: &'a str,
    pub job_name: &'a str,
}

/// The project row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ProjectRow {
    pub name: String,
    pub created_at: String,
    pub template_name: String,
    pub template_kind: String,
    pub template_text: String,
    pub template_hash: String,
    pub label_attribute: String,
    pub job_name: String,
}

/// One entry of the append-only event log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventRow {
    pub at: String,
    pub actor: Option<String>,
    pub kind: String,
    /// JSON details.
    pub data: String,
}

/// An open project file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Creates a new project file at `path`, which must not exist yet.
    pub fn create(path: &Path, project: &NewProject<'_>) -> Result<Store> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_owned()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::open(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        // Must precede the first table and WAL mode. 16 KiB pages make the long scans of
        // exports and scoring touch four times fewer pages; edits are small either way.
        store.conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        store.configure()?;
        store.conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        store.migrate()?;
        let template_hash = blake3_hex(project.template_text.as_bytes());
        let now = sift_core::now_rfc3339();
        store.conn.execute(
            "INSERT INTO project (id, name, created_at, template_name, template_kind, template_text,
                                  template_hash, label_attribute, job_name)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                project.name,
                now,
                project.template_name,
                project.template_kind,
                project.template_text,
                template_hash,
                project.label_attribute,
                project.job_name
            ],
        )?;
        store.append_event(
            None,
            "project_created",
            &serde_json::json!({ "name": project.name }),
        )?;
        Ok(store)
    }

    /// Opens an existing project file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!("project file {}", path.display())));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::open(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        let app_id: i32 = store
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| StoreError::open(path, e))?;
        if app_id != APPLICATION_ID {
            return Err(StoreError::NotAProject(path.to_owned()));
        }
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Path of the project file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn configure(&mut self) -> Result<()> {
        self.conn.busy_timeout(Duration::from_secs(10))?;
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unsupported(format!(
                "the file system refused WAL mode (got {mode})"
            )));
        }
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = i as u32 + 1;
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)
                .map_err(|e| StoreError::Migration { version, source: e })?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The project row.
    pub fn project(&self) -> Result<ProjectRow> {
        Ok(self.conn.query_row(
            "SELECT name, created_at, template_name, template_kind, template_text, template_hash,
                    label_attribute, job_name FROM project WHERE id = 1",
            [],
            |r| {
                Ok(ProjectRow {
                    name: r.get(0)?,
                    created_at: r.get(1)?,
                    template_name: r.get(2)?,
                    template_kind: r.get(3)?,
                    template_text: r.get(4)?,
                    template_hash: r.get(5)?,
                    label_attribute: r.get(6)?,
                    job_name: r.get(7)?,
                })
            },
        )?)
    }

    /// Appends to the event log.
    pub fn append_event(&self, actor: Option<&str>, kind: &str, data: &serde_json::Value) -> Result<()> {
        self.conn.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, ?2, ?3, ?4)",
            params![sift_core::now_rfc3339(), actor, kind, data.to_string()],
        )?;
        Ok(())
    }

    /// The newest `limit` events, newest first.
    pub fn recent_events(&self, limit: u32) -> Result<Vec<EventRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT at, actor, kind, data FROM events ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit], |r| {
            Ok(EventRow {
                at: r.get(0)?,
                actor: r.get(1)?,
                kind: r.get(2)?,
                data: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Folders that media may be read from.
    pub fn media_roots(&self) -> Result<Vec<PathBuf>> {
        let mut stmt = self.conn.prepare("SELECT path FROM media_roots ORDER BY path")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows
            .map(|r| r.map(PathBuf::from))
            .collect::<rusqlite::Result<_>>()?)
    }

    /// A project setting (never a secret).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Runs SQLite's own consistency check; `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<()> {
        let res: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if res == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt(res))
        }
    }
}

pub(crate) fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[cfg(test)]
mod tests;
