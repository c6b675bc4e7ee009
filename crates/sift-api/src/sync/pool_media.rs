//! Media of the pool a lead pushes for workers (`crate::shards`): the same uploads as a
//! batch's media (`media.rs`: only files inside the project's media folders, content-addressed
//! keys `media/<sha256>.<ext>`, hashes cached, uploads resumed), for any set of items.

use std::collections::BTreeMap;

use sift_store::BatchItemRow;

use super::run::{SyncRun, listing};
use super::{ObjectStore, SyncOptions, SyncReport};
use crate::{Progress, Project, Result};

/// An item's media object in the bucket: key, size and SHA-256.
pub(crate) type PoolMediaObject = (String, u64, String);

/// What uploading a pool's media did.
#[derive(Debug, Default)]
pub(crate) struct PoolMediaPush {
    /// Per item id, its media object.
    pub media: BTreeMap<i64, PoolMediaObject>,
    /// Files uploaded now, and their bytes.
    pub files: u64,
    /// Bytes uploaded now.
    pub bytes: u64,
    /// Items whose media could not be sent (outside the media folders, unreadable), with why.
    pub problems: Vec<String>,
}

impl Project {
    /// Uploads the local media of `items` (id, media reference) that the bucket lacks.
    pub(crate) fn push_pool_media(
        &mut self,
        remote: &dyn ObjectStore,
        items: &[(i64, Option<String>)],
        progress: &dyn Progress,
    ) -> Result<PoolMediaPush> {
        let config = self.require_sync_config()?;
        let listed = listing(remote, "media/")?;
        let rows: Vec<BatchItemRow> = items
            .iter()
            .enumerate()
            .map(|(i, (id, media))| BatchItemRow {
                item_id: *id,
                position: i as i64,
                content: String::new(),
                content_hash: [0; 16],
                media_ref: media.clone(),
                annotators: Vec::new(),
            })
            .collect();
        let opts = SyncOptions::default();
        let mut run = SyncRun {
            project: self,
            remote,
            config,
            opts: &opts,
            progress,
            report: SyncReport::default(),
        };
        let media = run.push_batch_media(&rows, &listed)?;
        Ok(PoolMediaPush {
            media: media
                .into_iter()
                .map(|(id, doc)| (id, (doc.key, doc.size, doc.sha256)))
                .collect(),
            files: run.report.media_files,
            bytes: run.report.media_bytes,
            problems: run.report.problems,
        })
    }
}
