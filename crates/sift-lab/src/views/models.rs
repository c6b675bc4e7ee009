//! Models: the registered model versions with what each has scored (and, for encoders, how
//! many items have a vector), a score histogram per strategy for the chosen version
//! (egui_plot), and "Score" — the pool scored with the real ONNX Runtime (`sift-onnx`) as a
//! cancellable job with progress — or, for an encoder, "Embed" ([`super::embedding`]).

use std::sync::atomic::AtomicBool;

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};
use egui_plot::{Bar, BarChart, Plot};
use sift_api::browse::ScoreHistogram;
use sift_api::{EmbeddingCounts, ModelInfo, ModelScoreCounts, Progress, Project};

use crate::backend::jobs::{JobProgress, Stop};
use crate::backend::{Apply, message};
use crate::views::embedding::{EmbedControls, is_encoder};
use crate::views::transfer::job_progress;
use crate::views::{Cx, Views, empty_state, error_line, loading, stale};

/// Bins of a histogram.
const BINS: u32 = 30;

/// The registered models, their score counts, the stored vectors per encoder and the number
/// of items (or why they could not be read).
pub type ModelList = Result<(Vec<ModelInfo>, Vec<ModelScoreCounts>, Vec<EmbeddingCounts>, u64), String>;

/// The models view's state.
#[derive(Debug, Default)]
pub struct ModelsView {
    /// Registered model versions and what each scored (`None`: loading).
    pub models: Option<ModelList>,
    loaded: Option<u64>,
    /// The model version whose histograms are shown.
    pub selected: Option<i64>,
    /// Score histograms, with the model version (id) they are of (`None`: not loaded).
    pub histograms: Option<(i64, Result<Vec<ScoreHistogram>, String>)>,
    histograms_loaded: Option<(i64, u64)>,
    /// The running scoring job.
    pub score_job: Option<u64>,
    /// What the last scoring run did, or why it failed.
    pub last_run: Option<Result<String, String>>,
    /// *Embed with …* for an encoder.
    pub embedding: EmbedControls,
}

impl ModelsView {
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if stale(self.loaded, cx.revision) {
            self.loaded = Some(cx.revision);
            cx.backend.stats.run(|p| {
                let result = p
                    .models()
                    .and_then(|m| {
                        Ok((
                            m,
                            p.model_scores()?,
                            p.embedding_counts()?,
                            p.status()?.counts.items,
                        ))
                    })
                    .map_err(|e| message(&e));
                Box::new(move |views: &mut Views| {
                    let view = &mut views.models;
                    if let Ok((models, ..)) = &result
                        && view
                            .selected
                            .is_none_or(|s| !models.iter().any(|m| m.row.id == s))
                    {
                        view.selected = models.last().map(|m| m.row.id);
                    }
                    view.models = Some(result);
                }) as Apply
            });
        }
        if let Some(model) = self.selected
            && stale(
                self.histograms_loaded
                    .filter(|(m, _)| *m == model)
                    .map(|(_, r)| r),
                cx.revision,
            )
        {
            self.histograms_loaded = Some((model, cx.revision));
            cx.backend.stats.run(move |p| {
                let result = p.score_histograms(model, BINS).map_err(|e| message(&e));
                Box::new(move |views: &mut Views| views.models.histograms = Some((model, result))) as Apply
            });
        }
    }

    /// Draws the models, *Score with ...* with its progress, and the selected version's histograms.
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.refresh(cx);
        let (models, counts, vectors, items) = match &self.models {
            None => return loading(ui, "the models"),
            Some(Err(e)) => return error_line(ui, e),
            Some(Ok((m, c, v, n))) => (m.clone(), c.clone(), v.clone(), *n),
        };
        if models.is_empty() {
            empty_state(
                ui,
                "No models yet: register one with `sift model add MODEL.onnx --config model.toml`, then score here.",
            );
            return;
        }
        ui.heading("Registered models");
        ui.push_id("models", |ui| {
            TableBuilder::new(ui)
                .striped(true)
                .vscroll(false)
                .sense(egui::Sense::click())
                .column(Column::auto().at_least(140.0))
                .columns(Column::auto().at_least(70.0), 5)
                .column(Column::remainder())
                .header(22.0, |mut h| {
                    for t in [
                        "Model", "Scored", "Vectors", "Failed", "Runs", "Added", "Last run",
                    ] {
                        h.col(|ui| {
                            ui.strong(t);
                        });
                    }
                })
                .body(|mut body| {
                    for m in models.iter().rev() {
                        let c = counts.iter().find(|c| c.model_version_id == m.row.id);
                        body.row(22.0, |mut row| {
                            row.set_selected(self.selected == Some(m.row.id));
                            row.col(|ui| {
                                if ui
                                    .selectable_label(self.selected == Some(m.row.id), m.label())
                                    .clicked()
                                {
                                    self.selected = Some(m.row.id);
                                }
                            });
                            let n = |f: fn(&ModelScoreCounts) -> u64| c.map_or(0, f).to_string();
                            row.col(|ui| {
                                ui.label(n(|c| c.items_scored));
                            });
                            row.col(|ui| {
                                let stored = vectors.iter().find(|v| v.model_version_id == m.row.id);
                                ui.label(stored.map_or_else(|| "–".to_owned(), |v| v.items.to_string()));
                            });
                            row.col(|ui| {
                                ui.label(n(|c| c.items_failed));
                            });
                            row.col(|ui| {
                                ui.label(n(|c| c.runs));
                            });
                            row.col(|ui| {
                                ui.label(m.row.added_at.get(..10).unwrap_or(&m.row.added_at));
                            });
                            row.col(|ui| {
                                let last = c
                                    .and_then(|c| {
                                        Some(format!(
                                            "{} on {}",
                                            c.last_run_at.as_deref()?.get(..16)?,
                                            c.last_device.as_deref()?
                                        ))
                                    })
                                    .unwrap_or_else(|| "never".to_owned());
                                ui.label(last);
                            });
                            if row.response().clicked() {
                                self.selected = Some(m.row.id);
                            }
                        });
                    }
                });
        });
        ui.separator();
        let Some(model) = self
            .selected
            .and_then(|id| models.iter().find(|m| m.row.id == id))
            .cloned()
        else {
            return;
        };
        if is_encoder(&model) {
            let with = vectors
                .iter()
                .find(|v| v.model_version_id == model.row.id)
                .map_or(0, |v| v.items);
            self.embedding.show(ui, cx, &model, Some((with, items)));
            ui.separator();
            ui.heading(format!("{} is an encoder", model.label()));
            empty_state(
                ui,
                "Encoders give items vectors, not scores: the learning loop trains heads on them (Learning) and the data map projects them.",
            );
            return;
        }
        self.score_controls(ui, cx, &model);
        ui.separator();
        ui.heading(format!("Scores of {} by strategy", model.label()));
        match &self.histograms {
            Some((m, Ok(h))) if *m == model.row.id => {
                if h.is_empty() {
                    empty_state(ui, "This version has no scores yet: score the pool above.");
                } else {
                    histograms(ui, h);
                }
            }
            Some((m, Err(e))) if *m == model.row.id => error_line(ui, e),
            _ => loading(ui, "the histograms"),
        }
    }

    fn score_controls(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>, model: &ModelInfo) {
        let running = self
            .score_job
            .and_then(|id| cx.backend.jobs.running.iter().find(|j| j.id == id).cloned());
        ui.horizontal(|ui| {
            let enabled = running.is_none() && !cx.project.read_only && cfg!(feature = "onnx");
            let button = ui
                .add_enabled(enabled, egui::Button::new(format!("Score with {}", model.label())))
                .on_hover_text("Score every unlabeled item this version has not scored (ONNX Runtime; CUDA when present)")
                .on_disabled_hover_text("Scoring needs a build with ONNX Runtime support and a writable project");
            if button.clicked() {
                self.last_run = None;
                let model = model.clone();
                let title = format!("Scoring with {}", model.label());
                self.score_job = cx.backend.jobs.start("score", title, Stop::Flag, move |p, progress, cancel| {
                    let result = score(p, &model, progress, cancel);
                    Box::new(move |views: &mut Views| {
                        views.models.score_job = None;
                        views.models.last_run = Some(result);
                        views.changed_here();
                    }) as Apply
                });
            }
            match &self.last_run {
                Some(Ok(text)) => {
                    ui.label(RichText::new(text).strong());
                }
                Some(Err(e)) => error_line(ui, e),
                None => {}
            }
        });
        if let Some(job) = running {
            job_progress(ui, &job, cx);
        }
    }
}

