//! Reading the whole project at once, for the lead's console (the Lab): item listings with
//! filters and sorting over a million items, full-text search, overview counts, an item's
//! whole history, the vectors of the data map, bulk assignment, and the cheap signals a
//! window needs (has another process changed the file? stop a long statement now).
//!
//! Everything here is a query or a short transaction; the callers run it off their UI
//! thread. Listings return item ids in order ([`Store::list_item_ids`]) and rows for a page
//! of ids ([`Store::item_list_rows`]), so a table can fetch only the rows on screen.

mod bulk;
mod detail;
mod list;
mod map;
mod overview;
mod search;
mod signals;

pub use detail::{ItemBatchRow, ItemScoreRow, ItemSource};
pub use list::{BatchFilter, ItemFilter, ItemListRow, ItemSort, PredictedFilter, ScoreFilter, SortKey};
pub use map::{EmbeddingSource, ItemMapInfo, Vectors};
pub use overview::{AnnotatorActivity, BatchProgress, ItemStateCounts};
pub use search::{INDEX_CHUNK, SearchIndexStatus, fts_query};
pub use signals::{Interrupter, is_interrupted};

/// Where an item stands, summed over everyone's work on it: the most advanced state of any
/// annotation (approved, then submitted, then returned, then draft), or unlabeled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Nobody has started it.
    Unlabeled,
    /// Someone saved a draft.
    Draft,
    /// Returned by a reviewer, waiting for rework.
    Returned,
    /// Submitted, waiting for review.
    Submitted,
    /// Approved by a reviewer.
    Approved,
}

impl ItemState {
    /// Every state, least advanced first.
    pub const ALL: [ItemState; 5] = [
        ItemState::Unlabeled,
        ItemState::Draft,
        ItemState::Returned,
        ItemState::Submitted,
        ItemState::Approved,
    ];

    /// The rank SQL computes with [`STATE_RANK_SQL`] (0 for unlabeled).
    pub fn rank(self) -> i64 {
        match self {
            ItemState::Unlabeled => 0,
            ItemState::Draft => 1,
            ItemState::Returned => 2,
            ItemState::Submitted => 3,
            ItemState::Approved => 4,
        }
    }

    /// The state of a rank (unknown ranks read as unlabeled).
    pub fn from_rank(rank: i64) -> ItemState {
        match rank {
            1 => ItemState::Draft,
            2 => ItemState::Returned,
            3 => ItemState::Submitted,
            4 => ItemState::Approved,
            _ => ItemState::Unlabeled,
        }
    }

    /// The state's lower-case name, as serialized and as [`FromStr`](std::str::FromStr) reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Unlabeled => "unlabeled",
            ItemState::Draft => "draft",
            ItemState::Returned => "returned",
            ItemState::Submitted => "submitted",
            ItemState::Approved => "approved",
        }
    }
}

impl std::fmt::Display for ItemState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ItemState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ItemState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown item state {s:?} (expected unlabeled, draft, returned, submitted or approved)"
                )
            })
    }
}

/// The rank of one annotation's state (`a.state`), as [`ItemState::rank`] numbers it.
pub(crate) const STATE_RANK_SQL: &str =
    "CASE a.state WHEN 'approved' THEN 4 WHEN 'submitted' THEN 3 WHEN 'returned' THEN 2 ELSE 1 END";

/// `ids` as the JSON array text that `json_each(?)` reads: how a page of ids is bound as one
/// parameter.
pub(crate) fn id_array(ids: &[i64]) -> String {
    let mut s = String::with_capacity(ids.len() * 8 + 2);
    s.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push(']');
    s
}

#[cfg(test)]
mod tests;
