//! The Lab's views. Each keeps its own state, asks the backend for what it shows when it is
//! on screen and what it has is older than the project ([`Views::revision`]), and draws
//! whatever has arrived: loading and empty states are drawn, never waited for.

pub mod data;
pub mod embedding;
pub mod learning;
pub mod map;
pub mod models;
pub mod overview;
pub mod quality;
pub mod reviews;
pub mod simulation;
pub mod sync;
pub mod transfer;

use std::time::Instant;

use eframe::egui;

use crate::backend::{Backend, Opened};

/// The views, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    /// Items by state, people, batches, reviews, the model (`Ctrl+1`).
    Overview,
    /// The item table, filters, bulk actions and detail pane (`Ctrl+2`).
    Data,
    /// Registered models, scoring and histograms (`Ctrl+3`).
    Models,
    /// Learning curves, *Run learning* and the queue builder (`Ctrl+4`).
    Learning,
    /// The 2-D projection of the stored vectors (`Ctrl+5`).
    Map,
    /// Submitted work waiting for review (`Ctrl+6`).
    Reviews,
    /// S3 settings, status and *Sync now* (`Ctrl+7`).
    Sync,
    /// `sift simulate`: learning curves and the labeling cost against random order (`Ctrl+8`).
    Simulation,
    /// Dataset targets, agreement, annotators and gold (`Ctrl+9`; `sift report`'s figures).
    Quality,
}

impl Tab {
    /// Every view, in tab order (`Ctrl+1` is the first).
    pub const ALL: [Tab; 9] = [
        Tab::Overview,
        Tab::Data,
        Tab::Models,
        Tab::Learning,
        Tab::Map,
        Tab::Reviews,
        Tab::Sync,
        Tab::Simulation,
        Tab::Quality,
    ];

    /// The tab's name, as its button shows it.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Data => "Data",
            Tab::Models => "Models",
            Tab::Learning => "Learning",
            Tab::Map => "Data map",
            Tab::Reviews => "Reviews",
            Tab::Sync => "Sync",
            Tab::Simulation => "Simulation",
            Tab::Quality => "Quality",
        }
    }
}

/// A message across the top of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// What it says.
    pub text: String,
    /// Shown as an error rather than as information.
    pub error: bool,
}

/// Everything the views know.
#[derive(Debug)]
pub struct Views {
    /// The tab shown.
    pub tab: Tab,
    /// The open project (`None`: the start screen).
    pub project: Option<Opened>,
    /// The message across the top, until dismissed.
    pub banner: Option<Banner>,
    /// Bumped whenever the project changes (here or in another process): views whose data is
    /// older reload it when shown.
    pub revision: u64,
    /// When another connection last changed the project.
    pub changed_at: Option<Instant>,
    /// The overview's state.
    pub overview: overview::OverviewView,
    /// The data manager's state.
    pub data: data::DataView,
    /// The models view's state.
    pub models: models::ModelsView,
    /// The learning view's state.
    pub learning: learning::LearningView,
    /// The data map's state.
    pub map: map::MapView,
    /// The reviews view's state.
    pub reviews: reviews::ReviewsView,
    /// The sync view's state.
    pub sync: sync::SyncView,
    /// The simulation view's state.
    pub simulation: simulation::SimulationView,
    /// The quality view's state.
    pub quality: quality::QualityView,
    /// The import and export dialogs' state.
    pub transfer: transfer::TransferView,
    /// A project chosen in a file dialog, to open.
    pub open_request: Option<std::path::PathBuf>,
}

impl Default for Views {
    fn default() -> Self {
        Views {
            tab: Tab::Overview,
            project: None,
            banner: None,
            revision: 1,
            changed_at: None,
            overview: Default::default(),
            data: Default::default(),
            models: Default::default(),
            learning: Default::default(),
            map: Default::default(),
            reviews: Default::default(),
            sync: Default::default(),
            simulation: Default::default(),
            quality: Default::default(),
            transfer: Default::default(),
            open_request: None,
        }
    }
}

impl Views {
    /// Shows an error across the top until dismissed.
    pub fn banner_error(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: true,
        });
    }

    /// Shows a message across the top until dismissed.
    pub fn banner_info(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: false,
        });
    }

    /// The project changed on disk: everything shown is reloaded when next drawn.
    pub fn project_changed(&mut self) {
        self.revision += 1;
        self.changed_at = Some(Instant::now());
    }

    /// The Lab itself changed the project (a bulk action, a review): reload now.
    pub fn changed_here(&mut self) {
        self.revision += 1;
    }
}

/// What a view needs besides its own state while it draws.
pub struct Cx<'a> {
    /// The open project's threads and jobs.
    pub backend: &'a mut Backend,
    /// The open project.
    pub project: &'a Opened,
    /// [`Views::revision`] as this frame began.
    pub revision: u64,
    /// The local user's name (the OS account), who bulk actions and reviews are made as.
    pub user: &'a str,
}

impl std::fmt::Debug for Cx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cx")
            .field("project", &self.project.file)
            .field("revision", &self.revision)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Whether data loaded at `loaded` (a revision) needs reloading for `revision`.
pub fn stale(loaded: Option<u64>, revision: u64) -> bool {
    loaded != Some(revision)
}

/// A loading line with a spinner.
pub fn loading(ui: &mut egui::Ui, what: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(format!("Loading {what}…"));
    });
}

/// An empty state: what is missing and how to get it.
pub fn empty_state(ui: &mut egui::Ui, text: &str) {
    ui.add_space(12.0);
    ui.label(egui::RichText::new(text).italics().weak());
    ui.add_space(12.0);
}

/// An error line.
pub fn error_line(ui: &mut egui::Ui, text: &str) {
    ui.colored_label(ui.visuals().error_fg_color, text);
}
