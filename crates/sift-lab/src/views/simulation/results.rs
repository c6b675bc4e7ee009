//! A finished simulation drawn: what it ran on, the verdict against random order in plain
//! sentences, the learning curves (median line and interquartile band per strategy, the
//! targets as dashed guides), then the CLI's tables: labels to reach each target, accuracy at
//! fixed budgets with the area under the curve, and the labeling cost against random. Cells
//! read as `sift simulate` prints them.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Corner, FilledArea, HLine, Legend, Line, LineStyle, Plot, PlotPoints};
use sift_api::{Arm, SimReport};

use super::Finished;
use crate::theme;

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// A labels-to-target cell as the CLI prints it: `130 [120-150] 3/3`, or `not reached 1/3`.
pub fn cell_target(t: &sift_api::simulate::TargetSummary) -> String {
    match t.median {
        Some(m) => format!(
            "{m:.0} [{}-{}] {}/{}",
            opt(t.q1, 0),
            opt(t.q3, 0),
            t.reached,
            t.seeds
        ),
        None => format!("not reached {}/{}", t.reached, t.seeds),
    }
}

/// An accuracy-at-budget cell as the CLI prints it: `0.912 [0.900-0.925]`, or `-`.
pub fn cell_budget(b: &sift_api::simulate::BudgetSummary) -> String {
    b.accuracy.as_ref().map_or_else(
        || "-".to_owned(),
        |s| format!("{:.3} [{:.3}-{:.3}]", s.median, s.q1, s.q3),
    )
}

/// An area-under-the-curve cell as the CLI prints it: `0.8123 [0.8000-0.8200]`.
pub fn cell_aulc(s: &sift_api::simulate::Spread) -> String {
    format!("{:.4} [{:.4}-{:.4}]", s.median, s.q1, s.q3)
}

fn pct(t: f64) -> String {
    format!("{:.0}%", t * 100.0)
}

/// The verdict against random order, per target, in sentences; `true` marks bad news (a
/// strategy worse than random, or none better).
pub fn verdicts(report: &SimReport) -> Vec<(String, bool)> {
    let Some(random) = report.arms.iter().find(|a| a.arm == Arm::Random) else {
        return vec![(
            "Without random order there is nothing to compare with.".into(),
            true,
        )];
    };
    let mut out = Vec::new();
    for (ti, rt) in random.targets.iter().enumerate() {
        let at = pct(rt.target);
        let Some(random_median) = rt.median else {
            out.push((
                format!(
                    "At {at}: random order does not reach it within the rounds in half the seeds, so there \
                     is nothing to compare."
                ),
                false,
            ));
            continue;
        };
        let others: Vec<_> = report.arms.iter().filter(|a| a.arm != Arm::Random).collect();
        let best = others
            .iter()
            .filter_map(|a| Some((a, a.cost.get(ti)?, a.cost.get(ti)?.labels_saved?)))
            .max_by(|x, y| x.2.total_cmp(&y.2));
        match best {
            Some((arm, cost, saved)) if saved > 0.0 => {
                let mut s = format!(
                    "At {at}: {} needs {saved:.0} fewer labels than random order ({:.0} instead of \
                     {random_median:.0}, {:.0}% saved",
                    arm.arm,
                    random_median - saved,
                    cost.fraction_saved.unwrap_or(0.0) * 100.0
                );
                if let Some(h) = cost.hours_saved {
                    s.push_str(&format!(", {h:.2} hours"));
                }
                if let Some(m) = cost.money_saved {
                    s.push_str(&format!(", {m:.2} of labeling cost"));
                }
                s.push_str(").");
                out.push((s, false));
            }
            _ => out.push((
                format!("At {at}: no strategy needs fewer labels than random order."),
                true,
            )),
        }
        let mut worse: Vec<String> = Vec::new();
        for a in &others {
            match a.cost.get(ti).map(|c| c.labels_saved) {
                Some(Some(saved)) if saved < 0.0 => {
                    worse.push(format!("{} needs {:.0} more labels", a.arm, -saved));
                }
                Some(None) if a.targets.get(ti).is_some_and(|t| t.median.is_none()) => {
                    worse.push(format!("{} does not reach it in half the seeds", a.arm));
                }
                _ => {}
            }
        }
        if !worse.is_empty() {
            out.push((
                format!("At {at}, worse than random order: {}.", worse.join("; ")),
                true,
            ));
        }
    }
    out
}

/// The colour of an arm: grey for random order, the categorical palette for the others.
fn arm_color(report: &SimReport, index: usize, dark: bool) -> Color32 {
    if report.arms[index].arm == Arm::Random {
        return if dark {
            Color32::from_gray(170)
        } else {
            Color32::from_gray(110)
        };
    }
    let k = report.arms[..index]
        .iter()
        .filter(|a| a.arm != Arm::Random)
        .count();
    theme::category_color(k)
}

/// Everything about a finished simulation.
pub fn show(ui: &mut egui::Ui, finished: &Finished) {
    let r = &finished.report;
    let c = &r.config;
    ui.label(format!(
        "{} items ({} in the pool, {} held out for testing), {} features, {} classes in `{}`; {} seeds; \
         {} initial labels, batches of {}, {} rounds; simulated in {:.1} s. Medians with [interquartile \
         range] over seeds.",
        r.items,
        r.pool,
        r.test,
        r.features,
        r.classes,
        finished.truth,
        c.seeds.len(),
        c.initial,
        c.batch,
        c.rounds,
        finished.seconds
    ));
    ui.add_space(4.0);
    for (sentence, bad) in verdicts(r) {
        let text = RichText::new(sentence).strong();
        ui.label(if bad {
            text.color(ui.visuals().error_fg_color)
        } else {
            text
        });
    }
    ui.add_space(6.0);
    curves(ui, r);
    ui.add_space(8.0);
    tables(ui, r);
}

