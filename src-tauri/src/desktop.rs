//! The desktop app's state: the open project and who labels in it, the local user, the media
//! server and the recent-projects list. Commands are thin adapters over [`Desktop::call`], which hands them
//! to `sift_api::Project::call`, the command table `sift serve` dispatches through too.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use sift_api::{Caller, Error, ImportOptions, Me, NoProgress, Project, Role, SyncConfig, SyncRole};
use sift_error::{Code, ErrorCode};

use crate::error::CommandError;
use crate::media::MediaServer;
use crate::recent::{RecentList, RecentProject};
use crate::templates;

/// Everything the commands share.
#[derive(Debug)]
pub struct Desktop {
    user: String,
    media: MediaServer,
    recent: RecentList,
    open: Mutex<Option<OpenProject>>,
}

#[derive(Debug)]
struct OpenProject {
    project: Project,
    /// Who labels in this window (see [`labeler`]).
    labeler: String,
    /// The project file (`project.sift`).
    file: PathBuf,
    /// The project folder.
    folder: PathBuf,
    /// Prefix of media URLs (`http://127.0.0.1:PORT/<secret>/<n>/media`).
    media_base: String,
    /// Ships every commit to the backup bucket while backup is on (docs/backup.md); dropped
    /// (after a last pass) when another project is opened.
    _backup: Option<sift_api::backup::Shipper>,
}

/// What `create_project` needs.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProjectArgs {
    /// The folder to create the project in (created if missing; must not hold a project).
    pub folder: PathBuf,
    /// A bundled template (`qa`, `ranking`, `image-caption`, `video-caption`) or a path to
    /// a template file.
    pub template: String,
    /// The project's name; the folder's name when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// A manifest to import right away (Ground Truth JSON Lines or a Label Studio export).
    #[serde(default)]
    pub manifest: Option<PathBuf>,
}

/// The local user's name: the OS account, reduced to what an annotator name may hold.
pub fn local_user_name() -> String {
    let raw = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default();
    sanitize_user_name(&raw)
}

/// Keeps letters, digits, `-`, `_`, `.` and `@` (at most 64); `local` when nothing is left.
pub fn sanitize_user_name(raw: &str) -> String {
    let name: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
        .take(64)
        .collect();
    if name.is_empty() { "local".to_owned() } else { name }
}

impl Desktop {
    pub fn new(user: impl Into<String>, media: MediaServer, recent: RecentList) -> Self {
        Self {
            user: user.into(),
            media,
            recent,
            open: Mutex::new(None),
        }
    }

    /// The local user's annotator name (who labels in projects that do not sync as an
    /// annotator; see [`labeler`]).
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn media(&self) -> &MediaServer {
        &self.media
    }

    fn lock(&self) -> MutexGuard<'_, Option<OpenProject>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs one of `sift_api::commands::COMMANDS` in the open project, as who labels there.
    pub fn call(&self, name: &str, args: Value) -> Result<Value, CommandError> {
        let mut open = self.lock();
        let open = open.as_mut().ok_or_else(CommandError::no_project)?;
        let caller = open.project.caller_named(&open.labeler)?;
        Ok(open.project.call(&caller, name, args, Some(&open.media_base))?)
    }

    /// The open project's sync configuration (`None`: sync is not set up).
    pub fn sync_config(&self) -> Result<Option<SyncConfig>, CommandError> {
        let open = self.lock();
        let open = open.as_ref().ok_or_else(CommandError::no_project)?;
        Ok(open.project.sync_config()?)
    }

    /// Checks and saves the open project's sync configuration.
    pub fn set_sync_config(&self, config: &SyncConfig) -> Result<(), CommandError> {
        let open = self.lock();
        let open = open.as_ref().ok_or_else(CommandError::no_project)?;
        Ok(open.project.set_sync_config(config)?)
    }

    /// A connection of its own to the open project, for long work (a sync) that must not
    /// hold the lock every labeling command takes. SQLite (WAL, busy timeout) lets both write.
    pub fn open_again(&self) -> Result<Project, CommandError> {
        let file = self
            .lock()
            .as_ref()
            .map(|open| open.file.clone())
            .ok_or_else(CommandError::no_project)?;
        Ok(Project::open(&file)?)
    }

