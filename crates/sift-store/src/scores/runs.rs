//! Scoring runs and what they write: the run records, the items still to score, per-item
//! uncertainty scores and diversity vectors, and per-model counts.

use rusqlite::{OptionalExtension, params};

use crate::rows::{self, FromRow};
use crate::{ItemRow, Result, Store, StoreError};

/// One scoring run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScoringRunRow {
    /// The run's id.
    pub id: i64,
    /// The model version that ran.
    pub model_version_id: i64,
    /// Where it ran, as the runner names it (e.g. `cpu`, `cuda:0`).
    pub device: String,
    /// The ONNX Runtime version it ran on.
    pub runtime_version: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// When it ended; `None` while running, or if the process died first.
    pub finished_at: Option<String>,
    /// Items this run scored (or embedded).
    pub items_scored: i64,
    /// Items this run could not score (or embed).
    pub items_failed: i64,
    /// `running` (or interrupted), `finished`, `cancelled` or `failed`.
    pub status: String,
}

rows::from_row! {
    ScoringRunRow {
        id, model_version_id, device, runtime_version, started_at, finished_at, items_scored, items_failed,
        status,
    }
}

/// The outcome of scoring one item, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRecord {
    /// The item scored.
    pub item_id: i64,
    /// `(strategy, score)`; the score is `None` for every strategy when the item failed.
    pub scores: Vec<(String, Option<f64>)>,
    /// Why the item could not be scored (unreadable media, non-finite model output, ...).
    pub error: Option<String>,
    /// The item's vector for batch diversity, if any.
    pub embedding: Option<Vec<f32>>,
}

/// How many items one model version has scored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ModelScoreCounts {
    /// The model version's id.
    pub model_version_id: i64,
    /// The model's registry name.
    pub name: String,
    /// The version number under that name (from 1).
    pub version: i64,
    /// Items with scores from this version.
    pub items_scored: u64,
    /// Items this version could not score (their latest attempt failed).
    pub items_failed: u64,
    /// Runs of this version (scoring and embedding).
    pub runs: u64,
    /// Device of the newest run; `None` when it never ran.
    pub last_device: Option<String>,
    /// ONNX Runtime version of the newest run.
    pub last_runtime_version: Option<String>,
    /// When the newest run started (RFC 3339, UTC).
    pub last_run_at: Option<String>,
}

rows::from_row! {
    ModelScoreCounts {
        model_version_id, name, version, items_scored: rows::count, items_failed: rows::count,
        runs: rows::count, last_device, last_runtime_version, last_run_at,
    }
}

/// One stored score row of an item: `(strategy, score, error)`.
pub type StoredScore = (String, Option<f64>, Option<String>);

impl Store {
    /// Records the start of a scoring run and returns its id.
    pub fn start_scoring_run(
        &self,
        model_version_id: i64,
        device: &str,
        runtime_version: &str,
    ) -> Result<i64> {
        self.writing(|| {
            self.conn.execute(
                "INSERT INTO scoring_runs (model_version_id, device, runtime_version, started_at, status)
                 VALUES (?1, ?2, ?3, ?4, 'running')",
                params![
                    model_version_id,
                    device,
                    runtime_version,
                    sift_core::now_rfc3339()
                ],
            )?;
            Ok(self.conn.last_insert_rowid())
        })
    }

