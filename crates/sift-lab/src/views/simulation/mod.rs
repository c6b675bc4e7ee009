//! Simulation: `sift simulate` in the Lab. The lead picks the manifest field holding the true
//! classes (the candidates come from `Project::truth_candidates`), the strategies compared with
//! random order, the seeds, initial labels, batch size, rounds, targets and the cost of a label;
//! *Run simulation* (`Ctrl+Enter`) replays the loop as a job with progress and *Cancel* (`Esc`)
//! through `Project::simulate_with`, the use case the CLI runs. The results ([`results`]) are
//! the CLI's report drawn: learning curves with their spread, the tables, the cost against
//! random, and the same SVG and JSON files as `sift simulate --plot` and `--json`.

mod results;
mod settings;

pub use results::{cell_aulc, cell_budget, cell_target, verdicts};
pub use settings::SimSettings;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText};
use sift_api::{SimReport, TruthCandidates};

use crate::backend::jobs::Stop;
use crate::backend::{Apply, message};
use crate::dialogs::{self, Pick};
use crate::views::transfer::job_progress;
use crate::views::{Cx, Views, empty_state, error_line, stale};

/// The job kind of a simulation (one at a time per project).
pub const JOB_KIND: &str = "simulate";

/// What the view says when no field can hold the truth.
pub const NO_TRUTH: &str = "No field holds a class on every item, so there is nothing to simulate on yet: \
     import the items with their true class in a field (e.g. \"truth\": \"cat\"). A field chosen below \
     anyway is checked item by item.";

/// What the view says after *Cancel* (the last results stay).
pub const CANCELLED: &str =
    "Cancelled: nothing was kept from that run (the results below are the last finished run's).";

/// The shortest time between two listings of the candidate truth fields.
const CANDIDATES_INTERVAL: Duration = Duration::from_secs(10);

/// Runs the simulation (`Ctrl+Enter` while the view is shown).
pub const RUN_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);

/// Which file an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The learning curves, as `sift simulate --plot FILE.svg` draws them.
    Svg,
    /// The whole report, as `sift simulate --json` prints it.
    Json,
}

/// A finished simulation and what it was run on.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The report (the CLI's `--json` document).
    pub report: Arc<SimReport>,
    /// The truth field it was run on.
    pub truth: String,
    /// How long it took.
    pub seconds: f64,
}

/// The simulation view's state.
#[derive(Debug, Default)]
pub struct SimulationView {
    /// The fields that could hold the truth (`None`: loading).
    pub candidates: Option<Result<TruthCandidates, String>>,
    /// The revision and time the candidates were asked for.
    candidates_loaded: Option<(u64, Instant)>,
    /// What the next run uses.
    pub settings: SimSettings,
    /// The running simulation job.
    pub job: Option<u64>,
    /// The last simulation that finished.
    pub finished: Option<Finished>,
    /// Why the last run did not finish.
    pub failed: Option<String>,
    /// The last run was cancelled.
    pub cancelled: bool,
    /// A file to write, as the save dialog hands it over (tests set it the same way).
    pub export_request: Option<(ExportKind, PathBuf)>,
    /// What the last export wrote, or why it failed.
    pub exported: Option<Result<String, String>>,
}

impl SimulationView {
    /// Asks for the candidates when the project changed, at most every
    /// [`CANDIDATES_INTERVAL`]: listing them reads every item, and annotators' saves change the
    /// project every few seconds without changing the fields.
    fn refresh(&mut self, ui: &egui::Ui, cx: &mut Cx<'_>) {
        let loaded = self.candidates_loaded;
        if stale(loaded.map(|l| l.0), cx.revision) {
            if let Some((_, at)) = loaded
                && at.elapsed() < CANDIDATES_INTERVAL
            {
                ui.ctx().request_repaint_after(CANDIDATES_INTERVAL - at.elapsed());
                return;
            }
            self.candidates_loaded = Some((cx.revision, Instant::now()));
            cx.backend.stats.run(|p| {
                let candidates = p.truth_candidates().map_err(|e| message(&e));
                Box::new(move |views: &mut Views| {
                    let view = &mut views.simulation;
                    if let Ok(c) = &candidates {
                        view.settings.choose_truth(c);
                    }
                    view.candidates = Some(candidates);
                }) as Apply
            });
        }
    }

