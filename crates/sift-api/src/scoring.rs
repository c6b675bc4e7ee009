//! Active learning: registering model versions, scoring the unlabeled pool, and turning the
//! scores into a batch ordered by informativeness.
//!
//! This module knows no model runtime. A [`Scorer`] (ONNX Runtime in `sift-onnx`, a stub in
//! tests) turns items into model outputs; [`Project::score`] streams the unscored, unlabeled
//! items to it in batches, scores each output with the four uncertainty strategies of
//! `sift-al` and saves every batch in its own transaction, so a cancelled or interrupted run
//! keeps its work and a rerun with the same model version skips what is already scored.
//! [`Project::build_queue`] ranks the scores (optionally for diversity) into a batch, deals it
//! out to annotators, and the annotator queue then serves the items in that order.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use sift_al::{ClusterOptions, Input, RowScores, Strategy};
use sift_store::{ModelScoreCounts, ModelVersionRow, NewBatch, NewModelVersion, ScoreRecord};

use crate::{Error, Progress, Project, Result};

/// One item handed to a [`Scorer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreInput {
    /// The item's id (results are matched back to it).
    pub item_id: i64,
    /// The manifest object as imported (JSON text).
    pub content: String,
    /// The item's media (`source-ref`) as resolved at import: a local path or a remote URI.
    pub media_ref: Option<String>,
}

/// What a model said about one item.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelOutput {
    /// Unnormalised class scores; turned into probabilities with a max-shifted softmax.
    Logits(Vec<f32>),
    /// Class probabilities (validated: they must be finite, non-negative and sum to 1).
    Probabilities(Vec<f32>),
    /// Scores the scorer reduced itself, e.g. the mean over the tokens of a sequence output.
    Reduced(RowScores),
}

/// One item's model output, plus an optional vector for batch diversity (without one, the
/// class probabilities are used).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemOutput {
    /// What the model said, to be turned into uncertainty scores.
    pub output: ModelOutput,
    /// A vector for diverse batches (e.g. a pooled hidden state), if the model gives one.
    pub embedding: Option<Vec<f32>>,
}

impl ItemOutput {
    /// An output without an embedding.
    pub fn new(output: ModelOutput) -> Self {
        Self {
            output,
            embedding: None,
        }
    }
}

/// The outcome for one item: its output, or why it could not be scored (an unreadable image,
/// a missing field). A failed item is recorded with its reason; the run goes on.
pub type ItemResult = std::result::Result<ItemOutput, String>;

/// What ran a scoring pass, recorded with the run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunInfo {
    /// e.g. `cpu` or `cuda:0`.
    pub device: String,
    /// e.g. `onnxruntime 1.31.1`.
    pub runtime_version: String,
}

/// An error that stops a whole scoring pass (the model rejects the input tensor, the runtime
/// fails), as opposed to one item's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScorerError(pub String);

/// Runs a model over items. Implementations live outside the core (`sift-onnx`).
pub trait Scorer {
    /// The device and runtime that score.
    fn describe(&self) -> RunInfo;

    /// Scores a batch: one result per input, in order.
    ///
    /// # Errors
    ///
    /// A [`ScorerError`] when the batch as a whole cannot be run.
    fn score_batch(&mut self, items: &[ScoreInput]) -> std::result::Result<Vec<ItemResult>, ScorerError>;

    /// Scores a stream of batches: takes batches from `next` until it returns `None` and hands
    /// each batch with its results to `done`, in order, stopping early when `done` returns
    /// `false`. The default runs [`Scorer::score_batch`] on each batch in turn; implementations
    /// override it to prepare later batches while the model runs on earlier ones.
    ///
    /// # Errors
    ///
    /// The first [`ScorerError`].
    fn score_stream(
        &mut self,
        next: &mut dyn FnMut() -> Option<Vec<ScoreInput>>,
        done: &mut dyn FnMut(Vec<ScoreInput>, Vec<ItemResult>) -> bool,
    ) -> std::result::Result<(), ScorerError> {
        while let Some(batch) = next() {
            let results = self.score_batch(&batch)?;
            if !done(batch, results) {
                break;
            }
        }
        Ok(())
    }
}

