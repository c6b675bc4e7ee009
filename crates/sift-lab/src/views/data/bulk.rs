//! Bulk actions on the selection: make a batch (optionally "queue first"), assign to
//! annotators, return submitted work with a comment. Each opens a small form; the action runs
//! on the `writes` lane as the local user and reports what it did (or why not).

use std::collections::BTreeSet;

use eframe::egui::{self, RichText};
use sift_api::browse::{BrowseFacets, BulkReport, MakeBatch};

use crate::backend::{Apply, message};
use crate::views::{Cx, Views};

/// Which form is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    MakeBatch { queue_first: bool },
    Assign,
    Return,
}

/// The bulk bar and its forms.
#[derive(Debug, Default)]
pub struct BulkForm {
    /// The form open under the bulk bar, if any.
    pub form: Option<Form>,
    /// The new batch's name as typed (empty: a generated name).
    pub name: String,
    /// Annotator names ticked in the form.
    pub assignees: BTreeSet<String>,
    /// The return comment as typed.
    pub comment: String,
    /// A bulk action is on the `writes` lane; the buttons wait for it.
    pub running: bool,
    /// What the last bulk action did, or why it failed.
    pub last: Option<Result<BulkReport, String>>,
}

/// A bulk form opened on "Make batch" (or "Queue first").
pub fn bulk_form(queue_first: bool) -> BulkForm {
    BulkForm {
        form: Some(Form::MakeBatch { queue_first }),
        ..BulkForm::default()
    }
}

