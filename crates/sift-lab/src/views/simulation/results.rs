//! A finished simulation drawn: what it ran on, the verdict against random order in plain
//! sentences, the learning curves (median line and interquartile band per strategy, the
//! targets as dashed guides), then the CLI's tables: labels to reach each target, accuracy at
//! fixed budgets with the area under the curve, and the labeling cost against random. Cells
//! read as `sift simulate` prints them.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{
    ColorConflictHandling, Corner, FilledArea, HLine, Legend, Line, LineStyle, Plot, PlotPoints,
};
use sift_api::{Arm, SimReport};

use super::Finished;
use crate::theme;

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// A labels-to-target cell as the CLI prints it (`sift-learn`'s one formatting).
pub fn cell_target(t: &sift_api::simulate::TargetSummary) -> String {
    t.cell()
}

/// An accuracy-at-budget cell as the CLI prints it (`sift-learn`'s one formatting).
pub fn cell_budget(b: &sift_api::simulate::BudgetSummary) -> String {
    b.cell()
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
        let saving: Vec<_> = others
            .iter()
            .filter_map(|a| Some((a, a.cost.get(ti)?, a.cost.get(ti)?.labels_saved?)))
            .collect();
        let most = saving.iter().map(|x| x.2).fold(f64::NEG_INFINITY, f64::max);
        // Every strategy that saves the most (ties are common with few seeds).
        let best: Vec<_> = saving.iter().filter(|x| x.2 == most).collect();
        match best.first() {
            Some((_, cost, saved)) if *saved > 0.0 => {
                let names: Vec<String> = best.iter().map(|x| x.0.arm.to_string()).collect();
                let mut s = format!(
                    "At {at}: {} {} {saved:.0} fewer labels than random order ({:.0} instead of \
                     {random_median:.0}, {:.0}% saved",
                    names.join(" and "),
                    if names.len() == 1 { "needs" } else { "each need" },
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
        .legend(
            Legend::default()
                .position(Corner::RightBottom)
                .follow_insertion_order(true)
                .color_conflict_handling(ColorConflictHandling::PickLast),
        )
        .x_axis_label("labeled items")
        .y_axis_label("test accuracy")
        .include_y(1.0)
        .y_axis_formatter(|mark, _range| format!("{:.0}%", mark.value * 100.0))
        .show(ui, |plot| {
            // Every band first, then every median line over them; the legend takes the line's
            // colour (the last item of each name).
            let series: Vec<(String, Color32, Vec<f64>)> = r
                .arms
                .iter()
                .enumerate()
                .map(|(i, arm)| {
                    let xs = arm.curve.iter().map(|p| p.labels as f64).collect();
                    (arm.arm.to_string(), arm_color(r, i, dark), xs)
                })
                .collect();
            for (arm, (name, color, xs)) in r.arms.iter().zip(&series) {
                let q1: Vec<f64> = arm.curve.iter().map(|p| p.accuracy.q1).collect();
                let q3: Vec<f64> = arm.curve.iter().map(|p| p.accuracy.q3).collect();
                plot.add(FilledArea::new(name, xs, &q1, &q3).fill_color(color.gamma_multiply(0.18)));
            }
            for (arm, (name, color, xs)) in r.arms.iter().zip(&series) {
                let median: Vec<[f64; 2]> = xs
                    .iter()
                    .zip(&arm.curve)
                    .map(|(&x, p)| [x, p.accuracy.median])
                    .collect();
                let width = if arm.arm == Arm::Random { 3.0 } else { 2.0 };
                plot.line(
                    Line::new(name, PlotPoints::from(median))
                        .color(*color)
                        .width(width),
                );
            }
            for &target in &r.config.targets {
                plot.hline(
                    HLine::new("target accuracy", target)
                        .color(guide)
                        .style(LineStyle::dashed_loose())
                        .width(1.0),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An arm whose labels-to-target median is `median` (`None`: not reached), and its cost
    /// against a random median of 100 at 30 s a label and 40 an hour.
    fn arm(name: &str, median: Option<f64>) -> serde_json::Value {
        let spread = json!({"q1": 0.5, "median": 0.6, "q3": 0.7});
        let saved = median.map(|m| 100.0 - m);
        let cost = if name == "random" {
            json!([])
        } else {
            json!([{"target": 0.9, "labels_saved": saved, "fraction_saved": saved.map(|s| s / 100.0),
                    "hours_saved": saved.map(|s| s * 30.0 / 3600.0),
                    "money_saved": saved.map(|s| s * 30.0 / 3600.0 * 40.0)}])
        };
        json!({"arm": name, "curve": [], "budgets": [], "auc": spread, "runs": [],
               "stop": {"stopped": 0, "labels": null, "accuracy": null, "final_accuracy": null},
               "targets": [{"target": 0.9, "reached": if median.is_some() { 3 } else { 1 }, "seeds": 3,
                            "q1": median, "median": median, "q3": median, "per_seed": []}],
               "cost": cost})
    }

    #[test]
    fn verdicts_name_the_best_and_say_plainly_who_does_worse_than_random() {
        let report = |arms: Vec<serde_json::Value>| -> SimReport {
            serde_json::from_value(json!({"config": {"targets": [0.9]}, "items": 10, "features": 2,
                "classes": 2, "pool": 6, "test": 4, "arms": arms}))
            .unwrap()
        };
        let r = report(vec![
            arm("random", Some(100.0)),
            arm("margin", Some(60.0)),
            arm("ratio", Some(60.0)),
            arm("entropy", Some(120.0)),
            arm("least-confidence", None),
        ]);
        let v = verdicts(&r);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(
            v[0],
            (
                "At 90%: margin and ratio each need 40 fewer labels than random order (60 instead of 100, \
                 40% saved, 0.33 hours, 13.33 of labeling cost)."
                    .to_owned(),
                false
            )
        );
        assert_eq!(
            v[1],
            (
                "At 90%, worse than random order: entropy needs 20 more labels; least-confidence does \
                 not reach it in half the seeds."
                    .to_owned(),
                true
            )
        );

        let none_better = verdicts(&report(vec![
            arm("random", Some(100.0)),
            arm("entropy", Some(100.0)),
        ]));
        assert_eq!(
            none_better,
            [(
                "At 90%: no strategy needs fewer labels than random order.".to_owned(),
                true
            )]
        );
        let random_short = verdicts(&report(vec![arm("random", None), arm("margin", Some(60.0))]));
        assert!(
            random_short[0].0.contains("nothing to compare"),
            "{random_short:?}"
        );
        assert!(!random_short[0].1);
    }
}