fn curves(ui: &mut egui::Ui, r: &SimReport) {
    let dark = ui.visuals().dark_mode;
    let guide = ui.visuals().weak_text_color();
    let title = format!(
        "Learning curves of {} strategies over {} seeds",
        r.arms.len(),
        r.config.seeds.len()
    );
    let response = Plot::new("simulation-curves")
        .height(320.0)
        .legend(Legend::default().position(Corner::RightBottom))
        .x_axis_label("labeled items")
        .y_axis_label("test accuracy")
        .include_y(1.0)
        .y_axis_formatter(|mark, _range| format!("{:.0}%", mark.value * 100.0))
        .show(ui, |plot| {
            for &target in &r.config.targets {
                plot.hline(
                    HLine::new("targets", target)
                        .color(guide)
                        .style(LineStyle::dashed_loose())
                        .width(1.0),
                );
            }
            for (i, arm) in r.arms.iter().enumerate() {
                let color = arm_color(r, i, dark);
                let name = arm.arm.to_string();
                let xs: Vec<f64> = arm.curve.iter().map(|p| p.labels as f64).collect();
                let q1: Vec<f64> = arm.curve.iter().map(|p| p.accuracy.q1).collect();
                let q3: Vec<f64> = arm.curve.iter().map(|p| p.accuracy.q3).collect();
                plot.add(FilledArea::new(&name, &xs, &q1, &q3).fill_color(color.gamma_multiply(0.18)));
                let median: Vec<[f64; 2]> = arm
                    .curve
                    .iter()
                    .map(|p| [p.labels as f64, p.accuracy.median])
                    .collect();
                let width = if arm.arm == Arm::Random { 3.0 } else { 2.0 };
                plot.line(
                    Line::new(&name, PlotPoints::from(median))
                        .color(color)
                        .width(width),
                );
            }
        })
        .response;
    response.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Other, true, &title));
}

/// A striped grid with a bold header row.
fn grid(ui: &mut egui::Ui, id: &str, header: &[String], rows: &[Vec<(String, Option<Color32>)>]) {
    egui::Grid::new(id)
        .striped(true)
        .spacing([18.0, 4.0])
        .show(ui, |ui| {
            for h in header {
                ui.strong(h);
            }
            ui.end_row();
            for row in rows {
                for (cell, color) in row {
                    match color {
                        Some(c) => ui.colored_label(*c, cell),
                        None => ui.label(cell),
                    };
                }
                ui.end_row();
            }
        });
}

fn tables(ui: &mut egui::Ui, r: &SimReport) {
    let plain = |s: String| (s, None);
    ui.heading("Labels to reach a test accuracy");
    ui.label(RichText::new("median [interquartile range], then the seeds that reached it").weak());
    let mut header = vec!["Strategy".to_owned()];
    header.extend(r.config.targets.iter().map(|&t| pct(t)));
    let rows: Vec<Vec<_>> = r
        .arms
        .iter()
        .map(|a| {
            std::iter::once(plain(a.arm.to_string()))
                .chain(a.targets.iter().map(|t| plain(cell_target(t))))
                .collect()
        })
        .collect();
    grid(ui, "simulation-targets", &header, &rows);

    ui.add_space(8.0);
    ui.heading("Test accuracy at a label budget");
    let mut header = vec!["Strategy".to_owned()];
    if let Some(first) = r.arms.first() {
        header.extend(
            first
                .budgets
                .iter()
                .map(|b| format!("{} labels", b.labels.unwrap_or(b.budget))),
        );
    }
    header.push("Area under the curve".into());
    let rows: Vec<Vec<_>> = r
        .arms
        .iter()
        .map(|a| {
            std::iter::once(plain(a.arm.to_string()))
                .chain(a.budgets.iter().map(|b| plain(cell_budget(b))))
                .chain(std::iter::once(plain(cell_aulc(&a.auc))))
                .collect()
        })
        .collect();
    grid(ui, "simulation-budgets", &header, &rows);

    ui.add_space(8.0);
    ui.heading("Labeling cost against random order");
    let rates = match (r.config.seconds_per_label, r.config.cost_per_hour) {
        (Some(s), Some(h)) => format!("{s} s per label, {h} per hour"),
        (Some(s), None) => format!("{s} s per label; give a cost per hour for the money saved"),
        _ => "give seconds per label (and a cost per hour) for the hours and money saved".into(),
    };
    ui.label(RichText::new(format!("median labels to reach the target; {rates}")).weak());
    let bad = ui.visuals().error_fg_color;
    let header: Vec<String> = [
        "Strategy",
        "Target",
        "Labels saved",
        "Hours saved",
        "Money saved",
        "Verdict",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut rows = Vec::new();
    for a in r.arms.iter().filter(|a| !a.cost.is_empty()) {
        for cost in &a.cost {
            let (labels, verdict) = match (cost.labels_saved, cost.fraction_saved) {
                (Some(l), Some(f)) => (
                    format!("{l:.0} ({:.0}%)", f * 100.0),
                    if l < 0.0 {
                        ("WORSE than random".to_owned(), Some(bad))
                    } else if l > 0.0 {
                        ("better than random".to_owned(), None)
                    } else {
                        ("same as random".to_owned(), None)
                    },
                ),
                _ => (
                    "-".to_owned(),
                    ("not comparable (a median is not reached)".to_owned(), None),
                ),
            };
            rows.push(vec![
                plain(a.arm.to_string()),
                plain(pct(cost.target)),
                plain(labels),
                plain(opt(cost.hours_saved, 2)),
                plain(opt(cost.money_saved, 2)),
                verdict,
            ]);
        }
    }
    grid(ui, "simulation-cost", &header, &rows);
}
