//! Scoring runs: [`Project::score`] streams the unscored, unlabeled items to a [`Scorer`] and
//! stores each output's four uncertainty scores (and a vector for diversity).

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use sift_al::{Input, RowScores, Strategy};
use sift_store::ScoreRecord;

use super::{ItemOutput, ItemResult, ModelInfo, ModelOutput, Pass, ScoreInput, Scorer, run_pass};
use crate::{Progress, Project, Result};

/// Options of [`Project::score`].
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    /// Items per model batch (and per saved transaction).
    pub batch_size: usize,
    /// Stop after this many items (for trials); `None` scores the whole pool.
    pub limit: Option<u64>,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        Self {
            batch_size: 32,
            limit: None,
        }
    }
}

/// One item that could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScoreFailure {
    /// The item that failed.
    pub item_id: i64,
    /// Why (a missing field, an unreadable image, an invalid output).
    pub reason: String,
}

/// What a scoring run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScoreReport {
    /// The run's id among the model version's recorded runs.
    pub run_id: i64,
    /// The model's name.
    pub model: String,
    /// The model's version.
    pub version: i64,
    /// Where it ran, e.g. `cpu` or `cuda:0`.
    pub device: String,
    /// The runtime that ran it, e.g. `onnxruntime 1.31.1`.
    pub runtime_version: String,
    /// Items given scores in this run.
    pub items_scored: u64,
    /// Items that could not be scored in this run (see `failures`).
    pub items_failed: u64,
    /// Unlabeled items this model version had already scored (skipped).
    pub already_scored: u64,
    /// Whether the run was cancelled before the pool was done (rerun to resume).
    pub cancelled: bool,
    /// Wall-clock time of the run.
    pub seconds: f64,
    /// Items scored or failed per second of `seconds` (0 for an instant run).
    pub items_per_second: f64,
    /// The first failures (at most 100), with their reasons.
    pub failures: Vec<ScoreFailure>,
}

/// Largest number of classes whose probabilities are kept as the diversity vector.
const MAX_EMBEDDING_DIM: usize = 1024;

