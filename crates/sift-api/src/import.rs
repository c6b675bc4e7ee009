//! `sift import`: streaming, all-or-nothing, idempotent manifest import.
//!
//! A reader thread parses and checks lines (and resolves media) while the calling thread
//! inserts them into one SQLite transaction, so the two cores overlap and memory stays
//! flat whatever the file size. The first bad line aborts the whole import unless
//! [`ImportOptions::skip_invalid`] is set; so does a reader that fails, which is joined
//! before anything is committed.
//!
//! This file owns the options and the report; the writer lives in `writer.rs`, the readers in `gt.rs`
//! (Ground Truth JSON Lines) and `label_studio.rs`, predictions made outside Sift (read by
//! both) in `predictions.rs`, media roots in `roots.rs`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crossbeam_channel::{Sender, bounded};
use serde_json::Value;
use sift_manifest::{ManifestFormat, sniff_format, sniff_json_format};
use sift_store::ImportStats;
use sift_template::Template;

use crate::{Error, Progress, Project, Result};

mod gt;
mod label_studio;
mod predictions;
mod roots;
mod writer;

use roots::MediaRoot;
use writer::write_all;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Import the valid lines and list the invalid ones instead of stopping at the first.
    pub skip_invalid: bool,
    /// Lines (and Label Studio tasks) longer than this are invalid.
    pub max_line_bytes: usize,
    /// Treat a missing local media file as an invalid line rather than a warning.
    pub require_media: bool,
    /// Who is importing (for the event log).
    pub actor: Option<String>,
    /// The file's format; `None` decides from the extension and the first byte.
    pub format: Option<ImportFormat>,
    /// The folder media may be served from. `None`: the manifest's folder, unless that is a
    /// folder that must not be served whole (the file system's root, the home folder or a
    /// folder holding it, a system folder), which only an explicit root may name.
    pub media_root: Option<PathBuf>,
    /// Import the items only: the annotations of Label Studio tasks (and the label columns
    /// of output manifests) are left out and counted, for data labeled under another
    /// labeling configuration.
    pub data_only: bool,
}

/// Manifest formats `sift import` reads. The serde names, the CLI's `--format` names
/// (`FromStr`), `as_str` and `Display` are one set of kebab-case names, derived once.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ImportFormat {
    /// SageMaker Ground Truth JSON Lines (input or output manifests).
    Gt,
    /// A Label Studio JSON export (an array of tasks).
    LabelStudio,
}

impl ImportFormat {
    /// The format's name, as `--format` takes it and serde writes it (`label-studio`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::str::FromStr for ImportFormat {
    type Err = String;
    /// `unknown import format "x" (expected gt or label-studio)` for a wrong name.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        sift_core::parse_name(s, "import format")
    }
}

/// JSON Lines extensions are always Ground Truth; a `.json` file holding one object is a
/// Label Studio task; other files are sniffed (`[` means a Label Studio task array).
fn detect_format(file: &Path, head: &[u8]) -> ManifestFormat {
    let ext = file.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("jsonl" | "ndjson" | "manifest") => ManifestFormat::GroundTruth,
        Some("json") => sniff_json_format(head),
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
            media_root: None,
            data_only: false,
        }
    }
}

/// A line that was not imported, or that has a warning.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedLine {
    /// The line (1-based; for Label Studio, the line the task starts on).
    pub line: u64,
    /// What is wrong with it, naming the field.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// The manifest file as given.
    pub file: String,
    /// The format read: `sagemaker-ground-truth` or `label-studio`.
    pub format: String,
    /// Non-blank lines (or tasks) read.
    pub lines: u64,
    /// New items stored.
    pub added: u64,
    /// Items whose content the project already held (imports are idempotent); their
    /// labels are still imported.
    pub duplicates: u64,
    /// Invalid lines left out ([`ImportOptions::skip_invalid`]).
    pub skipped: u64,
    /// The first [`MAX_LISTED`] skipped lines (all of them go to [`Progress::note`]).
    pub skipped_lines: Vec<SkippedLine>,
    /// Existing labels (Ground Truth label columns, Label Studio annotations) stored as
    /// annotations; labels of someone who already has an annotation of the item are left
    /// out and not counted.
    pub labels_added: u64,
    /// Predictions made outside Sift (Label Studio `predictions`, Ground Truth labels marked
    /// `"human-annotated": "no"`) stored as imported predictions, never as annotations; a
    /// source's second prediction for the same item is left out and not counted.
    pub predictions_added: u64,
    /// Annotations, predictions (or label columns) not imported because of
    /// [`ImportOptions::data_only`].
    pub annotations_left_out: u64,
    /// Lines whose local media file does not exist (imported with a warning unless
    /// [`ImportOptions::require_media`]).
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

