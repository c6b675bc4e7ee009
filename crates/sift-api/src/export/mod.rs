//! `sift export`: streaming, deterministic, atomic exports.
//!
//! This file holds the formats, the options and the export itself; `pipeline` the writer
//! that overlaps formatting with the write system calls, `sink` where rows go per format,
//! `gt` the Ground Truth line writer.

mod consensus;
mod gt;
mod ls_predictions;
mod pipeline;
mod sink;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use sift_core::{apply, named_enum};
use sift_store::ExportFilter;
use sift_template::Kind;

pub use consensus::ConsensusMethod;
pub use sift_template::export::SftStyle;

use crate::{Error, Progress, Project, Result};
use pipeline::write_pipelined;
use sink::Sink;

/// Output formats. The serde names, the CLI's `--format` names (`FromStr`), `as_str` and
/// `Display` are one set of kebab-case names, derived once.
#[apply(named_enum!)]
#[derive(Default)]
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
    /// `gt`: one line per item holding the consensus of its annotations, with the agreement as
    /// `confidence` (classification and ranking projects; see `consensus.rs`).
    pub consensus: Option<ConsensusMethod>,
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
    /// With `--consensus`: items left out because their annotators reach no consensus (a tied
    /// vote; for Dawid-Skene, equally probable classes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_consensus: Option<u64>,
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
        if let Some(method) = opts.consensus {
            if opts.format != ExportFormat::Gt {
                return Err(Error::BadRequest(
                    "--consensus applies to the gt format only".into(),
                ));
            }
            return self.export_consensus(w, opts, method, progress);
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
            no_consensus: None,
        })
    }
}
