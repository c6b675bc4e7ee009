//! What a model file declares ([`ModelSignature`]) and the check of a config against it,
//! which yields the resolved [`Plan`] the scorer runs.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use ort::session::Session;
use ort::value::{TensorElementType, ValueType};
use serde::{Deserialize, Serialize};

use crate::config::{InputConfig, Layout, ModelConfig, OutputKind, Reduce, TokenInputs};
use crate::error::OnnxError;
use crate::runtime::runtime;

/// One input or output of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorInfo {
    /// The name the model gives the input or output (what configs refer to).
    pub name: String,
    /// `float32`, `int64`, ... for tensors; `sequence` or `map` for other values.
    pub element: String,
    /// Dimensions; `None` where the model leaves a dimension open (the batch, usually).
    pub shape: Vec<Option<i64>>,
}

impl TensorInfo {
    fn is_tensor(&self) -> bool {
        self.element != "sequence" && self.element != "map" && self.element != "optional"
    }

    fn is_float(&self) -> bool {
        matches!(self.element.as_str(), "float32" | "float64")
    }

    fn dim(&self, i: usize) -> Option<i64> {
        self.shape.get(i).copied().flatten()
    }
}

impl fmt::Display for TensorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.name, self.element)?;
        if self.is_tensor() {
            let dims: Vec<String> = self
                .shape
                .iter()
                .map(|d| d.map_or_else(|| "?".to_owned(), |n| n.to_string()))
                .collect();
            write!(f, " [{}]", dims.join(", "))?;
        }
        Ok(())
    }
}

/// The inputs and outputs a model file declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSignature {
    /// The model's inputs, in the model's order.
    pub inputs: Vec<TensorInfo>,
    /// The model's outputs, in the model's order (the first is read unless the config names another).
    pub outputs: Vec<TensorInfo>,
}

impl ModelSignature {
    pub(crate) fn of(session: &Session) -> Self {
        let convert = |name: &str, ty: &ValueType| match ty {
            ValueType::Tensor { ty, shape, .. } => TensorInfo {
                name: name.to_owned(),
                element: element_name(*ty).to_owned(),
                shape: shape.iter().map(|&d| (d >= 0).then_some(d)).collect(),
            },
            ValueType::Sequence(_) => TensorInfo {
                name: name.to_owned(),
                element: "sequence".into(),
                shape: Vec::new(),
            },
            ValueType::Map { .. } => TensorInfo {
                name: name.to_owned(),
                element: "map".into(),
                shape: Vec::new(),
            },
            ValueType::Optional(_) => TensorInfo {
                name: name.to_owned(),
                element: "optional".into(),
                shape: Vec::new(),
            },
        };
        Self {
            inputs: session
                .inputs()
                .iter()
                .map(|o| convert(o.name(), o.dtype()))
                .collect(),
            outputs: session
                .outputs()
                .iter()
                .map(|o| convert(o.name(), o.dtype()))
                .collect(),
        }
    }

    fn input(&self, name: &str) -> Option<&TensorInfo> {
        self.inputs.iter().find(|t| t.name == name)
    }

    fn output(&self, name: &str) -> Option<&TensorInfo> {
        self.outputs.iter().find(|t| t.name == name)
    }

