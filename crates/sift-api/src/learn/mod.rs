//! The closed active-learning loop: `sift learn` trains a head from the submitted labels on
//! stored vectors, measures it on held-out labels, saves it as the next version of a
//! registered model (with its ONNX file), rescores the pool from the stored vectors and
//! reorders the unlabeled part of the queue.
//!
//! The pieces, one file each: where vectors come from ([`features`]), which labels count
//! ([`labels`]), training and validation of classifier heads ([`classifier`]) and reward heads
//! for rankings ([`reward`]), registering a head ([`register`]), rescoring and requeueing
//! ([`rescore`]), the learning curve and stopping rule ([`status`]), retraining through an
//! outside command ([`command`]), rounds in the background ([`runner`]), the loop's project settings
//! ([`settings`]), the predictions export ([`predictions`]), and the suggestions annotators
//! see ([`suggestions`]).

mod classifier;
mod command;
mod features;
mod labels;
pub(crate) mod predictions;
mod register;
mod rescore;
mod reward;
mod runner;
mod settings;
mod status;
mod suggestions;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use sift_al::Strategy;
use sift_learn::{ClassifierHead, HeadKind, OnnxOptions};
use sift_store::NewLearnRound;
use sift_template::Kind;

pub use classifier::{MIN_LEARN_LABELS, MULTI_LABEL_THRESHOLD};
pub use command::{
    CheckedModel, CommandReport, ModelRuntime, SETTING_COMMAND, SETTING_TIMEOUT, TrainingCommand,
};
pub use features::{DEFAULT_FEATURES, FeatureSource, INJECTED_KEY, MissingVector, SETTING_FEATURES};
pub use register::HEAD_FILE;
pub use rescore::RescoreReport;
pub use runner::{LearnRunner, RunnerEvent, RunnerSettings, SETTING_EVERY, every_setting};
pub use settings::LEARN_SETTINGS;
pub use status::{HeadHistory, LearnStatus, RoundView};
pub use suggestions::{
    RankingSuggestion, SETTING_SUGGESTIONS, Suggestion, SuggestionFigures, SuggestionReport,
};

pub(crate) use features::{Pool, field_value, with_vector};
pub(crate) use register::read_head;
pub(crate) use rescore::{argmax, timed};

use crate::{Error, Progress, Project, Result};

/// The project setting naming the default strategy of the learned queue order.
pub const SETTING_STRATEGY: &str = "learn.strategy";
/// The project setting naming a manifest field that holds gold items' true class.
pub const SETTING_GOLD_FIELD: &str = "learn.gold_field";

/// Options of [`Project::learn`].
#[derive(Debug, Clone)]
pub struct LearnOptions {
    /// Learn from approved annotations only (otherwise submitted and approved ones).
    pub approved_only: bool,
    /// `field:NAME` or `embeddings:NAME@VERSION` (default: the `learn.features` setting, else
    /// `field:features`).
    pub features: Option<String>,
    /// Model name of the head (default: the template name plus `-head`; reward heads add
    /// `-<dimension>`).
    pub name: Option<String>,
    /// Share of the labels held out for validation (stratified by class).
    pub validation_fraction: f64,
    /// Seed of the validation split.
    pub seed: u64,
    /// Strategy of the new queue order (default: the `learn.strategy` setting, else margin).
    pub strategy: Option<Strategy>,
    /// Train on live machine labels too (never by default).
    pub machine_labels: bool,
    /// A manifest field naming gold items' true class: validate on them (default: the
    /// `learn.gold_field` setting).
    pub gold_field: Option<String>,
    /// Inverse regularisation strength of the head.
    pub c: f64,
}

impl Default for LearnOptions {
    fn default() -> Self {
        Self {
            approved_only: false,
            features: None,
            name: None,
            validation_fraction: 0.2,
            seed: 0,
            strategy: None,
            machine_labels: false,
            gold_field: None,
            c: 1.0,
        }
    }
}

