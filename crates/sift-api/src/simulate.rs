//! `sift simulate`: replays the labeling loop on a project's own pool, whose true labels sit
//! in a manifest field, with the built-in head and without asking anyone (`sift-learn`'s
//! simulation): random order against each uncertainty strategy, over several seeds, with the
//! labels, hours and money each saves. Same pool and settings, same numbers.

use std::collections::BTreeMap;

use serde_json::Value;
pub use sift_learn::SimReport;
use sift_learn::{Arm, PlotOptions, SimConfig, SimData, simulate};

use crate::learn::field_value;
use crate::{Error, Project, Result};

/// Options of [`Project::simulate`]; `None` fields take `sift-learn`'s defaults.
#[derive(Debug, Clone, Default)]
pub struct SimulateOptions {
    /// The manifest field holding each item's true class (a string or a number).
    pub truth: String,
    /// `field:NAME` or `embeddings:NAME@VERSION` (default as for `sift learn`).
    pub features: Option<String>,
    /// Number of seeds (0, 1, ... seeds - 1).
    pub seeds: Option<u64>,
    /// Target test accuracies.
    pub targets: Vec<f64>,
    /// Seconds a person spends per label, for the time and cost figures (default: none).
    pub seconds_per_label: Option<f64>,
    /// Labeling cost per hour, for the cost figures (default: none).
    pub cost_per_hour: Option<f64>,
    /// Also run each strategy diversified ("cluster the uncertain").
    pub diverse: bool,
    /// Labels before the first round.
    pub initial: Option<usize>,
    /// Labels per round.
    pub batch: Option<usize>,
    /// Rounds after the initial fit: each curve has `rounds + 1` points.
    pub rounds: Option<usize>,
    /// Share held out for testing.
    pub test_fraction: Option<f64>,
    /// Worker threads (results do not depend on it).
    pub threads: Option<usize>,
}

/// The learning curves of a simulation as an SVG document: median and interquartile range
/// over the seeds, one curve per strategy (`sift-learn`'s plot, drawn with `plotters`).
pub fn learning_curves_svg(report: &SimReport) -> Result<String> {
    sift_learn::learning_curves_svg(report, &PlotOptions::default())
        .map_err(|e| Error::Internal(format!("plotting the learning curves: {e}")))
}

/// The same plot as [`learning_curves_svg`], as a PNG image (960 x 600).
pub fn learning_curves_png(report: &SimReport) -> Result<Vec<u8>> {
    sift_learn::learning_curves_png(report, &PlotOptions::default())
        .map_err(|e| Error::Internal(format!("plotting the learning curves: {e}")))
}

/// The true class of each item: a string, or a number written as text.
fn truth_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// "lines 3, 7 and 9" (at most ten named).
fn name_lines(lines: &[i64]) -> String {
    let mut shown: Vec<String> = lines.iter().take(10).map(ToString::to_string).collect();
    if lines.len() > 10 {
        shown.push(format!("... ({} in all)", lines.len()));
    }
    format!(
        "line{} {}",
        if lines.len() == 1 { "" } else { "s" },
        shown.join(", ")
    )
}

impl Project {
    /// Runs the simulation on every item of the project (see the module documentation).
    pub fn simulate(&self, opts: &SimulateOptions) -> Result<SimReport> {
        if opts.truth.trim().is_empty() {
            return Err(Error::BadRequest(
                "--truth names the manifest field with the true labels".into(),
            ));
        }
        let source = self.feature_source(opts.features.as_deref())?;
        let pool = self.load_pool(&source)?;
        let mut truth: BTreeMap<i64, String> = BTreeMap::new();
        let mut missing = Vec::new();
        let mut failure: Option<Error> = None;
        self.store.for_each_item(|id, content, line| {
            match serde_json::from_str::<Value>(content) {
                Ok(item) => match field_value(&item, &opts.truth).and_then(truth_value) {
                    Some(t) => {
                        truth.insert(id, t);
                    }
                    None => missing.push(line),
                },
                Err(e) => {
                    failure = Some(Error::Internal(format!(
                        "item {id}: stored content is not JSON: {e}"
                    )));
                    return false;
                }
            }
            true
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        if truth.is_empty() && missing.is_empty() {
            return Err(Error::BadRequest(
                "the project has no items to simulate on".into(),
            ));
        }
        if !missing.is_empty() {
            return Err(Error::BadRequest(format!(
                "the truth field `{}` is missing or empty on {} item(s): {}",
                opts.truth,
                missing.len(),
                name_lines(&missing)
            )));
        }
        if !pool.missing.is_empty() {
            let lines: Vec<i64> = pool.missing.iter().map(|m| m.line).collect();
            return Err(Error::BadRequest(format!(
                "{} item(s) have no vector from {} ({}): {}",
                pool.missing.len(),
                source.describe(),
                pool.missing[0].reason,
                name_lines(&lines)
            )));
        }
        let mut classes: Vec<&String> = truth.values().collect();
        classes.sort_unstable();
        classes.dedup();
        let labels: Vec<u32> = pool
            .ids
            .iter()
            .map(|id| {
                let t = &truth[id];
                classes.binary_search(&t).unwrap_or_default() as u32
            })
            .collect();
        let defaults = SimConfig::default();
        let mut arms = Arm::standard(false);
        if opts.diverse {
            arms.extend(Arm::standard(true).into_iter().filter(|a| *a != Arm::Random));
        }
        let config = SimConfig {
            seeds: opts.seeds.map_or(defaults.seeds.clone(), |n| (0..n).collect()),
            initial: opts.initial.unwrap_or(defaults.initial),
            batch: opts.batch.unwrap_or(defaults.batch),
            rounds: opts.rounds.unwrap_or(defaults.rounds),
            test_fraction: opts.test_fraction.unwrap_or(defaults.test_fraction),
            arms,
            targets: if opts.targets.is_empty() {
                defaults.targets.clone()
            } else {
                opts.targets.clone()
            },
            seconds_per_label: opts.seconds_per_label,
            cost_per_hour: opts.cost_per_hour,
            threads: opts.threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            }),
            ..defaults
        };
        let data = SimData {
            features: &pool.x,
            n: pool.ids.len(),
            d: pool.d,
            labels: &labels,
        };
        simulate(&data, &config).map_err(|e| Error::BadRequest(format!("simulation: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_named() {
        assert_eq!(name_lines(&[4]), "line 4");
        assert_eq!(name_lines(&[4, 9]), "lines 4, 9");
        let many: Vec<i64> = (1..=12).collect();
        assert!(name_lines(&many).ends_with("... (12 in all)"));
        assert_eq!(truth_value(&serde_json::json!(3)), Some("3".into()));
        assert_eq!(truth_value(&serde_json::json!("")), None);
    }
}
