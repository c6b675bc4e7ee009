//! [`OnnxScorer`]: sift-api's [`Scorer`] on ONNX Runtime, with decoding and preprocessing on
//! worker threads overlapping inference.

use std::path::{Path, PathBuf};

use ort::session::{Session, SessionInputValue, SessionOutputs};
use ort::value::{Tensor, TensorElementType};
use sift_api::{
    BatchModel, ItemOutput, ItemResult, ModelOutput, RowScores, RunInfo, ScoreInput, ScorerError,
};

use crate::adapters::{self, FeedData, Prepared};
use crate::config::{ModelConfig, OutputKind, Reduce};
use crate::error::OnnxError;
use crate::model::{Adapter, ModelSignature, Plan};
use crate::pipeline;
use crate::runtime::{Device, Runtime, runtime};

/// How to open a model for scoring.
#[derive(Debug, Clone)]
pub struct ScorerOptions {
    /// Where to run the model (default [`Device::Auto`]: CUDA when available, else the CPU).
    pub device: Device,
    /// Threads ONNX Runtime uses inside an operator on the CPU (default: the machine's cores).
    pub intra_threads: Option<usize>,
    /// Threads decoding and preprocessing items (default: the machine's cores).
    pub workers: Option<usize>,
}

impl Default for ScorerOptions {
    fn default() -> Self {
        Self {
            device: Device::Auto,
            intra_threads: None,
            workers: None,
        }
    }
}

