//! S3 sync on the command line: `sift sync [run]` (a round: both directions in the order the
//! role needs), `sift sync config|join|push|pull|status`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use sift_api::{ObjectStore, Progress, Project, SyncConfig, SyncOptions, SyncReport, SyncRole, SyncStatus};
use sift_s3::{S3Store, Tuning};

use crate::ProjectArg;
use crate::output::Out;
use crate::progress::Bar;

/// `sift sync`: a round when no subcommand is given, as `sift sync run`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Without a subcommand, runs a round (as `sift sync run`): an annotator pushes its work, then pulls \
                  new batches and reviews; the lead pulls results, then pushes batches and reviews.\n\n\
                  Examples:\n  sift sync -p proj\n  sift sync run -p proj --media --json"
)]
pub struct SyncArgs {
    #[command(subcommand)]
    command: Option<SyncCommand>,
    #[command(flatten)]
    round: RoundArgs,
}

/// What a round takes.
#[derive(Debug, Args)]
pub struct RoundArgs {
    #[command(flatten)]
    project: ProjectArg,
    /// Transfer media too.
    #[arg(long)]
    media: bool,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Push and pull in the order this project's role needs (annotators push first, leads
    /// pull first); what `sift sync` alone does.
    #[command(after_help = "Example:\n  sift sync run -p proj --json")]
    Run(RoundArgs),
    /// Show or set where this project syncs (bucket, prefix, endpoint...). Credentials are
    /// never stored: they come from the AWS chain (environment, ~/.aws files, profile, SSO).
    #[command(
        after_help = "Examples:\n  sift sync config -p proj --bucket labels --prefix team-a --region eu-west-1\n  sift sync config -p proj --bucket labels --endpoint http://127.0.0.1:3900 --region garage --path-style --media"
    )]
    Config {
        #[command(flatten)]
        project: ProjectArg,
        #[command(flatten)]
        remote: RemoteArgs,
        /// Lead: read ANNOTATOR's results from BUCKET, a bucket only their key may write
        /// (Garage: see docs/sync-policies/garage-setup.sh); `ANNOTATOR=` reads them from the
        /// shared bucket again. Repeat for several.
        #[arg(long = "results-bucket", value_name = "ANNOTATOR=BUCKET")]
        results_buckets: Vec<String>,
    },
    /// Create an annotator's project from a lead's pushed project.
    #[command(
        after_help = "Example:\n  sift sync join ~/labels/team-a --bucket labels --prefix team-a --annotator alice --media\n\nThen label, and run `sift sync push -p ~/labels/team-a` to hand the work back."
    )]
    Join {
        /// Folder for the new project.
        dir: PathBuf,
        /// Who labels in this project (must match the lead's assignments).
        #[arg(long)]
        annotator: String,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Lead: upload batches (and media with --media). Annotator: upload saved work.
    #[command(
        after_help = "Examples:\n  sift sync push -p proj\n  sift sync push -p proj --batch week-42 --media\n  sift sync push -p proj --pool --model digits@1 --workers-bucket results   # for workers"
    )]
    Push {
        #[command(flatten)]
        project: ProjectArg,
        /// Only this batch (lead; repeat for several).
        #[arg(long = "batch")]
        batches: Vec<String>,
        /// Transfer media too.
        #[arg(long)]
        media: bool,
        /// Lead: write the unlabeled pool for workers instead (`pool/`; docs/scale-out.md).
        #[arg(long)]
        pool: bool,
        /// With --pool: also publish this model version for workers (repeat for several).
        #[arg(long = "model", value_name = "NAME@VERSION", requires = "pool")]
        models: Vec<String>,
        /// With --pool: the bucket workers write results to (their key may write only there).
        #[arg(long, value_name = "BUCKET", requires = "pool")]
        workers_bucket: Option<String>,
    },
    /// Annotator: download assigned batches (and media). Lead: merge annotators' results.
    #[command(after_help = "Examples:\n  sift sync pull -p proj\n  sift sync pull -p proj --media --json")]
    Pull {
        #[command(flatten)]
        project: ProjectArg,
        /// Transfer media too.
        #[arg(long)]
        media: bool,
    },
    /// What is waiting to be pushed and pulled.
    #[command(after_help = "Example:\n  sift sync status -p proj --json")]
    Status {
        #[command(flatten)]
        project: ProjectArg,
    },
}

