//! `sift simulate`: replays the labeling loop on a project's own pool, whose true labels sit
//! in a manifest field, with the built-in head and without asking anyone (`sift-learn`'s
//! simulation): random order against each uncertainty strategy, over several seeds, with the
//! labels, hours and money each saves. Same pool and settings, same numbers.
//!
//! The Lab runs the same simulation as a job ([`Project::simulate_with`]: a choice of
//! strategies, progress and cancel) after listing the fields that could hold the truth
//! ([`Project::truth_candidates`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::Value;
pub use sift_learn::{
    Arm, ArmReport, BudgetSummary, CostSummary, SimConfig, SimReport, Spread, TargetSummary,
};
use sift_learn::{LearnError, PlotOptions, SimData, SimWatch, Strategy, simulate_watched};

use crate::learn::field_value;
use crate::{Error, NoProgress, Progress, Project, Result};

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

/// A manifest field that could hold the true class: a top-level key whose value is a string,
/// a number or a boolean on at least one item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TruthCandidate {
    /// The key.
    pub field: String,
    /// Items on which it holds a non-empty value.
    pub items: u64,
    /// Distinct values, counted up to [`TRUTH_DISTINCT_CAP`] (`capped` past it).
    pub distinct: usize,
    /// Whether there are more distinct values than [`TRUTH_DISTINCT_CAP`].
    pub capped: bool,
}

/// Distinct values counted per candidate field; a field past it is an id or a text, not a class.
pub const TRUTH_DISTINCT_CAP: usize = 1000;

/// The fields of a project's items that could hold the truth.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TruthCandidates {
    /// Items in the project.
    pub items: u64,
    /// The [`TruthCandidate::usable`] fields first (fewest values first), then the rest; by
    /// name within each.
    pub fields: Vec<TruthCandidate>,
}

impl TruthCandidate {
    /// Whether it looks like a class on a project of `items` items: on every item, with at
    /// least two distinct values and at most one per two items (and [`TRUTH_DISTINCT_CAP`]): a
    /// field with a value per item is an id or a text.
    pub fn usable(&self, items: u64) -> bool {
        let most = (items / 2).max(2);
        self.items == items && self.distinct >= 2 && self.distinct as u64 <= most && !self.capped
    }
}

/// Tells a [`Progress`] of every round and reads the cancel flag (the Lab's job).
struct Watch<'a> {
    progress: &'a dyn Progress,
    cancel: &'a AtomicBool,
    done: AtomicU64,
}

impl SimWatch for Watch<'_> {
    fn round_done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.progress.set_position(done);
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
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
        self.simulate_with(opts, None, &NoProgress, &AtomicBool::new(false))
    }

    /// [`Project::simulate`] comparing random order with `strategies` only (`None`: all four;
    /// with `opts.diverse`, each also diversified), reporting every round to `progress`
    /// (phase `simulating`, in rounds) and stopping when `cancel` is set (then the error is a
    /// conflict saying so).
    pub fn simulate_with(
        &self,
        opts: &SimulateOptions,
        strategies: Option<&[Strategy]>,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<SimReport> {
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
        let chosen = |arm: &Arm| match arm {
            Arm::Random => true,
            Arm::Uncertainty { strategy, .. } => strategies.is_none_or(|s| s.contains(strategy)),
        };
        let mut arms: Vec<Arm> = Arm::standard(false).into_iter().filter(chosen).collect();
        if opts.diverse {
            arms.extend(
                Arm::standard(true)
                    .into_iter()
                    .filter(|a| *a != Arm::Random && chosen(a)),
            );
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
        let rounds = config.seeds.len() * config.arms.len() * (config.rounds + 1);
        progress.start("simulating", Some(rounds as u64));
        let watch = Watch {
            progress,
            cancel,
            done: AtomicU64::new(0),
        };
        let report = simulate_watched(&data, &config, &watch).map_err(|e| match e {
            LearnError::Cancelled => Error::Conflict("the simulation was cancelled".into()),
            e => Error::BadRequest(format!("simulation: {e}")),
        })?;
        progress.finish();
        Ok(report)
    }

    /// The fields of the items that could hold the true class, for a person to choose from.
    pub fn truth_candidates(&self) -> Result<TruthCandidates> {
        struct Seen {
            items: u64,
            values: BTreeSet<String>,
            capped: bool,
        }
        let mut items = 0_u64;
        let mut fields: BTreeMap<String, Seen> = BTreeMap::new();
        self.store.for_each_item(|_id, content, _line| {
            items += 1;
            // Content that is not a JSON object has no fields (the simulation says why).
            let Ok(Value::Object(object)) = serde_json::from_str::<Value>(content) else {
                return true;
            };
            for (key, value) in object {
                let Some(value) = truth_value(&value) else {
                    continue;
                };
                let seen = fields.entry(key).or_insert_with(|| Seen {
                    items: 0,
                    values: BTreeSet::new(),
                    capped: false,
                });
                seen.items += 1;
                if !seen.capped && !seen.values.contains(&value) {
                    if seen.values.len() == TRUTH_DISTINCT_CAP {
                        seen.capped = true;
                    } else {
                        seen.values.insert(value);
                    }
                }
            }
            true
        })?;
        let mut fields: Vec<TruthCandidate> = fields
            .into_iter()
            .map(|(field, seen)| TruthCandidate {
                field,
                items: seen.items,
                distinct: seen.values.len(),
                capped: seen.capped,
            })
            .collect();
        fields.sort_by(|a, b| {
            (!a.usable(items), a.distinct, &a.field).cmp(&(!b.usable(items), b.distinct, &b.field))
        });
        Ok(TruthCandidates { items, fields })
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

    #[test]
    fn truth_candidates_put_class_like_fields_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = crate::init_project(
            &dir.path().join("p"),
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/learn/digits.toml"),
            None,
        )
        .unwrap();
        let manifest = dir.path().join("items.jsonl");
        let rows: String = (0..6)
            .map(|i| {
                let truth = ["a", "b"][i % 2];
                let mut row = serde_json::json!({"source": format!("text {i}"), "features": [i, 1],
                    "truth": truth, "flag": true, "meta": {"x": 1}});
                if i == 0 {
                    row["partial"] = serde_json::json!("p");
                }
                format!("{row}\n")
            })
            .collect();
        std::fs::write(&manifest, rows).unwrap();
        p.import(&manifest, &crate::ImportOptions::default(), &NoProgress)
            .unwrap();
        let c = p.truth_candidates().unwrap();
        assert_eq!(c.items, 6);
        let names: Vec<&str> = c.fields.iter().map(|f| f.field.as_str()).collect();
        // Usable (on every item, 2 values or more, at most one per two items) first; then the
        // rest, fewest values first: a text with a value per item is no class.
        assert_eq!(names, ["truth", "flag", "partial", "source"], "{c:?}");
        assert!(c.fields[0].usable(6));
        assert_eq!((c.fields[1].distinct, c.fields[1].usable(6)), (1, false));
        assert_eq!((c.fields[2].items, c.fields[2].usable(6)), (1, false));
        assert_eq!((c.fields[3].distinct, c.fields[3].usable(6)), (6, false));
    }
}
