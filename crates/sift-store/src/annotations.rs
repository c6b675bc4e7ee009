//! Saving annotation versions and reviewing them, under the state machine of `sift-core`.

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use sift_core::{Action, AnnotationState};

use crate::rows::{self, FromRow};
use crate::{Result, Store, StoreError, SuggestionUse};
use sift_core::{apply, named_enum};

/// One annotator's work on one item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnnotationRow {
    /// The annotation's id (unique per item and annotator).
    pub id: i64,
    /// The item it labels.
    pub item_id: i64,
    /// The annotator whose work it is.
    pub annotator_id: i64,
    /// That annotator's name.
    pub annotator: String,
    /// Where the work stands in the review state machine.
    pub state: AnnotationState,
    /// The number of the newest saved version (versions count from 1).
    pub latest_version: i64,
    /// The newest submitted version, if the work was ever submitted; reviews judge this one.
    pub submitted_version: Option<i64>,
    /// Total active time over all saves, in milliseconds (saturating, never negative).
    pub time_spent_ms: i64,
    /// When the first version was saved (RFC 3339, UTC).
    pub created_at: String,
    /// When the last save or review changed it (RFC 3339, UTC).
    pub updated_at: String,
}

/// One saved version of an annotation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionRow {
    /// The version number, from 1, one more at every save.
    pub version: i64,
    /// Whether this save was a submission (`false`: a draft).
    pub submitted: bool,
    /// The annotation as JSON text (the template kind's payload), exactly as saved.
    pub payload: String,
    /// Active time spent since the previous save, in milliseconds, within
    /// `0..=sift_core::MAX_TIME_SPENT_MS` (older rows are clamped when read).
    pub time_spent_ms: i64,
    /// When it was saved (RFC 3339, UTC).
    pub created_at: String,
}

/// A reviewer's verdict.
#[apply(named_enum!)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Decision {
    /// The version is accepted; the annotation becomes [`AnnotationState::Approved`] (final).
    Approved,
    /// The version goes back to its annotator for rework, usually with a comment.
    Returned,
}

impl Decision {
    /// The verdict's name, as stored and serialized.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The state-machine action this verdict is.
    pub fn action(self) -> Action {
        match self {
            Decision::Approved => Action::Approve,
            Decision::Returned => Action::Return,
        }
    }
}

/// `reviews.decision` (the schema allows only these two).
impl rusqlite::types::FromSql for Decision {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        sift_core::parse_name(value.as_str()?, "review decision")
            .map_err(|e| rusqlite::types::FromSqlError::Other(e.into()))
    }
}

/// A review of one version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ReviewRow {
    /// The review's id.
    pub id: i64,
    /// The annotation version that was judged.
    pub version: i64,
    /// The reviewer's name.
    pub reviewer: String,
    /// Approved or returned.
    pub decision: Decision,
    /// The reviewer's comment to the annotator, if any.
    pub comment: Option<String>,
    /// JSON anchor: `{"span":[s,e]}`, `{"object":"id"}` or `{"time":12.5}`.
    pub anchor: Option<String>,
    /// When the review was recorded (RFC 3339, UTC).
    pub created_at: String,
}

rows::from_row! { ReviewRow { id, version, reviewer, decision, comment, anchor, created_at } }

const ANNOTATION_COLUMNS: &str = "a.id, a.item_id, a.annotator_id, p.name, a.state, a.latest_version,
     a.submitted_version, a.time_spent_ms, a.created_at, a.updated_at";

// Versions saved before each save was bounded read back within the bound; the stored row
// itself never changes.
rows::from_row! {
    VersionRow { version, submitted, payload, time_spent_ms: sift_core::clamp_time_spent_ms, created_at }
}

