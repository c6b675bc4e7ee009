//! Learning: the learning curves and "Run learning" ([`curves`]), and the queue builder
//! (strategy, size, diversity, assignees) with a live preview of the items `build_queue`
//! would pick, then "Make batch".

mod curves;

pub use curves::{NO_ROUNDS, summary};

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};
use sift_api::browse::QueuePreview;
use sift_api::learn::LearnStatus;
use sift_api::{BatchReport, QueueOptions, Strategy};

use crate::backend::{Apply, message};
use crate::views::{Cx, Views, empty_state, error_line, stale};

/// How long the builder's settings must stay unchanged before the preview is recomputed.
const PREVIEW_DEBOUNCE: Duration = Duration::from_millis(200);

/// The learning view's state.
#[derive(Debug)]
pub struct LearningView {
    /// Every head's learning curve and the stopping rule's verdict (`None`: loading).
    pub status: Option<Result<LearnStatus, String>>,
    status_loaded: Option<u64>,
    /// The running "Run learning" job.
    pub learn_job: Option<u64>,
    /// What the last run did, or why it failed.
    pub learn_result: Option<Result<String, String>>,
    /// The queue's strategy.
    pub strategy: Strategy,
    /// How many items the batch holds.
    pub size: usize,
    /// Cluster the most uncertain items and take from each cluster.
    pub diverse: bool,
    /// Annotators the batch is handed to, in turn.
    pub assignees: BTreeSet<String>,
    people: Option<Vec<String>>,
    edited: Option<Instant>,
    /// What *Make batch* would make now (`None`: not computed yet).
    pub preview: Option<Result<QueuePreview, String>>,
    previewed: Option<(u64, QueueKey)>,
    preview_in_flight: bool,
    /// The batch *Make batch* made, or why it failed.
    pub made: Option<Result<BatchReport, String>>,
}

/// What a preview was computed for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QueueKey {
    strategy: Strategy,
    size: usize,
    diverse: bool,
    assignees: Vec<String>,
}

impl Default for LearningView {
    fn default() -> Self {
        LearningView {
            status: None,
            status_loaded: None,
            learn_job: None,
            learn_result: None,
            strategy: Strategy::Margin,
            size: 20,
            diverse: false,
            assignees: BTreeSet::new(),
            people: None,
            edited: None,
            preview: None,
            previewed: None,
            preview_in_flight: false,
            made: None,
        }
    }
}

impl LearningView {
    fn key(&self) -> QueueKey {
        QueueKey {
            strategy: self.strategy,
            size: self.size,
            diverse: self.diverse,
            assignees: self.assignees.iter().cloned().collect(),
        }
    }