#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// Bucket name.
    #[arg(long)]
    bucket: Option<String>,
    /// Key prefix inside the bucket.
    #[arg(long)]
    prefix: Option<String>,
    /// Region (AWS region, or what the store expects: `garage` for Garage).
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
    /// Transfer media with batches by default.
    #[arg(long)]
    media: bool,
}

impl RemoteArgs {
    fn apply(
        self,
        base: Option<SyncConfig>,
        role: SyncRole,
        annotator: Option<String>,
    ) -> anyhow::Result<SyncConfig> {
        let mut c = base.unwrap_or_else(|| SyncConfig::new("", role));
        if let Some(b) = self.bucket {
            c.bucket = b;
        }
        if let Some(p) = self.prefix {
            c.prefix = p;
        }
        c.region = self.region.or(c.region);
        c.endpoint = self.endpoint.or(c.endpoint);
        c.profile = self.profile.or(c.profile);
        c.path_style |= self.path_style;
        c.media |= self.media;
        c.annotator = annotator.or(c.annotator);
        let c = c.normalized();
        anyhow::ensure!(!c.bucket.is_empty(), "no bucket: pass --bucket");
        Ok(c)
    }
}

fn connect(config: &SyncConfig) -> anyhow::Result<S3Store> {
    S3Store::connect(config, Tuning::from_env())
        .map_err(sift_api::Error::from)
        .context("cannot set up S3")
}

fn remote_for(project: &Project) -> anyhow::Result<S3Store> {
    connect(&project.require_sync_config()?)
}

pub fn run(args: SyncArgs, out: &Out) -> anyhow::Result<()> {
    let command = args.command.unwrap_or(SyncCommand::Run(args.round));
    match command {
        SyncCommand::Run(args) => round(&args, out)?,
        SyncCommand::Config {
            project,
            remote,
            results_buckets,
        } => {
            let p = crate::open(&project)?;
            let current = p.sync_config()?;
            let untouched = remote.bucket.is_none()
                && remote.prefix.is_none()
                && remote.region.is_none()
                && remote.endpoint.is_none()
                && remote.profile.is_none()
                && !remote.path_style
                && !remote.media
                && results_buckets.is_empty();
            let config = match (untouched, current) {
                (true, Some(c)) => c,
                (true, None) => anyhow::bail!(sift_api::Error::BadRequest(
                    "no sync configuration yet: pass --bucket (and --endpoint, --region... as needed)".into()
                )),
                (false, current) => {
                    let role = current.as_ref().map_or(SyncRole::Lead, |c| c.role);
                    let mut c = remote.apply(current, role, None)?;
                    let mut map = c.results_buckets.take().unwrap_or_default();
                    for spec in &results_buckets {
                        let (annotator, bucket) = spec.split_once('=').ok_or_else(|| {
                            sift_api::Error::BadRequest(format!(
                                "--results-bucket {spec:?}: write ANNOTATOR=BUCKET"
                            ))
                        })?;
                        if bucket.trim().is_empty() {
                            map.remove(annotator.trim());
                        } else {
                            map.insert(annotator.to_owned(), bucket.to_owned());
                        }
                    }
                    c.results_buckets = Some(map);
                    let c = c.normalized();
                    p.set_sync_config(&c)?;
                    c
                }
            };
            out.emit(&config, || config_text(&config));
        }
        SyncCommand::Join {
            dir,
            annotator,
            remote,
        } => {
            let config = remote.apply(None, SyncRole::Annotator, Some(annotator))?;
            config.validate()?;
            let store = connect(&config)?;
            let mut p = sift_api::join_project(&dir, &store, &config)
                .with_context(|| format!("cannot join {} in {}", config.location(), dir.display()))?;
            let report = p.sync_pull(&store, &SyncOptions::default(), &Bar::new(out.is_json()))?;
            out.emit(&report, || {
                format!(
                    "joined {} in {}\n{}",
                    config.location(),
                    dir.display(),
                    report_text(&report)
                )
            });
        }
        SyncCommand::Push {
            project,
            pool: true,
            models,
            workers_bucket,
            media,
            ..
        } => {
            let mut p = crate::open(&project)?;
            let store = remote_for(&p)?;
            let media = media || p.require_sync_config()?.media;
            crate::shard::push_pool(&mut p, &store, &models, workers_bucket.as_deref(), media, out)?;
        }
        SyncCommand::Push {
            project,
            batches,
            media,
            ..
        } => {
            let opts = SyncOptions {
                batches,
                media,
                ..SyncOptions::default()
            };
            one_way(&project.project, &opts, out, Project::sync_push)?;
        }
        SyncCommand::Pull { project, media } => {
            let opts = SyncOptions {
                media,
                ..SyncOptions::default()
            };
            one_way(&project.project, &opts, out, Project::sync_pull)?;
        }
        SyncCommand::Status { project } => {
            let p = crate::open(&project)?;
            let store = remote_for(&p)?;
            let status = p.sync_status(&store)?;
            out.emit(&status, || status_text(&status));
        }
    }
    Ok(())
}