/// Scores the pool with the real ONNX Runtime.
#[cfg(feature = "onnx")]
fn score(
    p: &mut Project,
    model: &ModelInfo,
    progress: &JobProgress,
    cancel: &AtomicBool,
) -> Result<String, String> {
    let options = sift_onnx::ScorerOptions::default();
    let mut scorer = sift_onnx::open_registered(&model.path, &model.row.config, &model.dir, &options)
        .map_err(|e| e.to_string())?;
    let batch_size = scorer.batch_size(32);
    let report = p
        .score(
            model,
            &mut scorer,
            &sift_api::ScoreOptions {
                batch_size,
                limit: None,
            },
            progress as &dyn Progress,
            cancel,
        )
        .map_err(|e| message(&e))?;
    Ok(format!(
        "{} {} items in {:.1} s on {} ({}); {} failed, {} already scored.",
        if report.cancelled {
            "Cancelled after scoring"
        } else {
            "Scored"
        },
        report.items_scored,
        report.seconds,
        report.device,
        report.runtime_version,
        report.items_failed,
        report.already_scored
    ))
}

#[cfg(not(feature = "onnx"))]
fn score(
    _p: &mut Project,
    _model: &ModelInfo,
    _progress: &JobProgress,
    _cancel: &AtomicBool,
) -> Result<String, String> {
    Err("this build of the Lab has no ONNX Runtime support (feature `onnx`)".into())
}

/// One bar chart per strategy, two to a row.
fn histograms(ui: &mut egui::Ui, hists: &[ScoreHistogram]) {
    let width = (ui.available_width() / 2.0 - 12.0).max(200.0);
    egui::Grid::new("histograms")
        .num_columns(2)
        .spacing([12.0, 12.0])
        .show(ui, |ui| {
            for (i, h) in hists.iter().enumerate() {
                ui.vertical(|ui| {
                    let total: u64 = h.counts.iter().sum();
                    ui.label(RichText::new(format!("{} ({total} items)", h.strategy)).strong());
                    let step = (h.hi - h.lo) / h.counts.len().max(1) as f64;
                    let step = if step > 0.0 {
                        step
                    } else {
                        1.0 / h.counts.len().max(1) as f64
                    };
                    let bars: Vec<Bar> = h
                        .counts
                        .iter()
                        .enumerate()
                        .map(|(k, &n)| Bar::new(h.lo + (k as f64 + 0.5) * step, n as f64).width(step * 0.95))
                        .collect();
                    Plot::new(("histogram", &h.strategy))
                        .width(width)
                        .height(170.0)
                        .allow_scroll(false)
                        .allow_zoom(false)
                        .allow_drag(false)
                        .x_axis_label("score (1 = most uncertain)")
                        .y_axis_label("items")
                        .show(ui, |plot| plot.bar_chart(BarChart::new(h.strategy.clone(), bars)));
                });
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
}
