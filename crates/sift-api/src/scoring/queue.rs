//! Batches to label: [`Project::build_queue`] ranks stored scores (optionally for diversity)
//! into a batch dealt out to annotators; [`Project::create_batch`] makes one in import order.

use std::collections::HashMap;

use sift_al::{ClusterOptions, Strategy};
use sift_store::NewBatch;

use super::ModelInfo;
use crate::{Error, Project, Result};

/// Options of [`Project::build_queue`].
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Items in the batch.
    pub size: usize,
    /// Which uncertainty score ranks the candidates.
    pub strategy: Strategy,
    /// Pick a diverse batch ("cluster the uncertain") instead of the plain top `size`.
    pub diverse: bool,
    /// Annotators to deal the batch out to, round-robin in batch order.
    pub assign: Vec<String>,
    /// Independent annotations per item (at least 1): each item goes to this many different
    /// people of `assign`.
    pub overlap: u32,
    /// Batch name (default: `<model>-v<version>-<strategy>-<n>`).
    pub name: Option<String>,
    /// `name` or `name@version` (default: the newest model version that has scores).
    pub model: Option<String>,
}

/// A batch built from scores.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchReport {
    /// The new batch's id.
    pub batch_id: i64,
    /// The new batch's name.
    pub batch: String,
    /// The model whose scores chose the items.
    pub model: String,
    /// Its version.
    pub version: i64,
    /// The strategy that ranked them.
    pub strategy: String,
    /// Whether the pick was diverse rather than the plain top scores.
    pub diverse: bool,
    /// Unlabeled, unbatched items with a score that the batch was chosen from.
    pub candidates: usize,
    /// The batch in order, most informative first.
    pub items: Vec<BatchEntry>,
    /// The people the batch was dealt out to, round-robin in batch order.
    pub assigned_to: Vec<String>,
    /// Independent annotations per item.
    pub overlap: u32,
    /// Gold items mixed in at the project's gold rate, dealt to every assignee.
    pub gold: Vec<i64>,
}

/// A batch made in import order ([`Project::create_batch`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlainBatchReport {
    /// The new batch's id.
    pub batch_id: i64,
    /// The new batch's name.
    pub batch: String,
    /// Its items, in import order.
    pub items: Vec<i64>,
    /// The people the batch was dealt out to, round-robin in batch order.
    pub assigned_to: Vec<String>,
    /// Independent annotations per item.
    pub overlap: u32,
    /// Gold items mixed in at the project's gold rate, dealt to every assignee.
    pub gold: Vec<i64>,
}

/// One item of a new batch.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BatchEntry {
    /// The item.
    pub item_id: i64,
    /// Its uncertainty score under the batch's strategy (higher: more informative).
    pub score: f64,
}

impl Project {
    /// Builds the next batch to label: the `size` most informative unlabeled items that are in
    /// no batch yet, by `strategy`'s scores from one model version, ordered most informative
    /// first; with `diverse`, "cluster the uncertain" picks them from the `10 * size` most
    /// informative so the batch covers different kinds of items. The batch is dealt out to the
    /// `assign` annotators round-robin in order, and their queues serve it in that order.
    pub fn build_queue(&mut self, opts: &QueueOptions) -> Result<BatchReport> {
        if opts.size == 0 {
            return Err(Error::BadRequest("--size must be at least 1".into()));
        }
        let model = self.queue_model(opts.model.as_deref())?;
        let mut annotators = Vec::with_capacity(opts.assign.len());
        for name in &opts.assign {
            annotators.push(self.annotator(name)?.id);
        }
        let candidates = self.store.batch_candidates(model.row.id, opts.strategy.name())?;
        if candidates.is_empty() {
            return Err(Error::Conflict(format!(
                "{} has no scored, unlabeled item left outside a batch: run `sift score` (or add items)",
                model.label()
            )));
        }
        let items = self.pick_batch(&model, &candidates, opts)?;
        let name = match &opts.name {
            Some(name) => {
                crate::browse::check_batch_name(name)?;
                name.clone()
            }
            None => {
                let prefix = format!("{}-v{}-{}-", model.row.name, model.row.version, opts.strategy);
                let n = self.store.count_batches_named_like(&prefix)? + 1;
                format!("{prefix}{n}")
            }
        };
        let rows: Vec<(i64, Option<f64>)> = items.iter().map(|e| (e.item_id, Some(e.score))).collect();
        let batch = self.store.create_batch(&NewBatch {
            name: &name,
            strategy: Some(opts.strategy.name()),
            model_version_id: Some(model.row.id),
            items: &rows,
            assign_to: &annotators,
            overlap: opts.overlap,
        })?;
        let gold = self.mix_gold_into_batch(batch.id, items.len(), &annotators)?;
        Ok(BatchReport {
            batch_id: batch.id,
            batch: batch.name,
            model: model.row.name,
            version: model.row.version,
            strategy: opts.strategy.name().to_owned(),
            diverse: opts.diverse,
            candidates: candidates.len(),
            items,
            assigned_to: opts.assign.clone(),
            overlap: opts.overlap,
            gold,
        })
    }

