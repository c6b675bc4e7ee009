//! Ctrl-C for long commands (`score`, `embed`, `learn --every`): the first press asks the
//! work to stop at its next safe point (what was saved stays), a second stops the process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A flag that the first Ctrl-C sets (after printing `message`); a second Ctrl-C exits with 130.
pub fn cancel_on_ctrl_c(message: &'static str) -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        crate::output::stderr(&format!("\n{message}\n"));
    });
    if let Err(e) = installed {
        // The command still runs; only its clean stop on Ctrl-C is lost.
        crate::output::stderr(&format!(
            "warning: Ctrl-C will stop at once, not after the current step ({e})\n"
        ));
    }
    cancel
}
