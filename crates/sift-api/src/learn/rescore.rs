//! Rescoring the pool with a new head from the stored vectors (the encoder never runs again)
//! and reordering the unlabeled part of the queue.
//!
//! Every item with a vector gets a prediction (what `sift export --format predictions`
//! writes); every unlabeled one also gets the four uncertainty scores, recorded as a scoring
//! run of the head's model version like any other model's. The never-started, unassigned
//! items are then ranked by the chosen strategy into the learned queue order: items already
//! handed to an annotator (assigned in a batch, drafts, returned work) keep their place, and
//! so does everything a person is looking at. A version trained by a command predicts, through
//! its scorer, the items its score pass left out (`predict_unscored`).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use sift_al::{RowScores, Strategy};
use sift_learn::cohen_kappa;
use sift_store::{PredictionRow, RoundPool, ScoreRecord};

use super::features::MissingVector;
use crate::scoring::{BatchEntry, ModelInfo};
use crate::{Project, Result};

/// What rescoring did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RescoreReport {
    /// The strategy the unlabeled pool was scored and ordered by.
    pub strategy: String,
    /// Items given a prediction (every item with a vector).
    pub items_predicted: u64,
    /// Unlabeled items scored for uncertainty.
    pub items_scored: u64,
    /// Items with no vector (neither predicted nor ranked).
    pub items_without_vectors: u64,
    /// Never-started, unassigned items now in the learned queue order.
    pub items_queued: u64,
    /// Time to read the stored vectors of the pool from the project file.
    pub load_seconds: f64,
    /// Time to compute the predictions and scores (the head on the stored vectors).
    pub predict_seconds: f64,
    /// Time to store them and the new order.
    pub save_seconds: f64,
    /// Mean uncertainty (by `strategy`) of the unlabeled pool.
    pub mean_uncertainty: Option<f64>,
    /// Share of the items predicted by both versions whose top prediction changed.
    pub changed_share: Option<f64>,
    /// Cohen's kappa between the two versions' predictions on those items.
    pub kappa: Option<f64>,
    /// The head of the new order, most informative first.
    pub first: Vec<BatchEntry>,
}

/// One version's predictions of the pool, and each row's uncertainty scores.
#[derive(Debug, Clone, Default)]
pub(crate) struct VersionOutputs {
    /// Each pooled item's prediction (top column and values), in pool order.
    pub rows: Vec<PredictionRow>,
    /// Per row; `None` where the output could not be scored (NaN from a broken vector).
    pub scores: Vec<Option<RowScores>>,
}

/// How many entries of the new order a report lists.
const REPORTED_ORDER: usize = 10;
/// Score records per transaction.
const SCORE_CHUNK: usize = 5_000;

/// Items that are not to be ranked: started by someone, or holding a live machine label.
pub(crate) struct Unrankable {
    started: HashSet<i64>,
    machine: HashSet<i64>,
}

impl Unrankable {
    /// Whether the item stays out of the learned order (started, or machine-labeled).
    pub fn contains(&self, item: i64) -> bool {
        self.started.contains(&item) || self.machine.contains(&item)
    }

    /// Whether someone has started work on the item.
    pub fn started(&self, item: i64) -> bool {
        self.started.contains(&item)
    }
}

impl Project {
    pub(crate) fn unrankable(&self) -> Result<Unrankable> {
        Ok(Unrankable {
            started: self.store.started_item_ids()?.into_iter().collect(),
            machine: self
                .store
                .machine_labels(None)?
                .into_iter()
                .map(|m| m.item_id)
                .collect(),
        })
    }

