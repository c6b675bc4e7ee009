//! Encoders and stored embeddings: [`Project::embed`] computes each item's vector once per
//! encoder version and stores it, for heads trained on embeddings and for rescoring without
//! running the encoder again.
//!
//! Like [`Project::score`](crate::Project::score), this module knows no model runtime: an
//! [`Encoder`] (ONNX Runtime in `sift-onnx`) turns items into vectors. Every item (labeled or
//! not) that the encoder version has no vector for is streamed to it in import order, in
//! batches; each batch's vectors are saved in one transaction, so a cancelled or interrupted
//! run keeps its work and a rerun skips what is stored. The run (device, runtime, counts,
//! outcome) is recorded with the model version's other runs.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use sift_store::EmbeddingCounts;

use crate::scoring::{ModelInfo, RunInfo, ScoreFailure, ScoreInput, ScorerError};
use crate::{Error, Progress, Project, Result};

/// One item's vector, or why it has none (a missing field, an unreadable image).
pub type VectorResult = std::result::Result<Vec<f32>, String>;

/// Turns items into vectors. Implementations live outside the core (`sift-onnx`).
pub trait Encoder {
    /// The device and runtime that run the encoder.
    fn describe(&self) -> RunInfo;

    /// Encodes a batch: one result per input, in order.
    ///
    /// # Errors
    ///
    /// A [`ScorerError`] when the batch as a whole cannot be run.
    fn encode_batch(&mut self, items: &[ScoreInput]) -> std::result::Result<Vec<VectorResult>, ScorerError>;

    /// Encodes a stream of batches: takes batches from `next` until it returns `None` and hands
    /// each batch with its results to `done`, in order, stopping early when `done` returns
    /// `false`. The default runs [`Encoder::encode_batch`] on each batch in turn;
    /// implementations override it to prepare later batches while the model runs.
    ///
    /// # Errors
    ///
    /// The first [`ScorerError`].
    fn encode_stream(
        &mut self,
        next: &mut dyn FnMut() -> Option<Vec<ScoreInput>>,
        done: &mut dyn FnMut(Vec<ScoreInput>, Vec<VectorResult>) -> bool,
    ) -> std::result::Result<(), ScorerError> {
        while let Some(batch) = next() {
            let results = self.encode_batch(&batch)?;
            if !done(batch, results) {
                break;
            }
        }
        Ok(())
    }
}

/// Options of [`Project::embed`].
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// Items per encoder batch (and per saved transaction).
    pub batch_size: usize,
    /// Stop after this many items (for trials); `None` embeds every item.
    pub limit: Option<u64>,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        Self {
            batch_size: 32,
            limit: None,
        }
    }
}

/// What an embedding run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EmbedReport {
    /// The run's id among the model version's recorded runs.
    pub run_id: i64,
    /// The encoder model's name.
    pub model: String,
    /// The encoder model's version.
    pub version: i64,
    /// Where it ran, e.g. `cpu` or `cuda:0`.
    pub device: String,
    /// The runtime that ran it, e.g. `onnxruntime 1.31.1`.
    pub runtime_version: String,
    /// The vectors' length (`None` when no item has one yet).
    pub dim: Option<usize>,
    /// Items given a vector in this run.
    pub items_embedded: u64,
    /// Items that could not be embedded in this run (see `failures`); a rerun tries them again.
    pub items_failed: u64,
    /// Items that already had a vector from this encoder version (skipped).
    pub already_embedded: u64,
    /// Whether the run was cancelled before every item was done (rerun to resume).
    pub cancelled: bool,
    /// Wall-clock time of the run.
    pub seconds: f64,
    /// Items embedded or failed per second of `seconds` (0 for an instant run).
    pub items_per_second: f64,
    /// The first failures (at most 100), with their reasons.
    pub failures: Vec<ScoreFailure>,
}

/// How many failures a report lists.
const MAX_REPORTED_FAILURES: usize = 100;

/// Checks one vector: non-empty, finite, and as long as the version's other vectors (`dim`,
/// set by the first vector when there is none yet).
fn check_vector(vector: &[f32], dim: &mut Option<usize>) -> std::result::Result<(), String> {
    if vector.is_empty() {
        return Err("the encoder returned an empty vector".to_owned());
    }
    if !vector.iter().all(|v| v.is_finite()) {
        return Err("the encoder output holds NaN or infinite values".to_owned());
    }
    match *dim {
        Some(d) if d != vector.len() => Err(format!(
            "the encoder returned {} values; this version's vectors have {d}",
            vector.len()
        )),
        Some(_) => Ok(()),
        None => {
            *dim = Some(vector.len());
            Ok(())
        }
    }
}

