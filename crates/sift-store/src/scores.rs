//! Active learning in the project file: registered model versions, scoring runs, per-item
//! uncertainty scores (one row per item, model version and strategy), the vectors used for
//! batch diversity, and batches built from the scores.
//!
//! Scores are written one model batch per transaction, so an interrupted run keeps what it
//! finished; [`Store::items_to_score`] leaves out items that already have a score from the same
//! model version, so a rerun resumes. Earlier model versions' scores are never touched.

use rusqlite::{OptionalExtension, params};

use crate::faults::InFile;
use crate::{ItemRow, Result, Store, StoreError};

/// A registered model version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelVersionRow {
    /// The model version's id (what scores, runs and batches refer to).
    pub id: i64,
    /// The model's registry name (from its config, or the model file's stem).
    pub name: String,
    /// 1, 2, ... per name, in the order the versions were added.
    pub version: i64,
    /// BLAKE3 of the model file (hex).
    pub file_hash: String,
    /// Where the stored copy of the model lives (absolute, or relative to the project folder).
    pub file_path: String,
    /// The model config (TOML) as stored.
    pub config: String,
    /// What the model file declares (JSON), as checked when it was added.
    pub signature: Option<String>,
    /// When it was registered (RFC 3339, UTC).
    pub added_at: String,
}

/// A model version to register.
#[derive(Debug, Clone, Copy)]
pub struct NewModelVersion<'a> {
    /// The registry name; the version number is the next free one for this name.
    pub name: &'a str,
    /// BLAKE3 of the model file (hex).
    pub file_hash: &'a str,
    /// Where the stored copy of the model lives (absolute, or relative to the project folder).
    pub file_path: &'a str,
    /// The model config (TOML), as it is to be stored.
    pub config: &'a str,
    /// What the model file declares (JSON), if it was checked.
    pub signature: Option<&'a str>,
}

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

/// One stored score row of an item: `(strategy, score, error)`.
pub type StoredScore = (String, Option<f64>, Option<String>);

/// A scored candidate for a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredItem {
    /// The candidate item.
    pub item_id: i64,
    /// Its score for the strategy asked for, in `[0, 1]`, 1 the most uncertain.
    pub score: f64,
}

/// A batch to create from ranked items.
#[derive(Debug, Clone, Copy)]
pub struct NewBatch<'a> {
    /// The batch's name; must be unique in the project.
    pub name: &'a str,
    /// How its items were picked: an uncertainty strategy (e.g. `entropy`) for a batch built
    /// from scores, `queue-first` for a batch its assignees get before other new work;
    /// `None` for a plain batch.
    pub strategy: Option<&'a str>,
    /// The model version whose scores (or machine labels) chose the items, if any.
    pub model_version_id: Option<i64>,
    /// Items in batch order (position 0 first) with the score they were ranked by.
    pub items: &'a [(i64, Option<f64>)],
    /// Annotator ids; items are dealt out round-robin in batch order (none: unassigned).
    pub assign_to: &'a [i64],
}

/// A batch row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BatchRow {
    /// The batch's id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// How its items were picked: an uncertainty strategy (e.g. `entropy`) for a batch built
    /// from scores, `queue-first` for a batch its assignees get before other new work;
    /// `None` for a plain batch.
    pub strategy: Option<String>,
    /// The model version whose scores (or machine labels) chose the items, if any.
    pub model_version_id: Option<i64>,
}

const MODEL_COLUMNS: &str = "id, name, version, file_hash, file_path, config, signature, added_at";

fn model_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ModelVersionRow> {
    Ok(ModelVersionRow {
        id: r.get(0)?,
        name: r.get(1)?,
        version: r.get(2)?,
        file_hash: r.get(3)?,
        file_path: r.get(4)?,
        config: r.get(5)?,
        signature: r.get(6)?,
        added_at: r.get(7)?,
    })
}

