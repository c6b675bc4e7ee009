//! Stored embeddings: each item's vector from an encoder model version (`sift embed`), in the
//! `item_embeddings` table of migration 3 (`dim` little-endian `f32` values per row, one row
//! per item and model version).
//!
//! An encoder run is recorded as a run of its model version in `scoring_runs` (device, runtime,
//! counts, outcome). Vectors are written one batch per transaction ([`Store::save_embeddings`]),
//! so an interrupted run keeps what it finished and [`Store::items_to_embed`] resumes with the
//! items this version has no vector for. [`Store::for_each_embedding`] streams every vector of a
//! version in item order without holding them all in memory (training reads them this way).

use rusqlite::{OptionalExtension, params};

use crate::rows;
use crate::{ItemRow, Result, Store, StoreError};

/// How many vectors a model version has stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EmbeddingCounts {
    /// The encoder's model version id.
    pub model_version_id: i64,
    /// The model's registry name.
    pub name: String,
    /// The version number under that name (from 1).
    pub version: i64,
    /// Items with a vector from this version.
    pub items: u64,
    /// The shortest vector's length, in `f32` values (it differs from `max_dim` only if the
    /// model changed shape).
    pub min_dim: Option<u64>,
    /// The longest vector's length, in `f32` values.
    pub max_dim: Option<u64>,
}

rows::from_row! {
    EmbeddingCounts {
        model_version_id, name, version, items: rows::count, min_dim: rows::count_or_null,
        max_dim: rows::count_or_null,
    }
}

/// Encodes a vector as stored: `f32` values, little-endian.
pub fn vector_to_blob(vector: &[f32]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(vector.len() * 4);
    for v in vector {
        blob.extend_from_slice(&v.to_le_bytes());
    }
    blob
}

/// Decodes a stored vector into `out` (cleared first).
///
/// # Errors
///
/// [`StoreError::Corrupt`] when the blob's length is not `4 * dim`.
pub fn blob_to_vector(blob: &[u8], dim: usize, out: &mut Vec<f32>) -> Result<()> {
    if blob.len() != dim.saturating_mul(4) {
        return Err(StoreError::Corrupt(format!(
            "a stored embedding has {} bytes, not 4 x {dim}",
            blob.len()
        )));
    }
    out.clear();
    out.extend(le_f32s(blob));
    Ok(())
}

/// The little-endian `f32` values of a stored vector (a trailing part shorter than 4 bytes is
/// passed over).
pub(crate) fn le_f32s(blob: &[u8]) -> impl Iterator<Item = f32> + '_ {
    blob.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

