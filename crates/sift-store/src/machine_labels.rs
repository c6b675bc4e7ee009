//! Machine labels in the project file (`sift autolabel`): the runs that chose a confidence
//! threshold, the labels they gave, the human audits of those labels, and withdrawals.
//!
//! Machine labels live in their own table and never in `annotations`, so nothing that reads
//! human work (review, exports of human labels, agreement, training by default) can mistake
//! one for a person's label. An item holds at most one live machine label; a withdrawn run's
//! labels stay in the file, marked with when they were withdrawn.

use rusqlite::{OptionalExtension, params};

use crate::faults::InFile;
use crate::rows::{self, FromRow};
use crate::{Result, Store, StoreError};

/// An autolabel run to record.
#[derive(Debug, Clone, Copy)]
pub struct NewAutolabelRun {
    /// The classifier head (model version) whose predictions became the labels.
    pub model_version_id: i64,
    /// The precision the labels had to reach on the validation items (0 to 1).
    pub target_precision: f64,
    /// The confidence threshold chosen: predictions at least this confident are labeled.
    pub threshold: f64,
    /// Human-labeled validation items the threshold was chosen on.
    pub validation_items: u64,
    /// Validation items at or above the threshold.
    pub support: u64,
    /// The share of those `support` items the model predicted right.
    pub precision: f64,
    /// Lower end of the 95% Wilson score interval of `precision`.
    pub ci_low: f64,
    /// Upper end of that interval.
    pub ci_high: f64,
}

/// A recorded autolabel run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AutolabelRunRow {
    /// The run's id.
    pub id: i64,
    /// The classifier head (model version) whose predictions became the labels.
    pub model_version_id: i64,
    /// The precision the labels had to reach on the validation items (0 to 1).
    pub target_precision: f64,
    /// The confidence threshold chosen: predictions at least this confident are labeled.
    pub threshold: f64,
    /// Human-labeled validation items the threshold was chosen on.
    pub validation_items: u64,
    /// Validation items at or above the threshold.
    pub support: u64,
    /// The share of those `support` items the model predicted right.
    pub precision: f64,
    /// Lower end of the 95% Wilson score interval of `precision`.
    pub ci_low: f64,
    /// Upper end of that interval.
    pub ci_high: f64,
    /// Machine labels the run stored.
    pub labeled: u64,
    /// When the run was recorded (RFC 3339, UTC).
    pub created_at: String,
    /// When its labels were withdrawn; `None` while they are live.
    pub withdrawn_at: Option<String>,
    /// Why they were withdrawn, as the lead gave it.
    pub withdrawn_reason: Option<String>,
}

/// A live (not withdrawn) machine label.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MachineLabelRow {
    /// The labeled item.
    pub item_id: i64,
    /// The autolabel run that gave the label.
    pub run_id: i64,
    /// The model version whose prediction it is.
    pub model_version_id: i64,
    /// JSON text in the template's payload shape.
    pub payload: String,
    /// The model's confidence in the predicted class (at least the run's threshold).
    pub confidence: f64,
    /// When the label was stored (RFC 3339, UTC).
    pub created_at: String,
}

rows::from_row! { MachineLabelRow { item_id, run_id, model_version_id, payload, confidence, created_at } }

/// An audit batch of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    /// The audit's id.
    pub id: i64,
    /// The autolabel run being audited.
    pub run_id: i64,
    /// The batch holding the audit: a random sample of the run's machine-labeled items,
    /// handed to people to label.
    pub batch_id: i64,
    /// That batch's name.
    pub batch: String,
    /// Items in the audit batch.
    pub size: u64,
    /// When the audit was recorded (RFC 3339, UTC).
    pub created_at: String,
}

rows::from_row! { AuditRow { id, run_id, batch_id, batch, size: rows::count, created_at } }

const RUN_COLUMNS: &str = "id, model_version_id, target_precision, threshold, validation_items, support,
    precision, ci_low, ci_high, labeled, created_at, withdrawn_at, withdrawn_reason";

rows::from_row! {
    AutolabelRunRow {
        id, model_version_id, target_precision, threshold, validation_items: rows::count,
        support: rows::count, precision, ci_low, ci_high, labeled: rows::count, created_at, withdrawn_at,
        withdrawn_reason,
    }
}

impl Store {
    /// Records a run and its labels in one transaction: `(item_id, payload JSON, confidence)`.
    /// Items that someone has started or that already hold a live machine label are left out;
    /// returns the run with the number of labels stored.
    pub fn save_autolabel_run(
        &mut self,
        run: &NewAutolabelRun,
        labels: &[(i64, String, f64)],
    ) -> Result<AutolabelRunRow> {
        let saved = self.insert_autolabel_run(run, labels);
        saved.in_file(&self.path)
    }

