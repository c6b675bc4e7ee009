//! The simulation's settings form: the truth field among the candidates, the strategies
//! (random order is always the baseline), seeds, initial labels, batch size, rounds, targets,
//! seconds per label and cost per hour, with `sift simulate`'s defaults; and their check.

use eframe::egui::{self, RichText};
use sift_api::{SimConfig, SimulateOptions, Strategy, TRUTH_DISTINCT_CAP, TruthCandidate, TruthCandidates};

/// What the next simulation uses (the form's state).
#[derive(Debug, Clone, PartialEq)]
pub struct SimSettings {
    /// The manifest field holding the true classes.
    pub truth: Option<String>,
    /// `field:NAME` or `embeddings:MODEL@VERSION`; empty: as for learning.
    pub features: String,
    /// Which of [`Strategy::ALL`] are compared with random order.
    pub strategies: [bool; 4],
    /// Also run each chosen strategy diversified.
    pub diverse: bool,
    /// Seeds 0 to `seeds - 1`.
    pub seeds: u64,
    /// Labels before the first round.
    pub initial: usize,
    /// Labels per round.
    pub batch: usize,
    /// Rounds after the initial fit.
    pub rounds: usize,
    /// Target accuracies, as typed (`0.8, 0.9` or `80%, 90%`).
    pub targets: String,
    /// Seconds per label, as typed (empty: none).
    pub seconds_per_label: String,
    /// Cost per hour, as typed (empty: none).
    pub cost_per_hour: String,
}

impl Default for SimSettings {
    /// `sift simulate`'s defaults.
    fn default() -> Self {
        let d = SimConfig::default();
        SimSettings {
            truth: None,
            features: String::new(),
            strategies: [true; 4],
            diverse: false,
            seeds: d.seeds.len() as u64,
            initial: d.initial,
            batch: d.batch,
            rounds: d.rounds,
            targets: d
                .targets
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            seconds_per_label: String::new(),
            cost_per_hour: String::new(),
        }
    }
}

/// `0.9`, `90%` or `90` as an accuracy in (0, 1].
fn parse_target(t: &str) -> Result<f64, String> {
    let (number, percent) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let v: f64 = number
        .parse()
        .map_err(|_| format!("target `{t}` is not a number"))?;
    let v = if percent || v > 1.0 { v / 100.0 } else { v };
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(format!("target `{t}` is not an accuracy between 0 and 100%"))
    }
}

/// An optional non-negative number typed in a field named `what`.
fn parse_optional(text: &str, what: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        _ => Err(format!("{what}: `{t}` is not a non-negative number")),
    }
}

/// How a candidate reads in the list.
fn describe(c: &TruthCandidate, items: u64) -> String {
    let values = if c.capped {
        format!("over {TRUTH_DISTINCT_CAP} values")
    } else if c.distinct == 1 {
        "1 value".to_owned()
    } else {
        format!("{} values", c.distinct)
    };
    let on = if c.items == items {
        format!("on all {items} items")
    } else {
        format!("on {} of {items} items", c.items)
    };
    format!("{} — {values}, {on}", c.field)
}

impl SimSettings {
    /// Keeps the chosen truth field if it is still a candidate, else picks the first usable one.
    pub fn choose_truth(&mut self, candidates: &TruthCandidates) {
        let known = |f: &str| candidates.fields.iter().any(|c| c.field == f);
        if self.truth.as_deref().is_some_and(known) {
            return;
        }
        self.truth = candidates
            .fields
            .iter()
            .find(|c| c.usable(candidates.items))
            .map(|c| c.field.clone());
    }

    /// The use case's options and strategies, or what is wrong with the form.
    pub fn options(&self) -> Result<(SimulateOptions, Vec<Strategy>), String> {
        let truth = self
            .truth
            .clone()
            .ok_or("choose the field that holds the true classes")?;
        let strategies: Vec<Strategy> = Strategy::ALL
            .into_iter()
            .zip(self.strategies)
            .filter_map(|(s, on)| on.then_some(s))
            .collect();
        if strategies.is_empty() {
            return Err("choose at least one strategy to compare with random order".into());
        }
        let targets = self
            .targets
            .split([',', ' ', ';'])
            .filter(|t| !t.trim().is_empty())
            .map(|t| parse_target(t.trim()))
            .collect::<Result<Vec<f64>, String>>()?;
        if targets.is_empty() {
            return Err("give at least one target accuracy".into());
        }
        if self.initial < 2 {
            return Err("at least two initial labels are needed to train a head".into());
        }
        let features = self.features.trim();
        Ok((
            SimulateOptions {
                truth,
                features: (!features.is_empty()).then(|| features.to_owned()),
                seeds: Some(self.seeds),
                targets,
                seconds_per_label: parse_optional(&self.seconds_per_label, "seconds per label")?,
                cost_per_hour: parse_optional(&self.cost_per_hour, "cost per hour")?,
                diverse: self.diverse,
                initial: Some(self.initial),
                batch: Some(self.batch),
                rounds: Some(self.rounds),
                test_fraction: None,
                threads: None,
            },
            strategies,
        ))
    }

