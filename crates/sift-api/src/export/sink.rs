//! Where exported rows go, per format: each row decoded and written, open Label Studio tasks
//! closed, and the errors named by item.

use std::io::Write;

use serde_json::Value;
use sift_store::ExportRow;
use sift_template::export::{self, CocoCaptions, PreferenceOptions, SftOptions};
use sift_template::{MediaInfo, Payload};

use super::gt::GtWriter;
use super::ls_predictions::PredictionItems;
use super::{ExportFormat, ExportOptions};
use crate::media::MediaFacts;
use crate::{Error, Project, Result};

/// Where rows go, per format.
pub(super) enum Sink<'p> {
    Gt(GtWriter, u64),
    Lines {
        project: &'p Project,
        opts: &'p ExportOptions,
        records: u64,
        media: MediaFacts,
    },
    Coco {
        project: &'p Project,
        coco: CocoCaptions,
        media: MediaFacts,
    },
    LabelStudio {
        project: &'p Project,
        open: Option<OpenTask>,
        tasks: u64,
        media: MediaFacts,
        /// Items with predictions, written as tasks of their own when not annotated.
        predicted: PredictionItems,
    },
}

impl<'p> Sink<'p> {
    pub(super) fn new(project: &'p Project, opts: &'p ExportOptions) -> Result<Self> {
        Ok(match opts.format {
            ExportFormat::Gt => Sink::Gt(GtWriter::new(&project.template), 0),
            ExportFormat::CocoCaptions => Sink::Coco {
                project,
                coco: CocoCaptions::new(),
                media: MediaFacts::default(),
            },
            ExportFormat::LabelStudio => Sink::LabelStudio {
                project,
                open: None,
                tasks: 0,
                media: MediaFacts::default(),
                predicted: PredictionItems::new(project, opts)?,
            },
            _ => Sink::Lines {
                project,
                opts,
                records: 0,
                media: MediaFacts::default(),
            },
        })
    }

