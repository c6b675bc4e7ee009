//! `sift import`: streaming, all-or-nothing, idempotent manifest import.
//!
//! A reader thread parses and checks lines (and resolves media) while the calling thread
//! inserts them into one SQLite transaction, so the two cores overlap and memory stays
//! flat whatever the file size. The first bad line aborts the whole import unless
//! [`ImportOptions::skip_invalid`] is set.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crossbeam_channel::{Receiver, Sender, bounded};
use serde_json::Value;
use serde_json::value::RawValue;
use sift_manifest::{
    GtRecord, LabelStudioError, LineReader, ManifestFormat, parse_gt_line, read_label_studio_tasks,
    sniff_format,
};
use sift_store::{ImportStats, InsertOutcome, NewImport};
use sift_template::Template;

use crate::media::{self, MediaRef};
use crate::{Error, Progress, Project, Result};

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Import the valid lines and list the invalid ones instead of stopping at the first.
    pub skip_invalid: bool,
    /// Lines longer than this are invalid.
    pub max_line_bytes: usize,
    /// Treat a missing local media file as an invalid line rather than a warning.
    pub require_media: bool,
    /// Who is importing (for the event log).
    pub actor: Option<String>,
    /// The file's format; `None` decides from the extension and the first byte.
    pub format: Option<ImportFormat>,
}

/// Manifest formats `sift import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    /// SageMaker Ground Truth JSON Lines (input or output manifests).
    Gt,
    /// A Label Studio JSON export (an array of tasks).
    LabelStudio,
}

impl std::str::FromStr for ImportFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "gt" => Ok(ImportFormat::Gt),
            "label-studio" => Ok(ImportFormat::LabelStudio),
            other => Err(format!(
                "unknown import format {other:?} (expected gt or label-studio)"
            )),
        }
    }
}

/// JSON Lines extensions are always Ground Truth; other files are sniffed (`[` means a
/// Label Studio task array).
fn detect_format(file: &Path, head: &[u8]) -> ManifestFormat {
    let ext = file.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("jsonl" | "ndjson" | "manifest") => ManifestFormat::GroundTruth,
        _ => sniff_format(head),
    }
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            skip_invalid: false,
            max_line_bytes: sift_manifest::DEFAULT_MAX_LINE_BYTES,
            require_media: false,
            actor: None,
            format: None,
        }
    }
}

/// A line that was not imported, or that has a warning.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedLine {
    pub line: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub file: String,
    pub format: String,
    /// Non-blank lines (or tasks) read.
    pub lines: u64,
    pub added: u64,
    pub duplicates: u64,
    pub skipped: u64,
    /// The first [`MAX_LISTED`] skipped lines (all of them go to [`Progress::note`]).
    pub skipped_lines: Vec<SkippedLine>,
    pub labels_added: u64,
    pub missing_media: u64,
    /// The first [`MAX_LISTED`] lines whose local media file does not exist.
    pub missing_media_lines: Vec<SkippedLine>,
    /// The import's id, or `None` when nothing was committed (an empty file).
    pub import_id: Option<i64>,
}

/// How many problem lines a report keeps in memory.
pub const MAX_LISTED: usize = 1000;
const BATCH: usize = 512;

/// One existing label found in a manifest.
#[derive(Debug)]
struct LabelImport {
    annotator: String,
    payload: String,
    created_at: Option<String>,
    reviewer: Option<String>,
}

#[derive(Debug)]
struct Record {
    content: String,
    hash: [u8; 16],
    media: Option<String>,
    media_missing: Option<String>,
    labels: Vec<LabelImport>,
}

#[derive(Debug)]
struct Parsed {
    line: u64,
    record: std::result::Result<Record, String>,
}

enum Msg {
    Batch(Vec<Parsed>),
    Fatal(Error),
}

