//! Data manager: every item in a virtualized table (filters, search, sort), a selection with
//! bulk actions, and a detail pane with the item's whole history. The listing is the ids of
//! the matching items in order (a million ids are 8 MB); rows are fetched a page at a time,
//! only for the pages on screen, and kept in a small cache.

mod bulk;
mod detail;
mod filters;
mod table;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eframe::egui;
use sift_api::browse::{BrowseFacets, ItemQuery, ItemRow};

use super::{Cx, stale};
use crate::backend::{Apply, message};
use crate::views::Views;

pub use bulk::{BulkForm, bulk_form};
pub use detail::{DetailPane, ItemOf};
pub use filters::{Filters, search_id, thousands};
pub use table::{short_time, table_id};

/// Rows per fetched page.
pub const PAGE: usize = 100;
/// Pages kept in the cache.
const MAX_PAGES: usize = 48;
/// A page request is dropped when, by its turn, the table has scrolled this many pages away.
const PAGE_SLACK: usize = 4;

/// A fetched (or fetching) page of rows.
#[derive(Debug)]
pub enum Page {
    /// Asked for; not back yet.
    Loading,
    /// The rows by item id.
    Ready(HashMap<i64, ItemRow>),
    /// Why the page could not be read.
    Failed(String),
}

/// The data manager's state.
#[derive(Debug, Default)]
pub struct DataView {
    /// The filter bar.
    pub filters: Filters,
    /// The matching ids, in order.
    pub ids: Arc<Vec<i64>>,
    /// Bumped whenever `ids` is replaced: pages of an older listing are thrown away.
    generation: u64,
    listed: Option<(u64, ItemQuery)>,
    listing_in_flight: bool,
    /// A listing was asked for while one ran: ask again when it returns.
    listing_again: bool,
    /// Why the last listing failed.
    pub listing_error: Option<String>,
    /// How long the last listing took.
    pub listing_time: Option<Duration>,
    pages: HashMap<usize, Page>,
    /// Rows of the pages before the last listing, shown until their new page arrives: a
    /// refresh never empties the table for a moment (a click on a row is never lost to it).
    stale: HashMap<i64, ItemRow>,
    /// The first page on screen, read by page tasks to skip work the table scrolled past.
    visible_page: Arc<AtomicUsize>,
    /// People, batches and scored models, for the filters and the score columns.
    pub facets: Option<BrowseFacets>,
    facets_loaded: Option<u64>,
    /// The ticked items (ids), the target of the bulk actions.
    pub selected: BTreeSet<i64>,
    /// The row the keyboard is on (an index into `ids`).
    pub cursor: Option<usize>,
    anchor: Option<usize>,
    /// The pane showing one item.
    pub detail: DetailPane,
    /// The bulk bar and its forms.
    pub bulk: BulkForm,
    scroll_to: Option<usize>,
    /// Thumbnails of the rows' pictures.
    pub thumbs: table::Thumbs,
}

impl DataView {
    /// Whether the listing on screen answers the current query and project.
    pub fn is_current(&self, revision: u64) -> bool {
        self.listed
            .as_ref()
            .is_some_and(|(r, q)| *r == revision && *q == self.filters.query())
    }

    /// Asks for the facets and the listing when they are out of date.
    pub fn refresh(&mut self, cx: &mut Cx<'_>) {
        if stale(self.facets_loaded, cx.revision) {
            self.facets_loaded = Some(cx.revision);
            cx.backend.stats.run(|p| {
                let facets = p.browse_facets().map_err(|e| message(&e));
                Box::new(move |views: &mut Views| match facets {
                    Ok(f) => {
                        let data = &mut views.data;
                        let model = &mut data.filters.model;
                        if model.is_none_or(|m| !f.models.iter().any(|x| x.model_version_id == m)) {
                            *model = f.models.first().map(|m| m.model_version_id);
                        }
                        data.facets = Some(f);
                    }
                    Err(e) => views.banner_error(e),
                }) as Apply
            });
        }
        if !self.filters.settled() || self.is_current(cx.revision) {
            return;
        }
        if self.listing_in_flight {
            self.listing_again = true;
            return;
        }
        self.listing_in_flight = true;
        let query = self.filters.query();
        let revision = cx.revision;
        cx.backend.stats.run(move |p| {
            let started = Instant::now();
            let result = p.item_ids(&query).map_err(|e| message(&e));
            let took = started.elapsed();
            Box::new(move |views: &mut Views| {
                let data = &mut views.data;
                data.listing_in_flight = false;
                data.listing_time = Some(took);
                data.listed = Some((revision, query));
                match result {
                    Ok(ids) => data.replace_ids(ids),
                    Err(e) => data.listing_error = Some(e),
                }
                data.listing_again = false;
            }) as Apply
        });
    }

    fn replace_ids(&mut self, ids: Vec<i64>) {
        self.listing_error = None;
        self.ids = Arc::new(ids);
        self.generation += 1;
        self.keep_stale_rows();
        if let Some(c) = self.cursor {
            self.cursor = (!self.ids.is_empty()).then(|| c.min(self.ids.len() - 1));
        }
    }

    /// The row at `index` of the listing, if its page has arrived.
    pub fn row(&self, index: usize) -> Option<&ItemRow> {
        let id = self.ids.get(index)?;
        match self.pages.get(&(index / PAGE)) {
            Some(Page::Ready(rows)) => rows.get(id),
            Some(Page::Failed(_)) => None,
            _ => self.stale.get(id),
        }
    }

