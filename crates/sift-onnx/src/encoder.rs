//! [`OnnxEncoder`]: sift-api's [`Encoder`] on ONNX Runtime. A model whose config says
//! `output.kind = "embedding"` turns each item into one vector (a row of its `[batch, d]`
//! output), through the same input adapters and the same pipeline as scoring: preprocessing on
//! worker threads overlapping inference, CPU or CUDA.

use std::path::Path;

use ort::session::SessionOutputs;
use sift_api::{BatchModel, RunInfo, ScoreInput, ScorerError, VectorResult};

use crate::adapters::Prepared;
use crate::config::ModelConfig;
use crate::error::OnnxError;
use crate::model::{ModelSignature, Plan};
use crate::pipeline;
use crate::scorer::{OnnxScorer, ScorerOptions, extract};

/// An encoder opened for embedding.
#[derive(Debug)]
pub struct OnnxEncoder {
    model: OnnxScorer,
}

impl OnnxEncoder {
    /// Opens `model_path` with its `config` (which must declare an encoder), checks one against
    /// the other, and places the model on the requested device (as [`OnnxScorer::open`]).
    ///
    /// # Errors
    ///
    /// [`OnnxError::Kind`] when the config is not an encoder's; otherwise as
    /// [`OnnxScorer::open`].
    pub fn open(
        model_path: &Path,
        config: &ModelConfig,
        asset_dir: &Path,
        options: &ScorerOptions,
    ) -> Result<Self, OnnxError> {
        if !config.is_encoder() {
            return Err(OnnxError::Kind(format!(
                "{} is not an encoder: its config reads the output as class scores; an encoder's config says \
                 output.kind = \"embedding\" and names a [batch, dimensions] output",
                model_path.display()
            )));
        }
        let model = OnnxScorer::open_any(model_path, config, asset_dir, options, "embedding")?;
        Ok(Self { model })
    }

    /// What happened while opening: the device chosen and why.
    pub fn notes(&self) -> &[String] {
        self.model.notes()
    }

    /// What the model declares.
    pub fn signature(&self) -> &ModelSignature {
        self.model.signature()
    }

    /// The length of the vectors, when the model fixes it.
    pub fn dim(&self) -> Option<usize> {
        self.model.plan().output.dim
    }

    /// The largest batch the model accepts (`requested`, or the model's fixed batch size).
    pub fn batch_size(&self, requested: usize) -> usize {
        self.model.batch_size(requested)
    }

    /// Runs the model on a prepared batch and reads each item's vector.
    ///
    /// # Errors
    ///
    /// A [`ScorerError`] when ONNX Runtime rejects the batch or the output is not
    /// `[batch, d]`.
    pub fn run_prepared(&mut self, prepared: Prepared) -> Result<Vec<VectorResult>, ScorerError> {
        self.model.run_with(prepared, read_vectors)
    }
}

/// Each item's row of the `[batch, d]` output.
fn read_vectors(
    plan: &Plan,
    outputs: &SessionOutputs<'_>,
    prepared: &Prepared,
) -> Result<Vec<VectorResult>, ScorerError> {
    let name = &plan.output.name;
    let (shape, data) = extract(outputs, name)?;
    let (rows, dim) = match shape.as_slice() {
        &[rows, dim] if rows == prepared.rows && dim > 0 => (rows, dim),
        _ => {
            return Err(ScorerError(format!(
                "encoder output `{name}` has shape {shape:?} for a batch of {} items; an encoder gives [batch, dimensions]",
                prepared.rows
            )));
        }
    };
    Ok(prepared
        .items
        .iter()
        .map(|item| {
            let r = item.clone()?.start;
            if r >= rows {
                return Err(format!("the encoder gave no row {r}"));
            }
            data.get(r * dim..(r + 1) * dim)
                .map(<[f32]>::to_vec)
                .ok_or_else(|| format!("the encoder output has no row {r}"))
        })
        .collect())
}

impl BatchModel for OnnxEncoder {
    type Output = VectorResult;

    fn describe(&self) -> RunInfo {
        self.model.describe()
    }

    fn run_batch(&mut self, items: &[ScoreInput]) -> Result<Vec<VectorResult>, ScorerError> {
        let prepared = self.model.prepare(items);
        self.run_prepared(prepared)
    }

    /// Decoding and tokenizing run on worker threads while the calling thread runs the model.
    fn run_stream(
        &mut self,
        next: &mut dyn FnMut() -> Option<Vec<ScoreInput>>,
        done: &mut dyn FnMut(Vec<ScoreInput>, Vec<VectorResult>) -> bool,
    ) -> Result<(), ScorerError> {
        let adapter = self.model.plan().adapter.clone();
        let workers = self.model.workers();
        pipeline::run(
            &adapter,
            workers,
            next,
            &mut |prepared| self.run_prepared(prepared),
            done,
        )
    }
}
