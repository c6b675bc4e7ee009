//! From learning curves to figures: median and interquartile range per point, labels needed
//! per target accuracy, accuracy at fixed budgets, area under the curve, where the stopping
//! rule fires, and the labeling cost saved against random order.

use serde::{Deserialize, Serialize};

use super::{Arm, SimConfig};

/// One arm's learning curve for one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The seed.
    pub seed: u64,
    /// Labeled items at each point (the initial set, then one more batch per round).
    pub labels: Vec<usize>,
    /// Test accuracy at each point.
    pub accuracy: Vec<f64>,
    /// Labels at which the stopping rule first held (stop set: the test rows' features).
    pub stopped_at: Option<usize>,
}

/// Median and quartiles over seeds (numpy's default, linear interpolation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
}

/// One point of the summarised learning curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Labeled items.
    pub labels: usize,
    /// Test accuracy over seeds.
    pub accuracy: Spread,
}

/// Labels needed to reach a target test accuracy.
///
/// A seed's figure is the labels at the first point whose accuracy is at least the target. A
/// seed that never reaches it counts as infinitely many labels, so the median (or a quartile)
/// is `None` when it falls on such seeds: "not reached by half of the seeds" rather than an
/// optimistic median over the lucky ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSummary {
    /// Target accuracy.
    pub target: f64,
    /// Seeds that reached it.
    pub reached: usize,
    /// Seeds run.
    pub seeds: usize,
    /// First quartile of the labels needed.
    pub q1: Option<f64>,
    /// Median labels needed.
    pub median: Option<f64>,
    /// Third quartile.
    pub q3: Option<f64>,
    /// Each seed's figure, in seed order.
    pub per_seed: Vec<Option<usize>>,
}

/// Test accuracy at a label budget: the last point with at most `budget` labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetSummary {
    /// The budget asked for.
    pub budget: usize,
    /// Labels of the point used (`None`: the budget is below the initial set).
    pub labels: Option<usize>,
    /// Accuracy there over seeds.
    pub accuracy: Option<Spread>,
}

/// Where the stopping rule fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopSummary {
    /// Seeds whose run the rule stopped.
    pub stopped: usize,
    /// Labels at the stop, over those seeds.
    pub labels: Option<Spread>,
    /// Test accuracy at the stop, over those seeds.
    pub accuracy: Option<Spread>,
    /// Test accuracy at the end of the run, over the same seeds (what stopping gave up).
    pub final_accuracy: Option<Spread>,
}

/// Labeling cost against random order for one target: `random median - this median`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    /// Target accuracy.
    pub target: f64,
    /// Median labels saved (negative: the arm needs more than random). `None` when either
    /// median is not reached.
    pub labels_saved: Option<f64>,
    /// `labels_saved / random median`.
    pub fraction_saved: Option<f64>,
    /// `labels_saved * seconds_per_label / 3600`, when seconds per label are given.
    pub hours_saved: Option<f64>,
    /// `hours_saved * cost_per_hour`, when both are given.
    pub money_saved: Option<f64>,
}

/// Everything about one arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmReport {
    /// The arm.
    pub arm: Arm,
    /// The summarised curve (median and IQR at each point).
    pub curve: Vec<CurvePoint>,
    /// Labels to reach each target.
    pub targets: Vec<TargetSummary>,
    /// Accuracy at each budget.
    pub budgets: Vec<BudgetSummary>,
    /// Area under the learning curve, normalised by the label range (the mean accuracy over
    /// the labels axis, trapezoid rule), over seeds.
    pub auc: Spread,
    /// Where the stopping rule fired.
    pub stop: StopSummary,
    /// Cost against random per target (empty for the random arm or without a random arm).
    pub cost: Vec<CostSummary>,
    /// Every seed's curve.
    pub runs: Vec<Run>,
}

/// Quantile `q` of sorted values, linear interpolation (numpy's default). Infinite values
/// propagate (an interpolation towards infinity is infinite).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    if frac == 0.0 || lo == hi {
        sorted[lo]
    } else if sorted[hi].is_infinite() {
        f64::INFINITY
    } else {
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }
}

