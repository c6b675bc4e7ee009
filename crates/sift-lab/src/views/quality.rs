//! Quality (`Ctrl+9`): the template's dataset targets as live bars against their bounds, the
//! project's agreement and consensus, each annotator's pace, return rate, agreement with the
//! others and gold accuracy (flagged below the threshold), and per batch how complete the
//! overlap is — `Project::quality_report`, the figures `sift report` writes; *Save HTML
//! report…* writes that same file.

use std::path::PathBuf;

use eframe::egui::{self, Color32, RichText};
use egui_extras::{Column, TableBuilder};
use sift_api::quality::quotas::QuotaLine;
use sift_api::quality::{GoldStatus, QualityReport, QuotaStatus, Scope, html};

use super::{Cx, empty_state, error_line, loading, stale};
use crate::backend::{Apply, message};
use crate::dialogs::{self, Pick};
use crate::views::Views;

/// The quality view's state.
#[derive(Debug, Default)]
pub struct QualityView {
    /// The report as last read (`None`: loading).
    pub data: Option<Result<QualityReport, String>>,
    loaded: Option<u64>,
    in_flight: bool,
    /// Where *Save HTML report…* was asked to write.
    pub save_request: Option<PathBuf>,
    saved: Option<Result<String, String>>,
}

impl QualityView {
    /// Asks for the report when what is shown is older than the project. The previous one
    /// stays on screen meanwhile.
    pub fn refresh(&mut self, cx: &mut Cx<'_>) {
        if self.in_flight || !stale(self.loaded, cx.revision) {
            return;
        }
        self.in_flight = true;
        let revision = cx.revision;
        cx.backend.stats.run(move |p| {
            let result = p.quality_report().map_err(|e| message(&e));
            Box::new(move |views: &mut Views| {
                let view = &mut views.quality;
                view.in_flight = false;
                view.loaded = Some(revision);
                view.data = Some(result);
            }) as Apply
        });
    }

    /// Draws the view.
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.refresh(cx);
        if let Some(path) = self.save_request.take() {
            self.save(path, cx);
        }
        let report = match &self.data {
            None => {
                loading(ui, "the quality figures");
                return;
            }
            Some(Err(e)) => {
                error_line(ui, e);
                return;
            }
            Some(Ok(r)) => r,
        };
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Quality");
                if ui
                    .button("Save HTML report…")
                    .on_hover_text("The self-contained file `sift report` writes")
                    .clicked()
                {
                    let start = cx.project.file.parent().map(|p| p.to_owned());
                    dialogs::open(
                        Pick::SaveAs,
                        start,
                        cx.backend.sender(),
                        ui.ctx().clone(),
                        |path| Box::new(move |views: &mut Views| views.quality.save_request = Some(path)),
                    );
                }
                match &self.saved {
                    Some(Ok(t)) => {
                        ui.label(t);
                    }
                    Some(Err(e)) => error_line(ui, e),
                    None => {}
                }
            });
            ui.add_space(6.0);
            section(ui, "Dataset targets");
            targets(ui, &report.quotas.lines);
            ui.add_space(10.0);
            section(ui, "Agreement");
            scope(ui, &report.overall, "project");
            least_agreement(ui, &report.overall);
            ui.add_space(10.0);
            section(ui, "Annotators");
            annotators(ui, report);
            ui.add_space(10.0);
            section(ui, "Batches");
            if report.batches.is_empty() {
                empty_state(
                    ui,
                    "No batches yet: select items in Data and choose “Make batch”.",
                );
            }
            for b in &report.batches {
                ui.label(
                    RichText::new(format!(
                        "{}: {} of {} items have {} annotation{}",
                        b.name,
                        b.complete,
                        b.items,
                        b.overlap,
                        if b.overlap == 1 { "" } else { "s" }
                    ))
                    .strong(),
                );
                ui.push_id(&b.name, |ui| scope(ui, &b.scope, "batch"));
            }
        });
    }

    fn save(&mut self, path: PathBuf, cx: &mut Cx<'_>) {
        cx.backend.stats.run(move |p| {
            let written = p
                .quality_report()
                .map_err(|e| message(&e))
                .and_then(|r| {
                    std::fs::write(&path, html::render(&r))
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))
                })
                .map(|()| format!("Wrote {}", path.display()));
            Box::new(move |views: &mut Views| views.quality.saved = Some(written)) as Apply
        });
    }
}

