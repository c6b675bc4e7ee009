//! The active-learning simulation (`sift simulate`): replays the labeling loop on a pool whose
//! true labels are known, for random order and each uncertainty strategy, over several seeds,
//! and summarises what each strategy saves.
//!
//! This file owns the configuration, the arms and the entry point; [`engine`] runs one seed,
//! [`summary`] turns the curves into figures, [`table`] prints them.

mod engine;
mod summary;
mod table;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sift_al::Strategy;

use crate::classifier::Options;
use crate::data::{check_features, check_len};
use crate::error::{LearnError, Result};
use crate::stopping::StoppingRule;

pub use summary::{
    ArmReport, BudgetSummary, CostSummary, CurvePoint, Run, Spread, StopSummary, TargetSummary,
};

/// How a batch is chosen in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arm {
    /// Uniformly at random from the unlabeled pool (the baseline).
    Random,
    /// The `batch` most uncertain items by a `sift-al` strategy; with `diverse`, sift-al's
    /// "cluster the uncertain" (k-means over the `10 * batch` most uncertain items' features,
    /// the item nearest each centre).
    Uncertainty {
        /// The uncertainty strategy.
        strategy: Strategy,
        /// Whether the batch is diversified.
        diverse: bool,
    },
}

impl Arm {
    /// Random order and the four strategies, diversified or not.
    #[must_use]
    pub fn standard(diverse: bool) -> Vec<Arm> {
        std::iter::once(Arm::Random)
            .chain(
                Strategy::ALL
                    .into_iter()
                    .map(|strategy| Arm::Uncertainty { strategy, diverse }),
            )
            .collect()
    }
}

impl fmt::Display for Arm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arm::Random => f.pad("random"),
            Arm::Uncertainty {
                strategy,
                diverse: false,
            } => f.pad(strategy.name()),
            Arm::Uncertainty {
                strategy,
                diverse: true,
            } => f.pad(&format!("{}+diverse", strategy.name())),
        }
    }
}

impl FromStr for Arm {
    type Err = LearnError;

    /// `random`, a strategy name (`least-confidence`, `margin`, `ratio`, `entropy`), or a
    /// strategy name followed by `+diverse`.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("random") {
            return Ok(Arm::Random);
        }
        let (name, diverse) = match s.strip_suffix("+diverse") {
            Some(name) => (name, true),
            None => (s, false),
        };
        let strategy = name.parse::<Strategy>().map_err(|e| LearnError::InvalidOption {
            name: "strategy",
            reason: format!("{e}, or random"),
        })?;
        Ok(Arm::Uncertainty { strategy, diverse })
    }
}

impl Serialize for Arm {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Arm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where the head's standardisation comes from in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standardize {
    /// Mean and deviation of the whole pool's features (labeled or not, never the test rows):
    /// what `sift learn` does with the stored embeddings of every item.
    #[default]
    Pool,
    /// Mean and deviation of the labeled rows of each round.
    Labeled,
}

/// The simulation's settings. Every field has a default (`SimConfig::default()`), so a JSON
/// object with only some of them deserialises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// One replay per seed (default `0..20`). A seed fixes the test split, the initial labeled
    /// set (shared by every arm) and each arm's random draws.
    pub seeds: Vec<u64>,
    /// Labeled items before the first round (default 10), drawn at random from the pool.
    pub initial: usize,
    /// Items labeled per round (default 10).
    pub batch: usize,
    /// Rounds after the initial fit (default 40): the curves have `rounds + 1` points.
    pub rounds: usize,
    /// Share of the items held out for testing, stratified by class (default 1/3).
    pub test_fraction: f64,
    /// Strategies compared (default: random and the four uncertainty strategies).
    pub arms: Vec<Arm>,
    /// Test accuracies whose label cost is reported (default 0.8, 0.9, 0.95).
    pub targets: Vec<f64>,
    /// Label budgets at which accuracy is reported (default: empty, meaning the labels after a
    /// quarter, half, three quarters and all of the rounds).
    pub budgets: Vec<usize>,
    /// Seconds a person spends per label, for the cost figures (default: none).
    pub seconds_per_label: Option<f64>,
    /// Labeling cost per hour, for the cost figures (default: none).
    pub cost_per_hour: Option<f64>,
    /// Head options (`C`, class weights, tolerance, iterations); its `scaler` is ignored in
    /// favour of [`SimConfig::standardize`].
    pub head: Options,
    /// Where the head's standardisation comes from (default: the pool).
    pub standardize: Standardize,
    /// Start each round's optimisation from the previous round's head (default true; the
    /// optimum is the same, it only takes fewer iterations).
    pub warm_start: bool,
    /// Candidates per pick of the diversified arms (default 10: the `10 * batch` most
    /// uncertain items are clustered).
    pub diversity_beta: usize,
    /// The stopping rule evaluated along every curve, the test rows' features serving as its
    /// unlabeled stop set (the metric condition is not used: there is no validation set).
    pub stopping: StoppingRule,
    /// Worker threads over seeds (default 1). Results do not depend on it.
    pub threads: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seeds: (0..20).collect(),
            initial: 10,
            batch: 10,
            rounds: 40,
            test_fraction: 1.0 / 3.0,
            arms: Arm::standard(false),
            targets: vec![0.8, 0.9, 0.95],
            budgets: Vec::new(),
            seconds_per_label: None,
            cost_per_hour: None,
            head: Options::default(),
            standardize: Standardize::Pool,
            warm_start: true,
            diversity_beta: 10,
            stopping: StoppingRule::default(),
            threads: 1,
        }
    }
}