impl Store {
    /// The version number the next model added under `name` gets.
    pub fn next_model_version(&self, name: &str) -> Result<i64> {
        let max: Option<i64> = self.conn.query_row(
            "SELECT max(version) FROM model_versions WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Registers a model version under the next version number for its name.
    pub fn add_model_version(&mut self, model: &NewModelVersion<'_>) -> Result<ModelVersionRow> {
        let added = self.insert_model_version(model);
        added.in_file(&self.path)
    }

    fn insert_model_version(&mut self, model: &NewModelVersion<'_>) -> Result<ModelVersionRow> {
        let tx = self.conn.transaction()?;
        let version: i64 = tx.query_row(
            "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?1",
            [model.name],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO model_versions (name, version, file_hash, file_path, config, signature, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                model.name,
                version,
                model.file_hash,
                model.file_path,
                model.config,
                model.signature,
                sift_core::now_rfc3339()
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'model_added', ?2)",
            params![
                sift_core::now_rfc3339(),
                serde_json::json!({"name": model.name, "version": version, "file_hash": model.file_hash})
                    .to_string()
            ],
        )?;
        let row = tx.query_row(
            &format!("SELECT {MODEL_COLUMNS} FROM model_versions WHERE id = ?1"),
            [id],
            model_row,
        )?;
        tx.commit()?;
        Ok(row)
    }

    /// Every registered model version, by name then version.
    pub fn model_versions(&self) -> Result<Vec<ModelVersionRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MODEL_COLUMNS} FROM model_versions ORDER BY name, version"
        ))?;
        let rows = stmt.query_map([], model_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One model version by id.
    pub fn model_version_by_id(&self, id: i64) -> Result<Option<ModelVersionRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {MODEL_COLUMNS} FROM model_versions WHERE id = ?1"),
                [id],
                model_row,
            )
            .optional()?)
    }

    /// `name@version`, or the newest version of `name` when `version` is `None`.
    pub fn model_version(&self, name: &str, version: Option<i64>) -> Result<Option<ModelVersionRow>> {
        let sql = format!(
            "SELECT {MODEL_COLUMNS} FROM model_versions WHERE name = ?1 AND (?2 IS NULL OR version = ?2)
             ORDER BY version DESC LIMIT 1"
        );
        Ok(self
            .conn
            .query_row(&sql, params![name, version], model_row)
            .optional()?)
    }

    /// The most recently added model version of any name.
    pub fn latest_model_version(&self) -> Result<Option<ModelVersionRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {MODEL_COLUMNS} FROM model_versions ORDER BY id DESC LIMIT 1"),
                [],
                model_row,
            )
            .optional()?)
    }

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
                |r| {
                    Ok(ScoringRunRow {
                        id: r.get(0)?,
                        model_version_id: r.get(1)?,
                        device: r.get(2)?,
                        runtime_version: r.get(3)?,
                        started_at: r.get(4)?,
                        finished_at: r.get(5)?,
                        items_scored: r.get(6)?,
                        items_failed: r.get(7)?,
                        status: r.get(8)?,
                    })
                },
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
        let rows = stmt.query_map(params![model_version_id, after_id, limit], |r| {
            Ok(ItemRow {
                id: r.get(0)?,
                content: r.get(1)?,
                media_ref: r.get(2)?,
                source_line: r.get(3)?,
            })
        })?;
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
        let saved = self.insert_scores(run_id, model_version_id, records);
        saved.in_file(&self.path)
    }

    fn insert_scores(&mut self, run_id: i64, model_version_id: i64, records: &[ScoreRecord]) -> Result<()> {
        let tx = self.conn.transaction()?;
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
                    let mut blob = Vec::with_capacity(vector.len() * 4);
                    for v in vector {
                        blob.extend_from_slice(&v.to_le_bytes());
                    }
                    vector_stmt.execute(params![
                        record.item_id,
                        model_version_id,
                        vector.len() as i64,
                        blob
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

    /// Candidates for a new batch: items nobody has started and no batch holds yet, with their
    /// `strategy` score from `model_version_id`, in item order.
    pub fn batch_candidates(&self, model_version_id: i64, strategy: &str) -> Result<Vec<ScoredItem>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.item_id, s.score FROM item_scores s
             WHERE s.model_version_id = ?1 AND s.strategy = ?2 AND s.score IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.item_id)
               AND NOT EXISTS (SELECT 1 FROM batch_items b WHERE b.item_id = s.item_id)
             ORDER BY s.item_id",
        )?;
        let rows = stmt.query_map(params![model_version_id, strategy], |r| {
            Ok(ScoredItem {
                item_id: r.get(0)?,
                score: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The diversity vector of each item (same order; `None` where there is none).
    pub fn embeddings(&self, model_version_id: i64, item_ids: &[i64]) -> Result<Vec<Option<Vec<f32>>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vector FROM item_embeddings WHERE item_id = ?1 AND model_version_id = ?2",
        )?;
        let mut out = Vec::with_capacity(item_ids.len());
        for id in item_ids {
            let blob: Option<Vec<u8>> = stmt
                .query_row(params![id, model_version_id], |r| r.get(0))
                .optional()?;
            out.push(blob.map(|b| {
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            }));
        }
        Ok(out)
    }

    /// Creates a batch holding `items` in order, and deals them out to `assign_to`.
    pub fn create_batch(&mut self, batch: &NewBatch<'_>) -> Result<BatchRow> {
        let created = self.insert_batch(batch);
        created.in_file(&self.path)
    }

    fn insert_batch(&mut self, batch: &NewBatch<'_>) -> Result<BatchRow> {
        let tx = self.conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM batches WHERE name = ?1)",
            [batch.name],
            |r| r.get(0),
        )?;
        if exists {
            return Err(StoreError::Conflict(format!(
                "a batch named {:?} already exists",
                batch.name
            )));
        }
        let now = sift_core::now_rfc3339();
        tx.execute(
            "INSERT INTO batches (name, created_at, strategy, model_version_id) VALUES (?1, ?2, ?3, ?4)",
            params![batch.name, now, batch.strategy, batch.model_version_id],
        )?;
        let batch_id = tx.last_insert_rowid();
        {
            let mut item_stmt = tx.prepare_cached(
                "INSERT INTO batch_items (batch_id, item_id, position, score) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut assign_stmt = tx.prepare_cached(
                "INSERT INTO assignments (batch_id, item_id, annotator_id, assigned_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (position, (item_id, score)) in batch.items.iter().enumerate() {
                item_stmt.execute(params![batch_id, item_id, position as i64, score])?;
                if !batch.assign_to.is_empty()
                    && let Some(annotator) = batch.assign_to.get(position % batch.assign_to.len())
                {
                    assign_stmt.execute(params![batch_id, item_id, annotator, now])?;
                }
            }
        }
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'batch_created', ?2)",
            params![
                now,
                serde_json::json!({
                    "name": batch.name,
                    "items": batch.items.len(),
                    "strategy": batch.strategy,
                    "model_version_id": batch.model_version_id,
                    "annotators": batch.assign_to.len()
                })
                .to_string()
            ],
        )?;
        tx.commit()?;
        Ok(BatchRow {
            id: batch_id,
            name: batch.name.to_owned(),
            created_at: now,
            strategy: batch.strategy.map(str::to_owned),
            model_version_id: batch.model_version_id,
        })
    }

    /// Number of batches whose name starts with `prefix` (for naming new ones).
    pub fn count_batches_named_like(&self, prefix: &str) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM batches WHERE substr(name, 1, length(?1)) = ?1",
            [prefix],
            |r| r.get::<_, i64>(0),
        )? as u64)
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
        let rows = stmt.query_map([], |r| {
            Ok(ModelScoreCounts {
                model_version_id: r.get(0)?,
                name: r.get(1)?,
                version: r.get(2)?,
                items_scored: r.get::<_, i64>(3)? as u64,
                items_failed: r.get::<_, i64>(4)? as u64,
                runs: r.get::<_, i64>(5)? as u64,
                last_device: r.get(6)?,
                last_runtime_version: r.get(7)?,
                last_run_at: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewProject;

    fn store(dir: &std::path::Path) -> Store {
        Store::create(
            &dir.join("p.sift"),
            &NewProject {
                name: "p",
                template_name: "t",
                template_kind: "qa",
                template_text: "",
                label_attribute: "label",
                job_name: "job",
            },
        )
        .unwrap()
    }

    fn record(item_id: i64, score: Option<f64>) -> ScoreRecord {
        ScoreRecord {
            item_id,
            scores: vec![("margin".into(), score), ("entropy".into(), score)],
            error: score.is_none().then(|| "broken".to_owned()),
            embedding: score.map(|s| vec![s as f32, 1.0]),
        }
    }

    #[test]
    fn versions_runs_scores_resume_and_batches() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(dir.path());
        s.conn
            .execute_batch(
                "INSERT INTO imports (id, file, format, started_at) VALUES (1, 'm', 'gt', 'now');
                 INSERT INTO items (id, content, content_hash, import_id, source_line) VALUES
                   (1, '{}', x'01', 1, 1), (2, '{}', x'02', 1, 2), (3, '{}', x'03', 1, 3);",
            )
            .unwrap();
        let new = |name| NewModelVersion {
            name,
            file_hash: "h",
            file_path: "models/m.onnx",
            config: "",
            signature: None,
        };
        let v1 = s.add_model_version(&new("m")).unwrap();
        let v2 = s.add_model_version(&new("m")).unwrap();
        assert_eq!((v1.version, v2.version), (1, 2));
        assert_eq!(s.next_model_version("m").unwrap(), 3);
        assert_eq!(s.model_version("m", None).unwrap().unwrap().id, v2.id);
        assert_eq!(s.model_version("m", Some(1)).unwrap().unwrap().id, v1.id);

        let run = s.start_scoring_run(v1.id, "cpu", "1.31.1").unwrap();
        assert_eq!(s.count_items_to_score(v1.id).unwrap(), 3);
        s.save_scores(run, v1.id, &[record(1, Some(0.9)), record(2, None)])
            .unwrap();
        // Item 2 failed: it is offered again; item 1 is not.
        let left: Vec<i64> = s
            .items_to_score(v1.id, 0, 10)
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(left, vec![2, 3]);
        s.save_scores(run, v1.id, &[record(2, Some(0.2)), record(3, Some(0.5))])
            .unwrap();
        s.finish_scoring_run(run, "finished").unwrap();
        let row = s.scoring_run(run).unwrap().unwrap();
        assert_eq!(
            (row.items_scored, row.items_failed, row.status.as_str()),
            (3, 1, "finished")
        );
        assert_eq!(s.count_items_to_score(v1.id).unwrap(), 0);
        // The other version has scored nothing.
        assert_eq!(s.count_items_to_score(v2.id).unwrap(), 3);

        let counts = s.model_score_counts().unwrap();
        assert_eq!(counts[0].items_scored, 3);
        assert_eq!(counts[0].items_failed, 0);
        assert_eq!(counts[1].items_scored, 0);

        let candidates = s.batch_candidates(v1.id, "margin").unwrap();
        assert_eq!(candidates.len(), 3);
        let vectors = s.embeddings(v1.id, &[3, 99]).unwrap();
        assert_eq!(vectors, vec![Some(vec![0.5, 1.0]), None]);

        let ann = s.add_annotator("ann", crate::Role::Annotator, None).unwrap();
        let batch = s
            .create_batch(&NewBatch {
                name: "b1",
                strategy: Some("margin"),
                model_version_id: Some(v1.id),
                items: &[(1, Some(0.9)), (3, Some(0.5))],
                assign_to: &[ann.id],
            })
            .unwrap();
        assert_eq!(batch.name, "b1");
        assert!(
            s.create_batch(&NewBatch {
                items: &[],
                ..NewBatch {
                    name: "b1",
                    strategy: None,
                    model_version_id: None,
                    items: &[],
                    assign_to: &[]
                }
            })
            .is_err()
        );
        // Batched items are no longer candidates.
        let left: Vec<i64> = s
            .batch_candidates(v1.id, "margin")
            .unwrap()
            .iter()
            .map(|c| c.item_id)
            .collect();
        assert_eq!(left, vec![2]);
        let queue = s.queue(ann.id, 10).unwrap();
        assert_eq!(queue[0].item_id, 1);
        assert_eq!(queue[0].score, Some(0.9));
        assert_eq!(queue[0].strategy.as_deref(), Some("margin"));
        assert_eq!(queue[1].item_id, 3);
    }
}
