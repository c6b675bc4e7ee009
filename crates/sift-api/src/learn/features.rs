//! The input side of the loop: where a head's vectors come from, and reading them.
//!
//! A [`FeatureSource`] is either a numeric array in each item's manifest object
//! (`field:features`, what the digits data carries) or the vectors an encoder version stored
//! in `item_embeddings` (`embeddings:minilm@1`, written by `sift embed`). Both give a
//! [`Pool`]: one row per item that has a usable vector, and the items that have none with the
//! reason, so training can name a labeled item without a vector and rescoring can skip it.
//! Ranking items carry one vector per response ([`ResponsePool`]), read from a field of each
//! response object.

use std::collections::HashMap;

use serde_json::Value;

use crate::{Error, Project, Result};

/// The project setting naming the default feature source (`field:NAME` or
/// `embeddings:NAME@VERSION`).
pub const SETTING_FEATURES: &str = "learn.features";
/// The feature source used when neither the command nor the project names one.
pub const DEFAULT_FEATURES: &str = "field:features";
/// The key under which Sift adds an item's vector to the manifest object it hands to a
/// scorer, for model versions trained on a feature source (see `Project::score`).
pub const INJECTED_KEY: &str = "sift-features";

/// Where a head's input vectors come from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FeatureSource {
    /// A numeric array in each item's manifest object (`a.b` reaches into objects).
    Field {
        /// The field's name, e.g. `features`.
        field: String,
    },
    /// The vectors an encoder version stored (`sift embed`), by `name@version`.
    Embeddings {
        /// The encoder version, as `name@version`.
        model: String,
        /// Its id in the model registry.
        model_version_id: i64,
    },
}

impl FeatureSource {
    /// As written in settings and recorded with each round: `field:NAME` or
    /// `embeddings:NAME@VERSION`.
    pub fn spec(&self) -> String {
        match self {
            FeatureSource::Field { field } => format!("field:{field}"),
            FeatureSource::Embeddings { model, .. } => format!("embeddings:{model}"),
        }
    }

    /// For messages: "field `features`" or "the embeddings of minilm@1".
    pub fn describe(&self) -> String {
        match self {
            FeatureSource::Field { field } => format!("field `{field}`"),
            FeatureSource::Embeddings { model, .. } => format!("the stored embeddings of {model}"),
        }
    }
}

/// An item without a usable vector, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingVector {
    /// The item.
    pub item_id: i64,
    /// The item's line in the manifest it was imported from.
    pub line: i64,
    /// Why it has no usable vector (field missing, not numbers, another length).
    pub reason: String,
}

/// Every item's vector from one source: `ids.len()` rows of `d` values, in item order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pool {
    /// Items with a vector, in item order.
    pub ids: Vec<i64>,
    /// Their vectors, row-major: row `i` is `ids[i]`'s.
    pub x: Vec<f32>,
    /// The vectors' length.
    pub d: usize,
    /// Items with no usable vector, in item order.
    pub missing: Vec<MissingVector>,
    index: HashMap<i64, usize>,
}

impl Pool {
    /// The row of an item.
    pub fn row(&self, item_id: i64) -> Option<usize> {
        self.index.get(&item_id).copied()
    }

    /// The vector of a row.
    pub fn vector(&self, row: usize) -> &[f32] {
        &self.x[row * self.d..(row + 1) * self.d]
    }

    /// The listed rows as a new `rows.len() x d` matrix.
    pub fn gather(&self, rows: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows.len() * self.d);
        for &r in rows {
            out.extend_from_slice(self.vector(r));
        }
        out
    }

    /// Why an item has no vector (`None` if it has one or is unknown).
    pub fn why_missing(&self, item_id: i64) -> Option<&MissingVector> {
        self.missing
            .binary_search_by_key(&item_id, |m| m.item_id)
            .ok()
            .map(|i| &self.missing[i])
    }

    fn push(&mut self, item_id: i64, v: &[f32]) {
        self.index.insert(item_id, self.ids.len());
        self.ids.push(item_id);
        self.x.extend_from_slice(v);
    }
}

