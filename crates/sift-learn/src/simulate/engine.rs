//! One simulated labeling loop per seed and arm: split, initial set, then rounds of train,
//! test, pick a batch. Seeds run on worker threads; results are gathered in seed order.

use sift_al::{ClusterOptions, Input, cluster_uncertain, score_rows};

use super::summary::Run;
use super::{Arm, SimConfig, SimData, SimWatch, Standardize};
use crate::classifier::{ClassifierHead, Options};
use crate::error::{LearnError, Result};
use crate::metrics::cohen_kappa;
use crate::scaler::Scaler;
use crate::split::{Rng, stratified_split};

/// The curves of every arm (outer: arms in config order; inner: seeds in config order).
pub(super) struct AllRuns {
    pub per_arm: Vec<Vec<Run>>,
    /// Pool and test sizes (the same for every seed).
    pub split_sizes: (usize, usize),
}

/// Every arm's run of one seed, and the (pool, test) sizes.
type SeedResult = Result<(Vec<Run>, (usize, usize))>;

pub(super) fn run_all(data: &SimData<'_>, config: &SimConfig, watch: &dyn SimWatch) -> Result<AllRuns> {
    let threads = config.threads.clamp(1, config.seeds.len());
    let mut per_seed: Vec<Option<SeedResult>> = Vec::new();
    per_seed.resize_with(config.seeds.len(), || None);
    if threads == 1 {
        for (slot, &seed) in per_seed.iter_mut().zip(&config.seeds) {
            *slot = Some(run_seed(data, config, seed, watch));
        }
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        config
                            .seeds
                            .iter()
                            .enumerate()
                            .skip(t)
                            .step_by(threads)
                            .map(|(i, &seed)| (i, run_seed(data, config, seed, watch)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in handles {
                // A panic in a worker is a bug in this crate: re-raise it on the caller.
                let results = handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                for (i, result) in results {
                    per_seed[i] = Some(result);
                }
            }
        });
    }
    let mut per_arm: Vec<Vec<Run>> = vec![Vec::with_capacity(config.seeds.len()); config.arms.len()];
    let mut split_sizes = (0, 0);
    for result in per_seed.into_iter().flatten() {
        let (runs, sizes) = result?;
        split_sizes = sizes;
        for (arm, run) in per_arm.iter_mut().zip(runs) {
            arm.push(run);
        }
    }
    Ok(AllRuns { per_arm, split_sizes })
}

/// Rows `rows` of the `? x d` matrix `x`, contiguous.
fn gather(x: &[f32], d: usize, rows: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len() * d);
    for &r in rows {
        out.extend_from_slice(&x[r * d..(r + 1) * d]);
    }
    out
}

/// Every arm's run for one seed, and the (pool, test) sizes.
fn run_seed(data: &SimData<'_>, config: &SimConfig, seed: u64, watch: &dyn SimWatch) -> SeedResult {
    let d = data.d;
    let split = stratified_split(data.labels, config.test_fraction, seed)?;
    let pool = split.train;
    let test = split.held_out;
    if pool.len() < config.initial {
        return Err(LearnError::InvalidOption {
            name: "initial",
            reason: format!(
                "{} initial labels but the pool holds {} items",
                config.initial,
                pool.len()
            ),
        });
    }
    let mut options = config.head.clone();
    options.scaler = match config.standardize {
        Standardize::Pool => Some(Scaler::fit_rows(data.features, d, &pool)?),
        Standardize::Labeled => None,
    };
    let test_x = gather(data.features, d, &test);
    let test_y: Vec<u32> = test.iter().map(|&r| data.labels[r]).collect();
    // Positions into `pool`, shared by every arm.
    let initial = Rng::derived(seed, "initial").sample(&(0..pool.len()).collect::<Vec<_>>(), config.initial);
    let runs = config
        .arms
        .iter()
        .map(|arm| {
            run_arm(
                &Loop {
                    data,
                    config,
                    options: &options,
                    pool: &pool,
                    test_x: &test_x,
                    test_y: &test_y,
                    watch,
                },
                *arm,
                seed,
                &initial,
            )
        })
        .collect::<Result<Vec<Run>>>()?;
    Ok((runs, (pool.len(), test.len())))
}