/// One prediction made outside Sift, found in a manifest (never a person's label).
#[derive(Debug)]
struct PredictionImport {
    /// `label-studio` or `ground-truth`.
    format: &'static str,
    /// The model version the file names (`""` when none).
    model_version: String,
    /// Canonical payload JSON, checked against the template.
    payload: String,
    /// The score, checked to lie in 0..=1.
    score: Option<f64>,
    created_at: Option<String>,
}

#[derive(Debug)]
struct Record {
    content: String,
    hash: [u8; 16],
    media: Option<String>,
    /// Whether `media` is a local file (served from a media root) rather than a remote URI.
    media_local: bool,
    media_missing: Option<String>,
    labels: Vec<LabelImport>,
    predictions: Vec<PredictionImport>,
    /// Annotations the line carried that [`ImportOptions::data_only`] left out.
    left_out: u64,
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
        let root = MediaRoot::choose(opts.media_root.as_deref(), &base)?;

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
                ManifestFormat::GroundTruth => gt::read_gt(reader, &ctx, &label_attribute, &tx),
                ManifestFormat::LabelStudio => label_studio::read_ls(reader, &ctx, &tx),
            });
            let target = Target {
                display: &display,
                format,
                root: &root,
                bulk: total.is_some_and(|bytes| bytes >= BULK_MIN_BYTES),
            };
            let written = write_all(store, &rx, &target, opts, &mut report);
            drop(rx); // unblocks the reader if the writer stopped early
            // The reader must have finished cleanly before anything is committed: a reader
            // that died mid-way closed the channel as if the file had ended.
            let read = reader_thread
                .join()
                .map_err(|panic| reader_failed(&display, &panic));
            match (written?, read) {
                (_, Err(e)) => Err(e),
                (None, Ok(())) => Ok(()),
                (Some(pending), Ok(())) => {
                    progress.start("committing", None);
                    report.import_id = Some(pending.commit(opts.actor.as_deref())?);
                    Ok(())
                }
            }
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

/// Files from this size on are imported in bulk ([`sift_store::Store::begin_bulk_import`]):
/// about 50,000 lines.
const BULK_MIN_BYTES: u64 = 8 << 20;

/// Where the writer puts what the reader sends.
struct Target<'a> {
    display: &'a str,
    format: ManifestFormat,
    root: &'a MediaRoot,
    /// Import in bulk: a big file.
    bulk: bool,
}

/// A written import waiting for the reader's verdict before its commit.
struct PendingImport<'s> {
    itx: sift_store::ImportTx<'s>,
    stats: ImportStats,
    details: Value,
}

impl PendingImport<'_> {
    fn commit(self, actor: Option<&str>) -> Result<i64> {
        Ok(self.itx.commit(&self.stats, actor, &self.details)?)
    }
}

/// The error for a reader thread that panicked: the import is abandoned.
fn reader_failed(display: &str, panic: &(dyn std::any::Any + Send)) -> Error {
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown cause");
    Error::Internal(format!(
        "the manifest reader failed while reading {display} ({what}); nothing was imported"
    ))
}

fn send_batch(tx: &Sender<Msg>, batch: &mut Vec<Parsed>) -> bool {
    if batch.is_empty() {
        return true;
    }
    tx.send(Msg::Batch(std::mem::replace(batch, Vec::with_capacity(BATCH))))
        .is_ok()
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

#[cfg(test)]
mod tests;
