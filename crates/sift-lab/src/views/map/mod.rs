//! Data map: the items as points placed by a 2-D PCA of their vectors (stored embeddings or a
//! numeric field), coloured by state, annotator or uncertainty. The projection is computed
//! as a job off the UI thread and cached per vector version (`Project::map_version`), so a
//! change elsewhere in the project never recomputes it; colours are reloaded instead. A box
//! or lasso selection feeds the data manager's bulk actions.

pub mod scatter;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use eframe::egui::{self, Color32, RichText};
use sift_api::browse::{ColorBy, ItemState, MapColors, MapPoints, MapSource, ModelFacet};

use crate::backend::jobs::Stop;
use crate::backend::{Apply, message};
use crate::theme;
use crate::views::data::BulkForm;
use crate::views::{Cx, Tab, Views, empty_state, error_line, loading, stale};
use scatter::{Scatter, Tool};

/// Most points a map shows.
pub const MAX_POINTS: u64 = 100_000;

/// What the points are coloured by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Colouring {
    /// By the item's state.
    State,
    /// By the person who worked on the item.
    Annotator,
    /// By the item's score for this strategy, of the model version the map uses.
    Uncertainty(String),
    /// By the class that model version predicts, when it is a head of the learning loop.
    Predicted,
}

/// The vector sources the map can show: each with its version and how many points it has
/// (or why they could not be listed).
pub type MapSources = Result<Vec<(MapSource, String, u64)>, String>;

/// The map's state.
#[derive(Debug)]
pub struct MapView {
    /// The stored vector sources (`None`: loading).
    pub sources: Option<MapSources>,
    sources_loaded: Option<u64>,
    /// The source shown.
    pub source: Option<MapSource>,
    /// Projections by source and vector version.
    cache: HashMap<(MapSource, String), Arc<MapPoints>>,
    /// The projection shown.
    pub points: Option<Arc<MapPoints>>,
    version_checked: Option<(MapSource, u64)>,
    /// Why the projection or colours could not be made.
    pub error: Option<String>,
    /// The running projection job.
    pub job: Option<u64>,
    /// What the points are coloured by.
    pub colouring: Colouring,
    colours: Option<Arc<MapColors>>,
    colours_loaded: Option<(Colouring, u64, usize)>,
    colour_generation: u64,
    /// What a drag does.
    pub tool: Tool,
    /// The plot's view (pan and zoom) and picture.
    pub scatter: Scatter,
    /// Selected point indices.
    pub selection: HashSet<usize>,
    selection_generation: u64,
    hover_rows: HashMap<i64, String>,
    /// The model version whose scores colour uncertainty and whose predictions colour classes
    /// (the newest with scores).
    model: Option<ModelFacet>,
    /// A source whose projection must be computed.
    pending: Option<MapSource>,
}

impl Default for MapView {
    fn default() -> Self {
        MapView {
            sources: None,
            sources_loaded: None,
            source: None,
            cache: HashMap::new(),
            points: None,
            version_checked: None,
            error: None,
            job: None,
            colouring: Colouring::State,
            colours: None,
            colours_loaded: None,
            colour_generation: 0,
            tool: Tool::Box,
            scatter: Scatter::default(),
            selection: HashSet::new(),
            selection_generation: 0,
            hover_rows: HashMap::new(),
            model: None,
            pending: None,
        }
    }
}

