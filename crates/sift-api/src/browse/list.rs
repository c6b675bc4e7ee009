//! Item listings: which items pass a query, in what order, and the rows of a page of them
//! with a short preview of their text (the template's text field) or media file name.

use serde_json::Value;
use sift_store::{BatchFilter, ItemFilter, ItemListRow, ItemSort, ItemState, PredictedFilter, ScoreFilter};

use crate::{Project, Result};

/// What a listing holds and in what order. Every part that is set must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemQuery {
    /// Items whose summed state is one of these (empty: every state).
    pub states: Vec<ItemState>,
    /// Items this person (annotator id) worked on or is assigned.
    pub annotator_id: Option<i64>,
    /// Items of one batch, or items in no batch.
    pub batch: Option<BatchFilter>,
    /// `(model_version_id, strategy, min, max)`: items whose score lies in `min..=max`.
    pub score: Option<(i64, String, f64, f64)>,
    /// `(model_version_id, class)`: items the head predicts this class for (the class's index
    /// in [`ModelFacet::classes`]).
    pub predicted: Option<(i64, u32)>,
    /// Words that must all occur in the item's text (the last one as a prefix).
    pub search: String,
    /// The order of the listing (ties in import order).
    pub sort: ItemSort,
}

/// One row of the item table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemRow {
    /// The item's id.
    pub id: i64,
    /// The start of the item's text (at most 160 characters, on one line), or its media file.
    pub preview: String,
    /// The local media file, if the item has one.
    pub media_path: Option<String>,
    /// The item's summed state: the furthest any annotation of it got.
    pub state: ItemState,
    /// Everyone who worked on it, comma-separated.
    pub annotators: String,
    /// Everyone it is assigned to, comma-separated.
    pub assigned: String,
    /// The newest batch that holds it.
    pub batch: Option<String>,
    /// The newest change to anyone's work on it (RFC 3339, UTC).
    pub updated_at: Option<String>,
    /// Scores of the model version asked for, by strategy name.
    pub scores: Vec<(String, Option<f64>)>,
    /// What the model version asked for predicts, when it is a head of the learning loop
    /// with a prediction for this item.
    pub prediction: Option<Prediction>,
}

/// A head's prediction for one item: its most probable class and that class's probability.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// The predicted class (the head's name for it).
    pub label: String,
    /// The head's probability for that class.
    pub confidence: Option<f64>,
}

/// A page of a listing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemPage {
    /// Items in the whole listing.
    pub total: u64,
    /// The position of the page's first row in the listing (0 first).
    pub offset: u64,
    /// The page's rows, in the listing's order.
    pub rows: Vec<ItemRow>,
}

/// A scored model version, for the score columns and filters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelFacet {
    /// The model version's id.
    pub model_version_id: i64,
    /// `name@version`.
    pub label: String,
    /// The strategies it has scores for.
    pub strategies: Vec<String>,
    /// The classes a learning-loop head predicts (empty for other models): its rows carry a
    /// [`Prediction`].
    pub classes: Vec<String>,
}

/// What a listing can be filtered by.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BrowseFacets {
    /// `(id, name, role)` of everyone in the project.
    pub people: Vec<(i64, String, String)>,
    /// `(id, name)` of every batch, oldest first.
    pub batches: Vec<(i64, String)>,
    /// Model versions with scores, newest first.
    pub models: Vec<ModelFacet>,
}

impl Project {
    /// The ids of every item the query selects, in its order. Searching scans the items the
    /// search index has not reached yet, so the answer is complete either way.
    pub fn item_ids(&self, query: &ItemQuery) -> Result<Vec<i64>> {
        let filter = ItemFilter {
            states: query.states.clone(),
            annotator_id: query.annotator_id,
            batch: query.batch,
            score: query.score.as_ref().map(|(m, s, lo, hi)| ScoreFilter {
                model_version_id: *m,
                strategy: s.clone(),
                min: *lo,
                max: *hi,
            }),
            predicted: query.predicted.map(|(m, top)| PredictedFilter {
                model_version_id: m,
                top,
            }),
            search: Some(query.search.clone()).filter(|s| !s.trim().is_empty()),
        };
        Ok(self.store.list_item_ids(&filter, &query.sort)?)
    }

    /// Table rows for `ids` (same order; ids that do not exist are left out), with the
    /// scores of `model_version_id` when given.
    pub fn item_rows(&self, ids: &[i64], model_version_id: Option<i64>) -> Result<Vec<ItemRow>> {
        let fields = self.preview_fields();
        let mut rows: Vec<ItemRow> = self
            .store
            .item_list_rows(ids, model_version_id)?
            .into_iter()
            .map(|row| self.item_row(row, &fields))
            .collect();
        if let Some(m) = model_version_id {
            let classes = self.head_classes(m)?;
            if !classes.is_empty() {
                let page: Vec<i64> = rows.iter().map(|r| r.id).collect();
                let tops: std::collections::HashMap<i64, (u32, Option<f32>)> = self
                    .store
                    .prediction_tops_of(m, &page)?
                    .into_iter()
                    .map(|(id, top, p)| (id, (top, p)))
                    .collect();
                for row in &mut rows {
                    row.prediction = tops.get(&row.id).map(|&(top, p)| Prediction {
                        label: classes
                            .get(top as usize)
                            .cloned()
                            .unwrap_or_else(|| format!("#{top}")),
                        confidence: p.map(f64::from),
                    });
                }
            }
        }
        Ok(rows)
    }

