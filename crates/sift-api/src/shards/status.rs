//! Which shards are finished, per model version: [`Project::shard_progress`] reads what the
//! lead's pulls recorded (merged segments and `done.json` objects), with no network.

use std::collections::{BTreeMap, BTreeSet};

use sift_store::Direction;

use crate::sync::layout::{RESULT_KINDS, parse_shard_key};
use crate::{Project, Result};

/// One model version's shards, as of the last pull.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ShardProgress {
    /// `scores` or `embeddings`.
    pub kind: String,
    /// `<name>@<version>`.
    pub model: String,
    /// How many shards the pool was split into.
    pub shards: u32,
    /// Shards whose worker finished and whose segments are all merged.
    pub done: Vec<u32>,
    /// The other shards.
    pub missing: Vec<u32>,
    /// Segments merged.
    pub segments_merged: u64,
}

impl Project {
    /// Per kind, model version and shard count: shards done and missing.
    pub fn shard_progress(&self) -> Result<Vec<ShardProgress>> {
        let mut groups: BTreeMap<(String, String, u32), (BTreeSet<u32>, u64)> = BTreeMap::new();
        for kind in RESULT_KINDS {
            for o in self.store.sync_objects(Direction::Pull, &format!("{kind}/"))? {
                let Some(k) = parse_shard_key(&o.key) else {
                    continue;
                };
                let g = groups
                    .entry((k.kind.to_owned(), k.label.to_owned(), k.count))
                    .or_default();
                match k.seq {
                    Some(_) => g.1 += 1,
                    None => {
                        g.0.insert(k.index);
                    }
                }
            }
        }
        Ok(groups
            .into_iter()
            .map(|((kind, model, shards), (done, segments_merged))| ShardProgress {
                missing: (0..shards).filter(|i| !done.contains(i)).collect(),
                done: done.into_iter().collect(),
                kind,
                model,
                shards,
                segments_merged,
            })
            .collect())
    }
}