impl BulkForm {
    /// The bar above the table while items are selected.
    pub fn bar(&mut self, ui: &mut egui::Ui, selected: &mut BTreeSet<i64>, read_only: bool) {
        ui.horizontal_wrapped(|ui| {
            let any = !selected.is_empty();
            if any {
                ui.label(RichText::new(format!("{} selected", selected.len())).strong());
            } else {
                ui.label(RichText::new("Nothing selected").weak());
            }
            ui.add_enabled_ui(any && !read_only && !self.running, |ui| {
                if ui
                    .button("Make batch…")
                    .on_hover_text("A new batch of the selected items (Ctrl+B)")
                    .clicked()
                    || (any && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::B)))
                {
                    self.open(Form::MakeBatch { queue_first: false });
                }
                if ui
                    .button("Assign…")
                    .on_hover_text("Assign the selected items to annotators")
                    .clicked()
                {
                    self.open(Form::Assign);
                }
                if ui
                    .button("Return…")
                    .on_hover_text("Return their submitted work with a comment")
                    .clicked()
                {
                    self.open(Form::Return);
                }
                if ui
                    .button("Queue first…")
                    .on_hover_text("A batch that goes ahead of unassigned new work in its assignees' queues")
                    .clicked()
                {
                    self.open(Form::MakeBatch { queue_first: true });
                }
            });
            if ui
                .add_enabled(any, egui::Button::new("Clear selection"))
                .clicked()
            {
                selected.clear();
            }
            if self.running {
                ui.spinner();
            }
            match &self.last {
                Some(Ok(r)) => {
                    ui.label(summary(r));
                }
                Some(Err(e)) => crate::views::error_line(ui, e),
                None => {}
            }
        });
    }

    fn open(&mut self, form: Form) {
        self.form = Some(form);
        self.name.clear();
        self.comment.clear();
        self.last = None;
    }

    /// The open form, if any.
    pub fn show_dialogs(
        &mut self,
        ui: &mut egui::Ui,
        cx: &mut Cx<'_>,
        selected: &BTreeSet<i64>,
        facets: Option<&BrowseFacets>,
    ) {
        let Some(form) = self.form else {
            return;
        };
        let title = match form {
            Form::MakeBatch { queue_first: false } => "Make a batch",
            Form::MakeBatch { queue_first: true } => "Queue first",
            Form::Assign => "Assign to annotators",
            Form::Return => "Return with a comment",
        };
        let annotators: Vec<String> = facets
            .map(|f| {
                f.people
                    .iter()
                    .filter(|p| p.2 == "annotator")
                    .map(|p| p.1.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut submit = false;
        let mut cancel = false;
        let modal = egui::Modal::new(egui::Id::new("bulk-form")).show(ui.ctx(), |ui| {
            ui.set_width(420.0);
            ui.heading(title);
            ui.label(format!("{} items selected.", selected.len()));
            match form {
                Form::MakeBatch { queue_first } => {
                    ui.horizontal(|ui| {
                        let label = ui.label("Batch name");
                        ui.add(
                            egui::TextEdit::singleline(&mut self.name)
                                .hint_text(if queue_first { "first-N" } else { "lab-N" })
                                .desired_width(200.0),
                        )
                        .labelled_by(label.id);
                    });
                    if queue_first {
                        ui.label(
                            RichText::new(
                                "The batch is marked queue-first: its assignees meet these items before any unassigned new work.",
                            )
                            .weak(),
                        );
                    }
                    assignee_boxes(ui, &annotators, &mut self.assignees, "Deal out to (round-robin; none: unassigned)");
                }
                Form::Assign => {
                    assignee_boxes(ui, &annotators, &mut self.assignees, "Assign to (round-robin)");
                    ui.label(
                        RichText::new("Items in no batch are first put in a new batch.").weak(),
                    );
                }
                Form::Return => {
                    let label = ui.label("What should be fixed?");
                    ui.add(
                        egui::TextEdit::multiline(&mut self.comment)
                            .desired_rows(3)
                            .hint_text("Comment for the annotators"),
                    )
                    .labelled_by(label.id);
                }
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let ok = match form {
                    Form::MakeBatch { .. } => "Make batch",
                    Form::Assign => "Assign",
                    Form::Return => "Return",
                };
                if ui.button(ok).clicked() {
                    submit = true;
                }
                if ui.button("Cancel").clicked() {
                    cancel = true;
                }
            });
        });
        if modal.should_close() || cancel {
            self.form = None;
            return;
        }
        if !submit {
            return;
        }
        self.form = None;
        self.running = true;
        let items: Vec<i64> = selected.iter().copied().collect();
        let assign: Vec<String> = self.assignees.iter().cloned().collect();
        let (name, comment, user) = (
            self.name.trim().to_owned(),
            self.comment.clone(),
            cx.user.to_owned(),
        );
        cx.backend.writes.run(move |p| {
            let result = p.ensure_lead(&user).and_then(|lead| match form {
                Form::MakeBatch { queue_first } => p.make_batch_of(&MakeBatch {
                    name: (!name.is_empty()).then_some(name),
                    items,
                    assign,
                    queue_first,
                }),
                Form::Assign => p.assign_items(&items, &assign, &lead.name),
                Form::Return => p.return_items(&items, &lead.name, &comment),
            });
            let result = result.map_err(|e| message(&e));
            Box::new(move |views: &mut Views| {
                let bulk = &mut views.data.bulk;
                bulk.running = false;
                if let Ok(report) = &result {
                    views.banner_info(summary(report));
                }
                views.data.bulk.last = Some(result);
                views.changed_here();
            }) as Apply
        });
    }
}

fn assignee_boxes(ui: &mut egui::Ui, annotators: &[String], ticked: &mut BTreeSet<String>, title: &str) {
    ui.label(title);
    if annotators.is_empty() {
        ui.label(RichText::new("No annotators in this project yet (`sift annotator add`).").italics());
    }
    ui.horizontal_wrapped(|ui| {
        for name in annotators {
            let mut on = ticked.contains(name);
            if ui.checkbox(&mut on, name).changed() {
                if on {
                    ticked.insert(name.clone());
                } else {
                    ticked.remove(name);
                }
            }
        }
    });
}

/// One line saying what a bulk action did.
pub fn summary(r: &BulkReport) -> String {
    let what = match r.action.as_str() {
        "make_batch" => format!(
            "Made batch {} of {} items",
            r.batch.as_deref().unwrap_or("?"),
            r.changed
        ),
        "assign" => {
            let made = r
                .batch
                .as_deref()
                .map(|b| format!(" (new batch {b})"))
                .unwrap_or_default();
            format!("Assigned {} items{made}", r.changed)
        }
        "return" => format!("Returned {} submissions", r.changed),
        other => format!("{other}: {} changed", r.changed),
    };
    if r.skipped.is_empty() {
        format!("{what}.")
    } else {
        let first = &r.skipped[0];
        format!(
            "{what}; {} skipped (item {}: {}).",
            r.skipped.len(),
            first.0,
            first.1
        )
    }
}