impl Project {
    /// Computes and stores a vector with `encoder` for every item that `model` (an encoder
    /// version) has none for, in batches of `opts.batch_size`, saving each batch as it
    /// completes. Items that cannot be embedded are reported (through `progress` and the
    /// report) and tried again by the next run. Setting `cancel` stops the run after the batch
    /// in flight; what was saved stays, and a rerun resumes with the remaining items.
    pub fn embed(
        &mut self,
        model: &ModelInfo,
        encoder: &mut dyn Encoder,
        opts: &EmbedOptions,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<EmbedReport> {
        let started = Instant::now();
        let batch_size = opts.batch_size.clamp(1, 1 << 16);
        let info = encoder.describe();
        let model_id = model.row.id;
        let pending = self.store.count_items_to_embed(model_id)?;
        let items = self.store.status()?.items;
        let total = opts.limit.map_or(pending, |l| l.min(pending));
        let mut dim = self.store.embedding_dim(model_id)?;
        let run_id = self
            .store
            .start_scoring_run(model_id, &info.device, &info.runtime_version)?;
        progress.start("embedding", Some(total));

        let mut after_id = 0_i64;
        let mut handed_out = 0_u64;
        let (mut embedded, mut failed) = (0_u64, 0_u64);
        let mut failures = Vec::new();
        let error: RefCell<Option<Error>> = RefCell::new(None);
        let outcome = {
            // The source reads the store and the sink writes it; they run on this thread one
            // at a time, so they share it through a RefCell.
            let store = RefCell::new(&mut self.store);
            let mut next = || -> Option<Vec<ScoreInput>> {
                if cancel.load(Ordering::Relaxed) || error.borrow().is_some() {
                    return None;
                }
                let left = total.saturating_sub(handed_out);
                if left == 0 {
                    return None;
                }
                let take = (batch_size as u64).min(left) as u32;
                let rows = match store.borrow().items_to_embed(model_id, after_id, take) {
                    Ok(rows) => rows,
                    Err(e) => {
                        *error.borrow_mut() = Some(e.into());
                        return None;
                    }
                };
                after_id = rows.last()?.id;
                handed_out += rows.len() as u64;
                Some(
                    rows.into_iter()
                        .map(|r| ScoreInput {
                            item_id: r.id,
                            content: r.content,
                            media_ref: r.media_ref,
                        })
                        .collect(),
                )
            };
            let mut done = |batch: Vec<ScoreInput>, results: Vec<VectorResult>| -> bool {
                let mut results = results.into_iter();
                let mut vectors = Vec::with_capacity(batch.len());
                let mut batch_failed = 0_u64;
                for input in &batch {
                    let outcome = results
                        .next()
                        .unwrap_or_else(|| Err("the encoder returned no result for this item".to_owned()))
                        .and_then(|v| check_vector(&v, &mut dim).map(|()| v));
                    match outcome {
                        Ok(v) => vectors.push((input.item_id, v)),
                        Err(reason) => {
                            batch_failed += 1;
                            progress.note(&format!("item {}: {reason}", input.item_id));
                            if failures.len() < MAX_REPORTED_FAILURES {
                                failures.push(ScoreFailure {
                                    item_id: input.item_id,
                                    reason,
                                });
                            }
                        }
                    }
                }
                if let Err(e) = store
                    .borrow_mut()
                    .save_embeddings(run_id, model_id, &vectors, batch_failed)
                {
                    *error.borrow_mut() = Some(e.into());
                    return false;
                }
                embedded += vectors.len() as u64;
                failed += batch_failed;
                progress.set_position(embedded + failed);
                !cancel.load(Ordering::Relaxed)
            };
            encoder.encode_stream(&mut next, &mut done)
        };
        progress.finish();
        let cancelled = cancel.load(Ordering::Relaxed) && embedded + failed < total;
        let error = error.into_inner();
        let status = match (&outcome, &error) {
            (Ok(()), None) if cancelled => "cancelled",
            (Ok(()), None) => "finished",
            _ => "failed",
        };
        self.store.finish_scoring_run(run_id, status)?;
        if let Some(e) = error {
            return Err(e);
        }
        outcome.map_err(|e| Error::BadRequest(format!("embedding with {} failed: {e}", model.label())))?;
        self.store.append_event(
            None,
            "embedding_run",
            &serde_json::json!({
                "run_id": run_id, "model": model.row.name, "version": model.row.version,
                "device": info.device, "runtime_version": info.runtime_version, "dim": dim,
                "embedded": embedded, "failed": failed, "status": status
            }),
        )?;
        let seconds = started.elapsed().as_secs_f64();
        Ok(EmbedReport {
            run_id,
            model: model.row.name.clone(),
            version: model.row.version,
            device: info.device,
            runtime_version: info.runtime_version,
            dim,
            items_embedded: embedded,
            items_failed: failed,
            already_embedded: items.saturating_sub(pending),
            cancelled,
            seconds,
            items_per_second: if seconds > 0.0 {
                (embedded + failed) as f64 / seconds
            } else {
                0.0
            },
            failures,
        })
    }

    /// Per model version with stored vectors: how many items have one, and their length.
    pub fn embedding_counts(&self) -> Result<Vec<EmbeddingCounts>> {
        Ok(self.store.embedding_counts()?)
    }

    /// Calls `f(item_id, vector)` for every vector `model` has stored, in item order, one at a
    /// time (the whole set is never in memory); `f` returns `false` to stop.
    pub fn for_each_embedding(&self, model: &ModelInfo, f: impl FnMut(i64, &[f32]) -> bool) -> Result<()> {
        Ok(self.store.for_each_embedding(model.row.id, f)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_checked() {
        let mut dim = None;
        assert!(check_vector(&[], &mut dim).unwrap_err().contains("empty"));
        assert!(
            check_vector(&[f32::NAN, 1.0], &mut dim)
                .unwrap_err()
                .contains("NaN")
        );
        assert_eq!(dim, None);
        check_vector(&[0.5, 1.0], &mut dim).unwrap();
        assert_eq!(dim, Some(2));
        assert_eq!(
            check_vector(&[0.5, 1.0, 2.0], &mut dim).unwrap_err(),
            "the encoder returned 3 values; this version's vectors have 2"
        );
    }
}
