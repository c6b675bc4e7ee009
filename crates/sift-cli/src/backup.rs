//! Continuous backup on the command line: `sift backup enable|disable|now|status|expire`
//! for a project, `sift backup restore BUCKET/PREFIX --to DIR [--at TIME]`, and the shipper
//! `sift serve` runs while backup is on (docs/backup.md).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use sift_api::backup::{BackupConfig, BackupStatus, Encryption, RestoreReport, ShipReport, Shipper};
use sift_api::{ObjectStore, Project};
use sift_s3::{S3Store, Tuning};

use crate::ProjectArg;
use crate::output::Out;

/// Where the bucket is (everything but the bucket and prefix).
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Region (AWS region, or `garage` for Garage).
    #[arg(long)]
    region: Option<String>,
    /// Endpoint URL of an S3-compatible store.
    #[arg(long)]
    endpoint: Option<String>,
    /// Path-style addressing (most self-hosted stores need it).
    #[arg(long)]
    path_style: bool,
    /// AWS profile from ~/.aws/config.
    #[arg(long)]
    profile: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Sse {
    /// `x-amz-server-side-encryption: AES256`.
    SseS3,
    /// `x-amz-server-side-encryption: aws:kms` (with --kms-key-id, or the default key).
    SseKms,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Back this project up continuously to BUCKET/PREFIX: every committed change is shipped
    /// within seconds by the program writing it, plus a snapshot now and then.
    #[command(
        after_help = "Examples:\n  sift backup enable -p proj --bucket backups --prefix team/proj --region eu-west-1 --sse sse-s3\n  sift backup enable -p proj --bucket backups --prefix proj --endpoint http://127.0.0.1:3900 --region garage --path-style"
    )]
    Enable {
        #[command(flatten)]
        project: ProjectArg,
        /// Bucket name.
        #[arg(long)]
        bucket: String,
        /// Key prefix for this project's backup.
        #[arg(long, default_value = "")]
        prefix: String,
        #[command(flatten)]
        store: StoreArgs,
        /// Server-side encryption asked of the store.
        #[arg(long, value_enum)]
        sse: Option<Sse>,
        /// KMS key for --sse sse-kms.
        #[arg(long)]
        kms_key_id: Option<String>,
        /// Snapshots kept by retention.
        #[arg(long, default_value_t = 7)]
        keep: u32,
        /// A new snapshot once the newest is this many seconds old.
        #[arg(long, default_value_t = 6 * 3600)]
        snapshot_every: u64,
    },
    /// Stop capturing changes (what was shipped stays in the bucket).
    Disable {
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Ship what is waiting now (and a snapshot with --snapshot).
    Now {
        #[command(flatten)]
        project: ProjectArg,
        /// Take a snapshot even when none is due.
        #[arg(long)]
        snapshot: bool,
    },
    /// The last shipped change, its age, what waits, and the snapshot chain in the bucket.
    Status {
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Apply retention now: keep the newest snapshots, delete older ones and their segments.
    Expire {
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Rebuild a project from its backup into a new folder, as of now or of --at.
    #[command(
        after_help = "Examples:\n  sift backup restore backups/team/proj --to proj --region eu-west-1\n  sift backup restore backups/proj --to proj-monday --at 2026-12-07T09:00:00Z --endpoint http://127.0.0.1:3900 --region garage --path-style"
    )]
    Restore {
        /// BUCKET/PREFIX the project was backed up to.
        location: String,
        /// The folder to create the project in (must not hold one).
        #[arg(long)]
        to: PathBuf,
        /// The moment to restore: RFC 3339 or Unix milliseconds (default: the newest).
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Connects to the store a backup configuration names, with its encryption.
pub(crate) fn connect(config: &BackupConfig) -> anyhow::Result<S3Store> {
    Ok(S3Store::connect(&config.connection(), Tuning::from_env())
        .map_err(sift_api::Error::from)
        .context("cannot set up S3 for backup")?
        .with_encryption(config.encryption.clone()))
}

fn configured(p: &Project) -> anyhow::Result<BackupConfig> {
    p.backup_config()?
        .context("backup is not set up for this project: run `sift backup enable --bucket B ...`")
}

/// Projects this command opened (through `crate::open`), to ship their changes at its end.
static OPENED: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Notes that this command opened `project` at `path`, when its backup is on (the common case,
/// backup off, costs one settings read on the open connection and nothing at the end).
pub(crate) fn opened(project: &Project, path: &std::path::Path) {
    if !project.backup_enabled().unwrap_or(false) {
        return;
    }
    if let Ok(mut list) = OPENED.lock()
        && !list.iter().any(|p| p == path)
    {
        list.push(path.to_owned());
    }
}

/// Ships what the command changed in each project it opened that has backup on, so a CLI
/// change does not wait for the next `sift serve` or desktop session. A failure never fails
/// the command: it is said on standard error, and the changes stay captured for the next ship.
pub(crate) fn ship_opened() {
    let projects = OPENED.lock().map(|l| l.clone()).unwrap_or_default();
    for project in projects {
        if let Err(e) = ship_if_pending(&project) {
            crate::output::stderr(&format!(
                "warning: backup of {} not shipped now ({e:#}); it ships with the next `sift serve`, desktop session or `sift backup now`",
                project.display()
            ));
        }
    }
}

fn ship_if_pending(project: &std::path::Path) -> anyhow::Result<()> {
    let mut p = Project::open(project)?;
    let Some(config) = p.backup_config()? else {
        return Ok(());
    };
    if !p.backup_enabled()? || p.backup_status(None)?.pending == 0 {
        return Ok(());
    }
    let remote = connect(&config)?;
    p.backup_ship(&remote, false)?;
    Ok(())
}

/// The shipper `sift serve` runs while backup is on (`None` when it is off).
pub(crate) fn start_shipper(project: &std::path::Path) -> anyhow::Result<Option<Shipper>> {
    let p = Project::open(project)?;
    if !p.backup_enabled()? {
        return Ok(None);
    }
    let config = configured(&p)?;
    let remote = connect(&config)?;
    let file = p.info()?.path;
    Ok(Some(Shipper::start(&file, Box::new(remote), config)?))
}

pub fn run(command: BackupCommand, out: &Out) -> anyhow::Result<()> {
    match command {
        BackupCommand::Enable {
            project,
            bucket,
            prefix,
            store,
            sse,
            kms_key_id,
            keep,
            snapshot_every,
        } => {
            let mut config = BackupConfig::new(&bucket, prefix.trim().trim_matches('/'));
            config.region = store.region;
            config.endpoint = store.endpoint;
            config.path_style = store.path_style;
            config.profile = store.profile;
            config.keep_snapshots = keep;
            config.snapshot_every_s = snapshot_every;
            config.encryption = match (sse, kms_key_id) {
                (None, None) => None,
                (Some(Sse::SseS3), None) => Some(Encryption::SseS3),
                (Some(Sse::SseKms) | None, key_id) => Some(Encryption::SseKms { key_id }),
                (Some(Sse::SseS3), Some(_)) => anyhow::bail!("--kms-key-id goes with --sse sse-kms"),
            };
            let mut p = Project::open(&project.project)?;
            p.backup_enable(&config)?;
            let remote = connect(&config)?;
            let report = p.backup_ship(&remote, true)?;
            out.emit(&report, || {
                format!("Backup on: {}\n{}", config.location(), ship_text(&report))
            });
        }
        BackupCommand::Disable { project } => {
            Project::open(&project.project)?.backup_disable()?;
            out.emit(&serde_json::json!({"enabled": false}), || {
                "Backup off: changes are no longer captured.\n".into()
            });
        }
        BackupCommand::Now { project, snapshot } => {
            let mut p = Project::open(&project.project)?;
            let remote = connect(&configured(&p)?)?;
            let report = p.backup_ship(&remote, snapshot)?;
            out.emit(&report, || ship_text(&report));
        }
        BackupCommand::Status { project } => {
            let p = Project::open(&project.project)?;
            let remote = match p.backup_config()? {
                Some(c) => Some(connect(&c)?),
                None => None,
            };
            let status = p.backup_status(remote.as_ref().map(|r| r as &dyn ObjectStore))?;
            out.emit(&status, || status_text(&status));
        }
        BackupCommand::Expire { project } => {
            let p = Project::open(&project.project)?;
            let config = configured(&p)?;
            let report = sift_api::backup::expire(&connect(&config)?, config.keep_snapshots as usize)?;
            out.emit(&report, || {
                format!(
                    "Expired {} snapshots and {} segments.\n",
                    report.snapshots, report.segments
                )
            });
        }
        BackupCommand::Restore {
            location,
            to,
            at,
            store,
        } => {
            let trimmed = location.trim().trim_start_matches("s3://");
            let (bucket, prefix) = trimmed.split_once('/').unwrap_or((trimmed, ""));
            let mut config = BackupConfig::new(bucket, prefix.trim_matches('/'));
            config.region = store.region;
            config.endpoint = store.endpoint;
            config.path_style = store.path_style;
            config.profile = store.profile;
            config.validate()?;
            let at_ms = at.as_deref().map(sift_api::backup::parse_time).transpose()?;
            let report = sift_api::backup::restore(&connect(&config)?, &to, at_ms)?;
            out.emit(&report, || restore_text(&report));
        }
    }
    Ok(())
}

fn ship_text(r: &ShipReport) -> String {
    let mut s = format!(
        "Shipped {} changes in {} segments ({} bytes); newest change in the bucket: {}\n",
        r.changes, r.segments, r.segment_bytes, r.shipped_seq
    );
    if let Some(k) = &r.snapshot {
        s.push_str(&format!("Snapshot: {k} ({} bytes)\n", r.snapshot_bytes));
    }
    if r.expired > 0 {
        s.push_str(&format!("Retention expired {} snapshots\n", r.expired));
    }
    s
}

fn status_text(s: &BackupStatus) -> String {
    let mut t = format!(
        "Backup: {} {}\n",
        if s.enabled { "on" } else { "off" },
        s.location.as_deref().unwrap_or("(not configured)")
    );
    match (s.last_remote_change, s.last_remote_age_s) {
        (Some((seq, _)), Some(age)) => t.push_str(&format!("Last shipped change: {seq}, {age:.1} s ago\n")),
        _ => t.push_str("Last shipped change: none\n"),
    }
    t.push_str(&format!("Waiting to ship: {} changes", s.pending));
    if let Some(age) = s.oldest_pending_age_s {
        t.push_str(&format!(" (oldest {age:.1} s)"));
    }
    t.push_str(&format!(
        "\nSnapshots ({}), {} change segments:\n",
        s.snapshots.len(),
        s.segments
    ));
    for snap in &s.snapshots {
        t.push_str(&format!(
            "  up to change {:>8}  {}  {} bytes\n",
            snap.upto_seq,
            ms_text(snap.at_ms),
            snap.size
        ));
    }
    t
}

fn restore_text(r: &RestoreReport) -> String {
    let mut t = format!(
        "Restored {} from {} plus {} changes (up to change {}{}).\n",
        r.file.display(),
        r.snapshot,
        r.changes,
        r.last_seq,
        r.last_change_ms
            .map(|ms| format!(", written {}", ms_text(ms)))
            .unwrap_or_default()
    );
    for p in &r.problems {
        t.push_str(&format!("warning: {p}\n"));
    }
    t
}

fn ms_text(ms: i64) -> String {
    sift_api::backup::format_ms(ms)
}
