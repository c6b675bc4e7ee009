//! Everything the Lab asks of the project runs here, off the UI thread: no frame ever waits
//! on SQLite, ONNX Runtime or S3.
//!
//! - [`Lane`]s are threads that each own a [`Project`] (their own SQLite connection) and run
//!   short tasks in order: `pages` serves the table's pages and the detail pane, `stats` the
//!   listings, counts and plots, `writes` the bulk actions and reviews, `media` decodes
//!   pictures. A task returns an
//!   [`Apply`], a closure the UI thread runs on the views at the start of its next frame.
//! - [`jobs`] are long operations (import, export, scoring, search indexing, sync, the map's
//!   PCA) on threads of their own, with progress and cancel.
//! - [`watch`] polls `PRAGMA data_version` on its own connection, so a change made by another
//!   process (the annotator app, `sift serve`, the CLI) shows within a second or two.

pub mod jobs;
mod lane;
pub mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};
use eframe::egui;
use sift_api::Project;

pub use jobs::{Job, JobProgress};
pub use lane::Lane;

use crate::views::Views;

/// A change to the views, computed off the UI thread and applied on it.
pub type Apply = Box<dyn FnOnce(&mut Views) + Send>;

/// Errors as the UI shows them: the boundary message (code and text).
pub fn message(e: &sift_api::Error) -> String {
    let api = e.to_api_error();
    format!("{} ({})", api.message, api.code.as_str())
}

/// The connections to one open project.
pub struct Backend {
    /// The project file.
    pub path: PathBuf,
    /// Table pages and the detail pane: what the user is waiting to see.
    pub pages: Lane,
    /// Listings, counts and plots.
    pub stats: Lane,
    /// Bulk actions, reviews and settings, in the order they were made.
    pub writes: Lane,
    /// Decodes pictures (thumbnails, the detail pane's image or video poster).
    pub media: Lane,
    /// Long operations with progress and cancel.
    pub jobs: jobs::Jobs,
    applies: Sender<Apply>,
    ctx: egui::Context,
    _watch: watch::Watch,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The channel every background result comes back on.
#[derive(Debug)]
pub struct Inbox {
    /// Where background threads send what they have to apply.
    pub sender: Sender<Apply>,
    /// Drained by the UI thread at the start of each frame.
    pub receiver: Receiver<Apply>,
}

impl Default for Inbox {
    fn default() -> Self {
        let (sender, receiver) = unbounded();
        Inbox { sender, receiver }
    }
}

impl Backend {
    /// Connects the lanes, the job runner and the watcher to the project file `file` (already
    /// opened once, and so migrated, by the caller's opening job).
    pub fn connect(file: &Path, applies: Sender<Apply>, ctx: &egui::Context, poll: Duration) -> Backend {
        let lane = |name: &str| Lane::spawn(name, file, applies.clone(), ctx.clone());
        Backend {
            path: file.to_owned(),
            pages: lane("pages"),
            stats: lane("stats"),
            writes: lane("writes"),
            media: lane("media"),
            jobs: jobs::Jobs::new(file, applies.clone(), ctx.clone()),
            _watch: watch::Watch::spawn(file, poll, applies.clone(), ctx.clone()),
            applies,
            ctx: ctx.clone(),
        }
    }

    /// The channel results come back on (for dialogs and other threads of the views).
    pub fn sender(&self) -> Sender<Apply> {
        self.applies.clone()
    }

    /// Sends a change straight to the views (from the UI thread, e.g. after a dialog).
    pub fn post(&self, apply: Apply) {
        if self.applies.send(apply).is_ok() {
            self.ctx.request_repaint();
        }
    }
}

/// Opens `path` (a project folder or file) on a thread of its own; the result comes back as
/// an [`Apply`]. Opening may migrate an old project (a copy is made first), which can take a
/// while on a large file: the window stays live meanwhile.
pub fn open_in_background(
    path: PathBuf,
    applies: &Sender<Apply>,
    ctx: egui::Context,
    on_done: impl FnOnce(Result<Opened, String>) -> Apply + Send + 'static,
) {
    let sender = applies.clone();
    let spawned = std::thread::Builder::new()
        .name("sift-lab-open".into())
        .spawn(move || {
            let opened = open(&path);
            if sender.send(on_done(opened)).is_ok() {
                ctx.request_repaint();
            }
        });
    if let Err(e) = spawned {
        let _ = applies.send(Box::new(move |views: &mut Views| {
            views.banner_error(format!("cannot start a thread to open the project: {e}"));
        }));
    }
}

/// A project that opened.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The project file.
    pub file: PathBuf,
    /// Its name, template and counts as it opened.
    pub info: sift_api::ProjectInfo,
    /// Opened read-only (the file or its folder cannot be written): every action that writes is
    /// disabled.
    pub read_only: bool,
}

fn open(path: &Path) -> Result<Opened, String> {
    let file = sift_api::resolve_project_path(path).map_err(|e| message(&e))?;
    let project = Project::open(&file).map_err(|e| message(&e))?;
    let info = project.info().map_err(|e| message(&e))?;
    Ok(Opened {
        read_only: project.read_only(),
        file,
        info,
    })
}
