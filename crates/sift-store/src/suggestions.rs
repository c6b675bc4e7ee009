//! Model suggestions shown to annotators, in the project file (migration
//! `0009_suggestions.sql`): which saved versions were made with a suggestion shown, whether
//! the saved answer was the suggestion unchanged, and the acceptance figures over submissions.
//! A suggestion made from an imported prediction names its source instead of a model version.
//! The rows are written with their version ([`Store::record_work_with`]) and never change.

use rusqlite::{OptionalExtension, params};

use crate::rows::{self, FromRow};
use crate::{Result, Store};

/// A suggestion shown while a version was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SuggestionUse {
    /// The saved answer is the suggestion, unchanged.
    pub accepted: bool,
    /// The model version whose prediction was the item's suggestion when it was saved.
    pub model_version_id: Option<i64>,
    /// The source of the imported prediction that was the item's suggestion instead (no Sift
    /// head had predicted the item).
    pub prediction_source_id: Option<i64>,
}

/// What a saved version records about a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionSuggestion {
    /// Whether the saved labels equal the suggestion shown.
    pub accepted: bool,
    /// The model version whose prediction was shown, when known.
    pub model_version_id: Option<i64>,
    /// The source of the imported prediction shown instead, when it was one.
    pub prediction_source_id: Option<i64>,
}

rows::from_row! { VersionSuggestion { accepted, model_version_id, prediction_source_id } }

/// Suggestions over the submitted versions of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct SuggestionCounts {
    /// Submitted versions.
    pub submitted: u64,
    /// Of them, saved with a suggestion shown.
    pub shown: u64,
    /// Of those, whose answer was the suggestion unchanged.
    pub accepted: u64,
}

impl SuggestionCounts {
    /// The share of submissions made with a suggestion shown that accepted it unchanged;
    /// `None` when no suggestion was shown.
    pub fn acceptance_rate(&self) -> Option<f64> {
        (self.shown > 0).then(|| self.accepted as f64 / self.shown as f64)
    }
}

impl Store {
    /// What `version` of annotation `annotation_id` records about a suggestion (`None`: it was
    /// saved with none shown).
    pub fn version_suggestion(&self, annotation_id: i64, version: i64) -> Result<Option<VersionSuggestion>> {
        Ok(self
            .conn
            .query_row(
                "SELECT accepted, model_version_id, prediction_source_id FROM version_suggestions
                 WHERE annotation_id = ?1 AND version = ?2",
                params![annotation_id, version],
                VersionSuggestion::from_row,
            )
            .optional()?)
    }

    /// Suggestions shown and accepted over every submitted version.
    pub fn suggestion_counts(&self) -> Result<SuggestionCounts> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COUNT(s.annotation_id), COALESCE(SUM(s.accepted), 0)
             FROM annotation_versions v
             LEFT JOIN version_suggestions s ON s.annotation_id = v.annotation_id AND s.version = v.version
             WHERE v.kind = 'submitted'",
            [],
            |r| {
                let n = |i: usize| r.get::<_, i64>(i).map(|v| u64::try_from(v).unwrap_or(0));
                Ok(SuggestionCounts {
                    submitted: n(0)?,
                    shown: n(1)?,
                    accepted: n(2)?,
                })
            },
        )?)
    }
}
