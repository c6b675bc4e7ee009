//! Browser sessions of `sift serve` (table `sessions`, migration 0010): only the BLAKE3 hash
//! of a session id, the person it belongs to, and when it was created and last used. The id
//! itself and the person's access token are never stored. A new or removed token ends the
//! person's sessions (a trigger), and so does removing the person (`ON DELETE CASCADE`).
//!
//! The limits (idle, absolute, how many) are the caller's: the store sweeps and evicts as
//! told, and reports the times so the caller can decide whether a session is still live.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::people::{self, AnnotatorRow, COLUMNS};
use crate::{Result, Store};

/// A stored session and the person it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The person, as they are now (a changed role applies at once).
    pub annotator: AnnotatorRow,
    /// When the session started (Unix milliseconds).
    pub created_ms: i64,
    /// When it was last marked used (Unix milliseconds; callers mark it now and then, not at
    /// every request).
    pub last_seen_ms: i64,
}

/// What [`Store::insert_session`] sweeps before adding a session, and how many it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCap {
    /// Sessions last used before this moment (Unix ms) have idled out and are removed.
    pub idle_before_ms: i64,
    /// Sessions created before this moment (Unix ms) are past their lifetime and removed.
    pub created_before_ms: i64,
    /// At most this many sessions remain, the new one included: the least recently used
    /// others are ended to make room.
    pub max_sessions: usize,
}

impl Store {
    /// Stores a new session of person `annotator_id` under `id_hash` (the hash of its id),
    /// first removing expired sessions and, beyond [`SessionCap::max_sessions`], the least
    /// recently used. One write transaction.
    pub fn insert_session(
        &self,
        id_hash: &[u8; 32],
        annotator_id: i64,
        now_ms: i64,
        cap: SessionCap,
    ) -> Result<()> {
        self.writing(|| {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM sessions WHERE last_seen_ms < ?1 OR created_ms < ?2",
                params![cap.idle_before_ms, cap.created_before_ms],
            )?;
            let live: i64 = tx.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))?;
            let keep = i64::try_from(cap.max_sessions.max(1) - 1).unwrap_or(i64::MAX);
            let excess = live.saturating_sub(keep);
            if excess > 0 {
                tx.execute(
                    "DELETE FROM sessions WHERE id_hash IN
                       (SELECT id_hash FROM sessions ORDER BY last_seen_ms, created_ms LIMIT ?1)",
                    [excess],
                )?;
            }
            tx.execute(
                "INSERT INTO sessions (id_hash, annotator_id, created_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?3)",
                params![id_hash.as_slice(), annotator_id, now_ms],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The session stored under `id_hash` with its person; `None` when there is none, or when
    /// the person no longer has an access token.
    pub fn session_by_hash(&self, id_hash: &[u8]) -> Result<Option<SessionRow>> {
        // The person's columns come first (no column name is shared by the two tables).
        let sql = format!(
            "SELECT {COLUMNS}, s.created_ms, s.last_seen_ms
             FROM sessions s JOIN annotators a ON a.id = s.annotator_id
             WHERE s.id_hash = ?1 AND a.token_hash IS NOT NULL"
        );
        let row = self
            .conn
            .query_row(&sql, [id_hash], |r| {
                Ok(SessionRow {
                    annotator: people::row(r)?,
                    created_ms: r.get(5)?,
                    last_seen_ms: r.get(6)?,
                })
            })
            .optional()?;
        Ok(row)
    }

    /// Marks a session used at `now_ms` (never moving its time back).
    pub fn touch_session(&self, id_hash: &[u8], now_ms: i64) -> Result<()> {
        self.writing(|| {
            self.conn.execute(
                "UPDATE sessions SET last_seen_ms = ?2 WHERE id_hash = ?1 AND last_seen_ms < ?2",
                params![id_hash, now_ms],
            )?;
            Ok(())
        })
    }

    /// Removes a session (sign-out, or found expired); true when there was one.
    pub fn delete_session(&self, id_hash: &[u8]) -> Result<bool> {
        self.writing(|| {
            Ok(self
                .conn
                .execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?
                > 0)
        })
    }

    /// How many sessions are stored (live or not yet swept).
    pub fn session_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))?;
        Ok(n.max(0).unsigned_abs())
    }
}
