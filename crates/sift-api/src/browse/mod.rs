//! The lead's view of the whole project: the use cases behind the Lab (`sift-lab`), which
//! adapts them as the CLI adapts the rest of this crate.
//!
//! - [`list`](Project::item_ids): item listings with filters, sort and full-text search,
//!   and the rows of a page of them;
//! - [`detail`](Project::item_detail): one item with its whole annotation history;
//! - bulk actions on a selection: make a batch, assign, return with a comment, queue first;
//! - [`overview`](Project::overview): items by state, each person's work and pace, batch
//!   progress, reviews waiting, the current model;
//! - the search index, filled in the background ([`Project::index_for_search`]);
//! - the data map: a 2-D projection (PCA) of stored embeddings or a numeric field;
//! - the learning views: score histograms and the queue builder's preview (the curves and
//!   runs are the learning loop's own use cases, [`crate::learn`]);
//! - signals for a window: whether another process changed the file, and cancelling a
//!   running statement.
//!
//! Every call is synchronous; a window runs them off its UI thread, each thread with its
//! own [`Project`] (its own SQLite connection).

mod bulk;
mod detail;
mod learning;
mod list;
mod map;
mod overview;
mod pca;
mod search;
mod signals;

pub(crate) use bulk::check_batch_name;
pub use bulk::{BulkReport, MAX_BULK_ITEMS, MakeBatch};
pub use detail::{AnnotationHistory, ItemDetail, ItemMedia};
pub use learning::{QueuePreview, ScoreHistogram};
pub use list::{BrowseFacets, ItemPage, ItemQuery, ItemRow, ModelFacet, Prediction, preview_text};
pub use map::{ColorBy, MapColors, MapPoints, MapSource};
pub use overview::{ModelSummary, Overview, PersonActivity};
pub use pca::{Projection, pca_2d};
pub use sift_store::{
    AnnotatorActivity, BatchFilter, BatchProgress, ItemState, ItemStateCounts, SearchIndexStatus, SortKey,
};
pub use sift_store::{Interrupter, ItemBatchRow, ItemScoreRow, ItemSort, ItemSource};
pub use signals::was_interrupted;

#[cfg(test)]
mod tests;