    /// Marks a run finished, cancelled or failed.
    pub fn finish_scoring_run(&self, run_id: i64, status: &str) -> Result<()> {
        self.writing(|| {
            let changed = self.conn.execute(
                "UPDATE scoring_runs SET finished_at = ?2, status = ?3 WHERE id = ?1",
                params![run_id, sift_core::now_rfc3339(), status],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("scoring run {run_id}")));
            }
            Ok(())
        })
    }

    /// A scoring run.
    pub fn scoring_run(&self, run_id: i64) -> Result<Option<ScoringRunRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, model_version_id, device, runtime_version, started_at, finished_at,
                        items_scored, items_failed, status
                 FROM scoring_runs WHERE id = ?1",
                [run_id],
                ScoringRunRow::from_row,
            )
            .optional()?)
    }

    /// Unlabeled items (no annotation yet) that `model_version_id` has not scored, in import
    /// order, `limit` of them after item `after_id`. Items whose last attempt failed are
    /// included again (their media may have been fixed).
    pub fn items_to_score(&self, model_version_id: i64, after_id: i64, limit: u32) -> Result<Vec<ItemRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id, i.content, i.media_ref, i.source_line FROM items i
             WHERE i.id > ?2
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM item_scores s
                               WHERE s.item_id = i.id AND s.model_version_id = ?1 AND s.score IS NOT NULL)
             ORDER BY i.id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![model_version_id, after_id, limit], ItemRow::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many items [`Store::items_to_score`] would return in all.
    pub fn count_items_to_score(&self, model_version_id: i64) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM items i
             WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM item_scores s
                               WHERE s.item_id = i.id AND s.model_version_id = ?1 AND s.score IS NOT NULL)",
            [model_version_id],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Saves one batch of outcomes in one transaction and adds them to the run's counts.
    /// A new outcome for an item replaces the same model version's earlier one.
    pub fn save_scores(&mut self, run_id: i64, model_version_id: i64, records: &[ScoreRecord]) -> Result<()> {
        self.write_in_file(|store| {
            let tx = store.conn.transaction()?;
            // item_scores has no foreign-key clauses (migration 0012): what it refers to is
            // checked here, once per batch.
            let run_of_version: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM scoring_runs WHERE id = ?1 AND model_version_id = ?2)",
                params![run_id, model_version_id],
                |r| r.get(0),
            )?;
            if !run_of_version {
                return Err(StoreError::NotFound(format!(
                    "scoring run {run_id} of model version {model_version_id}"
                )));
            }
            let ids: Vec<i64> = records.iter().map(|r| r.item_id).collect();
            crate::items::check_item_ids(&tx, &ids)?;
            let (mut scored, mut failed) = (0_i64, 0_i64);
            {
                let mut score_stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO item_scores (item_id, model_version_id, strategy, score, error, run_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                let mut vector_stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO item_embeddings (item_id, model_version_id, dim, vector)
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                for record in records {
                    for (strategy, score) in &record.scores {
                        score_stmt.execute(params![
                            record.item_id,
                            model_version_id,
                            strategy,
                            score,
                            record.error,
                            run_id
                        ])?;
                    }
                    if record.error.is_some() {
                        failed += 1;
                    } else {
                        scored += 1;
                    }
                    if let Some(vector) = &record.embedding {
                        vector_stmt.execute(params![
                            record.item_id,
                            model_version_id,
                            vector.len() as i64,
                            crate::vector_to_blob(vector)
                        ])?;
                    }
                }
            }
            tx.execute(
                "UPDATE scoring_runs SET items_scored = items_scored + ?2, items_failed = items_failed + ?3
                 WHERE id = ?1",
                params![run_id, scored, failed],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The stored outcome of one item for one model version: `(strategy, score, error)` rows.
    pub fn item_scores(&self, item_id: i64, model_version_id: i64) -> Result<Vec<StoredScore>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT strategy, score, error FROM item_scores
             WHERE item_id = ?1 AND model_version_id = ?2 ORDER BY strategy",
        )?;
        let rows = stmt.query_map(params![item_id, model_version_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Per model version: items scored and failed, runs, and the newest run's device.
    pub fn model_score_counts(&self) -> Result<Vec<ModelScoreCounts>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.id, m.name, m.version,
                    (SELECT count(DISTINCT s.item_id) FROM item_scores s
                      WHERE s.model_version_id = m.id AND s.score IS NOT NULL),
                    (SELECT count(DISTINCT s.item_id) FROM item_scores s
                      WHERE s.model_version_id = m.id AND s.score IS NULL),
                    (SELECT count(*) FROM scoring_runs r WHERE r.model_version_id = m.id),
                    (SELECT r.device FROM scoring_runs r WHERE r.model_version_id = m.id ORDER BY r.id DESC LIMIT 1),
                    (SELECT r.runtime_version FROM scoring_runs r WHERE r.model_version_id = m.id ORDER BY r.id DESC LIMIT 1),
                    (SELECT r.started_at FROM scoring_runs r WHERE r.model_version_id = m.id ORDER BY r.id DESC LIMIT 1)
             FROM model_versions m ORDER BY m.name, m.version",
        )?;
        rows::all(&mut stmt, [])
    }
}
