//! Learning rounds: each trained head version's round (labels used, validation metrics) and
//! what its rescoring of the pool found.

use rusqlite::{OptionalExtension, params};

use crate::rows::{self, FromRow};
use crate::{Result, Store, StoreError};

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

rows::from_row! { RoundHead { model_version_id, name, version, head, outputs: rows::json_or_default } }

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

const ROUND_COLUMNS: &str = "r.model_version_id, m.name, m.version, r.head, r.features, r.labels_used,
    r.labels_hash, r.approved_only, r.machine_labels, r.validation, r.validation_items, r.accuracy,
    r.macro_f1, r.log_loss, r.ece, r.pairwise_accuracy, r.outputs, r.strategy, r.pool_items,
    r.mean_uncertainty, r.changed_share, r.kappa, r.seconds, r.created_at";

rows::from_row! {
    LearnRoundRow {
        model_version_id, name, version, head, features, labels_used: rows::count, labels_hash, approved_only,
        machine_labels: rows::count, validation, validation_items: rows::json_or_default, accuracy, macro_f1,
        log_loss, ece, pairwise_accuracy, outputs: rows::json_or_default, strategy, pool_items: rows::count,
        mean_uncertainty, changed_share, kappa, seconds, created_at,
    }
}

impl Store {
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
        rows::all(&mut stmt, [])
    }

    /// Every round's head, oldest first: what serving its predictions needs, without the
    /// metrics and the validation items ([`learn_rounds`](Self::learn_rounds) has them).
    pub fn round_heads(&self) -> Result<Vec<RoundHead>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.model_version_id, m.name, m.version, r.head, r.outputs
             FROM learn_rounds r JOIN model_versions m ON m.id = r.model_version_id ORDER BY r.id",
        )?;
        rows::all(&mut stmt, [])
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
                LearnRoundRow::from_row,
            )
            .optional()?)
    }
}
