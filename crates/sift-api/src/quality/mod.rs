//! Quality control as a report (issue 18): agreement between annotators, consensus and how
//! each person's work compares with it, and annotator analytics — for the project, per batch
//! and per annotator. The store hands over plain rows ([`sift_store::SubmittedWork`], review
//! tallies, activity per day); [`agreement`] turns each scope's work into the measures the
//! field uses for the template's kind with `sift-quality`; [`people`] makes the annotator
//! figures; [`html`] writes the report as one self-contained HTML file (`sift report`).
//!
//! A measure that has no value on the data (one rating per item, every rating the same) is
//! reported as undefined with its reason, never as a made-up 0 or 1.

pub mod agreement;
pub mod gold;
pub mod html;
mod people;
pub mod quotas;
mod svg;

use std::collections::BTreeMap;

use serde::Serialize;
use sift_store::{DayActivity, SubmittedWork};

use crate::{Project, Result};

pub(crate) use agreement::rank_consensus;
pub use agreement::{ConsensusFigure, ConsensusSummary, Measure, PairFigure, Scope};
pub use people::AnnotatorFigures;
/// Where a dataset target stands, and how an annotator's gold accuracy is judged (from `sift-quality`).
pub use sift_quality::{GoldStatus, QuotaStatus};

/// The whole report: project, batches, annotators, days.
#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    /// The project's name.
    pub project: String,
    /// Its template kind (`classification`, `ranking`, ...).
    pub kind: String,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    /// Every submitted or approved annotation of the project.
    pub overall: Scope,
    /// The same per batch, oldest first.
    pub batches: Vec<BatchScope>,
    /// Per annotator, by name.
    pub annotators: Vec<AnnotatorFigures>,
    /// Submissions and active time per day and annotator.
    pub days: Vec<DayActivity>,
    /// Gold items: how they are used and each annotator's accuracy on them.
    pub gold: GoldSection,
    /// The template's dataset targets against the work so far.
    pub quotas: quotas::QuotaReport,
}

/// Gold items in the report.
#[derive(Debug, Clone, Serialize)]
pub struct GoldSection {
    /// Gold items in the project.
    pub items: u64,
    /// How they are mixed in and judged.
    pub settings: gold::GoldSettings,
    /// Each annotator's accuracy, by name.
    pub records: Vec<gold::GoldRecord>,
}

/// One batch's figures.
#[derive(Debug, Clone, Serialize)]
pub struct BatchScope {
    /// The batch's name.
    pub name: String,
    /// Independent annotations asked per item.
    pub overlap: u32,
    /// Items in the batch.
    pub items: u64,
    /// Items with `overlap` submissions.
    pub complete: u64,
    /// Agreement and consensus over the batch's items.
    pub scope: Scope,
}

impl Project {
    /// The quality report of the project as it is now.
    pub fn quality_report(&self) -> Result<QualityReport> {
        let info = self.info()?;
        let work = self.store.submitted_work()?;
        let context = self.item_context(&work)?;
        let overall = agreement::scope(self.template(), &context, &work.iter().collect::<Vec<_>>());
        let mut members: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (batch, item) in self.store.batch_members()? {
            members.entry(batch).or_default().push(item);
        }
        let mut batches = Vec::new();
        for b in self.store.batch_progress()? {
            let items: std::collections::BTreeSet<i64> =
                members.remove(&b.name).unwrap_or_default().into_iter().collect();
            let in_batch: Vec<&SubmittedWork> = work.iter().filter(|w| items.contains(&w.item_id)).collect();
            batches.push(BatchScope {
                name: b.name,
                overlap: b.overlap,
                items: b.items,
                complete: b.complete,
                scope: agreement::scope(self.template(), &context, &in_batch),
            });
        }
        let annotators = people::figures(&work, &self.store.review_tallies()?, &overall);
        Ok(QualityReport {
            project: info.name,
            kind: info.kind,
            generated_at: sift_core::now_rfc3339(),
            overall,
            batches,
            annotators,
            days: self.store.day_activity()?,
            gold: GoldSection {
                items: self.store.gold_count()?,
                settings: self.gold_settings()?,
                records: self.gold_records()?,
            },
            quotas: self.quota_report_of(&work)?,
        })
    }

    /// What the measures need of the items themselves: the image size of image items (for the
    /// matching radius) and the response ids of ranking items, by item id.
    fn item_context(&self, work: &[SubmittedWork]) -> Result<agreement::ItemContext> {
        let mut ctx = agreement::ItemContext::default();
        let mut last = None;
        for w in work {
            if last == Some(w.item_id) {
                continue;
            }
            last = Some(w.item_id);
            let Some(row) = self.store.item(w.item_id)? else {
                continue;
            };
            let Ok(content) = serde_json::from_str::<serde_json::Value>(&row.content) else {
                continue;
            };
            ctx.add(self.template(), w.item_id, &content);
        }
        Ok(ctx)
    }
}
