//! Active learning: registering model versions, scoring the unlabeled pool, and turning the
//! scores into a batch ordered by informativeness.
//!
//! This module knows no model runtime. A [`Scorer`] (ONNX Runtime in `sift-onnx`, a stub in
//! tests) turns items into model outputs; [`Project::score`] streams the unscored, unlabeled
//! items to it in batches, scores each output with the four uncertainty strategies of
//! `sift-al` and saves every batch in its own transaction, so a cancelled or interrupted run
//! keeps its work and a rerun with the same model version skips what is already scored.
//! [`Project::build_queue`] ranks the scores (optionally for diversity) into a batch, deals it
//! out to annotators, and the annotator queue then serves the items in that order.
//!
//! This file holds what a model is handed and gives back; `runner` the [`BatchModel`] trait
//! (a [`Scorer`] and an [`Encoder`](crate::Encoder) are both one) and the recorded pass that
//! drives it, `models` the model registry, `score` scoring runs, `queue` batches from scores.
//!
//! [`Project::score`]: crate::Project::score
//! [`Project::build_queue`]: crate::Project::build_queue

mod models;
mod queue;
mod runner;
mod score;
#[cfg(test)]
mod tests;

use sift_al::RowScores;

pub use models::{ModelInfo, NewModel, parse_model_spec};
pub use queue::{BatchEntry, BatchReport, PlainBatchReport, QueueOptions};
pub use runner::{BatchModel, Scorer};
pub(crate) use runner::{Pass, run_pass};
pub use score::{ScoreFailure, ScoreOptions, ScoreReport, score_output};
pub(crate) use score::{probabilities_of, records_for, score_input};

/// One item handed to a [`Scorer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreInput {
    /// The item's id (results are matched back to it).
    pub item_id: i64,
    /// The manifest object as imported (JSON text).
    pub content: String,
    /// The item's media (`source-ref`) as resolved at import: a local path or a remote URI.
    pub media_ref: Option<String>,
}

/// What a model said about one item.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelOutput {
    /// Unnormalised class scores; turned into probabilities with a max-shifted softmax.
    Logits(Vec<f32>),
    /// Class probabilities (validated: they must be finite, non-negative and sum to 1).
    Probabilities(Vec<f32>),
    /// Scores the scorer reduced itself, e.g. the mean over the tokens of a sequence output.
    Reduced(RowScores),
}

/// One item's model output, plus an optional vector for batch diversity (without one, the
/// class probabilities are used).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemOutput {
    /// What the model said, to be turned into uncertainty scores.
    pub output: ModelOutput,
    /// A vector for diverse batches (e.g. a pooled hidden state), if the model gives one.
    pub embedding: Option<Vec<f32>>,
}

impl ItemOutput {
    /// An output without an embedding.
    pub fn new(output: ModelOutput) -> Self {
        Self {
            output,
            embedding: None,
        }
    }
}

/// The outcome for one item: its output, or why it could not be scored (an unreadable image,
/// a missing field). A failed item is recorded with its reason; the run goes on.
pub type ItemResult = std::result::Result<ItemOutput, String>;

/// What ran a scoring pass, recorded with the run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunInfo {
    /// e.g. `cpu` or `cuda:0`.
    pub device: String,
    /// e.g. `onnxruntime 1.31.1`.
    pub runtime_version: String,
}

/// An error that stops a whole scoring pass (the model rejects the input tensor, the runtime
/// fails), as opposed to one item's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScorerError(pub String);
