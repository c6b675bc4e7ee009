//! Ctrl-C for long commands (`sift score`, `sift embed`, `sift learn --every`): the first asks
//! the work in progress to stop at its next safe point, the second stops the process at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Sets `stop` on the first Ctrl-C (printing `message` on standard error) and exits with
/// status 130 on the second. When the handler cannot be installed, says so: Ctrl-C then
/// stops the process at once, which loses nothing already saved.
pub(crate) fn stop_on_ctrl_c(stop: &Arc<AtomicBool>, message: &'static str) {
    let stop = Arc::clone(stop);
    let installed = ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\n{message}");
    });
    if let Err(e) = installed {
        eprintln!("note: Ctrl-C will stop at once, without finishing the step in progress ({e})");
    }
}
