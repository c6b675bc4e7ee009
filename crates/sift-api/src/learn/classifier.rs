//! Training a classifier head on the labeled items' vectors and measuring it on held-out
//! labels: a stratified, seeded split of the human labels, or the project's gold items.

use std::collections::HashSet;

use serde_json::Value;
use sift_learn::{
    ClassifierHead, DEFAULT_BINS, Evaluation, LearnError, Options, Scaler, evaluate, evaluate_multi_label,
    random_split, stratified_split,
};

use super::features::{Pool, field_value};
use super::labels::ClassLabels;
use crate::{Error, Project, Result};

/// Fewest labels `sift learn` trains on: two to train, one to hold out.
pub const MIN_LEARN_LABELS: usize = 3;
/// Multi-label heads predict a class where its probability is at least this.
pub const MULTI_LABEL_THRESHOLD: f32 = 0.5;

/// A trained head and how it did.
#[derive(Debug, Clone)]
pub(crate) struct FittedClassifier {
    /// The head, trained on `train_items`.
    pub head: ClassifierHead,
    /// Its metrics on `validation_items`.
    pub evaluation: Evaluation,
    /// Items it was trained on, ascending.
    pub train_items: Vec<i64>,
    /// Items held out to evaluate it.
    pub validation_items: Vec<i64>,
    /// `split` or `gold`.
    pub validation: &'static str,
    /// The head's output columns' class names.
    pub outputs: Vec<String>,
}

/// How to hold out and train.
#[derive(Debug, Clone)]
pub(crate) struct FitSettings<'a> {
    /// Share of the labels held out for validation (stratified by class).
    pub validation_fraction: f64,
    /// Seed of the validation split.
    pub seed: u64,
    /// Inverse regularisation strength of the head.
    pub c: f64,
    /// A manifest field naming gold items' true class: they are the validation set.
    pub gold_field: Option<&'a str>,
}

