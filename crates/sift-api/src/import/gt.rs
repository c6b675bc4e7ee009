//! Ground Truth JSON Lines on the reader thread: lines checked and hashed, media resolved,
//! existing labels (Sift's own output shape or Ground Truth's consolidated one) parsed; a label
//! marked `"human-annotated": "no"` becomes an imported prediction, never a person's label.

use std::io::BufRead;

use crossbeam_channel::Sender;
use serde_json::Value;
use serde_json::value::RawValue;
use sift_manifest::{GtRecord, LineReader, parse_gt_line};
use sift_template::Template;

use super::predictions::score_of;
use super::roots::resolve_media;
use super::{BATCH, LabelImport, Msg, ParseCtx, Parsed, PredictionImport, Record, note_problem, send_batch};
use crate::Error;

pub(super) fn read_gt(reader: impl BufRead, ctx: &ParseCtx<'_>, label_attribute: &str, tx: &Sender<Msg>) {
    let mut lines = LineReader::with_limit(reader, ctx.opts.max_line_bytes);
    let mut scratch = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    let media_field = ctx.template.media_field().map(str::to_owned);
    while let Some(next) = lines.next() {
        let parsed = match next {
            Err(e) if !e.is_recoverable() => {
                // A failed send means the writer has already stopped (on an earlier error)
                // and has nothing left to abort.
                let _ = tx.send(Msg::Fatal(Error::ManifestFile {
                    file: ctx.display.to_owned(),
                    reason: e.to_string(),
                }));
                return;
            }
            Err(e) => Parsed {
                line: e.line(),
                record: Err(strip_line_prefix(&e.to_string())),
            },
            Ok(line) => Parsed {
                line: line.number,
                record: parse_gt_line(line.text, Some(label_attribute), &mut scratch)
                    .map_err(|e| e.to_string())
                    .and_then(|r| gt_record(r, ctx, media_field.as_deref(), label_attribute, line.number)),
            },
        };
        note_problem(ctx, &parsed);
        batch.push(parsed);
        if batch.len() == BATCH {
            ctx.progress.set_position(lines.bytes_read());
            if !send_batch(tx, &mut batch) {
                return;
            }
        }
    }
    ctx.progress.set_position(lines.bytes_read());
    send_batch(tx, &mut batch);
}

fn strip_line_prefix(msg: &str) -> String {
    // "line 7: reason" -> "reason" (the caller adds file:line itself)
    match msg.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest.to_owned(),
        _ => msg.to_owned(),
    }
}

fn gt_record(
    r: GtRecord<'_>,
    ctx: &ParseCtx<'_>,
    media_field: Option<&str>,
    label_attribute: &str,
    _line: u64,
) -> std::result::Result<Record, String> {
    let media_value: Option<String> = match media_field {
        None => None,
        Some("source-ref") => r.source_ref.as_deref().map(str::to_owned),
        Some(field) => field_string(&r.content, field)?,
    };
    let (media, media_local, media_missing) = resolve_media(media_value.as_deref(), ctx)?;
    let ((labels, predictions), left_out) = match r.labels {
        None => ((Vec::new(), Vec::new()), 0),
        Some(_) if ctx.opts.data_only => ((Vec::new(), Vec::new()), 1),
        Some(cols) => (
            labels_from_gt(ctx.template, label_attribute, cols.value, cols.metadata)
                .map_err(|e| format!("{e} (to import the line without its label, use --data-only)"))?,
            0,
        ),
    };
    Ok(Record {
        content: r.content.into_owned(),
        hash: r.hash.0,
        media,
        media_local,
        media_missing,
        labels,
        predictions,
        left_out,
    })
}

pub(super) fn field_string(content: &str, field: &str) -> std::result::Result<Option<String>, String> {
    let v: Value = serde_json::from_str(content).map_err(|e| e.to_string())?;
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("field {field:?}: must be a string URI or path")),
    }
}

