//! `sift`: every lead task without the window.
//!
//! Each subcommand is a thin adapter over `sift-api`: parse arguments, call one use case,
//! print the result as text (or JSON with `--json`). Exit codes: 0 success, 1 the user's
//! error (bad input, missing file, invalid state), 2 an internal error.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod autolabel;
mod backup;
mod batch;
mod choices;
mod embed;
mod gold;
mod interrupt;
mod learn;
mod output;
mod progress;
mod report;
mod scoring;
mod serve;
mod shard;
mod simulate;
mod status;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use sift_api::{
    ConsensusMethod, Decision, ExportFormat, ExportOptions, ImportFormat, ImportOptions, Project,
    ReviewInput, Role, SftStyle,
};
use strum::VariantArray as _;

use crate::output::Out;
use crate::progress::Bar;

#[derive(Debug, Parser)]
#[command(
    name = "sift",
    version,
    about = "Sift: local-first data labeling. Create projects, import and export manifests, manage annotators.",
    after_help = "Examples:\n  sift init my-project --template labeling-templates/qa.toml\n  sift import data/passages.jsonl --project my-project\n  sift status --project my-project\n  sift export --project my-project --output labels.jsonl --approved\n\nThe project defaults to $SIFT_PROJECT, then the current folder.\nExit codes: 0 success, 1 your input or the project state is wrong, 2 internal error.\nSet SIFT_BACKTRACE=1 to print a backtrace with errors."
)]
struct Cli {
    /// Print machine-readable JSON on standard output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct ProjectArg {
    /// Project folder (or its project.sift file).
    #[arg(long, short = 'p', env = "SIFT_PROJECT", default_value = ".", value_parser = project_path)]
    project: PathBuf,
}