/// Median and quartiles of `values`.
pub(crate) fn spread(values: &[f64]) -> Spread {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Spread {
        q1: quantile(&v, 0.25),
        median: quantile(&v, 0.5),
        q3: quantile(&v, 0.75),
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn target_summary(runs: &[Run], target: f64) -> TargetSummary {
    let per_seed: Vec<Option<usize>> = runs
        .iter()
        .map(|r| {
            r.accuracy
                .iter()
                .position(|&a| a >= target - 1e-12)
                .map(|i| r.labels[i])
        })
        .collect();
    let values: Vec<f64> = per_seed
        .iter()
        .map(|v| v.map_or(f64::INFINITY, |v| v as f64))
        .collect();
    let s = spread(&values);
    TargetSummary {
        target,
        reached: per_seed.iter().flatten().count(),
        seeds: runs.len(),
        q1: finite(s.q1),
        median: finite(s.median),
        q3: finite(s.q3),
        per_seed,
    }
}

fn budget_summary(runs: &[Run], budget: usize) -> BudgetSummary {
    let index = runs
        .first()
        .and_then(|r| r.labels.iter().rposition(|&l| l <= budget));
    let labels = index.and_then(|i| runs.first().map(|r| r.labels[i]));
    let accuracy = index.map(|i| {
        let values: Vec<f64> = runs.iter().filter_map(|r| r.accuracy.get(i).copied()).collect();
        spread(&values)
    });
    BudgetSummary {
        budget,
        labels,
        accuracy,
    }
}

fn auc(run: &Run) -> f64 {
    let (l, a) = (&run.labels, &run.accuracy);
    if l.len() < 2 {
        return a.first().copied().unwrap_or(0.0);
    }
    let area: f64 = (1..l.len())
        .map(|i| (l[i] - l[i - 1]) as f64 * 0.5 * (a[i] + a[i - 1]))
        .sum();
    area / (l[l.len() - 1] - l[0]) as f64
}

fn stop_summary(runs: &[Run]) -> StopSummary {
    let stopped: Vec<(f64, f64, f64)> = runs
        .iter()
        .filter_map(|r| {
            let at = r.stopped_at?;
            let i = r.labels.iter().position(|&l| l == at)?;
            Some((at as f64, r.accuracy[i], *r.accuracy.last()?))
        })
        .collect();
    let column = |f: fn(&(f64, f64, f64)) -> f64| {
        (!stopped.is_empty()).then(|| spread(&stopped.iter().map(f).collect::<Vec<_>>()))
    };
    StopSummary {
        stopped: stopped.len(),
        labels: column(|s| s.0),
        accuracy: column(|s| s.1),
        final_accuracy: column(|s| s.2),
    }
}

fn cost(config: &SimConfig, mine: &[TargetSummary], random: &[TargetSummary]) -> Vec<CostSummary> {
    mine.iter()
        .zip(random)
        .map(|(m, r)| {
            let labels_saved = match (r.median, m.median) {
                (Some(r), Some(m)) => Some(r - m),
                _ => None,
            };
            let hours_saved = labels_saved
                .zip(config.seconds_per_label)
                .map(|(l, s)| l * s / 3600.0);
            CostSummary {
                target: m.target,
                labels_saved,
                fraction_saved: labels_saved.zip(r.median).map(|(l, r)| l / r),
                hours_saved,
                money_saved: hours_saved.zip(config.cost_per_hour).map(|(h, c)| h * c),
            }
        })
        .collect()
}

/// Builds every arm's report from its runs (arms in config order).
pub(super) fn summarise(config: &SimConfig, per_arm: Vec<Vec<Run>>) -> Vec<ArmReport> {
    let mut reports: Vec<ArmReport> = config
        .arms
        .iter()
        .zip(per_arm)
        .map(|(&arm, runs)| {
            let points = runs.first().map_or(0, |r| r.labels.len());
            let curve = (0..points)
                .map(|i| CurvePoint {
                    labels: runs[0].labels[i],
                    accuracy: spread(
                        &runs
                            .iter()
                            .filter_map(|r| r.accuracy.get(i).copied())
                            .collect::<Vec<_>>(),
                    ),
                })
                .collect();
            ArmReport {
                arm,
                curve,
                targets: config.targets.iter().map(|&t| target_summary(&runs, t)).collect(),
                budgets: config.budgets.iter().map(|&b| budget_summary(&runs, b)).collect(),
                auc: spread(&runs.iter().map(auc).collect::<Vec<_>>()),
                stop: stop_summary(&runs),
                cost: Vec::new(),
                runs,
            }
        })
        .collect();
    if let Some(random) = reports
        .iter()
        .find(|r| r.arm == Arm::Random)
        .map(|r| r.targets.clone())
    {
        for report in reports.iter_mut().filter(|r| r.arm != Arm::Random) {
            report.cost = cost(config, &report.targets, &random);
        }
    }
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
        let s = spread(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        let s = spread(&[10.0, f64::INFINITY, 20.0]);
        assert_eq!((s.q1, s.median), (15.0, 20.0));
        assert!(s.q3.is_infinite());
    }

    #[test]
    fn labels_to_target_and_auc() {
        let run = |seed, acc: &[f64]| Run {
            seed,
            labels: vec![10, 20, 30, 40],
            accuracy: acc.to_vec(),
            stopped_at: None,
        };
        let runs = vec![
            run(0, &[0.5, 0.9, 0.95, 0.97]),
            run(1, &[0.5, 0.6, 0.7, 0.91]),
            run(2, &[0.5, 0.6, 0.7, 0.8]),
        ];
        let t = target_summary(&runs, 0.9);
        assert_eq!(t.per_seed, vec![Some(20), Some(40), None]);
        assert_eq!((t.reached, t.median, t.q3), (2, Some(40.0), None));
        assert_eq!(t.q1, Some(30.0));
        // Trapezoids: (0.5 + 0.9) / 2 * 10 + (0.9 + 0.95) / 2 * 10 + (0.95 + 0.97) / 2 * 10 over 30.
        let want = (0.7 + 0.925 + 0.96) / 3.0;
        assert!((auc(&runs[0]) - want).abs() < 1e-12);
        let b = budget_summary(&runs, 35);
        assert_eq!(b.labels, Some(30));
        assert_eq!(b.accuracy.map(|s| s.median), Some(0.7));
        assert_eq!(budget_summary(&runs, 5).labels, None);
    }
}
