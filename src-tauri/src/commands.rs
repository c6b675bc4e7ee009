//! The Tauri commands. Each of `sift_api::commands::COMMANDS` is its own command, a thin
//! adapter that hands the UI's argument object to `Project::call` for the local user — the
//! same table `POST /api/<command>` dispatches through in `sift serve`, with the same JSON
//! in and out — so the UI's client only swaps its transport. A few desktop-only commands
//! choose the project. Every command needs an `allow-<name>` grant (see `build.rs` and
//! `capabilities/default.json`).

// Tauri hands commands their `State`, `AppHandle` and arguments by value.
#![allow(clippy::needless_pass_by_value)]

use std::path::PathBuf;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sift_api::Me;
use sift_error::Code;
use tauri::ipc::{CommandArg, CommandItem, InvokeBody, InvokeError};
use tauri::{AppHandle, Runtime, State};

use crate::desktop::{Desktop, NewProjectArgs};
use crate::error::CommandError;
use crate::recent::RecentProject;

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
    ]
}