impl Store {
    /// Items (labeled or not) that `model_version_id` has no vector for, in import order,
    /// `limit` of them after item `after_id`.
    pub fn items_to_embed(&self, model_version_id: i64, after_id: i64, limit: u32) -> Result<Vec<ItemRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id, i.content, i.media_ref, i.source_line FROM items i
             WHERE i.id > ?2
               AND NOT EXISTS (SELECT 1 FROM item_embeddings e
                               WHERE e.item_id = i.id AND e.model_version_id = ?1)
             ORDER BY i.id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![model_version_id, after_id, limit], ItemRow::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many items [`Store::items_to_embed`] would return in all.
    pub fn count_items_to_embed(&self, model_version_id: i64) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM items i
             WHERE NOT EXISTS (SELECT 1 FROM item_embeddings e
                               WHERE e.item_id = i.id AND e.model_version_id = ?1)",
            [model_version_id],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The length of the vectors `model_version_id` has stored (of one of them), if any.
    pub fn embedding_dim(&self, model_version_id: i64) -> Result<Option<usize>> {
        let dim: Option<i64> = self
            .conn
            .query_row(
                "SELECT dim FROM item_embeddings WHERE model_version_id = ?1 LIMIT 1",
                [model_version_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(dim.map(|d| d.max(0) as usize))
    }

    /// Saves one batch of vectors of `model_version_id` in one transaction, and adds them (and
    /// `failed` items that got none) to the counts of run `run_id`. A vector for an item that
    /// already has one from this version replaces it.
    pub fn save_embeddings(
        &mut self,
        run_id: i64,
        model_version_id: i64,
        vectors: &[(i64, Vec<f32>)],
        failed: u64,
    ) -> Result<()> {
        self.write_in_file(|store| {
            let tx = store.conn.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO item_embeddings (item_id, model_version_id, dim, vector)
                 VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (item_id, vector) in vectors {
                    stmt.execute(params![
                        item_id,
                        model_version_id,
                        vector.len() as i64,
                        vector_to_blob(vector)
                    ])?;
                }
            }
            let changed = tx.execute(
                "UPDATE scoring_runs SET items_scored = items_scored + ?2, items_failed = items_failed + ?3
             WHERE id = ?1 AND model_version_id = ?4",
                params![run_id, vectors.len() as i64, failed as i64, model_version_id],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!(
                    "run {run_id} of model version {model_version_id}"
                )));
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Calls `f(item_id, vector)` for every vector `model_version_id` has stored, in item
    /// order, reading them one at a time; `f` returns `false` to stop early.
    ///
    /// # Errors
    ///
    /// A storage error, or [`StoreError::Corrupt`] for a row whose blob does not hold `dim`
    /// values.
    pub fn for_each_embedding(
        &self,
        model_version_id: i64,
        mut f: impl FnMut(i64, &[f32]) -> bool,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT item_id, dim, vector FROM item_embeddings WHERE model_version_id = ?1 ORDER BY item_id",
        )?;
        let mut rows = stmt.query([model_version_id])?;
        let mut vector = Vec::new();
        while let Some(row) = rows.next()? {
            let item_id: i64 = row.get(0)?;
            let dim: i64 = row.get(1)?;
            let blob = row.get_ref(2)?.as_blob()?;
            blob_to_vector(blob, dim.max(0) as usize, &mut vector)
                .map_err(|e| StoreError::Corrupt(format!("item {item_id}: {e}")))?;
            if !f(item_id, &vector) {
                break;
            }
        }
        Ok(())
    }

    /// Per model version that has stored vectors: how many, and their length.
    pub fn embedding_counts(&self) -> Result<Vec<EmbeddingCounts>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.id, m.name, m.version, count(*), min(e.dim), max(e.dim)
             FROM item_embeddings e JOIN model_versions m ON m.id = e.model_version_id
             GROUP BY m.id ORDER BY m.name, m.version",
        )?;
        rows::all(&mut stmt, [])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewModelVersion;

    fn store_with_items(dir: &std::path::Path, n: i64) -> Store {
        let s = crate::tests::new_store(dir);
        s.conn
            .execute(
                "INSERT INTO imports (id, file, format, started_at) VALUES (1, 'm', 'gt', 'now')",
                [],
            )
            .unwrap();
        for id in 1..=n {
            s.conn
                .execute(
                    "INSERT INTO items (id, content, content_hash, import_id, source_line) VALUES (?1, '{}', ?2, 1, ?1)",
                    params![id, id.to_le_bytes().to_vec()],
                )
                .unwrap();
        }
        s
    }

    fn model(s: &mut Store, name: &str) -> i64 {
        s.add_model_version(&NewModelVersion {
            name,
            file_hash: "h",
            file_path: "models/m.onnx",
            config: "",
            signature: None,
        })
        .unwrap()
        .id
    }

    #[test]
    fn vectors_round_trip_resume_and_stream_in_item_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store_with_items(dir.path(), 5);
        let enc = model(&mut s, "enc");
        let other = model(&mut s, "enc");
        let run = s.start_scoring_run(enc, "cpu", "onnxruntime 1.31.1").unwrap();
        assert_eq!(s.count_items_to_embed(enc).unwrap(), 5);
        assert_eq!(s.embedding_dim(enc).unwrap(), None);

        // Items 2 and 4 first (as a batch with failures would leave them), then the rest.
        let v = |id: i64| vec![id as f32, -0.5, f32::MIN_POSITIVE];
        s.save_embeddings(run, enc, &[(4, v(4)), (2, v(2))], 1).unwrap();
        let left: Vec<i64> = s
            .items_to_embed(enc, 0, 10)
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(left, vec![1, 3, 5]);
        let left: Vec<i64> = s
            .items_to_embed(enc, 3, 10)
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(left, vec![5]);
        assert_eq!(s.count_items_to_embed(enc).unwrap(), 3);
        // Another version of the same name has embedded nothing.
        assert_eq!(s.count_items_to_embed(other).unwrap(), 5);
        s.save_embeddings(run, enc, &[(1, v(1)), (3, v(3)), (5, v(5))], 0)
            .unwrap();
        assert_eq!(s.count_items_to_embed(enc).unwrap(), 0);
        assert_eq!(s.embedding_dim(enc).unwrap(), Some(3));
        let row = s.scoring_run(run).unwrap().unwrap();
        assert_eq!((row.items_scored, row.items_failed), (5, 1));

        let mut seen = Vec::new();
        s.for_each_embedding(enc, |id, vector| {
            seen.push((id, vector.to_vec()));
            true
        })
        .unwrap();
        assert_eq!(seen, (1..=5).map(|id| (id, v(id))).collect::<Vec<_>>());
        // Stopping early.
        let mut first = Vec::new();
        s.for_each_embedding(enc, |id, _| {
            first.push(id);
            first.len() < 2
        })
        .unwrap();
        assert_eq!(first, vec![1, 2]);
        // The older lookup reads the same bytes.
        assert_eq!(s.embeddings(enc, &[3]).unwrap(), vec![Some(v(3))]);

        let counts = s.embedding_counts().unwrap();
        assert_eq!(counts.len(), 1);
        assert_eq!(
            (
                counts[0].model_version_id,
                counts[0].items,
                counts[0].min_dim,
                counts[0].max_dim
            ),
            (enc, 5, Some(3), Some(3))
        );

        // A run of another model version cannot take these counts.
        assert!(s.save_embeddings(run, other, &[(1, v(1))], 0).is_err());
        assert_eq!(s.count_items_to_embed(other).unwrap(), 5);
    }

    #[test]
    fn a_damaged_blob_is_reported_with_its_item() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store_with_items(dir.path(), 2);
        let enc = model(&mut s, "enc");
        s.conn
            .execute(
                "INSERT INTO item_embeddings (item_id, model_version_id, dim, vector) VALUES (2, ?1, 3, x'0000')",
                [enc],
            )
            .unwrap();
        let err = s.for_each_embedding(enc, |_, _| true).unwrap_err().to_string();
        assert!(err.contains("item 2") && err.contains("4 x 3"), "{err}");
        let mut out = Vec::new();
        blob_to_vector(&vector_to_blob(&[1.5, -2.0]), 2, &mut out).unwrap();
        assert_eq!(out, vec![1.5, -2.0]);
    }
}