impl MapView {
    /// Shows `points` (fresh from a job or the cache).
    fn set_points(&mut self, points: Arc<MapPoints>) {
        let same = self
            .points
            .as_ref()
            .is_some_and(|p| p.version == points.version && p.ids == points.ids);
        if !same {
            self.scatter.set_points(Arc::new(points.xy.clone()));
            self.selection.clear();
            self.selection_generation += 1;
            self.colours = None;
            self.colours_loaded = None;
        }
        self.points = Some(points);
    }

    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if stale(self.sources_loaded, cx.revision) {
            self.sources_loaded = Some(cx.revision);
            cx.backend.stats.run(|p| {
                let sources = p.map_sources().map_err(|e| message(&e));
                let model = p.browse_facets().ok().and_then(|f| f.models.into_iter().next());
                Box::new(move |views: &mut Views| {
                    let map = &mut views.map;
                    if let Ok(list) = &sources
                        && map
                            .source
                            .as_ref()
                            .is_none_or(|s| !list.iter().any(|(x, _, _)| x == s))
                    {
                        map.source = list.first().map(|(s, _, _)| s.clone());
                    }
                    map.model = model;
                    map.sources = Some(sources);
                }) as Apply
            });
        }
        let Some(source) = self.source.clone() else {
            return;
        };
        // Is the projection on screen still that of the vectors? Ask for their version.
        let checked = self
            .version_checked
            .as_ref()
            .is_some_and(|(s, r)| *s == source && *r == cx.revision);
        if !checked && self.job.is_none() {
            self.version_checked = Some((source.clone(), cx.revision));
            let src = source.clone();
            cx.backend.stats.run(move |p| {
                let version = p.map_version(&src).map_err(|e| message(&e));
                Box::new(move |views: &mut Views| views.map.version_known(src, version)) as Apply
            });
        }
        // Colours follow the project (states change as people work).
        if let Some(points) = &self.points {
            let key = (self.colouring.clone(), cx.revision, points.ids.len());
            if self.colours_loaded.as_ref() != Some(&key)
                && let Some(by) = self.colour_by()
            {
                self.colours_loaded = Some(key);
                let ids = points.ids.clone();
                cx.backend.stats.run(move |p| {
                    let colours = p.map_colors(&ids, &by).map_err(|e| message(&e));
                    Box::new(move |views: &mut Views| match colours {
                        Ok(c) => {
                            views.map.colours = Some(Arc::new(c));
                            views.map.colour_generation += 1;
                        }
                        Err(e) => views.map.error = Some(e),
                    }) as Apply
                });
            }
        }
    }

    fn colour_by(&self) -> Option<ColorBy> {
        Some(match &self.colouring {
            Colouring::State => ColorBy::State,
            Colouring::Annotator => ColorBy::Annotator,
            Colouring::Uncertainty(strategy) => ColorBy::Uncertainty {
                model_version_id: self.model.as_ref()?.model_version_id,
                strategy: strategy.clone(),
            },
            Colouring::Predicted => ColorBy::Predicted {
                model_version_id: self.model.as_ref()?.model_version_id,
            },
        })
    }

    /// The version of `source`'s vectors is known: use the cached projection or compute one.
    fn version_known(&mut self, source: MapSource, version: Result<String, String>) {
        let version = match version {
            Ok(v) => v,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        if self.points.as_ref().is_some_and(|p| p.version == version) {
            return;
        }
        if let Some(points) = self.cache.get(&(source.clone(), version.clone())).cloned() {
            self.set_points(points);
            return;
        }
        self.pending = Some(source);
    }

    /// Computes the pending projection as a job (PCA of up to [`MAX_POINTS`] vectors).
    fn start_job(&mut self, cx: &mut Cx<'_>) {
        if self.job.is_some() {
            return;
        }
        let Some(source) = self.pending.take() else {
            return;
        };
        self.error = None;
        let src = source.clone();
        self.job = cx.backend.jobs.start(
            "map",
            "Projecting the data map",
            Stop::Never,
            move |p, progress, _cancel| {
                use sift_api::Progress;
                progress.start("projecting (PCA)", None);
                let points = p.map_points(&src, MAX_POINTS).map_err(|e| message(&e));
                Box::new(move |views: &mut Views| {
                    let map = &mut views.map;
                    map.job = None;
                    match points {
                        Ok(points) => {
                            let points = Arc::new(points);
                            map.cache
                                .insert((src.clone(), points.version.clone()), Arc::clone(&points));
                            if map.source.as_ref() == Some(&src) {
                                map.set_points(points);
                            }
                        }
                        Err(e) => map.error = Some(e),
                    }
                }) as Apply
            },
        );
        if self.job.is_none() {
            self.pending = Some(source);
        }
    }

    /// Draws the source and colour choices, the scatter plot and its selection bar; a selection
    /// handed to the data manager goes into `data_bulk`.
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>, data_bulk: &mut MapActions) {
        self.refresh(cx);
        self.start_job(cx);
        let sources = match &self.sources {
            None => return loading(ui, "the map sources"),
            Some(Err(e)) => return error_line(ui, e),
            Some(Ok(s)) => s.clone(),
        };
        if sources.is_empty() {
            empty_state(
                ui,
                "No vectors to map yet: score with a model (its embeddings are stored), or import items with a numeric `features` field.",
            );
            return;
        }
        ui.horizontal_wrapped(|ui| {
            let current = self
                .source
                .as_ref()
                .and_then(|s| sources.iter().find(|(x, _, _)| x == s))
                .map_or_else(
                    || "choose".to_owned(),
                    |(_, label, n)| format!("{label}, {n} items"),
                );
            egui::ComboBox::from_id_salt("map-source")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for (s, label, n) in &sources {
                        ui.selectable_value(&mut self.source, Some(s.clone()), format!("{label}, {n} items"));
                    }
                });
            let colouring = self.colouring.clone();
            let colour_text = match &colouring {
                Colouring::State => "Colour: state".to_owned(),
                Colouring::Annotator => "Colour: annotator".to_owned(),
                Colouring::Uncertainty(s) => format!("Colour: {s}"),
                Colouring::Predicted => "Colour: predicted class".to_owned(),
            };
            egui::ComboBox::from_id_salt("map-colour")
                .selected_text(&colour_text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.colouring, Colouring::State, "state");
                    ui.selectable_value(&mut self.colouring, Colouring::Annotator, "annotator");
                    let strategies = self
                        .model
                        .as_ref()
                        .map(|m| m.strategies.clone())
                        .unwrap_or_default();
                    for s in strategies {
                        let label = format!("uncertainty ({s})");
                        ui.selectable_value(&mut self.colouring, Colouring::Uncertainty(s), label);
                    }
                    if let Some(m) = self.model.as_ref().filter(|m| !m.classes.is_empty()) {
                        let label = format!("predicted class ({})", m.label);
                        ui.selectable_value(&mut self.colouring, Colouring::Predicted, label);
                    }
                })
                .response
                .widget_info(|| {
                    // A name for screen readers (and the tests); the box shows only its value.
                    let mut info = egui::WidgetInfo::labeled(egui::WidgetType::ComboBox, true, "Colour by");
                    info.current_text_value = Some(colour_text.clone());
                    info
                });
            ui.selectable_value(&mut self.tool, Tool::Box, "Box select");
            ui.selectable_value(&mut self.tool, Tool::Lasso, "Lasso select");
            if ui
                .button("Reset view")
                .on_hover_text("Fit every point (0)")
                .clicked()
            {
                self.scatter.reset_view();
            }
        });
        if let Some(job) = self
            .job
            .and_then(|id| cx.backend.jobs.running.iter().find(|j| j.id == id).cloned())
        {
            crate::views::transfer::job_progress(ui, &job, cx);
        }
        if let Some(e) = &self.error {
            error_line(ui, e);
        }
        let Some(points) = self.points.clone() else {
            if self.job.is_none() {
                loading(ui, "the map");
            }
            return;
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!(
                    "{} points; PCA axes explain {:.0}% and {:.0}% of the variance{}.",
                    points.ids.len(),
                    points.explained[0] * 100.0,
                    points.explained[1] * 100.0,
                    if points.skipped > 0 {
                        format!("; {} items without a usable vector", points.skipped)
                    } else {
                        String::new()
                    }
                ))
                .weak(),
            );
            self.legend(ui);
        });
        if !self.selection.is_empty() {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{} points selected", self.selection.len())).strong());
                let ids = || {
                    self.selection
                        .iter()
                        .map(|&i| points.ids[i])
                        .collect::<Vec<i64>>()
                };
                if ui.button("Select in Data").clicked() {
                    data_bulk.select = Some((ids(), None));
                }
                if ui.button("Make batch…").clicked() {
                    data_bulk.select = Some((ids(), Some(crate::views::data::bulk_form(false))));
                }
                if ui.button("Queue first…").clicked() {
                    data_bulk.select = Some((ids(), Some(crate::views::data::bulk_form(true))));
                }
                if ui.button("Clear").clicked() {
                    self.selection.clear();
                    self.selection_generation += 1;
                }
            });
        }
        let dark = ui.visuals().dark_mode;
        let colours = self.colours.clone();
        let colouring = self.colouring.clone();
        let colour = move |i: usize| point_colour(colours.as_deref(), &colouring, i, dark);
        let selection = &self.selection;
        let is_selected = |i: usize| selection.contains(&i);
        let size = ui.available_size().max(egui::vec2(200.0, 160.0));
        let out = self.scatter.show(
            ui,
            size,
            self.tool,
            &colour,
            &is_selected,
            (self.colour_generation, self.selection_generation),
        );
        if let Some(picked) = out.selected {
            let add = ui.input(|i| i.modifiers.shift || i.modifiers.command);
            if !add {
                self.selection.clear();
            }
            self.selection.extend(picked);
            self.selection_generation += 1;
        }
        if let Some(i) = out.hovered {
            let id = points.ids[i];
            let text = match self.hover_rows.get(&id) {
                Some(t) => t.clone(),
                None => {
                    self.hover_rows.insert(id, "…".into());
                    cx.backend.pages.run(move |p| {
                        let preview = p
                            .item_rows(&[id], None)
                            .ok()
                            .and_then(|r| r.into_iter().next())
                            .map(|r| format!("{} ({})", r.preview, r.state))
                            .unwrap_or_default();
                        Box::new(move |views: &mut Views| {
                            views.map.hover_rows.insert(id, preview);
                        }) as Apply
                    });
                    "…".into()
                }
            };
            out.response.show_tooltip_ui(|ui| {
                ui.strong(format!("Item {id}"));
                ui.label(text);
            });
        }
    }

    fn legend(&self, ui: &mut egui::Ui) {
        let dark = ui.visuals().dark_mode;
        match &self.colouring {
            Colouring::State => {
                for state in ItemState::ALL {
                    swatch(ui, theme::state_color(state, dark), state.as_str());
                }
            }
            Colouring::Annotator => {
                for (k, name) in self.colours.iter().flat_map(|c| c.categories.iter()).enumerate() {
                    swatch(ui, theme::category_color(k), name);
                }
                swatch(ui, Color32::GRAY, "nobody");
            }
            Colouring::Predicted => {
                for (k, name) in self.colours.iter().flat_map(|c| c.categories.iter()).enumerate() {
                    swatch(ui, theme::category_color(k), name);
                }
                swatch(ui, Color32::GRAY, "no prediction");
            }
            Colouring::Uncertainty(_) => {
                swatch(ui, theme::ramp_color(0.0), "certain");
                swatch(ui, theme::ramp_color(1.0), "uncertain");
                swatch(ui, Color32::GRAY, "unscored");
            }
        }
    }
}