/// The pool to simulate on: `n` items of `d` features (row-major) and their true class ids.
#[derive(Debug, Clone, Copy)]
pub struct SimData<'a> {
    /// `n x d` features, row-major.
    pub features: &'a [f32],
    /// Number of items.
    pub n: usize,
    /// Features per item.
    pub d: usize,
    /// True class id of each item.
    pub labels: &'a [u32],
}

/// Everything the simulation measured; serialise it for `--json`, print it with `Display`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// The settings used (budgets filled in).
    pub config: SimConfig,
    /// Items in the data.
    pub items: usize,
    /// Features per item.
    pub features: usize,
    /// Distinct classes in the data.
    pub classes: usize,
    /// Items in the pool (not held out).
    pub pool: usize,
    /// Items held out for testing.
    pub test: usize,
    /// One report per arm, in the configured order.
    pub arms: Vec<ArmReport>,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> LearnError {
    LearnError::InvalidOption {
        name,
        reason: reason.into(),
    }
}

impl SimConfig {
    fn validate(&self) -> Result<()> {
        if self.seeds.is_empty() {
            return Err(invalid("seeds", "at least one seed is needed"));
        }
        if self.initial < 2 {
            return Err(invalid(
                "initial",
                "at least two initial labels are needed to train a head",
            ));
        }
        if self.batch == 0 {
            return Err(invalid("batch", "a batch holds at least one item"));
        }
        if self.arms.is_empty() {
            return Err(invalid("arms", "at least one strategy is needed"));
        }
        if let Some(t) = self.targets.iter().find(|t| !(**t > 0.0 && **t <= 1.0)) {
            return Err(invalid(
                "targets",
                format!("target accuracy {t} is not within (0, 1]"),
            ));
        }
        for (name, v) in [
            ("seconds_per_label", self.seconds_per_label),
            ("cost_per_hour", self.cost_per_hour),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(invalid(name, format!("{v} is not a finite non-negative number")));
            }
        }
        Ok(())
    }
}

/// Watches a running simulation (a progress bar and a *Cancel* button); [`simulate`] watches
/// nothing. Called from the worker threads; the results do not depend on it.
pub trait SimWatch: Sync {
    /// One round of one arm of one seed is done: `seeds * arms * (rounds + 1)` calls in a run
    /// whose pool outlasts the rounds.
    fn round_done(&self) {}
    /// Whether to stop: asked before every round; the simulation then returns
    /// [`LearnError::Cancelled`].
    fn cancelled(&self) -> bool {
        false
    }
}

/// Watches nothing.
struct Unwatched;

impl SimWatch for Unwatched {}

/// Runs the simulation.
///
/// For every seed: a stratified test split (`test_fraction`), an initial labeled set drawn
/// from the pool (the same for every arm), then for every arm `rounds` rounds of: train the
/// head on the labeled items, record its test accuracy, label the next `batch` items the arm
/// picks from the unlabeled pool (their true labels are revealed). A round whose labeled set
/// still holds a single class predicts that class and picks its batch at random.
///
/// Deterministic: the same data and configuration give the same report, whatever `threads`.
///
/// # Errors
/// Shape mismatches, NaN or infinite features, fewer than two classes, a pool smaller than
/// the initial set, or invalid settings.
pub fn simulate(data: &SimData<'_>, config: &SimConfig) -> Result<SimReport> {
    simulate_watched(data, config, &Unwatched)
}

/// [`simulate`], telling `watch` of every round and stopping when it says so.
///
/// # Errors
/// As [`simulate`], and [`LearnError::Cancelled`] when `watch` asked to stop.
pub fn simulate_watched(data: &SimData<'_>, config: &SimConfig, watch: &dyn SimWatch) -> Result<SimReport> {
    config.validate()?;
    check_features("features", data.features, data.n, data.d)?;
    check_len("labels", data.labels, data.n)?;
    config.head.validate(data.d)?;
    let mut classes = data.labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return Err(LearnError::SingleClass {
            class: classes.first().copied().unwrap_or_default(),
        });
    }
    let runs = engine::run_all(data, config, watch)?;
    let mut config = config.clone();
    let grid_last = config.initial + config.rounds * config.batch;
    if config.budgets.is_empty() {
        config.budgets = (1..=4)
            .map(|q| config.initial + (config.rounds * q / 4) * config.batch)
            .filter(|&b| b <= grid_last)
            .collect();
        config.budgets.dedup();
    }
    let (pool, test) = runs.split_sizes;
    Ok(SimReport {
        items: data.n,
        features: data.d,
        classes: classes.len(),
        pool,
        test,
        arms: summary::summarise(&config, runs.per_arm),
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_names_round_trip() {
        for arm in Arm::standard(false).into_iter().chain(Arm::standard(true)) {
            assert_eq!(arm.to_string().parse::<Arm>().unwrap(), arm);
            let json = serde_json::to_string(&arm).unwrap();
            assert_eq!(serde_json::from_str::<Arm>(&json).unwrap(), arm);
        }
        assert_eq!(
            "margin+diverse".parse::<Arm>().unwrap().to_string(),
            "margin+diverse"
        );
        assert!("confidence".parse::<Arm>().is_err());
        let config: SimConfig =
            serde_json::from_str(r#"{"seeds": [1, 2], "arms": ["random", "ratio"]}"#).unwrap();
        assert_eq!(config.arms.len(), 2);
        assert_eq!(config.batch, 10);
    }
}
