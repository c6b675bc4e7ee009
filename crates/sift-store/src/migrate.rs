//! Bringing a project file's schema up to date, safely.
//!
//! - The schema version is read again inside the migration's IMMEDIATE transaction, so two
//!   processes opening an old file at once cannot both migrate it: the second waits for the
//!   write lock, then finds the file current.
//! - Before the first change, the file is copied with `VACUUM INTO` to a sibling named with
//!   its old schema version (`project.schema-4.sift`; `-2`, `-3`... when that name is taken,
//!   an earlier copy is never overwritten). The copy is made through a second connection
//!   while this one holds the write lock, so it is exactly the state being migrated.
//! - All pending migrations and the new version commit as one transaction: a failure (or a
//!   crash) leaves the file as it was.
//! - Foreign keys are off while migrations run, so one may rebuild a table other tables refer
//!   to (SQLite's way to drop a constraint: create, copy, drop, rename), and checked in full
//!   before the commit: a migration that left a dangling reference fails and changes nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::faults::file_uri;
use crate::open::DEFAULT_BUSY_TIMEOUT;
use crate::{MIGRATIONS, Result, SCHEMA_VERSION, Store, StoreError};

/// How long opening an old file waits for another process that is migrating it (copying a
/// large project takes a while).
const MIGRATION_LOCK_TIMEOUT: Duration = Duration::from_secs(300);

impl Store {
    /// Applies pending migrations (none for a current file, which takes no lock).
    pub(crate) fn migrate(&mut self) -> Result<()> {
        let seen = self.schema_version()?;
        not_too_new(seen)?;
        if seen == SCHEMA_VERSION {
            return Ok(());
        }
        self.conn.busy_timeout(MIGRATION_LOCK_TIMEOUT)?;
        // Outside any transaction: SQLite ignores this pragma inside one.
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        let migrated = self.migrate_locked();
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.busy_timeout(DEFAULT_BUSY_TIMEOUT)?;
        migrated
    }

    fn migrate_locked(&mut self) -> Result<()> {
        let Store { conn, path, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Decided under the write lock: whoever migrated first, the others find it done.
        let current: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        not_too_new(current)?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        // A new file (version 0) has nothing to keep.
        let copy = if current > 0 {
            Some(copy_before_migrating(path, current)?)
        } else {
            None
        };
        crate::backup::before_migration(&tx)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = i as u32 + 1;
            tx.execute_batch(sql)
                .map_err(|e| StoreError::migration(path, version, e))?;
        }
        check_foreign_keys(&tx, path)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        if let Some(copy) = copy {
            tx.execute(
                "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'schema_migrated', ?2)",
                params![
                    sift_core::now_rfc3339(),
                    serde_json::json!({
                        "from": current,
                        "to": SCHEMA_VERSION,
                        "copy": copy.display().to_string()
                    })
                    .to_string()
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Every reference of every table still finds its row (foreign keys are off while migrations
/// run): the first dangling one fails the migration.
fn check_foreign_keys(conn: &Connection, path: &Path) -> Result<()> {
    let dangling: Option<(String, i64, String)> = conn
        .prepare("PRAGMA foreign_key_check")?
        .query_row([], |r| {
            Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0), r.get(2)?))
        })
        .optional()?;
    match dangling {
        None => Ok(()),
        Some((table, rowid, parent)) => Err(StoreError::migration(
            path,
            SCHEMA_VERSION,
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                Some(format!(
                    "row {rowid} of {table} refers to a missing row of {parent}"
                )),
            ),
        )),
    }
}

fn not_too_new(version: u32) -> Result<()> {
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Copies the project at `path` (schema `version`) to a new sibling file, read through a
/// second connection. Returns the copy's path; a failed copy is removed and migration does
/// not go ahead.
fn copy_before_migrating(path: &Path, version: u32) -> Result<PathBuf> {
    let copy = copy_name(path, version);
    let copied = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )
    .and_then(|reader| reader.execute("VACUUM INTO ?1", [file_uri(&copy, None)]));
    match copied {
        Ok(_) => Ok(copy),
        Err(source) => {
            // Nothing of a failed copy is kept (it may not even exist).
            let _ = std::fs::remove_file(&copy);
            Err(StoreError::copy(path, &copy, source))
        }
    }
}

/// `<stem>.schema-<version>.<ext>` beside `path`, or `...schema-<version>-<n>...` when taken.
fn copy_name(path: &Path, version: u32) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "project".into(), |s| s.to_string_lossy().into_owned());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (1..)
        .map(|n| {
            let suffix = if n == 1 { String::new() } else { format!("-{n}") };
            path.with_file_name(format!("{stem}.schema-{version}{suffix}{ext}"))
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| path.with_file_name(format!("{stem}.schema-{version}{ext}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_named_with_the_old_version_and_never_replace_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("project.sift");
        assert_eq!(copy_name(&p, 4), dir.path().join("project.schema-4.sift"));
        std::fs::write(dir.path().join("project.schema-4.sift"), b"x").unwrap();
        std::fs::write(dir.path().join("project.schema-4-2.sift"), b"x").unwrap();
        assert_eq!(copy_name(&p, 4), dir.path().join("project.schema-4-3.sift"));
        assert_eq!(
            copy_name(&dir.path().join("bare"), 1),
            dir.path().join("bare.schema-1")
        );
    }
}
