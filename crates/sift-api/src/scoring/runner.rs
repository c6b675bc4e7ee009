//! A model run over items, batch by batch: the [`BatchModel`] trait that a [`Scorer`] and an
//! [`Encoder`](crate::Encoder) both are, and [`run_pass`], the recorded run that streams a
//! model version's pending items to one, saves each batch as it completes and stops cleanly
//! on cancel or on the first storage error.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use sift_store::{ItemRow, Store};

use super::{ItemResult, ModelInfo, RunInfo, ScoreFailure, ScoreInput, ScorerError};
use crate::{Error, Progress, Result};

/// How many failures a report lists.
const MAX_REPORTED_FAILURES: usize = 100;

/// Runs a model over batches of items, one result per item. Implementations live outside the
/// core (`sift-onnx`); a [`Scorer`] gives model outputs, an [`Encoder`](crate::Encoder)
/// vectors.
pub trait BatchModel {
    /// One item's result, or why it has none (a missing field, an unreadable image).
    type Output;

    /// The device and runtime that run the model.
    fn describe(&self) -> RunInfo;

    /// Runs a batch: one result per input, in order.
    ///
    /// # Errors
    ///
    /// A [`ScorerError`] when the batch as a whole cannot be run.
    fn run_batch(&mut self, items: &[ScoreInput]) -> std::result::Result<Vec<Self::Output>, ScorerError>;

    /// Runs a stream of batches: takes batches from `next` until it returns `None` and hands
    /// each batch with its results to `done`, in order, stopping early when `done` returns
    /// `false`. The default runs [`BatchModel::run_batch`] on each batch in turn;
    /// implementations override it to prepare later batches while the model runs on earlier
    /// ones.
    ///
    /// # Errors
    ///
    /// The first [`ScorerError`].
    fn run_stream(
        &mut self,
        next: &mut dyn FnMut() -> Option<Vec<ScoreInput>>,
        done: &mut dyn FnMut(Vec<ScoreInput>, Vec<Self::Output>) -> bool,
    ) -> std::result::Result<(), ScorerError> {
        while let Some(batch) = next() {
            let results = self.run_batch(&batch)?;
            if !done(batch, results) {
                break;
            }
        }
        Ok(())
    }
}

/// A model that gives each item an output to score (a [`BatchModel`] of [`ItemResult`]s).
pub trait Scorer: BatchModel<Output = ItemResult> {}

impl<M: BatchModel<Output = ItemResult> + ?Sized> Scorer for M {}

/// One recorded pass of a model version over its pending items.
pub(crate) struct Pass<'a> {
    /// The model version the run is recorded under.
    pub model: &'a ModelInfo,
    /// What the pass does (`scoring`, `embedding`): the progress label and the error's words.
    pub what: &'static str,
    /// Items to hand out at most.
    pub total: u64,
    /// Items per model batch (and per saved transaction).
    pub batch_size: usize,
    /// Where the pass reports.
    pub progress: &'a dyn Progress,
    /// Set to stop after the batch in flight.
    pub cancel: &'a AtomicBool,
}

/// What a pass did.
pub(crate) struct PassOutcome {
    /// The run's id among the model version's recorded runs.
    pub run_id: i64,
    /// The device and runtime that ran it.
    pub info: RunInfo,
    /// Items saved with a result.
    pub done: u64,
    /// Items that failed (recorded or reported with their reason).
    pub failed: u64,
    /// The first failures, with their reasons.
    pub failures: Vec<ScoreFailure>,
    /// Whether the run was cancelled before every item was done.
    pub cancelled: bool,
    /// The run's recorded outcome: `finished` or `cancelled`.
    pub status: &'static str,
}

impl PassOutcome {
    /// Items done or failed per second since `started` (0 for an instant run), with the seconds.
    pub fn rate(&self, started: Instant) -> (f64, f64) {
        let seconds = started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            (self.done + self.failed) as f64 / seconds
        } else {
            0.0
        };
        (seconds, rate)
    }
}

