//! The learning views' use cases: score histograms per strategy and the queue builder's
//! preview (exactly the items [`Project::build_queue`] would pick, without writing anything).
//! The learning curves and runs themselves are the learning loop's use cases
//! ([`Project::learn_status`], [`Project::learn_until`]).

use crate::{BatchEntry, Error, Project, QueueOptions, Result};

/// Scores of one strategy in equal bins between the smallest and largest.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScoreHistogram {
    /// The strategy scored (`least-confidence`, `margin`, `ratio`, `entropy`).
    pub strategy: String,
    /// The smallest score: the left edge of the first bin.
    pub lo: f64,
    /// The largest score: the right edge of the last bin.
    pub hi: f64,
    /// Items per bin, left to right.
    pub counts: Vec<u64>,
}

/// What [`Project::build_queue`] would make now.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueuePreview {
    /// `name@version` of the model whose scores rank the items.
    pub model: String,
    /// The strategy whose scores rank the items.
    pub strategy: String,
    /// Whether the pick is diverse ("cluster the uncertain") rather than the plain top scores.
    pub diverse: bool,
    /// Unlabeled, unbatched scored items the batch is chosen from.
    pub candidates: usize,
    /// The batch in order, most informative first, with a preview of each item.
    pub items: Vec<(BatchEntry, String)>,
    /// Who each item would go to (round-robin), same order; empty when unassigned.
    pub assignees: Vec<String>,
}

impl Project {
    /// The score histogram of every strategy `model_version_id` has scores for.
    pub fn score_histograms(&self, model_version_id: i64, bins: u32) -> Result<Vec<ScoreHistogram>> {
        let mut out = Vec::new();
        for strategy in self.store.score_strategies(model_version_id)? {
            if let Some((lo, hi, counts)) = self.store.score_histogram(model_version_id, &strategy, bins)? {
                out.push(ScoreHistogram {
                    strategy,
                    lo,
                    hi,
                    counts,
                });
            }
        }
        Ok(out)
    }

    /// The items [`Project::build_queue`] would pick for `opts` now, in order, without making
    /// the batch. With the same project state, "make batch" makes exactly this batch.
    pub fn preview_queue(&self, opts: &QueueOptions) -> Result<QueuePreview> {
        if opts.size == 0 {
            return Err(Error::BadRequest("the batch size must be at least 1".into()));
        }
        for name in &opts.assign {
            self.annotator(name)?;
        }
        let model = self.queue_model(opts.model.as_deref())?;
        let candidates = self.store.batch_candidates(model.row.id, opts.strategy.name())?;
        let entries = self.pick_batch(&model, &candidates, opts)?;
        let ids: Vec<i64> = entries.iter().map(|e| e.item_id).collect();
        let rows = self.item_rows(&ids, None)?;
        let previews: std::collections::HashMap<i64, String> =
            rows.into_iter().map(|r| (r.id, r.preview)).collect();
        let assignees = if opts.assign.is_empty() {
            Vec::new()
        } else {
            (0..entries.len())
                .map(|i| opts.assign[i % opts.assign.len()].clone())
                .collect()
        };
        Ok(QueuePreview {
            model: model.label(),
            strategy: opts.strategy.name().to_owned(),
            diverse: opts.diverse,
            candidates: candidates.len(),
            items: entries
                .into_iter()
                .map(|e| {
                    let preview = previews.get(&e.item_id).cloned().unwrap_or_default();
                    (e, preview)
                })
                .collect(),
            assignees,
        })
    }
}
