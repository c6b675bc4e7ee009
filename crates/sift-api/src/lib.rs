//! Sift's use cases: the one API the `sift` CLI, the `sift serve` HTTP server and the
//! desktop app adapt.
//!
//! A [`Project`] is an open project file plus its template. Every operation a person can
//! perform is a method here — create a project ([`init_project`]), import and export
//! manifests, add annotators, save and submit work, review — and every adapter is a thin
//! translation of its inputs and of [`Error`] into the boundary [`sift_error::ApiError`].
//!
//! Long operations report through [`Progress`] so each adapter can draw its own progress.

#![warn(missing_docs)]

mod access;
mod annotate;
pub mod autolabel;
pub mod backup;
pub mod browse;
pub mod commands;
mod embed;
mod error;
mod export;
mod import;
pub mod learn;
mod media;
mod progress;
pub mod quality;
mod scoring;
mod sessions;
pub mod shards;
pub mod simulate;
mod sync;

use std::path::{Path, PathBuf};

use sift_store::{NewProject, Store};
use sift_template::Template;

pub use access::{Caller, Me, QueueView, ReviewTask, WorkEntry};
pub use annotate::{AnnotationView, ItemView, ReviewInput};
pub use embed::{EmbedOptions, EmbedReport, EmbeddingCounts, Encoder, VectorResult};
pub use error::{Error, Result};
pub use export::{ConsensusMethod, ExportFormat, ExportOptions, ExportReport, SftStyle};
pub use import::{ImportFormat, ImportOptions, ImportReport, SkippedLine};
pub use learn::{FeatureSource, LearnOptions, LearnReport, RankingSuggestion, Suggestion};
pub use progress::{NoProgress, Progress};
pub use scoring::{
    BatchEntry, BatchModel, BatchReport, ItemOutput, ItemResult, ModelInfo, ModelOutput, NewModel,
    PlainBatchReport, QueueOptions, RunInfo, ScoreFailure, ScoreInput, ScoreOptions, ScoreReport, Scorer,
    ScorerError, parse_model_spec, score_output,
};
pub use sessions::{SESSION_ID_BYTES, SessionLimits};
pub use sift_al::{RowScores, Strategy};
pub use sift_core::{AnnotationState, Role};
pub use sift_store::{AnnotatorRow, Decision, QueueEntry, QueueReason, StatusCounts};
pub use sift_store::{ModelScoreCounts, ModelVersionRow};
pub use simulate::{
    Arm, SimConfig, SimReport, SimulateOptions, TRUTH_DISTINCT_CAP, TruthCandidate, TruthCandidates,
    learning_curves_png, learning_curves_svg,
};
#[cfg(any(test, feature = "memory-store"))]
pub use sync::memory_store;
pub use sync::{
    DownloadDone, DownloadJob, Fetched, LAYOUT_VERSION, ObjectStore, PutMode, PutOutcome, RemoteError,
    RemoteErrorKind, RemoteObject, RoundError, SyncConfig, SyncDirection, SyncOptions, SyncReport, SyncRole,
    SyncStatus, UploadDone, UploadJob, join_project, parse_sha, sha256_file, sha256_hex, too_large,
};

/// The project file's name inside a project folder.
pub const PROJECT_FILE: &str = "project.sift";

/// What `sift status` and the app's header show.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct ProjectInfo {
    /// The project's name (the folder's name unless `sift init --name` gave one).
    pub name: String,
    /// The project file (`project.sift`) as it was opened.
    pub path: PathBuf,
    /// The template's name, from the snapshot stored in the project.
    pub template: String,
    /// The template's kind (`qa`, `ranking`, `image-caption`, ...).
    pub kind: String,
    /// The Ground Truth label attribute that exports write the labels under.
    pub label_attribute: String,
    /// When the project was created (RFC 3339, UTC).
    pub created_at: String,
    /// The project file's schema version (SQLite `user_version`: the last migration applied).
    pub schema_version: u32,
}

/// A project's counts plus what it is.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct StatusReport {
    /// What the project is.
    pub project: ProjectInfo,
    /// Items and annotations by state (flattened into the report's JSON).
    #[serde(flatten)]
    pub counts: StatusCounts,
}

/// An open project.
#[derive(Debug)]
pub struct Project {
    store: Store,
    template: Template,
    /// Prefix of the media URLs in item views (set by the adapter that serves media).
    media_base: String,
}

/// Creates a project folder `dir` (which may exist but must not hold a project) from a
/// template file. The project is named after the folder unless `name` is given.
pub fn init_project(dir: &Path, template_file: &Path, name: Option<&str>) -> Result<Project> {
    let text = std::fs::read_to_string(template_file)
        .map_err(|e| Error::io("cannot read template", template_file, e))?;
    let template = load_template(&text, &template_file.display().to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create project folder", dir, e))?;
    let file = dir.join(PROJECT_FILE);
    if file.exists() {
        return Err(Error::Conflict(format!(
            "{} already holds a Sift project",
            dir.display()
        )));
    }
    let dir_name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "project".to_owned());
    let name = name.unwrap_or(&dir_name);
    let store = Store::create(
        &file,
        &NewProject {
            name,
            template_name: template.name(),
            template_kind: template.kind().as_str(),
            template_text: &text,
            label_attribute: template.label_attribute(),
            job_name: template.job_name(),
        },
    )?;
    Ok(Project {
        store,
        template,
        media_base: String::from("/media"),
    })
}

