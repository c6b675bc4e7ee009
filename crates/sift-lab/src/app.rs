//! The Lab's window: the start screen (open a project, recent projects), the top bar, the
//! tabs, the status bar with running jobs, and keyboard shortcuts. Each frame first applies
//! what the background threads sent, then draws; nothing here touches the project file.

use std::path::PathBuf;
use std::time::Duration;

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText, ThemePreference};

use crate::backend::{self, Backend, Inbox, Opened};
use crate::dialogs::{self, Pick};
use crate::recent::{RecentProject, Settings};
use crate::theme;
use crate::views::map::MapActions;
use crate::views::{Cx, Tab, Views};

/// How the Lab starts.
#[derive(Clone)]
pub struct LabConfig {
    /// A project to open at once.
    pub project: Option<PathBuf>,
    /// Where recent projects and the theme are kept (`None`: not kept).
    pub settings_file: Option<PathBuf>,
    /// How often the project file is checked for changes made by other processes.
    pub poll: Duration,
    /// Who bulk actions and reviews are made as (the OS account by default).
    pub user: String,
    /// Build the search index in the background when a project opens.
    pub index_search: bool,
    /// Light, dark or the system's; `None`: as last chosen (the system's at first).
    pub theme: Option<ThemePreference>,
}

impl std::fmt::Debug for LabConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabConfig")
            .field("project", &self.project)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            project: None,
            settings_file: crate::recent::default_file(),
            poll: Duration::from_secs(1),
            user: local_user_name(),
            index_search: true,
            theme: None,
        }
    }
}

/// The local user's name: the OS account, reduced to what a person's name in Sift may hold.
pub fn local_user_name() -> String {
    let raw = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default();
    let name: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
        .take(64)
        .collect();
    if name.is_empty() { "lead".to_owned() } else { name }
}

/// The Lab.
#[derive(Debug)]
pub struct LabApp {
    /// The window's context, known from the first frame on.
    ctx: egui::Context,
    started: bool,
    config: LabConfig,
    settings: Settings,
    inbox: Inbox,
    backend: Option<Backend>,
    /// Every view's state (the tests read it to check what the window shows).
    pub views: Views,
    opening: Option<PathBuf>,
    open_text: String,
    index_tried: Option<u64>,
    /// Whether the data map is drawn beside the item table (the Data tab's check box).
    pub show_map_beside_table: bool,
}

impl LabApp {
    /// The Lab with `config`; the window's style is set and `config.project` opened on the
    /// first frame.
    pub fn new(config: LabConfig) -> LabApp {
        let settings = config
            .settings_file
            .as_deref()
            .map(Settings::load)
            .unwrap_or_default();
        LabApp {
            ctx: egui::Context::default(),
            started: false,
            settings,
            inbox: Inbox::default(),
            backend: None,
            views: Views::default(),
            opening: None,
            open_text: String::new(),
            index_tried: None,
            show_map_beside_table: false,
            config,
        }
    }

    /// First frame: the context is known; style the window and open the project given.
    fn start(&mut self, ctx: &egui::Context) {
        self.ctx = ctx.clone();
        self.started = true;
        let saved = match self.settings.theme.as_deref() {
            Some("light") => Some(ThemePreference::Light),
            Some("dark") => Some(ThemePreference::Dark),
            Some("system") => Some(ThemePreference::System),
            _ => None,
        };
        theme::install(ctx, self.config.theme.or(saved));
        if let Some(path) = self.config.project.clone() {
            self.open(path);
        }
    }

    /// Opens a project folder or file (in the background; from the first frame on).
    pub fn open(&mut self, path: PathBuf) {
        if !self.started {
            self.config.project = Some(path);
            return;
        }
        self.opening = Some(path.clone());
        backend::open_in_background(
            path.clone(),
            &self.inbox.sender,
            self.ctx.clone(),
            move |opened| {
                Box::new(move |views: &mut Views| match opened {
                    Ok(o) => {
                        *views = Views::default();
                        views.project = Some(o);
                    }
                    Err(e) => views.banner_error(format!("Cannot open {}: {e}", path.display())),
                })
            },
        );
    }

    /// The open project's connections.
    pub fn backend(&self) -> Option<&Backend> {
        self.backend.as_ref()
    }

    /// Whether a project is open and its overview has arrived.
    pub fn is_loaded(&self) -> bool {
        self.backend.is_some() && matches!(self.views.overview.data, Some(Ok(_)))
    }