fn section(ui: &mut egui::Ui, title: &str) {
    ui.label(RichText::new(title).heading().size(17.0));
}

fn status_color(ui: &egui::Ui, s: QuotaStatus) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match (s, dark) {
        (QuotaStatus::Met, false) => Color32::from_rgb(0x1a, 0x7f, 0x37),
        (QuotaStatus::Met, true) => Color32::from_rgb(0x4a, 0xc2, 0x6b),
        (_, false) => Color32::from_rgb(0xb4, 0x23, 0x18),
        (_, true) => Color32::from_rgb(0xf2, 0x6d, 0x61),
    }
}

fn percent_or_value(line: &QuotaLine, v: f64) -> String {
    if line.target.starts_with("share") {
        format!("{:.0}%", v * 100.0)
    } else {
        format!("{v:.2}")
    }
}

/// One bar per target: the allowed band shaded, the value marked, the words beside it.
fn targets(ui: &mut egui::Ui, lines: &[QuotaLine]) {
    if lines.is_empty() {
        empty_state(
            ui,
            "The template sets no dataset targets: add a [quotas] table (docs/quality.md).",
        );
        return;
    }
    for line in lines {
        let color = status_color(ui, line.status);
        let scale = [line.value, line.bounds.min, line.bounds.max]
            .into_iter()
            .flatten()
            .fold(
                if line.target.starts_with("share") {
                    1.0
                } else {
                    0.0
                },
                f64::max,
            )
            .max(1e-9);
        ui.horizontal(|ui| {
            let width = 260.0;
            let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 16.0), egui::Sense::hover());
            let painter = ui.painter_at(rect);
            let x = |v: f64| rect.left() + (v / scale).clamp(0.0, 1.0) as f32 * rect.width();
            painter.rect_filled(rect, 2.0, ui.visuals().faint_bg_color);
            let band = egui::Rect::from_x_y_ranges(
                x(line.bounds.min.unwrap_or(0.0))..=x(line.bounds.max.unwrap_or(scale)),
                rect.y_range(),
            );
            let good = status_color(ui, QuotaStatus::Met);
            painter.rect_filled(band, 2.0, good.gamma_multiply(0.3));
            painter.rect_stroke(
                rect,
                2.0,
                ui.visuals().widgets.noninteractive.bg_stroke,
                egui::StrokeKind::Inside,
            );
            if let Some(v) = line.value {
                let at = x(v);
                painter.line_segment(
                    [egui::pos2(at, rect.top()), egui::pos2(at, rect.bottom())],
                    egui::Stroke::new(3.0, color),
                );
            }
            response.on_hover_text(
                "Green: what the template asks for; the line: where the data stands (green when met)",
            );
            let asked = match (line.bounds.min, line.bounds.max) {
                (Some(a), Some(b)) => format!("{}–{}", percent_or_value(line, a), percent_or_value(line, b)),
                (Some(a), None) => format!("≥ {}", percent_or_value(line, a)),
                (None, Some(b)) => format!("≤ {}", percent_or_value(line, b)),
                (None, None) => "any".into(),
            };
            let now = line
                .value
                .map_or_else(|| "nothing counted yet".to_owned(), |v| percent_or_value(line, v));
            ui.label(RichText::new(&line.target).strong());
            ui.label(format!("{now} (asked {asked}; {}/{})", line.count, line.total));
            let status = match line.status {
                QuotaStatus::Met => "met",
                QuotaStatus::NotYet => "not yet",
                QuotaStatus::Exceeded => "exceeded",
            };
            ui.label(RichText::new(status).color(color).strong());
            if !line.advice.is_empty() {
                ui.label(RichText::new(&line.advice).weak());
            }
        });
    }
}

fn fmt(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
}

