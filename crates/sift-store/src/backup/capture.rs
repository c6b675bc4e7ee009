//! Change capture: the triggers generated from the schema that log every row change into
//! `backup_changes` inside the writer's own transaction, turning backup on and off, keeping
//! the triggers in step with the schema after a migration, and handing changes to a shipper
//! (a lease, so one process ships a range at a time) and forgetting them once shipped.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Change, captured, now_ms};
use crate::{Result, Store};

/// Bumped when the generated triggers change shape: open regenerates them.
const GENERATOR: &str = "sift-backup-triggers-1";

/// The file's time in Unix milliseconds, in SQL every SQLite understands.
const NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

/// Where backup stands in this file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupState {
    /// Whether changes are captured.
    pub enabled: bool,
    /// The newest change shipped and acknowledged (0: none).
    pub shipped_seq: i64,
    /// The newest change captured (committed), shipped or not.
    pub captured_seq: i64,
    /// Changes captured and not yet shipped.
    pub pending: i64,
    /// When the oldest unshipped change was written (Unix ms).
    pub oldest_pending_ms: Option<i64>,
    /// The change the newest shipped snapshot includes, its schema and time.
    pub snapshot: Option<(i64, u32, i64)>,
}

/// Changes handed to one shipper under a lease.
#[derive(Debug, Clone)]
pub struct Claim {
    /// In log order; empty when nothing waits.
    pub changes: Vec<Change>,
    /// The schema version they were captured under.
    pub schema: u32,
}

/// One captured table: its name and how its rows are named and written.
struct Table {
    name: String,
    columns: Vec<String>,
    /// The primary key of a `WITHOUT ROWID` table; empty for rowid tables (keyed by rowid).
    key: Vec<String>,
    /// Whether `_rowid_` is written besides the columns (rowid table without an alias).
    explicit_rowid: bool,
}