    fn list(items: &[TensorInfo]) -> String {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn element_name(ty: TensorElementType) -> &'static str {
    match ty {
        TensorElementType::Float32 => "float32",
        TensorElementType::Float64 => "float64",
        TensorElementType::Float16 => "float16",
        TensorElementType::Bfloat16 => "bfloat16",
        TensorElementType::Int64 => "int64",
        TensorElementType::Int32 => "int32",
        TensorElementType::Int16 => "int16",
        TensorElementType::Int8 => "int8",
        TensorElementType::Uint8 => "uint8",
        TensorElementType::Uint16 => "uint16",
        TensorElementType::Uint32 => "uint32",
        TensorElementType::Uint64 => "uint64",
        TensorElementType::Bool => "bool",
        TensorElementType::String => "string",
        _ => "other",
    }
}

/// Opens a model file with ONNX Runtime (on the CPU) and reads its signature.
///
/// # Errors
///
/// [`OnnxError::RuntimeMissing`] without the runtime; [`OnnxError::Model`] for a file that is
/// missing or not a valid model.
pub fn inspect_model(path: &Path) -> Result<ModelSignature, OnnxError> {
    let session = open_session_cpu(path, 1)?;
    Ok(ModelSignature::of(&session))
}

pub(crate) fn open_session_cpu(path: &Path, threads: usize) -> Result<Session, OnnxError> {
    let rt = runtime()?;
    if !path.is_file() {
        return Err(OnnxError::Model {
            path: path.display().to_string(),
            message: "no such file".into(),
        });
    }
    let model_error = |e: String| OnnxError::Model {
        path: path.display().to_string(),
        message: e,
    };
    Session::builder(&rt.env)
        .map_err(|e| model_error(e.to_string()))?
        .with_intra_threads(threads)
        .map_err(|e| model_error(e.to_string()))?
        .with_intra_op_spinning(false)
        .map_err(|e| model_error(e.to_string()))?
        .commit_from_file(path)
        .map_err(|e| model_error(e.to_string()))
}

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

/// The one input an adapter feeds: `name` or the model's only input.
fn single_input<'a>(
    adapter: &str,
    name: Option<&str>,
    sig: &'a ModelSignature,
    problems: &mut Vec<String>,
) -> Option<&'a TensorInfo> {
    let found = match name {
        Some(n) => sig.input(n).or_else(|| {
            problems.push(format!(
                "input.name = {n:?}, but the model has no such input (its inputs: {})",
                ModelSignature::list(&sig.inputs)
            ));
            None
        }),
        None if sig.inputs.len() == 1 => sig.inputs.first(),
        None => {
            problems.push(format!(
                "the model has {} inputs ({}): set input.name to the one the {adapter} adapter feeds",
                sig.inputs.len(),
                ModelSignature::list(&sig.inputs)
            ));
            None
        }
    }?;
    for other in sig.inputs.iter().filter(|t| t.name != found.name) {
        problems.push(format!(
            "model input {other} would not be fed: the {adapter} adapter feeds only `{}`",
            found.name
        ));
    }
    Some(found)
}

fn resolve_input(
    config: &ModelConfig,
    sig: &ModelSignature,
    asset_dir: &Path,
    problems: &mut Vec<String>,
) -> Result<Option<Adapter>, OnnxError> {
    Ok(match &config.input {
        InputConfig::Image(c) => {
            let Some(t) = single_input("image", c.name.as_deref(), sig, problems) else {
                return Ok(None);
            };
            if t.element != "float32" {
                problems.push(format!(
                    "model input {t}: the image adapter feeds float32 tensors"
                ));
            }
            if t.shape.len() != 4 {
                problems.push(format!(
                    "model input {t}: the image adapter feeds rank-4 tensors ({} with layout = \"{}\")",
                    if c.layout == Layout::Nchw {
                        "[batch, channels, height, width]"
                    } else {
                        "[batch, height, width, channels]"
                    },
                    if c.layout == Layout::Nchw { "nchw" } else { "nhwc" }
                ));
                return Ok(None);
            }
            let (ci, hi, wi) = match c.layout {
                Layout::Nchw => (1, 2, 3),
                Layout::Nhwc => (3, 1, 2),
            };
            let channels = match t.dim(ci) {
                None | Some(3) => 3,
                Some(1) => 1,
                Some(n) => {
                    problems.push(format!(
                        "model input {t}: dimension {ci} is {n}, not 1 or 3 channels (is layout = \"{}\" right?)",
                        if c.layout == Layout::Nchw { "nchw" } else { "nhwc" }
                    ));
                    3
                }
            };
            let mut side = |key: &str, given: Option<u32>, dim: Option<i64>| -> u32 {
                match (given, dim) {
                    (Some(g), Some(d)) if i64::from(g) != d => {
                        problems.push(format!("input.{key} = {g}, but model input {t} has {key} {d}"));
                        g
                    }
                    (Some(g), _) => g,
                    (None, Some(d)) => u32::try_from(d).unwrap_or(0),
                    (None, None) => {
                        problems.push(format!(
                            "model input {t} has an open {key}: set input.{key} in the config"
                        ));
                        0
                    }
                }
            };
            let height = side("height", c.height, t.dim(hi));
            let width = side("width", c.width, t.dim(wi));
            Some(Adapter::Image {
                input: t.name.clone(),
                width,
                height,
                channels,
                config: c.clone(),
            })
        }
        InputConfig::Features(c) => {
            let Some(t) = single_input("features", c.name.as_deref(), sig, problems) else {
                return Ok(None);
            };
            let element = match t.element.as_str() {
                "float32" => Element::F32,
                "float64" => Element::F64,
                _ => {
                    problems.push(format!(
                        "model input {t}: the features adapter feeds float32 or float64 tensors"
                    ));
                    Element::F32
                }
            };
            if t.shape.len() != 2 {
                problems.push(format!(
                    "model input {t}: the features adapter feeds [batch, features] (rank 2) tensors"
                ));
            }
            Some(Adapter::Features {
                input: t.name.clone(),
                dim: t.dim(1).and_then(|d| usize::try_from(d).ok()),
                field: c.field.clone(),
                element,
            })
        }
        InputConfig::Text(c) => {
            let Some(feeds) = token_feeds(&c.tokenizer, c.max_length, &c.inputs, sig, asset_dir, problems)?
            else {
                return Ok(None);
            };
            Some(Adapter::Text {
                feeds,
                field: c.field.clone(),
            })
        }
        InputConfig::Ranking(c) => {
            let Some(feeds) = token_feeds(&c.tokenizer, c.max_length, &c.inputs, sig, asset_dir, problems)?
            else {
                return Ok(None);
            };
            Some(Adapter::Ranking {
                feeds,
                prompt_field: c.prompt_field.clone(),
                responses_field: c.responses_field.clone(),
                response_key: c.response_key.clone(),
            })
        }
    })
}

