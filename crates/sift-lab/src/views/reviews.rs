//! Reviews: submitted work waiting for review, oldest first. A chosen one is shown read-only
//! (the item's text and the submitted answer) with Approve and Return (with a comment), made
//! as the local user; "Open in annotator app" starts the desktop app on the project for the
//! full review screen.

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};
use sift_api::{AnnotationView, Decision, ReviewInput};

use crate::backend::{Apply, message};
use crate::views::data::{DetailPane, ItemOf};
use crate::views::{Cx, Views, empty_state, error_line, loading, stale};

/// How many waiting reviews are listed.
const LIMIT: u32 = 1000;

/// The reviews view's state.
#[derive(Debug)]
pub struct ReviewsView {
    /// Submitted annotations waiting for review (`None`: loading).
    pub pending: Option<Result<Vec<AnnotationView>, String>>,
    loaded: Option<u64>,
    /// The annotation (id) opened for review.
    pub chosen: Option<i64>,
    /// The return comment as typed.
    pub comment: String,
    /// The reviewed item, read-only.
    pub item: DetailPane,
    /// What the last approve or return did, or why it failed.
    pub last: Option<Result<String, String>>,
    busy: bool,
}

impl Default for ReviewsView {
    fn default() -> Self {
        ReviewsView {
            pending: None,
            loaded: None,
            chosen: None,
            comment: String::new(),
            item: DetailPane::new(ItemOf::Reviews),
            last: None,
            busy: false,
        }
    }
}

impl ReviewsView {
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if !stale(self.loaded, cx.revision) {
            return;
        }
        self.loaded = Some(cx.revision);
        cx.backend.stats.run(|p| {
            let pending = p.pending_reviews(LIMIT).map_err(|e| message(&e));
            Box::new(move |views: &mut Views| {
                let view = &mut views.reviews;
                if let Ok(list) = &pending
                    && view.chosen.is_some_and(|c| !list.iter().any(|a| a.id == c))
                {
                    view.chosen = None;
                }
                view.pending = Some(pending);
            }) as Apply
        });
    }

    /// Draws the waiting list and the chosen annotation with *Approve* and *Return*.
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.refresh(cx);
        let list = match &self.pending {
            None => return loading(ui, "the reviews"),
            Some(Err(e)) => return error_line(ui, e),
            Some(Ok(list)) => list.clone(),
        };
        match &self.last {
            Some(Ok(t)) => {
                ui.label(RichText::new(t).strong());
            }
            Some(Err(e)) => error_line(ui, e),
            None => {}
        }
        if list.is_empty() {
            empty_state(ui, "Nothing is waiting for review.");
            return;
        }
        ui.label(format!(
            "{} submissions waiting for review (oldest first).",
            list.len()
        ));
        egui::Panel::left("review-list")
            .resizable(true)
            .default_size(380.0)
            .show_inside(ui, |ui| {
                TableBuilder::new(ui)
                    .striped(true)
                    .sense(egui::Sense::click())
                    .column(Column::exact(70.0))
                    .column(Column::initial(110.0))
                    .column(Column::exact(40.0))
                    .column(Column::remainder())
                    .header(22.0, |mut h| {
                        for t in ["Item", "Annotator", "v", "Submitted"] {
                            h.col(|ui| {
                                ui.strong(t);
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(22.0, list.len(), |mut row| {
                            let a = &list[row.index()];
                            row.set_selected(self.chosen == Some(a.id));
                            row.col(|ui| {
                                if ui
                                    .selectable_label(
                                        self.chosen == Some(a.id),
                                        format!("Item {}", a.item_id),
                                    )
                                    .clicked()
                                {
                                    self.chosen = Some(a.id);
                                }
                            });
                            row.col(|ui| {
                                ui.label(&a.annotator);
                            });
                            row.col(|ui| {
                                ui.label(a.version.to_string());
                            });
                            row.col(|ui| {
                                ui.label(crate::views::data::short_time(&a.updated_at));
                            });
                            if row.response().clicked() {
                                self.chosen = Some(a.id);
                            }
                        });
                    });
            });
        let Some(a) = self.chosen.and_then(|c| list.iter().find(|a| a.id == c)).cloned() else {
            egui::CentralPanel::default().show_inside(ui, |ui| {
                empty_state(ui, "Choose a submission to review it.");
            });
            return;
        };
        egui::CentralPanel::default().show_inside(ui, |ui| self.review_pane(ui, cx, &a));
    }

    fn review_pane(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>, a: &AnnotationView) {
        ui.horizontal(|ui| {
            ui.heading(format!(
                "Item {} by {}, version {}",
                a.item_id, a.annotator, a.version
            ));
            if ui
                .button("Open in annotator app")
                .on_hover_text("Start the Sift desktop app on this project (its review screen)")
                .clicked()
            {
                self.last = Some(open_desktop(&cx.backend.path));
            }
        });
        ui.add_enabled_ui(!cx.project.read_only && !self.busy, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Comment");
                ui.add(
                    egui::TextEdit::singleline(&mut self.comment)
                        .hint_text("Required to return; optional to approve")
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
                for decision in [Decision::Approved, Decision::Returned] {
                    let text = if decision == Decision::Approved {
                        "Approve"
                    } else {
                        "Return"
                    };
                    if ui.button(text).clicked() {
                        self.decide(cx, a, decision);
                    }
                }
            });
        });
        ui.separator();
        self.item.open(a.item_id);
        egui::Panel::bottom("review-answer")
            .resizable(true)
            .default_size(260.0)
            .show_inside(ui, |ui| {
                ui.label(RichText::new("Submitted answer").strong());
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let pretty = serde_json::to_string_pretty(&a.payload).unwrap_or_default();
                    ui.label(RichText::new(pretty).monospace());
                });
            });
        egui::CentralPanel::default().show_inside(ui, |ui| self.item.show(ui, cx));
    }

    fn decide(&mut self, cx: &mut Cx<'_>, a: &AnnotationView, decision: Decision) {
        let Some(version) = a.submitted_version else {
            return;
        };
        self.busy = true;
        let (id, user) = (a.id, cx.user.to_owned());
        let comment = Some(self.comment.trim().to_owned()).filter(|c| !c.is_empty());
        cx.backend.writes.run(move |p| {
            let result = p
                .ensure_lead(&user)
                .and_then(|lead| {
                    p.review(&ReviewInput {
                        annotation_id: id,
                        version,
                        reviewer: &lead.name,
                        decision,
                        comment: comment.as_deref(),
                        anchor: None,
                    })
                })
                .map(|v| {
                    format!(
                        "{} item {} of {}.",
                        if decision == Decision::Approved {
                            "Approved"
                        } else {
                            "Returned"
                        },
                        v.item_id,
                        v.annotator
                    )
                })
                .map_err(|e| message(&e));
            Box::new(move |views: &mut Views| {
                let view = &mut views.reviews;
                view.busy = false;
                if result.is_ok() {
                    view.comment.clear();
                    view.chosen = None;
                }
                view.last = Some(result);
                views.changed_here();
            }) as Apply
        });
    }
}

/// Starts the desktop app (`sift-desktop`, beside this program or on the PATH) on the
/// project's folder.
fn open_desktop(file: &std::path::Path) -> Result<String, String> {
    let folder = file.parent().unwrap_or(file);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("sift-desktop")))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| "sift-desktop".into());
    std::process::Command::new(&program)
        .arg(folder)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map(|_| format!("Started the annotator app on {}.", folder.display()))
        .map_err(|e| format!("cannot start {}: {e}", program.display()))
}