    /// The classes of a learning-loop head (its recorded outputs), empty for any other model.
    pub(crate) fn head_classes(&self, model_version_id: i64) -> Result<Vec<String>> {
        Ok(self
            .store
            .learn_round(model_version_id)?
            .filter(|r| r.head != "reward")
            .map(|r| r.outputs)
            .unwrap_or_default())
    }

    /// One page of a listing (`offset` counts from 0), with its total.
    pub fn list_items(
        &self,
        query: &ItemQuery,
        offset: u64,
        limit: u32,
        model_version_id: Option<i64>,
    ) -> Result<ItemPage> {
        let ids = self.item_ids(query)?;
        let start = (offset as usize).min(ids.len());
        let end = start.saturating_add(limit as usize).min(ids.len());
        Ok(ItemPage {
            total: ids.len() as u64,
            offset,
            rows: self.item_rows(ids.get(start..end).unwrap_or_default(), model_version_id)?,
        })
    }

    /// People, batches and scored model versions, for filters.
    pub fn browse_facets(&self) -> Result<BrowseFacets> {
        let people = self
            .store
            .annotators()?
            .into_iter()
            .map(|a| (a.id, a.name, a.role.as_str().to_owned()))
            .collect();
        let batches = self
            .store
            .batch_progress()?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        let mut models = Vec::new();
        for counts in self.store.model_score_counts()?.into_iter().rev() {
            if counts.items_scored == 0 {
                continue;
            }
            models.push(ModelFacet {
                model_version_id: counts.model_version_id,
                label: format!("{}@{}", counts.name, counts.version),
                strategies: self.store.score_strategies(counts.model_version_id)?,
                classes: self.head_classes(counts.model_version_id)?,
            });
        }
        Ok(BrowseFacets {
            people,
            batches,
            models,
        })
    }

    /// The manifest keys whose text previews an item: the template's text fields, then its
    /// media field.
    fn preview_fields(&self) -> Vec<String> {
        let media = self.template.media_field().map(str::to_owned);
        let mut fields: Vec<String> = self
            .template
            .fields()
            .iter()
            .filter(|f| Some(f.key) != media.as_deref())
            .map(|f| f.key.to_owned())
            .collect();
        fields.extend(media);
        fields
    }

    fn item_row(&self, row: ItemListRow, fields: &[String]) -> ItemRow {
        let media_path = row.media_ref.clone().filter(|m| !m.contains("://"));
        ItemRow {
            id: row.id,
            preview: preview_text(&row.content_head, fields),
            media_path,
            state: row.state,
            annotators: row.annotators,
            assigned: row.assigned,
            batch: row.batch,
            updated_at: row.updated_at,
            scores: row.scores,
            prediction: None,
        }
    }
}

/// Longest preview, in characters.
const PREVIEW_CHARS: usize = 160;

/// A one-line preview of an item from the start of its JSON text: the first of `fields` that
/// holds text (or, for a list, its first text), else the first text value; a cut-off JSON
/// head is previewed from what could be read.
pub fn preview_text(content_head: &str, fields: &[String]) -> String {
    let parsed: Option<Value> = serde_json::from_str(content_head).ok();
    let text = match &parsed {
        Some(value) => fields
            .iter()
            .find_map(|f| first_text(value.get(f)?))
            .or_else(|| first_text(value))
            .unwrap_or_default(),
        // Only the first 4096 characters were read: take the text field's start from them.
        None => fields
            .iter()
            .find_map(|f| cut_field(content_head, f))
            .unwrap_or_else(|| content_head.to_owned()),
    };
    let mut out = String::with_capacity(PREVIEW_CHARS + 3);
    let mut last_space = false;
    for c in text.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c == ' ' && (last_space || out.is_empty()) {
            continue;
        }
        last_space = c == ' ';
        if out.chars().count() >= PREVIEW_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out.trim_end().to_owned()
}

/// The start of the string value of `field` in cut-off JSON text (escapes left as written).
fn cut_field(head: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    let after = &head[head.find(&key)? + key.len()..];
    let value = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let mut out = String::new();
    let mut escaped = false;
    for c in value.chars() {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, '"') => break,
            (true, 'n' | 't' | 'r') => {
                out.push(' ');
                escaped = false;
            }
            _ => {
                out.push(c);
                escaped = false;
            }
        }
    }
    Some(out)
}

fn first_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(first_text),
        Value::Object(map) => map.values().find_map(first_text),
        _ => None,
    }
}
