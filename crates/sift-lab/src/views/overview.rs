//! Overview: items by state, each person's work and pace, batch progress, reviews waiting,
//! the current model and the search index (`Project::overview`).

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};
use sift_api::browse::{ItemState, ItemStateCounts, Overview};

use super::{Cx, Tab, empty_state, error_line, loading, stale};
use crate::backend::{Apply, message};
use crate::theme;
use crate::views::Views;

/// The overview's state.
#[derive(Debug, Default)]
pub struct OverviewView {
    /// The overview as last read (`None`: loading).
    pub data: Option<Result<Overview, String>>,
    loaded: Option<u64>,
    in_flight: bool,
}

impl OverviewView {
    /// Asks for the counts when what is shown is older than the project.
    pub fn refresh(&mut self, cx: &mut Cx<'_>) {
        if self.in_flight || !stale(self.loaded, cx.revision) {
            return;
        }
        self.in_flight = true;
        let revision = cx.revision;
        cx.backend.stats.run(move |p| {
            let result = p.overview().map_err(|e| message(&e));
            Box::new(move |views: &mut Views| {
                let view = &mut views.overview;
                view.in_flight = false;
                view.loaded = Some(revision);
                view.data = Some(result);
            }) as Apply
        });
    }

    /// Draws the overview; *Open reviews* sets `go_to` to the reviews view.
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>, go_to: &mut Option<Tab>) {
        self.refresh(cx);
        let Some(data) = &self.data else {
            loading(ui, "the overview");
            return;
        };
        let o = match data {
            Ok(o) => o,
            Err(e) => {
                error_line(ui, e);
                return;
            }
        };
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            ui.heading(format!("{} ({} project)", o.project, o.kind));
            if o.read_only {
                ui.label(
                    RichText::new("Opened read-only: this account cannot write the project file.").strong(),
                );
            }
            ui.add_space(6.0);
            section(ui, "Items");
            state_bar(ui, &o.items);
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                let waiting = o.reviews_waiting;
                ui.label(RichText::new(format!("Reviews waiting: {waiting}")).strong());
                if waiting > 0 && ui.button("Open reviews").clicked() {
                    *go_to = Some(Tab::Reviews);
                }
            });
            ui.add_space(10.0);
            section(ui, "People");
            people(ui, o);
            ui.add_space(10.0);
            section(ui, "Batches");
            batches(ui, o);
            ui.add_space(10.0);
            section(ui, "Model");
            match &o.model {
                None => empty_state(
                    ui,
                    "No model has scored this project yet: add one in Models (or `sift model add`).",
                ),
                Some(m) => {
                    ui.label(format!(
                        "{}: {} items scored, {} failed, {} runs{}",
                        m.label,
                        m.counts.items_scored,
                        m.counts.items_failed,
                        m.counts.runs,
                        m.counts
                            .last_run_at
                            .as_ref()
                            .map(|at| format!(
                                ", last on {} at {at}",
                                m.counts.last_device.clone().unwrap_or_default()
                            ))
                            .unwrap_or_default()
                    ));
                    if m.metrics.is_empty() {
                        ui.label(RichText::new("No validation metrics yet: run `sift learn`.").weak());
                    } else {
                        for (name, value) in &m.metrics {
                            ui.label(format!("{name}: {value}"));
                        }
                    }
                }
            }
            ui.add_space(10.0);
            let s = o.search_index;
            let text = if s.pending == 0 {
                format!("Search index: all {} items indexed.", s.items)
            } else {
                format!(
                    "Search index: {} of {} items indexed (searches scan the rest meanwhile).",
                    s.items - s.pending,
                    s.items
                )
            };
            ui.label(RichText::new(text).weak());
        });
    }
}

fn section(ui: &mut egui::Ui, title: &str) {
    ui.label(RichText::new(title).heading().size(17.0));
}

