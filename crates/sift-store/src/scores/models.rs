//! The model version registry: every model registered in the project, by name and version
//! number (scorers and encoders alike).

use rusqlite::{OptionalExtension, params};

use crate::rows::{self, FromRow};
use crate::{Result, Store};

/// A registered model version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelVersionRow {
    /// The model version's id (what scores, runs and batches refer to).
    pub id: i64,
    /// The model's registry name (from its config, or the model file's stem).
    pub name: String,
    /// 1, 2, ... per name, in the order the versions were added.
    pub version: i64,
    /// BLAKE3 of the model file (hex).
    pub file_hash: String,
    /// Where the stored copy of the model lives (absolute, or relative to the project folder).
    pub file_path: String,
    /// The model config (TOML) as stored.
    pub config: String,
    /// What the model file declares (JSON), as checked when it was added.
    pub signature: Option<String>,
    /// When it was registered (RFC 3339, UTC).
    pub added_at: String,
}

/// A model version to register.
#[derive(Debug, Clone, Copy)]
pub struct NewModelVersion<'a> {
    /// The registry name; the version number is the next free one for this name.
    pub name: &'a str,
    /// BLAKE3 of the model file (hex).
    pub file_hash: &'a str,
    /// Where the stored copy of the model lives (absolute, or relative to the project folder).
    pub file_path: &'a str,
    /// The model config (TOML), as it is to be stored.
    pub config: &'a str,
    /// What the model file declares (JSON), if it was checked.
    pub signature: Option<&'a str>,
}

const MODEL_COLUMNS: &str = "id, name, version, file_hash, file_path, config, signature, added_at";

rows::from_row! { ModelVersionRow { id, name, version, file_hash, file_path, config, signature, added_at } }

impl Store {
    /// The version number the next model added under `name` gets.
    pub fn next_model_version(&self, name: &str) -> Result<i64> {
        let max: Option<i64> = self.conn.query_row(
            "SELECT max(version) FROM model_versions WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Registers a model version under the next version number for its name.
    pub fn add_model_version(&mut self, model: &NewModelVersion<'_>) -> Result<ModelVersionRow> {
        self.write_in_file(|store| {
            let tx = store.conn.transaction()?;
            let version: i64 = tx.query_row(
                "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?1",
                [model.name],
                |r| r.get(0),
            )?;
            tx.execute(
            "INSERT INTO model_versions (name, version, file_hash, file_path, config, signature, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                model.name,
                version,
                model.file_hash,
                model.file_path,
                model.config,
                model.signature,
                sift_core::now_rfc3339()
            ],
        )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO events (at, actor, kind, data) VALUES (?1, NULL, 'model_added', ?2)",
                params![
                    sift_core::now_rfc3339(),
                    serde_json::json!({"name": model.name, "version": version, "file_hash": model.file_hash})
                        .to_string()
                ],
            )?;
            let row = tx.query_row(
                &format!("SELECT {MODEL_COLUMNS} FROM model_versions WHERE id = ?1"),
                [id],
                ModelVersionRow::from_row,
            )?;
            tx.commit()?;
            Ok(row)
        })
    }

    /// Every registered model version, by name then version.
    pub fn model_versions(&self) -> Result<Vec<ModelVersionRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MODEL_COLUMNS} FROM model_versions ORDER BY name, version"
        ))?;
        rows::all(&mut stmt, [])
    }

    /// One model version by id.
    pub fn model_version_by_id(&self, id: i64) -> Result<Option<ModelVersionRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {MODEL_COLUMNS} FROM model_versions WHERE id = ?1"),
                [id],
                ModelVersionRow::from_row,
            )
            .optional()?)
    }

    /// `name@version`, or the newest version of `name` when `version` is `None`.
    pub fn model_version(&self, name: &str, version: Option<i64>) -> Result<Option<ModelVersionRow>> {
        let sql = format!(
            "SELECT {MODEL_COLUMNS} FROM model_versions WHERE name = ?1 AND (?2 IS NULL OR version = ?2)
             ORDER BY version DESC LIMIT 1"
        );
        Ok(self
            .conn
            .query_row(&sql, params![name, version], ModelVersionRow::from_row)
            .optional()?)
    }

    /// The most recently added model version of any name.
    pub fn latest_model_version(&self) -> Result<Option<ModelVersionRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {MODEL_COLUMNS} FROM model_versions ORDER BY id DESC LIMIT 1"),
                [],
                ModelVersionRow::from_row,
            )
            .optional()?)
    }
}