    /// Applies everything the background threads sent.
    fn apply_inbox(&mut self) {
        while let Ok(apply) = self.inbox.receiver.try_recv() {
            apply(&mut self.views);
        }
        let wanted = self.views.project.as_ref().map(|p| p.file.clone());
        if wanted != self.backend.as_ref().map(|b| b.path.clone()) {
            self.backend = None;
            self.index_tried = None;
            if let Some(project) = self.views.project.clone() {
                self.opening = None;
                self.backend = Some(Backend::connect(
                    &project.file,
                    self.inbox.sender.clone(),
                    &self.ctx,
                    self.config.poll,
                ));
                self.remember(&project);
            }
        }
    }

    fn remember(&mut self, project: &Opened) {
        let folder = project
            .file
            .parent()
            .map_or_else(|| project.file.clone(), |p| p.to_owned());
        self.settings.remember(RecentProject {
            path: folder.canonicalize().unwrap_or(folder),
            name: project.info.name.clone(),
            kind: project.info.kind.clone(),
        });
        self.save_settings();
    }

    fn save_settings(&mut self) {
        if let Some(file) = &self.config.settings_file
            && let Err(e) = self.settings.save(file)
        {
            self.views.banner_error(format!(
                "cannot save the Lab's settings to {}: {e}",
                file.display()
            ));
        }
    }

    /// Starts indexing for search once per project revision while items are not indexed.
    fn index_in_background(&mut self) {
        let Some(backend) = &mut self.backend else {
            return;
        };
        let Some(Ok(overview)) = &self.views.overview.data else {
            return;
        };
        let pending = overview.search_index.pending > 0 && !overview.read_only;
        if !self.config.index_search || !pending || self.index_tried == Some(self.views.revision) {
            return;
        }
        self.index_tried = Some(self.views.revision);
        backend.jobs.start(
            "index",
            "Indexing for search",
            backend::jobs::Stop::Flag,
            |p, progress, cancel| {
                let done = p.index_for_search(progress, cancel);
                Box::new(move |views: &mut Views| match done {
                    Ok(n) if n > 0 => views.changed_here(),
                    Ok(_) => {}
                    Err(e) => views.banner_error(format!("search index: {}", backend::message(&e))),
                })
            },
        );
    }