    pub(super) fn row(&mut self, row: &ExportRow<'_>, w: &mut dyn Write) -> Result<()> {
        match self {
            Sink::Gt(gt, n) => {
                let built_in = gt.built_in_label(row)?;
                gt.write(row, built_in.as_ref(), w).map_err(write_error)?;
                *n += 1;
            }
            Sink::Lines {
                project,
                opts,
                records,
                media,
            } => {
                let (item, payload) = decode(project, row)?;
                let info = media.info(&project.template, &item, row.media_ref);
                let t = &project.template;
                let out = match opts.format {
                    ExportFormat::Sft => export::sft(
                        t,
                        &item,
                        &payload,
                        &SftOptions {
                            style: opts.sft_style,
                            ..Default::default()
                        },
                    ),
                    ExportFormat::Preference => export::preference(
                        t,
                        &item,
                        &payload,
                        &PreferenceOptions {
                            dimensions: (!opts.dimensions.is_empty()).then(|| opts.dimensions.clone()),
                            ..Default::default()
                        },
                    ),
                    ExportFormat::Classification => export::classification(t, &item, &payload),
                    _ => export::captions(t, &item, &payload, &info),
                }
                .map_err(|e| item_error(row, &e))?;
                for record in out {
                    serde_json::to_writer(&mut *w, &record).map_err(|e| write_error(e.into()))?;
                    w.write_all(b"\n").map_err(write_error)?;
                    *records += 1;
                }
            }
            Sink::Coco { project, coco, media } => {
                let (item, payload) = decode(project, row)?;
                let info = media.info(&project.template, &item, row.media_ref);
                coco.add(&project.template, &item, &payload, &info)
                    .map_err(|e| item_error(row, &e))?;
            }
            Sink::LabelStudio {
                project,
                open,
                tasks,
                media,
                predicted,
            } => {
                let (item, payload) = decode(project, row)?;
                if open.as_ref().is_some_and(|t| t.item_id != row.item_id) {
                    write_ls_task(project, open.take(), *tasks, w)?;
                    *tasks += 1;
                }
                if open.is_none() {
                    let before = predicted.take_until(Some(row.item_id));
                    write_predicted_tasks(project, &before, tasks, media, w)?;
                }
                let annotation_id = row.item_id as u64 * 1000 + row.version as u64;
                match open {
                    Some(task) => task.annotations.push((annotation_id, payload)),
                    None => {
                        let info = media.info(&project.template, &item, row.media_ref);
                        *open = Some(OpenTask {
                            item_id: row.item_id,
                            item,
                            info,
                            annotations: vec![(annotation_id, payload)],
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes what is still buffered; returns the number of records written.
    pub(super) fn finish(self, w: &mut dyn Write) -> Result<u64> {
        match self {
            Sink::Gt(_, n) => Ok(n),
            Sink::Lines { records, .. } => Ok(records),
            Sink::Coco { coco, .. } => {
                let n = coco.len() as u64;
                serde_json::to_writer_pretty(&mut *w, &coco.finish()).map_err(|e| write_error(e.into()))?;
                w.write_all(b"\n").map_err(write_error)?;
                Ok(n)
            }
            Sink::LabelStudio {
                project,
                open,
                mut tasks,
                mut media,
                mut predicted,
            } => {
                if open.is_some() {
                    write_ls_task(project, open, tasks, w)?;
                    tasks += 1;
                }
                let rest = predicted.take_until(None);
                write_predicted_tasks(project, &rest, &mut tasks, &mut media, w)?;
                let n = tasks;
                w.write_all(if n == 0 { b"[]\n" } else { b"\n]\n" })
                    .map_err(write_error)?;
                Ok(n)
            }
        }
    }
}

/// A Label Studio task being filled with the annotations of one item.
pub(super) struct OpenTask {
    item_id: i64,
    item: Value,
    info: MediaInfo,
    annotations: Vec<(u64, Payload)>,
}

fn write_ls_task(project: &Project, task: Option<OpenTask>, written: u64, w: &mut dyn Write) -> Result<()> {
    let Some(OpenTask {
        item_id,
        item,
        info,
        annotations,
    }) = task
    else {
        return Ok(());
    };
    let refs: Vec<(u64, &Payload)> = annotations.iter().map(|(id, p)| (*id, p)).collect();
    let mut value = export::label_studio_task(&project.template, &item, &info, item_id as u64, &refs)
        .map_err(|e| Error::BadRequest(format!("item {item_id}: {e}")))?;
    value["predictions"] = Value::Array(project.ls_predictions(item_id, &item, &info)?);
    w.write_all(if written == 0 { b"[\n" } else { b",\n" })
        .map_err(write_error)?;
    serde_json::to_writer(&mut *w, &value).map_err(|e| write_error(e.into()))
}

/// Tasks for items with predictions and no exported annotation (`ls_predictions.rs`).
fn write_predicted_tasks(
    project: &Project,
    ids: &[i64],
    tasks: &mut u64,
    media: &mut MediaFacts,
    w: &mut dyn Write,
) -> Result<()> {
    for &item_id in ids {
        let Some(row) = project.store.item(item_id)? else {
            continue;
        };
        let item: Value = serde_json::from_str(&row.content)
            .map_err(|e| Error::Internal(format!("item {item_id}: stored content is not JSON: {e}")))?;
        let info = media.info(&project.template, &item, row.media_ref.as_deref());
        let task = OpenTask {
            item_id,
            item,
            info,
            annotations: Vec::new(),
        };
        write_ls_task(project, Some(task), *tasks, w)?;
        *tasks += 1;
    }
    Ok(())
}

pub(super) fn decode(project: &Project, row: &ExportRow<'_>) -> Result<(Value, Payload)> {
    let item: Value = serde_json::from_slice(row.content)
        .map_err(|e| Error::Internal(format!("item {}: stored content is not JSON: {e}", row.item_id)))?;
    let payload: Value = serde_json::from_slice(row.payload)
        .map_err(|e| Error::Internal(format!("item {}: stored payload is not JSON: {e}", row.item_id)))?;
    let payload = project.template.parse_payload(&payload).map_err(|v| {
        Error::BadRequest(format!(
            "item {} ({}): the saved annotation no longer fits the template: {}",
            row.item_id,
            row.annotator,
            v.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        ))
    })?;
    Ok((item, payload))
}

pub(super) fn item_error(row: &ExportRow<'_>, e: &sift_template::export::ExportError) -> Error {
    Error::BadRequest(format!(
        "item {} (annotated by {}): {e}",
        row.item_id, row.annotator
    ))
}

pub(super) fn write_error(e: std::io::Error) -> Error {
    Error::io("cannot write the export", "output", e)
}