    /// The model a queue is built from ([`Project::build_queue`], and the data manager's view of
    /// it): the one named, or the newest version with scores.
    pub(crate) fn queue_model(&self, spec: Option<&str>) -> Result<ModelInfo> {
        if spec.is_some() {
            return self.model(spec);
        }
        let newest = self
            .store
            .model_score_counts()?
            .into_iter()
            .filter(|c| c.items_scored > 0)
            .max_by_key(|c| c.model_version_id)
            .ok_or_else(|| Error::Conflict("no item has been scored yet: run `sift score` first".into()))?;
        self.model(Some(&format!("{}@{}", newest.name, newest.version)))
    }

    /// Makes a batch of the next `size` unlabeled items that are in no batch yet, in import
    /// order — for projects without a model, or to hand out work before the first scoring.
    pub fn create_batch(
        &mut self,
        name: Option<&str>,
        size: usize,
        assign: &[String],
    ) -> Result<PlainBatchReport> {
        self.create_batch_with_overlap(name, size, assign, 1)
    }

    /// [`Project::create_batch`] asking for `overlap` independent annotations per item: each
    /// item is dealt out to that many different people of `assign` (the next ones in turn),
    /// and counts as done when that many have submitted.
    pub fn create_batch_with_overlap(
        &mut self,
        name: Option<&str>,
        size: usize,
        assign: &[String],
        overlap: u32,
    ) -> Result<PlainBatchReport> {
        if size == 0 {
            return Err(Error::BadRequest("--size must be at least 1".into()));
        }
        let mut annotators = Vec::with_capacity(assign.len());
        for who in assign {
            annotators.push(self.annotator(who)?.id);
        }
        let items = self.store.unbatched_unlabeled(size as u32)?;
        if items.is_empty() {
            return Err(Error::Conflict(
                "no unlabeled item is left outside a batch: import more items".into(),
            ));
        }
        let name = match name {
            Some(n) => {
                crate::browse::check_batch_name(n)?;
                n.to_owned()
            }
            None => format!("batch-{}", self.store.count_batches_named_like("batch-")? + 1),
        };
        let rows: Vec<(i64, Option<f64>)> = items.iter().map(|&id| (id, None)).collect();
        let batch = self.store.create_batch(&NewBatch {
            name: &name,
            strategy: None,
            model_version_id: None,
            items: &rows,
            assign_to: &annotators,
            overlap,
        })?;
        let gold = self.mix_gold_into_batch(batch.id, items.len(), &annotators)?;
        Ok(PlainBatchReport {
            batch_id: batch.id,
            batch: batch.name,
            items,
            assigned_to: assign.to_vec(),
            overlap,
            gold,
        })
    }

    /// The batch `opts` picks from `candidates`, most informative first: the top `size` by
    /// score or, with `diverse`, a diverse pick. What [`Project::build_queue`] makes and
    /// [`Project::preview_queue`] shows.
    pub(crate) fn pick_batch(
        &self,
        model: &ModelInfo,
        candidates: &[sift_store::ScoredItem],
        opts: &QueueOptions,
    ) -> Result<Vec<BatchEntry>> {
        let values: Vec<f32> = candidates.iter().map(|c| c.score as f32).collect();
        let picked: Vec<usize> = if candidates.is_empty() {
            Vec::new()
        } else if opts.diverse {
            self.diverse_pick(model, candidates, &values, opts.size)?
        } else {
            sift_al::top_k(&values, opts.size)
        };
        Ok(picked
            .iter()
            .filter_map(|&i| candidates.get(i))
            .map(|c| BatchEntry {
                item_id: c.item_id,
                score: c.score,
            })
            .collect())
    }

    /// Indices into `candidates` of a diverse batch, most informative first.
    pub(crate) fn diverse_pick(
        &self,
        model: &ModelInfo,
        candidates: &[sift_store::ScoredItem],
        values: &[f32],
        size: usize,
    ) -> Result<Vec<usize>> {
        let options = ClusterOptions::default();
        // Only the beta * k most informative can be picked: load just their vectors.
        let shortlist = sift_al::top_k(values, options.beta.max(1).saturating_mul(size));
        let ids: Vec<i64> = shortlist
            .iter()
            .filter_map(|&i| candidates.get(i).map(|c| c.item_id))
            .collect();
        let vectors = self.store.embeddings(model.row.id, &ids)?;
        // Items are compared in one space: the most common vector length.
        let mut lengths: HashMap<usize, usize> = HashMap::new();
        for v in vectors.iter().flatten() {
            *lengths.entry(v.len()).or_default() += 1;
        }
        let Some((dim, _)) = lengths
            .into_iter()
            .filter(|(d, _)| *d > 0)
            .max_by_key(|&(d, n)| (n, std::cmp::Reverse(d)))
        else {
            return Err(Error::Conflict(format!(
                "{} stored no vectors for batch diversity; rescore with this Sift, or leave out --diverse",
                model.label()
            )));
        };
        let mut kept = Vec::new();
        let mut scores = Vec::new();
        let mut flat = Vec::new();
        for (&index, vector) in shortlist.iter().zip(&vectors) {
            if let Some(v) = vector
                && v.len() == dim
            {
                kept.push(index);
                scores.push(values.get(index).copied().unwrap_or(f32::NAN));
                flat.extend_from_slice(v);
            }
        }
        let picked = sift_al::cluster_uncertain(&scores, &flat, dim, size, options)
            .map_err(|e| Error::Internal(format!("batch diversity: {e}")))?;
        Ok(picked.into_iter().filter_map(|i| kept.get(i).copied()).collect())
    }
}
