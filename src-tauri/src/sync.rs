//! S3 sync from the window. The work is `sift_api`'s (`Project::sync_round`, which pushes and
//! pulls in the order the role needs, and `sync_status`) and `sift-s3` moves the bytes; this
//! module connects them to the commands: which object store to reach ([`Syncer`]), and
//! progress sent to the page through a Tauri channel ([`ChannelProgress`]). Transfers run on a
//! blocking thread, with a connection to the project of their own, so the window and the
//! labeling commands stay live. Credentials never pass through here: the AWS chain
//! (environment, `~/.aws` files, the profile, SSO) supplies them to `sift-s3`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use sift_api::{
    ObjectStore, Progress, Project, RemoteError, SyncConfig, SyncDirection, SyncOptions, SyncReport,
    SyncRole, SyncStatus,
};
use sift_error::Code;

use crate::error::CommandError;

/// Opens the object store a configuration names.
pub type Connect = dyn Fn(&SyncConfig) -> Result<Box<dyn ObjectStore>, RemoteError> + Send + Sync;

/// How the desktop reaches the object store (S3 in the app; tests put a stand-in in its
/// place), and whether a sync is running.
pub struct Syncer {
    connect: Arc<Connect>,
    running: Arc<AtomicBool>,
}

impl std::fmt::Debug for Syncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syncer")
            .field("running", &self.running.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Syncer {
    pub fn new(
        connect: impl Fn(&SyncConfig) -> Result<Box<dyn ObjectStore>, RemoteError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            connect: Arc::new(connect),
            running: Arc::default(),
        }
    }

    /// How a configuration is connected (restoring from a backup reaches its bucket the
    /// same way; see [`crate::recovery`]).
    pub fn connector(&self) -> Arc<Connect> {
        Arc::clone(&self.connect)
    }

    /// S3 (or an S3-compatible store) through `sift-s3`, tuned from `SIFT_S3_*`.
    pub fn s3() -> Self {
        Self::new(|config| {
            let store = sift_s3::S3Store::connect(config, sift_s3::Tuning::from_env())?;
            Ok(Box::new(store) as Box<dyn ObjectStore>)
        })
    }

    /// What is waiting in each direction (lists the store; transfers nothing).
    pub async fn status(&self, project: Project) -> Result<SyncStatus, CommandError> {
        let connect = Arc::clone(&self.connect);
        blocking(move || {
            let config = project.require_sync_config()?;
            let remote = connect(&config).map_err(sift_api::Error::from)?;
            Ok(project.sync_status(remote.as_ref())?)
        })
        .await
    }

    /// Pushes and pulls in the order the role needs; one report per direction, in run order.
    /// A second sync while one runs is refused.
    pub async fn sync_now(
        &self,
        project: Project,
        progress: ChannelProgress,
    ) -> Result<Vec<SyncReport>, CommandError> {
        if self.running.swap(true, Ordering::AcqRel) {
            return Err(CommandError::new(
                Code::Conflict,
                "a sync is already running: wait for it to finish",
            ));
        }
        let running = Running(Arc::clone(&self.running));
        let connect = Arc::clone(&self.connect);
        blocking(move || {
            let _running = running;
            run(project, connect.as_ref(), &progress)
        })
        .await
    }
}

/// Clears the running flag when the sync's thread is done with it, however it ends.
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Runs `work` on a blocking thread (never on the UI thread or an async worker: `sift-s3`
/// drives its own runtime).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::new(Code::Internal, format!("the sync stopped unexpectedly: {e}")))?
}

/// Connects, then runs a round ([`Project::sync_round`]); progress names each direction.
fn run(
    mut project: Project,
    connect: &Connect,
    progress: &ChannelProgress,
) -> Result<Vec<SyncReport>, CommandError> {
    let config = project.require_sync_config()?;
    progress.step(None, "connecting");
    let remote = connect(&config).map_err(sift_api::Error::from)?;
    let reports = project
        .sync_round(remote.as_ref(), &SyncOptions::default(), progress, |direction| {
            progress.step(Some(direction), "");
        })
        .map_err(|e| {
            // The message says what the direction before the failure moved.
            let mut error = CommandError::from(&e.error);
            error.message = e.to_string();
            error
        })?;
    progress.step(None, "done");
    Ok(reports)
}

/// One progress message: `{direction, phase, position, total}`. `direction` is `null` before
/// the first direction starts (`phase: "connecting"`) and after the last (`phase: "done"`);
/// `phase` is empty when a direction begins, before the API names a phase; `total` is
/// `null` when unknown (the bar is then indeterminate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    pub direction: Option<SyncDirection>,
    pub phase: String,
    pub position: u64,
    pub total: Option<u64>,
}

/// Where progress messages go (the page's channel).
pub type Sink = Box<dyn Fn(&SyncProgress) + Send + Sync>;

/// Sends `sift_api` progress to the page. Positions arrive from many transfer threads, so
/// they are sent at most every [`ChannelProgress::INTERVAL`] (and always at a phase's start
/// and end).
pub struct ChannelProgress {
    sink: Sink,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    current: SyncProgress,
    last_sent: Option<Instant>,
}