impl Project {
    /// Imports a Ground Truth JSON Lines manifest or a Label Studio JSON export.
    pub fn import(
        &mut self,
        file: &Path,
        opts: &ImportOptions,
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        let display = file.display().to_string();
        let f = File::open(file).map_err(|e| Error::io("cannot open manifest", file, e))?;
        let total = f.metadata().map(|m| m.len()).ok();
        let mut reader = BufReader::with_capacity(256 * 1024, f);
        let head = reader
            .fill_buf()
            .map_err(|e| Error::io("cannot read manifest", file, e))?;
        let format = match opts.format {
            Some(ImportFormat::Gt) => ManifestFormat::GroundTruth,
            Some(ImportFormat::LabelStudio) => ManifestFormat::LabelStudio,
            None => detect_format(file, head),
        };
        let base = file
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));

        let mut report = ImportReport {
            file: display.clone(),
            format: match format {
                ManifestFormat::GroundTruth => "sagemaker-ground-truth",
                ManifestFormat::LabelStudio => "label-studio",
            }
            .to_owned(),
            ..Default::default()
        };
        progress.start("importing", total);
        let template = &self.template;
        let label_attribute = template.label_attribute().to_owned();
        let ctx = ParseCtx {
            template,
            base: &base,
            display: &display,
            opts,
            progress,
        };
        let (tx, rx) = bounded::<Msg>(8);
        let store = &mut self.store;

        let outcome = std::thread::scope(|s| {
            let reader_thread = s.spawn(move || match format {
                ManifestFormat::GroundTruth => read_gt(reader, &ctx, &label_attribute, &tx),
                ManifestFormat::LabelStudio => read_ls(reader, &ctx, &tx),
            });
            let result = write_all(store, &rx, &base, &display, format, opts, progress, &mut report);
            drop(rx); // unblocks the reader if the writer stopped early
            let _ = reader_thread.join();
            result
        });
        progress.finish();
        outcome?;
        Ok(report)
    }
}

struct ParseCtx<'a> {
    template: &'a Template,
    base: &'a Path,
    display: &'a str,
    opts: &'a ImportOptions,
    progress: &'a dyn Progress,
}

#[allow(clippy::too_many_arguments)]
fn write_all(
    store: &mut sift_store::Store,
    rx: &Receiver<Msg>,
    base: &Path,
    display: &str,
    format: ManifestFormat,
    opts: &ImportOptions,
    progress: &dyn Progress,
    report: &mut ImportReport,
) -> Result<()> {
    let format_name = match format {
        ManifestFormat::GroundTruth => "gt",
        ManifestFormat::LabelStudio => "label-studio",
    };
    let mut itx = store.begin_import(&NewImport {
        file: display,
        format: format_name,
        media_root: Some(base),
    })?;
    let mut stats = ImportStats::default();
    for msg in rx.iter() {
        let batch = match msg {
            Msg::Fatal(e) => return Err(e),
            Msg::Batch(b) => b,
        };
        for parsed in batch {
            stats.lines += 1;
            let record = match parsed.record {
                Ok(r) => r,
                Err(reason) => {
                    if !opts.skip_invalid {
                        return Err(Error::Manifest {
                            file: display.to_owned(),
                            line: parsed.line,
                            reason: format!(
                                "{reason} (nothing was imported; fix the line or use --skip-invalid)"
                            ),
                        });
                    }
                    stats.skipped += 1;
                    if report.skipped_lines.len() < MAX_LISTED {
                        report.skipped_lines.push(SkippedLine {
                            line: parsed.line,
                            reason,
                        });
                    }
                    continue;
                }
            };
            if let Some(path) = &record.media_missing {
                report.missing_media += 1;
                if report.missing_media_lines.len() < MAX_LISTED {
                    report.missing_media_lines.push(SkippedLine {
                        line: parsed.line,
                        reason: format!("media file not found: {path}"),
                    });
                }
            }
            let outcome = itx.insert_item(
                &record.content,
                &record.hash,
                record.media.as_deref(),
                parsed.line,
            )?;
            let item_id = match outcome {
                InsertOutcome::Added(id) => {
                    stats.added += 1;
                    Some(id)
                }
                InsertOutcome::Duplicate => {
                    stats.duplicates += 1;
                    if record.labels.is_empty() {
                        None
                    } else {
                        itx.item_id_by_hash(&record.hash)?
                    }
                }
            };
            if let Some(item_id) = item_id {
                for label in &record.labels {
                    let annotator = itx.ensure_annotator(&label.annotator)?;
                    let reviewer = match &label.reviewer {
                        Some(r) => Some(itx.ensure_annotator(r)?),
                        None => None,
                    };
                    let created = label.created_at.clone().unwrap_or_else(sift_core::now_rfc3339);
                    if itx.import_label(item_id, annotator, &label.payload, &created, reviewer)? {
                        stats.labels_added += 1;
                    }
                }
            }
        }
    }
    report.lines = stats.lines;
    report.added = stats.added;
    report.duplicates = stats.duplicates;
    report.skipped = stats.skipped;
    report.labels_added = stats.labels_added;
    if stats.lines == 0 {
        return Ok(()); // nothing to record: the transaction rolls back
    }
    let details = serde_json::json!({
        "file": display, "format": format_name, "lines": stats.lines, "added": stats.added,
        "duplicates": stats.duplicates, "skipped": stats.skipped, "labels_added": stats.labels_added,
    });
    progress.start("committing", None);
    report.import_id = Some(itx.commit(&stats, opts.actor.as_deref(), &details)?);
    Ok(())
}

