//! Sift's desktop app: a thin Tauri 2 shell over `sift-api`, the crate the `sift` CLI and
//! `sift serve` adapt too.
//!
//! - [`commands`]: one Tauri command per command of `sift_api`'s table (`ui_commands!`,
//!   generated: the same JSON in and out as `POST /api/<command>`), plus the desktop's own
//!   commands (projects, sync; named once in `command_names.rs`).
//! - [`media`]: images and video from a loopback HTTP server with Range support (WebKitGTK
//!   does not play video from custom schemes), behind a per-launch secret.
//! - [`shell`]: the File menu, the window title, the native dialogs.
//! - [`sync`]: S3 sync from the window (settings, status, push and pull with progress).
//! - [`recovery`]: a recent project whose folder is gone, restored from its backup.
//! - [`lab`]: *Open in Lab*, which starts the lead's console (`sift-lab`) on the open project.
//!
//! Security: `build.rs` declares an app manifest, so every command is refused unless
//! `capabilities/default.json` (which `build.rs` writes from the same names) grants it, to
//! the main window only; the Content-Security-
//! Policy allows scripts and styles from the app only, and media from the exact loopback
//! origin of this launch. The asset protocol is off: nothing on disk is reachable except
//! through the media server, which serves only items' media inside the project's media roots.

// `ui_commands!`, the labeling UI's command table, for the generated commands and names.
#[macro_use]
extern crate sift_api;

pub mod commands;
pub mod desktop;
pub mod error;
pub mod lab;
pub mod media;
pub mod recent;
pub mod recovery;
pub mod shell;
pub mod sync;
pub mod templates;

mod command_names;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use tauri::utils::config::Csp;
use tauri::{Manager, Runtime, WebviewWindowBuilder};

pub use command_names::APP_COMMANDS;

use crate::desktop::Desktop;
use crate::media::MediaServer;
use crate::recent::RecentList;

/// A line on standard error (the app has no console otherwise).
pub fn warn(message: &str) {
    // Nowhere to report a failure to report.
    let _ = writeln!(std::io::stderr().lock(), "sift-desktop: {message}");
}

const USAGE: &str = "\
Sift — label data on your own machine.

Usage: sift-desktop [PROJECT_FOLDER...]

Opens the first project folder (or the most recently opened project) in the Sift window.
Further folders are added to File ▸ Open Recent. Create projects with `sift init`, or
open an empty folder and choose a template.

Options:
  -h, --help       this help
  -V, --version    the version

Without a display (no DISPLAY or WAYLAND_DISPLAY), label in a browser instead:
  sift serve -p PROJECT_FOLDER
";

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cli {
    Run { projects: Vec<PathBuf> },
    Help,
    Version,
    Error(String),
}

/// Parses `sift-desktop [PROJECT_FOLDER...]`.
pub fn parse_cli(args: impl IntoIterator<Item = OsString>) -> Cli {
    let mut projects = Vec::new();
    let mut only_paths = false;
    for arg in args {
        if !only_paths && let Some(flag) = arg.to_str().filter(|a| a.starts_with('-')) {
            match flag {
                "-h" | "--help" => return Cli::Help,
                "-V" | "--version" => return Cli::Version,
                "--" => only_paths = true,
                other => return Cli::Error(format!("unknown option {other} (see --help)")),
            }
            continue;
        }
        projects.push(PathBuf::from(arg));
    }
    Cli::Run { projects }
}

/// Whether a graphical session is there to open a window in.
fn has_display() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

/// The configured policy with the loopback media origin narrowed to this launch's port.
pub fn narrow_csp(csp: &Csp, media_origin: &str) -> Csp {
    Csp::Policy(csp.to_string().replace("http://127.0.0.1:*", media_origin))
}

/// Runs the app; returns when the window is closed.
pub fn run() -> ExitCode {
    let projects = match parse_cli(std::env::args_os().skip(1)) {
        Cli::Run { projects } => projects,
        Cli::Help => {
            // A closed standard output leaves no one to show the usage to; `--help` still succeeds.
            let _ = std::io::stdout().lock().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Cli::Version => {
            // As for `--help`: no one left to tell.
            let _ = writeln!(
                std::io::stdout().lock(),
                "sift-desktop {}",
                env!("CARGO_PKG_VERSION")
            );
            return ExitCode::SUCCESS;
        }
        Cli::Error(message) => {
            warn(&message);
            return ExitCode::from(1);
        }
    };
    if !has_display() {
        warn(
            "no display: DISPLAY and WAYLAND_DISPLAY are not set, so the Sift window cannot open.\n\
             On a machine without a screen, label in a browser instead:\n\n    \
             sift serve -p PROJECT_FOLDER\n\n\
             and open the link it prints (from another machine, through an SSH tunnel).",
        );
        return ExitCode::from(1);
    }
    match launch(projects) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            warn(&format!("cannot start: {e}"));
            ExitCode::from(2)
        }
    }
}

fn launch(projects: Vec<PathBuf>) -> Result<(), Box<dyn std::error::Error>> {
    let listener = media::bind_loopback()?;
    let media = MediaServer::new(listener.local_addr()?.port())?;
    let mut context = tauri::generate_context!();
    let csp = context.config().app.security.csp.clone();
    if let Some(csp) = csp {
        context.config_mut().app.security.csp = Some(narrow_csp(&csp, &media.origin()));
    }
    tauri::Builder::default()
        .plugin(tauri_plugin_window_state::Builder::new().build())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(commands::handler())
        .on_menu_event(shell::on_menu_event)
        .setup(move |app| {
            let config_dir = app.path().app_config_dir()?;
            let recent = RecentList::new(config_dir.join("recent-projects.json"));
            let desktop = Desktop::new(desktop::local_user_name(), media.clone(), recent);
            app.manage(desktop);
            app.manage(shell::dialog_picker(app.handle().clone()));
            app.manage(shell::MenuBar);
            app.manage(sync::Syncer::s3());
            app.manage(lab::LabLauncher::system());
            tauri::async_runtime::spawn(async move {
                if let Err(e) = media.serve(listener).await {
                    warn(&format!("the media server stopped: {e}"));
                }
            });
            let opened = open_at_start(app.handle(), &projects);
            create_window(app)?;
            shell::project_changed(app.handle());
            if !opened {
                let handle = app.handle().clone();
                std::thread::spawn(move || {
                    let chosen = handle
                        .try_state::<commands::Picker>()
                        .and_then(|p| p.pick(commands::Pick::ProjectFolder));
                    if let Some(folder) = chosen {
                        shell::open_and_reload(&handle, &folder);
                    }
                });
            }
            Ok(())
        })
        .run(context)?;
    Ok(())
}

/// Opens the first project named on the command line (remembering the others), else the
/// most recent one that still exists, unless a more recent one is gone but backed up (the
/// page then offers to restore it). Returns whether a project is open.
fn open_at_start<R: Runtime>(app: &tauri::AppHandle<R>, projects: &[PathBuf]) -> bool {
    let desktop = app.state::<Desktop>();
    if let Some((first, rest)) = projects.split_first() {
        desktop.remember(rest);
        match desktop.open(first) {
            Ok(_) => return true,
            Err(e) => shell::show_error(app, &format!("Cannot open {}:\n{}", first.display(), e.message)),
        }
        return false;
    }
    recent::to_open_at_start(&desktop.recent()).is_some_and(|path| desktop.open(path).is_ok())
}

fn create_window<R: Runtime>(app: &tauri::App<R>) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == shell::MAIN_WINDOW)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    WebviewWindowBuilder::from_config(app.handle(), &config)?.build()?;
    Ok(())
}