/// Finds the project file for a path that names either a project folder or the file.
pub fn resolve_project_path(path: &Path) -> Result<PathBuf> {
    if path.is_dir() {
        let file = path.join(PROJECT_FILE);
        if file.is_file() {
            return Ok(file);
        }
        return Err(Error::NotFound(format!(
            "Sift project in {} (no {PROJECT_FILE}; create one with `sift init`)",
            path.display()
        )));
    }
    if path.is_file() {
        return Ok(path.to_owned());
    }
    Err(Error::NotFound(format!("project {}", path.display())))
}

/// What `sift template check` reports about a valid template.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TemplateSummary {
    /// The template file as given.
    pub file: String,
    /// The template's `name`.
    pub name: String,
    /// The template's kind (`qa`, `ranking`, `image-caption`, ...).
    pub kind: String,
    /// The Ground Truth label attribute exports write the labels under.
    pub label_attribute: String,
    /// How many actions have a keyboard shortcut bound.
    pub shortcuts: usize,
}

/// Validates a template file; the error lists every problem with its key path.
pub fn check_template_file(file: &Path) -> Result<TemplateSummary> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io("cannot read template", file, e))?;
    let display = file.display().to_string();
    let t = load_template(&text, &display)?;
    Ok(TemplateSummary {
        file: display,
        name: t.name().to_owned(),
        kind: t.kind().as_str().to_owned(),
        label_attribute: t.label_attribute().to_owned(),
        shortcuts: t.shortcuts().iter().filter(|(_, chord)| chord.is_some()).count(),
    })
}

/// A template file as the UI receives it (instructions, fields, rules, shortcuts).
pub fn template_file_json(file: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io("cannot read template", file, e))?;
    Ok(load_template(&text, &file.display().to_string())?.to_json())
}

fn load_template(text: &str, origin: &str) -> Result<Template> {
    sift_template::parse_template(text, origin).map_err(|e| Error::Template(e.to_string()))
}

impl Project {
    /// Opens a project folder or file.
    pub fn open(path: &Path) -> Result<Project> {
        let file = resolve_project_path(path)?;
        let store = Store::open(&file)?;
        let row = store.project()?;
        let template = load_template(
            &row.template_text,
            &format!("{} (template snapshot)", file.display()),
        )?;
        Ok(Project {
            store,
            template,
            media_base: String::from("/media"),
        })
    }

    /// The project's template, parsed from the snapshot stored at `sift init`.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// What the project is: name, file, template and schema version.
    pub fn info(&self) -> Result<ProjectInfo> {
        let row = self.store.project()?;
        Ok(ProjectInfo {
            name: row.name,
            path: self.store.path().to_owned(),
            template: row.template_name,
            kind: row.template_kind,
            label_attribute: row.label_attribute,
            created_at: row.created_at,
            schema_version: self.store.schema_version()?,
        })
    }

    /// What `sift status` prints: [`Project::info`] plus the counts by state.
    pub fn status(&self) -> Result<StatusReport> {
        Ok(StatusReport {
            project: self.info()?,
            counts: self.store.status()?,
        })
    }

    /// Adds a person and returns them with their new access token. Only a hash of the
    /// token is stored: it is shown once.
    pub fn add_annotator(&self, name: &str, role: Role) -> Result<(AnnotatorRow, String)> {
        validate_person_name(name)?;
        let token = new_token()?;
        let row = self
            .store
            .add_annotator(name, role, Some(token_hash(&token).as_slice()))?;
        Ok((row, token))
    }

    /// Issues a new token for a person; the old one stops working.
    pub fn reset_token(&self, name: &str) -> Result<String> {
        let token = new_token()?;
        self.store
            .set_annotator_token(name, token_hash(&token).as_slice())?;
        Ok(token)
    }

    /// Everyone added to the project, by name, with their roles (whether each has a token,
    /// never the token).
    pub fn annotators(&self) -> Result<Vec<AnnotatorRow>> {
        Ok(self.store.annotators()?)
    }

    /// The person a token belongs to.
    pub fn authenticate(&self, token: &str) -> Result<AnnotatorRow> {
        self.store
            .annotator_by_token_hash(token_hash(token).as_slice())?
            .ok_or_else(|| Error::Unauthenticated("unknown or revoked access token".into()))
    }

    pub(crate) fn annotator(&self, name: &str) -> Result<AnnotatorRow> {
        self.store
            .annotator_by_name(name)?
            .ok_or_else(|| Error::NotFound(format!("annotator {name:?}")))
    }

    /// Runs SQLite's integrity check on the project file.
    pub fn check_integrity(&self) -> Result<()> {
        Ok(self.store.integrity_check()?)
    }
}

pub(crate) fn validate_person_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "annotator name {name:?}: use 1-64 letters, digits, '-', '_', '.' or '@'"
        )))
    }
}

fn new_token() -> Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no randomness for a token: {e}")))?;
    Ok(format!("sift_{}", sift_core::hex::encode(&bytes)))
}

fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}