/// Validation metrics of one head version.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// Share of validation items predicted right (multi-label: whole label set right).
    pub accuracy: Option<f64>,
    /// The unweighted mean of the per-class F1 scores (multi-label: per-label F1).
    pub macro_f1: Option<f64>,
    /// Cross-entropy of the predicted probabilities (lower is better).
    pub log_loss: Option<f64>,
    /// Expected calibration error (ten equal-width bins).
    pub ece: Option<f64>,
    /// Reward heads: share of held-out preference pairs ordered right.
    pub pairwise_accuracy: Option<f64>,
}

/// One head version `sift learn` trained.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeadReport {
    /// The registered model the head is a version of.
    pub model: String,
    /// The version it was saved as.
    pub version: i64,
    /// `classifier`, `multi-label` or `reward`.
    pub head: String,
    /// The ranking dimension of a reward head.
    pub dimension: Option<String>,
    /// Where its input vectors came from: `field:NAME` or `embeddings:NAME@VERSION`.
    pub features: String,
    /// Training labels (reward heads: preference pairs).
    pub labels_used: u64,
    /// Of them, machine labels.
    pub machine_labels: u64,
    /// `split` or `gold`.
    pub validation: String,
    /// Items held out to compute `metrics`.
    pub validation_items: usize,
    /// Its validation metrics.
    pub metrics: Metrics,
    /// L-BFGS iterations (summed over labels for multi-label heads).
    pub iterations: usize,
    /// Whether the optimisation met its tolerance before the iteration limit.
    pub converged: bool,
    /// Time spent fitting the head.
    pub train_seconds: f64,
    /// The ONNX file of the version.
    pub onnx: std::path::PathBuf,
}

/// What [`Project::learn`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LearnReport {
    /// The heads trained: one for classification, one per dimension for ranking.
    pub heads: Vec<HeadReport>,
    /// How the pool was rescored and requeued with the new version.
    pub rescore: RescoreReport,
    /// Wall-clock time of the whole run, from reading the labels to the new queue order.
    pub seconds: f64,
}

/// The error of a learning run cancelled before it saved anything.
pub fn cancelled() -> Error {
    Error::Conflict("learning was cancelled; nothing was saved".into())
}

/// [`cancelled`] when `cancel` is set.
pub(crate) fn stop_if(cancel: &AtomicBool) -> Result<()> {
    if cancel.load(Ordering::Relaxed) {
        return Err(cancelled());
    }
    Ok(())
}

impl Project {
    /// The strategy the learned order uses: `opt`, else the project setting, else margin.
    pub(crate) fn learn_strategy(&self, opt: Option<Strategy>) -> Result<Strategy> {
        if let Some(s) = opt {
            return Ok(s);
        }
        match self.store.setting(SETTING_STRATEGY)? {
            Some(s) => s
                .parse()
                .map_err(|e| Error::BadRequest(format!("project setting {SETTING_STRATEGY}: {e}"))),
            None => Ok(Strategy::Margin),
        }
    }

    /// Trains a head from the labels (classification: one classifier head; ranking: one
    /// reward head per dimension), records its validation metrics, saves it as the next
    /// version of a registered model with its ONNX file, rescores the pool from the stored
    /// vectors and reorders the unlabeled part of the queue.
    pub fn learn(&mut self, opts: &LearnOptions, progress: &dyn Progress) -> Result<LearnReport> {
        self.learn_until(opts, progress, &AtomicBool::new(false))
    }

