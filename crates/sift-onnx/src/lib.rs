//! Sift's model runner: ONNX Runtime behind `sift-api`'s [`Scorer`](sift_api::Scorer).
//!
//! This is the only crate that depends on `ort`. ONNX Runtime itself is a shared library
//! loaded on first use ([`runtime`]), found through `ORT_DYLIB_PATH`, beside the binary, or in
//! the project's set-up location; without it scoring fails with a message saying how to
//! install it, and nothing else is affected.
//!
//! * [`ModelConfig`]: the `model.toml` that names the input adapter (image, text, features,
//!   ranking) and how to read the output (logits or probabilities; mean token entropy for
//!   sequence outputs).
//! * [`inspect_model`] and [`check_model`]: what `sift model add` runs: the model's declared
//!   inputs and outputs are checked against the config, and every disagreement is reported.
//! * [`OnnxScorer`]: opens a model on `auto`, `cpu` or `cuda[:N]`, and scores batches with
//!   decoding and preprocessing on worker threads overlapping inference.
//! * [`OnnxEncoder`]: the same for an encoder (`output.kind = "embedding"`, a `[batch, d]`
//!   output): each item becomes one vector, which `sift embed` stores.

#![warn(missing_docs)]

mod adapters;
mod config;
mod encoder;
mod error;
mod model;
mod pipeline;
mod runtime;
mod scorer;

use std::path::{Path, PathBuf};

pub use adapters::{Prepared, decode_image};
pub use config::{
    ChannelOrder, FeaturesConfig, Filter, ImageConfig, InputConfig, Layout, ModelConfig, OutputConfig,
    OutputKind, RankingConfig, Reduce, ResizeMode, TextConfig, TokenInputs,
};
pub use encoder::OnnxEncoder;
pub use error::OnnxError;
pub use model::{ModelSignature, Plan, TensorInfo, inspect_model};
pub use runtime::{Device, EXPECTED_RUNTIME, Runtime, SearchPlaces, locate, runtime};
pub use scorer::{OnnxScorer, ScorerOptions};

/// A model file and config that agree, ready to register.
#[derive(Debug, Clone)]
pub struct CheckedModel {
    /// The registry name: the config's `name`, else the model file's stem.
    pub name: String,
    /// The config as it is stored (assets by file name).
    pub stored_config: String,
    /// Files to store beside the model (a tokenizer).
    pub assets: Vec<PathBuf>,
    /// The inputs and outputs the model file declares.
    pub signature: ModelSignature,
    /// The adapter that feeds it.
    pub adapter: &'static str,
    /// The model output that is read.
    pub output: TensorInfo,
    /// Whether the config declares an encoder (`output.kind = "embedding"`).
    pub encoder: bool,
}

/// Reads `config_file`, opens `model_file` with ONNX Runtime, and checks that they agree
/// (input and output names, element types and shapes).
///
/// # Errors
///
/// [`OnnxError::Config`] for an invalid config, [`OnnxError::Model`] for an unreadable model,
/// [`OnnxError::Mismatch`] listing every disagreement, [`OnnxError::RuntimeMissing`] without
/// ONNX Runtime.
pub fn check_model(model_file: &Path, config_file: &Path) -> Result<CheckedModel, OnnxError> {
    let config = ModelConfig::load(config_file)?;
    let base = config_file.parent().unwrap_or_else(|| Path::new("."));
    let signature = inspect_model(model_file)?;
    let plan = Plan::new(&config, &signature, base)?;
    let output = signature
        .outputs
        .iter()
        .find(|t| t.name == plan.output_name())
        .cloned()
        .ok_or_else(|| {
            OnnxError::Mismatch(vec![format!("the model has no output `{}`", plan.output_name())])
        })?;
    let name = config.name.clone().unwrap_or_else(|| {
        model_file
            .file_stem()
            .map_or_else(|| "model".to_owned(), |s| s.to_string_lossy().into_owned())
    });
    Ok(CheckedModel {
        name,
        stored_config: config.to_stored_toml()?,
        assets: config.assets(base),
        signature,
        adapter: plan.adapter(),
        output,
        encoder: config.is_encoder(),
    })
}

/// Opens a registered model: `model_file` with its stored `config` text, assets in
/// `model_dir`.
///
/// # Errors
///
/// As [`OnnxScorer::open`], and [`OnnxError::Config`] if the stored config no longer parses.
pub fn open_registered(
    model_file: &Path,
    config: &str,
    model_dir: &Path,
    options: &ScorerOptions,
) -> Result<OnnxScorer, OnnxError> {
    let config = ModelConfig::parse(config, &format!("stored config of {}", model_file.display()))?;
    OnnxScorer::open(model_file, &config, model_dir, options)
}

/// Opens a registered encoder: `model_file` with its stored `config` text, assets in
/// `model_dir`.
///
/// # Errors
///
/// As [`OnnxEncoder::open`], and [`OnnxError::Config`] if the stored config no longer parses.
pub fn open_registered_encoder(
    model_file: &Path,
    config: &str,
    model_dir: &Path,
    options: &ScorerOptions,
) -> Result<OnnxEncoder, OnnxError> {
    let config = ModelConfig::parse(config, &format!("stored config of {}", model_file.display()))?;
    OnnxEncoder::open(model_file, &config, model_dir, options)
}
