//! `sift export --format predictions`: every item's manifest object plus a `prediction`
//! object from the current head version (JSON Lines, in import order).
//!
//! Classification: `{"model", "label" | "labels", "confidence", "probabilities": {class: p}}`
//! (multi-label: the classes at or above 0.5). Ranking: per dimension the reward of each
//! response and the order they imply (`{"models", "rewards": {dim: {id: r}}, "rankings":
//! {dim: {id: rank}}}`). An item the head could not predict (no vector) has `"prediction":
//! null`.

use std::collections::HashMap;
use std::io::Write;

use serde_json::{Map, Value, json};
use sift_store::LearnRoundRow;

use super::MULTI_LABEL_THRESHOLD;
use crate::export::{ExportOptions, ExportReport};
use crate::{Error, Progress, Project, Result};

/// One version's predictions, by item: `(top, values)`.
type Predictions = HashMap<i64, (u32, Vec<f32>)>;

impl Project {
    /// The head versions whose predictions are current: the newest classifier round, or the
    /// newest version of every reward head.
    fn current_prediction_rounds(&self) -> Result<Vec<LearnRoundRow>> {
        let current = current_rounds(self.store.learn_rounds()?, |r| (&r.head, &r.name));
        if current.is_empty() {
            return Err(Error::Conflict(
                "no head has been trained yet: run `sift learn` first".into(),
            ));
        }
        Ok(current)
    }

    fn load_predictions(&self, model_version_id: i64) -> Result<Predictions> {
        let mut out = HashMap::new();
        self.store
            .for_each_prediction(model_version_id, |item, top, values| {
                out.insert(item, (top, values.to_vec()));
                true
            })?;
        Ok(out)
    }

    /// Writes the predictions export (see the module documentation).
    pub(crate) fn export_predictions(
        &self,
        w: &mut dyn Write,
        opts: &ExportOptions,
        progress: &dyn Progress,
    ) -> Result<ExportReport> {
        if opts.batch.is_some() || opts.approved_only {
            return Err(Error::BadRequest(
                "--batch and --approved do not apply to the predictions format (it covers every item)".into(),
            ));
        }
        let rounds = self.current_prediction_rounds()?;
        let loaded: Vec<(LearnRoundRow, Predictions)> = rounds
            .into_iter()
            .map(|r| {
                let p = self.load_predictions(r.model_version_id)?;
                Ok((r, p))
            })
            .collect::<Result<_>>()?;
        progress.start("exporting predictions", Some(self.store.item_count()?));
        let mut records = 0_u64;
        let mut failure: Option<Error> = None;
        self.store.for_each_item(|id, content, _| {
            let written = serde_json::from_str::<Map<String, Value>>(content)
                .map_err(|e| Error::Internal(format!("item {id}: stored content is not a JSON object: {e}")))
                .and_then(|mut item| {
                    let prediction = self.prediction_json(id, &item, &loaded);
                    item.insert("prediction".into(), prediction);
                    serde_json::to_writer(&mut *w, &item)
                        .map_err(|e| Error::io("cannot write the export", "output", e.into()))?;
                    w.write_all(b"\n")
                        .map_err(|e| Error::io("cannot write the export", "output", e))
                });
            match written {
                Ok(()) => {
                    records += 1;
                    if records.is_multiple_of(65536) {
                        progress.set_position(records);
                    }
                    true
                }
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        progress.finish();
        Ok(ExportReport {
            path: None,
            format: "predictions",
            annotations: 0,
            records,
            no_consensus: None,
        })
    }

    fn prediction_json(
        &self,
        item_id: i64,
        item: &Map<String, Value>,
        loaded: &[(LearnRoundRow, Predictions)],
    ) -> Value {
        let Some((first, _)) = loaded.first() else {
            return Value::Null;
        };
        if first.head != "reward" {
            let (round, preds) = &loaded[0];
            let Some((top, values)) = preds.get(&item_id) else {
                return Value::Null;
            };
            return class_prediction(round, *top, values);
        }
        let ids = self
            .template
            .responses(&Value::Object(item.clone()))
            .map(|r| r.into_iter().map(|r| r.id).collect::<Vec<_>>())
            .unwrap_or_default();
        let (mut models, mut rewards, mut rankings) = (Map::new(), Map::new(), Map::new());
        for (round, preds) in loaded {
            let Some((_, values)) = preds.get(&item_id) else {
                return Value::Null;
            };
            let dim = round.outputs.first().cloned().unwrap_or_default();
            models.insert(dim.clone(), json!(format!("{}@{}", round.name, round.version)));
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
            let mut ranks = Map::new();
            for (rank, &i) in order.iter().enumerate() {
                ranks.insert(
                    ids.get(i).cloned().unwrap_or_else(|| i.to_string()),
                    json!(rank + 1),
                );
            }
            let r: Map<String, Value> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (ids.get(i).cloned().unwrap_or_else(|| i.to_string()), json!(v)))
                .collect();
            rewards.insert(dim.clone(), Value::Object(r));
            rankings.insert(dim, Value::Object(ranks));
        }
        json!({"models": models, "rewards": rewards, "rankings": rankings})
    }
}

/// Of `rounds` (oldest first; `key` gives a round's head kind and model name), those whose
/// predictions are current: the newest round, or when it is a reward head's, the newest round
/// of every reward head. Oldest first; empty when there is no round.
pub(crate) fn current_rounds<T>(mut rounds: Vec<T>, key: impl Fn(&T) -> (&String, &String)) -> Vec<T> {
    let Some(newest) = rounds.pop() else {
        return Vec::new();
    };
    if key(&newest).0 != "reward" {
        return vec![newest];
    }
    let mut latest = vec![newest];
    for r in rounds.into_iter().rev() {
        let (head, name) = key(&r);
        if head == "reward" && !latest.iter().any(|l| key(l).1 == name) {
            latest.push(r);
        }
    }
    latest.reverse();
    latest
}

/// A classification prediction: the top class (or classes) with the class probabilities.
fn class_prediction(round: &LearnRoundRow, top: u32, values: &[f32]) -> Value {
    let name = |i: usize| round.outputs.get(i).cloned().unwrap_or_else(|| i.to_string());
    let probabilities: Map<String, Value> = values
        .iter()
        .enumerate()
        .map(|(i, p)| (name(i), json!(p)))
        .collect();
    let model = format!("{}@{}", round.name, round.version);
    if round.head == "multi-label" {
        let labels: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(_, p)| **p >= MULTI_LABEL_THRESHOLD)
            .map(|(i, _)| name(i))
            .collect();
        json!({"model": model, "labels": labels, "probabilities": probabilities})
    } else {
        let confidence = values.get(top as usize).copied().unwrap_or(f32::NAN);
        json!({
            "model": model,
            "label": name(top as usize),
            "confidence": confidence,
            "probabilities": probabilities,
        })
    }
}
