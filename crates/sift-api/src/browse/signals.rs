//! What a window needs to stay live: whether another process changed the project, and
//! stopping a long operation's statement from another thread.

use sift_store::Interrupter;

use crate::{Error, Project, Result};

impl Project {
    /// A number that changes whenever another connection (another process, or another
    /// `Project` in this one) commits a change to the file. Cheap: answered from memory.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.store.data_version()?)
    }

    /// A handle that interrupts the statement this project's connection is running, from
    /// another thread: an import, export or scan stops there and its transaction rolls back.
    pub fn interrupter(&self) -> Interrupter {
        self.store.interrupter()
    }
}

/// Whether `error` is an operation stopped by an [`Interrupter`].
pub fn was_interrupted(error: &Error) -> bool {
    match error {
        Error::Store(e) => sift_store::is_interrupted(e),
        _ => false,
    }
}