    /// Stores one version's predictions and scores, and its round's pool figures against
    /// `previous` (the same head's earlier version). Returns those figures.
    pub(crate) fn save_version_outputs(
        &mut self,
        model: &ModelInfo,
        outputs: &VersionOutputs,
        skip: &Unrankable,
        missing: &[MissingVector],
        strategy: Strategy,
        previous: Option<i64>,
    ) -> Result<RoundPool> {
        self.store.save_predictions(model.row.id, &outputs.rows)?;
        let run = self.store.start_scoring_run(
            model.row.id,
            "cpu",
            &format!("sift-learn {}", env!("CARGO_PKG_VERSION")),
        )?;
        let names: Vec<String> = Strategy::ALL.iter().map(|s| s.name().to_owned()).collect();
        let mut records = Vec::with_capacity(SCORE_CHUNK);
        let (mut sum, mut count) = (0.0_f64, 0_u64);
        let flush = |records: &mut Vec<ScoreRecord>, store: &mut sift_store::Store| -> Result<()> {
            if !records.is_empty() {
                store.save_scores(run, model.row.id, records)?;
                records.clear();
            }
            Ok(())
        };
        for (row, score) in outputs.rows.iter().zip(&outputs.scores) {
            if skip.started(row.item_id) {
                continue;
            }
            let record = match score {
                Some(s) => {
                    sum += f64::from(s.get(strategy));
                    count += 1;
                    ScoreRecord {
                        item_id: row.item_id,
                        scores: Strategy::ALL
                            .iter()
                            .zip(&names)
                            .map(|(st, n)| (n.clone(), Some(f64::from(s.get(*st)))))
                            .collect(),
                        error: None,
                        embedding: None,
                    }
                }
                None => failed(
                    row.item_id,
                    "the head's output holds NaN or infinite values",
                    &names,
                ),
            };
            records.push(record);
            if records.len() >= SCORE_CHUNK {
                flush(&mut records, &mut self.store)?;
            }
        }
        for m in missing {
            if !skip.started(m.item_id) {
                records.push(failed(m.item_id, &m.reason, &names));
                if records.len() >= SCORE_CHUNK {
                    flush(&mut records, &mut self.store)?;
                }
            }
        }
        flush(&mut records, &mut self.store)?;
        self.store.finish_scoring_run(run, "finished")?;
        let (changed_share, kappa) = match previous {
            Some(prev) => self.compare_predictions(prev, &outputs.rows)?,
            None => (None, None),
        };
        let pool = RoundPool {
            strategy: strategy.name().to_owned(),
            pool_items: outputs.rows.len() as u64,
            mean_uncertainty: (count > 0).then(|| sum / count as f64),
            changed_share,
            kappa,
        };
        self.store.set_round_pool(model.row.id, &pool)?;
        Ok(pool)
    }

    /// Share of changed top predictions and Cohen's kappa between a previous version's
    /// stored predictions and `rows`, on the items both predicted.
    fn compare_predictions(
        &self,
        previous: i64,
        rows: &[PredictionRow],
    ) -> Result<(Option<f64>, Option<f64>)> {
        let before: HashMap<i64, u32> = self.store.prediction_tops(previous)?.into_iter().collect();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for row in rows {
            if let Some(&old) = before.get(&row.item_id) {
                a.push(old);
                b.push(row.top);
            }
        }
        if a.is_empty() {
            return Ok((None, None));
        }
        let changed = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        Ok((Some(changed as f64 / a.len() as f64), cohen_kappa(&a, &b).ok()))
    }

    /// Makes `ranked` (item, score) the learned queue order, most informative first (ties:
    /// the lower item id), leaving out items that are started, assigned or machine-labeled at
    /// read time. Returns the head of the order.
    pub(crate) fn requeue(
        &mut self,
        model_version_id: i64,
        strategy: Strategy,
        mut ranked: Vec<(i64, f64)>,
    ) -> Result<(u64, Vec<BatchEntry>)> {
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        self.store
            .replace_queue_order(Some(model_version_id), strategy.name(), &ranked)?;
        let first = ranked
            .iter()
            .take(REPORTED_ORDER)
            .map(|&(item_id, score)| BatchEntry { item_id, score })
            .collect();
        Ok((ranked.len() as u64, first))
    }
}

fn failed(item_id: i64, reason: &str, names: &[String]) -> ScoreRecord {
    ScoreRecord {
        item_id,
        scores: names.iter().map(|n| (n.clone(), None)).collect(),
        error: Some(reason.to_owned()),
        embedding: None,
    }
}

