//! Classification annotations in other formats: the Ground Truth output label in the built-in
//! classification shape, both ways ([`ground_truth_label`], [`from_ground_truth`]), and
//! training records with a `label` column ([`classification`]), which the Hugging Face
//! `datasets` JSON loader reads as is.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{ClassificationPayload, ClassificationRules, Unsure};
use crate::export::ExportError;
use crate::kinds::{Payload, Spec};
use crate::path;
use crate::template::Template;
use crate::violation::{Code, Violation};

/// The `confidence` written for a label the annotator marked as unsure (a sure label gets 1).
pub const UNSURE_CONFIDENCE: f64 = 0.5;

/// A classification annotation as Ground Truth writes it: the value under the label attribute
/// and the entries of `<label>-metadata` that describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruthLabel {
    /// Single-label: the class index (its position in `[[rules.classes]]`). Multi-label: the
    /// chosen class indices, ascending.
    pub value: Value,
    /// Single-label: `class-name` and `confidence`. Multi-label: `class-map` and
    /// `confidence-map` (index as a string → name, confidence) and `class-names` (the names in
    /// index order). With an unsure mark: `unsure: true`, and the reason as
    /// `worker-feedback: [{"comment": ...}]` when given. The caller adds `type`, `job-name`,
    /// `human-annotated` and `creation-date`.
    pub metadata: Map<String, Value>,
}

fn parts<'a>(
    template: &'a Template,
    payload: &'a Payload,
    format: &'static str,
) -> Result<(&'a ClassificationRules, &'a ClassificationPayload), ExportError> {
    match (&template.spec, payload) {
        (Spec::Classification { rules, .. }, Payload::Classification(p)) => Ok((rules, p)),
        _ => Err(ExportError::WrongKind {
            format,
            found: payload.kind(),
        }),
    }
}

/// The chosen classes as `(index, name)`, ascending by index; a label that is not a class, or
/// a single-label payload without exactly one label, cannot be exported.
fn chosen<'a>(
    rules: &'a ClassificationRules,
    p: &ClassificationPayload,
) -> Result<Vec<(usize, &'a str)>, ExportError> {
    let mut out = BTreeSet::new();
    for (i, label) in p.labels.iter().enumerate() {
        let Some(index) = rules.class_index(label) else {
            return Err(ExportError::Item(vec![Violation::new(
                &path::index("labels", i),
                Code::UnknownClass,
                format!("`{label}` is not a class of this template"),
            )]));
        };
        out.insert(index);
    }
    if !rules.multi_label && out.len() != 1 {
        return Err(ExportError::Item(vec![Violation::new(
            "labels",
            if out.is_empty() {
                Code::Required
            } else {
                Code::TooMany
            },
            format!(
                "a single-label annotation has exactly one class, found {}",
                out.len()
            ),
        )]));
    }
    Ok(out
        .into_iter()
        .filter_map(|i| rules.classes.get(i).map(|c| (i, c.name.as_str())))
        .collect())
}

/// The Ground Truth label of a classification annotation (see [`GroundTruthLabel`]). The
/// metadata `type` is [`Template::gt_type`]: `groundtruth/text-classification`,
/// `groundtruth/image-classification`, or their `-multilabel` forms.
pub fn ground_truth_label(template: &Template, payload: &Payload) -> Result<GroundTruthLabel, ExportError> {
    let (rules, p) = parts(template, payload, "gt")?;
    let classes = chosen(rules, p)?;
    let confidence = if p.unsure.is_some() {
        UNSURE_CONFIDENCE
    } else {
        1.0
    };
    let mut metadata = Map::new();
    let value = if rules.multi_label {
        let class_map: Map<String, Value> = classes.iter().map(|(i, n)| (i.to_string(), json!(n))).collect();
        let confidence_map: Map<String, Value> = classes
            .iter()
            .map(|(i, _)| (i.to_string(), json!(confidence)))
            .collect();
        metadata.insert("class-map".into(), Value::Object(class_map));
        metadata.insert("confidence-map".into(), Value::Object(confidence_map));
        metadata.insert(
            "class-names".into(),
            json!(classes.iter().map(|(_, n)| *n).collect::<Vec<_>>()),
        );
        json!(classes.iter().map(|(i, _)| *i).collect::<Vec<_>>())
    } else {
        let (index, name) = classes.first().copied().unwrap_or((0, ""));
        metadata.insert("class-name".into(), json!(name));
        metadata.insert("confidence".into(), json!(confidence));
        json!(index)
    };
    if let Some(u) = &p.unsure {
        metadata.insert("unsure".into(), json!(true));
        let reason = u.reason.trim();
        if !reason.is_empty() {
            metadata.insert("worker-feedback".into(), json!([{ "comment": reason }]));
        }
    }
    Ok(GroundTruthLabel { value, metadata })
}

