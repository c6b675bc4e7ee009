//! The vectors behind the Lab's data map: the embeddings stored per model version, or a
//! numeric array field of the items themselves (e.g. `features`), plus what each point is
//! coloured by (summed state, first annotator, a score).

use rusqlite::params;

use super::{STATE_RANK_SQL, id_array};
use crate::rows;
use crate::{Result, Store};

/// Stored embeddings of one model version and length.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EmbeddingSource {
    /// The encoder's model version id.
    pub model_version_id: i64,
    /// The model's registry name.
    pub model: String,
    /// The version number under that name (from 1).
    pub version: i64,
    /// The vectors' length, in `f32` values.
    pub dim: i64,
    /// How many items have a vector of this version and length.
    pub items: u64,
}

rows::from_row! { EmbeddingSource { model_version_id, model, version, dim, items: rows::count } }

/// Item vectors of one length, row after row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vectors {
    /// The items, in the order of their rows in `values`.
    pub ids: Vec<i64>,
    /// Values per vector.
    pub dim: usize,
    /// `ids.len() * dim` values.
    pub values: Vec<f32>,
    /// Items left out because their vector had another length or was not numeric.
    pub skipped: u64,
}

/// What a map point is coloured by.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemMapInfo {
    /// The item's id.
    pub id: i64,
    /// Summed state rank ([`super::ItemState::rank`]).
    pub state_rank: i64,
    /// The first person who worked on it, if anyone did.
    pub annotator_id: Option<i64>,
    /// The requested model version's score for the requested strategy; `None` when none was
    /// asked for or the item has none.
    pub score: Option<f64>,
}

rows::from_row! { ItemMapInfo { id, state_rank, annotator_id, score } }

impl Store {
    /// Every (model version, length) with stored embeddings, newest version first.
    pub fn embedding_sources(&self) -> Result<Vec<EmbeddingSource>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.model_version_id, m.name, m.version, e.dim, count(*)
             FROM item_embeddings e JOIN model_versions m ON m.id = e.model_version_id
             GROUP BY e.model_version_id, e.dim ORDER BY e.model_version_id DESC, count(*) DESC",
        )?;
        rows::all(&mut stmt, [])
    }

    /// `(count, highest item id)` of the stored embeddings of `model_version_id` with length
    /// `dim`: it changes whenever they do (embeddings are only ever added).
    pub fn embedding_version(&self, model_version_id: i64, dim: usize) -> Result<(u64, i64)> {
        let (n, max): (i64, Option<i64>) = self.conn.query_row(
            "SELECT count(*), max(item_id) FROM item_embeddings WHERE model_version_id = ?1 AND dim = ?2",
            params![model_version_id, dim as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((n as u64, max.unwrap_or(0)))
    }

    /// `(count, highest id)` of the items: it changes whenever an item is added (items are
    /// never changed).
    pub fn item_version(&self) -> Result<(u64, i64)> {
        let (n, max): (i64, Option<i64>) =
            self.conn
                .query_row("SELECT count(*), max(id) FROM items", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
        Ok((n as u64, max.unwrap_or(0)))
    }

    /// Up to `limit` stored embeddings of `model_version_id` with length `dim`, in item order.
    pub fn embedding_vectors(&self, model_version_id: i64, dim: usize, limit: u64) -> Result<Vectors> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT item_id, vector FROM item_embeddings WHERE model_version_id = ?1 AND dim = ?2
             ORDER BY item_id LIMIT ?3",
        )?;
        let mut out = Vectors {
            dim,
            ..Vectors::default()
        };
        let mut rows = stmt.query(params![
            model_version_id,
            dim as i64,
            limit.min(i64::MAX as u64) as i64
        ])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let blob = row.get_ref(1)?.as_blob()?;
            if blob.len() != dim * 4 {
                out.skipped += 1;
                continue;
            }
            out.ids.push(id);
            out.values.extend(
                blob.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        Ok(out)
    }

    /// Up to `limit` items whose top-level `field` is an array of numbers, as vectors of the
    /// length the first such item has (others are counted in [`Vectors::skipped`]).
    pub fn field_vectors(&self, field: &str, limit: u64) -> Result<Vectors> {
        let path = format!("$.\"{}\"", field.replace('"', ""));
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, json_extract(content, ?1) FROM items
             WHERE json_valid(content) AND json_type(content, ?1) = 'array' ORDER BY id LIMIT ?2",
        )?;
        let mut out = Vectors::default();
        let mut rows = stmt.query(params![path, limit.min(i64::MAX as u64) as i64])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let text: String = row.get(1)?;
            let parsed: Option<Vec<f32>> = serde_json::from_str::<Vec<serde_json::Value>>(&text)
                .ok()
                .and_then(|values| {
                    values
                        .iter()
                        .map(|v| v.as_f64().map(|x| x as f32).filter(|x| x.is_finite()))
                        .collect()
                });
            match parsed {
                Some(v) if !v.is_empty() && (out.dim == 0 || v.len() == out.dim) => {
                    out.dim = v.len();
                    out.ids.push(id);
                    out.values.extend(v);
                }
                _ => out.skipped += 1,
            }
        }
        Ok(out)
    }

    /// Colouring data for `ids` (same order; unknown ids left out), with the `strategy` score
    /// of `model_version_id` when given.
    pub fn item_map_info(&self, ids: &[i64], score: Option<(i64, &str)>) -> Result<Vec<ItemMapInfo>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT j.value,
                    coalesce((SELECT max({STATE_RANK_SQL}) FROM annotations a WHERE a.item_id = j.value), 0),
                    (SELECT a.annotator_id FROM annotations a WHERE a.item_id = j.value ORDER BY a.id LIMIT 1),
                    (SELECT s.score FROM item_scores s
                      WHERE s.item_id = j.value AND s.model_version_id = ?2 AND s.strategy = ?3)
             FROM json_each(?1) j"
        ))?;
        let (model, strategy) = score.map_or((None, None), |(m, s)| (Some(m), Some(s)));
        rows::all(&mut stmt, params![id_array(ids), model, strategy])
    }
}
