//! The Tauri commands. Each command of `sift_api`'s table is its own command, a thin
//! adapter that hands the UI's argument object to `Project::call` for the local user — the
//! same table `POST /api/<command>` dispatches through in `sift serve`, with the same JSON
//! in and out — so the UI's client only swaps its transport. A few desktop-only commands
//! choose the project, sync it with S3 (see [`crate::sync`]), restore it from its backup
//! (see [`crate::recovery`]) or open it in the Lab (see
//! [`crate::lab`]). Every command needs an `allow-<name>` grant (see `build.rs` and
//! `capabilities/default.json`).

// Tauri hands commands their `State`, `AppHandle` and arguments by value.
#![allow(clippy::needless_pass_by_value)]

use std::path::PathBuf;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sift_api::{Me, SyncConfig, SyncReport, SyncStatus};
use sift_error::Code;
use tauri::ipc::{CommandArg, CommandItem, InvokeBody, InvokeError};
use tauri::{AppHandle, Manager, Runtime, State, Webview};

use crate::desktop::{Desktop, NewProjectArgs};
use crate::error::CommandError;
use crate::lab::LabLauncher;
use crate::recent::RecentProject;
use crate::recovery::{RecoveryCandidate, RestoredProject};
use crate::sync::{ChannelProgress, SyncNowArgs, Syncer};

/// The whole argument object of an `invoke(command, args)`, as `POST /api/<command>` gets
/// it in its body: the API crate's argument types (exported to TypeScript) parse it.
#[derive(Debug, Clone, Default)]
pub struct Args(pub Value);

impl<'de, R: Runtime> CommandArg<'de, R> for Args {
    fn from_command(command: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        match command.message.payload() {
            InvokeBody::Json(value) => Ok(Args(value.clone())),
            InvokeBody::Raw(_) => Err(InvokeError::from(CommandError::new(
                Code::InvalidInput,
                format!("{}: expected a JSON object of arguments", command.name),
            ))),
        }
    }
}

impl Args {
    fn parse<T: DeserializeOwned>(self, command: &str) -> Result<T, CommandError> {
        let value = if self.0.is_null() {
            Value::Object(Default::default())
        } else {
            self.0
        };
        serde_json::from_value(value)
            .map_err(|e| CommandError::new(Code::InvalidInput, format!("{command}: {e}")))
    }
}

/// How the native file dialog is shown; tests put a stand-in in its place.
pub struct Picker(Box<dyn Fn(Pick) -> Option<PathBuf> + Send + Sync>);

/// What to pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    ProjectFolder,
    Manifest,
}

impl Picker {
    pub fn new(f: impl Fn(Pick) -> Option<PathBuf> + Send + Sync + 'static) -> Self {
        Self(Box::new(f))
    }

    pub fn pick(&self, what: Pick) -> Option<PathBuf> {
        (self.0)(what)
    }
}

impl std::fmt::Debug for Picker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Picker")
    }
}

// ------------------------------------------------------------ the labeling UI's commands

/// One Tauri command per command of the labeling UI's table (`sift_api::ui_commands!`),
/// each handing its argument object to `Project::call` for the local user.
macro_rules! api_commands {
    ($( $(#[doc = $doc:expr])* $name:ident($args:ty) -> $result:ty [$($role:ident),*] $mode:ident; )*) => {$(
        $(#[doc = $doc])*
        #[tauri::command(async)]
        pub fn $name(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
            desktop.call(stringify!($name), args.0)
        }
    )*};
}
sift_api::ui_commands!(api_commands);

// ------------------------------------------------------------ desktop only: which project

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenArgs {
    path: PathBuf,
}

/// Opens a project folder (`{path}`) and returns `me` for it. The UI reloads its state.
#[tauri::command(async)]
pub fn open_project<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    args: Args,
) -> Result<Me, CommandError> {
    let OpenArgs { path } = args.parse("open_project")?;
    let me = desktop.open(&path)?;
    crate::shell::project_changed(&app);
    Ok(me)
}

/// Creates a project (`{folder, template, name?, manifest?}`), imports the manifest when
/// given, opens it and returns `me` for it.
#[tauri::command(async)]
pub fn create_project<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    args: Args,
) -> Result<Me, CommandError> {
    let new: NewProjectArgs = args.parse("create_project")?;
    let me = desktop.create(&new)?;
    crate::shell::project_changed(&app);
    Ok(me)
}

/// The recent projects, most recent first.
#[tauri::command(async)]
pub fn recent_projects(desktop: State<'_, Desktop>) -> Result<Vec<RecentProject>, CommandError> {
    Ok(desktop.recent())
}

/// Shows the native folder dialog; `null` when cancelled.
#[tauri::command(async)]
pub fn pick_project_folder(picker: State<'_, Picker>) -> Result<Option<PathBuf>, CommandError> {
    Ok(picker.pick(Pick::ProjectFolder))
}

/// Shows the native file dialog for a manifest to import; `null` when cancelled.
#[tauri::command(async)]
pub fn pick_manifest_file(picker: State<'_, Picker>) -> Result<Option<PathBuf>, CommandError> {
    Ok(picker.pick(Pick::Manifest))
}

// ------------------------------------------------------------ desktop only: S3 sync

