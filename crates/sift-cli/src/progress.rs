//! Progress bars on standard error, drawn only when a person is watching.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// An `indicatif` bar behind [`sift_api::Progress`]. Silent unless both standard output
/// and standard error are terminals; notes (skipped lines, missing media) always go to
/// standard error.
pub struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    visible: bool,
}

impl Bar {
    pub fn new(quiet: bool) -> Self {
        let visible = !quiet && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        Self {
            bar: Mutex::new(None),
            visible,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Option<ProgressBar>) -> R) -> R {
        let mut guard = self.bar.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

impl sift_api::Progress for Bar {
    fn start(&self, phase: &str, total: Option<u64>) {
        if !self.visible {
            return;
        }
        self.with(|slot| {
            if let Some(old) = slot.take() {
                old.finish_and_clear();
            }
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                None => ProgressBar::new_spinner(),
            };
            let template = if phase == "importing" {
                "{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
            } else if total.is_some() {
                "{msg:>10} [{bar:30}] {human_pos}/{human_len} {per_sec} eta {eta}"
            } else {
                "{msg:>10} {spinner} {elapsed}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(phase.to_owned());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            *slot = Some(bar);
        });
    }

    fn set_position(&self, position: u64) {
        self.with(|slot| {
            if let Some(bar) = slot {
                bar.set_position(position);
            }
        });
    }

    fn finish(&self) {
        self.with(|slot| {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        });
    }

    fn note(&self, message: &str) {
        self.with(|slot| match slot {
            Some(bar) => bar.suspend(|| crate::output::stderr(&format!("warning: {message}\n"))),
            None => crate::output::stderr(&format!("warning: {message}\n")),
        });
    }
}