fn send_batch(tx: &Sender<Msg>, batch: &mut Vec<Parsed>) -> bool {
    if batch.is_empty() {
        return true;
    }
    tx.send(Msg::Batch(std::mem::replace(batch, Vec::with_capacity(BATCH))))
        .is_ok()
}

fn read_gt(reader: impl BufRead, ctx: &ParseCtx<'_>, label_attribute: &str, tx: &Sender<Msg>) {
    let mut lines = LineReader::with_limit(reader, ctx.opts.max_line_bytes);
    let mut scratch = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    let media_field = ctx.template.media_field().map(str::to_owned);
    while let Some(next) = lines.next() {
        let parsed = match next {
            Err(e) if !e.is_recoverable() => {
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

fn note_problem(ctx: &ParseCtx<'_>, parsed: &Parsed) {
    match &parsed.record {
        Err(reason) if ctx.opts.skip_invalid => ctx
            .progress
            .note(&format!("{}:{}: skipped: {reason}", ctx.display, parsed.line)),
        Ok(Record {
            media_missing: Some(path),
            ..
        }) => ctx.progress.note(&format!(
            "{}:{}: media file not found: {path}",
            ctx.display, parsed.line
        )),
        _ => {}
    }
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
    let (media, media_missing) = resolve_media(media_value.as_deref(), ctx)?;
    let labels = match r.labels {
        None => Vec::new(),
        Some(cols) => labels_from_gt(ctx.template, label_attribute, cols.value, cols.metadata)?,
    };
    Ok(Record {
        content: r.content.into_owned(),
        hash: r.hash.0,
        media,
        media_missing,
        labels,
    })
}

fn field_string(content: &str, field: &str) -> std::result::Result<Option<String>, String> {
    let v: Value = serde_json::from_str(content).map_err(|e| e.to_string())?;
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("field {field:?}: must be a string URI or path")),
    }
}

fn resolve_media(
    value: Option<&str>,
    ctx: &ParseCtx<'_>,
) -> std::result::Result<(Option<String>, Option<String>), String> {
    let Some(value) = value else {
        return Ok((None, None));
    };
    let resolved = media::resolve(value, ctx.base);
    let missing = match &resolved {
        MediaRef::Local(p) if !p.is_file() => Some(p.display().to_string()),
        _ => None,
    };
    if let (Some(path), true) = (&missing, ctx.opts.require_media) {
        return Err(format!("media file not found: {path}"));
    }
    Ok((Some(resolved.as_stored()), missing))
}

/// Existing labels in an output line: either Sift's own shape (the payload under the label
/// attribute, who and when in the metadata) or Ground Truth's consolidated custom shape
/// (`annotationsFromAllWorkers`, whose `content` is JSON inside a string).
fn labels_from_gt(
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

fn annotator_name(raw: &str) -> String {
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

fn read_ls(reader: impl BufRead, ctx: &ParseCtx<'_>, tx: &Sender<Msg>) {
    let mut batch = Vec::with_capacity(BATCH);
    let media_field = ctx.template.media_field().map(str::to_owned);
    let result = read_label_studio_tasks::<_, std::io::Error, _>(reader, |task| {
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
    let (media, media_missing) = resolve_media(media_value.as_deref(), ctx)?;
    let data: Value = serde_json::from_str(&task.data).map_err(|e| e.to_string())?;
    let mut labels = Vec::new();
    for (i, ann) in task.annotations.iter().enumerate() {
        if ann.get("was_cancelled").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let result = ann.get("result").unwrap_or(&Value::Null);
        let payload = sift_template::export::from_label_studio(
            ctx.template,
            &data,
            result,
            &sift_template::MediaInfo::default(),
        )
        .map_err(|e| format!("annotations[{i}]: {e}"))?;
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
    Ok(Record {
        content: task.data,
        hash: task.hash.0,
        media,
        media_missing,
        labels,
    })
}
