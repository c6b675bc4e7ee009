//! The input side of a plan: which model input (or inputs, for a tokenizer) each adapter
//! feeds, checked against the model's signature.

use std::path::Path;
use std::sync::Arc;

use super::{Adapter, Element, ModelSignature, TensorInfo, TokenFeeds};
use crate::config::{InputConfig, Layout, ModelConfig, TokenInputs};
use crate::error::OnnxError;

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

pub(super) fn resolve_input(
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