    fn insert_autolabel_run(
        &mut self,
        run: &NewAutolabelRun,
        labels: &[(i64, String, f64)],
    ) -> Result<AutolabelRunRow> {
        let tx = self.conn.transaction()?;
        let now = sift_core::now_rfc3339();
        tx.execute(
            "INSERT INTO autolabel_runs (model_version_id, target_precision, threshold, validation_items,
               support, precision, ci_low, ci_high, labeled, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9)",
            params![
                run.model_version_id,
                run.target_precision,
                run.threshold,
                run.validation_items as i64,
                run.support as i64,
                run.precision,
                run.ci_low,
                run.ci_high,
                now
            ],
        )?;
        let run_id = tx.last_insert_rowid();
        let mut stored = 0_i64;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO machine_labels (run_id, item_id, payload, confidence, created_at)
                 SELECT ?1, ?2, ?3, ?4, ?5
                 WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = ?2)
                   AND NOT EXISTS (SELECT 1 FROM machine_labels m WHERE m.item_id = ?2 AND m.withdrawn_at IS NULL)",
            )?;
            for (item_id, payload, confidence) in labels {
                stored += stmt.execute(params![run_id, item_id, payload, confidence, now])? as i64;
            }
        }
        tx.execute(
            "UPDATE autolabel_runs SET labeled = ?2 WHERE id = ?1",
            params![run_id, stored],
        )?;
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'autolabel', ?2)",
            params![
                now,
                serde_json::json!({
                    "run": run_id, "model_version_id": run.model_version_id,
                    "threshold": run.threshold, "labeled": stored
                })
                .to_string()
            ],
        )?;
        let row = tx.query_row(
            &format!("SELECT {RUN_COLUMNS} FROM autolabel_runs WHERE id = ?1"),
            [run_id],
            AutolabelRunRow::from_row,
        )?;
        tx.commit()?;
        Ok(row)
    }

    /// Every autolabel run, oldest first.
    pub fn autolabel_runs(&self) -> Result<Vec<AutolabelRunRow>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {RUN_COLUMNS} FROM autolabel_runs ORDER BY id"))?;
        rows::all(&mut stmt, [])
    }

    /// One run.
    pub fn autolabel_run(&self, run_id: i64) -> Result<Option<AutolabelRunRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM autolabel_runs WHERE id = ?1"),
                [run_id],
                AutolabelRunRow::from_row,
            )
            .optional()?)
    }

    /// Live machine labels (of one run, or of all), by item.
    pub fn machine_labels(&self, run_id: Option<i64>) -> Result<Vec<MachineLabelRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.item_id, m.run_id, r.model_version_id, m.payload, m.confidence, m.created_at
             FROM machine_labels m JOIN autolabel_runs r ON r.id = m.run_id
             WHERE m.withdrawn_at IS NULL AND (?1 IS NULL OR m.run_id = ?1)
             ORDER BY m.item_id",
        )?;
        rows::all(&mut stmt, [run_id])
    }

    /// Withdraws every live label of a run (the run is marked with when and why).
    pub fn withdraw_autolabel_run(&mut self, run_id: i64, reason: &str) -> Result<u64> {
        let done = self.withdraw_run(run_id, reason);
        done.in_file(&self.path)
    }

    fn withdraw_run(&mut self, run_id: i64, reason: &str) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let now = sift_core::now_rfc3339();
        let changed = tx.execute(
            "UPDATE autolabel_runs SET withdrawn_at = ?2, withdrawn_reason = ?3
             WHERE id = ?1 AND withdrawn_at IS NULL",
            params![run_id, now, reason],
        )?;
        if changed == 0 {
            return Err(StoreError::Conflict(format!(
                "autolabel run {run_id} does not exist or is already withdrawn"
            )));
        }
        let labels = tx.execute(
            "UPDATE machine_labels SET withdrawn_at = ?2 WHERE run_id = ?1 AND withdrawn_at IS NULL",
            params![run_id, now],
        )?;
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'autolabel_withdrawn', ?2)",
            params![
                now,
                serde_json::json!({"run": run_id, "labels": labels, "reason": reason}).to_string()
            ],
        )?;
        tx.commit()?;
        Ok(labels as u64)
    }

    /// Records an audit batch of a run (the batch itself is made with [`Store::create_batch`]).
    pub fn add_audit(&self, run_id: i64, batch_id: i64, size: u64) -> Result<i64> {
        self.writing(|| {
            self.conn.execute(
                "INSERT INTO autolabel_audits (run_id, batch_id, size, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![run_id, batch_id, size as i64, sift_core::now_rfc3339()],
            )?;
            Ok(self.conn.last_insert_rowid())
        })
    }

    /// Every audit, oldest first.
    pub fn audits(&self) -> Result<Vec<AuditRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.id, a.run_id, a.batch_id, b.name, a.size, a.created_at
             FROM autolabel_audits a JOIN batches b ON b.id = a.batch_id ORDER BY a.id",
        )?;
        rows::all(&mut stmt, [])
    }

    /// A batch's id by name.
    pub fn batch_by_name(&self, name: &str) -> Result<Option<i64>> {
        crate::sync::batch_id_in(&self.conn, name)
    }

    /// Item ids of a batch, in batch order.
    pub fn batch_item_ids(&self, batch_id: i64) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT item_id FROM batch_items WHERE batch_id = ?1 ORDER BY position")?;
        let rows = stmt.query_map([batch_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The payload (JSON) a machine label gave an item, withdrawn or not, from `run_id`.
    pub fn machine_label_of(&self, run_id: i64, item_id: i64) -> Result<Option<(String, f64)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT payload, confidence FROM machine_labels WHERE run_id = ?1 AND item_id = ?2
                 ORDER BY id DESC LIMIT 1",
                params![run_id, item_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}
