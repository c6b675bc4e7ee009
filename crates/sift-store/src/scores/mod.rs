//! Active learning in the project file: registered model versions, scoring runs, per-item
//! uncertainty scores (one row per item, model version and strategy), the vectors used for
//! batch diversity, and batches built from the scores.
//!
//! Scores are written one model batch per transaction, so an interrupted run keeps what it
//! finished; [`Store::items_to_score`] leaves out items that already have a score from the same
//! model version, so a rerun resumes. Earlier model versions' scores are never touched.
//!
//! `models` holds the model version registry, `runs` scoring runs and the scores they write,
//! `batches` batches built from the scores.
//!
//! [`Store::items_to_score`]: crate::Store::items_to_score

mod batches;
mod models;
mod runs;
#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) use batches::deal;
pub use batches::{BatchRow, NewBatch, ScoredItem};
pub use models::{ModelVersionRow, NewModelVersion};
pub use runs::{ModelScoreCounts, ScoreRecord, ScoringRunRow, StoredScore};
