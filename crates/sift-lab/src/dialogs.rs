//! Native file dialogs (GTK through `rfd`), opened from a thread of their own so the window
//! keeps drawing while one is up; the chosen path comes back as an [`Apply`].

use std::path::PathBuf;

use crossbeam_channel::Sender;
use eframe::egui;

use crate::backend::Apply;

/// What to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A project folder.
    Folder,
    /// A manifest to import.
    Manifest,
    /// Where to write an export.
    SaveAs,
}

/// Opens the dialog; `chosen` runs with the path if one was chosen.
pub fn open(
    pick: Pick,
    start: Option<PathBuf>,
    applies: Sender<Apply>,
    ctx: egui::Context,
    chosen: impl FnOnce(PathBuf) -> Apply + Send + 'static,
) {
    let failed = applies.clone();
    let spawned = std::thread::Builder::new()
        .name("sift-lab-dialog".into())
        .spawn(move || {
            let mut dialog = rfd::FileDialog::new();
            if let Some(dir) = start {
                dialog = dialog.set_directory(dir);
            }
            let path = match pick {
                Pick::Folder => dialog.set_title("Open a Sift project folder").pick_folder(),
                Pick::Manifest => dialog
                    .set_title("Import a manifest")
                    .add_filter("Manifests", &["jsonl", "ndjson", "manifest", "json"])
                    .add_filter("All files", &["*"])
                    .pick_file(),
                Pick::SaveAs => dialog.set_title("Export to").save_file(),
            };
            if let Some(path) = path
                && applies.send(chosen(path)).is_ok()
            {
                ctx.request_repaint();
            }
        });
    if let Err(e) = spawned {
        let text = format!("cannot open a file dialog ({e}); type the path instead");
        // The receiver is gone only when the window has closed: nobody to tell.
        let _ = failed.send(Box::new(move |views: &mut crate::views::Views| {
            views.banner_error(text)
        }));
    }
}
