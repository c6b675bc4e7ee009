//! The learning curves and "Run learning": per head, one line per validation metric over the
//! labels each version was trained on, the table of its rounds, and the stopping rule's
//! verdict (all from `Project::learn_status`); the run is `Project::learn_until` as a job with
//! progress and cancel (the CLI's `sift learn` with its defaults).

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};
use egui_plot::{Corner, Legend, Line, Plot, PlotPoints, Points};
use sift_api::learn::{HeadHistory, LearnOptions, LearnReport, RoundView};
use sift_api::{Error, Progress};

use super::LearningView;
use crate::backend::jobs::Stop;
use crate::backend::{Apply, message};
use crate::theme;
use crate::views::transfer::job_progress;
use crate::views::{Cx, Views, empty_state, error_line};

/// What the view says before any head was trained.
pub const NO_ROUNDS: &str =
    "No learning runs yet: label some items, then press Run learning (or run `sift learn`).";

impl LearningView {
    /// "Run learning" with its progress or result, then every head's curve.
    pub(super) fn curves(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        let running = self
            .learn_job
            .and_then(|id| cx.backend.jobs.running.iter().find(|j| j.id == id).cloned());
        ui.horizontal(|ui| {
            let available = !cx.project.read_only && running.is_none();
            let button = ui
                .add_enabled(available, egui::Button::new("Run learning"))
                .on_hover_text(
                    "Train the next version of the head on the labels so far, rescore the pool and \
                     reorder the queue",
                )
                .on_disabled_hover_text(if cx.project.read_only {
                    "The project is open read-only"
                } else {
                    "Learning is running"
                });
            if button.clicked() {
                self.learn_result = None;
                self.learn_job =
                    cx.backend
                        .jobs
                        .start("learn", "Learning", Stop::Flag, |p, progress, cancel| {
                            let result = run(p, progress, cancel);
                            Box::new(move |views: &mut Views| {
                                views.learning.learn_job = None;
                                views.learning.learn_result = Some(result);
                                views.changed_here();
                            }) as Apply
                        });
            }
            match &self.learn_result {
                Some(Ok(t)) => {
                    ui.label(t);
                }
                Some(Err(e)) => error_line(ui, e),
                None => {}
            }
        });
        if let Some(job) = running {
            job_progress(ui, &job, cx);
        }
        match &self.status {
            None => crate::views::loading(ui, "the learning runs"),
            Some(Err(e)) => error_line(ui, e),
            Some(Ok(status)) if status.heads.is_empty() => empty_state(ui, NO_ROUNDS),
            Some(Ok(status)) => {
                for head in &status.heads {
                    ui.push_id(&head.model, |ui| head_curve(ui, head));
                }
            }
        }
    }
}

/// One learning run with the CLI's defaults; the sentence the view shows after it.
fn run(
    p: &mut sift_api::Project,
    progress: &crate::backend::jobs::JobProgress,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<String, String> {
    let report: sift_api::Result<LearnReport> = (|| {
        if p.training_command()?.is_some() {
            return Err(Error::BadRequest(
                "this project retrains through a training command: run `sift learn`".into(),
            ));
        }
        p.learn_until(&LearnOptions::default(), progress as &dyn Progress, cancel)
    })();
    report.map(|r| summary(&r)).map_err(|e| message(&e))
}

/// "Trained digits-head@2 on 40 labels (accuracy 81.2%); 80 items requeued by margin."
pub fn summary(r: &LearnReport) -> String {
    let heads: Vec<String> = r
        .heads
        .iter()
        .map(|h| {
            let metric = h
                .metrics
                .accuracy
                .map(|a| format!("accuracy {}", pct(a)))
                .or_else(|| {
                    h.metrics
                        .pairwise_accuracy
                        .map(|a| format!("pairs in order {}", pct(a)))
                })
                .unwrap_or_else(|| "no validation metric".into());
            format!("{}@{} on {} labels ({metric})", h.model, h.version, h.labels_used)
        })
        .collect();
    format!(
        "Trained {}; {} items requeued by {}.",
        heads.join(", "),
        r.rescore.items_queued,
        r.rescore.strategy
    )
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "—".into(), f)
}

/// The metrics a curve draws, each with how to read it from a round.
type Metric = (&'static str, fn(&RoundView) -> Option<f64>);

const METRICS: [Metric; 4] = [
    ("accuracy", |r| r.accuracy),
    ("macro-F1", |r| r.macro_f1),
    ("pairs in order", |r| r.pairwise_accuracy),
    ("agreement with the previous version (κ)", |r| r.kappa),
];

/// One head: its curve over the labels used, the stopping rule's verdict and its rounds.
fn head_curve(ui: &mut egui::Ui, head: &HeadHistory) {
    ui.add_space(6.0);
    ui.label(RichText::new(&head.model).strong().size(15.0));
    let title = format!("Learning curve of {}, {} versions", head.model, head.rounds.len());
    let response = Plot::new("learning-curve")
        .height(240.0)
        .legend(Legend::default().position(Corner::LeftBottom))
        .x_axis_label("labels used")
        .y_axis_label("validation metric")
        .include_x(0.0)
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |plot| {
            for (k, (name, value)) in METRICS.iter().enumerate() {
                let points: Vec<[f64; 2]> = head
                    .rounds
                    .iter()
                    .filter_map(|r| Some([r.labels_used as f64, value(r)?]))
                    .collect();
                if points.is_empty() {
                    continue;
                }
                let color = theme::category_color(k);
                plot.line(
                    Line::new(*name, PlotPoints::from(points.clone()))
                        .color(color)
                        .width(2.0),
                );
                // A first version is one point: markers keep it visible.
                plot.points(
                    Points::new(*name, PlotPoints::from(points))
                        .color(color)
                        .radius(4.0),
                );
            }
        })
        .response;
    response.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Other, true, &title));
    if let Some(stop) = &head.stop {
        let (verdict, color) = if stop.stop {
            ("Stop: the model has settled", ui.visuals().selection.bg_fill)
        } else {
            ("Keep labeling", ui.visuals().text_color())
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("Stopping rule: {verdict}."))
                    .strong()
                    .color(color),
            );
            ui.label(&stop.reason);
        });
    }
    rounds_table(ui, &head.rounds);
}

fn rounds_table(ui: &mut egui::Ui, rounds: &[RoundView]) {
    const HEADERS: [&str; 9] = [
        "Version",
        "Labels",
        "Accuracy",
        "Macro-F1",
        "Log loss",
        "ECE",
        "κ",
        "Changed",
        "Uncertainty",
    ];
    TableBuilder::new(ui)
        .id_salt("rounds")
        .striped(true)
        .max_scroll_height(200.0)
        .columns(Column::exact(84.0), HEADERS.len())
        .header(22.0, |mut h| {
            for t in HEADERS {
                h.col(|ui| {
                    ui.strong(t);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, rounds.len(), |mut row| {
                let r = &rounds[row.index()];
                let cells = [
                    r.version.to_string(),
                    r.labels_used.to_string(),
                    opt(r.accuracy.or(r.pairwise_accuracy), pct),
                    opt(r.macro_f1, |v| format!("{v:.3}")),
                    opt(r.log_loss, |v| format!("{v:.3}")),
                    opt(r.ece, |v| format!("{v:.3}")),
                    opt(r.kappa, |v| format!("{v:.3}")),
                    opt(r.changed_share, pct),
                    opt(r.mean_uncertainty, |v| format!("{v:.3}")),
                ];
                for c in cells {
                    row.col(|ui| {
                        ui.label(c);
                    });
                }
            });
        });
}