/// Existing labels in an output line: either Sift's own shape (the payload under the label
/// attribute, who and when in the metadata) or Ground Truth's consolidated custom shape
/// (`annotationsFromAllWorkers`, whose `content` is JSON inside a string). A label whose
/// metadata says `"human-annotated": "no"` is a model's: it becomes a prediction (its
/// `confidence` the score, named after the metadata's `model`, else its `job-name`), never a
/// person's label.
fn labels_from_gt(
    template: &Template,
    label_attribute: &str,
    value: &RawValue,
    metadata: Option<&RawValue>,
) -> std::result::Result<(Vec<LabelImport>, Vec<PredictionImport>), String> {
    let meta_field = format!("field \"{label_attribute}-metadata\"");
    let machine = metadata
        .and_then(|m| serde_json::from_str::<Value>(m.get()).ok())
        .filter(|m| m.get("human-annotated").and_then(Value::as_str) == Some("no"));
    let labels = human_labels_from_gt(template, label_attribute, value, metadata)?;
    let Some(meta) = machine else {
        return Ok((labels, Vec::new()));
    };
    let score = score_of(meta.get("confidence"), &format!("{meta_field}.confidence"))?;
    let model_version = ["model", "job-name"]
        .iter()
        .find_map(|k| meta.get(*k).and_then(Value::as_str))
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect::<String>();
    let predictions = labels
        .into_iter()
        .map(|l| PredictionImport {
            format: "ground-truth",
            model_version: model_version.clone(),
            payload: l.payload,
            score,
            created_at: l.created_at,
        })
        .collect();
    Ok((Vec::new(), predictions))
}

fn human_labels_from_gt(
    template: &Template,
    label_attribute: &str,
    value: &RawValue,
    metadata: Option<&RawValue>,
) -> std::result::Result<Vec<LabelImport>, String> {
    let field = |reason: String| format!("field {label_attribute:?}: {reason}");
    let meta: Value = match metadata {
        Some(m) => {
            serde_json::from_str(m.get()).map_err(|e| format!("field \"{label_attribute}-metadata\": {e}"))?
        }
        None => Value::Null,
    };
    let meta_str = |k: &str| meta.get(k).and_then(Value::as_str).map(str::to_owned);
    let created_at = meta_str("creation-date");
    let approved = meta_str("review-state").as_deref() == Some("approved");
    let reviewer = if approved {
        Some(meta_str("reviewer").unwrap_or_else(|| "imported".into()))
    } else {
        None
    };
    let value: Value = serde_json::from_str(value.get()).map_err(|e| field(e.to_string()))?;

    if let Some(workers) = value.get("annotationsFromAllWorkers") {
        let workers = workers
            .as_array()
            .ok_or_else(|| field("annotationsFromAllWorkers must be a list".into()))?;
        let mut out = Vec::with_capacity(workers.len());
        for (i, w) in workers.iter().enumerate() {
            let worker = w.get("workerId").and_then(Value::as_str).unwrap_or("imported");
            let content = w
                .pointer("/annotationData/content")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    field(format!(
                        "annotationsFromAllWorkers[{i}].annotationData.content is missing"
                    ))
                })?;
            let payload: Value = serde_json::from_str(content).map_err(|e| {
                field(format!(
                    "annotationsFromAllWorkers[{i}].annotationData.content: {e}"
                ))
            })?;
            out.push(LabelImport {
                annotator: annotator_name(worker),
                payload: checked_payload(template, &payload).map_err(&field)?,
                created_at: created_at.clone(),
                reviewer: reviewer.clone(),
            });
        }
        return Ok(out);
    }
    // A classification label in Ground Truth's built-in shape becomes Sift's payload here.
    let value =
        sift_template::interop::ground_truth::payload_from_label(template, &value, &meta).map_err(&field)?;
    Ok(vec![LabelImport {
        annotator: annotator_name(&meta_str("annotator").unwrap_or_else(|| "imported".into())),
        payload: checked_payload(template, &value).map_err(field)?,
        created_at,
        reviewer,
    }])
}

pub(super) fn annotator_name(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "imported".into()
    } else {
        cleaned
    }
}

/// Parses a payload for the template's kind and returns its canonical JSON text.
fn checked_payload(template: &Template, payload: &Value) -> std::result::Result<String, String> {
    match template.parse_payload(payload) {
        Ok(p) => Ok(p.to_json().to_string()),
        Err(violations) => Err(violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")),
    }
}