fn token_feeds(
    tokenizer: &Path,
    max_length: usize,
    names: &TokenInputs,
    sig: &ModelSignature,
    asset_dir: &Path,
    problems: &mut Vec<String>,
) -> Result<Option<TokenFeeds>, OnnxError> {
    let known = [&names.input_ids, &names.attention_mask, &names.token_type_ids];
    for t in sig.inputs.iter().filter(|t| !known.contains(&&t.name)) {
        problems.push(format!(
            "model input {t} would not be fed: the text adapter feeds `{}`, `{}` and `{}` (rename them under [input.inputs])",
            names.input_ids, names.attention_mask, names.token_type_ids
        ));
    }
    let Some(ids) = sig.input(&names.input_ids) else {
        problems.push(format!(
            "the model has no input `{}` for token ids (its inputs: {}); set input.inputs.input_ids",
            names.input_ids,
            ModelSignature::list(&sig.inputs)
        ));
        return Ok(None);
    };
    let mut element = Element::I64;
    for t in sig.inputs.iter().filter(|t| known.contains(&&t.name)) {
        match t.element.as_str() {
            "int64" => {}
            "int32" => element = Element::I32,
            _ => problems.push(format!("model input {t}: token inputs must be int64 or int32")),
        }
        if t.shape.len() != 2 {
            problems.push(format!(
                "model input {t}: token inputs are [batch, tokens] (rank 2)"
            ));
        }
        if let Some(n) = t.dim(1)
            && usize::try_from(n).is_ok_and(|n| n < max_length)
        {
            problems.push(format!(
                "input.max_length = {max_length}, but model input {t} takes at most {n} tokens"
            ));
        }
    }
    let path = asset_dir.join(tokenizer);
    let mut tok = tokenizers::Tokenizer::from_file(&path).map_err(|e| OnnxError::Asset {
        path: path.display().to_string(),
        message: format!("not a usable Hugging Face tokenizer.json: {e}"),
    })?;
    let (pad_id, pad_type_id) = tok
        .get_padding()
        .map_or((0, 0), |p| (i64::from(p.pad_id), i64::from(p.pad_type_id)));
    tok.with_padding(None);
    tok.with_truncation(Some(tokenizers::TruncationParams {
        max_length,
        ..Default::default()
    }))
    .map_err(|e| OnnxError::Asset {
        path: path.display().to_string(),
        message: format!("cannot truncate to {max_length} tokens: {e}"),
    })?;
    Ok(Some(TokenFeeds {
        tokenizer: Arc::new(tok),
        ids: ids.name.clone(),
        mask: sig.input(&names.attention_mask).map(|t| t.name.clone()),
        types: sig.input(&names.token_type_ids).map(|t| t.name.clone()),
        element,
        pad_id,
        pad_type_id,
    }))
}

