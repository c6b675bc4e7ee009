//! *Open in Lab*: starts the lead's console, `sift-lab PROJECT_FOLDER`, on the open project.
//! A desktop-only command (`sift serve` has nothing to start programs with): the program is
//! found next to this executable (the `.deb` installs both in `/usr/bin`; a build puts them
//! in the same target folder) or else on `PATH`, and started detached from the window, its
//! output discarded. A missing `sift-lab` is a clear `unavailable` error naming where it was
//! looked for.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sift_error::Code;

use crate::error::CommandError;

/// The Lab's program name.
pub const PROGRAM: &str = "sift-lab";

/// Where *Open in Lab* looks for `sift-lab`, in order.
#[derive(Debug, Clone)]
pub struct LabLauncher {
    dirs: Vec<PathBuf>,
}

impl LabLauncher {
    /// The folder of this executable, then each folder of `PATH`.
    pub fn system() -> Self {
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_owned));
        Self::search(beside, std::env::var_os("PATH"))
    }

    /// `beside` (the app's own folder), then the folders of `path` (a `PATH` value).
    pub fn search(beside: Option<PathBuf>, path: Option<OsString>) -> Self {
        let mut dirs: Vec<PathBuf> = beside.into_iter().collect();
        if let Some(path) = path {
            dirs.extend(std::env::split_paths(&path).filter(|d| !d.as_os_str().is_empty()));
        }
        Self { dirs }
    }

    /// The first `sift-lab` that is an executable file, if any.
    pub fn find(&self) -> Option<PathBuf> {
        self.dirs
            .iter()
            .map(|d| d.join(format!("{PROGRAM}{}", std::env::consts::EXE_SUFFIX)))
            .find(|p| is_executable(p))
    }

    /// Starts `sift-lab FOLDER` and returns the program it started. The child runs on its
    /// own: a thread waits for it so that it leaves no zombie behind when it exits.
    pub fn launch(&self, folder: &Path) -> Result<PathBuf, CommandError> {
        let program = self.find().ok_or_else(|| {
            let looked: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
            CommandError::new(
                Code::Unavailable,
                format!(
                    "the Lab ({PROGRAM}) is not installed: it was not found next to Sift or on PATH \
                     (looked in {}). Install the Sift package, which includes it, or build it with \
                     `cargo build --release -p sift-lab`.",
                    if looked.is_empty() {
                        "no folders".to_owned()
                    } else {
                        looked.join(", ")
                    }
                ),
            )
        })?;
        let mut child = Command::new(&program)
            .arg(folder)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                CommandError::new(
                    Code::Unavailable,
                    format!("cannot start {}: {e}", program.display()),
                )
            })?;
        let reaper = std::thread::Builder::new()
            .name("sift-lab-child".into())
            .spawn(move || child.wait());
        if let Err(e) = reaper {
            crate::warn(&format!("cannot watch {PROGRAM}: {e}"));
        }
        Ok(program)
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
