//! The closed learning loop in the project file (migration `0008_learning.sql`): the labels a
//! head trains on, the items and stored vectors it reads, each trained version's round
//! (labels used, validation metrics, pool figures), every item's current prediction, and the
//! learned order in which never-started items are served.
//!
//! Predictions are written in chunks of [`PREDICTION_CHUNK`] rows per transaction, so a long
//! rescoring never holds the write lock long enough to make an annotator's save wait; the
//! queue order is replaced in one transaction, so a queue is always read in one order or the
//! next, never a mix.

//!
//! This file holds what a head trains on (labels, items); `rounds` each trained version's
//! round, `predictions` every item's current prediction, `queue_order` the learned order.

mod predictions;
mod queue_order;
mod rounds;

pub use predictions::{PREDICTION_CHUNK, PredictionRow};
pub use queue_order::QueueOrderRow;
pub use rounds::{LearnRoundRow, NewLearnRound, RoundHead, RoundPool};

use crate::rows;
use crate::{Result, Store};

/// One submitted (or approved) annotation to learn from: its newest submitted payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingAnnotation {
    /// The item labeled.
    pub item_id: i64,
    /// The annotation the label comes from.
    pub annotation_id: i64,
    /// JSON text of the newest submitted version.
    pub payload: String,
    /// Whether a reviewer approved it (otherwise it is submitted and waiting).
    pub approved: bool,
}

rows::from_row! { TrainingAnnotation { item_id, annotation_id, payload, approved } }

impl Store {
    /// Every submitted or approved annotation (only approved ones with `approved_only`) with
    /// its newest submitted payload, by item then annotation. Drafts and returned work are
    /// never learned from.
    pub fn training_annotations(&self, approved_only: bool) -> Result<Vec<TrainingAnnotation>> {
        let states = if approved_only {
            "('approved')"
        } else {
            "('submitted', 'approved')"
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT a.item_id, a.id, v.payload, a.state = 'approved' FROM annotations a
             JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
             WHERE a.state IN {states} ORDER BY a.item_id, a.id"
        ))?;
        rows::all(&mut stmt, [])
    }

    /// How many annotations are submitted or approved now: what `sift learn --every N`
    /// counts new labels with.
    pub fn count_submitted_labels(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM annotations WHERE state IN ('submitted', 'approved')",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Ids of items someone has started (any annotation, draft included).
    pub fn started_item_ids(&self) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT item_id FROM annotations ORDER BY item_id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Calls `f(item_id, content, source_line)` for every item in import order; `f` returns
    /// `false` to stop.
    pub fn for_each_item(&self, mut f: impl FnMut(i64, &str, i64) -> bool) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, content, source_line FROM items ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if !f(r.get(0)?, r.get_ref(1)?.as_str()?, r.get(2)?) {
                break;
            }
        }
        Ok(())
    }
}