/// A field of a manifest object: the key as written, else a dotted path into objects.
pub(crate) fn field_value<'a>(item: &'a Value, field: &str) -> Option<&'a Value> {
    if let Some(v) = item.get(field) {
        return Some(v);
    }
    let mut v = item;
    for part in field.split('.') {
        v = v.get(part)?;
    }
    Some(v)
}

/// The numbers of a field, or why it holds none.
pub(crate) fn numbers(item: &Value, field: &str) -> std::result::Result<Vec<f32>, String> {
    let Some(v) = field_value(item, field) else {
        return Err(format!("field `{field}` is missing"));
    };
    let Some(arr) = v.as_array() else {
        return Err(format!("field `{field}` is not an array of numbers"));
    };
    if arr.is_empty() {
        return Err(format!("field `{field}` is an empty array"));
    }
    let mut out = Vec::with_capacity(arr.len());
    for (i, n) in arr.iter().enumerate() {
        match n.as_f64() {
            Some(f) if f.is_finite() && (f as f32).is_finite() => out.push(f as f32),
            _ => return Err(format!("field `{field}`[{i}] is not a finite number")),
        }
    }
    Ok(out)
}

impl Project {
    /// The feature source a spec names (`field:NAME`, `embeddings:NAME[@VERSION]`, or a bare
    /// field name); `None`: the project's `learn.features` setting, else `field:features`.
    pub fn feature_source(&self, spec: Option<&str>) -> Result<FeatureSource> {
        let spec = match spec {
            Some(s) => s.trim().to_owned(),
            None => self
                .store
                .setting(SETTING_FEATURES)?
                .unwrap_or_else(|| DEFAULT_FEATURES.to_owned()),
        };
        if let Some(model) = spec.strip_prefix("embeddings:") {
            let info = self.model(Some(model.trim())).map_err(|e| match e {
                Error::NotFound(what) => Error::NotFound(format!(
                    "{what} (the encoder named by feature source {spec:?}; register it and run `sift embed`)"
                )),
                other => other,
            })?;
            return Ok(FeatureSource::Embeddings {
                model: info.label(),
                model_version_id: info.row.id,
            });
        }
        let field = spec.strip_prefix("field:").unwrap_or(&spec).trim();
        if field.is_empty() {
            return Err(Error::BadRequest(format!(
                "feature source {spec:?}: write field:NAME or embeddings:MODEL@VERSION"
            )));
        }
        Ok(FeatureSource::Field {
            field: field.to_owned(),
        })
    }

    /// Every item's vector from `source`. Items without one are listed with the reason.
    pub(crate) fn load_pool(&self, source: &FeatureSource) -> Result<Pool> {
        let mut pool = Pool::default();
        match source {
            FeatureSource::Field { field } => {
                self.for_each_item_json(|id, parsed, line| {
                    let outcome = numbers(parsed, field).and_then(|v| {
                        if pool.d == 0 || v.len() == pool.d {
                            Ok(v)
                        } else {
                            Err(format!(
                                "field `{field}` has {} numbers; the items before it have {}",
                                v.len(),
                                pool.d
                            ))
                        }
                    });
                    match outcome {
                        Ok(v) => {
                            pool.d = v.len();
                            pool.push(id, &v);
                        }
                        Err(reason) => pool.missing.push(MissingVector {
                            item_id: id,
                            line,
                            reason,
                        }),
                    }
                })?;
            }
            FeatureSource::Embeddings {
                model,
                model_version_id,
            } => {
                let mut bad: Option<String> = None;
                self.store.for_each_embedding(*model_version_id, |id, v| {
                    if pool.d == 0 {
                        pool.d = v.len();
                    }
                    if v.len() != pool.d || v.iter().any(|x| !x.is_finite()) {
                        bad = Some(format!(
                            "item {id}: the stored vector of {model} has {} values (others {}) or a non-finite one",
                            v.len(),
                            pool.d
                        ));
                        return false;
                    }
                    pool.push(id, v);
                    true
                })?;
                if let Some(bad) = bad {
                    return Err(Error::Conflict(format!("{bad}: run `sift embed` again")));
                }
                self.store.for_each_item(|id, _, line| {
                    if pool.row(id).is_none() {
                        pool.missing.push(MissingVector {
                            item_id: id,
                            line,
                            reason: format!("no embedding from {model} (run `sift embed --model {model}`)"),
                        });
                    }
                    true
                })?;
            }
        }
        Ok(pool)
    }
}