/// A model version to register: the file, its config, and what the runtime adapter found in it.
#[derive(Debug, Clone)]
pub struct NewModel {
    /// Registry name (`digits`, `resnet-photos`); versions count up per name.
    pub name: String,
    /// The `.onnx` file; it is copied into the project folder.
    pub model_file: PathBuf,
    /// The model config as it will be stored (TOML).
    pub config: String,
    /// Files the config refers to (a tokenizer), copied beside the model under their file names.
    pub assets: Vec<PathBuf>,
    /// What the model declares (JSON), already checked against the config by the adapter.
    pub signature: Option<String>,
}

/// A stored model version with the paths its files have now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelInfo {
    /// The registry row: name, version, config, file hash (flattened into the JSON).
    #[serde(flatten)]
    pub row: ModelVersionRow,
    /// The stored model file.
    pub path: PathBuf,
    /// The folder holding the model and its assets.
    pub dir: PathBuf,
}

impl ModelInfo {
    /// `name@version`.
    pub fn label(&self) -> String {
        format!("{}@{}", self.row.name, self.row.version)
    }
}

/// Options of [`Project::score`].
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    /// Items per model batch (and per saved transaction).
    pub batch_size: usize,
    /// Stop after this many items (for trials); `None` scores the whole pool.
    pub limit: Option<u64>,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        Self {
            batch_size: 32,
            limit: None,
        }
    }
}

/// One item that could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScoreFailure {
    /// The item that failed.
    pub item_id: i64,
    /// Why (a missing field, an unreadable image, an invalid output).
    pub reason: String,
}

/// What a scoring run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScoreReport {
    /// The run's id among the model version's recorded runs.
    pub run_id: i64,
    /// The model's name.
    pub model: String,
    /// The model's version.
    pub version: i64,
    /// Where it ran, e.g. `cpu` or `cuda:0`.
    pub device: String,
    /// The runtime that ran it, e.g. `onnxruntime 1.31.1`.
    pub runtime_version: String,
    /// Items given scores in this run.
    pub items_scored: u64,
    /// Items that could not be scored in this run (see `failures`).
    pub items_failed: u64,
    /// Unlabeled items this model version had already scored (skipped).
    pub already_scored: u64,
    /// Whether the run was cancelled before the pool was done (rerun to resume).
    pub cancelled: bool,
    /// Wall-clock time of the run.
    pub seconds: f64,
    /// Items scored or failed per second of `seconds` (0 for an instant run).
    pub items_per_second: f64,
    /// The first failures (at most 100), with their reasons.
    pub failures: Vec<ScoreFailure>,
}

/// Options of [`Project::build_queue`].
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Items in the batch.
    pub size: usize,
    /// Which uncertainty score ranks the candidates.
    pub strategy: Strategy,
    /// Pick a diverse batch ("cluster the uncertain") instead of the plain top `size`.
    pub diverse: bool,
    /// Annotators to deal the batch out to, round-robin in batch order.
    pub assign: Vec<String>,
    /// Batch name (default: `<model>-v<version>-<strategy>-<n>`).
    pub name: Option<String>,
    /// `name` or `name@version` (default: the newest model version that has scores).
    pub model: Option<String>,
}

/// A batch built from scores.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchReport {
    /// The new batch's id.
    pub batch_id: i64,
    /// The new batch's name.
    pub batch: String,
    /// The model whose scores chose the items.
    pub model: String,
    /// Its version.
    pub version: i64,
    /// The strategy that ranked them.
    pub strategy: String,
    /// Whether the pick was diverse rather than the plain top scores.
    pub diverse: bool,
    /// Unlabeled, unbatched items with a score that the batch was chosen from.
    pub candidates: usize,
    /// The batch in order, most informative first.
    pub items: Vec<BatchEntry>,
    /// The people the batch was dealt out to, round-robin in batch order.
    pub assigned_to: Vec<String>,
}

/// A batch made in import order ([`Project::create_batch`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlainBatchReport {
    /// The new batch's id.
    pub batch_id: i64,
    /// The new batch's name.
    pub batch: String,
    /// Its items, in import order.
    pub items: Vec<i64>,
    /// The people the batch was dealt out to, round-robin in batch order.
    pub assigned_to: Vec<String>,
}