/// `Project::sync_push` or `Project::sync_pull`.
type Direction =
    fn(&mut Project, &dyn ObjectStore, &SyncOptions, &dyn Progress) -> sift_api::Result<SyncReport>;

/// One direction on the project's remote: shows its report, and fails when it has problems.
fn one_way(project: &Path, opts: &SyncOptions, out: &Out, direction: Direction) -> anyhow::Result<()> {
    let mut p = Project::open(project)?;
    crate::backup::opened(&p, project);
    let store = remote_for(&p)?;
    let report = direction(&mut p, &store, opts, &Bar::new(out.is_json()))?;
    out.emit(&report, || report_text(&report));
    fail_on_problems(std::slice::from_ref(&report))
}

/// A round: both directions in the order the role needs. When the second fails, the report
/// of the first is shown before the error.
fn round(args: &RoundArgs, out: &Out) -> anyhow::Result<()> {
    let mut p = crate::open(&args.project)?;
    let store = remote_for(&p)?;
    let opts = SyncOptions {
        media: args.media,
        ..SyncOptions::default()
    };
    match p.sync_round(&store, &opts, &Bar::new(out.is_json()), |_| {}) {
        Ok(reports) => {
            out.emit(&reports, || reports.iter().map(report_text).collect());
            fail_on_problems(&reports)
        }
        Err(e) => {
            if !e.done.is_empty() {
                out.emit(&e.done, || e.done.iter().map(report_text).collect());
            }
            Err(e.error.into())
        }
    }
}

/// Problems that did not stop the sync still make the exit code say so.
fn fail_on_problems(reports: &[SyncReport]) -> anyhow::Result<()> {
    let problems: usize = reports.iter().map(|r| r.problems.len()).sum();
    if problems == 0 {
        return Ok(());
    }
    let directions: Vec<&str> = reports.iter().map(|r| r.direction.as_str()).collect();
    Err(sift_api::Error::Conflict(format!(
        "{problems} problem(s) during the {} (listed above); everything else was applied",
        directions.join(" and ")
    ))
    .into())
}

fn config_text(c: &SyncConfig) -> String {
    let mut s = format!("location:   {}\n", c.location());
    s += &format!(
        "role:       {}\n",
        if c.role == SyncRole::Lead {
            "lead"
        } else {
            "annotator"
        }
    );
    if let Some(a) = &c.annotator {
        s += &format!("annotator:  {a}\n");
    }
    s += &format!(
        "region:     {}\n",
        c.region.as_deref().unwrap_or("(from the AWS chain)")
    );
    s += &format!("endpoint:   {}\n", c.endpoint.as_deref().unwrap_or("(AWS)"));
    s += &format!("path style: {}\n", c.path_style);
    s += &format!(
        "profile:    {}\n",
        c.profile.as_deref().unwrap_or("(default chain)")
    );
    s += &format!("media:      {}\n", c.media);
    for (annotator, bucket) in c.results_buckets.iter().flatten() {
        s += &format!("results:    {annotator} writes to bucket {bucket}\n");
    }
    s
}