fn swatch(ui: &mut egui::Ui, colour: Color32, label: &str) {
    let (r, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(r, 2.0, colour);
    ui.label(label);
}

fn point_colour(colours: Option<&MapColors>, colouring: &Colouring, i: usize, dark: bool) -> Color32 {
    let Some(v) = colours.and_then(|c| c.values.get(i)).copied() else {
        return Color32::GRAY;
    };
    if v.is_nan() {
        return Color32::GRAY;
    }
    match colouring {
        Colouring::State => theme::state_color(ItemState::ALL[(v as usize).min(4)], dark),
        Colouring::Annotator | Colouring::Predicted => theme::category_color(v as usize),
        Colouring::Uncertainty(_) => theme::ramp_color(v),
    }
}

/// What the map asks of the data manager (its selection and bulk forms).
#[derive(Debug, Default)]
pub struct MapActions {
    /// Items to select there, and the form to open on them.
    pub select: Option<(Vec<i64>, Option<BulkForm>)>,
}

impl MapActions {
    /// Hands the selection to the data manager and shows it.
    pub fn apply(self, views: &mut Views) {
        if let Some((ids, form)) = self.select {
            views.data.selected = ids.into_iter().collect();
            if let Some(form) = form {
                views.data.bulk = form;
            }
            views.tab = Tab::Data;
        }
    }
}