/// Runs `model` over the pending items as a recorded run of `pass.model`: `fetch` reads up to
/// `take` pending items after an item id, `input` turns each into what the model is handed,
/// `sort` splits a batch's results into what to save and the failures, and `save` stores them
/// (one transaction per batch, with the count of failures). The run is recorded as finished,
/// cancelled or failed; a storage error or the model's error is returned after that.
pub(crate) fn run_pass<M: BatchModel + ?Sized, T>(
    store: &mut Store,
    model: &mut M,
    pass: &Pass<'_>,
    mut fetch: impl FnMut(&Store, i64, u32) -> sift_store::Result<Vec<ItemRow>>,
    mut input: impl FnMut(ItemRow) -> ScoreInput,
    mut sort: impl FnMut(&[ScoreInput], Vec<M::Output>) -> (T, Vec<ScoreFailure>),
    mut save: impl FnMut(&mut Store, i64, &T, u64) -> sift_store::Result<()>,
) -> Result<PassOutcome> {
    let Pass {
        total,
        progress,
        cancel,
        ..
    } = *pass;
    let batch_size = pass.batch_size.clamp(1, 1 << 16);
    let info = model.describe();
    let model_id = pass.model.row.id;
    let run_id = store.start_scoring_run(model_id, &info.device, &info.runtime_version)?;
    progress.start(pass.what, Some(total));

    let mut after_id = 0_i64;
    let mut handed_out = 0_u64;
    let (mut done, mut failed) = (0_u64, 0_u64);
    let mut failures = Vec::new();
    let error: RefCell<Option<Error>> = RefCell::new(None);
    let outcome = {
        // The source reads the store and the sink writes it; they run on this thread one at a
        // time, so they share it through a RefCell.
        let store = RefCell::new(&mut *store);
        let mut next = || -> Option<Vec<ScoreInput>> {
            if cancel.load(Ordering::Relaxed) || error.borrow().is_some() {
                return None;
            }
            let left = total.saturating_sub(handed_out);
            if left == 0 {
                return None;
            }
            let take = (batch_size as u64).min(left) as u32;
            let rows = match fetch(&store.borrow(), after_id, take) {
                Ok(rows) => rows,
                Err(e) => {
                    *error.borrow_mut() = Some(e.into());
                    return None;
                }
            };
            after_id = rows.last()?.id;
            handed_out += rows.len() as u64;
            Some(rows.into_iter().map(&mut input).collect())
        };
        let mut sink = |batch: Vec<ScoreInput>, results: Vec<M::Output>| -> bool {
            let (to_save, batch_failures) = sort(&batch, results);
            let batch_failed = batch_failures.len() as u64;
            for failure in batch_failures {
                progress.note(&format!("item {}: {}", failure.item_id, failure.reason));
                if failures.len() < MAX_REPORTED_FAILURES {
                    failures.push(failure);
                }
            }
            if let Err(e) = save(&mut store.borrow_mut(), run_id, &to_save, batch_failed) {
                *error.borrow_mut() = Some(e.into());
                return false;
            }
            done += batch.len() as u64 - batch_failed;
            failed += batch_failed;
            progress.set_position(done + failed);
            !cancel.load(Ordering::Relaxed)
        };
        model.run_stream(&mut next, &mut sink)
    };
    progress.finish();
    let cancelled = cancel.load(Ordering::Relaxed) && done + failed < total;
    let error = error.into_inner();
    let status = match (&outcome, &error) {
        (Ok(()), None) if cancelled => "cancelled",
        (Ok(()), None) => "finished",
        _ => "failed",
    };
    store.finish_scoring_run(run_id, status)?;
    if let Some(e) = error {
        return Err(e);
    }
    outcome
        .map_err(|e| Error::BadRequest(format!("{} with {} failed: {e}", pass.what, pass.model.label())))?;
    Ok(PassOutcome {
        run_id,
        info,
        done,
        failed,
        failures,
        cancelled,
        status,
    })
}
