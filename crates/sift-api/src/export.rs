//! `sift export`: streaming, deterministic, atomic exports.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sift_store::{ExportFilter, ExportRow};
use sift_template::export::{self, CocoCaptions, PreferenceOptions, SftOptions};
use sift_template::{Kind, MediaInfo, Payload};

pub use sift_template::export::SftStyle;

use crate::media::MediaFacts;
use crate::{Error, Progress, Project, Result};

mod ls_predictions;

use ls_predictions::PredictionItems;

/// Output formats. The serde names, the CLI's `--format` names (`FromStr`), `as_str` and
/// `Display` are one set of kebab-case names, derived once.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ExportFormat {
    /// A SageMaker Ground Truth output manifest (JSON Lines).
    #[default]
    Gt,
    /// Supervised fine-tuning records from Q&A pairs (JSON Lines).
    Sft,
    /// `prompt`/`chosen`/`rejected` pairs implied by rankings (JSON Lines).
    Preference,
    /// Media reference, caption and structure for image and video work (JSON Lines).
    Captions,
    /// One COCO captions JSON document (images only).
    CocoCaptions,
    /// A Label Studio task array, importable back with `sift import`.
    LabelStudio,
    /// `{"text" | "image", "label", "unsure"}` records from classification work (JSON Lines).
    Classification,
    /// Every item plus the current head's `prediction` (JSON Lines; `learn/predictions.rs`).
    Predictions,
}

impl ExportFormat {
    /// Every format, in declaration order (the order the Lab lists them in).
    pub const ALL: &'static [ExportFormat] = <ExportFormat as strum::VariantArray>::VARIANTS;

    /// The format's name, as `--format` takes it and serde writes it (`coco-captions`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The template kinds this format applies to (`None`: every kind).
    fn kinds(self) -> Option<&'static [Kind]> {
        match self {
            ExportFormat::Gt | ExportFormat::LabelStudio => None,
            ExportFormat::Sft => Some(&[Kind::Qa]),
            ExportFormat::Preference => Some(&[Kind::Ranking]),
            ExportFormat::Captions => Some(&[Kind::ImageCaption, Kind::VideoCaption]),
            ExportFormat::CocoCaptions => Some(&[Kind::ImageCaption]),
            ExportFormat::Classification => Some(&[Kind::Classification]),
            ExportFormat::Predictions => Some(&[Kind::Classification, Kind::Ranking]),
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    /// `unknown export format "x" (expected gt, sft, ... or predictions)` for a wrong name.
    fn from_str(s: &str) -> Result<Self, String> {
        sift_core::parse_name(s, "export format")
    }
}

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The output format (Ground Truth by default).
    pub format: ExportFormat,
    /// Only approved annotations (otherwise submitted and approved ones).
    pub approved_only: bool,
    /// Only items of this batch.
    pub batch: Option<String>,
    /// `sft`: chat messages (default) or prompt/completion records.
    pub sft_style: SftStyle,
    /// `preference`: only these dimensions (all when empty).
    pub dimensions: Vec<String>,
    /// `gt`: leave out machine labels (`sift autolabel`), which are written by default after
    /// the human lines, marked `"human-annotated": "no"`.
    pub human_only: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportReport {
    /// The file written (`None` when written to a stream, e.g. standard output).
    pub path: Option<PathBuf>,
    /// The format's name ([`ExportFormat::as_str`]).
    pub format: &'static str,
    /// Annotations read from the project.
    pub annotations: u64,
    /// Records written (lines, tasks, or COCO annotations).
    pub records: u64,
}

impl Project {
    /// Writes the export to `out` atomically: to a temporary file in the same folder, synced,
    /// then renamed over `out`. A failure leaves any earlier `out` untouched.
    pub fn export_to_path(
        &self,
        out: &Path,
        opts: &ExportOptions,
        progress: &dyn Progress,
    ) -> Result<ExportReport> {
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".sift-export-")
            .tempfile_in(&dir)
            .map_err(|e| Error::io("cannot create a file in", &dir, e))?;
        let mut report = write_pipelined(tmp.as_file(), out, |w| self.export_to_writer(w, opts, progress))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io("cannot sync", out, e))?;
        tmp.persist(out)
            .map_err(|e| Error::io("cannot move the export into place at", out, e.error))?;
        if let Ok(d) = File::open(&dir) {
            // Best effort: the export is synced and in place; syncing the folder only makes
            // the rename durable sooner, and some file systems refuse fsync on a folder.
            let _ = d.sync_all();
        }
        report.path = Some(out.to_owned());
        Ok(report)
    }

    /// Streams the export to any writer (e.g. standard output).
    pub fn export_to_writer(
        &self,
        w: &mut dyn Write,
        opts: &ExportOptions,
        progress: &dyn Progress,
    ) -> Result<ExportReport> {
        let kind = self.template.kind();
        if let Some(kinds) = opts.format.kinds()
            && !kinds.contains(&kind)
        {
            let names: Vec<_> = kinds.iter().map(|k| k.as_str()).collect();
            return Err(Error::BadRequest(format!(
                "the {} format is for {} projects; this project is {}",
                opts.format.as_str(),
                names.join(" or "),
                kind.as_str()
            )));
        }
        if !opts.dimensions.is_empty() && opts.format != ExportFormat::Preference {
            return Err(Error::BadRequest(
                "--dimension applies to the preference format only".into(),
            ));
        }
        if opts.format == ExportFormat::Predictions {
            return self.export_predictions(w, opts, progress);
        }
        progress.start("exporting", Some(self.store.labelled_count(opts.approved_only)?));
        let filter = ExportFilter {
            approved_only: opts.approved_only,
            batch: opts.batch.as_deref(),
        };
        let mut sink = Sink::new(self, opts)?;
        let mut annotations = 0u64;
        let result = self.store.for_each_labelled(&filter, |row| {
            sink.row(&row, w)?;
            annotations += 1;
            if annotations.is_multiple_of(65536) {
                progress.set_position(annotations);
            }
            Ok::<(), Error>(())
        })?;
        result?;
        let records = sink.finish(w)? + self.write_machine_labels_gt(w, opts)?;
        progress.finish();
        Ok(ExportReport {
            path: None,
            format: opts.format.as_str(),
            annotations,
            records,
        })
    }
}

