//! The closed learning loop in the project file (migration `0008_learning.sql`): the labels a
//! head trains on, the items and stored vectors it reads, each trained version's round
//! (labels used, validation metrics, pool figures), every item's current prediction, and the
//! learned order in which never-started items are served.
//!
//! Predictions are written in chunks of [`PREDICTION_CHUNK`] rows per transaction, so a long
//! rescoring never holds the write lock long enough to make an annotator's save wait; the
//! queue order is replaced in one transaction, so a queue is always read in one order or the
//! next, never a mix.

use rusqlite::{OptionalExtension, params};

use crate::faults::InFile;
use crate::{Result, Store, StoreError};

/// Rows of predictions written per transaction.
pub const PREDICTION_CHUNK: usize = 20_000;

/// One submitted (or approved) annotation to learn from: its newest submitted payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingAnnotation {
    /// The item labeled.
    pub item_id: i64,
    /// The annotation the label comes from.
    pub annotation_id: i64,
    /// JSON text of the newest submitted version.
    pub payload: String,
    /// Whether a reviewer approved it (otherwise it is submitted and waiting).
    pub approved: bool,
}

/// A trained head version's round, to record.
#[derive(Debug, Clone, Default)]
pub struct NewLearnRound<'a> {
    /// The head's model version (one round per version).
    pub model_version_id: i64,
    /// `classifier`, `multi-label`, `reward` or `command`.
    pub head: &'a str,
    /// `field:NAME` or `embeddings:NAME@VERSION`.
    pub features: Option<&'a str>,
    /// Training labels used: items, or preference pairs for reward heads.
    pub labels_used: u64,
    /// BLAKE3 (hex) of the labeled items and their labels (empty for a training command): the
    /// same labels give the same hash, which is how "nothing new to learn from" is detected.
    pub labels_hash: &'a str,
    /// Whether only approved labels were used (`sift learn --approved`).
    pub approved_only: bool,
    /// How many of the labels were machine labels (`--machine-labels`).
    pub machine_labels: u64,
    /// `split` or `gold`.
    pub validation: &'a str,
    /// The ids of the held-out validation items.
    pub validation_items: &'a [i64],
    /// Accuracy on the validation items, 0 to 1; `None` for reward heads, or when a training
    /// command did not report it (as for the other metrics).
    pub accuracy: Option<f64>,
    /// Macro-averaged F1 over the classes on the validation items.
    pub macro_f1: Option<f64>,
    /// Mean log loss (natural log) on the validation items; lower is better.
    pub log_loss: Option<f64>,
    /// Expected calibration error on the validation items, 0 to 1; lower is better.
    pub ece: Option<f64>,
    /// Reward heads: the share of validation preference pairs ordered right.
    pub pairwise_accuracy: Option<f64>,
    /// The output columns' names (class names; a reward head: its dimension).
    pub outputs: &'a [String],
    /// Wall-clock seconds spent training.
    pub seconds: f64,
}

/// What a version's rescoring of the pool found, recorded with its round.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundPool {
    /// The uncertainty strategy the pool was ranked by (`least-confidence`, `margin`, `ratio` or
    /// `entropy`).
    pub strategy: String,
    /// Items in the pool this version rescored and ranked.
    pub pool_items: u64,
    /// Mean uncertainty (by `strategy`) of the unlabeled pool; `None` for an empty pool.
    pub mean_uncertainty: Option<f64>,
    /// Share of the items predicted by both this and the previous version whose top prediction
    /// changed; `None` without a previous version.
    pub changed_share: Option<f64>,
    /// Cohen's kappa between this and the previous version's predictions on those items.
    pub kappa: Option<f64>,
}

/// A recorded round's head: its model version and output columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundHead {
    /// The head's model version (row id).
    pub model_version_id: i64,
    /// The registered model's name.
    pub name: String,
    /// The version number within that model.
    pub version: i64,
    /// `classifier`, `multi-label`, `reward` or `command`.
    pub head: String,
    /// The output columns' names (class names; a reward head: its dimension).
    pub outputs: Vec<String>,
}

