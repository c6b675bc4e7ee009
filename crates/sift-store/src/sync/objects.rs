//! Transfer bookkeeping: which remote objects were pushed or pulled (`sync_objects`) and the
//! cached SHA-256 of local files (`sync_files`).

use rusqlite::{OptionalExtension, params};

use super::{Direction, record_objects};
use crate::rows::{self, FromRow};
use crate::{Result, Store};

/// A remote object as last transferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncObject {
    /// The object's key in the bucket.
    pub key: String,
    /// Its size in bytes.
    pub size: i64,
    /// SHA-256 of its bytes (64 lower-case hex digits).
    pub sha256: String,
    /// The ETag the store returned, when it returned one.
    pub etag: Option<String>,
}

impl Store {
    /// The last recorded transfer of `key` in `direction`.
    pub fn sync_object(&self, key: &str, direction: Direction) -> Result<Option<SyncObject>> {
        // Once per listed object in push, pull and status: a cached statement.
        Ok(self
            .conn
            .prepare_cached(
                "SELECT remote_key, size, sha256, etag FROM sync_objects WHERE remote_key = ?1 AND direction = ?2",
            )?
            .query_row(params![key, direction.as_str()], SyncObject::from_row)
            .optional()?)
    }

    /// Every recorded transfer in `direction` whose key starts with `prefix`.
    pub fn sync_objects(&self, direction: Direction, prefix: &str) -> Result<Vec<SyncObject>> {
        let mut stmt = self.conn.prepare(
            "SELECT remote_key, size, sha256, etag FROM sync_objects
             WHERE direction = ?1 AND substr(remote_key, 1, length(?2)) = ?2 ORDER BY remote_key",
        )?;
        rows::all(&mut stmt, params![direction.as_str(), prefix])
    }

    /// Records objects as transferred (one transaction).
    pub fn record_sync_objects(&mut self, direction: Direction, objects: &[SyncObject]) -> Result<()> {
        let tx = self.conn.transaction()?;
        record_objects(&tx, direction, objects)?;
        tx.commit()?;
        Ok(())
    }

    /// The recorded SHA-256 of a local file, if its size and modification time still match.
    pub fn cached_file_hash(&self, path: &str, size: i64, mtime_ns: i64) -> Result<Option<String>> {
        // Once per media file in push and status: a cached statement.
        Ok(self
            .conn
            .prepare_cached("SELECT sha256 FROM sync_files WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3")?
            .query_row(params![path, size, mtime_ns], |r| r.get(0))
            .optional()?)
    }

    /// Records local files' SHA-256 (path, size, mtime in ns, hash), one transaction.
    pub fn cache_file_hashes(&mut self, files: &[(String, i64, i64, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO sync_files (path, size, mtime_ns, sha256) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                                                 sha256 = excluded.sha256",
            )?;
            for (path, size, mtime, sha) in files {
                stmt.execute(params![path, size, mtime, sha])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

rows::from_row! { SyncObject { key, size, sha256, etag } }
