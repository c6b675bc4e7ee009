//! Calibrated auto-labeling (`sift autolabel`): the current classifier head labels the
//! unlabeled items it is sure enough of, at a confidence threshold chosen on human-labeled
//! validation items so that the machine labels reach a target precision.
//!
//! Machine labels are kept apart from human work (`sift-store`'s `machine_labels`): they never
//! become annotations, they carry `"human-annotated": "no"` and their `confidence` in the
//! Ground Truth export ([`gt`]), training leaves them out unless asked
//! (`LearnOptions::machine_labels`), and the queue no longer serves their items as new work.
//! A random batch of them can be handed to people for an audit ([`Project::autolabel_audit`]);
//! when the people disagree with them beyond the target ([`Project::autolabel_check`]), the
//! run's labels are withdrawn and the items become ordinary unlabeled work again.

pub(crate) mod gt;
mod threshold;

use std::collections::HashMap;

use serde_json::json;
use sift_learn::{ClassifierHead, HeadKind, Rng};
use sift_quality::{Z_95, wilson};
use sift_store::{AutolabelRunRow, NewAutolabelRun, NewBatch};

pub use threshold::{Criterion, ThresholdChoice, best_precision, choose_threshold, choose_threshold_by};

use crate::learn::{HEAD_FILE, Pool};
use crate::{Error, Project, Result};

/// Options of [`Project::autolabel`].
#[derive(Debug, Clone)]
pub struct AutolabelOptions {
    /// The precision the machine labels must reach on the validation items (0 to 1).
    pub target_precision: f64,
    /// `name@version` of the head (default: the newest classifier head `sift learn` trained).
    pub model: Option<String>,
    /// Choose and report the threshold, label nothing.
    pub dry_run: bool,
    /// What must reach the target: the validation precision, or (conservative) the lower
    /// end of its 95 % interval.
    pub criterion: Criterion,
}

/// What [`Project::autolabel`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AutolabelReport {
    /// The head that labeled, as `name@version`.
    pub model: String,
    /// The precision asked for.
    pub target_precision: f64,
    /// What had to reach it (`estimate`, or `lower-bound` with `--conservative`).
    pub criterion: Criterion,
    /// The threshold chosen on the validation items, and what it reaches there.
    pub choice: ThresholdChoice,
    /// Unlabeled items at or above the threshold.
    pub eligible: u64,
    /// Machine labels stored (0 on a dry run).
    pub labeled: u64,
    /// The run's id (none on a dry run).
    pub run: Option<i64>,
}

/// What an audit batch is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReport {
    /// The autolabel run audited.
    pub run: i64,
    /// The new batch's name, `audit-<run>-<n>`.
    pub batch: String,
    /// The sampled items, by id in ascending order.
    pub items: Vec<i64>,
    /// The people the batch was dealt out to.
    pub assigned_to: Vec<String>,
}

/// What the people who audited a run said.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditCheck {
    /// The autolabel run checked.
    pub run: i64,
    /// The precision the run was made for; agreement below it withdraws the run.
    pub target_precision: f64,
    /// Audited items a person has labeled (submitted or approved).
    pub compared: u64,
    /// Of them, where the person chose the machine's label.
    pub agreed: u64,
    /// `agreed / compared` (none before anything is compared).
    pub precision: Option<f64>,
    /// Lower end of the 95 % Wilson interval of `precision`.
    pub ci_low: Option<f64>,
    /// Upper end of the 95 % Wilson interval of `precision`.
    pub ci_high: Option<f64>,
    /// Audited items nobody has labeled yet.
    pub waiting: u64,
    /// Whether the run's labels were withdrawn by this check.
    pub withdrawn: bool,
    /// Labels withdrawn.
    pub withdrawn_labels: u64,
}

impl Project {
    /// The classifier head to label with: `spec`, or the newest one the loop trained.
    fn autolabel_head(
        &self,
        spec: Option<&str>,
    ) -> Result<(crate::ModelInfo, sift_store::LearnRoundRow, ClassifierHead)> {
        let rounds = self.store.learn_rounds()?;
        let round = match spec {
            Some(s) => {
                let info = self.model(Some(s))?;
                rounds
                    .into_iter()
                    .find(|r| r.model_version_id == info.row.id)
                    .ok_or_else(|| Error::BadRequest(format!("{s} was not trained by `sift learn`")))?
            }
            None => rounds
                .into_iter()
                .rev()
                .find(|r| r.head == "classifier")
                .ok_or_else(|| Error::Conflict("no classifier head yet: run `sift learn` first".into()))?,
        };
        if round.head != "classifier" {
            return Err(Error::BadRequest(format!(
                "{}@{} is a {} head; auto-labeling needs a single-label classifier head",
                round.name, round.version, round.head
            )));
        }
        let info = self.model(Some(&format!("{}@{}", round.name, round.version)))?;
        let head: ClassifierHead = crate::learn::read_head(&info.dir.join(HEAD_FILE)).ok_or_else(|| {
            Error::Conflict(format!(
                "{}: its head file {HEAD_FILE} is missing or unreadable",
                info.label()
            ))
        })?;
        if head.kind() != HeadKind::SingleLabel {
            return Err(Error::BadRequest(
                "auto-labeling needs a single-label head".into(),
            ));
        }
        Ok((info, round, head))
    }

