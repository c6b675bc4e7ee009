//! A sync round: both directions in the order the role needs. Annotators hand their work in
//! before fetching new batches and reviews; the lead merges results before publishing
//! batches and reviews, so what it pushes reflects what came back. The CLI (`sift sync`) and
//! the desktop's *Sync now* both run this.

use serde::{Deserialize, Serialize};
use sift_error::{Code, ErrorCode};

use super::config::SyncRole;
use super::run::{SyncOptions, SyncReport};
use super::store::ObjectStore;
use crate::{Error, Progress, Project};

/// One direction of a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncDirection {
    /// Send this copy's work: the lead's project, batches and reviews; an annotator's
    /// saved versions.
    Push,
    /// Take in the other side's work: an annotator's batches and reviews; the lead's merge
    /// of the annotators' results.
    Pull,
}

impl SyncDirection {
    /// `push` or `pull`, as reports name their direction.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncDirection::Push => "push",
            SyncDirection::Pull => "pull",
        }
    }
}

impl SyncRole {
    /// The directions of a round, in order: annotators push first, leads pull first.
    pub fn round_order(self) -> [SyncDirection; 2] {
        match self {
            SyncRole::Annotator => [SyncDirection::Push, SyncDirection::Pull],
            SyncRole::Lead => [SyncDirection::Pull, SyncDirection::Push],
        }
    }
}

/// A round that stopped: the error, and the reports of the directions that finished before it.
#[derive(Debug)]
pub struct RoundError {
    /// Why the round stopped.
    pub error: Error,
    /// The directions that finished before it, in order.
    pub done: Vec<SyncReport>,
}

impl std::fmt::Display for RoundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(first) = self.done.first() {
            write!(
                f,
                " (the {} before it finished: {})",
                first.direction,
                moved(first)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for RoundError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl ErrorCode for RoundError {
    fn code(&self) -> Code {
        self.error.code()
    }
}

impl Project {
    /// Pushes and pulls in the order the project's role needs ([`SyncRole::round_order`]);
    /// one report per direction, in run order. `on_direction` is told as each direction
    /// begins. A failing direction stops the round; the error carries what finished before.
    pub fn sync_round(
        &mut self,
        remote: &dyn ObjectStore,
        opts: &SyncOptions,
        progress: &dyn Progress,
        mut on_direction: impl FnMut(SyncDirection),
    ) -> Result<Vec<SyncReport>, RoundError> {
        let config = self.require_sync_config().map_err(|error| RoundError {
            error,
            done: Vec::new(),
        })?;
        let mut done = Vec::with_capacity(2);
        for direction in config.role.round_order() {
            on_direction(direction);
            let report = match direction {
                SyncDirection::Push => self.sync_push(remote, opts, progress),
                SyncDirection::Pull => self.sync_pull(remote, opts, progress),
            };
            match report {
                Ok(report) => done.push(report),
                Err(error) => return Err(RoundError { error, done }),
            }
        }
        Ok(done)
    }
}

/// A few words on what a report moved, for an error that follows it.
fn moved(r: &SyncReport) -> String {
    let mut parts = Vec::new();
    if !r.batches.is_empty() {
        parts.push(format!("{} batch(es)", r.batches.len()));
    }
    if r.items_added > 0 {
        parts.push(format!("{} item(s) added", r.items_added));
    }
    if r.versions > 0 {
        parts.push(format!("{} version(s)", r.versions));
    }
    if r.reviews > 0 {
        parts.push(format!("{} review(s)", r.reviews));
    }
    if r.media_files > 0 {
        parts.push(format!("{} media file(s)", r.media_files));
    }
    if parts.is_empty() {
        "nothing to move".to_owned()
    } else {
        parts.join(", ")
    }
}
