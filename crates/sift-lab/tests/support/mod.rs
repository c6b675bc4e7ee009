//! Shared set-up of the Lab's UI tests: real project files made through `sift-api`, the Lab
//! in an `egui_kittest` harness rendered by wgpu (lavapipe on machines without a GPU), a wait
//! that steps frames until the background threads have answered, and PNG snapshots written to
//! `artifacts/lab/` for people to look at.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sift_lab::{LabApp, LabConfig};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where snapshots go.
pub fn artifacts() -> PathBuf {
    let dir = repo().join("artifacts/lab");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The local user the tests run the Lab as (a lead in the demo projects).
pub const LEAD: &str = "lead";

/// The bundled Q&A demo with work in every state, in `dir`.
pub fn qa_demo(dir: &Path) -> PathBuf {
    sift_lab::demo::qa_demo(&dir.join("qa"), &repo(), LEAD).unwrap()
}

/// The Lab on `project` in a 1280x800 window, light or dark.
pub fn lab(project: &Path, theme: egui::Theme, settings: &Path) -> Harness<'static, LabApp> {
    let config = LabConfig {
        project: Some(project.to_owned()),
        settings_file: Some(settings.join("lab.json")),
        poll: Duration::from_millis(200),
        user: LEAD.into(),
        index_search: true,
        theme: None,
    };
    Harness::builder()
        .wgpu()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_theme(theme)
        .with_max_steps(1000)
        .build_ui_state(|ui, app: &mut LabApp| app.ui(ui), LabApp::new(config))
}

/// Steps frames until `done` holds (the background threads answer in their own time), or
/// fails after 60 s naming `what`.
pub fn wait_for(h: &mut Harness<'_, LabApp>, what: &str, done: impl Fn(&Harness<'_, LabApp>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        h.step();
        if done(h) {
            // A few more frames: what arrived is laid out and drawn.
            for _ in 0..3 {
                h.step();
            }
            return;
        }
        if Instant::now() >= deadline {
            // What the window showed, for the person reading the failure.
            if let Ok(image) = h.render() {
                let path = artifacts().join("timed-out.png");
                let _saved = image.save(&path);
                println!("the window at the time-out: {}", path.display());
            }
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for a widget with exactly this AccessKit label.
pub fn wait_label(h: &mut Harness<'_, LabApp>, label: &str) {
    let label_owned = label.to_owned();
    wait_for(h, &format!("a widget labelled {label:?}"), move |h| {
        h.query_all_by_label(&label_owned).next().is_some()
    });
}

/// Waits for a widget whose AccessKit label contains `part`.
pub fn wait_label_contains(h: &mut Harness<'_, LabApp>, part: &str) {
    let part_owned = part.to_owned();
    wait_for(h, &format!("a widget labelled with {part:?}"), move |h| {
        h.query_all_by_label_contains(&part_owned).next().is_some()
    });
}

/// Waits until no job is running and the current view has what it asked for.
pub fn wait_idle(h: &mut Harness<'_, LabApp>) {
    wait_for(h, "the background jobs to finish", |h| {
        h.state()
            .backend()
            .is_some_and(|b| b.jobs.running.iter().all(|j| j.is_finished()))
    });
}

/// Renders the window and writes `artifacts/lab/<name>.png`; returns the picture.
pub fn snapshot(h: &mut Harness<'_, LabApp>, name: &str) -> image::RgbaImage {
    for _ in 0..3 {
        h.step();
    }
    let image = h
        .render()
        .expect("rendering with wgpu (install mesa-vulkan-drivers for lavapipe)");
    let path = artifacts().join(format!("{name}.png"));
    image.save(&path).unwrap();
    println!("snapshot: {}", path.display());
    image
}

/// Mean luminance (0 to 255) of a picture: dark snapshots must be dark, light ones light.
pub fn luminance(image: &image::RgbaImage) -> f64 {
    let sum: f64 = image
        .pixels()
        .map(|p| 0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2]))
        .sum();
    sum / f64::from(image.width() * image.height())
}

/// The folder of the all-MiniLM-L6-v2 encoder that `make setup-python` builds
/// (`$SIFT_ENCODER_DIR`, else `~/.cache/sift/models/all-minilm-l6-v2`), as the CLI's learning
/// tests find it. Without it the test fails with the command that makes it; never skipped.
pub fn encoder_dir() -> PathBuf {
    let dir = std::env::var_os("SIFT_ENCODER_DIR").map_or_else(
        || {
            std::env::var_os("XDG_CACHE_HOME")
                .map_or_else(
                    || PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache"),
                    PathBuf::from,
                )
                .join("sift/models/all-minilm-l6-v2")
        },
        PathBuf::from,
    );
    for file in ["model.onnx", "tokenizer.json", "model.toml"] {
        assert!(
            dir.join(file).is_file(),
            "{} is missing: build the encoder with `make setup-python`, or set SIFT_ENCODER_DIR",
            dir.join(file).display()
        );
    }
    dir
}