/// The project path as given; an empty one (`SIFT_PROJECT=""`) means the current folder, as an unset
/// variable does. Clap's own path parser refuses empty values, and a subcommand's parent (`sift
/// learn` in `sift learn status -p X`) reads the variable even when the subcommand is given `-p`.
fn project_path(value: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(if value.is_empty() { "." } else { value }))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a project folder from a labeling template.
    #[command(after_help = "Example:\n  sift init reviews --template labeling-templates/ranking.toml")]
    Init {
        /// Folder to create the project in (created if missing).
        dir: PathBuf,
        /// Template file (TOML) describing the labeling task.
        #[arg(long, short = 't')]
        template: PathBuf,
        /// Project name (defaults to the folder's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Show item and annotation counts by state and by annotator.
    #[command(after_help = "Example:\n  sift status --project reviews --json")]
    Status {
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Import a SageMaker Ground Truth manifest (JSON Lines) or a Label Studio JSON export.
    #[command(
        after_help = "Import is all or nothing: the first invalid line stops it and nothing is imported,\nunless --skip-invalid is given. Re-importing the same lines adds nothing.\n\nExamples:\n  sift import manifests/batch-01.jsonl -p reviews\n  sift import export.json -p reviews --skip-invalid\n  sift import other-project.json -p reviews --data-only"
    )]
    Import {
        /// The manifest file.
        file: PathBuf,
        #[command(flatten)]
        project: ProjectArg,
        /// Import the valid lines and list every invalid one.
        #[arg(long)]
        skip_invalid: bool,
        /// Treat a missing local media file as an invalid line.
        #[arg(long)]
        require_media: bool,
        /// Longest accepted line (or Label Studio task), in bytes.
        #[arg(long, default_value_t = sift_manifest_limit())]
        max_line_bytes: usize,
        /// Manifest format (default: .jsonl/.manifest files are gt, others are sniffed).
        #[arg(
            long,
            value_parser = choices::parsed(str::parse::<ImportFormat>, ImportFormat::VARIANTS.iter().map(|f| f.as_str())),
        )]
        format: Option<ImportFormat>,
        /// The folder local media may be served from (default: the manifest's folder; the
        /// home folder, `/` and system folders only when named here).
        #[arg(long, value_name = "FOLDER")]
        media_root: Option<PathBuf>,
        /// Import the items only, leaving out (and counting) the annotations they carry: for
        /// Label Studio tasks labeled under another labeling config.
        #[arg(long)]
        data_only: bool,
    },
    /// Export labelled items (submitted and approved by default).
    #[command(
        after_help = "Examples:\n  sift export -p reviews -o labels.jsonl\n  sift export -p reviews -o approved.jsonl --approved --batch week-42"
    )]
    Export {
        #[command(flatten)]
        project: ProjectArg,
        /// Output file, written atomically; `-` writes to standard output.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Output format.
        #[arg(
            long,
            short = 'f',
            default_value = "gt",
            value_parser = choices::parsed(str::parse::<ExportFormat>, ExportFormat::VARIANTS.iter().map(|f| f.as_str())),
        )]
        format: ExportFormat,
        /// Only approved annotations.
        #[arg(long)]
        approved: bool,
        /// Only items of this batch.
        #[arg(long)]
        batch: Option<String>,
        /// sft: chat `messages` or `prompt-completion` records.
        #[arg(
            long,
            default_value = "messages",
            value_parser = choices::parsed(str::parse::<SftStyle>, SftStyle::VARIANTS.iter().map(|s| s.as_str())),
        )]
        sft_style: SftStyle,
        /// preference: only this ranking dimension (repeat for several).
        #[arg(long = "dimension")]
        dimensions: Vec<String>,
        /// gt: leave out machine labels (`sift autolabel`), written by default marked
        /// "human-annotated": "no".
        #[arg(long)]
        human_only: bool,
        /// Refuse to export while a dataset target of the template's `[quotas]` is not met
        /// (without it, unmet targets are a warning).
        #[arg(long)]
        strict: bool,
        /// gt: one line per item with the consensus of its annotations and the agreement as
        /// `confidence` (classification and ranking): `vote` (majority; Kemeny or Borda for
        /// rankings) or `dawid-skene` (single-label classification). Tied items are left out.
        #[arg(
            long,
            num_args = 0..=1,
            default_missing_value = "vote",
            value_name = "METHOD",
            value_parser = choices::parsed(str::parse::<ConsensusMethod>, ConsensusMethod::VARIANTS.iter().map(|m| m.as_str())),
        )]
        consensus: Option<ConsensusMethod>,
    },
    /// Save or submit an annotation (the labeling UI does this interactively).
    #[command(after_help = "Example:\n  sift annotate 12 -p qa --as alice --payload-file pair.json --submit")]
    Annotate {
        /// Item id.
        item: i64,
        #[command(flatten)]
        project: ProjectArg,
        /// Who is annotating.
        #[arg(long = "as")]
        annotator: String,
        /// The payload as JSON text.
        #[arg(
            long,
            conflicts_with = "payload_file",
            required_unless_present = "payload_file"
        )]
        payload: Option<String>,
        /// A file holding the payload JSON (`-` for standard input).
        #[arg(long)]
        payload_file: Option<PathBuf>,
        /// Submit for review (the payload must meet every rule); otherwise save a draft.
        #[arg(long)]
        submit: bool,
        /// Time spent on this save, in milliseconds.
        #[arg(long, default_value_t = 0)]
        time_spent_ms: i64,
    },
    /// Review submitted work: list it, approve it, or return it with a comment.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Check labeling templates.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Manage annotators, reviewers and leads.
    #[command(subcommand)]
    Annotator(AnnotatorCommand),
    /// Register and list models for active learning.
    #[command(subcommand)]
    Model(scoring::ModelCommand),
    /// Score the unlabeled pool with a registered model (ONNX Runtime; resumable).
    Score(scoring::ScoreArgs),
    /// Make the next batch to label from the scores, most informative first.
    Queue(scoring::QueueArgs),
    /// Store every item's vector from a registered encoder (ONNX Runtime; resumable).
    Embed(embed::EmbedArgs),
    /// Train a head on the labels, register it, rescore the pool and requeue (`status`, `config`).
    Learn(learn::LearnArgs),
    /// Label the unlabeled items the head is sure of, at a threshold calibrated for a precision.
    Autolabel(autolabel::AutolabelArgs),
    /// Replay the loop on a pool with known labels: labels, hours and money each strategy saves.
    Simulate(simulate::SimulateArgs),
    /// The quality report: agreement, consensus and annotator analytics (HTML or JSON).
    Report(report::ReportArgs),
    /// Gold items: known answers mixed into queues, and each annotator's accuracy on them.
    #[command(subcommand)]
    Gold(gold::GoldCommand),
    /// Make batches of work without a model (import order).
    #[command(subcommand)]
    Batch(batch::BatchCommand),
    /// Hand out batches and collect results through S3 (AWS or S3-compatible, e.g. Garage);
    /// alone, a round: push and pull in the order the project's role needs.
    Sync(sync::SyncArgs),
    /// Back the project up continuously to S3 and restore it (docs/backup.md).
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Serve the labeling UI to browsers (127.0.0.1 unless --host says otherwise).
    #[command(
        after_help = "Every request needs an annotator's token: create one with `sift annotator add NAME`.\n\nExamples:\n  sift serve -p reviews\n  sift serve -p reviews --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem --allow-host sift.lan\n  sift serve -p reviews --host 0.0.0.0 --insecure-http   # plain HTTP: a trusted LAN only"
    )]
    Serve {
        #[command(flatten)]
        project: ProjectArg,
        /// Address to listen on. Anything but loopback exposes the project to the network and
        /// needs --tls-cert/--tls-key (or --insecure-http).
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 7878)]
        port: u16,
        /// The built UI folder (default: the one installed with Sift, or ui/dist in a checkout).
        #[arg(long)]
        ui: Option<PathBuf>,
        /// Serve HTTPS with this PEM certificate (chain); needs --tls-key.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Allow plain HTTP on an address other than loopback: tokens and work cross the
        /// network unencrypted.
        #[arg(long, conflicts_with = "tls_cert")]
        insecure_http: bool,
        /// A host name browsers use to reach this server (repeatable). IP addresses and
        /// `localhost` always work; any other name is refused (DNS rebinding protection).
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_host: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AnnotatorCommand {
    /// Add a person and print their access token (shown once; only a hash is stored).
    #[command(after_help = "Example:\n  sift annotator add alice -p reviews --role reviewer")]
    Add {
        name: String,
        #[command(flatten)]
        project: ProjectArg,
        /// What the person may do.
        #[arg(
            long,
            default_value = "annotator",
            value_parser = choices::parsed(str::parse::<Role>, Role::VARIANTS.iter().map(|r| r.as_str())),
        )]
        role: Role,
    },
    /// List people in the project.
    List {
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Issue a new token for a person (the old one stops working).
    ResetToken {
        name: String,
        #[command(flatten)]
        project: ProjectArg,
    },
}