impl Project {
    /// Scores every unlabeled item `model` has not scored yet with `scorer`, in batches of
    /// `opts.batch_size`, saving each batch as it completes. Items that cannot be scored are
    /// recorded with their reason (and reported through `progress`); the run goes on. Setting
    /// `cancel` stops the run after the batch in flight; what was saved stays, and a rerun
    /// resumes with the remaining items.
    ///
    /// The run (device, runtime version, counts, outcome) is recorded; earlier runs and other
    /// model versions' scores are kept.
    pub fn score(
        &mut self,
        model: &ModelInfo,
        scorer: &mut dyn Scorer,
        opts: &ScoreOptions,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<ScoreReport> {
        let started = Instant::now();
        let model_id = model.row.id;
        let pending = self.store.count_items_to_score(model_id)?;
        let unlabeled = self.store.status()?.unlabeled;
        let total = opts.limit.map_or(pending, |l| l.min(pending));
        // A version the loop trained on stored vectors reads them from the item.
        let inject = self.injected_vectors(model_id)?;
        let strategies: Vec<String> = Strategy::ALL.iter().map(|s| s.name().to_owned()).collect();
        let pass = Pass {
            model,
            what: "scoring",
            total,
            batch_size: opts.batch_size,
            progress,
            cancel,
        };
        let run = run_pass(
            &mut self.store,
            scorer,
            &pass,
            |store, after_id, take| store.items_to_score(model_id, after_id, take),
            |r| score_input(r, inject.as_ref()),
            |batch, results| {
                let records = records_for(batch, results, &strategies);
                let failures = records
                    .iter()
                    .filter_map(|record| {
                        record.error.as_ref().map(|reason| ScoreFailure {
                            item_id: record.item_id,
                            reason: reason.clone(),
                        })
                    })
                    .collect();
                (records, failures)
            },
            |store, run_id, records, _failed| store.save_scores(run_id, model_id, records),
        )?;
        self.store.append_event(
            None,
            "scoring_run",
            &serde_json::json!({
                "run_id": run.run_id, "model": model.row.name, "version": model.row.version,
                "device": run.info.device, "runtime_version": run.info.runtime_version,
                "scored": run.done, "failed": run.failed, "status": run.status
            }),
        )?;
        let (seconds, items_per_second) = run.rate(started);
        Ok(ScoreReport {
            run_id: run.run_id,
            model: model.row.name.clone(),
            version: model.row.version,
            device: run.info.device,
            runtime_version: run.info.runtime_version,
            items_scored: run.done,
            items_failed: run.failed,
            already_scored: unlabeled.saturating_sub(pending),
            cancelled: run.cancelled,
            seconds,
            items_per_second,
            failures: run.failures,
        })
    }
}

/// The scorer's input for an item; a version the loop trained on stored vectors (`inject`)
/// reads the item's vector from its content.
pub(crate) fn score_input(r: sift_store::ItemRow, inject: Option<&crate::learn::Pool>) -> ScoreInput {
    ScoreInput {
        item_id: r.id,
        content: match inject.and_then(|p| p.row(r.id).map(|row| p.vector(row))) {
            Some(v) => crate::learn::with_vector(r.content, v),
            None => r.content,
        },
        media_ref: r.media_ref,
    }
}

/// Class probabilities of an output that has classes (probabilities as given, logits through a
/// softmax); `None` for reduced scores or values that are not finite.
pub(crate) fn probabilities_of(output: &ItemOutput) -> Option<Vec<f32>> {
    let p = match &output.output {
        ModelOutput::Probabilities(row) => row.clone(),
        ModelOutput::Logits(row) => softmax(row),
        ModelOutput::Reduced(_) => return None,
    };
    (!p.is_empty() && p.iter().all(|x| x.is_finite())).then_some(p)
}

/// Turns a batch's scorer results into the records to store.
pub(crate) fn records_for(
    batch: &[ScoreInput],
    results: Vec<ItemResult>,
    strategies: &[String],
) -> Vec<ScoreRecord> {
    let mut results = results.into_iter();
    batch
        .iter()
        .map(|input| {
            let outcome = results
                .next()
                .unwrap_or_else(|| Err("the scorer returned no result for this item".to_owned()))
                .and_then(|out| score_output(&out).map(|scores| (scores, embedding_of(out))));
            match outcome {
                Ok((scores, embedding)) => ScoreRecord {
                    item_id: input.item_id,
                    scores: Strategy::ALL
                        .iter()
                        .zip(strategies)
                        .map(|(s, name)| (name.clone(), Some(f64::from(scores.get(*s)))))
                        .collect(),
                    error: None,
                    embedding,
                },
                Err(reason) => ScoreRecord {
                    item_id: input.item_id,
                    scores: strategies.iter().map(|name| (name.clone(), None)).collect(),
                    error: Some(reason),
                    embedding: None,
                },
            }
        })
        .collect()
}

/// The four uncertainty scores of one model output (see `sift_al::score_rows`); non-finite
/// outputs and rows that are not distributions are errors, never ranked.
pub fn score_output(output: &ItemOutput) -> std::result::Result<RowScores, String> {
    let (row, input) = match &output.output {
        ModelOutput::Reduced(scores) => {
            let all = [
                scores.least_confidence,
                scores.margin,
                scores.ratio,
                scores.entropy,
            ];
            return if all.iter().all(|v| v.is_finite()) {
                Ok(*scores)
            } else {
                Err("the model output holds NaN or infinite values".to_owned())
            };
        }
        ModelOutput::Logits(row) => (row, Input::Logits),
        ModelOutput::Probabilities(row) => (row, Input::Probabilities),
    };
    if row.is_empty() {
        return Err("the model returned no classes for this item".to_owned());
    }
    let scores = sift_al::score_rows(row, row.len(), input).map_err(|e| format!("model output: {e}"))?;
    match scores.row(0) {
        Some(Ok(s)) => Ok(s),
        Some(Err(e)) => Err(format!("model output: {e}")),
        None => Err("the model returned no output for this item".to_owned()),
    }
}

/// The vector stored for diversity: the scorer's own, else the class probabilities.
pub(super) fn embedding_of(output: ItemOutput) -> Option<Vec<f32>> {
    if let Some(v) = output.embedding {
        return v.iter().all(|x| x.is_finite()).then_some(v);
    }
    match output.output {
        ModelOutput::Probabilities(row) if row.len() <= MAX_EMBEDDING_DIM => Some(row),
        ModelOutput::Logits(row) if row.len() <= MAX_EMBEDDING_DIM => Some(softmax(&row)),
        _ => None,
    }
}

fn softmax(row: &[f32]) -> Vec<f32> {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f64> = row.iter().map(|&z| f64::from(z - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| (e / sum) as f32).collect()
}