    /// Draws the settings, the running job or the results (asking for the candidates first).
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.refresh(ui, cx);
        let running = self
            .job
            .and_then(|id| cx.backend.jobs.running.iter().find(|j| j.id == id).cloned());
        if let Some(job) = &running
            && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
        {
            cx.backend.jobs.cancel(job.id);
        }
        let run_key = ui.input_mut(|i| i.consume_shortcut(&RUN_SHORTCUT));
        if let Some((kind, path)) = self.export_request.take() {
            self.export(kind, path, cx);
        }
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            ui.heading("Simulation: what active learning would save");
            ui.label(
                "Replays the labeling loop on this project's items, whose true classes sit in a manifest \
                 field: random order against each strategy, same initial labels and batches within a seed, \
                 a third held out for testing. Nobody is asked anything. Same as `sift simulate`.",
            );
            ui.add_space(6.0);
            let candidates = match &self.candidates {
                None => return crate::views::loading(ui, "the item fields"),
                Some(Err(e)) => return error_line(ui, e),
                Some(Ok(c)) => c.clone(),
            };
            if !candidates.fields.iter().any(|f| f.usable(candidates.items)) {
                empty_state(ui, NO_TRUTH);
            }
            if candidates.fields.is_empty() {
                return;
            }
            let problem = self.settings.show(ui, &candidates);
            ui.add_space(4.0);
            self.run_row(ui, cx, running.is_some(), problem.as_deref(), run_key);
            if let Some(job) = &running {
                job_progress(ui, job, cx);
                ui.label(RichText::new("Esc cancels.").weak());
            }
            if let Some(e) = &self.failed {
                error_line(ui, e);
            }
            if self.cancelled {
                ui.label(RichText::new(CANCELLED).strong());
            }
            if let Some(finished) = self.finished.clone() {
                ui.add_space(8.0);
                ui.separator();
                self.export_row(ui, cx);
                results::show(ui, &finished);
            }
        });
    }

    fn run_row(
        &mut self,
        ui: &mut egui::Ui,
        cx: &mut Cx<'_>,
        running: bool,
        problem: Option<&str>,
        run_key: bool,
    ) {
        ui.horizontal(|ui| {
            let ready = !running && problem.is_none();
            let button = ui
                .add_enabled(ready, egui::Button::new("Run simulation"))
                .on_hover_text(format!(
                    "Replay the loop with these settings ({})",
                    ui.ctx().format_shortcut(&RUN_SHORTCUT)
                ))
                .on_disabled_hover_text(if running {
                    "The simulation is running (Esc cancels)"
                } else {
                    "Fix the settings first"
                });
            if button.clicked() || (ready && run_key) {
                self.start(cx);
            }
            if let Some(p) = problem {
                error_line(ui, p);
            }
        });
    }

    /// Starts the job with the current settings.
    fn start(&mut self, cx: &mut Cx<'_>) {
        let Ok((opts, strategies)) = self.settings.options() else {
            return;
        };
        self.failed = None;
        self.cancelled = false;
        self.exported = None;
        let truth = opts.truth.clone();
        self.job = cx
            .backend
            .jobs
            .start(JOB_KIND, "Simulating", Stop::Flag, move |p, progress, cancel| {
                let started = Instant::now();
                let result = p
                    .simulate_with(&opts, Some(&strategies), progress, cancel)
                    .map_err(|e| message(&e));
                let seconds = started.elapsed().as_secs_f64();
                let cancelled = result.is_err() && cancel.load(std::sync::atomic::Ordering::Relaxed);
                Box::new(move |views: &mut Views| {
                    let view = &mut views.simulation;
                    view.job = None;
                    match result {
                        Ok(report) => {
                            view.finished = Some(Finished {
                                report: Arc::new(report),
                                truth,
                                seconds,
                            });
                        }
                        Err(_) if cancelled => view.cancelled = true,
                        Err(e) => view.failed = Some(e),
                    }
                }) as Apply
            });
    }

    fn export_row(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        ui.horizontal(|ui| {
            for (kind, text, hover) in [
                (
                    ExportKind::Svg,
                    "Export SVG…",
                    "The learning curves, as `sift simulate --plot FILE.svg` draws them",
                ),
                (
                    ExportKind::Json,
                    "Export JSON…",
                    "The whole report, as `sift simulate --json` prints it",
                ),
            ] {
                if ui.button(text).on_hover_text(hover).clicked() {
                    let start = cx.project.file.parent().map(|p| p.to_owned());
                    dialogs::open(
                        Pick::SaveAs,
                        start,
                        cx.backend.sender(),
                        ui.ctx().clone(),
                        move |path| {
                            Box::new(move |views: &mut Views| {
                                views.simulation.export_request = Some((kind, path));
                            })
                        },
                    );
                }
            }
            match &self.exported {
                Some(Ok(t)) => {
                    ui.label(t);
                }
                Some(Err(e)) => error_line(ui, e),
                None => {}
            }
        });
    }

    /// Writes the last report's SVG or JSON to `path` off the UI thread.
    fn export(&mut self, kind: ExportKind, path: PathBuf, cx: &mut Cx<'_>) {
        let Some(finished) = &self.finished else {
            self.exported = Some(Err("run a simulation first".into()));
            return;
        };
        let report = Arc::clone(&finished.report);
        cx.backend.stats.run(move |_p| {
            let written = write_export(&report, kind, &path);
            Box::new(move |views: &mut Views| views.simulation.exported = Some(written)) as Apply
        });
    }
}

/// The file `sift simulate` writes for `kind`, written to `path`; the sentence to show.
pub fn write_export(report: &SimReport, kind: ExportKind, path: &std::path::Path) -> Result<String, String> {
    let text = match kind {
        ExportKind::Svg => sift_api::learning_curves_svg(report).map_err(|e| message(&e))?,
        // Exactly what `sift simulate --json` prints.
        ExportKind::Json => serde_json::to_string_pretty(report)
            .map(|s| s + "\n")
            .map_err(|e| format!("cannot write the report as JSON: {e}"))?,
    };
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!("Wrote {}", path.display()))
}