    /// Draws the form; returns what keeps it from running, if anything.
    pub fn show(&mut self, ui: &mut egui::Ui, candidates: &TruthCandidates) -> Option<String> {
        egui::Grid::new("simulation-settings")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                let label = ui.label("Truth field");
                let chosen = self.truth.as_deref().and_then(|t| {
                    candidates
                        .fields
                        .iter()
                        .find(|c| c.field == t)
                        .map(|c| describe(c, candidates.items))
                });
                egui::ComboBox::from_id_salt("simulation-truth")
                    .selected_text(chosen.unwrap_or_else(|| "choose a field".into()))
                    .width(360.0)
                    .show_ui(ui, |ui| {
                        for c in &candidates.fields {
                            ui.selectable_value(
                                &mut self.truth,
                                Some(c.field.clone()),
                                describe(c, candidates.items),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();

                ui.label("Strategies");
                ui.horizontal_wrapped(|ui| {
                    ui.add_enabled(false, egui::Checkbox::new(&mut true, "random (the baseline)"));
                    for (s, on) in Strategy::ALL.into_iter().zip(self.strategies.iter_mut()) {
                        ui.checkbox(on, s.name());
                    }
                    ui.checkbox(&mut self.diverse, "also diversified (cluster the uncertain)");
                });
                ui.end_row();

                ui.label("Runs");
                ui.horizontal_wrapped(|ui| {
                    let number = |ui: &mut egui::Ui, text: &str, v: &mut usize, max: usize| {
                        let label = ui.label(text);
                        ui.add(egui::DragValue::new(v).range(1..=max))
                            .labelled_by(label.id);
                    };
                    let label = ui.label("Seeds");
                    ui.add(egui::DragValue::new(&mut self.seeds).range(1..=1000))
                        .labelled_by(label.id);
                    number(ui, "Initial labels", &mut self.initial, 100_000);
                    number(ui, "Batch", &mut self.batch, 100_000);
                    number(ui, "Rounds", &mut self.rounds, 10_000);
                    ui.label(
                        RichText::new(format!(
                            "budget: up to {} labels per run",
                            self.initial + self.rounds * self.batch
                        ))
                        .weak(),
                    );
                });
                ui.end_row();

                let text = |ui: &mut egui::Ui, name: &str, value: &mut String, hint: &str, width: f32| {
                    let label = ui.label(name);
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .hint_text(hint)
                            .desired_width(width),
                    )
                    .labelled_by(label.id);
                };
                ui.label("Targets");
                ui.horizontal(|ui| {
                    text(
                        ui,
                        "Target accuracies",
                        &mut self.targets,
                        "0.8, 0.9, 0.95",
                        160.0,
                    );
                });
                ui.end_row();

                ui.label("Cost");
                ui.horizontal(|ui| {
                    text(ui, "Seconds per label", &mut self.seconds_per_label, "none", 70.0);
                    text(ui, "Cost per hour", &mut self.cost_per_hour, "none", 70.0);
                });
                ui.end_row();

                ui.label("Features");
                ui.horizontal(|ui| {
                    text(
                        ui,
                        "Feature source",
                        &mut self.features,
                        "as for learning (field:features by default)",
                        300.0,
                    );
                });
                ui.end_row();
            });
        self.options().err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_costs_are_read_as_people_type_them() {
        assert_eq!(parse_target("0.9"), Ok(0.9));
        assert_eq!(parse_target("90%"), Ok(0.9));
        assert_eq!(parse_target("95"), Ok(0.95));
        assert!(parse_target("abc").unwrap_err().contains("`abc` is not a number"));
        assert!(parse_target("0").is_err() && parse_target("150%").is_err());
        assert_eq!(parse_optional(" ", "x"), Ok(None));
        assert_eq!(parse_optional("30", "x"), Ok(Some(30.0)));
        assert!(
            parse_optional("-1", "cost per hour")
                .unwrap_err()
                .starts_with("cost per hour")
        );

        let mut s = SimSettings::default();
        assert_eq!(
            s.options().unwrap_err(),
            "choose the field that holds the true classes"
        );
        s.truth = Some("truth".into());
        let (opts, strategies) = s.options().unwrap();
        // `sift simulate`'s defaults.
        assert_eq!(opts.targets, vec![0.8, 0.9, 0.95]);
        assert_eq!(
            (opts.seeds, opts.initial, opts.batch, opts.rounds),
            (Some(20), Some(10), Some(10), Some(40))
        );
        assert_eq!(strategies, Strategy::ALL);
        s.strategies = [false; 4];
        assert!(s.options().unwrap_err().contains("at least one strategy"));
    }
}
