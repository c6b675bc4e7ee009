//! The data manager's filter bar: search (applied a quarter second after the last key),
//! states, person, batch, score range, sort, and which model's scores fill the columns.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use eframe::egui;
use sift_api::browse::{BatchFilter, ItemQuery, ItemSort, ItemState, SortKey};

use super::DataView;
use crate::theme;
use crate::views::Cx;

/// How long typing must pause before a search runs.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(250);

/// Id of the search field (Ctrl+F focuses it).
pub fn search_id() -> egui::Id {
    egui::Id::new("data-search")
}

/// The sort a person chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortChoice {
    Import,
    State,
    Updated,
    Score(String),
}

/// What the filter bar holds.
#[derive(Debug, Clone)]
pub struct Filters {
    /// Words the item text must hold, as typed (applied when typing pauses).
    pub search: String,
    search_applied: String,
    search_edited: Option<Instant>,
    /// Item states to show (empty: every state).
    pub states: BTreeSet<ItemState>,
    /// Items this person (annotator id) worked on or is assigned.
    pub annotator: Option<i64>,
    /// Items in this batch, or in none.
    pub batch: Option<BatchFilter>,
    /// Strategy of the score filter (of [`Filters::model`]); `None`: no score filter.
    pub score_strategy: Option<String>,
    /// Lowest score shown by the score filter.
    pub score_min: f64,
    /// Highest score shown by the score filter.
    pub score_max: f64,
    /// The listing's order.
    pub sort: SortChoice,
    /// Reverse the order.
    pub descending: bool,
    /// The model version whose scores fill the columns (and the score filter and sort).
    pub model: Option<i64>,
    /// Items [`Filters::model`] (a head of the learning loop) predicts this class for (its
    /// index in the head's classes).
    pub predicted: Option<u32>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            search: String::new(),
            search_applied: String::new(),
            search_edited: None,
            states: BTreeSet::new(),
            annotator: None,
            batch: None,
            score_strategy: None,
            score_min: 0.0,
            score_max: 1.0,
            sort: SortChoice::Import,
            descending: false,
            model: None,
            predicted: None,
        }
    }
}

impl Filters {
    /// The query the bar describes (with the search as last applied).
    pub fn query(&self) -> ItemQuery {
        let key = match (&self.sort, self.model) {
            (SortChoice::State, _) => SortKey::State,
            (SortChoice::Updated, _) => SortKey::Updated,
            (SortChoice::Score(strategy), Some(model)) => SortKey::Score {
                model_version_id: model,
                strategy: strategy.clone(),
            },
            _ => SortKey::Id,
        };
        ItemQuery {
            states: self.states.iter().copied().collect(),
            annotator_id: self.annotator,
            batch: self.batch,
            score: match (&self.score_strategy, self.model) {
                (Some(s), Some(m)) => Some((m, s.clone(), self.score_min, self.score_max)),
                _ => None,
            },
            predicted: self.model.zip(self.predicted),
            search: self.search_applied.clone(),
            sort: ItemSort {
                key,
                descending: self.descending,
            },
        }
    }

    /// Whether typing has paused long enough for the search to run (applies it if so).
    pub fn settled(&mut self) -> bool {
        match self.search_edited {
            Some(at) if at.elapsed() < SEARCH_DEBOUNCE => false,
            Some(_) => {
                self.search_applied = self.search.trim().to_owned();
                self.search_edited = None;
                true
            }
            None => true,
        }
    }

    /// Sets the search at once (no pause), as tests and "find" links do.
    pub fn set_search_now(&mut self, text: &str) {
        self.search = text.to_owned();
        self.search_applied = text.trim().to_owned();
        self.search_edited = None;
    }

    fn any(&self) -> bool {
        !self.search.is_empty()
            || !self.states.is_empty()
            || self.annotator.is_some()
            || self.batch.is_some()
            || self.score_strategy.is_some()
            || self.predicted.is_some()
    }
}

