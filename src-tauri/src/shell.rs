//! The native parts of the window: the File menu (open, recent projects, quit), the title,
//! the file dialogs, and what happens at start.

use std::path::{Path, PathBuf};

use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::commands::{Pick, Picker};
use crate::desktop::Desktop;
use crate::recent::RecentProject;

/// The label of the one window.
pub const MAIN_WINDOW: &str = "main";

const OPEN: &str = "open";
const QUIT: &str = "quit";
const RECENT_PREFIX: &str = "recent:";

/// The native file dialogs.
pub fn dialog_picker<R: Runtime>(app: AppHandle<R>) -> Picker {
    Picker::new(move |what| {
        let dialog = app.dialog().file();
        let chosen = match what {
            Pick::ProjectFolder => dialog
                .set_title("Open a Sift project folder")
                .blocking_pick_folder(),
            Pick::Manifest => dialog
                .set_title("Choose a manifest to import")
                .add_filter(
                    "Manifests (JSON Lines, Label Studio JSON)",
                    &["jsonl", "ndjson", "manifest", "json"],
                )
                .blocking_pick_file(),
        };
        chosen.and_then(|p| p.into_path().ok())
    })
}

/// The menu bar: File ▸ Open Project…, Open Recent ▸, Quit.
pub fn menu<R: Runtime>(app: &AppHandle<R>, recent: &[RecentProject]) -> tauri::Result<Menu<R>> {
    let open = MenuItem::with_id(app, OPEN, "Open Project\u{2026}", true, Some("CmdOrCtrl+O"))?;
    let recent_menu = Submenu::new(app, "Open Recent", !recent.is_empty())?;
    for entry in recent {
        let label = format!(
            "{} \u{2014} {} ({})",
            entry.name,
            entry.kind,
            entry.path.display()
        );
        let id = format!("{RECENT_PREFIX}{}", entry.path.display());
        recent_menu.append(&MenuItem::with_id(app, id, label, entry.exists, None::<&str>)?)?;
    }
    let separator = PredefinedMenuItem::separator(app)?;
    let quit = MenuItem::with_id(app, QUIT, "Quit", true, Some("CmdOrCtrl+Q"))?;
    let file = Submenu::with_items(app, "File", true, &[&open, &recent_menu, &separator, &quit])?;
    Menu::with_items(app, &[&file])
}

/// Present (managed) when the app has a native menu bar; Tauri's mock runtime (the command
/// tests) has none.
#[derive(Debug, Clone, Copy)]
pub struct MenuBar;

/// After a project opened: the window title and the recent list in the menu follow.
pub fn project_changed<R: Runtime>(app: &AppHandle<R>) {
    let Some(desktop) = app.try_state::<Desktop>() else {
        return;
    };
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let title = match desktop.current() {
            Some((name, _)) => format!("{name} \u{2014} Sift"),
            None => "Sift".to_owned(),
        };
        if let Err(e) = window.set_title(&title) {
            crate::warn(&format!("cannot set the window title: {e}"));
        }
    }
    if app.try_state::<MenuBar>().is_none() {
        return;
    }
    match menu(app, &desktop.recent()) {
        Ok(m) => {
            if let Err(e) = app.set_menu(m) {
                crate::warn(&format!("cannot update the menu: {e}"));
            }
        }
        Err(e) => crate::warn(&format!("cannot build the menu: {e}")),
    }
}

/// Menu clicks. Dialogs and opening run off the main thread so the window stays live.
#[allow(clippy::needless_pass_by_value)] // the signature Tauri's menu handler has
pub fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref().to_owned();
    if id == QUIT {
        app.exit(0);
        return;
    }
    let app = app.clone();
    if id == OPEN {
        std::thread::spawn(move || {
            let chosen = app
                .try_state::<Picker>()
                .and_then(|p| p.pick(Pick::ProjectFolder));
            if let Some(folder) = chosen {
                open_and_reload(&app, &folder);
            }
        });
    } else if let Some(path) = id.strip_prefix(RECENT_PREFIX) {
        let path = PathBuf::from(path);
        std::thread::spawn(move || open_and_reload(&app, &path));
    }
}

/// Opens `folder`; on success the page reloads (and asks `me` again), on failure a message
/// says why.
pub fn open_and_reload<R: Runtime>(app: &AppHandle<R>, folder: &Path) {
    let Some(desktop) = app.try_state::<Desktop>() else {
        return;
    };
    match desktop.open(folder) {
        Ok(_) => {
            project_changed(app);
            if let Some(window) = app.get_webview_window(MAIN_WINDOW)
                && let Err(e) = window.reload()
            {
                crate::warn(&format!("cannot reload the window: {e}"));
            }
        }
        Err(e) => show_error(app, &format!("Cannot open {}:\n{}", folder.display(), e.message)),
    }
}

/// A modal error message (not blocking the caller).
pub fn show_error<R: Runtime>(app: &AppHandle<R>, message: &str) {
    crate::warn(message);
    app.dialog()
        .message(message)
        .title("Sift")
        .kind(MessageDialogKind::Error)
        .show(|_| {});
}
