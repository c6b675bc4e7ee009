//! `sift export`: streaming, deterministic, atomic exports.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sift_store::{ExportFilter, ExportRow};

use crate::{Error, Progress, Project, Result};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// A SageMaker Ground Truth output manifest (JSON Lines).
    #[default]
    Gt,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Gt => "gt",
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "gt" => Ok(ExportFormat::Gt),
            other => Err(format!("unknown export format {other:?} (expected gt)")),
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// Only approved annotations (otherwise submitted and approved ones).
    pub approved_only: bool,
    /// Only items of this batch.
    pub batch: Option<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportReport {
    pub path: Option<PathBuf>,
    pub format: &'static str,
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
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        let records = self.export_to_writer(&mut w, opts, progress)?;
        w.flush().map_err(|e| Error::io("cannot write", out, e))?;
        drop(w);
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io("cannot sync", out, e))?;
        tmp.persist(out)
            .map_err(|e| Error::io("cannot move the export into place at", out, e.error))?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(ExportReport {
            path: Some(out.to_owned()),
            format: opts.format.as_str(),
            records,
        })
    }

    /// Streams the export to any writer (e.g. standard output). Returns the record count.
    pub fn export_to_writer(
        &self,
        w: &mut dyn Write,
        opts: &ExportOptions,
        progress: &dyn Progress,
    ) -> Result<u64> {
        let counts = self.store.status()?;
        let total = counts.annotations.get("approved").copied().unwrap_or(0)
            + if opts.approved_only {
                0
            } else {
                counts.annotations.get("submitted").copied().unwrap_or(0)
            };
        progress.start("exporting", Some(total));
        let filter = ExportFilter {
            approved_only: opts.approved_only,
            batch: opts.batch.as_deref(),
        };
        let mut gt = GtWriter::new(&self.template);
        let mut n = 0u64;
        let result = self.store.for_each_labelled(&filter, |row| {
            gt.write(&row, w)?;
            n += 1;
            if n % 65536 == 0 {
                progress.set_position(n);
            }
            Ok::<(), std::io::Error>(())
        })?;
        progress.finish();
        result.map_err(|e| Error::io("cannot write the export", "output", e))
    }
}

/// Writes Ground Truth output lines: the stored input line, byte for byte, plus
/// `<label>` (the payload) and `<label>-metadata`.
struct GtWriter {
    label: String,
    meta_key: String,
    meta_prefix: String,
    line: Vec<u8>,
    meta: String,
}

impl GtWriter {
    fn new(template: &sift_template::Template) -> Self {
        let label = template.label_attribute().to_owned();
        let meta_prefix = format!(
            "{{\"type\":{},\"job-name\":{},\"human-annotated\":\"yes\"",
            json_str(template.gt_type()),
            json_str(template.job_name())
        );
        Self {
            meta_key: format!("{label}-metadata"),
            label,
            meta_prefix,
            line: Vec::with_capacity(4096),
            meta: String::new(),
        }
    }

    fn write(&mut self, row: &ExportRow<'_>, w: &mut dyn Write) -> std::io::Result<()> {
        use std::fmt::Write as _;
        let m = &mut self.meta;
        m.clear();
        m.push_str(&self.meta_prefix);
        let _ = write!(
            m,
            ",\"creation-date\":{},\"annotator\":{},\"review-state\":{},\"annotation-version\":{},\"time-spent-ms\":{},\"item-id\":{}",
            json_str(row.submitted_at),
            json_str(row.annotator),
            json_str(row.state),
            row.version,
            row.time_spent_ms,
            row.item_id
        );
        if let Some(r) = row.reviewer {
            let _ = write!(m, ",\"reviewer\":{}", json_str(r));
        }
        if let Some(at) = row.reviewed_at {
            let _ = write!(m, ",\"reviewed-at\":{}", json_str(at));
        }
        m.push('}');
        self.line.clear();
        sift_manifest::splice_output_line(
            row.content,
            &[(&self.label, row.payload), (&self.meta_key, &self.meta)],
            &mut self.line,
        );
        w.write_all(&self.line)
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}