/// A `sift-learn` error as a message naming classes by name.
pub(crate) fn learn_error(e: LearnError, class_names: &[String]) -> Error {
    let name = |c: u32| {
        class_names
            .get(c as usize)
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    match e {
        LearnError::TooFewLabels { got, need } => Error::BadRequest(format!(
            "too few labels to train a head: {got} in the training part (at least {need}); label more items"
        )),
        LearnError::SingleClass { class } => Error::BadRequest(format!(
            "every training label is `{}`: a head needs labeled items of at least two classes",
            name(class)
        )),
        LearnError::ConstantLabel { label, positive } => Error::BadRequest(format!(
            "class `{}` is {} every training item: a multi-label head needs items with and without each class",
            name(label as u32),
            if positive { "on" } else { "on no" }
        )),
        LearnError::InvalidOption { name, reason } => Error::BadRequest(format!("{name}: {reason}")),
        other => Error::BadRequest(other.to_string()),
    }
}

/// The labeled items without a vector, as one error naming them.
pub(crate) fn missing_vectors_error(pool: &Pool, items: &[i64], what: &str) -> Option<Error> {
    let missing: Vec<i64> = items.iter().copied().filter(|&i| pool.row(i).is_none()).collect();
    if missing.is_empty() {
        return None;
    }
    let mut lines: Vec<String> = missing
        .iter()
        .take(10)
        .map(|&i| match pool.why_missing(i) {
            Some(m) => format!("  item {i} (line {}): {}", m.line, m.reason),
            None => format!("  item {i}: no vector"),
        })
        .collect();
    if missing.len() > 10 {
        lines.push(format!("  ... and {} more", missing.len() - 10));
    }
    Some(Error::BadRequest(format!(
        "{} labeled item(s) have no vector from {what}, so the head cannot learn from them:\n{}",
        missing.len(),
        lines.join("\n")
    )))
}

impl Project {
    /// The gold items (items whose `field` names their true class) that have a vector.
    fn gold_items(&self, field: &str, labels: &ClassLabels, pool: &Pool) -> Result<Vec<(i64, Vec<u32>)>> {
        let mut out = Vec::new();
        let mut bad: Option<Error> = None;
        self.store.for_each_item(|id, content, line| {
            let Ok(item) = serde_json::from_str::<Value>(content) else {
                return true;
            };
            let Some(v) = field_value(&item, field) else {
                return true;
            };
            let names: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let ids: Option<Vec<u32>> = names
                .iter()
                .map(|n| {
                    labels
                        .class_names
                        .iter()
                        .position(|c| c == n)
                        .map(|p| p as u32)
                })
                .collect();
            match ids {
                Some(ids) if !ids.is_empty() => {
                    if pool.row(id).is_some() {
                        out.push((id, ids));
                    }
                    true
                }
                _ => {
                    bad = Some(Error::BadRequest(format!(
                        "item {id} (line {line}): gold field `{field}` holds {v}, not a class name of this template ({})",
                        labels.class_names.join(", ")
                    )));
                    false
                }
            }
        })?;
        match bad {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Splits, trains and evaluates a classifier head.
    pub(crate) fn fit_classifier(
        &self,
        pool: &Pool,
        labels: &ClassLabels,
        settings: &FitSettings<'_>,
        what: &str,
        previous: Option<&ClassifierHead>,
    ) -> Result<FittedClassifier> {
        let k = labels.class_names.len();
        if let Some(e) = missing_vectors_error(pool, &labels.items, what) {
            return Err(e);
        }
        let gold = match settings.gold_field {
            Some(field) => self.gold_items(field, labels, pool)?,
            None => Vec::new(),
        };
        let gold_ids: HashSet<i64> = gold.iter().map(|g| g.0).collect();
        // Gold items are never trained on: they are the yardstick.
        let labeled: Vec<usize> = (0..labels.items.len())
            .filter(|&i| !gold_ids.contains(&labels.items[i]))
            .collect();
        let need = if gold.is_empty() { MIN_LEARN_LABELS } else { 2 };
        if labeled.len() < need {
            return Err(Error::BadRequest(format!(
                "too few labels to learn from: {} submitted label(s); at least {need} are needed{}",
                labeled.len(),
                if gold.is_empty() {
                    " (two to train on, one to hold out for validation)"
                } else {
                    ""
                }
            )));
        }
        if !labels.multi_label {
            let first = labels.single[labeled[0]];
            if labeled.iter().all(|&i| labels.single[i] == first) {
                return Err(learn_error(
                    LearnError::SingleClass { class: first },
                    &labels.class_names,
                ));
            }
        }
        // (train positions into `labels`, validation items with their classes)
        let (train, validation): (Vec<usize>, Vec<(i64, Vec<u32>)>) = if gold.is_empty() {
            let split = if labels.multi_label {
                random_split(labeled.len(), settings.validation_fraction, settings.seed)
            } else {
                let y: Vec<u32> = labeled.iter().map(|&i| labels.single[i]).collect();
                stratified_split(&y, settings.validation_fraction, settings.seed)
            }
            .map_err(|e| learn_error(e, &labels.class_names))?;
            if split.held_out.is_empty() {
                return Err(Error::BadRequest(format!(
                    "too few labels to hold out a validation set: {} labels at a validation fraction of {}",
                    labeled.len(),
                    settings.validation_fraction
                )));
            }
            let val = split
                .held_out
                .iter()
                .map(|&p| {
                    let i = labeled[p];
                    let classes = if labels.multi_label {
                        (0..k)
                            .filter(|&c| labels.multi[i * k + c])
                            .map(|c| c as u32)
                            .collect()
                    } else {
                        vec![labels.single[i]]
                    };
                    (labels.items[i], classes)
                })
                .collect();
            (split.train.iter().map(|&p| labeled[p]).collect(), val)
        } else {
            (labeled, gold)
        };
        let rows: Vec<usize> = train.iter().filter_map(|&i| pool.row(labels.items[i])).collect();
        let x = pool.gather(&rows);
        let options = Options {
            c: settings.c,
            scaler: Some(
                Scaler::fit(&pool.x, pool.ids.len(), pool.d)
                    .map_err(|e| learn_error(e, &labels.class_names))?,
            ),
            ..Options::default()
        };
        let val_rows: Vec<usize> = validation.iter().filter_map(|(id, _)| pool.row(*id)).collect();
        let xv = pool.gather(&val_rows);
        let (head, evaluation) = if labels.multi_label {
            let y: Vec<bool> = train
                .iter()
                .flat_map(|&i| labels.multi[i * k..(i + 1) * k].iter().copied())
                .collect();
            let head = ClassifierHead::fit_multi_label(&x, rows.len(), pool.d, &y, k, &options)
                .map_err(|e| learn_error(e, &labels.class_names))?;
            let truth: Vec<bool> = validation
                .iter()
                .flat_map(|(_, cs)| (0..k).map(move |c| cs.contains(&(c as u32))))
                .collect();
            let eval = evaluate_multi_label(
                &head,
                &xv,
                val_rows.len(),
                &truth,
                MULTI_LABEL_THRESHOLD,
                DEFAULT_BINS,
            )
            .map_err(|e| learn_error(e, &labels.class_names))?;
            (head, eval)
        } else {
            let y: Vec<u32> = train.iter().map(|&i| labels.single[i]).collect();
            let previous = previous.filter(|p| p.dim() == pool.d);
            let head = match previous {
                Some(p) => ClassifierHead::fit_warm(&x, rows.len(), pool.d, &y, &options, p),
                None => ClassifierHead::fit(&x, rows.len(), pool.d, &y, &options),
            }
            .map_err(|e| learn_error(e, &labels.class_names))?;
            let truth: Vec<u32> = validation.iter().map(|(_, cs)| cs[0]).collect();
            let eval = evaluate(&head, &xv, val_rows.len(), &truth, DEFAULT_BINS)
                .map_err(|e| learn_error(e, &labels.class_names))?;
            (head, eval)
        };
        let outputs = head
            .classes()
            .iter()
            .map(|&c| {
                labels
                    .class_names
                    .get(c as usize)
                    .cloned()
                    .unwrap_or_else(|| c.to_string())
            })
            .collect();
        Ok(FittedClassifier {
            head,
            evaluation,
            train_items: train.iter().map(|&i| labels.items[i]).collect(),
            validation_items: validation.iter().map(|(id, _)| *id).collect(),
            validation: if settings.gold_field.is_some() && !gold_ids.is_empty() {
                "gold"
            } else {
                "split"
            },
            outputs,
        })
    }
}