/// A recorded round, with its model's name and version.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LearnRoundRow {
    /// The head's model version (one round per version).
    pub model_version_id: i64,
    /// The model's registry name.
    pub name: String,
    /// The version number under that name (from 1).
    pub version: i64,
    /// The head kind: `classifier`, `multi-label`, `reward` or `command`.
    pub head: String,
    /// The feature source: `field:NAME` or `embeddings:NAME@VERSION`; `None` for a training
    /// command.
    pub features: Option<String>,
    /// Training labels used: items, or preference pairs for reward heads.
    pub labels_used: u64,
    /// BLAKE3 (hex) of the labeled items and their labels (empty for a training command): the
    /// same labels give the same hash, which is how "nothing new to learn from" is detected.
    pub labels_hash: String,
    /// Whether only approved labels were used (`sift learn --approved`).
    pub approved_only: bool,
    /// How many of the labels were machine labels (`--machine-labels`).
    pub machine_labels: u64,
    /// How labels were held out: `split` (a seeded random split) or `gold` (items marked gold).
    pub validation: String,
    /// The ids of the held-out validation items.
    pub validation_items: Vec<i64>,
    /// Accuracy on the validation items, 0 to 1; `None` for reward heads, or when a training
    /// command did not report it (as for the other metrics).
    pub accuracy: Option<f64>,
    /// Macro-averaged F1 over the classes on the validation items.
    pub macro_f1: Option<f64>,
    /// Mean log loss (natural log) on the validation items; lower is better.
    pub log_loss: Option<f64>,
    /// Expected calibration error on the validation items, 0 to 1; lower is better.
    pub ece: Option<f64>,
    /// Reward heads: the share of validation preference pairs ordered right.
    pub pairwise_accuracy: Option<f64>,
    /// The output columns' names (class names; a reward head: its dimension).
    pub outputs: Vec<String>,
    /// The uncertainty strategy the pool was ranked by (`least-confidence`, `margin`, `ratio` or
    /// `entropy`).
    pub strategy: Option<String>,
    /// Items in the pool this version rescored and ranked.
    pub pool_items: u64,
    /// Mean uncertainty (by `strategy`) of the unlabeled pool; `None` for an empty pool.
    pub mean_uncertainty: Option<f64>,
    /// Share of the items predicted by both this and the previous version whose top prediction
    /// changed; `None` without a previous version.
    pub changed_share: Option<f64>,
    /// Cohen's kappa between this and the previous version's predictions on those items.
    pub kappa: Option<f64>,
    /// Wall-clock seconds spent training.
    pub seconds: f64,
    /// When it was recorded (RFC 3339, UTC).
    pub created_at: String,
}

/// One item's prediction by a version.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionRow {
    /// The item predicted.
    pub item_id: i64,
    /// The most probable column (a reward head: the best response).
    pub top: u32,
    /// Class probabilities (a reward head: one reward per response).
    pub values: Vec<f32>,
}

/// The learned queue order in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueOrderRow {
    /// The order's id.
    pub id: i64,
    /// The version whose predictions ranked the items; `None` when no model did.
    pub model_version_id: Option<i64>,
    /// The uncertainty strategy the items were ranked by.
    pub strategy: String,
    /// Items with a position in this order (the rest follow in import order).
    pub items: u64,
    /// When the order was put in force (RFC 3339, UTC).
    pub created_at: String,
}

const ROUND_COLUMNS: &str = "r.model_version_id, m.name, m.version, r.head, r.features, r.labels_used,
    r.labels_hash, r.approved_only, r.machine_labels, r.validation, r.validation_items, r.accuracy,
    r.macro_f1, r.log_loss, r.ece, r.pairwise_accuracy, r.outputs, r.strategy, r.pool_items,
    r.mean_uncertainty, r.changed_share, r.kappa, r.seconds, r.created_at";

