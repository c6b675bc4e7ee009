//! Long operations (import, export, scoring, search indexing, sync, the map's PCA), each on a
//! thread with its own project connection, reporting progress through [`JobProgress`] (the
//! `sift_api::Progress` the CLI draws as bars) and stopping on cancel.
//!
//! How a job stops depends on what the use case offers: scoring and indexing watch a cancel
//! flag between batches; an import or export is stopped by interrupting its SQLite statement
//! (its transaction rolls back, or its temporary file is removed), which is why a job keeps
//! its connection's [`Interrupter`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use eframe::egui;
use sift_api::browse::Interrupter;
use sift_api::{Progress, Project};

use super::{Apply, message};
use crate::views::Views;

/// Most notes a job keeps (skipped lines and the like); the rest are counted.
const MAX_NOTES: usize = 1000;

/// A job's progress, written by its thread and read by the UI.
#[derive(Debug, Default)]
pub struct JobProgress {
    phase: Mutex<String>,
    /// `u64::MAX`: unknown.
    total: AtomicU64,
    position: AtomicU64,
    notes: Mutex<Vec<String>>,
    notes_dropped: AtomicU64,
}

impl JobProgress {
    /// The phase's name (`importing`, `scoring`, …).
    pub fn phase(&self) -> String {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// How far the phase has got (0 to 1), when its size is known.
    pub fn fraction(&self) -> Option<f32> {
        let total = self.total.load(Ordering::Relaxed);
        (total != u64::MAX && total > 0)
            .then(|| (self.position.load(Ordering::Relaxed) as f64 / total as f64).clamp(0.0, 1.0) as f32)
    }

    /// `(position, total)`; the total is `None` when unknown.
    pub fn counts(&self) -> (u64, Option<u64>) {
        let total = self.total.load(Ordering::Relaxed);
        (
            self.position.load(Ordering::Relaxed),
            (total != u64::MAX).then_some(total),
        )
    }

    /// The notes so far, and how many more were not kept.
    pub fn notes(&self) -> (Vec<String>, u64) {
        (
            self.notes.lock().unwrap_or_else(PoisonError::into_inner).clone(),
            self.notes_dropped.load(Ordering::Relaxed),
        )
    }
}

impl Progress for JobProgress {
    fn start(&self, phase: &str, total: Option<u64>) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase.to_owned();
        self.total.store(total.unwrap_or(u64::MAX), Ordering::Relaxed);
        self.position.store(0, Ordering::Relaxed);
    }
    fn set_position(&self, position: u64) {
        self.position.store(position, Ordering::Relaxed);
    }
    fn finish(&self) {
        let total = self.total.load(Ordering::Relaxed);
        if total != u64::MAX {
            self.position.store(total, Ordering::Relaxed);
        }
    }
    fn note(&self, message: &str) {
        let mut notes = self.notes.lock().unwrap_or_else(PoisonError::into_inner);
        if notes.len() < MAX_NOTES {
            notes.push(message.to_owned());
        } else {
            self.notes_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// How a job can be stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It cannot: it runs to the end.
    Never,
    /// The use case watches the cancel flag between batches.
    Flag,
    /// Its statement is interrupted (and the flag set).
    Interrupt,
}

/// A running (or just finished) job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Unique among this project's jobs; a view keeps it to find its job in [`Jobs::running`].
    pub id: u64,
    /// What the status bar says (`Importing qa.jsonl`).
    pub title: String,
    /// What kind of job this is (`import`, `score`, `index`…): one of each kind at a time.
    pub kind: &'static str,
    /// How far it has got, written by its thread.
    pub progress: Arc<JobProgress>,
    /// Set by *Cancel*; what then stops the work is [`Job::stop`].
    pub cancel: Arc<AtomicBool>,
    /// How *Cancel* stops it.
    pub stop: Stop,
    /// When it started.
    pub started: Instant,
    finished: Arc<AtomicBool>,
    interrupter: Arc<Mutex<Option<Interrupter>>>,
}

impl Job {
    /// Whether its thread has returned (its result is then on the way to the UI thread).
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Whether *Cancel* was pressed (the job may still be finishing its batch).
    pub fn cancel_requested(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// The jobs of one project.
#[derive(Debug)]
pub struct Jobs {
    file: PathBuf,
    applies: Sender<Apply>,
    ctx: egui::Context,
    next_id: u64,
    /// Jobs started and not yet pruned; finished ones are dropped when the next starts.
    pub running: Vec<Job>,
}

impl Jobs {
    /// No jobs yet for the project `file`; their results go to `applies`, and `ctx` is asked to
    /// repaint when one arrives.
    pub fn new(file: &Path, applies: Sender<Apply>, ctx: egui::Context) -> Jobs {
        Jobs {
            file: file.to_owned(),
            applies,
            ctx,
            next_id: 1,
            running: Vec::new(),
        }
    }

    /// Whether a job of `kind` is running.
    pub fn is_running(&self, kind: &str) -> bool {
        self.running.iter().any(|j| j.kind == kind && !j.is_finished())
    }

    /// The running job of `kind`, if any.
    pub fn get(&self, kind: &str) -> Option<&Job> {
        self.running.iter().find(|j| j.kind == kind && !j.is_finished())
    }

    /// Starts `work` on a thread with its own connection. Returns `None` (and starts
    /// nothing) while a job of the same kind runs.
    pub fn start(
        &mut self,
        kind: &'static str,
        title: impl Into<String>,
        stop: Stop,
        work: impl FnOnce(&mut Project, &JobProgress, &AtomicBool) -> Apply + Send + 'static,
    ) -> Option<u64> {
        self.running.retain(|j| !j.is_finished());
        if self.is_running(kind) {
            return None;
        }
        let job = Job {
            id: self.next_id,
            title: title.into(),
            kind,
            progress: Arc::default(),
            cancel: Arc::default(),
            stop,
            started: Instant::now(),
            finished: Arc::default(),
            interrupter: Arc::default(),
        };
        self.next_id += 1;
        let (progress, cancel, finished, interrupter) = (
            Arc::clone(&job.progress),
            Arc::clone(&job.cancel),
            Arc::clone(&job.finished),
            Arc::clone(&job.interrupter),
        );
        let (file, applies, ctx) = (self.file.clone(), self.applies.clone(), self.ctx.clone());
        let title = job.title.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("sift-lab-job-{kind}"))
            .spawn(move || {
                let apply: Apply = match Project::open(&file) {
                    Ok(mut project) => {
                        *interrupter.lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(project.interrupter());
                        let apply = work(&mut project, progress.as_ref(), cancel.as_ref());
                        *interrupter.lock().unwrap_or_else(PoisonError::into_inner) = None;
                        apply
                    }
                    Err(e) => {
                        let text = format!("{title}: cannot open the project: {}", message(&e));
                        Box::new(move |views: &mut Views| views.banner_error(text))
                    }
                };
                finished.store(true, Ordering::Release);
                let _ = applies.send(apply);
                ctx.request_repaint();
            });
        if let Err(e) = spawned {
            let text = format!("cannot start a thread for {}: {e}", job.title);
            let _ = self
                .applies
                .send(Box::new(move |views: &mut Views| views.banner_error(text)));
            return None;
        }
        let id = job.id;
        self.running.push(job);
        Some(id)
    }

    /// Asks job `id` to stop (see [`Stop`]).
    pub fn cancel(&self, id: u64) {
        let Some(job) = self.running.iter().find(|j| j.id == id) else {
            return;
        };
        if job.stop == Stop::Never || job.cancel.swap(true, Ordering::AcqRel) {
            return;
        }
        if job.stop == Stop::Interrupt {
            // An idle connection ignores an interrupt, so keep interrupting until the job's
            // running statement takes it and the job ends.
            let (finished, interrupter) = (Arc::clone(&job.finished), Arc::clone(&job.interrupter));
            let _ = std::thread::Builder::new()
                .name("sift-lab-cancel".into())
                .spawn(move || {
                    let deadline = Instant::now() + Duration::from_secs(60);
                    while !finished.load(Ordering::Acquire) && Instant::now() < deadline {
                        if let Some(i) = interrupter
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .as_ref()
                        {
                            i.interrupt();
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    }
                });
        }
    }

    /// Forgets finished jobs.
    pub fn prune(&mut self) {
        self.running.retain(|j| !j.is_finished());
    }
}