/// Scores rows of class probabilities (`n x k`): the four strategies per row, `None` for a row
/// that is not a distribution.
pub(crate) fn single_label_scores(probabilities: &[f32], k: usize) -> Vec<Option<RowScores>> {
    match sift_al::score_rows(probabilities, k, sift_al::Input::Probabilities) {
        Ok(scores) => scores.iter().map(Result::ok).collect(),
        Err(_) => vec![None; probabilities.len() / k.max(1)],
    }
}

/// Scores rows of independent label probabilities (`n x k`): each label's yes/no
/// distribution scored on its own, averaged over the labels.
pub(crate) fn multi_label_scores(probabilities: &[f32], k: usize) -> Vec<Option<RowScores>> {
    let pairs: Vec<f32> = probabilities.iter().flat_map(|&p| [p, 1.0 - p]).collect();
    let per_label = single_label_scores(&pairs, 2);
    per_label
        .chunks(k.max(1))
        .map(|labels| {
            let mut sum = RowScores::default();
            for l in labels {
                let s = (*l)?;
                sum.least_confidence += s.least_confidence;
                sum.margin += s.margin;
                sum.ratio += s.ratio;
                sum.entropy += s.entropy;
            }
            let n = labels.len() as f32;
            Some(RowScores {
                least_confidence: sum.least_confidence / n,
                margin: sum.margin / n,
                ratio: sum.ratio / n,
                entropy: sum.entropy / n,
            })
        })
        .collect()
}

/// The column of the largest value (first on ties; NaN never wins).
pub(crate) fn argmax(row: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || row[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best as u32
}

/// Times a closure.
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

impl Project {
    /// Predictions of `info` for the items its score pass left without an output (labeled
    /// items, items with a draft, items that failed): the scorer runs over them in batches and
    /// only class probabilities are kept (a model with reduced scores predicts nothing: it stops
    /// after the first batch it answered without one). Stops with what it has when `cancel` is
    /// set.
    pub(crate) fn predict_unscored(
        &mut self,
        info: &ModelInfo,
        scorer: &mut dyn crate::scoring::Scorer,
        batch_size: usize,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Vec<PredictionRow>> {
        let inject = self.injected_vectors(info.row.id)?;
        let take = u32::try_from(batch_size.max(1)).unwrap_or(u32::MAX);
        let (mut rows, mut after) = (Vec::new(), 0);
        while !cancel.load(std::sync::atomic::Ordering::Relaxed) {
            let batch = self.store.items_to_embed(info.row.id, after, take)?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            let inputs: Vec<_> = batch
                .into_iter()
                .map(|r| crate::scoring::score_input(r, inject.as_ref()))
                .collect();
            let outputs = scorer.run_batch(&inputs).map_err(|e| {
                crate::Error::BadRequest(format!("predicting with {} failed: {e}", info.label()))
            })?;
            let (mut answered, mut classes) = (false, false);
            for (input, output) in inputs.iter().zip(outputs) {
                let Ok(output) = output else { continue };
                answered = true;
                if let Some(values) = crate::scoring::probabilities_of(&output) {
                    classes = true;
                    rows.push(PredictionRow {
                        item_id: input.item_id,
                        top: argmax(&values),
                        values,
                    });
                }
            }
            // A model without classes (reduced scores: captioners, Q&A models) predicts nothing;
            // one batch it answered tells, and the rest of the pool is not run again for nothing.
            if answered && !classes {
                break;
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_argmax() {
        let s = single_label_scores(&[0.5, 0.5, 1.0, 0.0, f32::NAN, 0.5], 2);
        assert!((s[0].unwrap().margin - 1.0).abs() < 1e-6);
        assert!(s[1].unwrap().margin.abs() < 1e-6);
        assert!(s[2].is_none());
        let m = multi_label_scores(&[0.5, 1.0], 2);
        assert!((m[0].unwrap().margin - 0.5).abs() < 1e-6);
        assert_eq!(argmax(&[0.1, 0.7, 0.7]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.2]), 1);
    }
}