/// One training record per annotation: `{"text": ..., "label": ..., "unsure": bool}` (or
/// `"image": <media reference>` for image items). `label` is the class name (single-label) or
/// the list of class names in class order (multi-label), so every record of one export has
/// the same columns and the Hugging Face `datasets` JSON loader reads it with a `label`
/// column.
pub fn classification(
    template: &Template,
    item: &Value,
    payload: &Payload,
) -> Result<Vec<Value>, ExportError> {
    let (rules, p) = parts(template, payload, "classification")?;
    let classes = chosen(rules, p)?;
    let mut record = Map::new();
    if template.media_field().is_some() {
        record.insert("image".into(), json!(template.media_ref(item)?));
    } else {
        record.insert("text".into(), json!(template.input_text(item)?));
    }
    let names: Vec<&str> = classes.iter().map(|(_, n)| *n).collect();
    let label = match (rules.multi_label, names.first()) {
        (false, Some(name)) => json!(name),
        _ => json!(names),
    };
    record.insert("label".into(), label);
    record.insert("unsure".into(), json!(p.unsure.is_some()));
    Ok(vec![Value::Object(record)])
}

/// A Ground Truth class index: an integer, or a string of digits (Ground Truth's own examples
/// write both).
fn class_index(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    }
}

/// The payload held by a label in the built-in classification shape (see
/// [`GroundTruthLabel`]): the class index or indices become class names, checked against the
/// metadata's `class-name` / `class-map` when present (the template's classes must be in the
/// labeling job's order); Sift's `unsure` mark and its `worker-feedback` reason come back. A
/// label that is already an object (Sift's own payload shape) is returned as it is.
pub(crate) fn from_ground_truth(
    rules: &ClassificationRules,
    label: &Value,
    metadata: &Value,
) -> Result<Value, String> {
    if label.is_object() {
        return Ok(label.clone());
    }
    let indices: Vec<&Value> = match label {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let mut labels = Vec::with_capacity(indices.len());
    for v in indices {
        let Some(index) = class_index(v) else {
            return Err(format!(
                "expected a class index (or a list of them) or a Sift payload object, found {v}"
            ));
        };
        let Some(class) = rules.classes.get(index) else {
            return Err(format!(
                "class index {index} is out of range: the template has {} classes",
                rules.classes.len()
            ));
        };
        let named = match metadata.get("class-map") {
            Some(map) => map.get(index.to_string()).and_then(Value::as_str),
            None => metadata.get("class-name").and_then(Value::as_str),
        };
        if let Some(named) = named
            && named != class.name
        {
            return Err(format!(
                "class index {index} is `{}` in the template but `{named}` in the metadata; list the \
                 template's classes in the labeling job's order",
                class.name
            ));
        }
        labels.push(class.name.clone());
    }
    let unsure = (metadata.get("unsure") == Some(&Value::Bool(true))).then(|| Unsure {
        reason: metadata
            .pointer("/worker-feedback/0/comment")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    });
    Ok(serde_json::to_value(ClassificationPayload { labels, unsure }).unwrap_or(Value::Null))
}
