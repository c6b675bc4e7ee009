//! Restoring: a snapshot file plus changes applied in log order, in one transaction, with
//! triggers off (the captured rows are the final images: nothing is derived twice and the
//! append-only guards do not refuse the replay) and foreign keys checked at the end.

use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params_from_iter};
use serde_json::Value;

use super::Change;
use super::capture::{detach, last_seq};
use crate::{Result, StoreError};

/// Applies changes to a snapshot placed where the project is being restored.
#[derive(Debug)]
pub struct Restorer {
    conn: Connection,
    applied: i64,
    count: u64,
}

impl Restorer {
    /// Opens the snapshot at `path` for applying changes after the ones it holds.
    pub fn open(path: &Path) -> Result<Restorer> {
        let conn = Connection::open(path).map_err(|e| StoreError::open(path, e))?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        let applied = last_seq(&conn)?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Restorer {
            conn,
            applied,
            count: 0,
        })
    }

    /// The newest change the file holds so far.
    pub fn applied_seq(&self) -> i64 {
        self.applied
    }

    /// The schema version of the file.
    pub fn schema(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// How many changes were applied.
    pub fn applied_count(&self) -> u64 {
        self.count
    }

    /// Applies one change; a change already in the file (overlapping segments) is skipped.
    pub fn apply(&mut self, change: &Change) -> Result<()> {
        if change.seq <= self.applied {
            return Ok(());
        }
        let row: serde_json::Map<String, Value> = serde_json::from_str(&change.row)
            .map_err(|e| StoreError::Corrupt(format!("change {}: {e}", change.seq)))?;
        let table = quote(&change.table);
        let cols: Vec<String> = row.keys().map(|k| quote(k)).collect();
        let values = row
            .values()
            .map(decode)
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(|e| StoreError::Corrupt(format!("change {}: {e}", change.seq)))?;
        let sql = if change.upsert {
            let marks = vec!["?"; cols.len()].join(", ");
            format!(
                "INSERT OR REPLACE INTO {table} ({}) VALUES ({marks})",
                cols.join(", ")
            )
        } else {
            let conds: Vec<String> = cols.iter().map(|c| format!("{c} IS ?")).collect();
            format!("DELETE FROM {table} WHERE {}", conds.join(" AND "))
        };
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.execute(params_from_iter(values)))
            .map_err(|e| StoreError::Corrupt(format!("change {} to {}: {e}", change.seq, change.table)))?;
        self.applied = change.seq;
        self.count += 1;
        Ok(())
    }

    /// Commits, removes the capture triggers (backup is off in a restored file until turned
    /// on again), and checks the result: foreign keys and SQLite's integrity check.
    pub fn finish(self) -> Result<i64> {
        detach(&self.conn, self.applied)?;
        let dangling: i64 =
            self.conn
                .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
        if dangling > 0 {
            return Err(StoreError::Corrupt(format!(
                "{dangling} rows refer to missing rows after applying the changes"
            )));
        }
        self.conn.execute_batch("COMMIT")?;
        let check: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(StoreError::Corrupt(check));
        }
        self.conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, true)?;
        Ok(self.applied)
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A captured JSON value back to the SQLite value it was.
fn decode(v: &Value) -> std::result::Result<Sql, String> {
    Ok(match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().ok_or("number out of range")?),
        },
        Value::String(s) => Sql::Text(s.clone()),
        Value::Object(o) => match (o.get("b"), o.get("r")) {
            (Some(Value::String(hex)), None) => Sql::Blob(unhex(hex)?),
            (None, Some(Value::String(r))) => Sql::Real(r.parse().map_err(|_| format!("real {r:?}"))?),
            _ => return Err("unknown encoded value".into()),
        },
        Value::Array(_) => return Err("unexpected array".into()),
    })
}

fn unhex(hex: &str) -> std::result::Result<Vec<u8>, String> {
    if !hex.len().is_multiple_of(2) {
        return Err("odd hex length".into());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| "bad hex".to_string()))
        .collect()
}
