//! Sync: the project's S3 settings (bucket, prefix, endpoint, region, profile, role, media),
//! what is waiting in each direction, and "Sync now", over sift-api's sync use cases with
//! `sift-s3` moving the bytes, as the annotator app's sync panel does. Credentials are never
//! asked for or stored: the AWS chain supplies them.

use eframe::egui::{self, RichText};
use sift_api::{Progress, Project, SyncConfig, SyncOptions, SyncReport, SyncRole, SyncStatus};

use crate::backend::jobs::{JobProgress, Stop};
use crate::backend::{Apply, message};
use crate::views::transfer::job_progress;
use crate::views::{Cx, Views, error_line, loading, stale};

/// The settings form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// The bucket.
    pub bucket: String,
    /// Key prefix inside the bucket (may be empty).
    pub prefix: String,
    /// Endpoint URL of an S3-compatible store (empty for AWS).
    pub endpoint: String,
    /// The region (may be empty).
    pub region: String,
    /// AWS profile from the shared config files (may be empty).
    pub profile: String,
    /// Path-style addressing (`endpoint/bucket/key`), for most self-hosted stores.
    pub path_style: bool,
    /// This project syncs as the lead (else as the annotator below).
    pub lead: bool,
    /// The annotator this project labels as, when not the lead.
    pub annotator: String,
    /// Transfer media with batches (lead: upload; annotator: download).
    pub media: bool,
}

impl Form {
    fn from_config(c: &SyncConfig) -> Form {
        Form {
            bucket: c.bucket.clone(),
            prefix: c.prefix.clone(),
            endpoint: c.endpoint.clone().unwrap_or_default(),
            region: c.region.clone().unwrap_or_default(),
            profile: c.profile.clone().unwrap_or_default(),
            path_style: c.path_style,
            lead: c.role == SyncRole::Lead,
            annotator: c.annotator.clone().unwrap_or_default(),
            media: c.media,
        }
    }

    fn to_config(&self) -> SyncConfig {
        let mut c = SyncConfig::new(
            &self.bucket,
            if self.lead {
                SyncRole::Lead
            } else {
                SyncRole::Annotator
            },
        );
        c.prefix = self.prefix.clone();
        c.endpoint = Some(self.endpoint.clone());
        c.region = Some(self.region.clone());
        c.profile = Some(self.profile.clone());
        c.path_style = self.path_style;
        c.annotator = (!self.lead).then(|| self.annotator.trim().to_owned());
        c.media = self.media;
        c.normalized()
    }
}

/// The sync view's state.
#[derive(Debug, Default)]
pub struct SyncView {
    /// The stored settings (`Ok(None)`: none yet; `None`: loading).
    pub config: Option<Result<Option<SyncConfig>, String>>,
    loaded: Option<u64>,
    /// The form as typed.
    pub form: Form,
    /// What saving the settings did, or why it failed.
    pub saved: Option<Result<String, String>>,
    /// What is waiting in each direction.
    pub status: Option<Result<SyncStatus, String>>,
    /// What the last *Sync now* did, step by step, or why it failed.
    pub reports: Option<Result<Vec<SyncReport>, String>>,
    /// The running sync job.
    pub job: Option<u64>,
}