fn round_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LearnRoundRow> {
    let json_list = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    let validation_items: Vec<i64> = serde_json::from_str(&json_list(10)?).unwrap_or_default();
    let outputs: Vec<String> = serde_json::from_str(&json_list(16)?).unwrap_or_default();
    Ok(LearnRoundRow {
        model_version_id: r.get(0)?,
        name: r.get(1)?,
        version: r.get(2)?,
        head: r.get(3)?,
        features: r.get(4)?,
        labels_used: r.get::<_, i64>(5)?.max(0) as u64,
        labels_hash: r.get(6)?,
        approved_only: r.get(7)?,
        machine_labels: r.get::<_, i64>(8)?.max(0) as u64,
        validation: r.get(9)?,
        validation_items,
        accuracy: r.get(11)?,
        macro_f1: r.get(12)?,
        log_loss: r.get(13)?,
        ece: r.get(14)?,
        pairwise_accuracy: r.get(15)?,
        outputs,
        strategy: r.get(17)?,
        pool_items: r.get::<_, i64>(18)?.max(0) as u64,
        mean_uncertainty: r.get(19)?,
        changed_share: r.get(20)?,
        kappa: r.get(21)?,
        seconds: r.get(22)?,
        created_at: r.get(23)?,
    })
}

/// Decodes little-endian `f32` values.
fn decode(blob: &[u8], what: impl FnOnce() -> String) -> Result<Vec<f32>> {
    if !blob.len().is_multiple_of(4) {
        return Err(StoreError::Corrupt(format!(
            "{}: {} bytes is not a whole number of f32 values",
            what(),
            blob.len()
        )));
    }
    Ok(blob
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn encode(values: &[f32]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(values.len() * 4);
    for v in values {
        blob.extend_from_slice(&v.to_le_bytes());
    }
    blob
}

impl Store {
    /// Every submitted or approved annotation (only approved ones with `approved_only`) with
    /// its newest submitted payload, by item then annotation. Drafts and returned work are
    /// never learned from.
    pub fn training_annotations(&self, approved_only: bool) -> Result<Vec<TrainingAnnotation>> {
        let states = if approved_only {
            "('approved')"
        } else {
            "('submitted', 'approved')"
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT a.item_id, a.id, v.payload, a.state = 'approved' FROM annotations a
             JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
             WHERE a.state IN {states} ORDER BY a.item_id, a.id"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(TrainingAnnotation {
                item_id: r.get(0)?,
                annotation_id: r.get(1)?,
                payload: r.get(2)?,
                approved: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many annotations are submitted or approved now: what `sift learn --every N`
    /// counts new labels with.
    pub fn count_submitted_labels(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM annotations WHERE state IN ('submitted', 'approved')",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Ids of items someone has started (any annotation, draft included).
    pub fn started_item_ids(&self) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT item_id FROM annotations ORDER BY item_id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Calls `f(item_id, content, source_line)` for every item in import order; `f` returns
    /// `false` to stop.
    pub fn for_each_item(&self, mut f: impl FnMut(i64, &str, i64) -> bool) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, content, source_line FROM items ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if !f(r.get(0)?, r.get_ref(1)?.as_str()?, r.get(2)?) {
                break;
            }
        }
        Ok(())
    }

    /// Calls `f(item_id, vector)` for every vector stored for `model_version_id` (an encoder's
    /// embeddings), in item order; `f` returns `false` to stop.
    pub fn vectors_of_version(
        &self,
        model_version_id: i64,
        mut f: impl FnMut(i64, &[f32]) -> bool,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT item_id, dim, vector FROM item_embeddings WHERE model_version_id = ?1 ORDER BY item_id",
        )?;
        let mut rows = stmt.query([model_version_id])?;
        while let Some(r) = rows.next()? {
            let item_id: i64 = r.get(0)?;
            let dim: i64 = r.get(1)?;
            let v = decode(r.get_ref(2)?.as_blob()?, || {
                format!("the vector of item {item_id}")
            })?;
            if v.len() as i64 != dim {
                return Err(StoreError::Corrupt(format!(
                    "the vector of item {item_id} has {} values, its row says {dim}",
                    v.len()
                )));
            }
            if !f(item_id, &v) {
                break;
            }
        }
        Ok(())
    }

    /// Records a trained version's round.
    pub fn save_learn_round(&self, round: &NewLearnRound<'_>) -> Result<()> {
        let items = serde_json::to_string(round.validation_items).unwrap_or_else(|_| "[]".into());
        let outputs = serde_json::to_string(round.outputs).unwrap_or_else(|_| "[]".into());
        self.writing(|| {
            self.conn.execute(
                "INSERT INTO learn_rounds (model_version_id, head, features, labels_used, labels_hash,
                   approved_only, machine_labels, validation, validation_items, accuracy, macro_f1,
                   log_loss, ece, pairwise_accuracy, outputs, seconds, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                params![
                    round.model_version_id,
                    round.head,
                    round.features,
                    round.labels_used as i64,
                    round.labels_hash,
                    round.approved_only,
                    round.machine_labels as i64,
                    round.validation,
                    items,
                    round.accuracy,
                    round.macro_f1,
                    round.log_loss,
                    round.ece,
                    round.pairwise_accuracy,
                    outputs,
                    round.seconds,
                    sift_core::now_rfc3339()
                ],
            )?;
            Ok(())
        })
    }

    /// Adds what the version's rescoring found to its round.
    pub fn set_round_pool(&self, model_version_id: i64, pool: &RoundPool) -> Result<()> {
        self.writing(|| {
            let changed = self.conn.execute(
                "UPDATE learn_rounds SET strategy = ?2, pool_items = ?3, mean_uncertainty = ?4,
                   changed_share = ?5, kappa = ?6 WHERE model_version_id = ?1",
                params![
                    model_version_id,
                    pool.strategy,
                    pool.pool_items as i64,
                    pool.mean_uncertainty,
                    pool.changed_share,
                    pool.kappa
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!(
                    "the learning round of model version {model_version_id}"
                )));
            }
            Ok(())
        })
    }

    /// Every round, oldest first.
    pub fn learn_rounds(&self) -> Result<Vec<LearnRoundRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROUND_COLUMNS} FROM learn_rounds r JOIN model_versions m ON m.id = r.model_version_id
             ORDER BY r.id"
        ))?;
        let rows = stmt.query_map([], round_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every round's head, oldest first: what serving its predictions needs, without the
    /// metrics and the validation items ([`learn_rounds`](Self::learn_rounds) has them).
    pub fn round_heads(&self) -> Result<Vec<RoundHead>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.model_version_id, m.name, m.version, r.head, r.outputs
             FROM learn_rounds r JOIN model_versions m ON m.id = r.model_version_id ORDER BY r.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(RoundHead {
                model_version_id: r.get(0)?,
                name: r.get(1)?,
                version: r.get(2)?,
                head: r.get(3)?,
                outputs: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The round of one model version, if it was trained by the loop.
    pub fn learn_round(&self, model_version_id: i64) -> Result<Option<LearnRoundRow>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {ROUND_COLUMNS} FROM learn_rounds r JOIN model_versions m ON m.id = r.model_version_id
                     WHERE r.model_version_id = ?1"
                ),
                [model_version_id],
                round_row,
            )
            .optional()?)
    }

    /// Stores predictions of `model_version_id`, [`PREDICTION_CHUNK`] rows per transaction; a
    /// new prediction for an item replaces the version's earlier one.
    pub fn save_predictions(&mut self, model_version_id: i64, rows: &[PredictionRow]) -> Result<()> {
        for chunk in rows.chunks(PREDICTION_CHUNK) {
            let saved = self.insert_predictions(model_version_id, chunk);
            saved.in_file(&self.path)?;
        }
        Ok(())
    }

    fn insert_predictions(&mut self, model_version_id: i64, rows: &[PredictionRow]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO predictions (model_version_id, item_id, top, vals) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for row in rows {
                stmt.execute(params![
                    model_version_id,
                    row.item_id,
                    i64::from(row.top),
                    encode(&row.values)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Calls `f(item_id, top, values)` for every prediction of `model_version_id`, in item
    /// order; `f` returns `false` to stop.
    pub fn for_each_prediction(
        &self,
        model_version_id: i64,
        mut f: impl FnMut(i64, u32, &[f32]) -> bool,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT item_id, top, vals FROM predictions WHERE model_version_id = ?1 ORDER BY item_id",
        )?;
        let mut rows = stmt.query([model_version_id])?;
        while let Some(r) = rows.next()? {
            let item_id: i64 = r.get(0)?;
            let top: i64 = r.get(1)?;
            let values = decode(r.get_ref(2)?.as_blob()?, || {
                format!("the prediction of item {item_id}")
            })?;
            if !f(item_id, u32::try_from(top).unwrap_or(u32::MAX), &values) {
                break;
            }
        }
        Ok(())
    }

    /// The prediction of `model_version_id` for one item: `(top, values)`.
    pub fn prediction(&self, model_version_id: i64, item_id: i64) -> Result<Option<(u32, Vec<f32>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT top, vals FROM predictions WHERE model_version_id = ?1 AND item_id = ?2",
        )?;
        let mut rows = stmt.query(params![model_version_id, item_id])?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let top: i64 = r.get(0)?;
        let values = decode(r.get_ref(1)?.as_blob()?, || {
            format!("the prediction of item {item_id}")
        })?;
        Ok(Some((u32::try_from(top).unwrap_or(u32::MAX), values)))
    }

    /// The top column of every prediction of `model_version_id`, by item.
    pub fn prediction_tops(&self, model_version_id: i64) -> Result<Vec<(i64, u32)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT item_id, top FROM predictions WHERE model_version_id = ?1 ORDER BY item_id",
        )?;
        let rows = stmt.query_map([model_version_id], |r| {
            Ok((r.get(0)?, u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The top column and its value of `model_version_id`'s predictions for `ids` (items
    /// without one are left out), for a page of the Lab's table.
    pub fn prediction_tops_of(
        &self,
        model_version_id: i64,
        ids: &[i64],
    ) -> Result<Vec<(i64, u32, Option<f32>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT top, vals FROM predictions WHERE model_version_id = ?1 AND item_id = ?2",
        )?;
        let mut out = Vec::new();
        for &id in ids {
            let row = stmt
                .query_row(params![model_version_id, id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
                })
                .optional()?;
            if let Some((top, vals)) = row {
                let top = u32::try_from(top).unwrap_or(u32::MAX);
                let values = decode(&vals, || format!("the prediction of item {id}"))?;
                out.push((id, top, values.get(top as usize).copied()));
            }
        }
        Ok(out)
    }

    /// Replaces the learned queue order: `items` (most informative first, with the score they
    /// were ranked by) become positions 0, 1, ...; items not listed are served after them in
    /// import order. One transaction. Returns the new order's id.
    pub fn replace_queue_order(
        &mut self,
        model_version_id: Option<i64>,
        strategy: &str,
        items: &[(i64, f64)],
    ) -> Result<i64> {
        let replaced = self.insert_queue_order(model_version_id, strategy, items);
        replaced.in_file(&self.path)
    }

    fn insert_queue_order(
        &mut self,
        model_version_id: Option<i64>,
        strategy: &str,
        items: &[(i64, f64)],
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let now = sift_core::now_rfc3339();
        tx.execute("DELETE FROM queue_order", [])?;
        tx.execute(
            "INSERT INTO queue_orders (model_version_id, strategy, items, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![model_version_id, strategy, items.len() as i64, now],
        )?;
        let order_id = tx.last_insert_rowid();
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO queue_order (item_id, position, score, order_id) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (position, (item_id, score)) in items.iter().enumerate() {
                stmt.execute(params![item_id, position as i64, score, order_id])?;
            }
        }
        tx.execute(
            "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'queue_reordered', ?2)",
            params![
                now,
                serde_json::json!({
                    "order": order_id, "model_version_id": model_version_id,
                    "strategy": strategy, "items": items.len()
                })
                .to_string()
            ],
        )?;
        tx.commit()?;
        Ok(order_id)
    }

    /// The learned queue order in force, if any.
    pub fn queue_order(&self) -> Result<Option<QueueOrderRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, model_version_id, strategy, items, created_at FROM queue_orders
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(QueueOrderRow {
                        id: r.get(0)?,
                        model_version_id: r.get(1)?,
                        strategy: r.get(2)?,
                        items: r.get::<_, i64>(3)?.max(0) as u64,
                        created_at: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// The `strategy` scores of `model_version_id` for items nobody has started, by item.
    pub fn unlabeled_scores(&self, model_version_id: i64, strategy: &str) -> Result<Vec<(i64, f64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.item_id, s.score FROM item_scores s
             WHERE s.model_version_id = ?1 AND s.strategy = ?2 AND s.score IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.item_id)
             ORDER BY s.item_id",
        )?;
        let rows = stmt.query_map(params![model_version_id, strategy], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