    /// [`Project::learn`] that a window can cancel: `cancel` is looked at after the labels and
    /// vectors are read and after training, before anything is saved; a cancelled run saves
    /// nothing and returns [`cancelled`]'s error. Once a head is being saved, the run finishes
    /// (registering, rescoring and requeueing are short).
    pub fn learn_until(
        &mut self,
        opts: &LearnOptions,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<LearnReport> {
        let started = Instant::now();
        let source = self.feature_source(opts.features.as_deref())?;
        let strategy = self.learn_strategy(opts.strategy)?;
        let mut report = match self.template.kind() {
            Kind::Classification => self.learn_classifier(opts, &source, strategy, progress, cancel)?,
            Kind::Ranking => self.learn_rewards(opts, &source, strategy, progress, cancel)?,
            other => {
                return Err(Error::BadRequest(format!(
                    "Sift trains heads itself for classification and ranking projects; for a {} project, set a \
                     training command (`sift learn config --command ...`)",
                    other.as_str()
                )));
            }
        };
        report.seconds = started.elapsed().as_secs_f64();
        self.store.append_event(
            None,
            "learned",
            &serde_json::json!({
                "heads": report.heads.iter().map(|h| format!("{}@{}", h.model, h.version)).collect::<Vec<_>>(),
                "labels": report.heads.first().map(|h| h.labels_used),
                "queued": report.rescore.items_queued,
                "seconds": report.seconds,
            }),
        )?;
        Ok(report)
    }

    fn learn_classifier(
        &mut self,
        opts: &LearnOptions,
        source: &FeatureSource,
        strategy: Strategy,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<LearnReport> {
        progress.start("reading labels and vectors", None);
        let labels = self.class_labels(opts.approved_only, opts.machine_labels)?;
        let (pool, load_seconds) = timed(|| self.load_pool(source));
        let pool = pool?;
        progress.finish();
        stop_if(cancel)?;
        if pool.ids.is_empty() {
            return Err(Error::BadRequest(format!(
                "no item has a vector from {}{}",
                source.describe(),
                pool.missing
                    .first()
                    .map(|m| format!(" (item {}, line {}: {})", m.item_id, m.line, m.reason))
                    .unwrap_or_default()
            )));
        }
        let name = match &opts.name {
            Some(n) => n.clone(),
            None => register::default_head_name(self.template.name()),
        };
        let gold = match &opts.gold_field {
            Some(f) => Some(f.clone()),
            None => self.store.setting(SETTING_GOLD_FIELD)?,
        };
        // The labels and every setting that shapes the head: the same again, the same head.
        let labels_hash = {
            let settings = serde_json::json!([
                source.spec(),
                gold,
                opts.validation_fraction,
                opts.seed,
                opts.c,
                opts.approved_only
            ]);
            let mut h = blake3::Hasher::new();
            h.update(labels.hash().as_bytes());
            h.update(settings.to_string().as_bytes());
            h.finalize().to_hex().to_string()
        };
        let previous = self.previous_head::<ClassifierHead>(&name)?;
        if let Some((info, _)) = &previous
            && let Some(round) = self.store.learn_round(info.row.id)?
            && round.labels_hash == labels_hash
        {
            return Err(Error::Conflict(format!(
                "nothing new to learn from: {} was trained on these same {} labels with the same settings; \
                 label more items first",
                info.label(),
                round.labels_used
            )));
        }
        progress.start("training", None);
        let (fitted, train_seconds) = timed(|| {
            self.fit_classifier(
                &pool,
                &labels,
                &classifier::FitSettings {
                    validation_fraction: opts.validation_fraction,
                    seed: opts.seed,
                    c: opts.c,
                    gold_field: gold.as_deref(),
                },
                &source.describe(),
                previous.as_ref().map(|(_, h)| h),
            )
        });
        let fitted = fitted?;
        progress.finish();
        stop_if(cancel)?;
        let head = &fitted.head;
        let k = head.classes().len();
        let kind = match head.kind() {
            HeadKind::SingleLabel => "classifier",
            HeadKind::MultiLabel => "multi-label",
        };
        let doc = format!(
            "a {kind} head over {} classes, trained on {} labels",
            k,
            fitted.train_items.len()
        );
        let onnx = head.to_onnx_with(&OnnxOptions {
            input: "features".into(),
            class_names: fitted.outputs.clone(),
            doc: doc.clone(),
        });
        let info = self.register_head(&register::HeadFiles {
            name: &name,
            head,
            onnx,
            source,
            dim: pool.d,
            outputs: &[("probabilities", k), ("logits", k)],
            output_kind: Some("probabilities"),
            doc: &doc,
        })?;
        let training = head.training();
        let e = &fitted.evaluation;
        let machine_in_training = if opts.machine_labels {
            labels.machine.min(fitted.train_items.len() as u64)
        } else {
            0
        };
        let spec = source.spec();
        self.store.save_learn_round(&NewLearnRound {
            model_version_id: info.row.id,
            head: kind,
            features: Some(&spec),
            labels_used: fitted.train_items.len() as u64,
            labels_hash: &labels_hash,
            approved_only: opts.approved_only,
            machine_labels: machine_in_training,
            validation: fitted.validation,
            validation_items: &fitted.validation_items,
            accuracy: Some(e.accuracy),
            macro_f1: Some(e.macro_f1),
            log_loss: Some(e.log_loss),
            ece: Some(e.ece),
            pairwise_accuracy: None,
            outputs: &fitted.outputs,
            seconds: train_seconds,
        })?;
        let head_report = HeadReport {
            model: info.row.name.clone(),
            version: info.row.version,
            head: kind.to_owned(),
            dimension: None,
            features: spec,
            labels_used: fitted.train_items.len() as u64,
            machine_labels: machine_in_training,
            validation: fitted.validation.to_owned(),
            validation_items: fitted.validation_items.len(),
            metrics: Metrics {
                accuracy: Some(e.accuracy),
                macro_f1: Some(e.macro_f1),
                log_loss: Some(e.log_loss),
                ece: Some(e.ece),
                pairwise_accuracy: None,
            },
            iterations: training.iterations,
            converged: training.converged,
            train_seconds,
            onnx: info.path.clone(),
        };
        progress.start("rescoring the pool", Some(pool.ids.len() as u64));
        let mut rescore =
            self.rescore_classifier(&info, head, &pool, strategy, previous.map(|(p, _)| p.row.id))?;
        rescore.load_seconds = load_seconds;
        progress.finish();
        Ok(LearnReport {
            heads: vec![head_report],
            rescore,
            seconds: 0.0,
        })
    }

    /// Predicts every pooled item with a classifier head, stores the predictions and scores,
    /// and reorders the queue (`load_seconds` is the caller's: it read the pool).
    pub(crate) fn rescore_classifier(
        &mut self,
        info: &crate::ModelInfo,
        head: &ClassifierHead,
        pool: &Pool,
        strategy: Strategy,
        previous: Option<i64>,
    ) -> Result<RescoreReport> {
        let k = head.classes().len();
        let (predicted, predict_seconds) = timed(|| -> Result<(Vec<f32>, Vec<_>)> {
            let p = head
                .predict_proba(&pool.x, pool.ids.len())
                .map_err(|e| Error::Internal(format!("rescoring: {e}")))?;
            let scores = match head.kind() {
                HeadKind::SingleLabel => rescore::single_label_scores(&p, k),
                HeadKind::MultiLabel => rescore::multi_label_scores(&p, k),
            };
            Ok((p, scores))
        });
        let (probabilities, scores) = predicted?;
        let save_started = Instant::now();
        let rows = pool
            .ids
            .iter()
            .zip(probabilities.chunks_exact(k.max(1)))
            .map(|(&item_id, p)| sift_store::PredictionRow {
                item_id,
                top: rescore::argmax(p),
                values: p.to_vec(),
            })
            .collect();
        let outputs = rescore::VersionOutputs { rows, scores };
        let skip = self.unrankable()?;
        let figures = self.save_version_outputs(info, &outputs, &skip, &pool.missing, strategy, previous)?;
        let ranked: Vec<(i64, f64)> = outputs
            .rows
            .iter()
            .zip(&outputs.scores)
            .filter(|(row, _)| !skip.contains(row.item_id))
            .filter_map(|(row, s)| s.map(|s| (row.item_id, f64::from(s.get(strategy)))))
            .collect();
        let scored = outputs
            .rows
            .iter()
            .zip(&outputs.scores)
            .filter(|(row, s)| s.is_some() && !skip.started(row.item_id))
            .count() as u64;
        let (queued, first) = self.requeue(info.row.id, strategy, ranked)?;
        Ok(RescoreReport {
            strategy: strategy.name().to_owned(),
            items_predicted: outputs.rows.len() as u64,
            items_scored: scored,
            items_without_vectors: pool.missing.len() as u64,
            items_queued: queued,
            load_seconds: 0.0,
            predict_seconds,
            save_seconds: save_started.elapsed().as_secs_f64(),
            mean_uncertainty: figures.mean_uncertainty,
            changed_share: figures.changed_share,
            kappa: figures.kappa,
            first,
        })
    }
}
