//! Noticing that the project changed: a thread with its own connection reads
//! `PRAGMA data_version` (answered from memory, no I/O when nothing changed) every `poll`
//! and tells the views when another connection has committed. Everything the Lab itself
//! writes goes through other connections, so its own changes are noticed the same way.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use eframe::egui;
use sift_api::Project;

use super::Apply;
use crate::views::Views;

/// The watcher thread; it stops when dropped.
#[derive(Debug)]
pub struct Watch {
    stop: Arc<AtomicBool>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Watch {
    /// Starts the thread that reads the project's `PRAGMA data_version` every `poll` on its own
    /// connection and, when it moves, sends a reload to `applies` and repaints `ctx`; it stops when
    /// the `Watch` is dropped.
    pub fn spawn(file: &Path, poll: Duration, applies: Sender<Apply>, ctx: egui::Context) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let file = file.to_owned();
        let stopped = Arc::clone(&stop);
        let _ = std::thread::Builder::new()
            .name("sift-lab-watch".into())
            .spawn(move || {
                // Without a connection of its own nothing is watched; the Refresh button stays.
                let Ok(project) = Project::open(&file) else {
                    return;
                };
                let Ok(mut seen) = project.data_version() else {
                    return;
                };
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(poll);
                    let Ok(now) = project.data_version() else {
                        continue;
                    };
                    if now != seen {
                        seen = now;
                        let changed: Apply = Box::new(|views: &mut Views| views.project_changed());
                        if applies.send(changed).is_err() {
                            return;
                        }
                        ctx.request_repaint();
                    }
                }
            });
        Watch { stop }
    }
}