/// Bytes per chunk handed to the writing thread.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks that may wait for the writing thread; room for the scan to go on during a sync.
const CHUNKS_QUEUED: usize = 16;
/// Bytes written between syncs of the part written so far.
const SYNC_EVERY: usize = 32 << 20;

/// Runs `produce` with a buffered writer whose chunks another thread writes to `file`, so
/// the scan and formatting on this thread overlap the write system calls. That thread also
/// syncs what it has written every [`SYNC_EVERY`] bytes, so the disk works during the scan
/// instead of in one long final sync, and then lets the page cache forget it
/// ([`drop_cached`]). Chunks are written in order: the bytes are those of a `BufWriter`.
/// A failure to write is reported before whatever it made `produce` fail with.
fn write_pipelined<T>(
    file: &File,
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    std::thread::scope(|s| {
        let (full_tx, full_rx) = crossbeam_channel::bounded::<Vec<u8>>(CHUNKS_QUEUED);
        let (empty_tx, empty_rx) = crossbeam_channel::bounded::<Vec<u8>>(CHUNKS_QUEUED + 2);
        let writer = s.spawn(move || -> Result<()> {
            let mut file = file;
            let (mut unsynced, mut written, mut synced) = (0, 0, 0);
            for mut chunk in full_rx {
                file.write_all(&chunk)
                    .map_err(|e| Error::io("cannot write", path, e))?;
                unsynced += chunk.len();
                written += chunk.len() as u64;
                if unsynced >= SYNC_EVERY {
                    file.sync_data().map_err(|e| Error::io("cannot sync", path, e))?;
                    drop_cached(file, synced, written);
                    synced = written;
                    unsynced = 0;
                }
                chunk.clear();
                // Recycling the buffer is optional: when the queue is full or the producer
                // has gone, the chunk is simply freed.
                let _ = empty_tx.try_send(chunk);
            }
            Ok(())
        });
        let mut w = ChunkWriter {
            buf: Vec::with_capacity(CHUNK_BYTES),
            full: full_tx,
            empty: empty_rx,
        };
        let produced = produce(&mut w).and_then(|v| {
            w.flush().map_err(write_error)?;
            Ok(v)
        });
        drop(w);
        writer.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        produced
    })
}

/// Drops the cached pages of `file` between `from` and `to`, which are on disk. An export is
/// written once and not read back: caching it all would crowd out the project's own pages,
/// and taking hundreds of megabytes of fresh page cache costs more system time than the
/// writing itself on virtual machines that return freed memory to their host. Recycling a
/// few megabytes keeps the footprint small. Advice only: a failure changes nothing.
#[cfg(target_os = "linux")]
fn drop_cached(file: &File, from: u64, to: u64) {
    // Advice only (see above): the data is already on disk, so a refusal is harmless.
    let _ = rustix::fs::fadvise(
        file,
        from,
        std::num::NonZeroU64::new(to - from),
        rustix::fs::Advice::DontNeed,
    );
}