    /// Opens the project in `path` (a folder or its `project.sift`), decides who labels in it
    /// ([`labeler`]), serves its media, and puts it first in the recent list.
    pub fn open(&self, path: &Path) -> Result<Me, CommandError> {
        let file = sift_api::resolve_project_path(path)?;
        let folder = file
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| path.to_owned());
        let folder = folder.canonicalize().unwrap_or(folder);
        let mut project = Project::open(&file)?;
        let caller = labeler(&project, &self.user)?;
        let media_project = Project::open(&file)?;
        let media_base = self.media.mount(media_project, &caller.name);
        project.set_media_base(media_base.clone());
        let me = project.me(&caller, Some(media_base.clone()))?;
        // Backup failing to start never keeps the project from opening: it says why, and the
        // changes wait in the file for the next shipper.
        let backup = start_backup(&mut project).unwrap_or_else(|e| {
            crate::warn(&format!("backup of {} is not running: {e}", file.display()));
            None
        });
        let entry = RecentProject {
            path: folder.clone(),
            name: me.project.name.clone(),
            kind: me.project.kind.clone(),
            template: me.project.template.clone(),
            opened_at: 0,
            backup: project.backup_config().ok().flatten(),
            exists: true,
        };
        if let Err(e) = self.recent.record(entry) {
            crate::warn(&format!(
                "cannot update the recent projects list {}: {e}",
                self.recent.file().display()
            ));
        }
        *self.lock() = Some(OpenProject {
            project,
            labeler: caller.name,
            file,
            folder,
            media_base,
            _backup: backup,
        });
        Ok(me)
    }

    /// Creates a project (and imports a manifest into it when given), then opens it.
    pub fn create(&self, args: &NewProjectArgs) -> Result<Me, CommandError> {
        let template = templates::resolve(&args.template)?;
        let mut project = sift_api::init_project(&args.folder, template.path(), args.name.as_deref())?;
        if let Some(manifest) = &args.manifest {
            let opts = ImportOptions {
                actor: Some(self.user.clone()),
                ..ImportOptions::default()
            };
            project.import(manifest, &opts, &NoProgress)?;
        }
        drop(project);
        self.open(&args.folder)
    }

    /// Adds projects to the recent list without opening them (oldest first, so the first
    /// named ends up on top). Folders that hold no project are skipped with a warning.
    pub fn remember(&self, folders: &[PathBuf]) {
        for folder in folders.iter().rev() {
            let found = sift_api::resolve_project_path(folder).and_then(|file| {
                let project = Project::open(&file)?;
                Ok((project.info()?, project.backup_config()?, file))
            });
            match found {
                Ok((info, backup, file)) => {
                    let dir = file.parent().map_or_else(|| folder.clone(), Path::to_owned);
                    let recorded = self.recent.record(RecentProject {
                        path: dir.canonicalize().unwrap_or(dir),
                        name: info.name,
                        kind: info.kind,
                        template: info.template,
                        opened_at: 0,
                        backup,
                        exists: true,
                    });
                    if let Err(e) = recorded {
                        crate::warn(&format!(
                            "cannot update the recent projects list {}: {e}",
                            self.recent.file().display()
                        ));
                    }
                }
                Err(e) => crate::warn(&format!("{}: {e}", folder.display())),
            }
        }
    }

    pub fn recent(&self) -> Vec<RecentProject> {
        self.recent.entries()
    }

    /// The open project's folder, for *Open in Lab*: the Lab is the lead's console, so only
    /// a lead of the open project gets it.
    pub fn folder_for_lab(&self) -> Result<PathBuf, CommandError> {
        let open = self.lock();
        let open = open.as_ref().ok_or_else(CommandError::no_project)?;
        let caller = open.project.caller_named(&open.labeler)?;
        if caller.role != Role::Lead {
            return Err(CommandError::new(
                Code::Forbidden,
                format!(
                    "the Lab is the lead's console: {} is {} in this project",
                    caller.name,
                    caller.role.as_str()
                ),
            ));
        }
        Ok(open.folder.clone())
    }

    /// The open project's name and folder, for the window title.
    pub fn current(&self) -> Option<(String, PathBuf)> {
        let open = self.lock();
        let open = open.as_ref()?;
        let name = open.project.info().ok()?.name;
        Some((name, open.folder.clone()))
    }
}

/// Who labels in `project` from this window. In an annotator's project (one joined from a
/// lead's sync) it is the annotator the project syncs as: an annotator's push sends only that
/// person's work, so work saved under any other name would never reach the lead. Elsewhere it
/// is the local user, added as lead the first time (the project is their own).
fn labeler(project: &Project, local_user: &str) -> Result<Caller, Error> {
    match project.sync_config()? {
        Some(SyncConfig {
            role: SyncRole::Annotator,
            annotator: Some(name),
            ..
        }) => project.caller_named(&name).map_err(|e| match e {
            Error::NotFound(_) => Error::Conflict(format!(
                "this project syncs as annotator {name:?}, who is not in it; join the lead's project again \
                 (`sift sync join`) in a new folder"
            )),
            other => other,
        }),
        _ => ensure_user(project, local_user),
    }
}

/// The caller for `name`, adding them as a lead when the project does not know them yet.
fn ensure_user(project: &Project, name: &str) -> Result<Caller, Error> {
    match project.caller_named(name) {
        Err(Error::NotFound(_)) => match project.add_annotator(name, Role::Lead) {
            Ok(_) => project.caller_named(name),
            // Someone (another Sift) added them meanwhile.
            Err(e) if e.code() == Code::Conflict => project.caller_named(name),
            Err(e) => Err(e),
        },
        other => other,
    }
}

/// Starts the backup shipper of `project` when backup is on for it, woken by its commits.
fn start_backup(project: &mut Project) -> Result<Option<sift_api::backup::Shipper>, CommandError> {
    let Some(config) = project.backup_config()? else {
        return Ok(None);
    };
    if !project.backup_enabled()? {
        return Ok(None);
    }
    let remote = sift_s3::S3Store::connect(&config.connection(), sift_s3::Tuning::from_env())
        .map_err(Error::from)?
        .with_encryption(config.encryption.clone());
    Ok(sift_api::backup::Shipper::start_for(project, Box::new(remote))?)
}
