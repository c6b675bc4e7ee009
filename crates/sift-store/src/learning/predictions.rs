//! Every item's current prediction by a head version (`predictions`), written in chunks of
//! [`PREDICTION_CHUNK`] rows per transaction, and the reads of them.

use rusqlite::{OptionalExtension, params};

use crate::faults::InFile;
use crate::{Result, Store, StoreError};

/// Rows of predictions written per transaction.
pub const PREDICTION_CHUNK: usize = 20_000;

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

/// Decodes little-endian `f32` values.
fn decode(blob: &[u8], what: impl FnOnce() -> String) -> Result<Vec<f32>> {
    if !blob.len().is_multiple_of(4) {
        return Err(StoreError::Corrupt(format!(
            "{}: {} bytes is not a whole number of f32 values",
            what(),
            blob.len()
        )));
    }
    Ok(crate::embeddings::le_f32s(blob).collect())
}

impl Store {
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
                    crate::vector_to_blob(&row.values)
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
}