impl DataView {
    pub(super) fn filters_bar(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        let facets = self.facets.clone().unwrap_or_default();
        let dark = ui.visuals().dark_mode;
        let before = self.filters.clone();
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Search");
            let search = ui
                .add(
                    egui::TextEdit::singleline(&mut self.filters.search)
                        .id(search_id())
                        .hint_text("words in the item text (Ctrl+F)")
                        .desired_width(220.0),
                )
                .labelled_by(label.id);
            if search.changed() {
                self.filters.search_edited = Some(Instant::now());
            }
            if self.filters.search_edited.is_some() {
                ui.ctx().request_repaint_after(SEARCH_DEBOUNCE);
            }
            ui.separator();
            for state in ItemState::ALL {
                let on = self.filters.states.contains(&state);
                let text = egui::RichText::new(state.as_str()).color(if on {
                    ui.visuals().strong_text_color()
                } else {
                    theme::state_color(state, dark)
                });
                if ui
                    .selectable_label(on, text)
                    .on_hover_text(format!(
                        "Show {state} items (together with the other states chosen)"
                    ))
                    .clicked()
                {
                    if on {
                        self.filters.states.remove(&state);
                    } else {
                        self.filters.states.insert(state);
                    }
                }
            }
            ui.separator();
            let who = self
                .filters
                .annotator
                .and_then(|id| facets.people.iter().find(|p| p.0 == id))
                .map_or_else(|| "Anyone".to_owned(), |p| p.1.clone());
            egui::ComboBox::from_id_salt("filter-person")
                .selected_text(format!("Person: {who}"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filters.annotator, None, "Anyone");
                    for (id, name, role) in &facets.people {
                        ui.selectable_value(
                            &mut self.filters.annotator,
                            Some(*id),
                            format!("{name} ({role})"),
                        );
                    }
                });
            let batch = match self.filters.batch {
                None => "Any".to_owned(),
                Some(BatchFilter::NoBatch) => "None".to_owned(),
                Some(BatchFilter::Batch(id)) => facets
                    .batches
                    .iter()
                    .find(|b| b.0 == id)
                    .map_or_else(|| id.to_string(), |b| b.1.clone()),
            };
            egui::ComboBox::from_id_salt("filter-batch")
                .selected_text(format!("Batch: {batch}"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filters.batch, None, "Any batch");
                    ui.selectable_value(&mut self.filters.batch, Some(BatchFilter::NoBatch), "In no batch");
                    for (id, name) in &facets.batches {
                        ui.selectable_value(&mut self.filters.batch, Some(BatchFilter::Batch(*id)), name);
                    }
                });
        });
        // Models, predictions and the order on a row of their own: a head's names are long.
        ui.horizontal_wrapped(|ui| {
            self.score_controls(ui, &facets);
            self.prediction_controls(ui, &facets);
            ui.separator();
            self.sort_controls(ui, &facets);
            if self.filters.any() && ui.button("Clear filters").clicked() {
                let model = self.filters.model;
                self.filters = Filters {
                    model,
                    ..Filters::default()
                };
            }
        });
        ui.horizontal(|ui| {
            let n = self.ids.len();
            let count = if self.filters.any() {
                format!("{} matching items", thousands(n as u64))
            } else {
                format!("{} items", thousands(n as u64))
            };
            ui.label(egui::RichText::new(count).strong());
            if let Some(t) = self.listing_time {
                ui.label(egui::RichText::new(format!("(listed in {} ms)", t.as_millis())).weak());
            }
            if !self.is_current(cx.revision) {
                ui.spinner();
            }
            if let Some(e) = &self.listing_error {
                crate::views::error_line(ui, e);
            }
        });
        if self.filters.model != before.model {
            // Class indices belong to one head.
            self.filters.predicted = None;
            self.clear_pages();
        }
    }

    fn score_controls(&mut self, ui: &mut egui::Ui, facets: &sift_api::browse::BrowseFacets) {
        let Some(model) = self
            .filters
            .model
            .and_then(|m| facets.models.iter().find(|x| x.model_version_id == m))
        else {
            ui.label(egui::RichText::new("No scores yet").weak())
                .on_hover_text(
                    "Score columns and filters appear once a model has scored the project (Models).",
                );
            return;
        };
        egui::ComboBox::from_id_salt("filter-model")
            .selected_text(format!("Scores: {}", model.label))
            .show_ui(ui, |ui| {
                for m in &facets.models {
                    ui.selectable_value(&mut self.filters.model, Some(m.model_version_id), &m.label);
                }
            });
        let strategies = model.strategies.clone();
        let current = self
            .filters
            .score_strategy
            .clone()
            .unwrap_or_else(|| "off".to_owned());
        egui::ComboBox::from_id_salt("filter-score")
            .selected_text(format!("Score filter: {current}"))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.filters.score_strategy, None, "off");
                for s in &strategies {
                    ui.selectable_value(&mut self.filters.score_strategy, Some(s.clone()), s);
                }
            });
        if self.filters.score_strategy.is_some() {
            ui.add(
                egui::DragValue::new(&mut self.filters.score_min)
                    .range(0.0..=1.0)
                    .speed(0.01)
                    .prefix("from "),
            );
            ui.add(
                egui::DragValue::new(&mut self.filters.score_max)
                    .range(0.0..=1.0)
                    .speed(0.01)
                    .prefix("to "),
            );
        }
    }

    /// "Predicted: …" when the chosen model version is a head with classes.
    fn prediction_controls(&mut self, ui: &mut egui::Ui, facets: &sift_api::browse::BrowseFacets) {
        let Some(classes) = self
            .filters
            .model
            .and_then(|m| facets.models.iter().find(|x| x.model_version_id == m))
            .map(|m| &m.classes)
            .filter(|c| !c.is_empty())
        else {
            return;
        };
        let name = |i: Option<u32>| {
            i.and_then(|i| classes.get(i as usize))
                .map_or("any", String::as_str)
                .to_owned()
        };
        let text = format!("Predicted: {}", name(self.filters.predicted));
        let response = egui::ComboBox::from_id_salt("filter-predicted")
            .selected_text(&text)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.filters.predicted, None, "any");
                for (i, c) in classes.iter().enumerate() {
                    ui.selectable_value(&mut self.filters.predicted, u32::try_from(i).ok(), c);
                }
            })
            .response;
        // A name for screen readers (and the tests); the box itself shows only its value.
        response.widget_info(|| {
            let mut info = egui::WidgetInfo::labeled(egui::WidgetType::ComboBox, true, "Predicted class");
            info.current_text_value = Some(text.clone());
            info
        });
    }

    fn sort_controls(&mut self, ui: &mut egui::Ui, facets: &sift_api::browse::BrowseFacets) {
        let label = |s: &SortChoice| match s {
            SortChoice::Import => "import order".to_owned(),
            SortChoice::State => "state".to_owned(),
            SortChoice::Updated => "last change".to_owned(),
            SortChoice::Score(strategy) => format!("{strategy} score"),
        };
        let strategies: Vec<String> = self
            .filters
            .model
            .and_then(|m| facets.models.iter().find(|x| x.model_version_id == m))
            .map(|m| m.strategies.clone())
            .unwrap_or_default();
        egui::ComboBox::from_id_salt("sort")
            .selected_text(format!("Sort: {}", label(&self.filters.sort)))
            .show_ui(ui, |ui| {
                let mut choices = vec![SortChoice::Import, SortChoice::State, SortChoice::Updated];
                choices.extend(strategies.into_iter().map(SortChoice::Score));
                for choice in choices {
                    let text = label(&choice);
                    ui.selectable_value(&mut self.filters.sort, choice, text);
                }
            });
        ui.checkbox(&mut self.filters.descending, "Descending");
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
