//! Reward heads for ranking projects: one Bradley-Terry head per dimension, trained on the
//! preference pairs each submitted ranking implies, measured by pairwise accuracy on the
//! rankings of held-out items, and used to rescore the pool: an item whose responses the
//! heads find alike (rewards soft-maxed over its responses) is the most uncertain.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use sift_al::{Input, RowScores, Strategy};
use sift_learn::{
    OnnxOptions, Preference, RewardHead, RewardOptions, Scaler, evaluate_reward, random_split, ranking_pairs,
};
use sift_store::{NewLearnRound, PredictionRow};
use sift_template::Spec;

use super::classifier::{MIN_LEARN_LABELS, learn_error};
use super::features::FeatureSource;
use super::register::{HeadFiles, default_head_name};
use super::rescore::{VersionOutputs, argmax, timed};
use super::{HeadReport, LearnOptions, LearnReport, Metrics, RescoreReport};
use crate::{Error, Progress, Project, Result};

impl Project {
    pub(super) fn learn_rewards(
        &mut self,
        opts: &LearnOptions,
        source: &FeatureSource,
        strategy: Strategy,
        progress: &dyn Progress,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<LearnReport> {
        let dimensions: Vec<String> = match self.template.spec() {
            Spec::Ranking { rules, .. } => rules.dimensions.iter().map(|d| d.name.clone()).collect(),
            _ => return Err(Error::Internal("reward heads need a ranking template".into())),
        };
        progress.start("reading rankings and vectors", None);
        let ranked = self.rankings(opts.approved_only)?;
        let (pool, load_seconds) = timed(|| self.load_response_pool(source));
        let pool = pool?;
        progress.finish();
        super::stop_if(cancel)?;
        let items: Vec<i64> = ranked
            .iter()
            .map(|r| r.item_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if items.len() < MIN_LEARN_LABELS {
            return Err(Error::BadRequest(format!(
                "too few rankings to learn from: {} ranked item(s); at least {MIN_LEARN_LABELS} are needed \
                 (to train on and to hold out for validation)",
                items.len()
            )));
        }
        if let Some(m) = items
            .iter()
            .find_map(|id| pool.missing.iter().find(|m| m.item_id == *id))
        {
            return Err(Error::BadRequest(format!(
                "ranked item {} (line {}) has no response vectors from {}: {}",
                m.item_id,
                m.line,
                source.describe(),
                m.reason
            )));
        }
        // All responses of all items, one row each, in item order.
        let mut order: Vec<i64> = pool.items.keys().copied().collect();
        order.sort_unstable();
        let mut x = Vec::new();
        let mut first_row: HashMap<i64, usize> = HashMap::new();
        let mut n = 0;
        for id in &order {
            let (ids, v) = &pool.items[id];
            first_row.insert(*id, n);
            x.extend_from_slice(v);
            n += ids.len();
        }
        let d = pool.d;
        let split = random_split(items.len(), opts.validation_fraction, opts.seed)
            .map_err(|e| learn_error(e, &[]))?;
        if split.held_out.is_empty() {
            return Err(Error::BadRequest(
                "too few ranked items to hold one out for validation".into(),
            ));
        }
        let held: BTreeSet<i64> = split.held_out.iter().map(|&i| items[i]).collect();
        let scaler = Scaler::fit(&x, n, d).map_err(|e| learn_error(e, &[]))?;
        let base = opts
            .name
            .clone()
            .unwrap_or_else(|| default_head_name(self.template.name()));
        let spec = source.spec();
        let mut heads = Vec::new();
        let mut trained: Vec<(crate::ModelInfo, RewardHead, Option<i64>)> = Vec::new();
        for dim in &dimensions {
            let (mut train, mut val) = (Vec::new(), Vec::new());
            for r in &ranked {
                let Some(ranks) = r.rankings.get(dim) else {
                    continue;
                };
                let (ids, _) = &pool.items[&r.item_id];
                let base_row = first_row[&r.item_id];
                let (rows, rk): (Vec<usize>, Vec<u32>) = ids
                    .iter()
                    .enumerate()
                    .filter_map(|(i, id)| ranks.get(id).map(|&rank| (base_row + i, rank)))
                    .unzip();
                let pairs = ranking_pairs(&rows, &rk).map_err(|e| learn_error(e, &[]))?;
                if held.contains(&r.item_id) {
                    val.extend(pairs);
                } else {
                    train.extend(pairs);
                }
            }
            if train.is_empty() || val.is_empty() {
                continue;
            }
            let name = format!("{base}-{dim}");
            let previous = self.previous_head::<RewardHead>(&name)?;
            let options = RewardOptions {
                c: opts.c,
                scaler: Some(scaler.clone()),
                ..RewardOptions::default()
            };
            let (head, train_seconds) = timed(|| RewardHead::fit(&x, n, d, &train, &options));
            let head = head.map_err(|e| learn_error(e, &[]))?;
            if trained.is_empty() {
                // Nothing saved yet: a cancel still leaves the project as it was.
                super::stop_if(cancel)?;
            }
            let accuracy = evaluate_reward(&head, &x, n, &val).map_err(|e| learn_error(e, &[]))?;
            let doc = format!(
                "a reward head for dimension `{dim}`, trained on {} pairs",
                train.len()
            );
            let info = self.register_head(&HeadFiles {
                name: &name,
                head: &head,
                onnx: head.to_onnx_with(&OnnxOptions {
                    input: "features".into(),
                    class_names: Vec::new(),
                    doc: doc.clone(),
                }),
                source,
                dim: d,
                outputs: &[("reward", 1)],
                output_kind: None,
                doc: &doc,
            })?;
            let hash = pairs_hash(&train);
            let val_items: Vec<i64> = held.iter().copied().collect();
            self.store.save_learn_round(&NewLearnRound {
                model_version_id: info.row.id,
                head: "reward",
                features: Some(&spec),
                labels_used: train.len() as u64,
                labels_hash: &hash,
                approved_only: opts.approved_only,
                machine_labels: 0,
                validation: "split",
                validation_items: &val_items,
                pairwise_accuracy: Some(accuracy),
                outputs: std::slice::from_ref(dim),
                seconds: train_seconds,
                ..NewLearnRound::default()
            })?;
            heads.push(HeadReport {
                model: info.row.name.clone(),
                version: info.row.version,
                head: "reward".into(),
                dimension: Some(dim.clone()),
                features: spec.clone(),
                labels_used: train.len() as u64,
                machine_labels: 0,
                validation: "split".into(),
                validation_items: val_items.len(),
                metrics: Metrics {
                    pairwise_accuracy: Some(accuracy),
                    ..Metrics::default()
                },
                iterations: head.training().iterations,
                converged: head.training().converged,
                train_seconds,
                onnx: info.path.clone(),
            });
            trained.push((info, head, previous.map(|(p, _)| p.row.id)));
        }
        if trained.is_empty() {
            return Err(Error::BadRequest(
                "no ranking dimension has preference pairs both to train on and to validate with: rank more items"
                    .into(),
            ));
        }
        let mut rescore =
            self.rescore_rewards(&trained, &order, &pool.items, &x, n, strategy, &pool.missing)?;
        rescore.load_seconds = load_seconds;
        Ok(LearnReport {
            heads,
            rescore,
            seconds: 0.0,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn rescore_rewards(
        &mut self,
        trained: &[(crate::ModelInfo, RewardHead, Option<i64>)],
        order: &[i64],
        items: &HashMap<i64, (Vec<String>, Vec<f32>)>,
        x: &[f32],
        n: usize,
        strategy: Strategy,
        missing: &[super::MissingVector],
    ) -> Result<RescoreReport> {
        let (outputs, predict_seconds) = timed(|| -> Result<Vec<VersionOutputs>> {
            let mut all = Vec::with_capacity(trained.len());
            for (_, head, _) in trained {
                let rewards = head
                    .score(x, n)
                    .map_err(|e| Error::Internal(format!("rescoring: {e}")))?;
                let mut out = VersionOutputs::default();
                let mut at = 0;
                for id in order {
                    let k = items[id].0.len();
                    let r = &rewards[at..at + k];
                    at += k;
                    out.rows.push(PredictionRow {
                        item_id: *id,
                        top: argmax(r),
                        values: r.to_vec(),
                    });
                    out.scores.push(item_scores(r));
                }
                all.push(out);
            }
            Ok(all)
        });
        let outputs = outputs?;
        let save_started = Instant::now();
        let skip = self.unrankable()?;
        let mut figures = Vec::new();
        for ((info, _, previous), out) in trained.iter().zip(&outputs) {
            figures.push(self.save_version_outputs(info, out, &skip, missing, strategy, *previous)?);
        }
        // The queue follows the mean uncertainty over the dimensions.
        let mut ranked = Vec::new();
        let mut scored = 0_u64;
        for (row, id) in order.iter().enumerate() {
            if skip.started(*id) {
                continue;
            }
            let per_dim: Option<Vec<f32>> = outputs
                .iter()
                .map(|o| o.scores[row].map(|s| s.get(strategy)))
                .collect();
            if let Some(v) = per_dim {
                scored += 1;
                if !skip.contains(*id) {
                    ranked.push((*id, f64::from(v.iter().sum::<f32>()) / v.len() as f64));
                }
            }
        }
        let last = &trained[trained.len() - 1].0;
        let (queued, first) = self.requeue(last.row.id, strategy, ranked)?;
        let mean = |f: fn(&sift_store::RoundPool) -> Option<f64>| {
            let v: Vec<f64> = figures.iter().filter_map(f).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        Ok(RescoreReport {
            strategy: strategy.name().to_owned(),
            items_predicted: order.len() as u64,
            items_scored: scored,
            items_without_vectors: missing.len() as u64,
            items_queued: queued,
            load_seconds: 0.0,
            predict_seconds,
            save_seconds: save_started.elapsed().as_secs_f64(),
            mean_uncertainty: mean(|f| f.mean_uncertainty),
            changed_share: mean(|f| f.changed_share),
            kappa: mean(|f| f.kappa),
            first,
        })
    }
}

/// The uncertainty of one item's responses: their rewards soft-maxed and scored.
fn item_scores(rewards: &[f32]) -> Option<RowScores> {
    let scores = sift_al::score_rows(rewards, rewards.len().max(1), Input::Logits).ok()?;
    scores.row(0)?.ok()
}

fn pairs_hash(pairs: &[Preference]) -> String {
    let mut h = blake3::Hasher::new();
    for p in pairs {
        h.update(&(p.winner as u64).to_le_bytes());
        h.update(&(p.loser as u64).to_le_bytes());
    }
    h.finalize().to_hex().to_string()
}
