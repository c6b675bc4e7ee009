//! Import and export dialogs: a file, a format and options; a progress bar with Cancel while
//! the job runs; then the report, with every problem line as `file:line` and its reason in a
//! table. Cancelling interrupts the job's SQLite statement: an import rolls back whole (it is
//! all-or-nothing), an export leaves no file behind.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};
use sift_api::{
    ExportFormat, ExportOptions, ExportReport, ImportFormat, ImportOptions, ImportReport, Progress, Project,
};

use crate::backend::jobs::{JobProgress, Stop};
use crate::backend::{Apply, message};
use crate::dialogs::{self, Pick};
use crate::views::{Cx, Views, error_line};

/// One problem line of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemLine {
    /// `file:line`, or the file alone when the whole file is at fault.
    pub at: String,
    /// Why the line was refused.
    pub reason: String,
}

/// How an import or export ended.
#[derive(Debug, Clone)]
pub enum Outcome<R> {
    /// It finished with this report.
    Done(R),
    /// *Cancel* stopped it; nothing was kept.
    Cancelled,
    /// It failed with this message.
    Failed(String),
}

/// The dialogs' state.
#[derive(Debug)]
pub struct TransferView {
    /// The import dialog is open.
    pub import_open: bool,
    /// The manifest's path as typed or chosen.
    pub import_file: String,
    /// The manifest's format (`None`: decided from the extension and the first byte).
    pub import_format: Option<ImportFormat>,
    /// Import the valid lines and list the invalid ones instead of stopping at the first.
    pub skip_invalid: bool,
    /// Treat a missing local media file as an invalid line rather than a warning.
    pub require_media: bool,
    /// The running import.
    pub import_job: Option<u64>,
    /// How the last import ended, with its problem lines.
    pub import_result: Option<(Outcome<ImportReport>, Vec<ProblemLine>)>,
    /// The export dialog is open.
    pub export_open: bool,
    /// The output file's path as typed or chosen.
    pub export_file: String,
    /// The output format.
    pub export_format: ExportFormat,
    /// Export approved annotations only.
    pub approved_only: bool,
    /// The running export.
    pub export_job: Option<u64>,
    /// How the last export ended.
    pub export_result: Option<Outcome<ExportReport>>,
}

impl Default for TransferView {
    fn default() -> Self {
        TransferView {
            import_open: false,
            import_file: String::new(),
            import_format: None,
            skip_invalid: true,
            require_media: false,
            import_job: None,
            import_result: None,
            export_open: false,
            export_file: String::new(),
            export_format: ExportFormat::Gt,
            approved_only: false,
            export_job: None,
            export_result: None,
        }
    }
}

/// The problem lines of an import: skipped lines and missing media, as `file:line`.
pub fn problems(report: &ImportReport) -> Vec<ProblemLine> {
    let at = |line: u64| format!("{}:{line}", report.file);
    report
        .skipped_lines
        .iter()
        .map(|s| ProblemLine {
            at: at(s.line),
            reason: s.reason.clone(),
        })
        .chain(report.missing_media_lines.iter().map(|s| ProblemLine {
            at: at(s.line),
            reason: format!("media missing: {}", s.reason),
        }))
        .collect()
}

fn import_job(
    file: PathBuf,
    options: ImportOptions,
) -> impl FnOnce(&mut Project, &JobProgress, &AtomicBool) -> Apply + Send {
    move |p: &mut Project, progress: &JobProgress, cancel: &AtomicBool| {
        let result = p.import(&file, &options, progress as &dyn Progress);
        let cancelled = cancel.load(std::sync::atomic::Ordering::Relaxed);
        let (outcome, lines) = match result {
            Ok(report) => {
                let lines = problems(&report);
                (Outcome::Done(report), lines)
            }
            Err(_) if cancelled => (Outcome::Cancelled, Vec::new()),
            Err(sift_api::Error::Manifest { file, line, reason }) => {
                let text = format!("{file}:{line}: {reason}");
                (
                    Outcome::Failed(text),
                    vec![ProblemLine {
                        at: format!("{file}:{line}"),
                        reason,
                    }],
                )
            }
            Err(sift_api::Error::ManifestFile { file, reason }) => {
                let text = format!("{file}: {reason}");
                (Outcome::Failed(text), vec![ProblemLine { at: file, reason }])
            }
            Err(e) => (Outcome::Failed(message(&e)), Vec::new()),
        };
        Box::new(move |views: &mut Views| {
            views.transfer.import_job = None;
            views.transfer.import_result = Some((outcome, lines));
            views.changed_here();
        }) as Apply
    }
}

