//! Sift's project store: one SQLite file per project.
//!
//! The file is opened in WAL mode with foreign keys on, a busy timeout and full
//! synchronisation, so a crash or a kill at any moment leaves either the old or the new
//! state of every transaction, never a mix. [`Store::open`] applies pending migrations
//! (see `migrations/`), so a project made by an older Sift opens in a newer one; a file
//! made by a newer Sift is refused rather than damaged.
//!
//! The schema keeps every saved annotation version, reviews, model versions and scores,
//! batches and assignments, sync state and an append-only event log. Saved versions,
//! reviews and events are protected by triggers: they can be added, never changed.

#![warn(missing_docs)]

mod annotations;
pub mod backup;
mod browse;
mod embeddings;
mod error;
mod export;
mod faults;
mod gold;
mod import;
mod imported_predictions;
mod item_hashes;
mod items;
mod learning;
mod machine_labels;
mod migrate;
mod open;
mod people;
mod quality;
mod queue;
mod rows;
mod scores;
mod sessions;
mod shards;
mod status;
mod suggestions;
mod sync;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use rows::FromRow;

pub use annotations::{AnnotationRow, Decision, ReviewRow, VersionRow};
pub use browse::*;
pub use embeddings::{EmbeddingCounts, blob_to_vector, vector_to_blob};
pub use error::{Result, StoreError};
pub use export::{ExportFilter, ExportRow};
use faults::InFile;
pub use faults::StorageFault;
pub use gold::GoldAnswer;
pub use import::{ImportStats, ImportTx, InsertOutcome, NewImport, NewItem};
pub use imported_predictions::{ImportedPredictionRow, NewImportedPrediction};
pub use items::ItemRow;
pub use learning::{
    LearnRoundRow, NewLearnRound, PREDICTION_CHUNK, PredictionRow, QueueOrderRow, RoundHead, RoundPool,
    TrainingAnnotation,
};
pub use machine_labels::{AuditRow, AutolabelRunRow, MachineLabelRow, NewAutolabelRun};
pub use open::DEFAULT_BUSY_TIMEOUT;
pub use people::AnnotatorRow;
pub use quality::{DayActivity, ReviewTally, SubmittedWork};
pub use queue::{QueueEntry, QueueReason};
pub use scores::{
    BatchRow, ModelScoreCounts, ModelVersionRow, NewBatch, NewModelVersion, ScoreRecord, ScoredItem,
    ScoringRunRow, StoredScore,
};
pub use sessions::{SessionCap, SessionRow};
pub use shards::{PoolItem, ShardMerge, ShardMergeStats, ShardRows};
pub use sift_core::{AnnotationState, Role};
pub use status::{AnnotatorCounts, StatusCounts};
pub use suggestions::{SuggestionCounts, SuggestionUse, VersionSuggestion};
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
    include_str!("migrations/0006_reviews_append_only.sql"),
    include_str!("migrations/0007_item_search.sql"),
    include_str!("migrations/0008_learning.sql"),
    include_str!("migrations/0009_suggestions.sql"),
    include_str!("migrations/0010_sessions.sql"),
    include_str!("migrations/0011_imported_predictions.sql"),
    include_str!("migrations/0012_item_scores_by_version.sql"),
    include_str!("migrations/0013_batch_overlap.sql"),
    include_str!("migrations/0014_gold.sql"),
    include_str!("migrations/0015_item_hashes.sql"),
    include_str!("migrations/0016_backup.sql"),
];

/// Page size of new project files.
const PAGE_SIZE: i64 = 16 * 1024;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// What a new project starts with.
#[derive(Debug, Clone)]
pub struct NewProject<'a> {
    /// The project's display name.
    pub name: &'a str,
    /// The labeling template's `name`.
    pub template_name: &'a str,
    /// The template's kind as its stable string (`qa`, `ranking`, `image`, ...).
    pub template_kind: &'a str,
    /// The template's full TOML text, stored verbatim (its BLAKE3 hash is stored beside it).
    pub template_text: &'a str,
    /// The Ground Truth label attribute: output lines carry `<label>` and `<label>-metadata`.
    pub label_attribute: &'a str,
    /// The Ground Truth `job-name` written into exported label metadata.
    pub job_name: &'a str,
}

/// The project row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ProjectRow {
    /// The project's display name.
    pub name: String,
    /// When the project file was created (RFC 3339, UTC).
    pub created_at: String,
    /// The labeling template's `name`.
    pub template_name: String,
    /// The template's kind as its stable string (`qa`, `ranking`, `image`, ...).
    pub template_kind: String,
    /// The template's full TOML text, as given at creation.
    pub template_text: String,
    /// BLAKE3 of `template_text`, as 64 lower-case hex digits.
    pub template_hash: String,
    /// The Ground Truth label attribute: output lines carry `<label>` and `<label>-metadata`.
    pub label_attribute: String,
    /// The Ground Truth `job-name` written into exported label metadata.
    pub job_name: String,
}

rows::from_row! {
    ProjectRow {
        name, created_at, template_name, template_kind, template_text, template_hash, label_attribute,
        job_name,
    }
}

/// One entry of the append-only event log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventRow {
    /// When the event was recorded (RFC 3339, UTC, microseconds).
    pub at: String,
    /// The person who caused it; `None` for the system or a command run without a person.
    pub actor: Option<String>,
    /// What happened, as a short snake_case name (e.g. `schema_migrated`, `batch_pulled`,
    /// `items_assigned`).
    pub kind: String,
    /// JSON details.
    pub data: String,
}

rows::from_row! { EventRow { at, actor, kind, data } }

/// An open project file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Opened read-only: this process cannot write the file or its folder.
    read_only: bool,
}

impl Store {
    /// Path of the project file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// The project row.
    pub fn project(&self) -> Result<ProjectRow> {
        Ok(self.conn.query_row(
            "SELECT name, created_at, template_name, template_kind, template_text, template_hash,
                    label_attribute, job_name FROM project WHERE id = 1",
            [],
            ProjectRow::from_row,
        )?)
    }

    /// Appends to the event log.
    pub fn append_event(&self, actor: Option<&str>, kind: &str, data: &serde_json::Value) -> Result<()> {
        self.writing(|| {
            self.conn.execute(
                "INSERT INTO events (at, actor, kind, data) VALUES (?1, ?2, ?3, ?4)",
                params![sift_core::now_rfc3339(), actor, kind, data.to_string()],
            )?;
            Ok(())
        })
    }

    /// The newest `limit` events, newest first.
    pub fn recent_events(&self, limit: u32) -> Result<Vec<EventRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT at, actor, kind, data FROM events ORDER BY id DESC LIMIT ?1")?;
        rows::all(&mut stmt, [limit])
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

    /// Sets a project setting, replacing any earlier value. Settings are stored in the
    /// project file in clear text: never pass a secret.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.writing(|| {
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    /// Removes a project setting (nothing happens when it is not set).
    pub fn remove_setting(&self, key: &str) -> Result<()> {
        self.writing(|| {
            self.conn.execute("DELETE FROM settings WHERE key = ?1", [key])?;
            Ok(())
        })
    }

    /// Runs a change, naming this project file in a storage fault it fails with.
    pub(crate) fn writing<T>(&self, change: impl FnOnce() -> Result<T>) -> Result<T> {
        change().in_file(&self.path)
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