fn resolve_output(
    config: &ModelConfig,
    sig: &ModelSignature,
    problems: &mut Vec<String>,
) -> Option<OutputPlan> {
    let c = &config.output;
    let out = match &c.name {
        Some(n) => sig.output(n).or_else(|| {
            problems.push(format!(
                "output.name = {n:?}, but the model has no such output (its outputs: {})",
                ModelSignature::list(&sig.outputs)
            ));
            None
        }),
        None => sig.outputs.first().or_else(|| {
            problems.push("the model has no outputs".into());
            None
        }),
    }?;
    if !out.is_float() {
        problems.push(format!(
            "model output {out}: {} read from float32 or float64 tensors{}",
            if c.kind == OutputKind::Embedding {
                "an encoder's vectors are"
            } else {
                "scores are"
            },
            if sig.outputs.len() > 1 {
                format!(
                    " (set output.name; its outputs: {})",
                    ModelSignature::list(&sig.outputs)
                )
            } else {
                String::new()
            }
        ));
    }
    let ranking = matches!(config.input, InputConfig::Ranking(_));
    let encoder = c.kind == OutputKind::Embedding;
    if encoder && out.is_float() && (out.shape.len() != 2 || out.dim(1).is_some_and(|d| d < 1)) {
        problems.push(format!(
            "model output {out}: an encoder (output.kind = \"embedding\") gives one vector per item, [batch, dimensions] (rank 2){}",
            match out.shape.len() {
                3 => "; this looks like per-token vectors [batch, tokens, dimensions]: pool them inside the model (e.g. mean over the attention mask)",
                1 => "; this looks like one number per item",
                _ => "",
            }
        ));
    }
    match (c.reduce, ranking) {
        _ if !out.is_float() || encoder => {}
        (Some(Reduce::MeanTokenEntropy), _) => {
            if out.shape.len() != 3 {
                problems.push(format!(
                    "model output {out}: reduce = \"mean-token-entropy\" reads [batch, tokens, vocabulary] (rank 3)"
                ));
            }
        }
        (None, true) => {
            if out.shape.len() > 2 || out.shape.is_empty() {
                problems.push(format!(
                    "model output {out}: the ranking adapter reads one reward per pair, [batch] or [batch, n]"
                ));
            }
            if let (Some(col), Some(n)) = (c.column, out.dim(1))
                && i64::try_from(col).is_ok_and(|col| col >= n)
            {
                problems.push(format!(
                    "output.column = {col}, but model output {out} has {n} columns"
                ));
            }
        }
        (None, false) => {
            if out.shape.len() != 2 {
                problems.push(format!(
                    "model output {out}: a classifier's output is [batch, classes] (rank 2){}",
                    if out.shape.len() == 3 {
                        "; for a sequence output set output.reduce = \"mean-token-entropy\""
                    } else {
                        ""
                    }
                ));
            } else if out.dim(1) == Some(1) {
                problems.push(format!(
                    "model output {out} has a single class: uncertainty needs at least two (export [batch, 2] logits)"
                ));
            }
        }
    }
    if c.kind == OutputKind::Probabilities && ranking {
        problems.push(
            "output.kind = \"probabilities\" does not apply to the ranking adapter (rewards are logits)"
                .into(),
        );
    }
    if let Some(e) = &c.embedding {
        match sig.output(e) {
            None => problems.push(format!(
                "output.embedding = {e:?}, but the model has no such output (its outputs: {})",
                ModelSignature::list(&sig.outputs)
            )),
            Some(t) if !t.is_float() || t.shape.len() != 2 => {
                problems.push(format!(
                    "model output {t}: an embedding output is float [batch, dimensions]"
                ));
            }
            Some(_) => {}
        }
    }
    Some(OutputPlan {
        name: out.name.clone(),
        dim: out.dim(1).and_then(|d| usize::try_from(d).ok()),
        kind: c.kind,
        reduce: c.reduce,
        column: c.column.unwrap_or(0),
        embedding: c.embedding.clone(),
    })
}
