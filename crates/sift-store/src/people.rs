//! Annotators, reviewers and leads.

use rusqlite::{OptionalExtension, Row, params};
use sift_core::Role;

use crate::{Result, Store, StoreError};

/// A person in the project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct AnnotatorRow {
    /// The person's id.
    pub id: i64,
    /// Their name, unique in the project.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// When they were added (RFC 3339, UTC).
    pub created_at: String,
    /// Whether they have an access token (only its hash is stored; the token itself never is).
    pub has_token: bool,
}

pub(crate) fn row(r: &Row<'_>) -> rusqlite::Result<AnnotatorRow> {
    let role: String = r.get(2)?;
    Ok(AnnotatorRow {
        id: r.get(0)?,
        name: r.get(1)?,
        role: role.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        created_at: r.get(3)?,
        has_token: r.get(4)?,
    })
}

pub(crate) const COLUMNS: &str = "id, name, role, created_at, token_hash IS NOT NULL";

impl Store {
    /// Adds a person; `token_hash` is the hash of their access token, if they get one.
    pub fn add_annotator(&self, name: &str, role: Role, token_hash: Option<&[u8]>) -> Result<AnnotatorRow> {
        self.writing(|| {
            let inserted = self.conn.execute(
                "INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO NOTHING",
                params![name, role.as_str(), token_hash, sift_core::now_rfc3339()],
            )?;
            if inserted == 0 {
                return Err(StoreError::Conflict(format!(
                    "an annotator named {name:?} already exists"
                )));
            }
            self.append_event(
                None,
                "annotator_added",
                &serde_json::json!({ "name": name, "role": role }),
            )?;
            self.annotator_by_name(name)?
                .ok_or_else(|| StoreError::NotFound(format!("annotator {name:?}")))
        })
    }

    /// Replaces a person's token (the old one stops working).
    pub fn set_annotator_token(&self, name: &str, token_hash: &[u8]) -> Result<()> {
        self.writing(|| {
            let n = self.conn.execute(
                "UPDATE annotators SET token_hash = ?2 WHERE name = ?1",
                params![name, token_hash],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("annotator {name:?}")));
            }
            self.append_event(
                None,
                "annotator_token_reset",
                &serde_json::json!({ "name": name }),
            )?;
            Ok(())
        })
    }

    /// Finds or creates an annotator by name (used when importing existing labels).
    pub fn ensure_annotator(&self, name: &str, role: Role) -> Result<AnnotatorRow> {
        if let Some(a) = self.annotator_by_name(name)? {
            return Ok(a);
        }
        self.add_annotator(name, role, None)
    }

    /// The person with this name; `None` when there is none.
    pub fn annotator_by_name(&self, name: &str) -> Result<Option<AnnotatorRow>> {
        let sql = format!("SELECT {COLUMNS} FROM annotators WHERE name = ?1");
        Ok(self.conn.query_row(&sql, [name], row).optional()?)
    }

    /// The person whose access token hashes to `token_hash`; `None` when no one's does.
    pub fn annotator_by_token_hash(&self, token_hash: &[u8]) -> Result<Option<AnnotatorRow>> {
        let sql = format!("SELECT {COLUMNS} FROM annotators WHERE token_hash = ?1");
        Ok(self.conn.query_row(&sql, [token_hash], row).optional()?)
    }

    /// Everyone in the project, by name.
    pub fn annotators(&self) -> Result<Vec<AnnotatorRow>> {
        let sql = format!("SELECT {COLUMNS} FROM annotators ORDER BY name");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
