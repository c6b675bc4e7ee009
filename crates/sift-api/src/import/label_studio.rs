//! Label Studio task files on the reader thread: each task's data checked and hashed, media
//! resolved, and its annotations and predictions converted for the template (or left out with
//! `--data-only`); predictions are never annotations (`predictions.rs`).

use std::io::BufRead;

use crossbeam_channel::Sender;
use serde_json::Value;
use sift_manifest::{LabelStudioError, read_label_studio_tasks_with_limit};

use super::gt::{annotator_name, field_string};
use super::predictions::label_studio_predictions;
use super::roots::resolve_media;
use super::{BATCH, LabelImport, Msg, ParseCtx, Parsed, Record, note_problem, send_batch};
use crate::Error;

pub(super) fn read_ls(reader: impl BufRead, ctx: &ParseCtx<'_>, tx: &Sender<Msg>) {
    let mut batch = Vec::with_capacity(BATCH);
    let media_field = ctx.template.media_field().map(str::to_owned);
    let limit = ctx.opts.max_line_bytes;
    let result = read_label_studio_tasks_with_limit::<_, std::io::Error, _>(reader, limit, |task| {
        let parsed = match task {
            Err(LabelStudioError::Task { line, message, .. }) => Parsed {
                line,
                record: Err(message),
            },
            Err(other) => Parsed {
                line: 0,
                record: Err(other.to_string()),
            },
            Ok(task) => Parsed {
                line: task.line,
                record: ls_record(task, ctx, media_field.as_deref()),
            },
        };
        note_problem(ctx, &parsed);
        batch.push(parsed);
        if batch.len() == BATCH && !send_batch(tx, &mut batch) {
            return Err(std::io::Error::other("import stopped"));
        }
        Ok(())
    });
    match result {
        Ok(_) => {
            send_batch(tx, &mut batch);
        }
        Err(LabelStudioError::Callback(_)) => {}
        Err(e) => {
            send_batch(tx, &mut batch);
            let reason = e.to_string();
            // A failed send means the writer has already stopped (on an earlier error) and
            // has nothing left to abort.
            let _ = tx.send(Msg::Fatal(match e {
                LabelStudioError::Syntax { line, message } => Error::Manifest {
                    file: ctx.display.to_owned(),
                    line,
                    reason: format!("invalid JSON: {message}"),
                },
                _ => Error::ManifestFile {
                    file: ctx.display.to_owned(),
                    reason,
                },
            }));
        }
    }
}

fn ls_record(
    task: sift_manifest::LabelStudioTask,
    ctx: &ParseCtx<'_>,
    media_field: Option<&str>,
) -> std::result::Result<Record, String> {
    let media_value = match media_field {
        None => None,
        Some(f) => field_string(&task.data, f).map_err(|e| format!("data: {e}"))?,
    };
    let (media, media_local, media_missing) = resolve_media(media_value.as_deref(), ctx)?;
    let data: Value = serde_json::from_str(&task.data).map_err(|e| e.to_string())?;
    let mut labels = Vec::new();
    let mut left_out = 0;
    for (i, ann) in task.annotations.iter().enumerate() {
        if ann.get("was_cancelled").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if ctx.opts.data_only {
            left_out += 1;
            continue;
        }
        let result = ann.get("result").unwrap_or(&Value::Null);
        let payload = sift_template::export::from_label_studio(
            ctx.template,
            &data,
            result,
            &sift_template::MediaInfo::default(),
        )
        .map_err(|e| {
            format!("annotations[{i}]: {e} (to import the task without its annotations, use --data-only)")
        })?;
        let who = match ann.get("completed_by") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => format!("ls-{n}"),
            Some(Value::Object(o)) => o
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| o.get("id").map(|id| format!("ls-{id}")))
                .unwrap_or_else(|| "imported".into()),
            _ => "imported".into(),
        };
        labels.push(LabelImport {
            annotator: annotator_name(&who),
            payload: payload.to_json().to_string(),
            created_at: ann.get("created_at").and_then(Value::as_str).map(str::to_owned),
            reviewer: None,
        });
    }
    let predictions = if ctx.opts.data_only {
        left_out += task.predictions.len() as u64;
        Vec::new()
    } else {
        label_studio_predictions(&task.predictions, &data, ctx)?
    };
    Ok(Record {
        content: task.data,
        hash: task.hash.0,
        media,
        media_local,
        media_missing,
        labels,
        predictions,
        left_out,
    })
}
