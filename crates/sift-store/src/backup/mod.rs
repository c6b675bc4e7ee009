//! Continuous backup, the store's side: change capture, snapshots and applying changes on
//! restore. Shipping them to a bucket is `sift-api`'s (`sift_api::backup`).
//!
//! - `capture`: triggers generated from the schema (`PRAGMA table_info`) write every row
//!   change into `backup_changes` inside the writer's transaction, whichever process writes;
//!   turning backup on and off; claiming and acknowledging changes for shipping.
//! - `snapshot`: a consistent copy of the file through SQLite's online backup API, with
//!   secrets removed (securely deleted) before it leaves the machine.
//! - `apply`: a restored file is a snapshot plus changes applied in order, triggers off.
//! - `rows`: every row a backup carries, comparable between two files.
//!
//! Which tables are captured is decided once here ([`captured`]): not SQLite's own, not the
//! backup tables, not full-text indexes (derived; the indexer refills them from the items),
//! not `sessions` (server sign-ins: a copy must sign no one in).

mod apply;
mod capture;
mod rows;
mod snapshot;
#[cfg(test)]
mod tests;

pub use apply::Restorer;
pub(crate) use capture::before_migration;
pub use capture::{BackupState, Claim};
pub use rows::{TableRows, backed_up_rows};
pub use snapshot::SnapshotInfo;

/// Tables never captured or restored from changes, besides SQLite's own and virtual tables
/// with their shadow tables: the backup's own, server sessions (secrets), and the search
/// indexer's progress (kept consistent with the index in the snapshot).
const NOT_CAPTURED: &[&str] = &["backup_changes", "backup_state", "sessions", "item_search_state"];

/// Tables whose rows are removed from snapshots (securely deleted): they hold secrets.
pub(crate) const SECRET_TABLES: &[&str] = &["sessions"];

/// One captured row change, as stored in `backup_changes` and shipped in segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Position in the log: increasing, never reused.
    pub seq: i64,
    /// When it was written (Unix milliseconds).
    pub at_ms: i64,
    /// The table.
    pub table: String,
    /// Whether the row was written (`true`: `row` is the whole new row) or deleted (`row`
    /// holds its key).
    pub upsert: bool,
    /// The row as a JSON object: column name to value; blobs as `{"b": hex}`, reals as
    /// `{"r": "%.17g"}` (exact); a rowid table's row id as `_rowid_`.
    pub row: String,
}

impl Change {
    /// The change as one line of a segment (JSON, no newline).
    pub fn to_line(&self) -> String {
        format!(
            "{{\"seq\":{},\"at\":{},\"t\":{},\"op\":\"{}\",\"row\":{}}}",
            self.seq,
            self.at_ms,
            serde_json::Value::String(self.table.clone()),
            if self.upsert { "u" } else { "d" },
            self.row
        )
    }

    /// Parses a line written by [`Change::to_line`].
    pub fn from_line(line: &str) -> std::result::Result<Change, String> {
        #[derive(serde::Deserialize)]
        struct Wire {
            seq: i64,
            at: i64,
            t: String,
            op: String,
            row: serde_json::Map<String, serde_json::Value>,
        }
        let w: Wire = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let upsert = match w.op.as_str() {
            "u" => true,
            "d" => false,
            other => return Err(format!("unknown operation {other:?}")),
        };
        Ok(Change {
            seq: w.seq,
            at_ms: w.at,
            table: w.t,
            upsert,
            row: serde_json::Value::Object(w.row).to_string(),
        })
    }
}

/// Whether changes to table `name` are captured (see the module docs). `virtual_tables`
/// are the names of the file's virtual tables (their shadow tables are `<name>_...`).
pub(crate) fn captured(name: &str, virtual_tables: &[String]) -> bool {
    !name.starts_with("sqlite_")
        && !NOT_CAPTURED.contains(&name)
        && !virtual_tables
            .iter()
            .any(|v| name == v || name.starts_with(&format!("{v}_")))
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
