//! A lane: one thread with one connection to the project, running short tasks in the order
//! they were sent. A task that is no longer wanted when its turn comes (the table scrolled
//! past its page) checks that itself and returns at once.

use std::path::Path;

use crossbeam_channel::{Sender, unbounded};
use eframe::egui;
use sift_api::Project;

use super::{Apply, message};
use crate::views::Views;

type Task = Box<dyn FnOnce(&mut Project) -> Apply + Send>;

/// A thread that owns a project connection and runs tasks on it.
#[derive(Debug, Clone)]
pub struct Lane {
    tasks: Sender<Task>,
}

impl Lane {
    /// Starts the lane's thread; it opens its own connection to `file`. When it cannot, every
    /// task it is given reports that instead of running.
    pub fn spawn(name: &str, file: &Path, applies: Sender<Apply>, ctx: egui::Context) -> Lane {
        let (tasks, incoming) = unbounded::<Task>();
        let file = file.to_owned();
        let thread_name = format!("sift-lab-{name}");
        let lane_name = name.to_owned();
        let spawned = std::thread::Builder::new().name(thread_name).spawn(move || {
            let mut project = match Project::open(&file) {
                Ok(p) => p,
                Err(e) => {
                    let text = format!(
                        "the {lane_name} connection could not open the project: {}",
                        message(&e)
                    );
                    for _task in incoming {
                        let text = text.clone();
                        let failed: Apply = Box::new(move |views: &mut Views| views.banner_error(text));
                        if applies.send(failed).is_err() {
                            return;
                        }
                        ctx.request_repaint();
                    }
                    return;
                }
            };
            for task in incoming {
                let apply = task(&mut project);
                if applies.send(apply).is_err() {
                    return; // the window is gone
                }
                ctx.request_repaint();
            }
        });
        if let Err(e) = spawned {
            // Without a thread the tasks are never run; say so once, where people look.
            let text = format!("cannot start a background thread: {e}");
            let _ = tasks.send(Box::new(move |_p: &mut Project| -> Apply {
                Box::new(move |views: &mut Views| views.banner_error(text))
            }));
        }
        Lane { tasks }
    }

    /// Runs `task` on the lane's connection; its [`Apply`] reaches the views afterwards.
    pub fn run(&self, task: impl FnOnce(&mut Project) -> Apply + Send + 'static) {
        // A closed lane means the window is closing: nothing is waiting for the answer.
        let _ = self.tasks.send(Box::new(task));
    }
}
