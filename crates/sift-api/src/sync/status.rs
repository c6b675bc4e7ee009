//! What is waiting in each direction, from one listing of the store and the records of what
//! was pushed and pulled: nothing is transferred and no media is hashed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

use super::config::{SyncConfig, SyncRole};
use super::digest::sha256_hex;
use super::layout;
use super::run::listing;
use super::store::{ObjectStore, RemoteObject};
use crate::{Project, Result};

/// What is waiting in each direction.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    /// The role this copy syncs as.
    pub role: Option<SyncRole>,
    /// The remote, as `s3://bucket/prefix` (and its endpoint).
    pub location: String,
    /// Batches whose remote copy is missing or stale (lead).
    pub batches_to_push: Vec<String>,
    /// Versions saved and not pushed (annotator).
    pub versions_to_push: u64,
    /// Remote batches not pulled yet or changed since (annotator).
    pub batches_to_pull: Vec<String>,
    /// Remote result segments not merged yet (lead).
    pub segments_to_pull: Vec<String>,
    /// Pulled items whose media is not on this machine (annotator).
    pub media_to_pull: u64,
    /// Batches with reviews from the lead not pulled yet (annotator).
    pub reviews_to_pull: Vec<String>,
}

impl Project {
    /// What is waiting in each direction (reads the remote listing; transfers nothing).
    pub fn sync_status(&self, remote: &dyn ObjectStore) -> Result<SyncStatus> {
        let config = self.require_sync_config()?;
        let mut status = SyncStatus {
            role: Some(config.role),
            location: remote.location(),
            ..SyncStatus::default()
        };
        match config.role {
            SyncRole::Lead => {
                let mut listed = listing(remote, "batches/")?;
                if config.media {
                    listed.extend(listing(remote, "media/")?);
                }
                for batch in self.store.batch_names()? {
                    if self.batch_needs_push(&config, batch.id, &batch.name, &listed)? {
                        status.batches_to_push.push(batch.name);
                    }
                }
                // What a pull would merge: the shared bucket's segments of annotators without a
                // bucket of their own, and each such bucket's segments of its annotator.
                let mapped = config.results_buckets.clone().unwrap_or_default();
                for o in remote.list("results/")? {
                    if layout::parse_segment_key(&o.key).is_some_and(|(a, _)| !mapped.contains_key(a))
                        && !self.pulled_matches(&o)?
                    {
                        status.segments_to_pull.push(o.key);
                    }
                }
                for (annotator, bucket) in &mapped {
                    for o in remote.sibling(bucket)?.list(&format!("results/{annotator}/"))? {
                        if layout::parse_segment_key(&o.key).is_some() && !self.pulled_matches(&o)? {
                            status.segments_to_pull.push(o.key);
                        }
                    }
                }
            }
            SyncRole::Annotator => {
                let mine = config.annotator.as_deref().unwrap_or_default();
                let me = self.annotator(mine)?;
                status.versions_to_push = self.store.count_unpushed(me.id)?;
                for o in remote.list("batches/")? {
                    if let Some(batch) = layout::assignments_key_batch(&o.key)
                        && !self.pulled_matches(&o)?
                    {
                        status.batches_to_pull.push(batch.to_owned());
                    }
                    if let Some(batch) = layout::reviews_key_batch(&o.key, mine)
                        && !self.pulled_matches(&o)?
                    {
                        status.reviews_to_pull.push(batch.to_owned());
                    }
                }
                status.media_to_pull = self
                    .store
                    .pulled_media()?
                    .iter()
                    .filter(|m| !m.local.as_deref().is_some_and(|p| Path::new(p).is_file()))
                    .count() as u64;
            }
        }
        Ok(status)
    }

    /// Whether a push would write this batch again. Status never hashes media: it compares
    /// what a push would write, using the hashes cached at the last push. A batch pushed
    /// without media (config off, or before media was turned on) still counts as pushed.
    fn batch_needs_push(
        &self,
        config: &SyncConfig,
        batch_id: i64,
        name: &str,
        listed: &HashMap<String, RemoteObject>,
    ) -> Result<bool> {
        let rows = self.store.batch_items_for_sync(batch_id)?;
        let mut candidates = vec![BTreeMap::new()];
        if let Some(media) = self.cached_batch_media(&rows, listed)? {
            if !media.is_empty() {
                candidates.insert(0, media);
            }
        } else if config.media {
            // A file changed, is new or is missing on the store: a push has media to send.
            return Ok(true);
        }
        for (key, body, _) in self.review_files(batch_id, name)? {
            if !self.pushed_matches(&key, &sha256_hex(&body), listed)? {
                return Ok(true);
            }
        }
        for media in &candidates {
            let mut matches = true;
            for (key, body) in self.batch_files(name, &rows, media)? {
                matches &= self.pushed_matches(&key, &sha256_hex(&body), listed)?;
            }
            if matches {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