/// What every arm of a seed shares.
struct Loop<'a> {
    data: &'a SimData<'a>,
    config: &'a SimConfig,
    options: &'a Options,
    /// Pool rows of the data.
    pool: &'a [usize],
    test_x: &'a [f32],
    test_y: &'a [u32],
    /// Told of every round, asked whether to stop.
    watch: &'a dyn SimWatch,
}

fn run_arm(ctx: &Loop<'_>, arm: Arm, seed: u64, initial: &[usize]) -> Result<Run> {
    let (data, config, d) = (ctx.data, ctx.config, ctx.data.d);
    let mut rng = Rng::derived(seed, &arm.to_string());
    let mut labeled: Vec<usize> = initial.to_vec(); // positions into pool
    let mut is_labeled = vec![false; ctx.pool.len()];
    labeled.iter().for_each(|&p| is_labeled[p] = true);
    let mut previous: Option<ClassifierHead> = None;
    let mut run = Run {
        seed,
        labels: Vec::with_capacity(config.rounds + 1),
        accuracy: Vec::with_capacity(config.rounds + 1),
        stopped_at: None,
    };
    let mut last_predictions: Option<Vec<u32>> = None;
    let mut kappas = Vec::new();
    for round in 0..=config.rounds {
        if ctx.watch.cancelled() {
            return Err(LearnError::Cancelled);
        }
        let rows: Vec<usize> = labeled.iter().map(|&p| ctx.pool[p]).collect();
        let x = gather(data.features, d, &rows);
        let y: Vec<u32> = rows.iter().map(|&r| data.labels[r]).collect();
        let fitted = match (&previous, config.warm_start) {
            (Some(prev), true) => ClassifierHead::fit_warm(&x, rows.len(), d, &y, ctx.options, prev),
            _ => ClassifierHead::fit(&x, rows.len(), d, &y, ctx.options),
        };
        let head = match fitted {
            Ok(head) => Some(head),
            Err(LearnError::SingleClass { .. }) => None,
            Err(e) => return Err(e),
        };
        let predictions = match &head {
            Some(h) => h.predict(ctx.test_x, ctx.test_y.len())?,
            None => vec![y[0]; ctx.test_y.len()],
        };
        let hits = predictions.iter().zip(ctx.test_y).filter(|(a, b)| a == b).count();
        run.labels.push(labeled.len());
        run.accuracy.push(hits as f64 / ctx.test_y.len().max(1) as f64);
        if let Some(last) = &last_predictions {
            kappas.push(cohen_kappa(last, &predictions)?);
            if run.stopped_at.is_none() && config.stopping.stops_after(&kappas) {
                run.stopped_at = Some(labeled.len());
            }
        }
        last_predictions = Some(predictions);
        ctx.watch.round_done();
        let unlabeled: Vec<usize> = (0..ctx.pool.len()).filter(|&p| !is_labeled[p]).collect();
        if round == config.rounds || unlabeled.is_empty() {
            break;
        }
        let k = config.batch.min(unlabeled.len());
        let picks = match (arm, &head) {
            (Arm::Uncertainty { strategy, diverse }, Some(h)) => {
                let rows: Vec<usize> = unlabeled.iter().map(|&p| ctx.pool[p]).collect();
                let ux = gather(data.features, d, &rows);
                let probabilities = h.predict_proba(&ux, rows.len())?;
                let scores = score_rows(&probabilities, h.classes().len(), Input::Probabilities)?;
                let mut picks = if diverse {
                    let options = ClusterOptions {
                        beta: config.diversity_beta.max(1),
                        iterations: 10,
                        seed: rng.next_u64(),
                    };
                    cluster_uncertain(scores.values(strategy), &ux, d, k, options)?
                } else {
                    scores.top_k(strategy, k)
                };
                // Rows sift-al could not rank (never expected from a head): fill at random.
                if picks.len() < k {
                    let rest: Vec<usize> = (0..unlabeled.len()).filter(|i| !picks.contains(i)).collect();
                    picks.extend(rng.sample(&rest, k - picks.len()));
                }
                picks
            }
            _ => rng.sample(&(0..unlabeled.len()).collect::<Vec<_>>(), k),
        };
        for i in picks {
            let p = unlabeled[i];
            is_labeled[p] = true;
            labeled.push(p);
        }
        previous = head;
    }
    Ok(run)
}