#[cfg(not(target_os = "linux"))]
fn drop_cached(_file: &File, _from: u64, _to: u64) {}

/// The producing half of [`write_pipelined`].
struct ChunkWriter {
    buf: Vec<u8>,
    full: crossbeam_channel::Sender<Vec<u8>>,
    empty: crossbeam_channel::Receiver<Vec<u8>>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK_BYTES));
        let chunk = std::mem::replace(&mut self.buf, next);
        self.full
            .send(chunk)
            .map_err(|_| io::Error::other("the writing thread stopped"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > CHUNK_BYTES {
            self.send()?;
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write(data).map(drop)
    }

    /// Hands what is buffered to the writing thread (which has not necessarily written it).
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Where rows go, per format.
enum Sink<'p> {
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
    fn new(project: &'p Project, opts: &'p ExportOptions) -> Result<Self> {
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

    fn row(&mut self, row: &ExportRow<'_>, w: &mut dyn Write) -> Result<()> {
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
    fn finish(self, w: &mut dyn Write) -> Result<u64> {
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
struct OpenTask {
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

fn decode(project: &Project, row: &ExportRow<'_>) -> Result<(Value, Payload)> {
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

fn item_error(row: &ExportRow<'_>, e: &sift_template::export::ExportError) -> Error {
    Error::BadRequest(format!(
        "item {} (annotated by {}): {e}",
        row.item_id, row.annotator
    ))
}

fn write_error(e: std::io::Error) -> Error {
    Error::io("cannot write the export", "output", e)
}

/// Writes Ground Truth output lines: the stored input line, byte for byte, plus
/// `<label>` (the payload) and `<label>-metadata`. Builds each line in one buffer without
/// intermediate strings: this loop is what export throughput is made of. A classification
/// template writes Ground Truth's built-in shape instead of the payload (class index or
/// indices, `class-name` / `class-map` metadata; see `sift_template::export::ground_truth_label`).
struct GtWriter {
    /// The template, when its labels take Ground Truth's built-in shape.
    built_in: Option<Box<sift_template::Template>>,
    /// `,"<label>":`
    label_key: Vec<u8>,
    /// `,"<label>-metadata":{"type":...,"job-name":...,"human-annotated":"yes"`
    meta_prefix: Vec<u8>,
    /// `,"annotator":"<name>"` by annotator id (empty until first used).
    annotators: Vec<Vec<u8>>,
    line: Vec<u8>,
}

impl GtWriter {
    /// Annotator ids below this have their JSON kept; ids are small consecutive integers.
    const CACHED_IDS: i64 = 1 << 12;

    fn new(template: &sift_template::Template) -> Self {
        let label = template.label_attribute();
        let mut label_key = b",".to_vec();
        push_json_str(&mut label_key, label);
        label_key.push(b':');
        let mut meta_prefix = b",".to_vec();
        push_json_str(&mut meta_prefix, &format!("{label}-metadata"));
        meta_prefix.extend_from_slice(b":{\"type\":");
        push_json_str(&mut meta_prefix, template.gt_type());
        meta_prefix.extend_from_slice(b",\"job-name\":");
        push_json_str(&mut meta_prefix, template.job_name());
        meta_prefix.extend_from_slice(b",\"human-annotated\":\"yes\"");
        Self {
            built_in: (template.kind() == Kind::Classification).then(|| Box::new(template.clone())),
            label_key,
            meta_prefix,
            annotators: Vec::new(),
            line: Vec::with_capacity(4096),
        }
    }

    /// The built-in label of `row` (`None`: the label is the stored payload).
    fn built_in_label(&self, row: &ExportRow<'_>) -> Result<Option<export::GroundTruthLabel>> {
        let Some(template) = &self.built_in else {
            return Ok(None);
        };
        let payload: Value = serde_json::from_slice(row.payload)
            .map_err(|e| Error::Internal(format!("item {}: stored payload is not JSON: {e}", row.item_id)))?;
        let payload = template
            .parse_payload(&payload)
            .map_err(|v| item_error(row, &export::ExportError::Item(v)))?;
        export::ground_truth_label(template, &payload)
            .map(Some)
            .map_err(|e| item_error(row, &e))
    }

    fn write(
        &mut self,
        row: &ExportRow<'_>,
        built_in: Option<&export::GroundTruthLabel>,
        w: &mut dyn Write,
    ) -> std::io::Result<()> {
        let l = &mut self.line;
        l.clear();
        let body = row.content.trim_ascii_end();
        let body = body.strip_suffix(b"}").unwrap_or(body);
        l.extend_from_slice(body);
        // A stored object always has members (source or source-ref), except `{}` from Label Studio.
        let label_key = if body.trim_ascii_end().ends_with(b"{") {
            &self.label_key[1..]
        } else {
            &self.label_key[..]
        };
        l.extend_from_slice(label_key);
        match built_in {
            None => {
                l.extend_from_slice(row.payload);
                l.extend_from_slice(&self.meta_prefix);
            }
            Some(label) => {
                serde_json::to_writer(&mut *l, &label.value)?;
                l.extend_from_slice(&self.meta_prefix);
                for (k, v) in &label.metadata {
                    l.push(b',');
                    push_json_str(l, k);
                    l.push(b':');
                    serde_json::to_writer(&mut *l, v)?;
                }
            }
        }
        l.extend_from_slice(b",\"creation-date\":");
        push_json_str(l, row.submitted_at);
        match usize::try_from(row.annotator_id) {
            Ok(i) if row.annotator_id < Self::CACHED_IDS => {
                if self.annotators.len() <= i {
                    self.annotators.resize(i + 1, Vec::new());
                }
                let json = &mut self.annotators[i];
                if json.is_empty() {
                    json.extend_from_slice(b",\"annotator\":");
                    push_json_str(json, row.annotator);
                }
                l.extend_from_slice(json);
            }
            _ => {
                l.extend_from_slice(b",\"annotator\":");
                push_json_str(l, row.annotator);
            }
        }
        l.extend_from_slice(b",\"review-state\":");
        match row.state {
            "submitted" => l.extend_from_slice(b"\"submitted\""),
            "approved" => l.extend_from_slice(b"\"approved\""),
            other => push_json_str(l, other),
        }
        l.extend_from_slice(b",\"annotation-version\":");
        l.extend_from_slice(itoa::Buffer::new().format(row.version).as_bytes());
        l.extend_from_slice(b",\"time-spent-ms\":");
        l.extend_from_slice(itoa::Buffer::new().format(row.time_spent_ms).as_bytes());
        l.extend_from_slice(b",\"item-id\":");
        l.extend_from_slice(itoa::Buffer::new().format(row.item_id).as_bytes());
        if let Some(r) = row.reviewer {
            l.extend_from_slice(b",\"reviewer\":");
            push_json_str(l, r);
        }
        if let Some(at) = row.reviewed_at {
            l.extend_from_slice(b",\"reviewed-at\":");
            push_json_str(l, at);
        }
        l.extend_from_slice(b"}}\n");
        w.write_all(l)
    }
}

/// Appends `s` as a JSON string; plain text is copied without serde_json's machinery.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    if json_plain(s.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}

/// Whether `s` needs no escaping in a JSON string: no control character, quote or backslash.
/// Looks at eight bytes at a time (the "has a byte less than n" and "has a zero byte" word
/// tests, exact for any word), since it runs on several fields of every exported line.
fn json_plain(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let mut words = s.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_ne_bytes(bytes);
        let has_control = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
        if has_control || has_zero(x ^ (ONES * u64::from(b'"'))) || has_zero(x ^ (ONES * u64::from(b'\\'))) {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn format_names_are_the_serde_names_and_parse_back() {
        for &f in ExportFormat::ALL {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
            assert_eq!(f.to_string(), f.as_str());
            assert_eq!(f.as_str().parse::<ExportFormat>().unwrap(), f);
        }
        let names: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "gt",
                "sft",
                "preference",
                "captions",
                "coco-captions",
                "label-studio",
                "classification",
                "predictions"
            ]
        );
        assert_eq!(
            "csv".parse::<ExportFormat>().unwrap_err(),
            "unknown export format \"csv\" (expected gt, sft, preference, captions, \
             coco-captions, label-studio, classification or predictions)"
        );
    }

    fn plain_bytewise(s: &[u8]) -> bool {
        s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
    }

    #[test]
    fn json_plain_edges() {
        for s in [
            "",
            "2026-11-01T10:00:00.000000Z",
            "ann0",
            "submitted",
            "héllo wörld ✓",
        ] {
            assert!(json_plain(s.as_bytes()), "{s:?}");
        }
        for s in [
            "a\"b",
            "1234567\"",
            "12345678\\",
            "tab\there",
            "\u{7f}\u{1f}",
            "0123456789abcde\n",
        ] {
            assert_eq!(json_plain(s.as_bytes()), plain_bytewise(s.as_bytes()), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn json_plain_matches_bytewise(s in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(json_plain(&s), plain_bytewise(&s));
        }

        #[test]
        fn pushed_strings_are_json(s in "\\PC{0,30}|[ -~]{0,30}") {
            let mut out = Vec::new();
            push_json_str(&mut out, &s);
            prop_assert_eq!(serde_json::from_slice::<String>(&out).ok(), Some(s));
        }
    }
}
