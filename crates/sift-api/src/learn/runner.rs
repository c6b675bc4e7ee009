//! Rounds without stopping work: a background thread that retrains, rescores and requeues
//! after every N new submitted labels while people keep labeling.
//!
//! The runner opens its own connection to the project file, so the adapter's connection (the
//! server's, the desktop app's) keeps serving annotators while a round runs: SQLite's WAL lets
//! them read throughout, and every write of a round is a short transaction (predictions and
//! scores in chunks, the new queue order in one). A round touches only the learned order of
//! never-started, unassigned items, so nobody's draft, returned work, assigned batch or
//! position changes; an annotator's next new item follows the newest order.
//!
//! An adapter starts it with [`LearnRunner::start`] (N from the `learn.every` setting or its
//! own option) and stops it with [`LearnRunner::stop`] (also on drop).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::command::{CommandReport, ModelRuntime};
use super::{LearnOptions, LearnReport};
use crate::{Error, NoProgress, Project, Result};

/// The project setting: retrain after every this many new submitted labels.
pub const SETTING_EVERY: &str = "learn.every";

/// What the runner tells its adapter.
#[derive(Debug)]
pub enum RunnerEvent {
    /// The runner is watching; `labels` are submitted now.
    Started {
        /// Submitted labels when the runner started.
        labels: u64,
        /// Labels per round: a round starts after this many more.
        every: u64,
    },
    /// A head was trained in process and the queue follows it.
    Trained(Box<LearnReport>),
    /// The training command registered a version and the queue follows it.
    CommandTrained(Box<CommandReport>),
    /// A round could not train yet (too few labels, one class, nothing new); the runner waits
    /// for N more labels.
    Skipped(String),
    /// A round failed (the previous version stays in use); the runner goes on.
    Failed(String),
}

/// The settings of a runner.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Retrain after every this many new submitted labels (at least 1).
    pub every: u64,
    /// How each round trains (features, strategy, validation), as for `sift learn`.
    pub options: LearnOptions,
    /// How often the label count is looked at.
    pub poll: Duration,
    /// Train once at start when there are labels the newest head has not seen.
    pub train_at_start: bool,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            every: 50,
            options: LearnOptions::default(),
            poll: Duration::from_millis(500),
            train_at_start: true,
        }
    }
}

/// A running background learner; stops when dropped.
#[derive(Debug)]
pub struct LearnRunner {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// The `learn.every` setting of the project at `path`, if set.
pub fn every_setting(project: &Project) -> Result<Option<u64>> {
    match project.store.setting(SETTING_EVERY)? {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                Error::BadRequest(format!(
                    "project setting {SETTING_EVERY} = {v:?} is not a positive number"
                ))
            }),
    }
}

impl LearnRunner {
    /// Starts rounds on the project at `path` (folder or file) in a background thread. With a
    /// `runtime`, a project that names a training command retrains through it; without one,
    /// such a project's rounds fail with a message saying so. `on_event` hears every round.
    ///
    /// # Errors
    /// `every` of 0, or a project that cannot be opened.
    pub fn start(
        path: &Path,
        settings: RunnerSettings,
        runtime: Option<Box<dyn ModelRuntime + Send>>,
        mut on_event: impl FnMut(RunnerEvent) + Send + 'static,
    ) -> Result<Self> {
        if settings.every == 0 {
            return Err(Error::BadRequest("--every must be at least 1".into()));
        }
        // Open once here so a wrong path fails at once, not in the thread.
        let project = Project::open(path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("sift-learn-runner".into())
            .spawn(move || {
                let mut project = project;
                run(&mut project, &settings, runtime.as_deref(), &flag, &mut on_event);
            })
            .map_err(|e| Error::Internal(format!("cannot start the learning thread: {e}")))?;
        Ok(Self {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops after the round in progress (if any) and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Whether the thread is still running.
    pub fn is_running(&self) -> bool {
        self.handle.as_ref().is_some_and(|h| !h.is_finished())
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            // An error is the thread's panic, already printed by the panic hook; the thread
            // returns nothing else, and stopping (also from `drop`) must not panic in turn.
            let _ = h.join();
        }
    }
}

impl Drop for LearnRunner {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(
    project: &mut Project,
    settings: &RunnerSettings,
    runtime: Option<&(dyn ModelRuntime + Send)>,
    stop: &AtomicBool,
    on_event: &mut impl FnMut(RunnerEvent),
) {
    let count = |p: &Project| p.store.count_submitted_labels();
    let mut last = match count(project) {
        Ok(n) => n,
        Err(e) => {
            on_event(RunnerEvent::Failed(format!("cannot count labels: {e}")));
            return;
        }
    };
    on_event(RunnerEvent::Started {
        labels: last,
        every: settings.every,
    });
    let mut due = settings.train_at_start && last > 0;
    while !stop.load(Ordering::SeqCst) {
        if !due {
            sleep_unless_stopped(settings.poll, stop);
            match count(project) {
                Ok(n) => due = n >= last + settings.every,
                // Busy: another writer holds the file; look again at the next poll.
                Err(_) => continue,
            }
            if !due {
                continue;
            }
        }
        due = false;
        last = count(project).unwrap_or(last);
        on_event(round(project, settings, runtime, stop));
    }
}

fn round(
    project: &mut Project,
    settings: &RunnerSettings,
    runtime: Option<&(dyn ModelRuntime + Send)>,
    stop: &AtomicBool,
) -> RunnerEvent {
    let command = match project.training_command() {
        Ok(c) => c,
        Err(e) => return RunnerEvent::Failed(e.to_string()),
    };
    let outcome = match (command, runtime) {
        (Some(command), Some(runtime)) => project
            .learn_with_command(&settings.options, &command, runtime, &NoProgress, stop)
            .map(|r| RunnerEvent::CommandTrained(Box::new(r))),
        (Some(_), None) => Err(Error::Unavailable(
            "the project names a training command, but this program has no model runtime to check and score its model"
                .into(),
        )),
        (None, _) => project
            .learn(&settings.options, &NoProgress)
            .map(|r| RunnerEvent::Trained(Box::new(r))),
    };
    match outcome {
        Ok(event) => event,
        Err(e @ (Error::BadRequest(_) | Error::Conflict(_))) if !is_command_failure(&e) => {
            RunnerEvent::Skipped(e.to_string())
        }
        Err(e) => RunnerEvent::Failed(e.to_string()),
    }
}

fn is_command_failure(e: &Error) -> bool {
    e.to_string().contains("training command")
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(20);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::SeqCst) {
        let d = left.min(step);
        std::thread::sleep(d);
        left -= d;
    }
}
