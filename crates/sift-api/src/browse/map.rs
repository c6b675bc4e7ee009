//! The data map: items as points, placed by a 2-D PCA of their vectors (embeddings a model
//! version stored, or a numeric array field of the items such as `features`) and coloured
//! by state, annotator or uncertainty. The projection is deterministic; a window caches it
//! per [`MapPoints::version`] and recomputes only when the vectors change.

use serde_json::Value;
use sift_store::ItemState;

use super::pca::pca_2d;
use crate::{Error, Project, Result};

/// Where the vectors of a map come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub enum MapSource {
    /// Embeddings stored by a model version (all of one length).
    Embeddings {
        /// The model version that stored them.
        model_version_id: i64,
        /// Their length.
        dim: usize,
    },
    /// A top-level array of numbers in each item.
    Field {
        /// The item field holding the array (e.g. `features`).
        name: String,
    },
}

/// The points of a map.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MapPoints {
    /// Changes whenever the vectors behind the map do (for caching).
    pub version: String,
    /// The items placed, in the same order as `xy`.
    pub ids: Vec<i64>,
    /// Each item's position on the first two principal axes.
    pub xy: Vec<[f32; 2]>,
    /// Share of the variance along each axis.
    pub explained: [f64; 2],
    /// Vectors the axes were computed from.
    pub sampled: usize,
    /// Items left out (another vector length, non-numeric values).
    pub skipped: u64,
}

/// What points are coloured by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ColorBy {
    /// Summed state (unlabeled, draft, returned, submitted, approved).
    State,
    /// The first person who worked on the item.
    Annotator,
    /// One model version's score for one strategy.
    Uncertainty {
        /// The model version whose scores colour the points.
        model_version_id: i64,
        /// The strategy scored (`least-confidence`, `margin`, `ratio`, `entropy`).
        strategy: String,
    },
    /// The class a head of the learning loop predicts (its stored predictions).
    Predicted {
        /// The head's version whose predictions colour the points.
        model_version_id: i64,
    },
}

/// A colour key per point.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MapColors {
    /// Per point (same order as the ids asked for): a category index for categorical
    /// colourings, a score in 0..=1 for uncertainty; `NaN` where there is none.
    pub values: Vec<f32>,
    /// The names of the categories (empty for uncertainty).
    pub categories: Vec<String>,
}

impl Project {
    /// The map sources this project has: each model version's stored embeddings, then each
    /// numeric array field of the first item. With the number of items each covers.
    pub fn map_sources(&self) -> Result<Vec<(MapSource, String, u64)>> {
        let mut out: Vec<(MapSource, String, u64)> = self
            .store
            .embedding_sources()?
            .into_iter()
            .map(|e| {
                (
                    MapSource::Embeddings {
                        model_version_id: e.model_version_id,
                        dim: e.dim.max(0) as usize,
                    },
                    format!("{}@{} embeddings ({} dimensions)", e.model, e.version, e.dim),
                    e.items,
                )
            })
            .collect();
        if let Some(first) = self.store.item_ids(0, 1)?.first()
            && let Some(item) = self.store.item(*first)?
            && let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&item.content)
        {
            let items = self.store.item_count()?;
            for (key, value) in map {
                let numeric =
                    matches!(&value, Value::Array(a) if a.len() >= 2 && a.iter().all(Value::is_number));
                if numeric {
                    let label = format!(
                        "field \"{key}\" ({} numbers)",
                        value.as_array().map_or(0, Vec::len)
                    );
                    out.push((MapSource::Field { name: key }, label, items));
                }
            }
        }
        Ok(out)
    }

    /// A cheap fingerprint of the vectors behind `source`: equal fingerprints, equal map.
    pub fn map_version(&self, source: &MapSource) -> Result<String> {
        Ok(match source {
            MapSource::Embeddings {
                model_version_id,
                dim,
            } => {
                let (n, max) = self.store.embedding_version(*model_version_id, *dim)?;
                format!("embeddings:{model_version_id}:{dim}:{n}:{max}")
            }
            MapSource::Field { name } => {
                let (n, max) = self.store.item_version()?;
                format!("field:{name}:{n}:{max}")
            }
        })
    }

    /// Up to `limit` points of `source`, placed by PCA.
    pub fn map_points(&self, source: &MapSource, limit: u64) -> Result<MapPoints> {
        let version = self.map_version(source)?;
        let vectors = match source {
            MapSource::Embeddings {
                model_version_id,
                dim,
            } => self.store.embedding_vectors(*model_version_id, *dim, limit)?,
            MapSource::Field { name } => self.store.field_vectors(name, limit)?,
        };
        if vectors.ids.is_empty() {
            return Err(Error::NotFound(match source {
                MapSource::Embeddings { .. } => "stored embeddings for this model version".to_owned(),
                MapSource::Field { name } => format!("items with a numeric array in field {name:?}"),
            }));
        }
        let projection = pca_2d(&vectors.values, vectors.dim);
        Ok(MapPoints {
            version,
            ids: vectors.ids,
            xy: projection.xy,
            explained: projection.explained,
            sampled: projection.sampled,
            skipped: vectors.skipped,
        })
    }

    /// Colour keys for the points `ids`.
    pub fn map_colors(&self, ids: &[i64], by: &ColorBy) -> Result<MapColors> {
        let score = match by {
            ColorBy::Uncertainty {
                model_version_id,
                strategy,
            } => Some((*model_version_id, strategy.as_str())),
            _ => None,
        };
        let info = self.store.item_map_info(ids, score)?;
        Ok(match by {
            ColorBy::State => MapColors {
                values: info
                    .iter()
                    .map(|i| {
                        let state = ItemState::from_rank(i.state_rank);
                        ItemState::ALL.iter().position(|s| *s == state).unwrap_or(0) as f32
                    })
                    .collect(),
                categories: ItemState::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
            },
            ColorBy::Annotator => {
                let people = self.store.annotators()?;
                let index: std::collections::HashMap<i64, usize> =
                    people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
                MapColors {
                    values: info
                        .iter()
                        .map(|i| {
                            i.annotator_id
                                .and_then(|a| index.get(&a))
                                .map_or(f32::NAN, |&k| k as f32)
                        })
                        .collect(),
                    categories: people.into_iter().map(|p| p.name).collect(),
                }
            }
            ColorBy::Uncertainty { .. } => MapColors {
                values: info
                    .iter()
                    .map(|i| i.score.map_or(f32::NAN, |s| s.clamp(0.0, 1.0) as f32))
                    .collect(),
                categories: Vec::new(),
            },
            ColorBy::Predicted { model_version_id } => {
                let tops: std::collections::HashMap<i64, u32> = self
                    .store
                    .prediction_tops_of(*model_version_id, ids)?
                    .into_iter()
                    .map(|(id, top, _)| (id, top))
                    .collect();
                MapColors {
                    values: ids
                        .iter()
                        .map(|id| tops.get(id).map_or(f32::NAN, |&t| t as f32))
                        .collect(),
                    categories: self.head_classes(*model_version_id)?,
                }
            }
        })
    }
}
