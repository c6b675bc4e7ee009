//! The Tauri commands. Each of `sift_api::commands::COMMANDS` is its own command, a thin
//! adapter that hands the UI's argument object to `Project::call` for the local user — the
//! same table `POST /api/<command>` dispatches through in `sift serve`, with the same JSON
//! in and out — so the UI's client only swaps its transport. A few desktop-only commands
//! choose the project or sync it with S3 (see [`crate::sync`]). Every command needs an `allow-<name>` grant (see `build.rs` and
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
use tauri::{AppHandle, Runtime, State, Webview};

use crate::desktop::{Desktop, NewProjectArgs};
use crate::error::CommandError;
use crate::recent::RecentProject;
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

/// The local user, the open project, and `media_base_url` (the loopback media server).
#[tauri::command(async)]
pub fn me(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("me", args.0)
}

/// The open project's template as the UI renders it.
#[tauri::command(async)]
pub fn template(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("template", args.0)
}

/// The local user's queue (`{limit?}`).
#[tauri::command(async)]
pub fn queue(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("queue", args.0)
}

/// The local user's recent work (`{limit?}`), newest first.
#[tauri::command(async)]
pub fn recent_work(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("recent_work", args.0)
}

/// One item with the local user's annotation (`{item_id}`).
#[tauri::command(async)]
pub fn get_item(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("get_item", args.0)
}

/// Saves a draft (`{item_id, payload, time_spent_ms?}`).
#[tauri::command(async)]
pub fn save_draft(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("save_draft", args.0)
}

/// Submits (`{item_id, payload, time_spent_ms?}`); refused with every violation if invalid.
#[tauri::command(async)]
pub fn submit(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("submit", args.0)
}

/// Every rule a payload does not meet yet (`{item_id, payload}`), without saving.
#[tauri::command(async)]
pub fn validate(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("validate", args.0)
}

/// Submitted work waiting for review (`{limit?}`): reviewers and leads.
#[tauri::command(async)]
pub fn pending_reviews(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("pending_reviews", args.0)
}

/// An annotation with its item (`{annotation_id}`).
#[tauri::command(async)]
pub fn get_annotation(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("get_annotation", args.0)
}

/// Approves or returns a submitted version (`{annotation_id, version, decision, ...}`).
#[tauri::command(async)]
pub fn review(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("review", args.0)
}

/// The project's counts: reviewers and leads.
#[tauri::command(async)]
pub fn status(desktop: State<'_, Desktop>, args: Args) -> Result<Value, CommandError> {
    desktop.call("status", args.0)
}

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

/// Every command above, registered under its own name.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        me,
        template,
        queue,
        recent_work,
        get_item,
        save_draft,
        submit,
        validate,
        pending_reviews,
        get_annotation,
        review,
        status,
        open_project,
        create_project,
        recent_projects,
        pick_project_folder,
        pick_manifest_file,
        sync_settings,
        save_sync_settings,
        sync_status,
        sync_now,
    ]
}