/// Reads each item's result from the model's outputs for a prepared batch.
pub(crate) type Reader<X> =
    fn(&Plan, &SessionOutputs<'_>, &Prepared) -> Result<Vec<Result<X, String>>, ScorerError>;

/// A model opened for scoring.
#[derive(Debug)]
pub struct OnnxScorer {
    session: Session,
    plan: Plan,
    info: RunInfo,
    notes: Vec<String>,
    workers: usize,
    signature: ModelSignature,
    model_path: PathBuf,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

impl OnnxScorer {
    /// Opens `model_path` with its `config`, checks one against the other, and places the
    /// model on the requested device. `asset_dir` holds the config's files (a tokenizer).
    ///
    /// `Device::Auto` tries CUDA and falls back to the CPU; [`OnnxScorer::notes`] says which
    /// ran and why. An explicit `cuda` that cannot be used is an error.
    ///
    /// # Errors
    ///
    /// A missing runtime, an unreadable model, a config that disagrees with the model, or an
    /// unusable CUDA device, each with its own [`OnnxError`].
    pub fn open(
        model_path: &Path,
        config: &ModelConfig,
        asset_dir: &Path,
        options: &ScorerOptions,
    ) -> Result<Self, OnnxError> {
        if config.is_encoder() {
            return Err(OnnxError::Kind(format!(
                "{} is an encoder (output.kind = \"embedding\"): it gives vectors, not class scores; \
                 store them with `sift embed`, or score with a classifier",
                model_path.display()
            )));
        }
        Self::open_any(model_path, config, asset_dir, options, "scoring")
    }

    /// [`OnnxScorer::open`] for any kind of model; `verb` says what the notes call the work.
    pub(crate) fn open_any(
        model_path: &Path,
        config: &ModelConfig,
        asset_dir: &Path,
        options: &ScorerOptions,
        verb: &str,
    ) -> Result<Self, OnnxError> {
        let rt = runtime()?;
        let threads = options.intra_threads.unwrap_or_else(cores).max(1);
        let mut notes = Vec::new();
        let (session, device) = match options.device {
            Device::Cpu => (
                crate::model::open_session_cpu(model_path, threads)?,
                "cpu".to_owned(),
            ),
            Device::Cuda(n) => (open_cuda(rt, model_path, n)?, format!("cuda:{n}")),
            Device::Auto => {
                if rt.has_cuda() {
                    match open_cuda(rt, model_path, 0) {
                        Ok(s) => (s, "cuda:0".to_owned()),
                        Err(e) => {
                            notes.push(format!("CUDA is not usable ({e}); {verb} on the CPU"));
                            (
                                crate::model::open_session_cpu(model_path, threads)?,
                                "cpu".to_owned(),
                            )
                        }
                    }
                } else {
                    notes.push(format!(
                        "this ONNX Runtime ({}) has no CUDA support; {verb} on the CPU",
                        rt.path.display()
                    ));
                    (
                        crate::model::open_session_cpu(model_path, threads)?,
                        "cpu".to_owned(),
                    )
                }
            }
        };
        let signature = ModelSignature::of(&session);
        let plan = Plan::new(config, &signature, asset_dir)?;
        if let Some(n) = plan.fixed_batch {
            notes.push(format!("the model takes batches of exactly {n}"));
        }
        notes.push(format!("{verb} on {device} with ONNX Runtime {}", rt.version));
        Ok(Self {
            session,
            plan,
            info: RunInfo {
                device,
                runtime_version: format!("onnxruntime {}", rt.version),
            },
            notes,
            workers: options.workers.unwrap_or_else(cores).max(1),
            signature,
            model_path: model_path.to_owned(),
        })
    }

    /// What happened while opening: the device chosen and why.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// What the model declares.
    pub fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    /// The largest batch the model accepts (`requested`, or the model's fixed batch size).
    pub fn batch_size(&self, requested: usize) -> usize {
        self.plan
            .fixed_batch
            .map_or(requested, |n| n.min(requested))
            .max(1)
    }

    /// Decodes and preprocesses a batch on the calling thread.
    pub fn prepare(&self, items: &[ScoreInput]) -> Prepared {
        adapters::prepare(&self.plan.adapter, items)
    }

    /// Runs the model on a prepared batch and reads each item's output.
    ///
    /// # Errors
    ///
    /// A [`ScorerError`] when ONNX Runtime rejects the batch or the output has an
    /// unexpected shape.
    pub fn run_prepared(&mut self, prepared: Prepared) -> Result<Vec<ItemResult>, ScorerError> {
        self.run_with(prepared, read_outputs)
    }

    /// The plan this model runs with.
    pub(crate) fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The number of preprocessing threads.
    pub(crate) fn workers(&self) -> usize {
        self.workers
    }

    /// Runs the model on a prepared batch and reads each item's result with `read`.
    pub(crate) fn run_with<X>(
        &mut self,
        prepared: Prepared,
        read: Reader<X>,
    ) -> Result<Vec<Result<X, String>>, ScorerError> {
        if prepared.rows == 0 {
            return Ok(prepared
                .items
                .into_iter()
                .map(|r| Err(r.err().unwrap_or_else(|| "nothing to score".to_owned())))
                .collect());
        }
        if let Some(n) = self.plan.fixed_batch
            && prepared.rows != n
        {
            return self.run_fixed_batch(&prepared, n, read);
        }
        // The feeds move into the tensors (no copy); the rest of `prepared` reads the outputs.
        let mut prepared = prepared;
        let feeds = std::mem::take(&mut prepared.feeds);
        let mut inputs: Vec<(String, SessionInputValue<'static>)> = Vec::with_capacity(feeds.len());
        for feed in feeds {
            let shape = feed.shape;
            let value: SessionInputValue<'static> = match feed.data {
                FeedData::F32(v) => Tensor::from_array((shape, v)).map(Into::into),
                FeedData::F64(v) => Tensor::from_array((shape, v)).map(Into::into),
                FeedData::I64(v) => Tensor::from_array((shape, v)).map(Into::into),
                FeedData::I32(v) => Tensor::from_array((shape, v)).map(Into::into),
            }
            .map_err(|e| ScorerError(format!("cannot make the `{}` tensor: {e}", feed.name)))?;
            inputs.push((feed.name, value));
        }
        let plan = self.plan.clone();
        let outputs = self.session.run(inputs).map_err(|e| {
            ScorerError(format!(
                "ONNX Runtime rejected the batch for {}: {e}",
                self.model_path.display()
            ))
        })?;
        read(&plan, &outputs, &prepared)
    }

    /// A model with a fixed batch size: run the rows in pieces of that size (the last padded).
    fn run_fixed_batch<X>(
        &mut self,
        prepared: &Prepared,
        n: usize,
        read: Reader<X>,
    ) -> Result<Vec<Result<X, String>>, ScorerError> {
        // Only single-row items reach here in practice (image/features adapters); split by item.
        let mut results: Vec<Result<X, String>> = Vec::with_capacity(prepared.items.len());
        let mut pending: Vec<usize> = Vec::new();
        let flush = |this: &mut Self,
                     pending: &mut Vec<usize>,
                     results: &mut Vec<Result<X, String>>|
         -> Result<(), ScorerError> {
            if pending.is_empty() {
                return Ok(());
            }
            let piece = slice_rows(prepared, pending, n);
            let out = this.run_prepared_exact(piece, read)?;
            for (&slot, r) in pending.iter().zip(out) {
                if let Some(s) = results.get_mut(slot) {
                    *s = r;
                }
            }
            pending.clear();
            Ok(())
        };
        for (i, item) in prepared.items.iter().enumerate() {
            match item {
                Ok(_) => {
                    results.push(Err(String::new()));
                    pending.push(i);
                    if pending.len() == n {
                        flush(self, &mut pending, &mut results)?;
                    }
                }
                Err(e) => results.push(Err(e.clone())),
            }
        }
        flush(self, &mut pending, &mut results)?;
        Ok(results)
    }

    fn run_prepared_exact<X>(
        &mut self,
        prepared: Prepared,
        read: Reader<X>,
    ) -> Result<Vec<Result<X, String>>, ScorerError> {
        let fixed = self.plan.fixed_batch.take();
        let result = self.run_with(prepared, read);
        self.plan.fixed_batch = fixed;
        result
    }
}

/// The rows of `items` (single-row items) of `prepared`, padded with copies of the last row to
/// `n` rows.
fn slice_rows(prepared: &Prepared, items: &[usize], n: usize) -> Prepared {
    let rows: Vec<usize> = items
        .iter()
        .filter_map(|&i| {
            prepared
                .items
                .get(i)
                .and_then(|r| r.as_ref().ok())
                .map(|r| r.start)
        })
        .collect();
    let mut padded = rows.clone();
    while padded.len() < n {
        padded.push(rows.last().copied().unwrap_or(0));
    }
    let feeds = prepared
        .feeds
        .iter()
        .map(|f| {
            let width: usize = f.shape.iter().skip(1).map(|&d| d.max(0) as usize).product();
            let data = match &f.data {
                FeedData::F32(v) => FeedData::F32(gather(v, &padded, width)),
                FeedData::F64(v) => FeedData::F64(gather(v, &padded, width)),
                FeedData::I64(v) => FeedData::I64(gather(v, &padded, width)),
                FeedData::I32(v) => FeedData::I32(gather(v, &padded, width)),
            };
            let mut shape = f.shape.clone();
            if let Some(b) = shape.first_mut() {
                *b = n as i64;
            }
            adapters::Feed {
                name: f.name.clone(),
                shape,
                data,
            }
        })
        .collect();
    let mask = prepared.mask.as_ref().map(|(t, m)| (*t, gather(m, &padded, *t)));
    Prepared {
        items: (0..rows.len()).map(|r| Ok(r..r + 1)).collect(),
        rows: n,
        feeds,
        mask,
    }
}

fn gather<T: Copy>(v: &[T], rows: &[usize], width: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(rows.len() * width);
    for &r in rows {
        out.extend_from_slice(v.get(r * width..(r + 1) * width).unwrap_or_default());
    }
    out
}

fn open_cuda(rt: &Runtime, model_path: &Path, device: i32) -> Result<Session, OnnxError> {
    if !rt.has_cuda() {
        return Err(OnnxError::Cuda(format!(
            "CUDA was requested, but the ONNX Runtime at {} has no CUDA execution provider: \
             install onnxruntime-gpu==1.31.* (see docs/active-learning.md) and point ORT_DYLIB_PATH at its \
             libonnxruntime.so, or use --device cpu",
            rt.path.display()
        )));
    }
    let cuda = ort::ep::CUDA::default()
        .with_device_id(device)
        .build()
        .error_on_failure();
    let fail = |e: String| {
        OnnxError::Cuda(format!(
            "cannot use CUDA device {device}: {e} (is the NVIDIA driver, CUDA 12 and cuDNN 9 installed? \
             `pip install onnxruntime-gpu[cuda,cudnn]==1.31.*` brings the CUDA libraries; or use --device cpu)"
        ))
    };
    Session::builder(&rt.env)
        .map_err(|e| fail(e.to_string()))?
        .with_execution_providers([cuda])
        .map_err(|e| fail(e.to_string()))?
        .commit_from_file(model_path)
        .map_err(|e| fail(e.to_string()))
}

/// An output as `f32` values with its shape.
pub(crate) fn extract(
    outputs: &SessionOutputs<'_>,
    name: &str,
) -> Result<(Vec<usize>, Vec<f32>), ScorerError> {
    let value = outputs
        .get(name)
        .ok_or_else(|| ScorerError(format!("the model produced no output `{name}`")))?;
    let err = |e: ort::Error| ScorerError(format!("output `{name}`: {e}"));
    let (shape, data): (Vec<usize>, Vec<f32>) = match value.dtype().tensor_type() {
        Some(TensorElementType::Float64) => {
            let (shape, data) = value.try_extract_tensor::<f64>().map_err(err)?;
            (
                shape.iter().map(|&d| d.max(0) as usize).collect(),
                data.iter().map(|&v| v as f32).collect(),
            )
        }
        _ => {
            let (shape, data) = value.try_extract_tensor::<f32>().map_err(err)?;
            (shape.iter().map(|&d| d.max(0) as usize).collect(), data.to_vec())
        }
    };
    Ok((shape, data))
}

fn read_outputs(
    plan: &Plan,
    outputs: &SessionOutputs<'_>,
    prepared: &Prepared,
) -> Result<Vec<ItemResult>, ScorerError> {
    let (shape, data) = extract(outputs, &plan.output.name)?;
    let name = &plan.output.name;
    if shape.first() != Some(&prepared.rows) {
        return Err(ScorerError(format!(
            "output `{name}` has shape {shape:?} for a batch of {} rows",
            prepared.rows
        )));
    }
    let per_row: usize = shape.iter().skip(1).product();
    let embeddings = match &plan.output.embedding {
        Some(e) => {
            let (eshape, edata) = extract(outputs, e)?;
            let width: usize = eshape.iter().skip(1).product();
            Some((width, edata))
        }
        None => None,
    };
    let ranking = matches!(plan.adapter, Adapter::Ranking { .. });
    let row_of = |r: usize| data.get(r * per_row..(r + 1) * per_row).unwrap_or_default();
    let results = prepared
        .items
        .iter()
        .map(|item| {
            let rows = item.clone()?;
            let output = if ranking {
                let column = plan.output.column;
                let rewards: Vec<f32> = rows
                    .clone()
                    .map(|r| row_of(r).get(column).copied().unwrap_or(f32::NAN))
                    .collect();
                ModelOutput::Logits(rewards)
            } else if plan.output.reduce == Some(Reduce::MeanTokenEntropy) {
                let tokens = shape.get(1).copied().unwrap_or(0);
                let vocab = shape.get(2).copied().unwrap_or(0);
                ModelOutput::Reduced(mean_token_scores(
                    row_of(rows.start),
                    tokens,
                    vocab,
                    prepared.mask.as_ref().and_then(|(len, m)| {
                        (*len == tokens).then(|| {
                            m.get(rows.start * len..(rows.start + 1) * len)
                                .unwrap_or_default()
                        })
                    }),
                    plan.output.kind,
                )?)
            } else {
                let row = row_of(rows.start).to_vec();
                match plan.output.kind {
                    // An encoder never reaches here: `OnnxScorer::open` refuses it.
                    OutputKind::Logits | OutputKind::Embedding => ModelOutput::Logits(row),
                    OutputKind::Probabilities => ModelOutput::Probabilities(row),
                }
            };
            let embedding = embeddings.as_ref().and_then(|(w, v)| {
                (!ranking).then(|| {
                    v.get(rows.start * w..(rows.start + 1) * w)
                        .unwrap_or_default()
                        .to_vec()
                })
            });
            Ok(ItemOutput { output, embedding })
        })
        .collect();
    Ok(results)
}

/// Each strategy's score averaged over the real tokens of one sequence (`tokens x vocab`).
fn mean_token_scores(
    values: &[f32],
    tokens: usize,
    vocab: usize,
    mask: Option<&[i64]>,
    kind: OutputKind,
) -> Result<RowScores, String> {
    let input = match kind {
        // `reduce` is refused for encoders by the config check.
        OutputKind::Logits | OutputKind::Embedding => sift_al::Input::Logits,
        OutputKind::Probabilities => sift_al::Input::Probabilities,
    };
    let mut kept = Vec::with_capacity(values.len());
    for t in 0..tokens {
        if mask.is_none_or(|m| m.get(t).copied().unwrap_or(0) != 0) {
            kept.extend_from_slice(values.get(t * vocab..(t + 1) * vocab).unwrap_or_default());
        }
    }
    let scores = sift_al::score_rows(&kept, vocab.max(1), input).map_err(|e| format!("model output: {e}"))?;
    if let Some(bad) = scores.bad_rows().first() {
        return Err(format!("model output at token {}: {}", bad.index, bad.error));
    }
    let n = scores.len();
    if n == 0 {
        return Err("the item has no tokens to score".to_owned());
    }
    let mean = |s: sift_al::Strategy| {
        (scores.values(s).iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64) as f32
    };
    Ok(RowScores {
        least_confidence: mean(sift_al::Strategy::LeastConfidence),
        margin: mean(sift_al::Strategy::Margin),
        ratio: mean(sift_al::Strategy::Ratio),
        entropy: mean(sift_al::Strategy::Entropy),
    })
}

impl BatchModel for OnnxScorer {
    type Output = ItemResult;

    fn describe(&self) -> RunInfo {
        self.info.clone()
    }

    fn run_batch(&mut self, items: &[ScoreInput]) -> Result<Vec<ItemResult>, ScorerError> {
        let prepared = self.prepare(items);
        self.run_prepared(prepared)
    }

    /// Decoding and preprocessing run on worker threads (bounded queues, a few batches ahead)
    /// while the calling thread runs the model; results come back in input order.
    fn run_stream(
        &mut self,
        next: &mut dyn FnMut() -> Option<Vec<ScoreInput>>,
        done: &mut dyn FnMut(Vec<ScoreInput>, Vec<ItemResult>) -> bool,
    ) -> Result<(), ScorerError> {
        let adapter = self.plan.adapter.clone();
        let workers = self.workers;
        pipeline::run(
            &adapter,
            workers,
            next,
            &mut |prepared| self.run_prepared(prepared),
            done,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_scores_follow_the_mask() {
        // Two tokens of three classes; the second is padding and must not count.
        let values = [4.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let masked = mean_token_scores(&values, 2, 3, Some(&[1, 0]), OutputKind::Logits).unwrap();
        let unmasked = mean_token_scores(&values, 2, 3, None, OutputKind::Logits).unwrap();
        assert!(masked.entropy < unmasked.entropy);
        assert!((unmasked.entropy - (masked.entropy + 1.0) / 2.0).abs() < 1e-5);
        let bad = [f32::NAN, 0.0, 0.0];
        assert!(
            mean_token_scores(&bad, 1, 3, None, OutputKind::Logits)
                .unwrap_err()
                .contains("token 0")
        );
    }
}