    /// One frame of the whole window.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if !self.started {
            self.start(ui.ctx());
        }
        self.apply_inbox();
        self.index_in_background();
        self.shortcuts(ui);
        egui::Panel::top("top-bar").show_inside(ui, |ui| self.top_bar(ui));
        if self.backend.is_some() {
            egui::Panel::top("tabs").show_inside(ui, |ui| self.tab_bar(ui));
        }
        if let Some(banner) = self.views.banner.clone() {
            egui::Panel::top("banner").show_inside(ui, |ui| {
                ui.horizontal(|ui| {
                    let colour = if banner.error {
                        ui.visuals().error_fg_color
                    } else {
                        ui.visuals().strong_text_color()
                    };
                    ui.label(RichText::new(&banner.text).color(colour));
                    if ui.small_button("Dismiss").clicked() {
                        self.views.banner = None;
                    }
                });
            });
        }
        egui::Panel::bottom("status-bar").show_inside(ui, |ui| self.status_bar(ui));
        let Some(backend) = self.backend.as_mut() else {
            egui::CentralPanel::default().show_inside(ui, |ui| self.start_screen(ui));
            return;
        };
        let Some(project) = self.views.project.clone() else {
            return;
        };
        let mut cx = Cx {
            backend,
            project: &project,
            revision: self.views.revision,
            user: &self.config.user,
        };
        let views = &mut self.views;
        let mut go_to = None;
        let mut map_actions = MapActions::default();
        match views.tab {
            Tab::Overview => {
                egui::CentralPanel::default()
                    .show_inside(ui, |ui| views.overview.show(ui, &mut cx, &mut go_to));
            }
            Tab::Data => {
                if self.show_map_beside_table {
                    egui::Panel::left("map-beside")
                        .resizable(true)
                        .default_size(420.0)
                        .show_inside(ui, |ui| views.map.show(ui, &mut cx, &mut map_actions));
                }
                egui::CentralPanel::default().show_inside(ui, |ui| views.data.show(ui, &mut cx));
            }
            Tab::Models => {
                egui::CentralPanel::default().show_inside(ui, |ui| views.models.show(ui, &mut cx));
            }
            Tab::Learning => {
                egui::CentralPanel::default().show_inside(ui, |ui| views.learning.show(ui, &mut cx));
            }
            Tab::Map => {
                egui::CentralPanel::default()
                    .show_inside(ui, |ui| views.map.show(ui, &mut cx, &mut map_actions));
            }
            Tab::Reviews => {
                egui::CentralPanel::default().show_inside(ui, |ui| views.reviews.show(ui, &mut cx));
            }
            Tab::Sync => {
                egui::CentralPanel::default().show_inside(ui, |ui| views.sync.show(ui, &mut cx));
            }
            Tab::Simulation => {
                egui::CentralPanel::default().show_inside(ui, |ui| views.simulation.show(ui, &mut cx));
            }
            Tab::Quality => {
                egui::CentralPanel::default().show_inside(ui, |ui| views.quality.show(ui, &mut cx));
            }
        }
        views.transfer.show(ui.ctx(), &mut cx);
        // The overview refreshes in the background so the search index and the status bar
        // stay true whatever tab is shown.
        if views.tab != Tab::Overview {
            views.overview.refresh(&mut cx);
        }
        map_actions.apply(views);
        if let Some(tab) = go_to {
            views.tab = tab;
        }
    }

    fn shortcuts(&mut self, ui: &mut egui::Ui) {
        let press = |ui: &mut egui::Ui, m: Modifiers, k: Key| {
            ui.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(m, k)))
        };
        if press(ui, Modifiers::COMMAND, Key::O) {
            self.pick_project();
        }
        if press(ui, Modifiers::COMMAND, Key::Q) {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.backend.is_none() {
            return;
        }
        if press(ui, Modifiers::COMMAND, Key::I) {
            self.views.transfer.open_import();
        }
        if press(ui, Modifiers::COMMAND, Key::E) {
            self.views.transfer.open_export();
        }
        if press(ui, Modifiers::NONE, Key::F5) {
            self.views.changed_here();
        }
        if press(ui, Modifiers::COMMAND, Key::F) {
            self.views.tab = Tab::Data;
            ui.memory_mut(|m| m.request_focus(crate::views::data::search_id()));
        }
        let keys = [
            Key::Num1,
            Key::Num2,
            Key::Num3,
            Key::Num4,
            Key::Num5,
            Key::Num6,
            Key::Num7,
            Key::Num8,
            Key::Num9,
        ];
        for (tab, key) in Tab::ALL.into_iter().zip(keys) {
            if press(ui, Modifiers::COMMAND, key) {
                self.views.tab = tab;
            }
        }
    }

    fn pick_project(&mut self) {
        let start = self
            .settings
            .recent
            .first()
            .and_then(|r| r.path.parent().map(|p| p.to_owned()));
        dialogs::open(
            Pick::Folder,
            start,
            self.inbox.sender.clone(),
            self.ctx.clone(),
            |path| Box::new(move |views: &mut Views| views.open_request = Some(path)),
        );
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        if let Some(path) = self.views.open_request.take() {
            self.open(path);
        }
        ui.horizontal(|ui| {
            ui.label(RichText::new("Sift Lab").heading().strong());
            if let Some(p) = &self.views.project {
                ui.label(RichText::new(format!("{} — {}", p.info.name, p.file.display())).weak());
            }
            ui.separator();
            if ui
                .button("Open…")
                .on_hover_text("Open a project folder (Ctrl+O)")
                .clicked()
            {
                self.pick_project();
            }
            let recent = self.settings.recent.clone();
            ui.menu_button("Recent", |ui| {
                if recent.is_empty() {
                    ui.label("No recent projects");
                }
                for r in recent {
                    if ui
                        .button(format!("{} ({}) — {}", r.name, r.kind, r.path.display()))
                        .clicked()
                    {
                        self.open(r.path.clone());
                        ui.close();
                    }
                }
            });
            if self.backend.is_some() {
                if ui
                    .button("Import…")
                    .on_hover_text("Import a manifest (Ctrl+I)")
                    .clicked()
                {
                    self.views.transfer.open_import();
                }
                if ui
                    .button("Export…")
                    .on_hover_text("Export labels (Ctrl+E)")
                    .clicked()
                {
                    self.views.transfer.open_export();
                }
                if ui
                    .button("Refresh")
                    .on_hover_text("Reload what is shown (F5)")
                    .clicked()
                {
                    self.views.changed_here();
                }
            }
            ui.separator();
            let mut preference = ui.ctx().options(|o| o.theme_preference);
            let before = preference;
            egui::ComboBox::from_id_salt("theme")
                .selected_text(match preference {
                    ThemePreference::System => "Theme: system",
                    ThemePreference::Light => "Theme: light",
                    ThemePreference::Dark => "Theme: dark",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut preference, ThemePreference::System, "Follow the system");
                    ui.selectable_value(&mut preference, ThemePreference::Light, "Light");
                    ui.selectable_value(&mut preference, ThemePreference::Dark, "Dark");
                });
            if preference != before {
                ui.ctx().options_mut(|o| o.theme_preference = preference);
                self.settings.theme = Some(
                    match preference {
                        ThemePreference::System => "system",
                        ThemePreference::Light => "light",
                        ThemePreference::Dark => "dark",
                    }
                    .to_owned(),
                );
                self.save_settings();
            }
        });
    }

    fn tab_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            for (n, tab) in Tab::ALL.into_iter().enumerate() {
                let badge = match tab {
                    Tab::Reviews => match &self.views.overview.data {
                        Some(Ok(o)) if o.reviews_waiting > 0 => format!(" ({})", o.reviews_waiting),
                        _ => String::new(),
                    },
                    _ => String::new(),
                };
                ui.selectable_value(&mut self.views.tab, tab, format!("{}{badge}", tab.title()))
                    .on_hover_text(format!("Ctrl+{}", n + 1));
            }
            if self.views.tab == Tab::Data {
                ui.separator();
                ui.checkbox(&mut self.show_map_beside_table, "Map beside the table");
            }
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(path) = &self.opening {
                ui.spinner();
                ui.label(format!("Opening {}…", path.display()));
            }
            if let Some(p) = &self.views.project {
                if p.read_only {
                    ui.label(RichText::new("read-only").strong());
                }
                ui.label(RichText::new(format!("as {}", self.config.user)).weak());
            }
            if let Some(at) = self.views.changed_at {
                let secs = at.elapsed().as_secs();
                ui.label(RichText::new(format!("project changed {secs} s ago")).weak());
                if secs < 60 {
                    ui.ctx().request_repaint_after(Duration::from_secs(1));
                }
            }
            let Some(backend) = &mut self.backend else {
                return;
            };
            backend.jobs.prune();
            let jobs = backend.jobs.running.clone();
            for job in jobs {
                ui.separator();
                ui.label(&job.title);
                let bar = match job.progress.fraction() {
                    Some(f) => egui::ProgressBar::new(f).show_percentage(),
                    None => egui::ProgressBar::new(0.0).animate(true),
                };
                ui.add(bar.desired_width(140.0));
                if job.stop != backend::jobs::Stop::Never
                    && !job.cancel_requested()
                    && ui.small_button("Cancel").clicked()
                {
                    backend.jobs.cancel(job.id);
                }
                ui.ctx().request_repaint_after(Duration::from_millis(100));
            }
        });
    }

    fn start_screen(&mut self, ui: &mut egui::Ui) {
        ui.add_space(24.0);
        ui.heading("Open a project");
        ui.label("A Sift project is a folder holding project.sift (made by `sift init`).");
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Open a project folder…").clicked() {
                self.pick_project();
            }
            let label = ui.label("or type its path");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.open_text)
                        .hint_text("/path/to/project")
                        .desired_width(360.0),
                )
                .labelled_by(label.id);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            if (ui.button("Open").clicked() || enter) && !self.open_text.trim().is_empty() {
                self.open(PathBuf::from(self.open_text.trim()));
            }
        });
        ui.add_space(16.0);
        ui.heading("Recent projects");
        if self.settings.recent.is_empty() {
            crate::views::empty_state(ui, "None yet: projects you open appear here.");
        }
        for r in self.settings.recent.clone() {
            let exists = r.path.join(sift_api::PROJECT_FILE).is_file();
            let text = format!("{} ({}) — {}", r.name, r.kind, r.path.display());
            if ui
                .add_enabled(exists, egui::Button::new(text))
                .on_disabled_hover_text("The folder is not there (an unplugged drive?)")
                .clicked()
            {
                self.open(r.path.clone());
            }
        }
    }
}
