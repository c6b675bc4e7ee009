//! *Embed with …* in the Models view: every item's vector from a registered encoder (a model
//! whose config says `output.kind = "embedding"`), computed by `Project::embed` with the real
//! ONNX Runtime (`sift-onnx`, as `sift embed` does) on a job thread with progress and cancel.
//! Each batch is saved as it completes, so *Cancel* keeps what was embedded and the next run
//! resumes with the rest; the learning loop and the data map then read the stored vectors.

use std::sync::atomic::AtomicBool;

use eframe::egui::{self, RichText};
use sift_api::{ModelInfo, Project};

use crate::backend::jobs::{JobProgress, Stop};
use crate::backend::{Apply, message};
use crate::views::transfer::job_progress;
use crate::views::{Cx, Views, error_line};

/// The job kind of an embedding run (one at a time per project).
pub const JOB_KIND: &str = "embed";

/// *Embed with …*: the running job and what the last run did.
#[derive(Debug, Default)]
pub struct EmbedControls {
    /// The running embedding job.
    pub job: Option<u64>,
    /// What the last run did, or why it failed.
    pub last_run: Option<Result<String, String>>,
}

/// Whether `model` is an encoder (its stored config declares an embedding output). Without
/// ONNX Runtime support the config is not read and nothing is an encoder.
pub fn is_encoder(model: &ModelInfo) -> bool {
    #[cfg(feature = "onnx")]
    {
        sift_onnx::ModelConfig::parse(&model.row.config, &model.label()).is_ok_and(|c| c.is_encoder())
    }
    #[cfg(not(feature = "onnx"))]
    {
        let _ = model;
        false
    }
}

impl EmbedControls {
    /// The button, the last run's outcome and the running job's progress with *Cancel*.
    /// `vectors` is how many items already have a vector from `model`, of `items`.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        cx: &mut Cx<'_>,
        model: &ModelInfo,
        vectors: Option<(u64, u64)>,
    ) {
        let running = self
            .job
            .and_then(|id| cx.backend.jobs.running.iter().find(|j| j.id == id).cloned());
        ui.horizontal(|ui| {
            let enabled = running.is_none() && !cx.project.read_only && cfg!(feature = "onnx");
            let button = ui
                .add_enabled(
                    enabled,
                    egui::Button::new(format!("Embed with {}", model.label())),
                )
                .on_hover_text(
                    "Compute and store a vector for every item this encoder has none for \
                     (ONNX Runtime; CUDA when present). Cancel keeps what is done; run again to resume.",
                )
                .on_disabled_hover_text(
                    "Embedding needs a build with ONNX Runtime support and a writable project",
                );
            if button.clicked() {
                self.last_run = None;
                let model = model.clone();
                let title = format!("Embedding with {}", model.label());
                self.job = cx
                    .backend
                    .jobs
                    .start(JOB_KIND, title, Stop::Flag, move |p, progress, cancel| {
                        let result = embed(p, &model, progress, cancel);
                        Box::new(move |views: &mut Views| {
                            views.models.embedding.job = None;
                            views.models.embedding.last_run = Some(result);
                            views.changed_here();
                        }) as Apply
                    });
            }
            if let Some((with, items)) = vectors {
                ui.label(format!("{with} of {items} items have a vector"));
            }
        });
        match &self.last_run {
            Some(Ok(text)) => {
                ui.label(RichText::new(text).strong());
            }
            Some(Err(e)) => error_line(ui, e),
            None => {}
        }
        if let Some(job) = running {
            job_progress(ui, &job, cx);
        }
    }
}

/// The report of a run as one sentence.
#[cfg_attr(not(feature = "onnx"), allow(dead_code))]
fn describe(report: &sift_api::EmbedReport) -> String {
    format!(
        "{} {} items with {}@{} in {:.1} s on {} ({}); {} failed, {} already had a vector.",
        if report.cancelled {
            "Cancelled after embedding"
        } else {
            "Embedded"
        },
        report.items_embedded,
        report.model,
        report.version,
        report.seconds,
        report.device,
        report.runtime_version,
        report.items_failed,
        report.already_embedded
    )
}

/// Embeds the items `model` has no vector for, with the real ONNX Runtime. A cancel that
/// arrives while the encoder loads stops the run before its first batch.
#[cfg(feature = "onnx")]
fn embed(
    p: &mut Project,
    model: &ModelInfo,
    progress: &JobProgress,
    cancel: &AtomicBool,
) -> Result<String, String> {
    use sift_api::Progress;
    progress.start("loading the encoder", None);
    let options = sift_onnx::ScorerOptions::default();
    let mut encoder =
        sift_onnx::open_registered_encoder(&model.path, &model.row.config, &model.dir, &options)
            .map_err(|e| format!("cannot load {}: {e}", model.label()))?;
    for note in encoder.notes() {
        progress.note(note);
    }
    let configured = sift_onnx::ModelConfig::parse(&model.row.config, &model.label())
        .ok()
        .and_then(|c| c.batch_size);
    let batch_size = encoder.batch_size(configured.unwrap_or(32));
    let report = p
        .embed(
            model,
            &mut encoder,
            &sift_api::EmbedOptions {
                batch_size,
                limit: None,
            },
            progress as &dyn Progress,
            cancel,
        )
        .map_err(|e| message(&e))?;
    Ok(describe(&report))
}

#[cfg(not(feature = "onnx"))]
fn embed(
    _p: &mut Project,
    _model: &ModelInfo,
    _progress: &JobProgress,
    _cancel: &AtomicBool,
) -> Result<String, String> {
    Err("this build of the Lab has no ONNX Runtime support (feature `onnx`)".into())
}