/// Items by state: one stacked bar with a legend of counts.
fn state_bar(ui: &mut egui::Ui, counts: &ItemStateCounts) {
    let dark = ui.visuals().dark_mode;
    let width = ui.available_width().min(900.0);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 22.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let total = counts.total.max(1) as f32;
    let mut x = rect.left();
    for state in ItemState::ALL {
        let n = counts.get(state) as f32;
        if n == 0.0 {
            continue;
        }
        let w = (n / total * rect.width()).max(1.0);
        let r = egui::Rect::from_min_size(egui::pos2(x, rect.top()), egui::vec2(w, rect.height()));
        painter.rect_filled(r, 0.0, theme::state_color(state, dark));
        x += w;
    }
    response.on_hover_text(format!("{} items", counts.total));
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{} items", counts.total)).strong());
        for state in ItemState::ALL {
            let n = counts.get(state);
            let (dot, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(dot, 2.0, theme::state_color(state, dark));
            ui.label(format!("{state}: {n}"));
        }
    });
}

fn hours(ms: i64) -> String {
    let minutes = ms / 60_000;
    format!("{}h {:02}m", minutes / 60, minutes % 60)
}

fn people(ui: &mut egui::Ui, o: &Overview) {
    if o.people.is_empty() {
        empty_state(
            ui,
            "Nobody has joined yet: add annotators with `sift annotator add`.",
        );
        return;
    }
    ui.push_id("people", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .vscroll(false)
            .column(Column::auto().at_least(110.0))
            .columns(Column::auto().at_least(64.0), 8)
            .header(22.0, |mut h| {
                for title in [
                    "Person",
                    "Role",
                    "Drafts",
                    "Submitted",
                    "Approved",
                    "Returned",
                    "Assigned",
                    "Active time",
                    "Items/hour",
                ] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|mut body| {
                for p in &o.people {
                    body.row(20.0, |mut row| {
                        let c = &p.counts;
                        row.col(|ui| {
                            ui.label(&c.name);
                        });
                        row.col(|ui| {
                            ui.label(&c.role);
                        });
                        for n in [c.drafts, c.submitted, c.approved, c.returned, c.assigned_open] {
                            row.col(|ui| {
                                ui.label(n.to_string());
                            });
                        }
                        row.col(|ui| {
                            ui.label(hours(c.time_spent_ms));
                        });
                        row.col(|ui| {
                            ui.label(
                                p.items_per_hour
                                    .map_or_else(|| "—".to_owned(), |r| format!("{r:.1}")),
                            );
                        });
                    });
                }
            });
    });
}

fn batches(ui: &mut egui::Ui, o: &Overview) {
    if o.batches.is_empty() {
        empty_state(
            ui,
            "No batches yet: select items in Data and choose “Make batch”.",
        );
        return;
    }
    ui.push_id("batches", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .vscroll(o.batches.len() > 12)
            .max_scroll_height(300.0)
            .column(Column::auto().at_least(120.0))
            .column(Column::auto().at_least(80.0))
            .column(Column::auto().at_least(50.0))
            .column(Column::initial(220.0))
            .column(Column::auto().at_least(120.0))
            .header(22.0, |mut h| {
                for title in ["Batch", "Strategy", "Items", "Progress", "Assigned to"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|mut body| {
                for b in &o.batches {
                    body.row(22.0, |mut row| {
                        row.col(|ui| {
                            ui.label(&b.name);
                        });
                        row.col(|ui| {
                            ui.label(b.strategy.as_deref().unwrap_or("—"));
                        });
                        row.col(|ui| {
                            ui.label(b.items.to_string());
                        });
                        row.col(|ui| {
                            let done = b.states.submitted + b.states.approved;
                            let fraction = done as f32 / b.items.max(1) as f32;
                            ui.add(
                                egui::ProgressBar::new(fraction)
                                    .text(format!("{done}/{} done, {} approved", b.items, b.states.approved)),
                            );
                        });
                        row.col(|ui| {
                            ui.label(if b.annotators.is_empty() {
                                "nobody"
                            } else {
                                &b.annotators
                            });
                        });
                    });
                }
            });
    });
}
