//! Item listings: the ids of every item that passes a filter, in a chosen order, and the
//! table rows of a page of those ids. A million ids are 8 MB and come back in well under a
//! second for the plain orders; a table then fetches only the pages on screen.

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};

use super::{ItemState, STATE_RANK_SQL, id_array, search};
use crate::{Result, Store};

/// Which items a listing holds. Every part that is set must hold (an empty `states` is
/// every state).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFilter {
    /// Items whose summed state is one of these.
    pub states: Vec<ItemState>,
    /// Items this annotator worked on or is assigned.
    pub annotator_id: Option<i64>,
    /// Items of one batch, or items of no batch.
    pub batch: Option<BatchFilter>,
    /// Items whose score lies in a range.
    pub score: Option<ScoreFilter>,
    /// Items one model version predicts this class for.
    pub predicted: Option<PredictedFilter>,
    /// Words that must all occur in the item's text (the last one as a prefix).
    pub search: Option<String>,
}

/// Items of one batch, or of none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchFilter {
    /// Items held by the batch with this id.
    Batch(i64),
    /// Items that no batch holds.
    NoBatch,
}

/// Items whose stored prediction by one model version has `top` as its most probable output
/// (an index into the version's outputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PredictedFilter {
    /// The head's version.
    pub model_version_id: i64,
    /// The class's index in the version's outputs.
    pub top: u32,
}

/// Items whose score for one model version and strategy lies in `min..=max`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreFilter {
    /// The model version whose scores count.
    pub model_version_id: i64,
    /// The uncertainty strategy (`least-confidence`, `margin`, `ratio`, `entropy`).
    pub strategy: String,
    /// The lowest score kept (inclusive).
    pub min: f64,
    /// The highest score kept (inclusive).
    pub max: f64,
}

/// The order of a listing.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// Import order.
    Id,
    /// Summed state, least advanced first.
    State,
    /// Last change to anyone's work on the item (items never worked on last).
    Updated,
    /// One model version's score for one strategy (unscored items last).
    Score {
        /// The model version whose scores order the items.
        model_version_id: i64,
        /// The uncertainty strategy whose score is used.
        strategy: String,
    },
}

/// A sort key and its direction.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSort {
    /// What to order by.
    pub key: SortKey,
    /// Largest (or newest, or most advanced) first. Either way, unscored and never-worked
    /// items stay last and ties stay in import order.
    pub descending: bool,
}

impl Default for ItemSort {
    fn default() -> Self {
        ItemSort {
            key: SortKey::Id,
            descending: false,
        }
    }
}

/// One row of the item table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemListRow {
    /// The item's id.
    pub id: i64,
    /// The start of the manifest object (at most 4096 characters of JSON text).
    pub content_head: String,
    /// The item's media as stored at import: a local path (resolved against the manifest's
    /// folder) or a remote URI such as `s3://...`; `None` for items without media.
    pub media_ref: Option<String>,
    /// The item's summed state over everyone's work.
    pub state: ItemState,
    /// Everyone who worked on it, comma-separated.
    pub annotators: String,
    /// Everyone it is assigned to, comma-separated.
    pub assigned: String,
    /// The newest batch that holds it.
    pub batch: Option<String>,
    /// Newest change to anyone's work on it.
    pub updated_at: Option<String>,
    /// `(strategy, score)` for the model version asked for.
    pub scores: Vec<(String, Option<f64>)>,
}

/// SQL for the summed state rank of item `i` (0 when nobody started it).
const ITEM_RANK: &str = "coalesce((SELECT max(CASE a.state WHEN 'approved' THEN 4 WHEN 'submitted' THEN 3 \
     WHEN 'returned' THEN 2 ELSE 1 END) FROM annotations a WHERE a.item_id = i.id), 0)";

