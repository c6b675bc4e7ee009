//! The full-text search index: how far it has got, and filling it in the background. Imports
//! never write it (they stay as fast as before); a search scans the items the index has not
//! reached, so its answers are complete while the index catches up.

use std::sync::atomic::{AtomicBool, Ordering};

use sift_store::{INDEX_CHUNK, SearchIndexStatus};

use crate::{Progress, Project, Result};

impl Project {
    /// How far the search index has got.
    pub fn search_index_status(&self) -> Result<SearchIndexStatus> {
        Ok(self.store.search_index_status()?)
    }

    /// Indexes every item not indexed yet, a short transaction per chunk, until done or
    /// `cancel` is set; returns how many items it indexed. A project opened read-only cannot
    /// be indexed (searches then scan): nothing is done.
    pub fn index_for_search(&mut self, progress: &dyn Progress, cancel: &AtomicBool) -> Result<u64> {
        if self.read_only() {
            return Ok(0);
        }
        let status = self.store.search_index_status()?;
        if status.pending == 0 {
            return Ok(0);
        }
        progress.start("indexing for search", Some(status.pending));
        let mut done = 0_u64;
        while !cancel.load(Ordering::Relaxed) {
            let n = self.store.index_for_search(INDEX_CHUNK)?;
            if n == 0 {
                break;
            }
            done += n;
            progress.set_position(done);
        }
        progress.finish();
        Ok(done)
    }
}