#[derive(Debug, Subcommand)]
enum ReviewCommand {
    /// Submitted annotations waiting for review.
    #[command(after_help = "Example:\n  sift review pending -p qa --json")]
    Pending {
        #[command(flatten)]
        project: ProjectArg,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Approve the latest submitted version of an annotation.
    #[command(after_help = "Example:\n  sift review approve 7 --version 2 -p qa --as rita")]
    Approve {
        /// Annotation id (from `sift review pending`).
        annotation: i64,
        /// The version being approved; approving an older one is refused.
        #[arg(long)]
        version: i64,
        #[command(flatten)]
        project: ProjectArg,
        /// The reviewer.
        #[arg(long = "as")]
        reviewer: String,
    },
    /// Return work to its annotator with a comment saying what to fix.
    #[command(
        after_help = "Example:\n  sift review return 7 --version 2 -p qa --as rita --comment 'Cite the span for pair 2' --anchor '{\"span\":[10,42]}'"
    )]
    Return {
        annotation: i64,
        #[arg(long)]
        version: i64,
        #[command(flatten)]
        project: ProjectArg,
        #[arg(long = "as")]
        reviewer: String,
        #[arg(long)]
        comment: String,
        /// Where the comment points: {"span":[s,e]}, {"object":"id"} or {"time":seconds}.
        #[arg(long)]
        anchor: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TemplateCommand {
    /// Validate a template file; every problem is listed with its key path.
    #[command(after_help = "Example:\n  sift template check labeling-templates/qa.toml")]
    Check {
        /// The template file (TOML).
        file: PathBuf,
    },
    /// Print a template as the labeling UI receives it (JSON).
    Show {
        /// The template file (TOML).
        file: PathBuf,
    },
}

fn sift_manifest_limit() -> usize {
    sift_api::ImportOptions::default().max_line_bytes
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out::new(cli.json);
    match run(cli.command, &out) {
        Ok(()) => {
            // What this command changed goes to the backup before the process ends.
            backup::ship_opened();
            ExitCode::SUCCESS
        }
        Err(err) => {
            let code = output::classify(&err);
            out.error(&err, code);
            if code.is_user_error() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

fn open(p: &ProjectArg) -> anyhow::Result<Project> {
    let project = Project::open(&p.project)?;
    backup::opened(&project, &p.project);
    Ok(project)
}

fn run(command: Command, out: &Out) -> anyhow::Result<()> {
    match command {
        Command::Init { dir, template, name } => {
            let project = sift_api::init_project(&dir, &template, name.as_deref())
                .with_context(|| format!("cannot create a project in {}", dir.display()))?;
            out.init(&project.info()?);
        }
        Command::Status { project } => status::status(&open(&project)?, out)?,
        Command::Model(command) => scoring::model(command, out)?,
        Command::Score(args) => scoring::score(args, out)?,
        Command::Queue(args) => scoring::queue(args, out)?,
        Command::Embed(args) => embed::embed(args, out)?,
        Command::Learn(args) => learn::learn(args, out)?,
        Command::Autolabel(args) => autolabel::autolabel(args, out)?,
        Command::Simulate(args) => simulate::simulate(args, out)?,
        Command::Report(args) => report::report(args, out)?,
        Command::Gold(command) => gold::run(command, out)?,
        Command::Sync(args) => sync::run(args, out)?,
        Command::Backup(command) => backup::run(command, out)?,
        Command::Batch(command) => batch::run(command, out)?,
        Command::Import {
            file,
            project,
            skip_invalid,
            require_media,
            max_line_bytes,
            format,
            media_root,
            data_only,
        } => {
            let mut project = open(&project)?;
            let actor = std::env::var("USER").ok();
            let opts = ImportOptions {
                skip_invalid,
                require_media,
                max_line_bytes,
                actor,
                format,
                media_root,
                data_only,
            };
            let report = project.import(&file, &opts, &Bar::new(out.is_json()))?;
            out.import(&report);
        }
        Command::Export {
            project,
            output,
            format,
            approved,
            batch,
            sft_style,
            dimensions,
            human_only,
            strict,
            consensus,
        } => {
            let project = open(&project)?;
            let quotas = project.quota_report()?;
            if !quotas.all_met {
                let table = status::quota_table(&quotas);
                if strict {
                    return Err(sift_api::Error::Conflict(format!(
                        "not exported: a dataset target is not met (--strict){table}"
                    ))
                    .into());
                }
                output::stderr(&format!("warning: a dataset target is not met{table}"));
            }
            let opts = ExportOptions {
                format,
                approved_only: approved,
                batch,
                sft_style,
                dimensions,
                human_only,
                consensus,
            };
            if output.as_os_str() == "-" {
                let stdout = std::io::stdout();
                let mut lock = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
                project.export_to_writer(&mut lock, &opts, &Bar::new(true))?;
                std::io::Write::flush(&mut lock).context("cannot write to standard output")?;
            } else {
                out.export(&project.export_to_path(&output, &opts, &Bar::new(out.is_json()))?);
            }
        }
        Command::Annotate {
            item,
            project,
            annotator,
            payload,
            payload_file,
            submit,
            time_spent_ms,
        } => {
            let text = match (payload, payload_file) {
                (Some(text), _) => text,
                (None, Some(path)) if path.as_os_str() == "-" => std::io::read_to_string(std::io::stdin())
                    .context("cannot read the payload from standard input")?,
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read payload file {}", path.display()))?,
                (None, None) => anyhow::bail!("give --payload or --payload-file"),
            };
            let payload: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| sift_api::Error::BadRequest(format!("the payload is not JSON: {e}")))?;
            let mut project = open(&project)?;
            let view = if submit {
                project.submit(item, &annotator, &payload, time_spent_ms)?
            } else {
                project.save_draft(item, &annotator, &payload, time_spent_ms)?
            };
            out.annotation(&view);
        }
        Command::Review(ReviewCommand::Pending { project, limit }) => {
            out.pending(&open(&project)?.pending_reviews(limit)?)
        }
        Command::Review(ReviewCommand::Approve {
            annotation,
            version,
            project,
            reviewer,
        }) => {
            let input = ReviewInput {
                annotation_id: annotation,
                version,
                reviewer: &reviewer,
                decision: Decision::Approved,
                comment: None,
                anchor: None,
            };
            out.annotation(&open(&project)?.review(&input)?);
        }
        Command::Review(ReviewCommand::Return {
            annotation,
            version,
            project,
            reviewer,
            comment,
            anchor,
        }) => {
            let anchor = anchor
                .map(|a| serde_json::from_str(&a))
                .transpose()
                .map_err(|e| sift_api::Error::BadRequest(format!("--anchor is not JSON: {e}")))?;
            let input = ReviewInput {
                annotation_id: annotation,
                version,
                reviewer: &reviewer,
                decision: Decision::Returned,
                comment: Some(&comment),
                anchor,
            };
            out.annotation(&open(&project)?.review(&input)?);
        }
        Command::Template(TemplateCommand::Show { file }) => {
            output::stdout(&format!(
                "{}\n",
                serde_json::to_string_pretty(&sift_api::template_file_json(&file)?)?
            ));
        }
        Command::Template(TemplateCommand::Check { file }) => {
            out.template_check(&sift_api::check_template_file(&file)?);
        }
        Command::Annotator(AnnotatorCommand::Add { name, project, role }) => {
            let (row, token) = open(&project)?.add_annotator(&name, role)?;
            out.annotator_added(&row, &token);
        }
        Command::Serve {
            project,
            host,
            port,
            ui,
            tls_cert,
            tls_key,
            insecure_http,
            allow_host,
        } => {
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(sift_server::TlsFiles { cert, key }),
                _ => None,
            };
            let opts = serve::ServeOptions {
                host,
                port,
                ui,
                tls,
                insecure_http,
                allow_host,
            };
            serve::serve(project, opts, out)?
        }
        Command::Annotator(AnnotatorCommand::List { project }) => {
            out.annotators(&open(&project)?.annotators()?)
        }
        Command::Annotator(AnnotatorCommand::ResetToken { name, project }) => {
            let token = open(&project)?.reset_token(&name)?;
            out.token(&name, &token);
        }
    }
    Ok(())
}
