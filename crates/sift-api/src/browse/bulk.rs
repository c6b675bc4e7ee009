//! Bulk actions on a selection of items: make a batch of them (optionally dealt out to
//! annotators, optionally at the front of their queues), assign them to annotators, or return
//! their submitted work with one comment. Each is checked as the CLI's single actions are;
//! what could not be done is listed with its reason, never dropped.

use sift_store::{Decision, NewBatch, StoreError};

use crate::{Caller, Error, Project, Result, ReviewInput, Role};

/// A batch to make from selected items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MakeBatch {
    /// The batch name (default: `lab-<n>`, or `first-<n>` for [`MakeBatch::queue_first`]).
    pub name: Option<String>,
    /// The items, in batch order.
    pub items: Vec<i64>,
    /// Annotators to deal the items out to, round-robin in order (none: unassigned).
    pub assign: Vec<String>,
    /// "Queue first": the batch is marked `queue-first`. Assigned items come before any
    /// unassigned new work in their assignees' queues (which serve assigned batches oldest
    /// first, after returned work and drafts).
    pub queue_first: bool,
}

/// What a bulk action did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BulkReport {
    /// `make_batch`, `assign`, `return`.
    pub action: String,
    /// Items selected.
    pub items: u64,
    /// Items (or annotations) changed.
    pub changed: u64,
    /// The batch made, if one was.
    pub batch: Option<String>,
    /// Items left alone, with the reason.
    pub skipped: Vec<(i64, String)>,
}

/// Longest selection one action takes (a batch of a million items is a mistake).
pub const MAX_BULK_ITEMS: usize = 100_000;

impl Project {
    /// The Lab's local user (`name`, the OS account) as a lead: added as one when they are not
    /// in the project yet; refused when they are an annotator (reviews need a reviewer).
    pub fn ensure_lead(&self, name: &str) -> Result<Caller> {
        crate::validate_person_name(name)?;
        let who = match self.store.annotator_by_name(name)? {
            Some(who) => who,
            None => self.store.ensure_annotator(name, Role::Lead)?,
        };
        if !who.role.can_review() {
            return Err(Error::Forbidden(format!(
                "{} is an annotator in this project: bulk actions and reviews need a lead or reviewer",
                who.name
            )));
        }
        Ok(Caller {
            name: who.name,
            role: who.role,
        })
    }

    /// Makes a batch of the selected items (see [`MakeBatch`]).
    pub fn make_batch_of(&mut self, spec: &MakeBatch) -> Result<BulkReport> {
        check_selection(&spec.items)?;
        let mut annotators = Vec::with_capacity(spec.assign.len());
        for name in &spec.assign {
            annotators.push(self.annotator(name)?.id);
        }
        let prefix = if spec.queue_first { "first-" } else { "lab-" };
        let name = match &spec.name {
            Some(name) => name.trim().to_owned(),
            None => format!("{prefix}{}", self.store.count_batches_named_like(prefix)? + 1),
        };
        check_batch_name(&name)?;
        let mut seen = std::collections::HashSet::new();
        let items: Vec<(i64, Option<f64>)> = spec
            .items
            .iter()
            .filter(|id| seen.insert(**id))
            .map(|&id| (id, None))
            .collect();
        let batch = self.store.create_batch(&NewBatch {
            name: &name,
            strategy: spec.queue_first.then_some("queue-first"),
            model_version_id: None,
            items: &items,
            assign_to: &annotators,
            overlap: 1,
        })?;
        Ok(BulkReport {
            action: "make_batch".into(),
            items: spec.items.len() as u64,
            changed: items.len() as u64,
            batch: Some(batch.name),
            skipped: Vec::new(),
        })
    }