/// One item of a new batch.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BatchEntry {
    /// The item.
    pub item_id: i64,
    /// Its uncertainty score under the batch's strategy (higher: more informative).
    pub score: f64,
}

/// Largest number of classes whose probabilities are kept as the diversity vector.
const MAX_EMBEDDING_DIM: usize = 1024;
/// How many failures a report lists.
const MAX_REPORTED_FAILURES: usize = 100;

impl Project {
    /// The project folder (where `models/` lives).
    pub(crate) fn project_dir(&self) -> PathBuf {
        self.store
            .path()
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_owned)
    }

    fn model_info(&self, row: ModelVersionRow) -> ModelInfo {
        let path = {
            let stored = Path::new(&row.file_path);
            if stored.is_absolute() {
                stored.to_owned()
            } else {
                self.project_dir().join(stored)
            }
        };
        let dir = path.parent().map_or_else(|| self.project_dir(), Path::to_owned);
        ModelInfo { row, path, dir }
    }

    /// Registers a model version: copies the model file (and its assets) into the project's
    /// `models/<name>/v<version>/` folder and records its hash, config and signature. Adding a
    /// file identical to the newest version of the same name, with the same config, is refused.
    pub fn add_model(&mut self, model: &NewModel) -> Result<ModelInfo> {
        validate_model_name(&model.name)?;
        let bytes = std::fs::read(&model.model_file)
            .map_err(|e| Error::io("cannot read model", &model.model_file, e))?;
        let hash = blake3::hash(&bytes).to_hex().to_string();
        if let Some(latest) = self.store.model_version(&model.name, None)?
            && latest.file_hash == hash
            && latest.config == model.config
        {
            return Err(Error::Conflict(format!(
                "this model and config are already registered as {}@{}",
                latest.name, latest.version
            )));
        }
        let version = self.store.next_model_version(&model.name)?;
        let relative_dir = PathBuf::from("models")
            .join(&model.name)
            .join(format!("v{version}"));
        let dir = self.project_dir().join(&relative_dir);
        if dir.exists() {
            // Left over from an add that failed before it was recorded.
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot clear", &dir, e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        let file_name = model
            .model_file
            .file_name()
            .map_or_else(|| "model.onnx".into(), |n| n.to_string_lossy().into_owned());
        let copy = || -> Result<()> {
            std::fs::write(dir.join(&file_name), &bytes)
                .map_err(|e| Error::io("cannot store model in", &dir, e))?;
            for asset in &model.assets {
                let name = asset.file_name().ok_or_else(|| {
                    Error::BadRequest(format!("asset {} has no file name", asset.display()))
                })?;
                std::fs::copy(asset, dir.join(name)).map_err(|e| Error::io("cannot copy", asset, e))?;
            }
            Ok(())
        };
        let stored_path = relative_dir.join(&file_name).to_string_lossy().into_owned();
        let added = copy().and_then(|()| {
            Ok(self.store.add_model_version(&NewModelVersion {
                name: &model.name,
                file_hash: &hash,
                file_path: &stored_path,
                config: &model.config,
                signature: model.signature.as_deref(),
            })?)
        });
        match added {
            Ok(row) => Ok(self.model_info(row)),
            Err(e) => {
                // Cleanup only: `e` is the error to report, and a folder left behind is
                // cleared by the next add of this version (`dir.exists()` above).
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    /// Every registered model version, by name then version.
    pub fn models(&self) -> Result<Vec<ModelInfo>> {
        Ok(self
            .store
            .model_versions()?
            .into_iter()
            .map(|row| self.model_info(row))
            .collect())
    }

    /// A model version by `name`, `name@version`, or (for `None`) the newest one added.
    pub fn model(&self, spec: Option<&str>) -> Result<ModelInfo> {
        let row = match spec {
            None => self.store.latest_model_version()?.ok_or_else(|| {
                Error::NotFound("model (add one with `sift model add MODEL.onnx --config model.toml`)".into())
            })?,
            Some(spec) => {
                let (name, version) = parse_model_spec(spec)?;
                self.store
                    .model_version(name, version)?
                    .ok_or_else(|| Error::NotFound(format!("model {spec}")))?
            }
        };
        Ok(self.model_info(row))
    }

    /// Per model version: how many items it scored and failed, and its newest run.
    pub fn model_scores(&self) -> Result<Vec<ModelScoreCounts>> {
        Ok(self.store.model_score_counts()?)
    }

    /// A run's stored outcome of one item: `(strategy, score, error)`.
    pub fn item_scores(&self, item_id: i64, model: &ModelInfo) -> Result<Vec<sift_store::StoredScore>> {
        Ok(self.store.item_scores(item_id, model.row.id)?)
    }

    /// Scores every unlabeled item `model` has not scored yet with `scorer`, in batches of
    /// `opts.batch_size`, saving each batch as it completes. Items that cannot be scored are
    /// recorded with their reason (and reported through `progress`); the run goes on. Setting
    /// `cancel` stops the run after the batch in flight; what was saved stays, and a rerun
    /// resumes with the remaining items.
    ///
    /// The run (device, runtime version, counts, outcome) is recorded; earlier runs and other
    /// model versions' scores are kept.
    pub fn score(
        &mut self,
        model: &ModelInfo,
        scorer: &mut dyn Scorer,
        opts: &ScoreOptions,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<ScoreReport> {
        let started = Instant::now();
        let batch_size = opts.batch_size.clamp(1, 1 << 16);
        let info = scorer.describe();
        let model_id = model.row.id;
        let pending = self.store.count_items_to_score(model_id)?;
        let unlabeled = self.store.status()?.unlabeled;
        let total = opts.limit.map_or(pending, |l| l.min(pending));
        // A version the loop trained on stored vectors reads them from the item.
        let inject = self.injected_vectors(model_id)?;
        let run_id = self
            .store
            .start_scoring_run(model_id, &info.device, &info.runtime_version)?;
        progress.start("scoring", Some(total));

        let mut after_id = 0_i64;
        let mut handed_out = 0_u64;
        let (mut scored, mut failed) = (0_u64, 0_u64);
        let mut failures = Vec::new();
        let error: RefCell<Option<Error>> = RefCell::new(None);
        let strategies: Vec<String> = Strategy::ALL.iter().map(|s| s.name().to_owned()).collect();

        let outcome = {
            // Both closures need the store: the source reads, the sink writes. They run on
            // this thread one at a time, so they share it through a RefCell.
            let store = RefCell::new(&mut self.store);
            let mut next = || -> Option<Vec<ScoreInput>> {
                if cancel.load(Ordering::Relaxed) || error.borrow().is_some() {
                    return None;
                }
                let left = total.saturating_sub(handed_out);
                if left == 0 {
                    return None;
                }
                let take = (batch_size as u64).min(left) as u32;
                let rows = match store.borrow().items_to_score(model_id, after_id, take) {
                    Ok(rows) => rows,
                    Err(e) => {
                        *error.borrow_mut() = Some(e.into());
                        return None;
                    }
                };
                let last = rows.last()?;
                after_id = last.id;
                handed_out += rows.len() as u64;
                Some(
                    rows.into_iter()
                        .map(|r| ScoreInput {
                            item_id: r.id,
                            content: match inject.as_ref().and_then(|p| p.row(r.id).map(|row| p.vector(row)))
                            {
                                Some(v) => crate::learn::with_vector(r.content, v),
                                None => r.content,
                            },
                            media_ref: r.media_ref,
                        })
                        .collect(),
                )
            };
            let mut done = |batch: Vec<ScoreInput>, results: Vec<ItemResult>| -> bool {
                let records = records_for(&batch, results, &strategies);
                for record in &records {
                    match &record.error {
                        Some(reason) => {
                            failed += 1;
                            progress.note(&format!("item {}: {reason}", record.item_id));
                            if failures.len() < MAX_REPORTED_FAILURES {
                                failures.push(ScoreFailure {
                                    item_id: record.item_id,
                                    reason: reason.clone(),
                                });
                            }
                        }
                        None => scored += 1,
                    }
                }
                if let Err(e) = store.borrow_mut().save_scores(run_id, model_id, &records) {
                    *error.borrow_mut() = Some(e.into());
                    return false;
                }
                progress.set_position(scored + failed);
                !cancel.load(Ordering::Relaxed)
            };
            scorer.score_stream(&mut next, &mut done)
        };
        progress.finish();
        let cancelled = cancel.load(Ordering::Relaxed) && scored + failed < total;
        let error = error.into_inner();
        let status = match (&outcome, &error) {
            (Ok(()), None) if cancelled => "cancelled",
            (Ok(()), None) => "finished",
            _ => "failed",
        };
        self.store.finish_scoring_run(run_id, status)?;
        if let Some(e) = error {
            return Err(e);
        }
        outcome.map_err(|e| Error::BadRequest(format!("scoring with {} failed: {e}", model.label())))?;
        self.store.append_event(
            None,
            "scoring_run",
            &serde_json::json!({
                "run_id": run_id, "model": model.row.name, "version": model.row.version,
                "device": info.device, "runtime_version": info.runtime_version,
                "scored": scored, "failed": failed, "status": status
            }),
        )?;
        let seconds = started.elapsed().as_secs_f64();
        Ok(ScoreReport {
            run_id,
            model: model.row.name.clone(),
            version: model.row.version,
            device: info.device,
            runtime_version: info.runtime_version,
            items_scored: scored,
            items_failed: failed,
            already_scored: unlabeled.saturating_sub(pending),
            cancelled,
            seconds,
            items_per_second: if seconds > 0.0 {
                (scored + failed) as f64 / seconds
            } else {
                0.0
            },
            failures,
        })
    }

    /// Builds the next batch to label: the `size` most informative unlabeled items that are in
    /// no batch yet, by `strategy`'s scores from one model version, ordered most informative
    /// first; with `diverse`, "cluster the uncertain" picks them from the `10 * size` most
    /// informative so the batch covers different kinds of items. The batch is dealt out to the
    /// `assign` annotators round-robin in order, and their queues serve it in that order.
    pub fn build_queue(&mut self, opts: &QueueOptions) -> Result<BatchReport> {
        if opts.size == 0 {
            return Err(Error::BadRequest("--size must be at least 1".into()));
        }
        let model = match &opts.model {
            Some(spec) => self.model(Some(spec))?,
            None => {
                let newest = self
                    .store
                    .model_score_counts()?
                    .into_iter()
                    .filter(|c| c.items_scored > 0)
                    .max_by_key(|c| c.model_version_id)
                    .ok_or_else(|| {
                        Error::Conflict("no item has been scored yet: run `sift score` first".into())
                    })?;
                self.model(Some(&format!("{}@{}", newest.name, newest.version)))?
            }
        };
        let mut annotators = Vec::with_capacity(opts.assign.len());
        for name in &opts.assign {
            annotators.push(self.annotator(name)?.id);
        }
        let candidates = self.store.batch_candidates(model.row.id, opts.strategy.name())?;
        if candidates.is_empty() {
            return Err(Error::Conflict(format!(
                "{} has no scored, unlabeled item left outside a batch: run `sift score` (or add items)",
                model.label()
            )));
        }
        let values: Vec<f32> = candidates.iter().map(|c| c.score as f32).collect();
        let picked: Vec<usize> = if opts.diverse {
            self.diverse_pick(&model, &candidates, &values, opts.size)?
        } else {
            sift_al::top_k(&values, opts.size)
        };
        let items: Vec<BatchEntry> = picked
            .iter()
            .filter_map(|&i| candidates.get(i))
            .map(|c| BatchEntry {
                item_id: c.item_id,
                score: c.score,
            })
            .collect();
        let name = match &opts.name {
            Some(name) => name.clone(),
            None => {
                let prefix = format!("{}-v{}-{}-", model.row.name, model.row.version, opts.strategy);
                let n = self.store.count_batches_named_like(&prefix)? + 1;
                format!("{prefix}{n}")
            }
        };
        let rows: Vec<(i64, Option<f64>)> = items.iter().map(|e| (e.item_id, Some(e.score))).collect();
        let batch = self.store.create_batch(&NewBatch {
            name: &name,
            strategy: Some(opts.strategy.name()),
            model_version_id: Some(model.row.id),
            items: &rows,
            assign_to: &annotators,
        })?;
        Ok(BatchReport {
            batch_id: batch.id,
            batch: batch.name,
            model: model.row.name,
            version: model.row.version,
            strategy: opts.strategy.name().to_owned(),
            diverse: opts.diverse,
            candidates: candidates.len(),
            items,
            assigned_to: opts.assign.clone(),
        })
    }

    /// Makes a batch of the next `size` unlabeled items that are in no batch yet, in import
    /// order — for projects without a model, or to hand out work before the first scoring.
    pub fn create_batch(
        &mut self,
        name: Option<&str>,
        size: usize,
        assign: &[String],
    ) -> Result<PlainBatchReport> {
        if size == 0 {
            return Err(Error::BadRequest("--size must be at least 1".into()));
        }
        let mut annotators = Vec::with_capacity(assign.len());
        for who in assign {
            annotators.push(self.annotator(who)?.id);
        }
        let items = self.store.unbatched_unlabeled(size as u32)?;
        if items.is_empty() {
            return Err(Error::Conflict(
                "no unlabeled item is left outside a batch: import more items".into(),
            ));
        }
        let name = match name {
            Some(n) => n.to_owned(),
            None => format!("batch-{}", self.store.count_batches_named_like("batch-")? + 1),
        };
        let rows: Vec<(i64, Option<f64>)> = items.iter().map(|&id| (id, None)).collect();
        let batch = self.store.create_batch(&NewBatch {
            name: &name,
            strategy: None,
            model_version_id: None,
            items: &rows,
            assign_to: &annotators,
        })?;
        Ok(PlainBatchReport {
            batch_id: batch.id,
            batch: batch.name,
            items,
            assigned_to: assign.to_vec(),
        })
    }

    /// Indices into `candidates` of a diverse batch, most informative first.
    pub(crate) fn diverse_pick(
        &self,
        model: &ModelInfo,
        candidates: &[sift_store::ScoredItem],
        values: &[f32],
        size: usize,
    ) -> Result<Vec<usize>> {
        let options = ClusterOptions::default();
        // Only the beta * k most informative can be picked: load just their vectors.
        let shortlist = sift_al::top_k(values, options.beta.max(1).saturating_mul(size));
        let ids: Vec<i64> = shortlist
            .iter()
            .filter_map(|&i| candidates.get(i).map(|c| c.item_id))
            .collect();
        let vectors = self.store.embeddings(model.row.id, &ids)?;
        // Items are compared in one space: the most common vector length.
        let mut lengths: HashMap<usize, usize> = HashMap::new();
        for v in vectors.iter().flatten() {
            *lengths.entry(v.len()).or_default() += 1;
        }
        let Some((dim, _)) = lengths
            .into_iter()
            .filter(|(d, _)| *d > 0)
            .max_by_key(|&(d, n)| (n, std::cmp::Reverse(d)))
        else {
            return Err(Error::Conflict(format!(
                "{} stored no vectors for batch diversity; rescore with this Sift, or leave out --diverse",
                model.label()
            )));
        };
        let mut kept = Vec::new();
        let mut scores = Vec::new();
        let mut flat = Vec::new();
        for (&index, vector) in shortlist.iter().zip(&vectors) {
            if let Some(v) = vector
                && v.len() == dim
            {
                kept.push(index);
                scores.push(values.get(index).copied().unwrap_or(f32::NAN));
                flat.extend_from_slice(v);
            }
        }
        let picked = sift_al::cluster_uncertain(&scores, &flat, dim, size, options)
            .map_err(|e| Error::Internal(format!("batch diversity: {e}")))?;
        Ok(picked.into_iter().filter_map(|i| kept.get(i).copied()).collect())
    }
}

/// Turns a batch's scorer results into the records to store.
fn records_for(batch: &[ScoreInput], results: Vec<ItemResult>, strategies: &[String]) -> Vec<ScoreRecord> {
    let mut results = results.into_iter();
    batch
        .iter()
        .map(|input| {
            let outcome = results
                .next()
                .unwrap_or_else(|| Err("the scorer returned no result for this item".to_owned()))
                .and_then(|out| score_output(&out).map(|scores| (scores, embedding_of(out))));
            match outcome {
                Ok((scores, embedding)) => ScoreRecord {
                    item_id: input.item_id,
                    scores: Strategy::ALL
                        .iter()
                        .zip(strategies)
                        .map(|(s, name)| (name.clone(), Some(f64::from(scores.get(*s)))))
                        .collect(),
                    error: None,
                    embedding,
                },
                Err(reason) => ScoreRecord {
                    item_id: input.item_id,
                    scores: strategies.iter().map(|name| (name.clone(), None)).collect(),
                    error: Some(reason),
                    embedding: None,
                },
            }
        })
        .collect()
}

/// The four uncertainty scores of one model output (see `sift_al::score_rows`); non-finite
/// outputs and rows that are not distributions are errors, never ranked.
pub fn score_output(output: &ItemOutput) -> std::result::Result<RowScores, String> {
    let (row, input) = match &output.output {
        ModelOutput::Reduced(scores) => {
            let all = [
                scores.least_confidence,
                scores.margin,
                scores.ratio,
                scores.entropy,
            ];
            return if all.iter().all(|v| v.is_finite()) {
                Ok(*scores)
            } else {
                Err("the model output holds NaN or infinite values".to_owned())
            };
        }
        ModelOutput::Logits(row) => (row, Input::Logits),
        ModelOutput::Probabilities(row) => (row, Input::Probabilities),
    };
    if row.is_empty() {
        return Err("the model returned no classes for this item".to_owned());
    }
    let scores = sift_al::score_rows(row, row.len(), input).map_err(|e| format!("model output: {e}"))?;
    match scores.row(0) {
        Some(Ok(s)) => Ok(s),
        Some(Err(e)) => Err(format!("model output: {e}")),
        None => Err("the model returned no output for this item".to_owned()),
    }
}

/// The vector stored for diversity: the scorer's own, else the class probabilities.
fn embedding_of(output: ItemOutput) -> Option<Vec<f32>> {
    if let Some(v) = output.embedding {
        return v.iter().all(|x| x.is_finite()).then_some(v);
    }
    match output.output {
        ModelOutput::Probabilities(row) if row.len() <= MAX_EMBEDDING_DIM => Some(row),
        ModelOutput::Logits(row) if row.len() <= MAX_EMBEDDING_DIM => Some(softmax(&row)),
        _ => None,
    }
}

fn softmax(row: &[f32]) -> Vec<f32> {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f64> = row.iter().map(|&z| f64::from(z - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| (e / sum) as f32).collect()
}

/// `name` or `name@version`.
pub fn parse_model_spec(spec: &str) -> Result<(&str, Option<i64>)> {
    match spec.rsplit_once('@') {
        None => Ok((spec, None)),
        Some((name, version)) => {
            let v = version.trim_start_matches('v').parse::<i64>().map_err(|_| {
                Error::BadRequest(format!("model {spec:?}: write NAME or NAME@VERSION (a number)"))
            })?;
            Ok((name, Some(v)))
        }
    }
}

fn validate_model_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "model name {name:?}: use 1-64 ASCII letters, digits, '-', '_' or '.'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_scored_or_reported() {
        let logits = ItemOutput::new(ModelOutput::Logits(vec![2.0, 2.0, -1.0]));
        let s = score_output(&logits).unwrap();
        assert!((s.margin - 1.0).abs() < 1e-6);
        assert!((s.ratio - 1.0).abs() < 1e-6);
        let nan = ItemOutput::new(ModelOutput::Logits(vec![f32::NAN, 0.0]));
        assert!(score_output(&nan).unwrap_err().contains("NaN"));
        let probs = ItemOutput::new(ModelOutput::Probabilities(vec![0.7, 0.2]));
        assert!(score_output(&probs).unwrap_err().contains("sum"));
        let inf = ItemOutput::new(ModelOutput::Reduced(RowScores {
            entropy: f32::INFINITY,
            ..RowScores::default()
        }));
        assert!(score_output(&inf).is_err());
        assert_eq!(embedding_of(logits).map(|v| v.len()), Some(3));
    }

    #[test]
    fn model_specs() {
        assert_eq!(parse_model_spec("digits").unwrap(), ("digits", None));
        assert_eq!(parse_model_spec("digits@2").unwrap(), ("digits", Some(2)));
        assert_eq!(parse_model_spec("digits@v3").unwrap(), ("digits", Some(3)));
        assert!(parse_model_spec("digits@x").is_err());
        assert!(validate_model_name("../x").is_err());
        assert!(validate_model_name("resnet-18.v2").is_ok());
    }
}
