//! The simulation report as plain-text tables (what `sift simulate` prints without `--json`).

use std::fmt::{self, Write as _};

use super::SimReport;
use super::summary::{BudgetSummary, Spread, TargetSummary};

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

fn spread(s: &Spread, decimals: usize) -> String {
    format!(
        "{:.decimals$} [{:.decimals$}-{:.decimals$}]",
        s.median, s.q1, s.q3
    )
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        writeln!(
            f,
            "{} items ({} in the pool, {} held out for testing), {} features, {} classes",
            self.items, self.pool, self.test, self.features, self.classes
        )?;
        writeln!(
            f,
            "{} seeds; {} initial labels, batches of {}, {} rounds; medians with [interquartile range] over seeds",
            c.seeds.len(),
            c.initial,
            c.batch,
            c.rounds
        )?;
        let width = self
            .arms
            .iter()
            .map(|a| a.arm.to_string().len())
            .max()
            .unwrap_or(8)
            .max(8);

        writeln!(f, "\nLabels to reach a test accuracy (seeds that reached it)")?;
        let mut head = format!("  {:width$}", "strategy");
        for t in &c.targets {
            let _ = write!(head, "  {:>26}", format!("{:.0}%", t * 100.0));
        }
        writeln!(f, "{head}")?;
        for arm in &self.arms {
            let mut line = format!("  {:width$}", arm.arm.to_string());
            for t in &arm.targets {
                let _ = write!(line, "  {:>26}", t.cell());
            }
            writeln!(f, "{line}")?;
        }

        writeln!(f, "\nTest accuracy at a label budget")?;
        let mut head = format!("  {:width$}", "strategy");
        if let Some(first) = self.arms.first() {
            for b in &first.budgets {
                let _ = write!(
                    head,
                    "  {:>20}",
                    format!("{} labels", b.labels.unwrap_or(b.budget))
                );
            }
        }
        writeln!(f, "{head}")?;
        for arm in &self.arms {
            let mut line = format!("  {:width$}", arm.arm.to_string());
            for b in &arm.budgets {
                let _ = write!(line, "  {:>20}", b.cell());
            }
            writeln!(f, "{line}")?;
        }

        writeln!(
            f,
            "\nArea under the learning curve (mean accuracy over the labels axis)"
        )?;
        for arm in &self.arms {
            writeln!(f, "  {:width$}  {}", arm.arm.to_string(), spread(&arm.auc, 4))?;
        }

        writeln!(
            f,
            "\nStopping rule (mean kappa of the last {} rounds >= {} on the test rows, unlabeled)",
            c.stopping.window, c.stopping.kappa_threshold
        )?;
        for arm in &self.arms {
            let s = &arm.stop;
            match (&s.labels, &s.accuracy, &s.final_accuracy) {
                (Some(l), Some(a), Some(fa)) => writeln!(
                    f,
                    "  {:width$}  stops at {} labels ({}/{} seeds), accuracy {} (at the end: {})",
                    arm.arm.to_string(),
                    spread(l, 0),
                    s.stopped,
                    arm.runs.len(),
                    spread(a, 3),
                    spread(fa, 3)
                )?,
                _ => writeln!(
                    f,
                    "  {:width$}  never stops within the rounds",
                    arm.arm.to_string()
                )?,
            }
        }

        if self.arms.iter().any(|a| !a.cost.is_empty()) {
            let rates = match (c.seconds_per_label, c.cost_per_hour) {
                (Some(s), Some(h)) => format!("; {s} s per label, {h} per hour"),
                (Some(s), None) => format!("; {s} s per label"),
                _ => String::new(),
            };
            writeln!(
                f,
                "\nLabeling cost against random (median labels to reach the target{rates})"
            )?;
            for arm in self.arms.iter().filter(|a| !a.cost.is_empty()) {
                for cost in &arm.cost {
                    let mut line = format!(
                        "  {:width$}  {:>4.0}%: ",
                        arm.arm.to_string(),
                        cost.target * 100.0
                    );
                    match (cost.labels_saved, cost.fraction_saved) {
                        (Some(l), Some(fr)) => {
                            let verdict = if l < 0.0 { "  WORSE than random" } else { "" };
                            let _ = write!(line, "{l:.0} labels saved ({:.0}%)", fr * 100.0);
                            if let Some(h) = cost.hours_saved {
                                let _ = write!(line, ", {h:.2} hours");
                            }
                            if let Some(m) = cost.money_saved {
                                let _ = write!(line, ", {m:.2} of labeling cost");
                            }
                            line.push_str(verdict);
                        }
                        _ => line.push_str("not comparable (a median is not reached)"),
                    }
                    writeln!(f, "{line}")?;
                }
            }
        }
        Ok(())
    }
}

impl TargetSummary {
    /// The labels-to-target cell of the tables (CLI and Lab): `130 [120-150] 3/3`, or
    /// `not reached 1/3`.
    pub fn cell(&self) -> String {
        match self.median {
            Some(m) => format!(
                "{m:.0} [{}-{}] {}/{}",
                opt(self.q1, 0),
                opt(self.q3, 0),
                self.reached,
                self.seeds
            ),
            None => format!("not reached {}/{}", self.reached, self.seeds),
        }
    }
}

impl BudgetSummary {
    /// The accuracy-at-budget cell of the tables: `0.912 [0.900-0.925]`, or `-`.
    pub fn cell(&self) -> String {
        self.accuracy
            .as_ref()
            .map_or_else(|| "-".to_owned(), |s| spread(s, 3))
    }
}