/// The manifest object with `vector` added under [`INJECTED_KEY`] (unchanged if it is not an
/// object).
pub(crate) fn with_vector(content: String, vector: &[f32]) -> String {
    match serde_json::from_str::<Value>(&content) {
        Ok(Value::Object(mut map)) => {
            map.insert(INJECTED_KEY.into(), serde_json::json!(vector));
            Value::Object(map).to_string()
        }
        _ => content,
    }
}

impl Project {
    /// For a model version trained on a feature source: every item's vector, which scoring
    /// adds to the items it hands the scorer (see [`INJECTED_KEY`]).
    pub(crate) fn injected_vectors(&self, model_version_id: i64) -> Result<Option<Pool>> {
        let Some(round) = self.store.learn_round(model_version_id)? else {
            return Ok(None);
        };
        let Some(spec) = round.features else {
            return Ok(None);
        };
        let source = self.feature_source(Some(&spec))?;
        Ok(Some(self.load_pool(&source)?))
    }
}

/// Per ranking item, one vector per response (in the item's response order).
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponsePool {
    /// The vectors' length.
    pub d: usize,
    /// item id -> (response ids, `responses x d` values).
    pub items: HashMap<i64, (Vec<String>, Vec<f32>)>,
    /// Items with no usable vector for some response.
    pub missing: Vec<MissingVector>,
}

impl Project {
    /// Response vectors of every ranking item: `field` of each response object.
    pub(crate) fn load_response_pool(&self, source: &FeatureSource) -> Result<ResponsePool> {
        let FeatureSource::Field { field } = source else {
            return Err(Error::BadRequest(format!(
                "reward heads need one vector per response, read from a numeric field of each response \
                 object (e.g. --features field:features); {} holds one vector per item",
                source.describe()
            )));
        };
        let mut pool = ResponsePool::default();
        self.for_each_item_json(|id, parsed, line| {
            match response_vectors(self, parsed, field, &mut pool.d) {
                Ok((ids, x)) => {
                    pool.items.insert(id, (ids, x));
                }
                Err(reason) => pool.missing.push(MissingVector {
                    item_id: id,
                    line,
                    reason,
                }),
            }
        })?;
        Ok(pool)
    }

    /// Every stored item parsed as JSON, in import order: `each(id, item, source_line)`. Stops
    /// at the first item whose stored content is not JSON (an internal error).
    fn for_each_item_json(&self, mut each: impl FnMut(i64, &Value, i64)) -> Result<()> {
        let mut failure: Option<Error> = None;
        self.store
            .for_each_item(|id, content, line| match serde_json::from_str::<Value>(content) {
                Ok(parsed) => {
                    each(id, &parsed, line);
                    true
                }
                Err(e) => {
                    failure = Some(Error::Internal(format!(
                        "item {id}: stored content is not JSON: {e}"
                    )));
                    false
                }
            })?;
        failure.map_or(Ok(()), Err)
    }
}

fn response_vectors(
    project: &Project,
    item: &Value,
    field: &str,
    d: &mut usize,
) -> std::result::Result<(Vec<String>, Vec<f32>), String> {
    let responses = project
        .template
        .responses(item)
        .map_err(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
    let raw = match &project.template.spec() {
        sift_template::Spec::Ranking { fields, .. } => field_value(item, &fields.responses),
        _ => None,
    }
    .and_then(Value::as_array)
    .ok_or_else(|| "the item has no responses".to_owned())?;
    let mut ids = Vec::with_capacity(responses.len());
    let mut x = Vec::new();
    for (i, (response, value)) in responses.iter().zip(raw).enumerate() {
        let v = numbers(value, field).map_err(|e| format!("response {i}: {e}"))?;
        if *d == 0 {
            *d = v.len();
        }
        if v.len() != *d {
            return Err(format!(
                "response {i}: field `{field}` has {} numbers; other responses have {d}",
                v.len()
            ));
        }
        ids.push(response.id.clone());
        x.extend_from_slice(&v);
    }
    Ok((ids, x))
}
