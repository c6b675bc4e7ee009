//! The shipper a writing process runs: a background thread with its own connection to the
//! project file, woken by the commit hook of the process's connection and debounced (one
//! pass ships every commit of the last [`DEBOUNCE`]), so a save never waits for the network.
//! A failed pass is retried with a growing pause; captured changes wait in the file
//! meanwhile (a crash loses nothing: whoever ships next sends them). Every
//! [`IDLE_CHECK`] without a commit it also looks for changes other processes left unshipped
//! (a few rows read, never the whole file). Dropping the shipper ships what is left first.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use sift_store::Store;

use super::{BackupConfig, ShipReport, ship_pending};
use crate::sync::ObjectStore;
use crate::{Project, Result};

/// How long after a commit the shipper waits for more before it ships.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// How often an idle shipper looks for changes another process left.
pub const IDLE_CHECK: Duration = Duration::from_secs(5);

enum Msg {
    Commit,
    Flush(Sender<()>),
    Stop,
}

/// What the shipper did last, for status displays.
#[derive(Debug, Clone, Default)]
pub struct ShipperState {
    /// The last pass's report.
    pub last: Option<ShipReport>,
    /// The last failure, until a pass succeeds.
    pub error: Option<String>,
}

/// A running background shipper. Dropping it ships what is left and stops the thread.
#[derive(Debug)]
pub struct Shipper {
    tx: Sender<Msg>,
    handle: Option<JoinHandle<()>>,
    state: Arc<Mutex<ShipperState>>,
}

impl Shipper {
    /// Starts shipping `project`'s changes to `remote` when backup is on for it (`None`
    /// otherwise), and hooks its commits.
    pub fn start_for(project: &mut Project, remote: Box<dyn ObjectStore + Send>) -> Result<Option<Shipper>> {
        let Some(config) = project.backup_config()? else {
            return Ok(None);
        };
        if !project.backup_enabled()? {
            return Ok(None);
        }
        let shipper = Shipper::start(project.store.path(), remote, config)?;
        project.set_commit_hook(Some(shipper.signal().hook()))?;
        Ok(Some(shipper))
    }

    /// Starts a shipper for the project file `file` (its own connection).
    pub fn start(file: &Path, remote: Box<dyn ObjectStore + Send>, config: BackupConfig) -> Result<Shipper> {
        let store = Store::open(file)?;
        store.backup_shipper_connection()?;
        let (tx, rx) = bounded::<Msg>(64);
        let state = Arc::new(Mutex::new(ShipperState::default()));
        let thread_state = Arc::clone(&state);
        let path = file.to_owned();
        let handle = std::thread::Builder::new()
            .name("sift-backup".into())
            .spawn(move || run(store, remote.as_ref(), &config, &rx, &thread_state, &path))
            .map_err(|e| crate::Error::Internal(format!("cannot start the backup thread: {e}")))?;
        // Ship whatever earlier runs left.
        let _ = tx.try_send(Msg::Commit);
        Ok(Shipper {
            tx,
            handle: Some(handle),
            state,
        })
    }

    /// A commit hook that wakes this shipper (never blocks; lets the commit go ahead).
    pub fn notifier(&self) -> impl FnMut() -> bool + Send + 'static {
        self.signal().hook()
    }

    /// A handle that wakes this shipper, for another connection to the same file (e.g. the
    /// one `sift serve` opens): install [`CommitSignal::hook`] as its commit hook.
    pub fn signal(&self) -> CommitSignal {
        CommitSignal { tx: self.tx.clone() }
    }

    /// Ships everything captured so far and waits for it.
    pub fn flush(&self) {
        let (done_tx, done_rx) = bounded(1);
        if self.tx.send(Msg::Flush(done_tx)).is_ok() {
            let _ = done_rx.recv();
        }
    }

    /// What the shipper did last.
    pub fn state(&self) -> ShipperState {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Wakes a [`Shipper`] after a commit; cheap to clone. A stopped shipper ignores it.
#[derive(Clone)]
pub struct CommitSignal {
    tx: Sender<Msg>,
}

impl std::fmt::Debug for CommitSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitSignal")
    }
}

impl CommitSignal {
    /// A commit hook (see [`Project::set_commit_hook`]) that wakes the shipper and lets the
    /// commit go ahead; it never blocks.
    pub fn hook(&self) -> Box<dyn FnMut() -> bool + Send> {
        let tx = self.tx.clone();
        Box::new(move || {
            // A full queue already holds a wake-up.
            let _ = tx.try_send(Msg::Commit);
            false
        })
    }
}

impl Drop for Shipper {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn owner() -> String {
    format!("pid-{}-{:x}", std::process::id(), sift_store::backup::now_ms())
}

fn run(
    mut store: Store,
    remote: &dyn ObjectStore,
    config: &BackupConfig,
    rx: &Receiver<Msg>,
    state: &Mutex<ShipperState>,
    path: &Path,
) {
    let owner = owner();
    let mut backoff = Duration::ZERO;
    let pass = |store: &mut Store| {
        let result = ship_pending(store, remote, config, &owner);
        let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(report) => {
                s.last = Some(report);
                s.error = None;
                true
            }
            Err(e) => {
                s.error = Some(format!("backup of {}: {e}", path.display()));
                false
            }
        }
    };
    loop {
        let wait = if backoff.is_zero() { IDLE_CHECK } else { backoff };
        let msg = match rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => Msg::Commit,
            Err(RecvTimeoutError::Disconnected) => Msg::Stop,
        };
        match msg {
            Msg::Commit => {
                std::thread::sleep(DEBOUNCE);
                // Everything queued meanwhile is covered by this pass, except a stop or flush.
                let mut pending = Vec::new();
                while let Ok(m) = rx.try_recv() {
                    if !matches!(m, Msg::Commit) {
                        pending.push(m);
                    }
                }
                let ok = pass(&mut store);
                backoff = if ok {
                    Duration::ZERO
                } else {
                    (backoff * 2).clamp(Duration::from_secs(1), Duration::from_secs(60))
                };
                for m in pending {
                    match m {
                        Msg::Flush(done) => {
                            pass(&mut store);
                            let _ = done.send(());
                        }
                        Msg::Stop => {
                            pass(&mut store);
                            return;
                        }
                        Msg::Commit => {}
                    }
                }
            }
            Msg::Flush(done) => {
                pass(&mut store);
                let _ = done.send(());
            }
            Msg::Stop => {
                pass(&mut store);
                return;
            }
        }
    }
}
