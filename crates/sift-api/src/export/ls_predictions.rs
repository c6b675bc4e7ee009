//! The `predictions` of the Label Studio export: the current classifier head's prediction for
//! an item (`model_version` `name@version`, `score` the probability of its class; for a
//! multi-label head, the lowest probability of the classes it chose) and every prediction
//! imported for it (their own `model_version` and `score`), each a `result` in the labeling
//! configuration's shape. Predictions are never annotations.
//!
//! Items that have predictions but no exported annotation are written as tasks of their own
//! (with empty `annotations`) when the export is not restricted (`--approved`, `--batch`),
//! so an imported Label Studio file's predictions come back out.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sift_template::{ClassificationPayload, MediaInfo, Payload, export};

use super::ExportOptions;
use crate::learn::predictions::current_rounds;
use crate::{Error, Project, Result};

/// Which items have predictions to write, for an export.
pub(super) struct PredictionItems {
    /// Items with a prediction but perhaps no annotation, in id order, still to visit.
    pending: std::iter::Peekable<std::collections::btree_set::IntoIter<i64>>,
}

impl PredictionItems {
    /// Every item with a head or imported prediction, unless the export is restricted.
    pub(super) fn new(project: &Project, opts: &ExportOptions) -> Result<Self> {
        let mut ids = BTreeSet::new();
        if !opts.approved_only && opts.batch.is_none() {
            ids.extend(project.store.items_with_imported_predictions()?);
            let heads = current_rounds(project.store.round_heads()?, |r| (&r.head, &r.name));
            if let Some(head) = heads.last().filter(|h| h.head != "reward") {
                ids.extend(
                    project
                        .store
                        .prediction_tops(head.model_version_id)?
                        .into_iter()
                        .map(|(id, _)| id),
                );
            }
        }
        Ok(Self {
            pending: ids.into_iter().peekable(),
        })
    }

    /// Items before `before` (all, for `None`) that have predictions; `before` itself is
    /// dropped from the list (it is written with its annotations).
    pub(super) fn take_until(&mut self, before: Option<i64>) -> Vec<i64> {
        let mut out = Vec::new();
        while let Some(&id) = self.pending.peek() {
            match before {
                Some(b) if id > b => break,
                Some(b) if id == b => {
                    self.pending.next();
                    break;
                }
                _ => out.push(id),
            }
            self.pending.next();
        }
        out
    }
}

impl Project {
    /// The `predictions` array of an item's Label Studio task.
    pub(super) fn ls_predictions(&self, item_id: i64, item: &Value, media: &MediaInfo) -> Result<Vec<Value>> {
        let t = &self.template;
        let mut out = Vec::new();
        if let Some((s, _)) = self.head_suggestion_for(item_id, item)?
            && let (Some(labels), Some(p)) = (s.labels, s.probabilities)
            && !labels.is_empty()
        {
            let score = labels
                .iter()
                .filter_map(|l| p.get(l).copied())
                .fold(1.0_f64, f64::min);
            let payload = Payload::Classification(ClassificationPayload { labels, unsure: None });
            let result = export::label_studio_result(t, item, &payload, media)
                .map_err(|e| Error::BadRequest(format!("item {item_id}: the head's prediction: {e}")))?;
            out.push(json!({
                "id": out.len() + 1,
                "model_version": format!("{}@{}", s.model, s.version),
                "score": score,
                "result": result,
            }));
        }
        for p in self.store.imported_predictions(item_id)? {
            let value: Value = serde_json::from_str(&p.payload).map_err(|e| {
                Error::Internal(format!("item {item_id}: stored prediction is not JSON: {e}"))
            })?;
            let payload = t.parse_payload(&value).map_err(|v| {
                Error::BadRequest(format!(
                    "item {item_id}: the prediction imported from {} no longer fits the template: {}",
                    p.model_version,
                    v.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                ))
            })?;
            let result = export::label_studio_result(t, item, &payload, media)
                .map_err(|e| Error::BadRequest(format!("item {item_id}: an imported prediction: {e}")))?;
            let mut pred = json!({
                "id": out.len() + 1,
                "model_version": p.model_version,
                "result": result,
                "created_at": p.created_at,
            });
            if let Some(score) = p.score {
                pred["score"] = json!(score);
            }
            out.push(pred);
        }
        Ok(out)
    }
}