impl Store {
    /// The ids of the items that pass `filter`, in `sort` order (ties in import order).
    pub fn list_item_ids(&self, filter: &ItemFilter, sort: &ItemSort) -> Result<Vec<i64>> {
        let mut sql = String::from("SELECT i.id FROM items i");
        let mut args: Vec<Value> = Vec::new();
        if let SortKey::Score {
            model_version_id,
            strategy,
        } = &sort.key
        {
            sql.push_str(
                " LEFT JOIN item_scores sc ON sc.item_id = i.id AND sc.model_version_id = ? AND sc.strategy = ?",
            );
            args.push(Value::Integer(*model_version_id));
            args.push(Value::Text(strategy.clone()));
        }
        let mut conditions: Vec<String> = Vec::new();
        if !filter.states.is_empty() {
            conditions.push(Self::state_condition(&filter.states));
        }
        if let Some(annotator) = filter.annotator_id {
            conditions.push(
                "i.id IN (SELECT item_id FROM annotations WHERE annotator_id = ? \
                 UNION SELECT item_id FROM assignments WHERE annotator_id = ?)"
                    .to_owned(),
            );
            args.push(Value::Integer(annotator));
            args.push(Value::Integer(annotator));
        }
        match filter.batch {
            Some(BatchFilter::Batch(batch)) => {
                conditions.push("i.id IN (SELECT item_id FROM batch_items WHERE batch_id = ?)".to_owned());
                args.push(Value::Integer(batch));
            }
            Some(BatchFilter::NoBatch) => conditions
                .push("NOT EXISTS (SELECT 1 FROM batch_items bi WHERE bi.item_id = i.id)".to_owned()),
            None => {}
        }
        if let Some(score) = &filter.score {
            conditions.push(
                "i.id IN (SELECT item_id FROM item_scores WHERE model_version_id = ? AND strategy = ? \
                 AND score BETWEEN ? AND ?)"
                    .to_owned(),
            );
            args.push(Value::Integer(score.model_version_id));
            args.push(Value::Text(score.strategy.clone()));
            args.push(Value::Real(score.min));
            args.push(Value::Real(score.max));
        }
        if let Some(p) = filter.predicted {
            conditions.push(
                "i.id IN (SELECT item_id FROM predictions WHERE model_version_id = ? AND top = ?)".to_owned(),
            );
            args.push(Value::Integer(p.model_version_id));
            args.push(Value::Integer(i64::from(p.top)));
        }
        if let Some(words) = filter
            .search
            .as_deref()
            .map(search::words)
            .filter(|w| !w.is_empty())
        {
            let upto = self.search_index_status()?.indexed_upto;
            conditions.push(search::condition(&words, upto, &mut args));
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        let dir = if sort.descending { "DESC" } else { "ASC" };
        let order = match &sort.key {
            SortKey::Id => format!("i.id {dir}"),
            SortKey::State => format!("{ITEM_RANK} {dir}, i.id"),
            SortKey::Updated => format!(
                "(SELECT max(a.updated_at) FROM annotations a WHERE a.item_id = i.id) IS NULL, \
                 (SELECT max(a.updated_at) FROM annotations a WHERE a.item_id = i.id) {dir}, i.id"
            ),
            SortKey::Score { .. } => format!("sc.score IS NULL, sc.score {dir}, i.id"),
        };
        sql.push_str(" ORDER BY ");
        sql.push_str(&order);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, i64>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The condition for items whose summed state is one of `states`. Worked-on items are
    /// found from the (usually much smaller) annotations table.
    fn state_condition(states: &[ItemState]) -> String {
        let ranks: Vec<String> = states
            .iter()
            .filter(|s| **s != ItemState::Unlabeled)
            .map(|s| s.rank().to_string())
            .collect();
        let mut parts = Vec::new();
        if !ranks.is_empty() {
            parts.push(format!(
                "i.id IN (SELECT a.item_id FROM annotations a GROUP BY a.item_id HAVING max({STATE_RANK_SQL}) IN ({}))",
                ranks.join(",")
            ));
        }
        if states.contains(&ItemState::Unlabeled) {
            parts.push("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)".to_owned());
        }
        format!("({})", parts.join(" OR "))
    }

    /// Table rows for `ids`, in the same order (ids that no longer exist are left out), with
    /// the scores of `model_version_id` when given.
    pub fn item_list_rows(&self, ids: &[i64], model_version_id: Option<i64>) -> Result<Vec<ItemListRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = id_array(ids);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT i.id, substr(i.content, 1, 4096), i.media_ref, {ITEM_RANK},
                    (SELECT group_concat(p.name, ', ') FROM annotations a JOIN annotators p ON p.id = a.annotator_id
                      WHERE a.item_id = i.id),
                    (SELECT group_concat(p.name, ', ') FROM assignments s JOIN annotators p ON p.id = s.annotator_id
                      WHERE s.item_id = i.id),
                    (SELECT b.name FROM batch_items bi JOIN batches b ON b.id = bi.batch_id
                      WHERE bi.item_id = i.id ORDER BY bi.batch_id DESC LIMIT 1),
                    (SELECT max(a.updated_at) FROM annotations a WHERE a.item_id = i.id)
             FROM items i WHERE i.id IN (SELECT value FROM json_each(?1))"
        ))?;
        let mut by_id = std::collections::HashMap::with_capacity(ids.len());
        let rows = stmt.query_map([&list], |r| {
            Ok(ItemListRow {
                id: r.get(0)?,
                content_head: r.get(1)?,
                media_ref: r.get(2)?,
                state: ItemState::from_rank(r.get(3)?),
                annotators: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                assigned: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                batch: r.get(6)?,
                updated_at: r.get(7)?,
                scores: Vec::new(),
            })
        })?;
        for row in rows {
            let row = row?;
            by_id.insert(row.id, row);
        }
        if let Some(model) = model_version_id {
            let mut stmt = self.conn.prepare_cached(
                "SELECT item_id, strategy, score FROM item_scores
                 WHERE model_version_id = ?2 AND item_id IN (SELECT value FROM json_each(?1))
                 ORDER BY item_id, strategy",
            )?;
            let scores = stmt.query_map(rusqlite::params![&list, model], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<f64>>(2)?,
                ))
            })?;
            for score in scores {
                let (id, strategy, value) = score?;
                if let Some(row) = by_id.get_mut(&id) {
                    row.scores.push((strategy, value));
                }
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// The newest model version that has scores, if any: the one a table shows by default.
    pub fn newest_scored_model_version(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT max(model_version_id) FROM item_scores WHERE score IS NOT NULL",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Strategies that `model_version_id` has scores for, by name.
    pub fn score_strategies(&self, model_version_id: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT strategy FROM item_scores WHERE model_version_id = ?1 ORDER BY strategy",
        )?;
        let rows = stmt.query_map([model_version_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counts of `strategy` scores of `model_version_id` in `bins` equal bins over
    /// `[lo, hi]`, with `lo` and `hi` the smallest and largest score (`None` when there are
    /// no scores).
    pub fn score_histogram(
        &self,
        model_version_id: i64,
        strategy: &str,
        bins: u32,
    ) -> Result<Option<(f64, f64, Vec<u64>)>> {
        let bins = bins.clamp(1, 1000);
        let range: (Option<f64>, Option<f64>) = self.conn.query_row(
            "SELECT min(score), max(score) FROM item_scores
             WHERE model_version_id = ?1 AND strategy = ?2 AND score IS NOT NULL",
            rusqlite::params![model_version_id, strategy],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (Some(lo), Some(hi)) = range else {
            return Ok(None);
        };
        let span = if hi > lo { hi - lo } else { 1.0 };
        // A score on a bin edge goes to the bin above it (the epsilon absorbs the rounding of
        // the division); the largest score goes to the last bin.
        let mut stmt = self.conn.prepare_cached(
            "SELECT min(CAST((score - ?3) * ?5 / ?4 + 1e-9 AS INTEGER), ?5 - 1), count(*) FROM item_scores
             WHERE model_version_id = ?1 AND strategy = ?2 AND score IS NOT NULL GROUP BY 1",
        )?;
        let mut counts = vec![0_u64; bins as usize];
        let rows = stmt.query_map(
            rusqlite::params![model_version_id, strategy, lo, span, bins],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        for row in rows {
            let (bin, n) = row?;
            if let Some(slot) = usize::try_from(bin).ok().and_then(|b| counts.get_mut(b)) {
                *slot += n as u64;
            }
        }
        Ok(Some((lo, hi, counts)))
    }
}
