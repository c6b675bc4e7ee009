//! The pipeline that scoring and embedding share: items are decoded and preprocessed on worker
//! threads (bounded queues, a few batches ahead) while the calling thread runs the model, and
//! results come back in input order.

use std::collections::BTreeMap;

use sift_api::{ScoreInput, ScorerError};

use crate::adapters::{self, Prepared};
use crate::model::Adapter;

/// Takes batches from `next` until it returns `None`, prepares them with `adapter` on
/// `workers` threads, runs each prepared batch through `run` on this thread in order, and
/// hands every batch with its results to `done`, stopping early when `done` returns `false`.
///
/// # Errors
///
/// The first error of `run`, or a preprocessing thread that stopped.
pub(crate) fn run<R>(
    adapter: &Adapter,
    workers: usize,
    next: &mut dyn FnMut() -> Option<Vec<ScoreInput>>,
    run: &mut dyn FnMut(Prepared) -> Result<Vec<R>, ScorerError>,
    done: &mut dyn FnMut(Vec<ScoreInput>, Vec<R>) -> bool,
) -> Result<(), ScorerError> {
    let workers = workers.max(1);
    let depth = workers + 1;
    std::thread::scope(|scope| -> Result<(), ScorerError> {
        let (job_tx, job_rx) = crossbeam_channel::bounded::<(u64, Vec<ScoreInput>)>(depth);
        let (ready_tx, ready_rx) = crossbeam_channel::bounded::<(u64, Vec<ScoreInput>, Prepared)>(depth);
        for _ in 0..workers {
            let (job_rx, ready_tx) = (job_rx.clone(), ready_tx.clone());
            scope.spawn(move || {
                for (seq, batch) in job_rx {
                    let prepared = adapters::prepare(adapter, &batch);
                    if ready_tx.send((seq, batch, prepared)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((job_rx, ready_tx));
        let mut sent = 0_u64;
        let mut next_to_run = 0_u64;
        let mut exhausted = false;
        let mut waiting: BTreeMap<u64, (Vec<ScoreInput>, Prepared)> = BTreeMap::new();
        let result = loop {
            while !exhausted && sent - next_to_run < depth as u64 {
                match next() {
                    Some(batch) => {
                        if job_tx.send((sent, batch)).is_err() {
                            exhausted = true;
                        }
                        sent += 1;
                    }
                    None => exhausted = true,
                }
            }
            if next_to_run == sent {
                break Ok(());
            }
            let (batch, prepared) = loop {
                if let Some(ready) = waiting.remove(&next_to_run) {
                    break ready;
                }
                match ready_rx.recv() {
                    Ok((seq, batch, prepared)) => {
                        waiting.insert(seq, (batch, prepared));
                    }
                    Err(_) => return Err(ScorerError("a preprocessing thread stopped".into())),
                }
            };
            next_to_run += 1;
            match run(prepared) {
                Ok(results) => {
                    if !done(batch, results) {
                        break Ok(());
                    }
                }
                Err(e) => break Err(e),
            }
        };
        // Closing the job queue ends the workers; drain what they still hand over.
        drop(job_tx);
        while ready_rx.recv().is_ok() {}
        result
    })
}
