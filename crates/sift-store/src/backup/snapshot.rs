//! Snapshots: a consistent copy of the project file made through SQLite's online backup API
//! (all pages in one step, under one read transaction, so writers in other processes go on
//! and the copy is exactly one committed state), with secrets securely deleted and the copy
//! turned into one self-contained file (rollback journal mode, no `-wal`).

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use super::capture::last_seq;
use super::{SECRET_TABLES, now_ms};
use crate::{Result, Store, StoreError};

/// What a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Every change up to this one is in it (0: taken before any change was captured).
    pub upto_seq: i64,
    /// The schema version of the copy.
    pub schema: u32,
    /// When it was taken (Unix ms).
    pub at_ms: i64,
}

impl Store {
    /// Copies the project to `dest` (which must not exist) as one consistent state, without
    /// secrets. The copy still carries the capture triggers; a restore removes them.
    pub fn backup_snapshot(&self, dest: &Path) -> Result<SnapshotInfo> {
        if dest.exists() {
            return Err(StoreError::AlreadyExists(dest.to_owned()));
        }
        let at_ms = now_ms();
        let mut copy = Connection::open(dest).map_err(|e| StoreError::open(dest, e))?;
        {
            let backup = Backup::new(&self.conn, &mut copy)?;
            // -1: every page in one step, so the copy is one committed state.
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    StepResult::More => {}
                    _ => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
        let info = SnapshotInfo {
            upto_seq: last_seq(&copy)?,
            schema: copy.pragma_query_value(None, "user_version", |r| r.get(0))?,
            at_ms,
        };
        scrub(&copy)?;
        copy.pragma_update(None, "journal_mode", "DELETE")?;
        copy.close().map_err(|(_, e)| StoreError::from(e))?;
        Ok(info)
    }
}

/// Securely deletes secrets and the unshipped log from a copy (the freed pages are zeroed).
fn scrub(copy: &Connection) -> Result<()> {
    copy.pragma_update(None, "secure_delete", "ON")?;
    copy.execute_batch("BEGIN")?;
    for table in SECRET_TABLES {
        let exists: bool = copy.query_row(
            "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [table],
            |r| r.get(0),
        )?;
        if exists {
            copy.execute(&format!("DELETE FROM \"{table}\""), [])?;
        }
    }
    copy.execute("DELETE FROM backup_changes", [])?;
    copy.execute(
        "UPDATE backup_state SET lease_owner = NULL, lease_until_ms = NULL WHERE id = 1",
        [],
    )?;
    copy.execute_batch("COMMIT")?;
    Ok(())
}