fn report_text(r: &SyncReport) -> String {
    let mut s = format!("{} {} in {:.1} s\n", r.direction, r.location, r.seconds);
    if !r.batches.is_empty() || r.batches_unchanged > 0 {
        s += &format!(
            "  batches:  {} transferred ({}), {} unchanged\n",
            r.batches.len(),
            r.batches.join(", "),
            r.batches_unchanged
        );
    }
    if r.items_added > 0 {
        s += &format!("  items:    {} added\n", r.items_added);
    }
    if r.recovered > 0 {
        s += &format!(
            "  yours:    {} earlier version(s) of your work taken back from the bucket\n",
            r.recovered
        );
    }
    if !r.segments.is_empty() || r.segments_unchanged > 0 || r.versions > 0 {
        s += &format!(
            "  results:  {} segment(s), {} version(s) {}, {} already merged, {} unchanged segment(s)\n",
            r.segments.len(),
            r.versions,
            if r.direction == "push" { "pushed" } else { "merged" },
            r.duplicate_versions,
            r.segments_unchanged
        );
    }
    if r.reviews > 0 {
        s += &format!(
            "  reviews:  {} {}",
            r.reviews,
            if r.direction == "push" {
                "published to annotators"
            } else {
                "received from the lead"
            }
        );
        if r.returned > 0 {
            s += &format!(", {} item(s) returned to you for rework", r.returned);
        }
        s += "\n";
    }
    if r.media_files > 0 || r.media_unchanged > 0 {
        s += &format!(
            "  media:    {} file(s), {:.1} MB transferred, {} unchanged",
            r.media_files,
            r.media_bytes as f64 / 1e6,
            r.media_unchanged
        );
        if r.resumed_parts > 0 || r.resumed_bytes > 0 {
            s += &format!(
                "; resumed {} part(s) and {:.1} MB of interrupted transfers",
                r.resumed_parts,
                r.resumed_bytes as f64 / 1e6
            );
        }
        s += "\n";
    }
    if let Some(honoured) = r.conditional_writes {
        s += &format!(
            "  store:    conditional writes {}\n",
            if honoured {
                "honoured (extra guard on)"
            } else {
                "ignored (the one-writer layout keeps results safe)"
            }
        );
    }
    if r.batches.is_empty()
        && r.segments.is_empty()
        && r.media_files == 0
        && r.reviews == 0
        && r.problems.is_empty()
    {
        s += "  nothing to transfer: up to date\n";
    }
    for p in &r.problems {
        s += &format!("  problem:  {p}\n");
    }
    s
}

fn status_text(s: &SyncStatus) -> String {
    let mut t = format!("{}\n", s.location);
    match s.role {
        Some(SyncRole::Lead) => {
            t += &format!(
                "  to push: {} batch(es) {}\n",
                s.batches_to_push.len(),
                s.batches_to_push.join(", ")
            );
            t += &format!("  to pull: {} result segment(s)\n", s.segments_to_pull.len());
        }
        _ => {
            t += &format!("  to push: {} saved version(s)\n", s.versions_to_push);
            t += &format!(
                "  to pull: {} batch(es) {}\n",
                s.batches_to_pull.len(),
                s.batches_to_pull.join(", ")
            );
            if !s.reviews_to_pull.is_empty() {
                t += &format!(
                    "  to pull: reviews of your work in {}\n",
                    s.reviews_to_pull.join(", ")
                );
            }
            if s.media_to_pull > 0 {
                t += &format!(
                    "  media missing here: {} file(s) (pull with --media)\n",
                    s.media_to_pull
                );
            }
        }
    }
    t
}
