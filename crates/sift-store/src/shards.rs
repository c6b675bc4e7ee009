//! Scoring and embedding in shards (issue 19), the project file's side: the unlabeled pool as
//! the lead pushes it ([`Store::pool_items`]), and merging a worker's result segment
//! ([`Store::merge_shard_segment`]): its rows and the record of its key (in `sync_objects`,
//! direction pull) in one transaction, so a segment is merged once, whole, or not at all.

use rusqlite::params;

use crate::scores::ScoreRecord;
use crate::sync::{Direction, SyncObject, record_objects};
use crate::{Result, Store, StoreError};

/// An unlabeled item as the pool carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolItem {
    /// The item's id in this project.
    pub id: i64,
    /// Its 16-byte content hash (how every copy names it).
    pub hash: [u8; 16],
    /// The manifest object as imported (JSON text).
    pub content: String,
    /// Its media reference as stored at import.
    pub media_ref: Option<String>,
}

/// The rows of one result segment, named by item hash.
#[derive(Debug, Clone, Copy)]
pub enum ShardRows<'a> {
    /// A scorer's outcomes (`item_id` of each record is ignored: the hash names the item).
    Scores(&'a [([u8; 16], ScoreRecord)]),
    /// An encoder's vectors.
    Vectors(&'a [([u8; 16], Vec<f32>)]),
}

/// One result segment to merge.
#[derive(Debug, Clone, Copy)]
pub struct ShardMerge<'a> {
    /// The segment object, recorded as pulled in the same transaction.
    pub object: &'a SyncObject,
    /// The model version the rows belong to.
    pub model_version_id: i64,
    /// The run (of that version) the merge is recorded under.
    pub run_id: i64,
    /// The rows.
    pub rows: ShardRows<'a>,
}

/// What merging a segment did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ShardMergeStats {
    /// Items whose rows were stored.
    pub items: u64,
    /// Lines naming an item this project does not have (passed over).
    pub unknown: u64,
}

impl Store {
    /// Forgets which shards' `done.json` were recorded as pulled (the lead pushed another pool:
    /// a shard is done again only once its worker has run over the new one).
    pub fn forget_finished_shards(&self) -> Result<()> {
        self.writing(|| {
            self.conn.execute(
                "DELETE FROM sync_objects WHERE direction = 'pull'
                   AND (remote_key LIKE 'scores/%' OR remote_key LIKE 'embeddings/%')
                   AND remote_key LIKE '%/done.json'",
                [],
            )?;
            Ok(())
        })
    }

    /// Unlabeled items (no annotation yet) after `after_id`, in id order, `limit` of them.
    pub fn pool_items(&self, after_id: i64, limit: u32) -> Result<Vec<PoolItem>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id, i.content_hash, i.content, i.media_ref FROM items i
             WHERE i.id > ?1 AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)
             ORDER BY i.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_id, limit], |r| {
            Ok(PoolItem {
                id: r.get(0)?,
                hash: crate::sync::hash16(r, 1)?,
                content: r.get(2)?,
                media_ref: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Merges one worker segment: finds each line's item by hash, stores its scores (and
    /// vector) or its vector for the model version, adds the counts to the run, and records
    /// the segment as pulled, all in one transaction. Rows replace the version's earlier rows
    /// for the same item, so merging the same lines again changes nothing.
    pub fn merge_shard_segment(&mut self, merge: &ShardMerge<'_>) -> Result<ShardMergeStats> {
        self.write_in_file(|store| {
            let tx = store.conn.transaction()?;
            let run_of_version: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM scoring_runs WHERE id = ?1 AND model_version_id = ?2)",
                params![merge.run_id, merge.model_version_id],
                |r| r.get(0),
            )?;
            if !run_of_version {
                return Err(StoreError::NotFound(format!(
                    "scoring run {} of model version {}",
                    merge.run_id, merge.model_version_id
                )));
            }
            let mut stats = ShardMergeStats::default();
            let (mut scored, mut failed) = (0_i64, 0_i64);
            {
                let mut find = tx.prepare_cached("SELECT item_id FROM item_hashes WHERE hash = ?1")?;
                let mut item_of = |hash: &[u8; 16]| -> Result<Option<i64>> {
                    use rusqlite::OptionalExtension as _;
                    Ok(find.query_row([&hash[..]], |r| r.get(0)).optional()?)
                };
                let mut score_stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO item_scores (item_id, model_version_id, strategy, score, error, run_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                let mut vector_stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO item_embeddings (item_id, model_version_id, dim, vector)
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                let mut put_vector = |item_id: i64, vector: &[f32]| -> Result<()> {
                    vector_stmt.execute(params![
                        item_id,
                        merge.model_version_id,
                        vector.len() as i64,
                        crate::vector_to_blob(vector)
                    ])?;
                    Ok(())
                };
                match merge.rows {
                    ShardRows::Scores(records) => {
                        for (hash, record) in records {
                            let Some(item_id) = item_of(hash)? else {
                                stats.unknown += 1;
                                continue;
                            };
                            for (strategy, score) in &record.scores {
                                score_stmt.execute(params![
                                    item_id,
                                    merge.model_version_id,
                                    strategy,
                                    score,
                                    record.error,
                                    merge.run_id
                                ])?;
                            }
                            if record.error.is_some() {
                                failed += 1;
                            } else {
                                scored += 1;
                            }
                            if let Some(vector) = &record.embedding {
                                put_vector(item_id, vector)?;
                            }
                            stats.items += 1;
                        }
                    }
                    ShardRows::Vectors(vectors) => {
                        for (hash, vector) in vectors {
                            let Some(item_id) = item_of(hash)? else {
                                stats.unknown += 1;
                                continue;
                            };
                            put_vector(item_id, vector)?;
                            scored += 1;
                            stats.items += 1;
                        }
                    }
                }
            }
            tx.execute(
                "UPDATE scoring_runs SET items_scored = items_scored + ?2, items_failed = items_failed + ?3
                 WHERE id = ?1",
                params![merge.run_id, scored, failed],
            )?;
            record_objects(&tx, Direction::Pull, std::slice::from_ref(merge.object))?;
            tx.commit()?;
            Ok(stats)
        })
    }
}