/// The measures and the consensus of one scope.
fn scope(ui: &mut egui::Ui, s: &Scope, what: &str) {
    if s.measures.is_empty() && s.consensus.is_empty() {
        empty_state(
            ui,
            &format!(
                "No agreement yet for this {what}: it needs items with two or more annotations (`--overlap`)."
            ),
        );
        return;
    }
    for m in &s.measures {
        let name = match &m.dimension {
            Some(d) => format!("{} · {d}", m.name),
            None => m.name.clone(),
        };
        let text = match &m.undefined {
            Some(why) => format!("{name}: — ({why})"),
            None => format!("{name}: {} over {} items", fmt(m.value), m.units),
        };
        ui.label(text);
    }
    for c in &s.consensus {
        let name = match &c.dimension {
            Some(d) => format!("{} · {d}", c.method),
            None => c.method.clone(),
        };
        ui.label(format!(
            "Consensus ({name}): {} items, {} tied, mean agreement {}",
            c.items,
            c.ties,
            fmt(c.mean_agreement)
        ));
    }
}

/// Items listed as the least agreed on.
const LEAST_AGREEMENT_ITEMS: usize = 8;

/// The items whose annotators agree least, to adjudicate first.
fn least_agreement(ui: &mut egui::Ui, s: &Scope) {
    if s.per_item.is_empty() {
        return;
    }
    let items: Vec<String> = s
        .per_item
        .iter()
        .take(LEAST_AGREEMENT_ITEMS)
        .map(|i| {
            format!(
                "item {} ({}{})",
                i.item,
                fmt(i.agreement),
                if i.tie { ", tie" } else { "" }
            )
        })
        .collect();
    ui.label(format!("Least agreement: {}", items.join(", ")))
        .on_hover_text(s.per_item[0].measure.clone());
}

fn annotators(ui: &mut egui::Ui, r: &QualityReport) {
    if r.annotators.is_empty() {
        empty_state(ui, "Nobody has submitted work yet.");
        return;
    }
    let error = ui.visuals().error_fg_color;
    ui.push_id("quality-people", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .vscroll(false)
            .column(Column::auto().at_least(100.0))
            .columns(Column::auto().at_least(70.0), 7)
            .header(22.0, |mut h| {
                for title in [
                    "Person",
                    "Submitted",
                    "Approved",
                    "Items/hour",
                    "Median time",
                    "Return rate",
                    "Agreement",
                    "Gold accuracy",
                ] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|mut body| {
                for a in &r.annotators {
                    let gold = r.gold.records.iter().find(|g| g.annotator == a.name);
                    body.row(20.0, |mut row| {
                        row.col(|ui| {
                            ui.label(&a.name);
                        });
                        row.col(|ui| {
                            ui.label(a.submitted.to_string());
                        });
                        row.col(|ui| {
                            ui.label(a.approved.to_string());
                        });
                        row.col(|ui| {
                            ui.label(a.items_per_hour.map_or_else(|| "—".into(), |v| format!("{v:.1}")));
                        });
                        row.col(|ui| {
                            ui.label(
                                a.median_ms
                                    .map_or_else(|| "—".into(), |ms| format!("{:.0} s", ms / 1000.0)),
                            );
                        });
                        row.col(|ui| {
                            ui.label(
                                a.return_rate
                                    .map_or_else(|| "—".into(), |v| format!("{:.0}%", v * 100.0)),
                            );
                        });
                        row.col(|ui| {
                            ui.label(fmt(a.agreement_with_consensus));
                        });
                        row.col(|ui| match gold {
                            Some(g) => {
                                let text = match &g.accuracy {
                                    Some(p) => format!("{:.0}% of {}", p.estimate * 100.0, g.answered),
                                    None => format!("— of {}", g.answered),
                                };
                                let flagged = g.status == Some(GoldStatus::Flagged);
                                if flagged {
                                    ui.label(RichText::new(format!("{text} ⚑ below")).color(error))
                                        .on_hover_text(
                                            "Below the gold accuracy threshold (`sift gold settings`)",
                                        );
                                } else {
                                    ui.label(text);
                                }
                            }
                            None => {
                                ui.label("—");
                            }
                        });
                    });
                }
            });
    });
}