impl TransferView {
    /// Opens the import dialog (Ctrl+I).
    pub fn open_import(&mut self) {
        self.import_open = true;
    }

    /// Opens the export dialog (Ctrl+E).
    pub fn open_export(&mut self) {
        self.export_open = true;
    }

    /// Starts importing the dialog's file (what the Import button does).
    pub fn start_import(&mut self, cx: &mut Cx<'_>) {
        let file = PathBuf::from(self.import_file.trim());
        let options = ImportOptions {
            skip_invalid: self.skip_invalid,
            require_media: self.require_media,
            actor: Some(cx.user.to_owned()),
            format: self.import_format,
            ..ImportOptions::default()
        };
        let title = format!(
            "Importing {}",
            file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            )
        );
        self.import_result = None;
        self.import_job = cx
            .backend
            .jobs
            .start("import", title, Stop::Interrupt, import_job(file, options));
    }

    /// Draws the import and export dialogs that are open (each a window over the views).
    pub fn show(&mut self, ctx: &egui::Context, cx: &mut Cx<'_>) {
        if self.import_open {
            let mut open = true;
            egui::Window::new("Import a manifest")
                .open(&mut open)
                .default_width(640.0)
                .collapsible(false)
                .show(ctx, |ui| self.import_ui(ui, cx));
            self.import_open = open;
        }
        if self.export_open {
            let mut open = true;
            egui::Window::new("Export")
                .open(&mut open)
                .default_width(520.0)
                .collapsible(false)
                .show(ctx, |ui| self.export_ui(ui, cx));
            self.export_open = open;
        }
    }

    fn import_ui(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        let running = self
            .import_job
            .and_then(|id| cx.backend.jobs.running.iter().find(|j| j.id == id).cloned());
        ui.add_enabled_ui(running.is_none(), |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Manifest");
                ui.add(
                    egui::TextEdit::singleline(&mut self.import_file)
                        .hint_text("/path/to/manifest.jsonl")
                        .desired_width(380.0),
                )
                .labelled_by(label.id);
                if ui.button("Browse…").clicked() {
                    let applies = cx.backend.sender();
                    dialogs::open(Pick::Manifest, None, applies, ui.ctx().clone(), |path| {
                        Box::new(move |views: &mut Views| {
                            views.transfer.import_file = path.display().to_string()
                        })
                    });
                }
            });
            ui.horizontal(|ui| {
                ui.label("Format");
                let name = |f: Option<ImportFormat>| match f {
                    None => "detect",
                    Some(ImportFormat::Gt) => "Ground Truth (JSON Lines)",
                    Some(ImportFormat::LabelStudio) => "Label Studio (JSON)",
                };
                egui::ComboBox::from_id_salt("import-format")
                    .selected_text(name(self.import_format))
                    .show_ui(ui, |ui| {
                        for f in [None, Some(ImportFormat::Gt), Some(ImportFormat::LabelStudio)] {
                            ui.selectable_value(&mut self.import_format, f, name(f));
                        }
                    });
            });
            ui.checkbox(
                &mut self.skip_invalid,
                "Skip invalid lines (import the rest and list them)",
            );
            ui.checkbox(
                &mut self.require_media,
                "A missing local media file makes a line invalid",
            );
            if ui
                .add_enabled(
                    !self.import_file.trim().is_empty() && !cx.project.read_only,
                    egui::Button::new("Import"),
                )
                .clicked()
            {
                self.start_import(cx);
            }
        });
        if let Some(job) = running {
            job_progress(ui, &job, cx);
        }
        let Some((outcome, lines)) = &self.import_result else {
            return;
        };
        ui.separator();
        match outcome {
            Outcome::Done(r) => {
                ui.label(RichText::new(format!(
                    "{} lines read: {} added, {} already there, {} skipped; {} labels added; {} with missing media.",
                    r.lines, r.added, r.duplicates, r.skipped, r.labels_added, r.missing_media
                ))
                .strong());
            }
            Outcome::Cancelled => {
                ui.label(
                    RichText::new("Cancelled: nothing was imported (an import is all or nothing).").strong(),
                );
            }
            Outcome::Failed(e) => {
                error_line(ui, &format!("Nothing was imported: {e}"));
            }
        }
        if !lines.is_empty() {
            problem_table(ui, lines);
        }
    }

    fn export_ui(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        let running = self
            .export_job
            .and_then(|id| cx.backend.jobs.running.iter().find(|j| j.id == id).cloned());
        ui.add_enabled_ui(running.is_none(), |ui| {
            ui.horizontal(|ui| {
                ui.label("Format");
                egui::ComboBox::from_id_salt("export-format")
                    .selected_text(self.export_format.as_str())
                    .show_ui(ui, |ui| {
                        for &f in ExportFormat::ALL {
                            ui.selectable_value(&mut self.export_format, f, f.as_str());
                        }
                    });
            });
            ui.checkbox(
                &mut self.approved_only,
                "Approved work only (otherwise submitted and approved)",
            );
            ui.horizontal(|ui| {
                let label = ui.label("Write to");
                ui.add(
                    egui::TextEdit::singleline(&mut self.export_file)
                        .hint_text("/path/to/labels.jsonl")
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
                if ui.button("Save as…").clicked() {
                    dialogs::open(
                        Pick::SaveAs,
                        None,
                        cx.backend.sender(),
                        ui.ctx().clone(),
                        |path| {
                            Box::new(move |views: &mut Views| {
                                views.transfer.export_file = path.display().to_string()
                            })
                        },
                    );
                }
            });
            if ui
                .add_enabled(!self.export_file.trim().is_empty(), egui::Button::new("Export"))
                .clicked()
            {
                let out = PathBuf::from(self.export_file.trim());
                let options = ExportOptions {
                    format: self.export_format,
                    approved_only: self.approved_only,
                    ..ExportOptions::default()
                };
                self.export_result = None;
                self.export_job = cx.backend.jobs.start(
                    "export",
                    "Exporting",
                    Stop::Interrupt,
                    move |p, progress, cancel| {
                        let result = p.export_to_path(&out, &options, progress as &dyn Progress);
                        let cancelled = cancel.load(std::sync::atomic::Ordering::Relaxed);
                        let outcome = match result {
                            Ok(r) => Outcome::Done(r),
                            Err(_) if cancelled => Outcome::Cancelled,
                            Err(e) => Outcome::Failed(message(&e)),
                        };
                        Box::new(move |views: &mut Views| {
                            views.transfer.export_job = None;
                            views.transfer.export_result = Some(outcome);
                        }) as Apply
                    },
                );
            }
        });
        if let Some(job) = running {
            job_progress(ui, &job, cx);
        }
        match &self.export_result {
            Some(Outcome::Done(r)) => {
                let path = r
                    .path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "Wrote {} records from {} annotations to {path}.",
                        r.records, r.annotations
                    ))
                    .strong(),
                );
            }
            Some(Outcome::Cancelled) => {
                ui.label(RichText::new("Cancelled: no file was written.").strong());
            }
            Some(Outcome::Failed(e)) => error_line(ui, e),
            None => {}
        }
    }
}

