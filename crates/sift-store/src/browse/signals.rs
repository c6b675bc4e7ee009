//! Two cheap signals a window needs: whether another connection has changed the file since
//! the last look (`PRAGMA data_version`, answered from memory), and a handle that stops the
//! statement a connection is running from another thread (a cancel button).

use crate::{Result, Store};

/// Stops the statement running on one store's connection, from any thread. The interrupted
/// statement fails and its transaction rolls back; an idle connection is not affected.
pub struct Interrupter(rusqlite::InterruptHandle);

impl std::fmt::Debug for Interrupter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interrupter")
    }
}

impl Interrupter {
    /// Interrupts the statement running now, if any.
    pub fn interrupt(&self) {
        self.0.interrupt();
    }
}

impl Store {
    /// A number that changes whenever another connection commits a change to the file
    /// (this connection's own changes leave it as it is).
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// A handle that interrupts this connection's running statement from another thread.
    pub fn interrupter(&self) -> Interrupter {
        Interrupter(self.conn.get_interrupt_handle())
    }
}

/// Whether `error` is SQLite saying the statement was interrupted.
pub fn is_interrupted(error: &crate::StoreError) -> bool {
    match error {
        crate::StoreError::Sqlite(e) => {
            e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted)
        }
        _ => false,
    }
}