    /// Assigns the selected items to `annotators` (round-robin, in selection order) inside
    /// the newest batch holding each; items in no batch are first put in a new batch.
    pub fn assign_items(&mut self, items: &[i64], annotators: &[String], actor: &str) -> Result<BulkReport> {
        check_selection(items)?;
        if annotators.is_empty() {
            return Err(Error::BadRequest(
                "choose at least one annotator to assign to".into(),
            ));
        }
        let mut ids = Vec::with_capacity(annotators.len());
        for name in annotators {
            ids.push(self.annotator(name)?.id);
        }
        let homes = self.store.newest_batch_of(items)?;
        let homeless: Vec<(i64, Option<f64>)> = homes
            .iter()
            .filter(|(_, batch)| batch.is_none())
            .map(|(id, _)| (*id, None))
            .collect();
        let mut made = None;
        let mut homes = homes;
        if !homeless.is_empty() {
            let name = format!("lab-{}", self.store.count_batches_named_like("lab-")? + 1);
            let batch = self.store.create_batch(&NewBatch {
                name: &name,
                strategy: None,
                model_version_id: None,
                items: &homeless,
                assign_to: &[],
                overlap: 1,
            })?;
            for (_, home) in homes.iter_mut().filter(|(_, b)| b.is_none()) {
                *home = Some(batch.id);
            }
            made = Some(batch.name);
        }
        let assignments: Vec<(i64, i64, i64)> = homes
            .iter()
            .enumerate()
            .filter_map(|(i, (item, batch))| Some(((*batch)?, *item, *ids.get(i % ids.len())?)))
            .collect();
        let changed = self.store.add_assignments(&assignments, Some(actor))?;
        Ok(BulkReport {
            action: "assign".into(),
            items: items.len() as u64,
            changed,
            batch: made,
            skipped: Vec::new(),
        })
    }

    /// Returns the latest submission of every annotation of the selected items that is
    /// waiting for review, with `comment`, as `reviewer`. Items with nothing submitted (or
    /// only `reviewer`'s own work) are listed as skipped.
    pub fn return_items(&mut self, items: &[i64], reviewer: &str, comment: &str) -> Result<BulkReport> {
        check_selection(items)?;
        if comment.trim().is_empty() {
            return Err(Error::BadRequest(
                "returning work needs a comment that says what to fix".into(),
            ));
        }
        let mut report = BulkReport {
            action: "return".into(),
            items: items.len() as u64,
            ..BulkReport::default()
        };
        for &item in items {
            let waiting: Vec<_> = self
                .store
                .annotations_of_item(item)?
                .into_iter()
                .filter(|a| a.state == sift_core::AnnotationState::Submitted)
                .collect();
            if waiting.is_empty() {
                report
                    .skipped
                    .push((item, "nothing submitted is waiting for review".into()));
                continue;
            }
            for a in waiting {
                let Some(version) = a.submitted_version else {
                    continue;
                };
                let input = ReviewInput {
                    annotation_id: a.id,
                    version,
                    reviewer,
                    decision: Decision::Returned,
                    comment: Some(comment),
                    anchor: None,
                };
                match self.review(&input) {
                    Ok(_) => report.changed += 1,
                    Err(
                        e @ (Error::Forbidden(_)
                        | Error::Store(StoreError::Conflict(_) | StoreError::Transition(_))),
                    ) => {
                        report
                            .skipped
                            .push((item, format!("{}'s work: {e}", a.annotator)));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(report)
    }
}

fn check_selection(items: &[i64]) -> Result<()> {
    if items.is_empty() {
        return Err(Error::BadRequest("select at least one item".into()));
    }
    if items.len() > MAX_BULK_ITEMS {
        return Err(Error::BadRequest(format!(
            "{} items are selected; one action takes at most {MAX_BULK_ITEMS}",
            items.len()
        )));
    }
    Ok(())
}

/// Batch names travel to S3 as key segments: the same rule as sync's.
pub(crate) fn check_batch_name(name: &str) -> Result<()> {
    if crate::sync::is_key_segment(name) {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "batch name {name:?}: use letters, digits, '-', '_', '.' or '@' (at most 128)"
        )))
    }
}
