//! The overview a lead opens first: items by state, each person's work and pace, batch
//! progress, reviews waiting, and the current model version.

use sift_store::{AnnotatorActivity, BatchProgress, ItemStateCounts, ModelScoreCounts, SearchIndexStatus};

use crate::{Project, Result};

/// One person's work and pace.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonActivity {
    /// The person and their annotations by state and time spent (flattened into the JSON).
    #[serde(flatten)]
    pub counts: AnnotatorActivity,
    /// Work handed in (submitted, approved or returned) per hour of recorded time; `None`
    /// before any time is recorded.
    pub items_per_hour: Option<f64>,
}

/// The current model version and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelSummary {
    /// The version and how many items it scored (flattened into the JSON).
    #[serde(flatten)]
    pub counts: ModelScoreCounts,
    /// `name@version`.
    pub label: String,
    /// Validation metrics of the version, `(metric, value)`, once the learning loop records
    /// them (empty until then).
    pub metrics: Vec<(String, String)>,
}

/// The overview.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Overview {
    /// The project's name.
    pub project: String,
    /// The template's kind (`qa`, `ranking`, `image-caption`, ...).
    pub kind: String,
    /// Items by summed state.
    pub items: ItemStateCounts,
    /// Everyone's work and pace.
    pub people: Vec<PersonActivity>,
    /// Each batch's progress.
    pub batches: Vec<BatchProgress>,
    /// Submitted work waiting for review.
    pub reviews_waiting: u64,
    /// The newest model version that scored anything.
    pub model: Option<ModelSummary>,
    /// How far the search index has got.
    pub search_index: SearchIndexStatus,
    /// The project was opened read-only: the lead can look, not change.
    pub read_only: bool,
}

impl Project {
    /// Every batch with its progress, oldest first (`sift status`).
    pub fn batch_progress(&self) -> Result<Vec<sift_store::BatchProgress>> {
        Ok(self.store.batch_progress()?)
    }

    /// Counts for the overview (a few grouped queries; fast on a million items).
    pub fn overview(&self) -> Result<Overview> {
        let info = self.store.project()?;
        let people = self
            .store
            .annotator_activity()?
            .into_iter()
            .map(|counts| {
                let handed_in = counts.submitted + counts.approved + counts.returned;
                let hours = counts.time_spent_ms as f64 / 3_600_000.0;
                PersonActivity {
                    items_per_hour: (hours > 0.0).then(|| handed_in as f64 / hours),
                    counts,
                }
            })
            .collect();
        let model = self
            .store
            .model_score_counts()?
            .into_iter()
            .filter(|m| m.items_scored > 0)
            .max_by_key(|m| m.model_version_id)
            .map(|counts| ModelSummary {
                label: format!("{}@{}", counts.name, counts.version),
                counts,
                metrics: Vec::new(),
            });
        Ok(Overview {
            project: info.name,
            kind: info.template_kind,
            items: self.store.item_state_counts()?,
            people,
            batches: self.store.batch_progress()?,
            reviews_waiting: self.store.reviews_waiting()?,
            model,
            search_index: self.store.search_index_status()?,
            read_only: self.read_only(),
        })
    }
}