/// The open project's sync configuration, or `null` when sync is not set up. It never holds
/// credentials: those come from the AWS chain (environment, `~/.aws` files, profile, SSO).
#[tauri::command(async)]
pub fn sync_settings(desktop: State<'_, Desktop>) -> Result<Option<SyncConfig>, CommandError> {
    desktop.sync_config()
}

/// Checks and saves the sync configuration (`{config}`) and returns it as stored. Fields
/// that are not part of it (an access key, a secret) are refused, never stored.
#[tauri::command(async)]
pub fn save_sync_settings(desktop: State<'_, Desktop>, args: Args) -> Result<SyncConfig, CommandError> {
    let given = crate::sync::parse_config(&args.0)?;
    let config = crate::sync::settings_to_save(desktop.sync_config()?.as_ref(), given)?;
    desktop.set_sync_config(&config)?;
    Ok(config)
}

/// What is waiting to be pushed and pulled (lists the store on a blocking thread).
#[tauri::command]
pub async fn sync_status(
    desktop: State<'_, Desktop>,
    sync: State<'_, Syncer>,
) -> Result<SyncStatus, CommandError> {
    let project = desktop.open_again()?;
    sync.status(project).await
}

/// Pushes and pulls in the order the project's role needs (annotator: push then pull; lead:
/// pull then push) on a blocking thread, sending `{direction, phase, position, total}`
/// through the channel `{on_progress}`; returns one report per direction, in run order.
#[tauri::command]
pub async fn sync_now<R: Runtime>(
    webview: Webview<R>,
    desktop: State<'_, Desktop>,
    sync: State<'_, Syncer>,
    args: Args,
) -> Result<Vec<SyncReport>, CommandError> {
    let SyncNowArgs { on_progress } = args.parse("sync_now")?;
    let progress = on_progress.map_or_else(ChannelProgress::none, |id| {
        ChannelProgress::channel(id.channel_on(webview))
    });
    let project = desktop.open_again()?;
    sync.sync_now(project, progress).await
}

// ------------------------------------------------------------ desktop only: recovery

/// The recent projects whose folder is gone but whose bucket holds a backup of them (each
/// with the backup's location and the time of its newest change, or why the bucket could
/// not be asked); see [`crate::recovery`].
#[tauri::command]
pub async fn recovery_candidates(
    desktop: State<'_, Desktop>,
    sync: State<'_, Syncer>,
) -> Result<Vec<RecoveryCandidate>, CommandError> {
    crate::recovery::candidates(desktop.recent(), sync.connector()).await
}

/// Restores the recent project in `{path}` (its folder gone, its backup known) from its
/// bucket into that folder on a blocking thread, turns its backup on again, opens it and
/// returns `me` with the restore's report. Only a folder of the recent list is accepted.
#[tauri::command]
pub async fn restore_project<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    sync: State<'_, Syncer>,
    args: Args,
) -> Result<RestoredProject, CommandError> {
    let OpenArgs { path } = args.parse("restore_project")?;
    let entry = desktop
        .recent()
        .into_iter()
        .find(|e| e.path == path)
        .ok_or_else(|| {
            CommandError::new(
                Code::NotFound,
                format!("{} is not one of the recent projects", path.display()),
            )
        })?;
    let recovered = crate::recovery::restore(entry, sync.connector()).await?;
    // Opening starts the backup shipper, whose S3 client drives a runtime of its own: on a
    // blocking thread, never on an async worker.
    let handle = app.clone();
    let me = crate::recovery::blocking(move || {
        let me = handle.state::<Desktop>().open(&path)?;
        crate::shell::project_changed(&handle);
        Ok(me)
    })
    .await?;
    Ok(RestoredProject {
        me,
        changes: recovered.report.changes,
        last_change_ms: recovered.report.last_change_ms,
        problems: recovered.report.problems,
        backup_resumed: recovered.backup_resumed,
    })
}

// ------------------------------------------------------------ desktop only: the Lab

/// What *Open in Lab* started.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LabStarted {
    /// The `sift-lab` program that was started.
    pub program: PathBuf,
    /// The project folder it was given.
    pub project: PathBuf,
}

/// Starts the Lab (`sift-lab PROJECT_FOLDER`) on the open project, for a lead of it.
#[tauri::command(async)]
pub fn open_in_lab(
    desktop: State<'_, Desktop>,
    lab: State<'_, LabLauncher>,
) -> Result<LabStarted, CommandError> {
    let project = desktop.folder_for_lab()?;
    let program = lab.launch(&project)?;
    Ok(LabStarted { program, project })
}

/// `[a b] c, d` → the handler of the commands `a`, `b`, `c` and `d`.
macro_rules! register {
    ([$($api:ident)*] $($desktop:ident),*) => {
        tauri::generate_handler![$($api,)* $($desktop),*]
    };
}

/// The labeling UI's commands (from the table), then the desktop's own.
macro_rules! register_all {
    ($( $(#[doc = $doc:expr])* $name:ident($args:ty) -> $result:ty [$($role:ident),*] $mode:ident; )*) => {
        crate::command_names::desktop_commands!(register [$($name)*])
    };
}

/// Every command above, registered under its own name.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    sift_api::ui_commands!(register_all)
}
