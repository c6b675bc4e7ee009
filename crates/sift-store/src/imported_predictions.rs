//! Predictions made outside Sift, in the project file (migration
//! `0011_imported_predictions.sql`): Label Studio `predictions` and Ground Truth labels marked
//! `"human-annotated": "no"`, each under the model version the file named (its
//! [prediction source](ImportedPredictionRow::model_version)).
//!
//! They live in their own tables and never in `annotations`, so nothing that reads human work
//! (review, exports of human labels, agreement, training) can mistake one for a person's
//! label. They are written inside an import's transaction ([`ImportTx::import_prediction`])
//! and never change: importing the same source's prediction for an item again keeps the first.

use rusqlite::{OptionalExtension, params};

use crate::faults::InFile;
use crate::rows::{self, FromRow};
use crate::{ImportTx, Result, Store};

/// A prediction read from a manifest, to store with its item.
#[derive(Debug, Clone, Copy)]
pub struct NewImportedPrediction<'a> {
    /// The format it came from: `label-studio` or `ground-truth`.
    pub format: &'a str,
    /// The model version the file names (`""` when it names none).
    pub model_version: &'a str,
    /// JSON text in the template's payload shape (checked by the caller).
    pub payload: &'a str,
    /// The source's score (confidence) for the prediction, 0 to 1.
    pub score: Option<f64>,
    /// When it was made, as the file says (RFC 3339), else the import's time.
    pub created_at: &'a str,
}

/// A stored imported prediction, with its source.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportedPredictionRow {
    /// The prediction's id.
    pub id: i64,
    /// Its source's id (what saved versions that showed it refer to).
    pub source_id: i64,
    /// The format it came from: `label-studio` or `ground-truth`.
    pub format: String,
    /// The model version the file named (`""` when it named none).
    pub model_version: String,
    /// The predicted item.
    pub item_id: i64,
    /// JSON text in the template's payload shape.
    pub payload: String,
    /// The source's score for it, 0 to 1.
    pub score: Option<f64>,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

const COLUMNS: &str =
    "p.id, p.source_id, s.format, s.model_version, p.item_id, p.payload, p.score, p.created_at
    FROM imported_predictions p JOIN prediction_sources s ON s.id = p.source_id";

rows::from_row! {
    ImportedPredictionRow {
        id, source_id, format, model_version, item_id, payload, score, created_at,
    }
}

impl ImportTx<'_> {
    /// Stores an imported prediction for `item_id` inside the import transaction. Returns
    /// `false` and changes nothing when the same source already has a prediction for the item.
    pub fn import_prediction(&mut self, item_id: i64, p: &NewImportedPrediction<'_>) -> Result<bool> {
        let (conn, import_id, path) = (self.conn, self.import_id, self.path);
        let insert = || -> Result<bool> {
            conn.prepare_cached(
                "INSERT INTO prediction_sources (format, model_version) VALUES (?1, ?2)
                 ON CONFLICT(format, model_version) DO NOTHING",
            )?
            .execute(params![p.format, p.model_version])?;
            let source_id: i64 = conn
                .prepare_cached("SELECT id FROM prediction_sources WHERE format = ?1 AND model_version = ?2")?
                .query_row(params![p.format, p.model_version], |r| r.get(0))?;
            let n = conn
                .prepare_cached(
                    "INSERT INTO imported_predictions (source_id, item_id, import_id, payload, score, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(source_id, item_id) DO NOTHING",
                )?
                .execute(params![source_id, item_id, import_id, p.payload, p.score, p.created_at])?;
            Ok(n == 1)
        };
        insert().in_file(path)
    }
}

impl Store {
    /// An item's imported predictions, oldest first.
    pub fn imported_predictions(&self, item_id: i64) -> Result<Vec<ImportedPredictionRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} WHERE p.item_id = ?1 ORDER BY p.id"))?;
        rows::all(&mut stmt, [item_id])
    }

    /// The item's newest imported prediction (the one shown as its suggestion), if any.
    pub fn newest_imported_prediction(&self, item_id: i64) -> Result<Option<ImportedPredictionRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} WHERE p.item_id = ?1 ORDER BY p.id DESC LIMIT 1"
            ))?
            .query_row([item_id], ImportedPredictionRow::from_row)
            .optional()?)
    }

    /// The items that have imported predictions, in id order.
    pub fn items_with_imported_predictions(&self) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT item_id FROM imported_predictions ORDER BY item_id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many imported predictions the project holds.
    pub fn count_imported_predictions(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM imported_predictions", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
