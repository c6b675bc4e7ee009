//! `sift-lab [PROJECT]`: the Lab's window. Opens PROJECT (a project folder or its
//! `project.sift`) at once when given; otherwise shows the start screen with recent projects.
//!
//! Environment variables for the tests and benchmarks that run the real window:
//! `SIFT_LAB_FIRST_FRAME_FILE` names a file that gets the wall-clock time (nanoseconds since
//! the Unix epoch) at which the first frame was drawn; `SIFT_LAB_VIEW=data-map` starts on the
//! data manager with the map beside the table; `SIFT_LAB_EXIT_WHEN_LOADED=1` closes the
//! window cleanly once what the view shows has arrived (the overview; the table's first rows
//! and the map), printing what opened and the memory in use — or that many milliseconds
//! later when it is a number above 1.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a program: it talks on its standard streams

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use eframe::egui;
use sift_lab::{LabApp, LabConfig};

const USAGE: &str = "Usage: sift-lab [PROJECT]

The Lab: Sift's console for leads. PROJECT is a project folder (holding project.sift)
or the project file; without it, choose one on the start screen (Ctrl+O).

Keys: Ctrl+O open, Ctrl+I import, Ctrl+E export, Ctrl+F search, Ctrl+1..8 views,
F5 refresh, Ctrl+Q quit. In the item table: arrows move, Space selects, Enter opens
the detail pane, Ctrl+A selects all, Ctrl+B makes a batch of the selection.";

/// The window: the Lab plus the hooks above.
struct Window {
    app: LabApp,
    first_frame_file: Option<PathBuf>,
    /// Close this long after loading (`None`: stay open).
    exit_when_loaded: Option<Duration>,
    data_map: bool,
    /// Whether the data manager with the map has been shown (`SIFT_LAB_VIEW=data-map`).
    switched: bool,
    frames: u64,
    loaded_at: Option<Instant>,
    started: Instant,
}

impl Window {
    /// Whether what the starting view shows has arrived.
    fn loaded(&self) -> bool {
        let views = &self.app.views;
        let overview = self.app.is_loaded();
        if !self.data_map {
            return overview;
        }
        overview && views.data.row(0).is_some() && views.map.points.is_some() && views.map.job.is_none()
    }
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.ui(ui);
        self.frames += 1;
        if self.frames == 1
            && let Some(file) = self.first_frame_file.take()
        {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            if let Err(e) = std::fs::write(&file, now.to_string()) {
                eprintln!("sift-lab: cannot write {}: {e}", file.display());
            }
        }
        // Once the project is open (opening it starts on the overview), as the headless
        // benchmark driver does; switching on the first frame was undone by the opening.
        if self.data_map && !self.switched && self.app.backend().is_some() {
            self.app.views.tab = sift_lab::views::Tab::Data;
            self.app.show_map_beside_table = true;
            self.switched = true;
        }
        let Some(linger) = self.exit_when_loaded else {
            return;
        };
        match self.loaded_at {
            None if self.loaded() => {
                self.loaded_at = Some(Instant::now());
                if let (Some(p), Some(Ok(o))) = (&self.app.views.project, &self.app.views.overview.data) {
                    println!(
                        "sift-lab: opened {} ({} items) after {} frames, {} ms",
                        p.info.name,
                        o.items.total,
                        self.frames,
                        self.started.elapsed().as_millis()
                    );
                }
            }
            Some(at) if at.elapsed() >= linger => {
                let (rss, hwm) = memory_kib();
                println!("sift-lab: rss_kib={rss} hwm_kib={hwm}");
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
            _ => {}
        }
        ui.ctx().request_repaint_after(Duration::from_millis(50));
    }
}

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut project = None;
    for arg in std::env::args_os().skip(1) {
        match arg.to_str() {
            Some("-h" | "--help") => {
                println!("{USAGE}");
                return Ok(());
            }
            Some("-V" | "--version") => {
                println!("sift-lab {}", env!("CARGO_PKG_VERSION"));
                return Ok(());
            }
            Some(s) if s.starts_with('-') => anyhow::bail!("unknown option {s}\n\n{USAGE}"),
            _ if project.is_some() => anyhow::bail!("one project at a time\n\n{USAGE}"),
            _ => project = Some(PathBuf::from(arg)),
        }
    }
    let first_frame_file = std::env::var_os("SIFT_LAB_FIRST_FRAME_FILE").map(PathBuf::from);
    let exit_when_loaded = std::env::var("SIFT_LAB_EXIT_WHEN_LOADED")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|ms| Duration::from_millis(if ms <= 1 { 0 } else { ms }));
    let data_map = std::env::var("SIFT_LAB_VIEW").is_ok_and(|v| v == "data-map");
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Sift Lab")
            .with_app_id("sift-lab")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0]),
        renderer: eframe::Renderer::Wgpu,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "Sift Lab",
        options,
        Box::new(move |_cc| {
            let config = LabConfig {
                project,
                ..LabConfig::default()
            };
            Ok(Box::new(Window {
                app: LabApp::new(config),
                first_frame_file,
                exit_when_loaded,
                data_map,
                switched: false,
                frames: 0,
                loaded_at: None,
                started,
            }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("the Lab's window could not run (a display and Vulkan, e.g. Mesa's lavapipe, are needed)")
}