impl Store {
    /// Turns continuous capture on: triggers on every captured table from now on log each
    /// change (idempotent).
    pub fn backup_enable(&mut self) -> Result<()> {
        self.write_in_file(|store| {
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            install_triggers(&tx)?;
            // Turned on again after a pause: the log has a gap, the chain starts afresh.
            tx.execute(
                "UPDATE backup_state SET enabled = 1,
                    snapshot_seq = CASE WHEN enabled = 0 THEN NULL ELSE snapshot_seq END
                 WHERE id = 1",
                [],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Turns capture off: drops the triggers and forgets unshipped changes.
    pub fn backup_disable(&mut self) -> Result<()> {
        self.write_in_file(|store| {
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            drop_triggers(&tx)?;
            tx.execute("DELETE FROM backup_changes", [])?;
            tx.execute(
                "UPDATE backup_state SET enabled = 0, fingerprint = NULL, lease_owner = NULL WHERE id = 1",
                [],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Regenerates the triggers when the schema changed since they were made (after a
    /// migration). Called on open; a file with backup off is not touched.
    pub(crate) fn backup_refresh_triggers(&mut self) -> Result<()> {
        let (enabled, stored): (bool, Option<String>) = self.conn.query_row(
            "SELECT enabled, fingerprint FROM backup_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if !enabled || stored.as_deref() == Some(fingerprint(&self.conn)?.as_str()) {
            return Ok(());
        }
        self.backup_enable()
    }

    /// Where backup stands.
    pub fn backup_state(&self) -> Result<BackupState> {
        let (enabled, shipped_seq, snap_seq, snap_schema, snap_at): (
            bool,
            i64,
            Option<i64>,
            Option<u32>,
            Option<i64>,
        ) = self.conn.query_row(
            "SELECT enabled, shipped_seq, snapshot_seq, snapshot_schema, snapshot_at_ms
                 FROM backup_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let (pending, oldest): (i64, Option<i64>) = self.conn.query_row(
            "SELECT count(*), min(at_ms) FROM backup_changes WHERE seq > ?1",
            [shipped_seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(BackupState {
            enabled,
            shipped_seq,
            captured_seq: last_seq(&self.conn)?,
            pending,
            oldest_pending_ms: oldest,
            snapshot: match (snap_seq, snap_schema, snap_at) {
                (Some(s), Some(v), Some(t)) => Some((s, v, t)),
                _ => None,
            },
        })
    }

    /// Claims up to `max` unshipped changes for `owner` for `lease` (another process's
    /// unexpired lease: `None`). The same range may be claimed again after a lease runs out
    /// (its shipper died): segments then overlap, and restore applies each change once.
    pub fn backup_claim(&mut self, owner: &str, max: usize, lease: Duration) -> Result<Option<Claim>> {
        self.write_in_file(|store| {
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (enabled, shipped, holder, until): (bool, i64, Option<String>, Option<i64>) = tx.query_row(
                "SELECT enabled, shipped_seq, lease_owner, lease_until_ms FROM backup_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let now = now_ms();
            if !enabled || (holder.as_deref().is_some_and(|h| h != owner) && until.unwrap_or(0) > now) {
                return Ok(None);
            }
            let changes = {
                let mut stmt = tx.prepare(
                    "SELECT seq, at_ms, tbl, op, row FROM backup_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![shipped, max as i64], |r| {
                    Ok(Change {
                        seq: r.get(0)?,
                        at_ms: r.get(1)?,
                        table: r.get(2)?,
                        upsert: r.get::<_, String>(3)? == "u",
                        row: r.get(4)?,
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            if !changes.is_empty() {
                tx.execute(
                    "UPDATE backup_state SET lease_owner = ?1, lease_until_ms = ?2 WHERE id = 1",
                    params![owner, now + lease.as_millis() as i64],
                )?;
            }
            let schema: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            tx.commit()?;
            Ok(Some(Claim { changes, schema }))
        })
    }

    /// For the shipper's own connection: its commits (claims, acknowledgements) skip the
    /// fsync (`synchronous = NORMAL` in WAL mode). Losing one to a power cut only ships the
    /// same changes again; the changes themselves were committed durably by their writer.
    pub fn backup_shipper_connection(&self) -> Result<()> {
        Ok(self.conn.pragma_update(None, "synchronous", "NORMAL")?)
    }

    /// Records that every change up to `upto` is shipped: they are deleted from the log and
    /// `owner`'s lease ends.
    pub fn backup_shipped(&mut self, owner: &str, upto: i64) -> Result<()> {
        self.write_in_file(|store| {
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE backup_state SET shipped_seq = max(shipped_seq, ?1),
                    lease_owner = CASE WHEN lease_owner = ?2 THEN NULL ELSE lease_owner END
                 WHERE id = 1",
                params![upto, owner],
            )?;
            tx.execute("DELETE FROM backup_changes WHERE seq <= ?1", [upto])?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Records the newest shipped snapshot: it includes every change up to `seq`, under
    /// schema `schema`, taken at `at_ms`.
    pub fn backup_snapshot_shipped(&mut self, seq: i64, schema: u32, at_ms: i64) -> Result<()> {
        self.writing(|| {
            self.conn.execute(
                "UPDATE backup_state SET snapshot_seq = ?1, snapshot_schema = ?2, snapshot_at_ms = ?3 WHERE id = 1",
                params![seq, schema, at_ms],
            )?;
            Ok(())
        })
    }

    /// Calls `hook` whenever a transaction of this connection commits (before the commit
    /// completes: it must only signal, e.g. a channel). `None` removes it.
    pub fn set_commit_hook(&mut self, hook: Option<Box<dyn FnMut() -> bool + Send>>) -> Result<()> {
        Ok(self.conn.commit_hook(hook)?)
    }
}

/// The highest change number ever given out (0: none).
pub(crate) fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'backup_changes'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// The captured tables with their columns and keys, in name order.
fn tables(conn: &Connection) -> Result<Vec<Table>> {
    let mut stmt =
        conn.prepare("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' ORDER BY name")?;
    let listed: Vec<(String, String, bool)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let virtual_tables: Vec<String> = listed
        .iter()
        .filter(|(_, kind, _)| kind == "virtual")
        .map(|(n, _, _)| n.clone())
        .collect();
    let mut out = Vec::new();
    for (name, kind, without_rowid) in listed {
        if kind != "table" || !captured(&name, &virtual_tables) {
            continue;
        }
        let mut info = conn.prepare("SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid")?;
        let cols: Vec<(String, String, i64)> = info
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut pk: Vec<(i64, String)> = cols
            .iter()
            .filter(|c| c.2 > 0)
            .map(|c| (c.2, c.0.clone()))
            .collect();
        pk.sort();
        let alias = !without_rowid && pk.len() == 1 && {
            let col = cols.iter().find(|c| c.0 == pk[0].1);
            col.is_some_and(|c| c.1.eq_ignore_ascii_case("INTEGER"))
        };
        out.push(Table {
            columns: cols.into_iter().map(|c| c.0).collect(),
            key: if without_rowid {
                pk.into_iter().map(|p| p.1).collect()
            } else {
                Vec::new()
            },
            explicit_rowid: !without_rowid && !alias,
            name,
        });
    }
    Ok(out)
}

/// A hash of what the triggers depend on: the captured tables' definitions.
fn fingerprint(conn: &Connection) -> Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(GENERATOR.as_bytes());
    for t in tables(conn)? {
        hasher.update(t.name.as_bytes());
        for c in &t.columns {
            hasher.update(b"\0");
            hasher.update(c.as_bytes());
        }
        hasher.update(b"\n");
    }
    Ok(hasher.finalize().to_hex().to_string())
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A column value as JSON that reads back exactly: blobs as hex, reals with 17 digits.
fn encode(side: &str, col: &str) -> String {
    let v = format!("{side}.{}", quote(col));
    format!(
        "CASE typeof({v}) WHEN 'blob' THEN json_object('b', hex({v})) \
         WHEN 'real' THEN json_object('r', printf('%.17g', {v})) ELSE {v} END"
    )
}

/// `json_object(...)` of name/value pairs, in pieces merged with `json_patch` (SQLite
/// limits a function's arguments).
fn json_of(pairs: &[(String, String)]) -> String {
    let objects: Vec<String> = pairs
        .chunks(40)
        .map(|chunk| {
            let args: Vec<String> = chunk
                .iter()
                .map(|(k, v)| format!("{}, {v}", literal(k)))
                .collect();
            format!("json_object({})", args.join(", "))
        })
        .collect();
    objects
        .into_iter()
        .reduce(|a, b| format!("json_patch({a}, {b})"))
        .unwrap_or_else(|| "json_object()".into())
}

impl Table {
    fn key_json(&self, side: &str) -> String {
        if self.key.is_empty() {
            json_of(&[("_rowid_".into(), format!("{side}.rowid"))])
        } else {
            let pairs: Vec<_> = self.key.iter().map(|k| (k.clone(), encode(side, k))).collect();
            json_of(&pairs)
        }
    }

    fn row_json(&self) -> String {
        let mut pairs = Vec::new();
        if self.explicit_rowid {
            pairs.push(("_rowid_".to_owned(), "NEW.rowid".to_owned()));
        }
        pairs.extend(self.columns.iter().map(|c| (c.clone(), encode("NEW", c))));
        json_of(&pairs)
    }

    fn trigger_sql(&self) -> [String; 3] {
        let t = quote(&self.name);
        let name = literal(&self.name);
        let log = "INSERT INTO backup_changes (at_ms, tbl, op, row)";
        let upsert = format!("{log} VALUES ({NOW_MS}, {name}, 'u', {});", self.row_json());
        let (old_key, new_key) = (self.key_json("OLD"), self.key_json("NEW"));
        [
            format!(
                "CREATE TRIGGER {} AFTER INSERT ON {t} BEGIN {upsert} END",
                quote(&format!("backup_{}_ins", self.name))
            ),
            format!(
                "CREATE TRIGGER {} AFTER UPDATE ON {t} BEGIN \
                 {log} SELECT {NOW_MS}, {name}, 'd', {old_key} WHERE {old_key} IS NOT {new_key}; {upsert} END",
                quote(&format!("backup_{}_upd", self.name))
            ),
            format!(
                "CREATE TRIGGER {} AFTER DELETE ON {t} BEGIN {log} VALUES ({NOW_MS}, {name}, 'd', {old_key}); END",
                quote(&format!("backup_{}_del", self.name))
            ),
        ]
    }
}

/// Drops every capture trigger.
fn drop_triggers(conn: &Connection) -> Result<()> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB 'backup_*'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for n in names {
        conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {}", quote(&n)))?;
    }
    Ok(())
}

/// (Re)creates the capture triggers for the current schema and records its fingerprint.
fn install_triggers(conn: &Connection) -> Result<()> {
    drop_triggers(conn)?;
    for table in tables(conn)? {
        for sql in table.trigger_sql() {
            conn.execute_batch(&sql)?;
        }
    }
    conn.execute(
        "UPDATE backup_state SET fingerprint = ?1 WHERE id = 1",
        [fingerprint(conn)?],
    )?;
    Ok(())
}

/// Before migrations run (inside their transaction): drops the capture triggers, which could
/// refuse a schema change (a dropped column a trigger names), and clears the fingerprint so the
/// next open makes them again for the new schema. A file older than the backup tables has none.
pub(crate) fn before_migration(conn: &Connection) -> Result<()> {
    let has_state: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'backup_state')",
        [],
        |r| r.get(0),
    )?;
    if has_state {
        drop_triggers(conn)?;
        conn.execute("UPDATE backup_state SET fingerprint = NULL WHERE id = 1", [])?;
    }
    Ok(())
}

/// Removes the capture triggers from a restored file and marks backup off in it.
pub(crate) fn detach(conn: &Connection, upto: i64) -> Result<()> {
    drop_triggers(conn)?;
    conn.execute("DELETE FROM backup_changes", [])?;
    conn.execute(
        "UPDATE backup_state SET enabled = 0, fingerprint = NULL, lease_owner = NULL,
            lease_until_ms = NULL, shipped_seq = ?1 WHERE id = 1",
        [upto],
    )?;
    // The log goes on from the restored point if backup is turned on again.
    conn.execute("DELETE FROM sqlite_sequence WHERE name = 'backup_changes'", [])?;
    conn.execute(
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('backup_changes', ?1)",
        [upto],
    )?;
    Ok(())
}