    /// Whether the page holding `index` failed, and why.
    pub fn page_error(&self, index: usize) -> Option<&str> {
        match self.pages.get(&(index / PAGE))? {
            Page::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Fetches the pages `first..=last` that are not cached yet, and forgets pages far away.
    pub fn want_pages(&mut self, first: usize, last: usize, cx: &mut Cx<'_>) {
        self.visible_page.store(first, Ordering::Relaxed);
        for page in first..=last {
            if self.pages.contains_key(&page) {
                continue;
            }
            let start = page * PAGE;
            if start >= self.ids.len() {
                break;
            }
            let end = (start + PAGE).min(self.ids.len());
            let ids = self.ids[start..end].to_vec();
            self.pages.insert(page, Page::Loading);
            let (generation, model, visible) = (
                self.generation,
                self.filters.model,
                Arc::clone(&self.visible_page),
            );
            cx.backend.pages.run(move |p| {
                let on_screen = visible.load(Ordering::Relaxed);
                if page + PAGE_SLACK < on_screen || page > on_screen + PAGE_SLACK + 20 {
                    // Scrolled past before its turn: let it be asked for again if needed.
                    return Box::new(move |views: &mut Views| {
                        if views.data.generation == generation {
                            views.data.pages.remove(&page);
                        }
                    }) as Apply;
                }
                let rows = p.item_rows(&ids, model).map_err(|e| message(&e));
                Box::new(move |views: &mut Views| {
                    let data = &mut views.data;
                    if data.generation != generation {
                        return;
                    }
                    let page_state = match rows {
                        Ok(rows) => Page::Ready(rows.into_iter().map(|r| (r.id, r)).collect()),
                        Err(e) => Page::Failed(e),
                    };
                    data.pages.insert(page, page_state);
                }) as Apply
            });
        }
        if self.pages.len() > MAX_PAGES {
            let centre = (first + last) / 2;
            let mut far: Vec<usize> = self.pages.keys().copied().collect();
            far.sort_by_key(|p| std::cmp::Reverse(p.abs_diff(centre)));
            for page in far.into_iter().take(self.pages.len() - MAX_PAGES) {
                if !matches!(self.pages.get(&page), Some(Page::Loading)) {
                    self.pages.remove(&page);
                }
            }
        }
    }

    /// Drops every cached page (the score columns changed).
    pub fn clear_pages(&mut self) {
        self.generation += 1;
        self.keep_stale_rows();
    }

    /// Empties the page cache, keeping its rows to show until their pages are read again.
    fn keep_stale_rows(&mut self) {
        let mut rows: HashMap<i64, ItemRow> = HashMap::new();
        for (_, page) in self.pages.drain() {
            if let Page::Ready(page_rows) = page {
                rows.extend(page_rows);
            }
        }
        if !rows.is_empty() {
            self.stale = rows;
        }
    }

    /// Row clicks: plain selects one, Ctrl toggles, Shift extends from the anchor.
    pub fn click_row(&mut self, index: usize, modifiers: egui::Modifiers) {
        let Some(&id) = self.ids.get(index) else {
            return;
        };
        if modifiers.shift {
            let from = self.anchor.unwrap_or(index);
            let (a, b) = (from.min(index), from.max(index));
            if !modifiers.command {
                self.selected.clear();
            }
            self.selected.extend(self.ids[a..=b].iter().copied());
        } else if modifiers.command {
            if !self.selected.remove(&id) {
                self.selected.insert(id);
            }
            self.anchor = Some(index);
        } else {
            self.selected.clear();
            self.selected.insert(id);
            self.anchor = Some(index);
        }
        self.cursor = Some(index);
        self.detail.open(id);
    }

    /// Toggles one row's selection (its check box).
    pub fn toggle_row(&mut self, index: usize) {
        let Some(&id) = self.ids.get(index) else {
            return;
        };
        if !self.selected.remove(&id) {
            self.selected.insert(id);
        }
        self.anchor = Some(index);
        self.cursor = Some(index);
    }

    /// Moves the keyboard cursor by `delta` rows (Shift extends the selection).
    pub fn move_cursor(&mut self, delta: isize, extend: bool) {
        if self.ids.is_empty() {
            return;
        }
        let last = self.ids.len() - 1;
        let from = self.cursor.unwrap_or(0);
        let to = if delta < 0 {
            from.saturating_sub(delta.unsigned_abs())
        } else {
            from.saturating_add(delta as usize).min(last)
        };
        self.cursor = Some(to);
        if extend && let Some(&id) = self.ids.get(to) {
            self.selected.insert(id);
        }
        self.scroll_to = Some(to);
    }

    /// Selects every item of the listing (at most the bulk limit).
    pub fn select_all(&mut self) {
        let limit = sift_api::browse::MAX_BULK_ITEMS;
        self.selected = self.ids.iter().take(limit).copied().collect();
    }

    /// Draws the filter bar, the bulk bar, the table and, when an item is open, the detail pane
    /// (asking for what is stale first).
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.refresh(cx);
        self.bulk
            .show_dialogs(ui, cx, &self.selected, self.facets.as_ref());
        egui::Panel::top("data-filters").show_inside(ui, |ui| {
            self.filters_bar(ui, cx);
        });
        // Always shown (disabled while nothing is selected), so that selecting the first row
        // never moves the table under the pointer.
        egui::Panel::top("data-bulk").show_inside(ui, |ui| {
            self.bulk.bar(ui, &mut self.selected, cx.project.read_only);
        });
        if self.detail.item().is_some() {
            egui::Panel::right("data-detail")
                .resizable(true)
                .default_size(420.0)
                .min_size(280.0)
                .show_inside(ui, |ui| self.detail.show(ui, cx));
        }
        egui::CentralPanel::default().show_inside(ui, |ui| {
            self.table(ui, cx);
        });
    }
}