    fn options(&self) -> QueueOptions {
        QueueOptions {
            size: self.size,
            strategy: self.strategy,
            diverse: self.diverse,
            assign: self.assignees.iter().cloned().collect(),
            name: None,
            model: None,
            overlap: 1,
        }
    }

    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if stale(self.status_loaded, cx.revision) {
            self.status_loaded = Some(cx.revision);
            cx.backend.stats.run(move |p| {
                let status = p.learn_status(None).map_err(|e| message(&e));
                Box::new(move |views: &mut Views| views.learning.status = Some(status)) as Apply
            });
            cx.backend.stats.run(|p| {
                let people = p.annotators().map_err(|e| message(&e));
                Box::new(move |views: &mut Views| {
                    if let Ok(people) = people {
                        views.learning.people = Some(
                            people
                                .into_iter()
                                .filter(|a| a.role == sift_api::Role::Annotator)
                                .map(|a| a.name)
                                .collect(),
                        );
                    }
                }) as Apply
            });
        }
        let settled = self.edited.is_none_or(|at| at.elapsed() >= PREVIEW_DEBOUNCE);
        let key = self.key();
        let current = self
            .previewed
            .as_ref()
            .is_some_and(|(r, k)| *r == cx.revision && *k == key);
        if settled && !current && !self.preview_in_flight {
            self.preview_in_flight = true;
            self.edited = None;
            let (options, revision) = (self.options(), cx.revision);
            cx.backend.stats.run(move |p| {
                let preview = p.preview_queue(&options).map_err(|e| message(&e));
                Box::new(move |views: &mut Views| {
                    let view = &mut views.learning;
                    view.preview_in_flight = false;
                    view.previewed = Some((revision, key));
                    view.preview = Some(preview);
                }) as Apply
            });
        }
    }

    /// Draws the learning curves and *Run learning*, then the queue builder (asking for what is
    /// stale first).
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.refresh(cx);
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            ui.heading("Learning curves");
            self.curves(ui, cx);
            ui.add_space(12.0);
            ui.separator();
            ui.heading("Queue builder");
            self.builder(ui, cx);
        });
    }

    fn builder(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        let before = self.key();
        ui.horizontal_wrapped(|ui| {
            ui.label("Strategy");
            egui::ComboBox::from_id_salt("queue-strategy")
                .selected_text(self.strategy.name())
                .show_ui(ui, |ui| {
                    for s in Strategy::ALL {
                        ui.selectable_value(&mut self.strategy, s, s.name());
                    }
                });
            let label = ui.label("Size");
            ui.add(egui::DragValue::new(&mut self.size).range(1..=10_000))
                .labelled_by(label.id);
            ui.checkbox(&mut self.diverse, "Diverse (cluster the uncertain)");
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Assign to");
            let people = self.people.clone().unwrap_or_default();
            if people.is_empty() {
                ui.label(RichText::new("no annotators yet").italics());
            }
            for name in people {
                let mut on = self.assignees.contains(&name);
                if ui.checkbox(&mut on, &name).changed() {
                    if on {
                        self.assignees.insert(name);
                    } else {
                        self.assignees.remove(&name);
                    }
                }
            }
        });
        if self.key() != before {
            self.edited = Some(Instant::now());
            ui.ctx().request_repaint_after(PREVIEW_DEBOUNCE);
        }
        let preview = match &self.preview {
            None => return crate::views::loading(ui, "the preview"),
            Some(Err(e)) => {
                empty_state(ui, e);
                return;
            }
            Some(Ok(p)) => p.clone(),
        };
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} picks {} of {} candidates by {}{}.",
                preview.model,
                preview.items.len(),
                preview.candidates,
                preview.strategy,
                if preview.diverse { ", diverse" } else { "" }
            ));
            if self.preview_in_flight {
                ui.spinner();
            }
            let enabled = !preview.items.is_empty() && !cx.project.read_only;
            if ui.add_enabled(enabled, egui::Button::new("Make batch")).clicked() {
                let options = self.options();
                cx.backend.writes.run(move |p| {
                    let made = p.build_queue(&options).map_err(|e| message(&e));
                    Box::new(move |views: &mut Views| {
                        if let Ok(b) = &made {
                            views.banner_info(format!("Made batch {} of {} items.", b.batch, b.items.len()));
                        }
                        views.learning.made = Some(made);
                        views.changed_here();
                    }) as Apply
                });
            }
        });
        if let Some(Err(e)) = &self.made {
            error_line(ui, e);
        }
        ui.push_id("queue-preview", |ui| {
            TableBuilder::new(ui)
                .striped(true)
                .max_scroll_height(420.0)
                .column(Column::exact(40.0))
                .column(Column::exact(70.0))
                .column(Column::exact(70.0))
                .column(Column::exact(90.0))
                .column(Column::remainder().clip(true))
                .header(22.0, |mut h| {
                    for t in ["#", "Item", "Score", "Goes to", "Text"] {
                        h.col(|ui| {
                            ui.strong(t);
                        });
                    }
                })
                .body(|body| {
                    body.rows(20.0, preview.items.len(), |mut row| {
                        let i = row.index();
                        let (entry, text) = &preview.items[i];
                        row.col(|ui| {
                            ui.label((i + 1).to_string());
                        });
                        row.col(|ui| {
                            ui.label(entry.item_id.to_string());
                        });
                        row.col(|ui| {
                            ui.label(format!("{:.3}", entry.score));
                        });
                        row.col(|ui| {
                            ui.label(preview.assignees.get(i).map_or("", String::as_str));
                        });
                        row.col(|ui| {
                            ui.label(text);
                        });
                    });
                });
        });
    }
}
