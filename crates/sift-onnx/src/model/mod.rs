//! What a model file declares ([`ModelSignature`]) and the check of a config against it,
//! which yields the resolved [`Plan`] the scorer runs.
//!
//! This file holds the plan; `signature` what a model declares (and opening one),
//! `inputs` the check of the config's input side, `output` of its output side.

mod inputs;
mod output;
mod signature;

use std::path::Path;
use std::sync::Arc;

pub(crate) use signature::open_session_cpu;
pub use signature::{ModelSignature, TensorInfo, inspect_model};

use crate::config::{ModelConfig, OutputKind, Reduce};
use crate::error::OnnxError;
use inputs::resolve_input;
use output::resolve_output;

/// Element type of a numeric feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Element {
    F32,
    F64,
    I64,
    I32,
}

/// A resolved tokenizer input.
#[derive(Debug, Clone)]
pub(crate) struct TokenFeeds {
    pub(crate) tokenizer: Arc<tokenizers::Tokenizer>,
    pub(crate) ids: String,
    pub(crate) mask: Option<String>,
    pub(crate) types: Option<String>,
    pub(crate) element: Element,
    pub(crate) pad_id: i64,
    pub(crate) pad_type_id: i64,
}

/// The input side of a plan.
#[derive(Debug, Clone)]
pub(crate) enum Adapter {
    Image {
        input: String,
        width: u32,
        height: u32,
        /// 3 (colour) or 1 (grey).
        channels: u32,
        config: crate::config::ImageConfig,
    },
    Features {
        input: String,
        /// The model's fixed vector length, if it has one.
        dim: Option<usize>,
        field: String,
        element: Element,
    },
    Text {
        feeds: TokenFeeds,
        field: String,
    },
    Ranking {
        feeds: TokenFeeds,
        prompt_field: String,
        responses_field: String,
        response_key: Option<String>,
    },
}

/// The output side of a plan.
#[derive(Debug, Clone)]
pub(crate) struct OutputPlan {
    pub(crate) name: String,
    /// The output's second dimension when the model fixes it (an encoder's vector length).
    pub(crate) dim: Option<usize>,
    pub(crate) kind: OutputKind,
    pub(crate) reduce: Option<Reduce>,
    /// Ranking: the reward column.
    pub(crate) column: usize,
    pub(crate) embedding: Option<String>,
}

/// A config checked against a model: everything the scorer needs to feed it and read it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) adapter: Adapter,
    pub(crate) output: OutputPlan,
    /// The model's batch size when it is fixed.
    pub(crate) fixed_batch: Option<usize>,
}

impl Plan {
    /// Checks `config` against `signature` and resolves names and sizes. Assets (a tokenizer)
    /// are read from `asset_dir`.
    ///
    /// # Errors
    ///
    /// [`OnnxError::Mismatch`] listing every disagreement; [`OnnxError::Asset`] for a tokenizer
    /// that cannot be loaded.
    pub fn new(
        config: &ModelConfig,
        signature: &ModelSignature,
        asset_dir: &Path,
    ) -> Result<Self, OnnxError> {
        let mut problems = Vec::new();
        let adapter = resolve_input(config, signature, asset_dir, &mut problems)?;
        let output = resolve_output(config, signature, &mut problems);
        let fixed_batch = signature
            .inputs
            .iter()
            .find_map(|t| t.dim(0))
            .and_then(|n| usize::try_from(n).ok());
        match (adapter, output) {
            (Some(adapter), Some(output)) if problems.is_empty() => Ok(Plan {
                adapter,
                output,
                fixed_batch,
            }),
            _ => Err(OnnxError::Mismatch(problems)),
        }
    }

    /// The name of the model output that is read.
    pub fn output_name(&self) -> &str {
        &self.output.name
    }

    /// The adapter's name.
    pub fn adapter(&self) -> &'static str {
        match self.adapter {
            Adapter::Image { .. } => "image",
            Adapter::Features { .. } => "features",
            Adapter::Text { .. } => "text",
            Adapter::Ranking { .. } => "ranking",
        }
    }
}
