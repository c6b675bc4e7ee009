//! Batches built from scores: the candidates (unstarted, unbatched items with a score), their
//! diversity vectors, and the batch itself with its assignments: each item dealt out to
//! `overlap` different annotators (one unless the batch asks for independent annotations).

use rusqlite::{OptionalExtension, params};

use crate::rows;
use crate::{Result, Store, StoreError};

/// A scored candidate for a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredItem {
    /// The candidate item.
    pub item_id: i64,
    /// Its score for the strategy asked for, in `[0, 1]`, 1 the most uncertain.
    pub score: f64,
}

rows::from_row! { ScoredItem { item_id, score } }

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
    /// Independent annotations asked per item (at least 1): each item goes to this many
    /// different annotators of `assign_to`, the next ones in turn, so the work stays even.
    pub overlap: u32,
}

/// The annotators (indices into `n` people) that item `position` of a batch goes to: the
/// `overlap` people after those of the item before it, wrapping around. Distinct as long as
/// `overlap <= n`; every person gets the same number of items, give or take one.
pub(crate) fn deal(position: usize, overlap: usize, n: usize) -> impl Iterator<Item = usize> {
    (0..overlap).map(move |j| (position * overlap + j) % n.max(1))
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
    /// Independent annotations asked per item.
    pub overlap: u32,
}

impl Store {
    /// Candidates for a new batch: items nobody has started and no batch holds yet, with their
    /// `strategy` score from `model_version_id`, in item order.
    pub fn batch_candidates(&self, model_version_id: i64, strategy: &str) -> Result<Vec<ScoredItem>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.item_id, s.score FROM item_scores s
             WHERE s.model_version_id = ?1 AND s.strategy = ?2 AND s.score IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.item_id)
               AND NOT EXISTS (SELECT 1 FROM batch_items b WHERE b.item_id = s.item_id)
               AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = s.item_id)
             ORDER BY s.item_id",
        )?;
        rows::all(&mut stmt, params![model_version_id, strategy])
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
            out.push(blob.map(|b| crate::embeddings::le_f32s(&b).collect()));
        }
        Ok(out)
    }

    /// Creates a batch holding `items` in order, and deals them out to `assign_to`.
    pub fn create_batch(&mut self, batch: &NewBatch<'_>) -> Result<BatchRow> {
        if batch.overlap == 0 {
            return Err(StoreError::Invalid("overlap must be at least 1".into()));
        }
        if batch.overlap > 1 && (batch.overlap as usize) > batch.assign_to.len() {
            return Err(StoreError::Invalid(format!(
                "overlap {} asks for {} different annotators per item, but the batch is assigned to {}{}",
                batch.overlap,
                batch.overlap,
                batch.assign_to.len(),
                if batch.assign_to.is_empty() {
                    " (assign it to at least that many people)"
                } else {
                    ""
                }
            )));
        }
        let mut people = batch.assign_to.to_vec();
        people.sort_unstable();
        if people.windows(2).any(|w| w[0] == w[1]) {
            return Err(StoreError::Invalid(
                "an annotator is named twice among the assignees".into(),
            ));
        }
        self.write_in_file(|store| {
            let tx = store.conn.transaction()?;
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
                "INSERT INTO batches (name, created_at, strategy, model_version_id, overlap)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![batch.name, now, batch.strategy, batch.model_version_id, batch.overlap],
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
                    if !batch.assign_to.is_empty() {
                        for who in deal(position, batch.overlap as usize, batch.assign_to.len()) {
                            assign_stmt.execute(params![batch_id, item_id, batch.assign_to[who], now])?;
                        }
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
                        "annotators": batch.assign_to.len(),
                        "overlap": batch.overlap
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
                overlap: batch.overlap,
        })
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
}