/// A job's progress bar with its Cancel button.
pub fn job_progress(ui: &mut egui::Ui, job: &crate::backend::Job, cx: &Cx<'_>) {
    ui.horizontal(|ui| {
        let (position, total) = job.progress.counts();
        let text = match total {
            Some(t) => format!("{} {position} of {t}", job.progress.phase()),
            None => format!("{} {position}", job.progress.phase()),
        };
        let bar = match job.progress.fraction() {
            Some(f) => egui::ProgressBar::new(f).text(text).show_percentage(),
            None => egui::ProgressBar::new(0.0).text(text).animate(true),
        };
        ui.add(bar.desired_width(360.0));
        if job.cancel_requested() {
            ui.label("Cancelling…");
        } else if job.stop != Stop::Never && ui.button("Cancel").clicked() {
            cx.backend.jobs.cancel(job.id);
        }
    });
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(100));
}

fn problem_table(ui: &mut egui::Ui, lines: &[ProblemLine]) {
    ui.label(RichText::new(format!("{} problem lines", lines.len())).strong());
    ui.push_id("problems", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .max_scroll_height(260.0)
            .column(Column::initial(260.0).clip(true))
            .column(Column::remainder())
            .header(22.0, |mut h| {
                h.col(|ui| {
                    ui.strong("File:line");
                });
                h.col(|ui| {
                    ui.strong("Reason");
                });
            })
            .body(|body| {
                body.rows(20.0, lines.len(), |mut row| {
                    let line = &lines[row.index()];
                    row.col(|ui| {
                        ui.label(RichText::new(&line.at).monospace());
                    });
                    row.col(|ui| {
                        ui.label(&line.reason);
                    });
                });
            });
    });
}