impl std::fmt::Debug for ChannelProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelProgress").finish_non_exhaustive()
    }
}

impl ChannelProgress {
    /// Positions closer together than this are not sent (a phase's start and end always are).
    pub const INTERVAL: Duration = Duration::from_millis(100);

    pub fn new(sink: impl Fn(&SyncProgress) + Send + Sync + 'static) -> Self {
        Self {
            sink: Box::new(sink),
            state: Mutex::new(State {
                current: SyncProgress {
                    direction: None,
                    phase: String::new(),
                    position: 0,
                    total: None,
                },
                last_sent: None,
            }),
        }
    }

    /// Sends nothing (no channel was given).
    pub fn none() -> Self {
        Self::new(|_| {})
    }

    /// Sends every message as JSON through a Tauri channel.
    pub fn channel(channel: tauri::ipc::Channel<Value>) -> Self {
        Self::new(move |p| {
            if let Ok(v) = serde_json::to_value(p) {
                // The page may be gone (reloaded): the sync goes on without it.
                let _ = channel.send(v);
            }
        })
    }

    fn update(&self, force: bool, change: impl FnOnce(&mut SyncProgress)) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut state.current);
        let now = Instant::now();
        let due = state
            .last_sent
            .is_none_or(|t| now.duration_since(t) >= Self::INTERVAL);
        if force || due {
            state.last_sent = Some(now);
            (self.sink)(&state.current);
        }
    }

    /// A direction begins (or, with `None`, the sync connects or is done).
    fn step(&self, direction: Option<SyncDirection>, phase: &str) {
        self.update(true, |p| {
            *p = SyncProgress {
                direction,
                phase: phase.to_owned(),
                position: 0,
                total: None,
            };
        });
    }
}

impl Progress for ChannelProgress {
    fn start(&self, phase: &str, total: Option<u64>) {
        self.update(true, |p| {
            phase.clone_into(&mut p.phase);
            p.position = 0;
            p.total = total;
        });
    }

    fn set_position(&self, position: u64) {
        self.update(false, |p| p.position = position);
    }

    fn finish(&self) {
        self.update(true, |p| {
            if let Some(total) = p.total {
                p.position = total;
            }
        });
    }
}

/// The page's progress channel, when `sync_now` was given one (`{on_progress}`).
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncNowArgs {
    #[serde(default)]
    pub on_progress: Option<tauri::ipc::JavaScriptChannelId>,
}

impl std::fmt::Debug for SyncNowArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncNowArgs")
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

/// The configuration `save_sync_settings` takes: every field of [`SyncConfig`] and nothing
/// else, so that credentials (an access key, a secret) are refused by name rather than
/// silently dropped.
pub fn parse_config(value: &Value) -> Result<SyncConfig, CommandError> {
    let bad = |m: String| CommandError::new(Code::InvalidInput, format!("save_sync_settings: {m}"));
    let Value::Object(given) = value else {
        return Err(bad("expected {config: {bucket, prefix, ...}}".into()));
    };
    let config = given.get("config").cloned().unwrap_or(Value::Null);
    if let Some(extra) = given.keys().find(|k| *k != "config") {
        return Err(bad(format!("unknown argument `{extra}`")));
    }
    let parsed: SyncConfig = serde_json::from_value(config.clone()).map_err(|e| bad(e.to_string()))?;
    let known = serde_json::to_value(&parsed).map_err(|e| bad(e.to_string()))?;
    if let (Value::Object(fields), Value::Object(known)) = (&config, &known)
        && let Some(extra) = fields.keys().find(|k| !known.contains_key(*k))
    {
        return Err(bad(format!(
            "unknown field `{extra}`: credentials are never stored in the project; \
             they come from the AWS environment or profile"
        )));
    }
    Ok(parsed)
}