fn annotation_row(r: &Row<'_>) -> rusqlite::Result<AnnotationRow> {
    let state: String = r.get(4)?;
    Ok(AnnotationRow {
        id: r.get(0)?,
        item_id: r.get(1)?,
        annotator_id: r.get(2)?,
        annotator: r.get(3)?,
        state: state.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
        })?,
        latest_version: r.get(5)?,
        submitted_version: r.get(6)?,
        time_spent_ms: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn load(
    conn: &rusqlite::Connection,
    where_sql: &str,
    args: impl rusqlite::Params,
) -> Result<Option<AnnotationRow>> {
    let sql = format!(
        "SELECT {ANNOTATION_COLUMNS} FROM annotations a JOIN annotators p ON p.id = a.annotator_id WHERE {where_sql}"
    );
    Ok(conn.query_row(&sql, args, annotation_row).optional()?)
}

impl Store {
    /// An annotator's annotation of an item; `None` when they have saved nothing for it.
    pub fn annotation(&self, item_id: i64, annotator_id: i64) -> Result<Option<AnnotationRow>> {
        load(
            &self.conn,
            "a.item_id = ?1 AND a.annotator_id = ?2",
            params![item_id, annotator_id],
        )
    }

    /// An annotation by its id; `None` when there is none.
    pub fn annotation_by_id(&self, id: i64) -> Result<Option<AnnotationRow>> {
        load(&self.conn, "a.id = ?1", [id])
    }

    /// All annotations of an item, oldest first.
    pub fn annotations_of_item(&self, item_id: i64) -> Result<Vec<AnnotationRow>> {
        let sql = format!(
            "SELECT {ANNOTATION_COLUMNS} FROM annotations a JOIN annotators p ON p.id = a.annotator_id
             WHERE a.item_id = ?1 ORDER BY a.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([item_id], annotation_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Saves a draft or a submission as a new version. `time_spent_ms` is the time spent
    /// since the previous save (0 to 24 hours, else [`StoreError::Invalid`]) and is added to
    /// the annotation's total, which saturates rather than overflows.
    pub fn record_work(
        &mut self,
        item_id: i64,
        annotator_id: i64,
        action: Action,
        payload: &str,
        time_spent_ms: i64,
    ) -> Result<AnnotationRow> {
        self.record_work_with(item_id, annotator_id, action, payload, time_spent_ms, None)
    }

    /// [`record_work`](Self::record_work) that also records, with the new version and in the
    /// same transaction, that a model suggestion was shown for the item (and whether the saved
    /// answer is that suggestion unchanged); `None`: no suggestion was shown.
    pub fn record_work_with(
        &mut self,
        item_id: i64,
        annotator_id: i64,
        action: Action,
        payload: &str,
        time_spent_ms: i64,
        suggestion: Option<&SuggestionUse>,
    ) -> Result<AnnotationRow> {
        self.write_in_file(|store| {
            if !matches!(action, Action::SaveDraft | Action::Submit) {
                return Err(StoreError::Conflict(format!("{action} is a review action")));
            }
            let now = sift_core::now_rfc3339();
            let time_spent_ms = sift_core::check_time_spent_ms(time_spent_ms)?;
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM items WHERE id = ?1)",
                [item_id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::NotFound(format!("item {item_id}")));
            }
            let current = load(
                &tx,
                "a.item_id = ?1 AND a.annotator_id = ?2",
                params![item_id, annotator_id],
            )?;
            let next = AnnotationState::apply(current.as_ref().map(|a| a.state), action)?;
            let submitted = action == Action::Submit;
            let annotation_id = match &current {
                Some(a) => {
                    tx.execute(
                        "UPDATE annotations SET state = ?2, latest_version = latest_version + 1,
                            submitted_version = CASE WHEN ?3 THEN latest_version + 1 ELSE submitted_version END,
                            time_spent_ms = ?4, updated_at = ?5
                         WHERE id = ?1",
                        params![
                            a.id,
                            next.as_str(),
                            submitted,
                            sift_core::add_time_spent_ms(a.time_spent_ms, time_spent_ms),
                            now
                        ],
                    )?;
                    a.id
                }
                None => {
                    tx.execute(
                        "INSERT INTO annotations (item_id, annotator_id, state, latest_version, submitted_version,
                                                  time_spent_ms, created_at, updated_at)
                         VALUES (?1, ?2, ?3, 1, CASE WHEN ?4 THEN 1 END, ?5, ?6, ?6)",
                        params![item_id, annotator_id, next.as_str(), submitted, time_spent_ms, now],
                    )?;
                    tx.last_insert_rowid()
                }
            };
            let version = current.as_ref().map_or(1, |a| a.latest_version + 1);
            tx.execute(
                "INSERT INTO annotation_versions (annotation_id, version, kind, payload, time_spent_ms, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![annotation_id, version, if submitted { "submitted" } else { "draft" }, payload, time_spent_ms, now],
            )?;
            if let Some(s) = suggestion {
                tx.execute(
                    "INSERT INTO version_suggestions (annotation_id, version, accepted, model_version_id,
                                                      prediction_source_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        annotation_id,
                        version,
                        s.accepted,
                        s.model_version_id,
                        s.prediction_source_id
                    ],
                )?;
            }
            if submitted {
                tx.execute(
                    "INSERT INTO events (at, actor, kind, data)
                     SELECT ?1, name, 'submitted', json_object('item', ?2, 'version', ?3) FROM annotators WHERE id = ?4",
                    params![now, item_id, version, annotator_id],
                )?;
            }
            let row = load(&tx, "a.id = ?1", [annotation_id])?
                .ok_or_else(|| StoreError::NotFound(format!("annotation {annotation_id}")))?;
            tx.commit()?;
            Ok(row)
        })
    }

    /// Approves or returns `version` of an annotation. Only the latest submitted version of
    /// an annotation waiting for review can be judged.
    pub fn review(
        &mut self,
        annotation_id: i64,
        version: i64,
        reviewer_id: i64,
        decision: Decision,
        comment: Option<&str>,
        anchor: Option<&str>,
    ) -> Result<AnnotationRow> {
        self.write_in_file(|store| {
            let now = sift_core::now_rfc3339();
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let a = load(&tx, "a.id = ?1", [annotation_id])?
                .ok_or_else(|| StoreError::NotFound(format!("annotation {annotation_id}")))?;
            let next = AnnotationState::apply(Some(a.state), decision.action())?;
            if a.submitted_version != Some(version) {
                return Err(StoreError::Conflict(format!(
                    "version {version} is not the latest submission of this annotation (the latest is {})",
                    a.submitted_version
                        .map_or_else(|| "none".to_owned(), |v| v.to_string())
                )));
            }
            tx.execute(
            "INSERT INTO reviews (annotation_id, version, reviewer_id, decision, comment, anchor, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                annotation_id,
                version,
                reviewer_id,
                decision.as_str(),
                comment,
                anchor,
                now
            ],
        )?;
            tx.execute(
                "UPDATE annotations SET state = ?2, updated_at = ?3 WHERE id = ?1",
                params![annotation_id, next.as_str(), now],
            )?;
            tx.execute(
                "INSERT INTO events (at, actor, kind, data)
             SELECT ?1, name, ?2, json_object('annotation', ?3, 'version', ?4) FROM annotators WHERE id = ?5",
                params![now, decision.as_str(), annotation_id, version, reviewer_id],
            )?;
            let row = load(&tx, "a.id = ?1", [annotation_id])?
                .ok_or_else(|| StoreError::NotFound(format!("annotation {annotation_id}")))?;
            tx.commit()?;
            Ok(row)
        })
    }

    /// An annotator's own work, most recently changed first (to reopen finished items).
    pub fn recent_work(&self, annotator_id: i64, limit: u32) -> Result<Vec<AnnotationRow>> {
        let sql = format!(
            "SELECT {ANNOTATION_COLUMNS} FROM annotations a JOIN annotators p ON p.id = a.annotator_id
             WHERE a.annotator_id = ?1 ORDER BY a.updated_at DESC, a.id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![annotator_id, limit], annotation_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Submitted annotations waiting for review, oldest submission first.
    pub fn pending_reviews(&self, limit: u32) -> Result<Vec<AnnotationRow>> {
        let sql = format!(
            "SELECT {ANNOTATION_COLUMNS} FROM annotations a JOIN annotators p ON p.id = a.annotator_id
             WHERE a.state = 'submitted' ORDER BY a.updated_at, a.id LIMIT ?1"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([limit], annotation_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every version of an annotation, oldest first.
    pub fn versions(&self, annotation_id: i64) -> Result<Vec<VersionRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT version, kind = 'submitted', payload, time_spent_ms, created_at
             FROM annotation_versions WHERE annotation_id = ?1 ORDER BY version",
        )?;
        rows::all(&mut stmt, [annotation_id])
    }

    /// The newest version of an annotation.
    pub fn latest_version(&self, annotation_id: i64) -> Result<Option<VersionRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT version, kind = 'submitted', payload, time_spent_ms, created_at
             FROM annotation_versions WHERE annotation_id = ?1 ORDER BY version DESC LIMIT 1",
        )?;
        Ok(stmt.query_row([annotation_id], VersionRow::from_row).optional()?)
    }

    /// Every review of an annotation, oldest first.
    pub fn reviews(&self, annotation_id: i64) -> Result<Vec<ReviewRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.version, p.name, r.decision, r.comment, r.anchor, r.created_at
             FROM reviews r JOIN annotators p ON p.id = r.reviewer_id
             WHERE r.annotation_id = ?1 ORDER BY r.id",
        )?;
        rows::all(&mut stmt, [annotation_id])
    }
}