    /// Chooses the lowest confidence threshold whose precision on the head's human-labeled
    /// validation items reaches the target, and labels the unlabeled items at or above it as
    /// machine labels.
    pub fn autolabel(&mut self, opts: &AutolabelOptions) -> Result<AutolabelReport> {
        if !(opts.target_precision > 0.0 && opts.target_precision <= 1.0) {
            return Err(Error::BadRequest(format!(
                "--target-precision {} is not within (0, 1]",
                opts.target_precision
            )));
        }
        let (info, round, head) = self.autolabel_head(opts.model.as_deref())?;
        let source = self.feature_source(round.features.as_deref())?;
        let pool = self.load_pool(&source)?;
        let labels = self.class_labels(false, false)?;
        let truth: HashMap<i64, u32> = labels
            .items
            .iter()
            .copied()
            .zip(labels.single.iter().copied())
            .collect();
        let (mut confidence, mut correct) = (Vec::new(), Vec::new());
        for id in &round.validation_items {
            let (Some(&t), Some(row)) = (truth.get(id), pool.row(*id)) else {
                continue;
            };
            let (class, conf) = predict(&head, &pool, &[row])?[0];
            confidence.push(conf);
            correct.push(class == t);
        }
        if confidence.is_empty() {
            return Err(Error::Conflict(format!(
                "{} has no human-labeled validation items to choose a threshold on",
                info.label()
            )));
        }
        let Some(choice) = choose_threshold_by(&confidence, &correct, opts.target_precision, opts.criterion)
        else {
            let best = best_precision(&confidence, &correct)
                .map(|(p, t)| format!(" (the best is {:.3} at confidence {t:.4})", p))
                .unwrap_or_default();
            let bound = match opts.criterion {
                Criterion::Estimate => "",
                Criterion::LowerBound => " with the lower end of its 95% interval (--conservative)",
            };
            return Err(Error::Conflict(format!(
                "no confidence threshold reaches precision {}{bound} on the {} validation items of {}{best}: label \
                 more items and run `sift learn` again, or lower the target",
                opts.target_precision,
                confidence.len(),
                info.label()
            )));
        };
        let skip = self.unrankable()?;
        let candidates: Vec<usize> = pool
            .ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !skip.contains(**id))
            .map(|(row, _)| row)
            .collect();
        let names = labels.class_names;
        let mut machine = Vec::new();
        for (row, (class, conf)) in candidates.iter().zip(predict(&head, &pool, &candidates)?) {
            if conf >= choice.threshold {
                let name = names.get(class as usize).cloned().unwrap_or_default();
                machine.push((pool.ids[*row], json!({"labels": [name]}).to_string(), conf));
            }
        }
        let eligible = machine.len() as u64;
        let mut report = AutolabelReport {
            model: info.label(),
            target_precision: opts.target_precision,
            criterion: opts.criterion,
            choice,
            eligible,
            labeled: 0,
            run: None,
        };
        if !opts.dry_run {
            let run = self.store.save_autolabel_run(
                &NewAutolabelRun {
                    model_version_id: info.row.id,
                    target_precision: opts.target_precision,
                    threshold: choice.threshold,
                    validation_items: choice.validation_items,
                    support: choice.support,
                    precision: choice.precision,
                    ci_low: choice.ci_low,
                    ci_high: choice.ci_high,
                },
                &machine,
            )?;
            report.labeled = run.labeled;
            report.run = Some(run.id);
        }
        Ok(report)
    }

    /// Every autolabel run.
    pub fn autolabel_runs(&self) -> Result<Vec<AutolabelRunRow>> {
        Ok(self.store.autolabel_runs()?)
    }

    fn live_run(&self, run: Option<i64>) -> Result<AutolabelRunRow> {
        let row = match run {
            Some(id) => self.store.autolabel_run(id)?,
            None => self
                .store
                .autolabel_runs()?
                .into_iter()
                .rev()
                .find(|r| r.withdrawn_at.is_none()),
        }
        .ok_or_else(|| Error::NotFound("autolabel run (run `sift autolabel` first)".into()))?;
        Ok(row)
    }

    /// Hands `size` random machine labels of a run (default: the newest live one) to people
    /// for an audit: a batch named `audit-<run>-<n>`, dealt out to `assign`.
    pub fn autolabel_audit(
        &mut self,
        size: usize,
        assign: &[String],
        run: Option<i64>,
        seed: u64,
    ) -> Result<AuditReport> {
        if size == 0 {
            return Err(Error::BadRequest("--size must be at least 1".into()));
        }
        let run = self.live_run(run)?;
        if run.withdrawn_at.is_some() {
            return Err(Error::Conflict(format!("autolabel run {} was withdrawn", run.id)));
        }
        let mut annotators = Vec::with_capacity(assign.len());
        for who in assign {
            annotators.push(self.annotator(who)?.id);
        }
        let labels: Vec<i64> = self
            .store
            .machine_labels(Some(run.id))?
            .into_iter()
            .map(|m| m.item_id)
            .collect();
        if labels.is_empty() {
            return Err(Error::Conflict(format!(
                "autolabel run {} has no live machine labels",
                run.id
            )));
        }
        let mut items = Rng::derived(seed, &format!("audit-{}", run.id)).sample(&labels, size);
        items.sort_unstable();
        let n = self.store.audits()?.iter().filter(|a| a.run_id == run.id).count() + 1;
        let name = format!("audit-{}-{n}", run.id);
        let rows: Vec<(i64, Option<f64>)> = items.iter().map(|&i| (i, None)).collect();
        let batch = self.store.create_batch(&NewBatch {
            name: &name,
            strategy: None,
            model_version_id: Some(run.model_version_id),
            items: &rows,
            assign_to: &annotators,
            overlap: 1,
        })?;
        self.store.add_audit(run.id, batch.id, items.len() as u64)?;
        Ok(AuditReport {
            run: run.id,
            batch: name,
            items,
            assigned_to: assign.to_vec(),
        })
    }

    /// Compares the people's labels on a run's audited items with the machine labels; when
    /// their agreement is below the run's target precision, withdraws the run's labels.
    pub fn autolabel_check(&mut self, run: Option<i64>) -> Result<AuditCheck> {
        let run = self.live_run(run)?;
        let audited: Vec<i64> = self
            .store
            .audits()?
            .iter()
            .filter(|a| a.run_id == run.id)
            .map(|a| self.store.batch_item_ids(a.batch_id))
            .collect::<std::result::Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        if audited.is_empty() {
            return Err(Error::Conflict(format!(
                "autolabel run {} has no audit yet: run `sift autolabel audit --size N --assign NAME`",
                run.id
            )));
        }
        let labels = self.class_labels(false, false)?;
        let human: HashMap<i64, u32> = labels
            .items
            .iter()
            .copied()
            .zip(labels.single.iter().copied())
            .collect();
        let (mut compared, mut agreed, mut waiting) = (0_u64, 0_u64, 0_u64);
        for id in &audited {
            let Some(&h) = human.get(id) else {
                waiting += 1;
                continue;
            };
            let Some((payload, _)) = self.store.machine_label_of(run.id, *id)? else {
                continue;
            };
            let machine: serde_json::Value = serde_json::from_str(&payload)
                .map_err(|e| Error::Internal(format!("machine label of item {id}: {e}")))?;
            compared += 1;
            let name = labels.class_names.get(h as usize).map(String::as_str);
            if machine["labels"][0].as_str() == name {
                agreed += 1;
            }
        }
        let interval = wilson(agreed, compared, Z_95).ok();
        let mut check = AuditCheck {
            run: run.id,
            target_precision: run.target_precision,
            compared,
            agreed,
            precision: interval.map(|p| p.estimate),
            ci_low: interval.map(|p| p.lower),
            ci_high: interval.map(|p| p.upper),
            waiting,
            withdrawn: false,
            withdrawn_labels: 0,
        };
        if let Some(p) = check.precision
            && p < run.target_precision
            && run.withdrawn_at.is_none()
        {
            let reason = format!(
                "audit: people agreed with {agreed} of {compared} machine labels ({p:.3}), below the target {}",
                run.target_precision
            );
            check.withdrawn_labels = self.store.withdraw_autolabel_run(run.id, &reason)?;
            check.withdrawn = true;
        }
        Ok(check)
    }
}

/// The predicted class and its probability for each listed pool row.
fn predict(head: &ClassifierHead, pool: &Pool, rows: &[usize]) -> Result<Vec<(u32, f64)>> {
    let k = head.classes().len();
    let x = pool.gather(rows);
    let p = head
        .predict_proba(&x, rows.len())
        .map_err(|e| Error::Internal(format!("predicting: {e}")))?;
    Ok(p.chunks_exact(k.max(1))
        .map(|row| {
            let top = crate::learn::argmax(row) as usize;
            (head.classes()[top], f64::from(row[top]))
        })
        .collect())
}