/// What `save_sync_settings` stores: the form's values trimmed (empty optional fields
/// become `null`), and who this project is in the sync kept — a lead's settings cannot turn
/// it into an annotator's (that project is made by joining), nor rename its annotator. The
/// annotators' results buckets (set with `sift sync config --results-bucket`) are kept when
/// the form does not send them.
pub fn settings_to_save(
    current: Option<&SyncConfig>,
    mut new: SyncConfig,
) -> Result<SyncConfig, CommandError> {
    if new.results_buckets.is_none() {
        new.results_buckets = current.and_then(|c| c.results_buckets.clone());
    }
    if let Some(current) = current {
        if new.role != current.role || new.annotator != current.annotator {
            return Err(CommandError::new(
                Code::InvalidInput,
                "the sync role and annotator of a project cannot be changed; \
                 an annotator's project is made with `sift sync join`",
            ));
        }
    } else if new.role == SyncRole::Annotator {
        return Err(CommandError::new(
            Code::InvalidInput,
            "an annotator's project is made by joining the lead's (`sift sync join`); \
             set up sync here as the lead",
        ));
    }
    Ok(new.normalized())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn progress_is_thinned_but_every_phase_starts_and_ends() {
        let sent: Arc<Mutex<Vec<SyncProgress>>> = Arc::default();
        let log = Arc::clone(&sent);
        let p = ChannelProgress::new(move |m| log.lock().unwrap().push(m.clone()));
        p.step(Some(SyncDirection::Push), "");
        p.start("uploading media", Some(1000));
        for b in 1..=999 {
            p.set_position(b);
        }
        p.finish();
        let sent = sent.lock().unwrap();
        assert!(sent.len() < 10, "{} messages", sent.len());
        assert_eq!(sent[0].direction, Some(SyncDirection::Push));
        assert_eq!(sent[1].phase, "uploading media");
        assert_eq!((sent[1].position, sent[1].total), (0, Some(1000)));
        let last = sent.last().unwrap();
        assert_eq!((last.position, last.total), (1000, Some(1000)));
        assert_eq!(last.direction, Some(SyncDirection::Push));
    }

    #[test]
    fn one_sync_at_a_time_and_the_flag_clears_however_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../labeling-templates/qa.toml");
        let project = sift_api::init_project(&dir.path().join("p"), &template, None).unwrap();
        project
            .set_sync_config(&SyncConfig {
                region: Some("garage".into()),
                endpoint: Some("http://127.0.0.1:3900".into()),
                path_style: true,
                ..SyncConfig::new("team-labels", SyncRole::Lead)
            })
            .unwrap();
        let file = dir.path().join("p/project.sift");
        let (entered_tx, entered) = std::sync::mpsc::channel::<()>();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (entered_tx, released) = (Mutex::new(entered_tx), Mutex::new(released));
        let syncer = Arc::new(Syncer::new(move |_| {
            entered_tx.lock().unwrap().send(()).unwrap();
            released.lock().unwrap().recv().unwrap();
            Err(RemoteError::new(
                sift_api::RemoteErrorKind::Unreachable,
                "nobody there",
            ))
        }));
        let first = {
            let (syncer, file) = (Arc::clone(&syncer), file.clone());
            std::thread::spawn(move || {
                tauri::async_runtime::block_on(
                    syncer.sync_now(Project::open(&file).unwrap(), ChannelProgress::none()),
                )
            })
        };
        entered.recv().unwrap();
        let second = tauri::async_runtime::block_on(
            syncer.sync_now(Project::open(&file).unwrap(), ChannelProgress::none()),
        );
        assert_eq!(second.unwrap_err().code, Code::Conflict);
        release.send(()).unwrap();
        let e = first.join().unwrap().unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::Unavailable, "nobody there"));
        // Free again after the failure.
        release.send(()).unwrap();
        let third = tauri::async_runtime::block_on(
            syncer.sync_now(Project::open(&file).unwrap(), ChannelProgress::none()),
        );
        assert_eq!(third.unwrap_err().code, Code::Unavailable);
    }

    #[test]
    fn settings_keep_the_role_and_are_trimmed() {
        let lead = SyncConfig {
            prefix: "/a/b/".into(),
            region: Some(" ".into()),
            endpoint: Some("http://127.0.0.1:3900 ".into()),
            path_style: true,
            profile: Some(String::new()),
            ..SyncConfig::new(" team-labels ", SyncRole::Lead)
        };
        let saved = settings_to_save(None, lead.clone()).unwrap();
        assert_eq!(saved.bucket, "team-labels");
        assert_eq!(saved.prefix, "a/b");
        assert_eq!(saved.region, None);
        assert_eq!(saved.endpoint.as_deref(), Some("http://127.0.0.1:3900"));
        assert_eq!(saved.profile, None);
        let annotator = SyncConfig {
            role: SyncRole::Annotator,
            annotator: Some("ann".into()),
            ..lead.clone()
        };
        assert!(settings_to_save(None, annotator.clone()).is_err());
        assert!(settings_to_save(Some(&saved), annotator.clone()).is_err());
        assert!(settings_to_save(Some(&annotator), lead).is_err());
        let renamed = SyncConfig {
            annotator: Some("bob".into()),
            ..annotator.clone()
        };
        assert!(settings_to_save(Some(&annotator), renamed).is_err());
        assert!(settings_to_save(Some(&annotator), annotator.clone()).is_ok());
    }

    #[test]
    fn the_form_keeps_the_results_buckets_set_on_the_command_line() {
        let buckets = Some([("ann".to_owned(), "team-labels-ann".to_owned())].into());
        let current = SyncConfig {
            results_buckets: buckets.clone(),
            ..SyncConfig::new("team-labels", SyncRole::Lead)
        };
        let form = SyncConfig {
            prefix: "week-2".into(),
            ..SyncConfig::new("team-labels", SyncRole::Lead)
        };
        let saved = settings_to_save(Some(&current), form).unwrap();
        assert_eq!(
            (saved.prefix.as_str(), saved.results_buckets),
            ("week-2", buckets)
        );
    }
}