impl SyncView {
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if !stale(self.loaded, cx.revision) {
            return;
        }
        self.loaded = Some(cx.revision);
        cx.backend.stats.run(|p| {
            let config = p.sync_config().map_err(|e| message(&e));
            Box::new(move |views: &mut Views| {
                let view = &mut views.sync;
                let first = view.config.is_none();
                if let (true, Ok(Some(c))) = (first, &config) {
                    view.form = Form::from_config(c);
                } else if first {
                    view.form.lead = true;
                }
                view.config = Some(config);
            }) as Apply
        });
    }

    /// Draws the settings form, the status and *Sync now*.
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.refresh(cx);
        let saved_config = match &self.config {
            None => return loading(ui, "the sync settings"),
            Some(Err(e)) => return error_line(ui, e),
            Some(Ok(c)) => c.clone(),
        };
        ui.heading("Sync with S3");
        ui.label(
            RichText::new(
                "Credentials come from the AWS chain (environment, ~/.aws files, the profile, SSO); they are never stored in the project.",
            )
            .weak(),
        );
        egui::Grid::new("sync-form")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                let field = |ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str| {
                    let l = ui.label(label);
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .hint_text(hint)
                            .desired_width(320.0),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                };
                field(ui, "Bucket", &mut self.form.bucket, "my-labeling-bucket");
                field(ui, "Prefix", &mut self.form.prefix, "projects/qa (optional)");
                field(
                    ui,
                    "Endpoint",
                    &mut self.form.endpoint,
                    "http://127.0.0.1:3900 (empty for AWS)",
                );
                field(ui, "Region", &mut self.form.region, "eu-west-1 (optional)");
                field(ui, "Profile", &mut self.form.profile, "AWS profile (optional)");
                ui.label("Role");
                ui.horizontal(|ui| {
                    ui.radio_value(
                        &mut self.form.lead,
                        true,
                        "Lead (hands out batches, collects results)",
                    );
                    ui.radio_value(&mut self.form.lead, false, "Annotator");
                });
                ui.end_row();
                if !self.form.lead {
                    field(
                        ui,
                        "Annotator",
                        &mut self.form.annotator,
                        "who this project labels as",
                    );
                }
                ui.label("");
                ui.vertical(|ui| {
                    ui.checkbox(
                        &mut self.form.path_style,
                        "Path-style addressing (most self-hosted stores)",
                    );
                    ui.checkbox(&mut self.form.media, "Transfer media with batches");
                });
                ui.end_row();
            });
        ui.horizontal(|ui| {
            let changed = saved_config
                .as_ref()
                .is_none_or(|c| Form::from_config(c) != self.form);
            if ui
                .add_enabled(
                    changed && !cx.project.read_only,
                    egui::Button::new("Save settings"),
                )
                .clicked()
            {
                let config = self.form.to_config();
                cx.backend.writes.run(move |p| {
                    let saved = config
                        .validate()
                        .and_then(|()| p.set_sync_config(&config))
                        .map(|()| format!("Saved: {}", config.location()))
                        .map_err(|e| message(&e));
                    Box::new(move |views: &mut Views| {
                        views.sync.saved = Some(saved);
                        views.sync.config = None;
                        views.changed_here();
                    }) as Apply
                });
            }
            match &self.saved {
                Some(Ok(t)) => {
                    ui.label(t);
                }
                Some(Err(e)) => error_line(ui, e),
                None => {}
            }
        });
        ui.separator();
        let Some(config) = saved_config else {
            ui.label(
                RichText::new("Sync is not set up for this project: fill in the settings and save them.")
                    .italics(),
            );
            return;
        };
        let running = self
            .job
            .and_then(|id| cx.backend.jobs.running.iter().find(|j| j.id == id).cloned());
        ui.horizontal(|ui| {
            ui.label(RichText::new(config.location()).strong());
            ui.add_enabled_ui(running.is_none() && cfg!(feature = "s3"), |ui| {
                if ui
                    .button("Check status")
                    .on_hover_text("List what is waiting in each direction (transfers nothing)")
                    .clicked()
                {
                    self.status = None;
                    self.job = cx.backend.jobs.start(
                        "sync",
                        "Checking sync status",
                        Stop::Never,
                        |p, _progress, _cancel| {
                            let status = status(p);
                            Box::new(move |views: &mut Views| {
                                views.sync.job = None;
                                views.sync.status = Some(status);
                            }) as Apply
                        },
                    );
                }
                if ui
                    .add_enabled(!cx.project.read_only, egui::Button::new("Sync now"))
                    .clicked()
                {
                    self.reports = None;
                    self.job =
                        cx.backend
                            .jobs
                            .start("sync", "Syncing", Stop::Never, |p, progress, _cancel| {
                                let reports = sync_now(p, progress);
                                Box::new(move |views: &mut Views| {
                                    views.sync.job = None;
                                    views.sync.reports = Some(reports);
                                    views.sync.status = None;
                                    views.changed_here();
                                }) as Apply
                            });
                }
            });
        });
        if let Some(job) = running {
            job_progress(ui, &job, cx);
        }
        match &self.status {
            Some(Ok(s)) => status_lines(ui, s),
            Some(Err(e)) => error_line(ui, e),
            None => {}
        }
        match &self.reports {
            Some(Ok(reports)) => {
                for r in reports {
                    report_lines(ui, r);
                }
            }
            Some(Err(e)) => error_line(ui, e),
            None => {}
        }
    }
}

fn status_lines(ui: &mut egui::Ui, s: &SyncStatus) {
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    ui.label(format!("Batches to push: {}", list(&s.batches_to_push)));
    ui.label(format!("Result segments to pull: {}", list(&s.segments_to_pull)));
    ui.label(format!("Versions to push: {}", s.versions_to_push));
    ui.label(format!("Batches to pull: {}", list(&s.batches_to_pull)));
    ui.label(format!("Media files to pull: {}", s.media_to_pull));
}

fn report_lines(ui: &mut egui::Ui, r: &SyncReport) {
    ui.label(
        RichText::new(format!(
            "{}: {} batches, {} segments, {} versions, {} reviews, {} media files ({} bytes) in {:.1} s",
            r.direction,
            r.batches.len(),
            r.segments.len(),
            r.versions,
            r.reviews,
            r.media_files,
            r.media_bytes,
            r.seconds
        ))
        .strong(),
    );
    for problem in &r.problems {
        error_line(ui, problem);
    }
}

#[cfg(feature = "s3")]
fn connect(p: &Project) -> Result<(SyncConfig, sift_s3::S3Store), String> {
    let config = p.require_sync_config().map_err(|e| message(&e))?;
    let store = sift_s3::S3Store::connect(&config, sift_s3::Tuning::from_env())
        .map_err(|e| message(&sift_api::Error::from(e)))?;
    Ok((config, store))
}

#[cfg(feature = "s3")]
fn status(p: &mut Project) -> Result<SyncStatus, String> {
    let (_, store) = connect(p)?;
    p.sync_status(&store).map_err(|e| message(&e))
}

/// Pushes and pulls in the order the role needs: annotators hand in work before fetching new
/// batches; leads merge results before publishing batches.
#[cfg(feature = "s3")]
fn sync_now(p: &mut Project, progress: &JobProgress) -> Result<Vec<SyncReport>, String> {
    let (config, store) = connect(p)?;
    let options = SyncOptions::default();
    let mut reports = Vec::with_capacity(2);
    let push_first = config.role == SyncRole::Annotator;
    for push in [push_first, !push_first] {
        let report = if push {
            p.sync_push(&store, &options, progress as &dyn Progress)
        } else {
            p.sync_pull(&store, &options, progress as &dyn Progress)
        };
        reports.push(report.map_err(|e| message(&e))?);
    }
    Ok(reports)
}

#[cfg(not(feature = "s3"))]
fn status(_p: &mut Project) -> Result<SyncStatus, String> {
    Err("this build of the Lab has no S3 support (feature `s3`)".into())
}

#[cfg(not(feature = "s3"))]
fn sync_now(_p: &mut Project, _progress: &JobProgress) -> Result<Vec<SyncReport>, String> {
    Err("this build of the Lab has no S3 support (feature `s3`)".into())
}
