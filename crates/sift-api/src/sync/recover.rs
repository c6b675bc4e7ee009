//! An annotator taking their own work back from the bucket: on a new machine (or a project
//! folder made again with `sift sync join`), the pull reads the annotator's own result
//! segments (`results/<annotator>/<batch>/`, in their own results bucket when the lead gave
//! them one) and merges every version not here yet — drafts and submissions, in order — with
//! the same checks the lead's merge makes. The versions taken back are recorded as pushed:
//! they are in the bucket already and never go out twice. The lead's reviews, pulled next,
//! then find the versions they judged (returned work comes back with its comments), and the
//! queue continues where the annotator was.

use sift_store::Direction;

use super::config::check_results_buckets;
use super::layout;
use super::run::{SyncRun, fetch_parsed};
use super::store::ObjectStore;
use super::wire::{ProjectDoc, parse_segment};
use crate::Result;

impl SyncRun<'_> {
    /// Merges the annotator's own segments that this copy neither wrote nor merged yet.
    pub(super) fn recover_own_results(&mut self, doc: &ProjectDoc, name: &str) -> Result<()> {
        let own;
        let results: &dyn ObjectStore = match doc.results_buckets.get(name) {
            Some(bucket) => {
                check_results_buckets(
                    &std::collections::BTreeMap::from([(name.to_owned(), bucket.clone())]),
                    &self.config.bucket,
                )?;
                own = self.remote.sibling(bucket)?;
                own.as_ref()
            }
            None => self.remote,
        };
        let mut listed = results.list(&format!("results/{name}/"))?;
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        for o in &listed {
            let Some((annotator, batch)) = layout::parse_segment_key(&o.key) else {
                continue; // the probe, or something that is not a segment
            };
            if annotator != name
                || self.project.store.sync_object(&o.key, Direction::Push)?.is_some()
                || self.project.pulled_matches(o)?
            {
                continue;
            }
            let Some((object, versions)) = fetch_parsed(
                results,
                o,
                self.opts.max_object_bytes,
                &mut self.report.problems,
                |body| parse_segment(body, &o.key, annotator, batch),
            )?
            else {
                continue;
            };
            let versions = self.checked_versions(&o.key, batch, versions)?;
            let stats = self.project.store.merge_segment(&sift_store::SegmentMerge {
                object: object.clone(),
                annotator,
                batch,
                versions,
            })?;
            self.project.store.mark_pushed(&object, &stats.merged)?;
            self.report.recovered += stats.added;
            self.report.problems.extend(stats.rejected);
        }
        Ok(())
    }
}
