//! The output side of a plan: which model output is read and how, checked against the
//! model's signature.

use super::{ModelSignature, OutputPlan};
use crate::config::{InputConfig, ModelConfig, OutputKind, Reduce};

pub(super) fn resolve_output(
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
