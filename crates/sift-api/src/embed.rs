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

use std::sync::atomic::AtomicBool;
use std::time::Instant;

pub use sift_store::EmbeddingCounts;

use crate::scoring::{BatchModel, ModelInfo, Pass, ScoreFailure, ScoreInput, run_pass};
use crate::{Progress, Project, Result};

/// One item's vector, or why it has none (a missing field, an unreadable image).
pub type VectorResult = std::result::Result<Vec<f32>, String>;

/// Turns items into vectors (a [`BatchModel`] of [`VectorResult`]s). Implementations live
/// outside the core (`sift-onnx`).
pub trait Encoder: BatchModel<Output = VectorResult> {}

impl<M: BatchModel<Output = VectorResult> + ?Sized> Encoder for M {}

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

/// Checks one vector: non-empty, finite, and as long as the version's other vectors (`dim`,
/// set by the first vector when there is none yet).
pub(crate) fn check_vector(vector: &[f32], dim: &mut Option<usize>) -> std::result::Result<(), String> {
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
        let model_id = model.row.id;
        let pending = self.store.count_items_to_embed(model_id)?;
        let items = self.store.status()?.items;
        let total = opts.limit.map_or(pending, |l| l.min(pending));
        let mut dim = self.store.embedding_dim(model_id)?;
        let pass = Pass {
            model,
            what: "embedding",
            total,
            batch_size: opts.batch_size,
            progress,
            cancel,
        };
        let run = run_pass(
            &mut self.store,
            encoder,
            &pass,
            |store, after_id, take| store.items_to_embed(model_id, after_id, take),
            |r| ScoreInput {
                item_id: r.id,
                content: r.content,
                media_ref: r.media_ref,
            },
            |batch, results| {
                let mut results = results.into_iter();
                let mut vectors = Vec::with_capacity(batch.len());
                let mut failures = Vec::new();
                for input in batch {
                    let outcome = results
                        .next()
                        .unwrap_or_else(|| Err("the encoder returned no result for this item".to_owned()))
                        .and_then(|v| check_vector(&v, &mut dim).map(|()| v));
                    match outcome {
                        Ok(v) => vectors.push((input.item_id, v)),
                        Err(reason) => failures.push(ScoreFailure {
                            item_id: input.item_id,
                            reason,
                        }),
                    }
                }
                (vectors, failures)
            },
            |store, run_id, vectors, failed| store.save_embeddings(run_id, model_id, vectors, failed),
        )?;
        self.store.append_event(
            None,
            "embedding_run",
            &serde_json::json!({
                "run_id": run.run_id, "model": model.row.name, "version": model.row.version,
                "device": run.info.device, "runtime_version": run.info.runtime_version, "dim": dim,
                "embedded": run.done, "failed": run.failed, "status": run.status
            }),
        )?;
        let (seconds, items_per_second) = run.rate(started);
        Ok(EmbedReport {
            run_id: run.run_id,
            model: model.row.name.clone(),
            version: model.row.version,
            device: run.info.device,
            runtime_version: run.info.runtime_version,
            dim,
            items_embedded: run.done,
            items_failed: run.failed,
            already_embedded: items.saturating_sub(pending),
            cancelled: run.cancelled,
            seconds,
            items_per_second,
            failures: run.failures,
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
