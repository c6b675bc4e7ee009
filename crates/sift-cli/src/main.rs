//! `sift`: every lead task without the window.
//!
//! Each subcommand is a thin adapter over `sift-api`: parse arguments, call one use case,
//! print the result as text (or JSON with `--json`). Exit codes: 0 success, 1 the user's
//! error (bad input, missing file, invalid state), 2 an internal error.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod output;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use sift_api::{ExportFormat, ExportOptions, ImportFormat, ImportOptions, Project, Role};
use sift_error::{Code, ErrorCode};

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
    #[arg(long, short = 'p', env = "SIFT_PROJECT", default_value = ".")]
    project: PathBuf,
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
        after_help = "Import is all or nothing: the first invalid line stops it and nothing is imported,\nunless --skip-invalid is given. Re-importing the same lines adds nothing.\n\nExamples:\n  sift import manifests/batch-01.jsonl -p reviews\n  sift import export.json -p reviews --skip-invalid"
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
        /// Longest accepted line, in bytes.
        #[arg(long, default_value_t = sift_manifest_limit())]
        max_line_bytes: usize,
        /// gt or label-studio (default: .jsonl/.manifest files are gt, others are sniffed).
        #[arg(long)]
        format: Option<ImportFormat>,
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
        #[arg(long, short = 'f', default_value = "gt")]
        format: ExportFormat,
        /// Only approved annotations.
        #[arg(long)]
        approved: bool,
        /// Only items of this batch.
        #[arg(long)]
        batch: Option<String>,
    },
    /// Manage annotators, reviewers and leads.
    #[command(subcommand)]
    Annotator(AnnotatorCommand),
}

#[derive(Debug, Subcommand)]
enum AnnotatorCommand {
    /// Add a person and print their access token (shown once; only a hash is stored).
    #[command(after_help = "Example:\n  sift annotator add alice -p reviews --role reviewer")]
    Add {
        name: String,
        #[command(flatten)]
        project: ProjectArg,
        /// annotator, reviewer or lead.
        #[arg(long, default_value = "annotator")]
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

fn sift_manifest_limit() -> usize {
    sift_api::ImportOptions::default().max_line_bytes
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out::new(cli.json);
    match run(cli.command, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = classify(&err);
            out.error(&err, code);
            if code.is_user_error() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

/// The boundary code of the first `sift_api::Error` in the chain (internal if none).
fn classify(err: &anyhow::Error) -> Code {
    err.chain()
        .find_map(|e| e.downcast_ref::<sift_api::Error>().map(ErrorCode::code))
        .or_else(|| {
            err.chain()
                .find_map(|e| e.downcast_ref::<std::io::Error>().map(|_| Code::Io))
        })
        .unwrap_or(Code::Internal)
}

fn open(p: &ProjectArg) -> anyhow::Result<Project> {
    Ok(Project::open(&p.project)?)
}

fn run(command: Command, out: &Out) -> anyhow::Result<()> {
    match command {
        Command::Init { dir, template, name } => {
            let project = sift_api::init_project(&dir, &template, name.as_deref())
                .with_context(|| format!("cannot create a project in {}", dir.display()))?;
            out.init(&project.info()?);
        }
        Command::Status { project } => out.status(&open(&project)?.status()?),
        Command::Import {
            file,
            project,
            skip_invalid,
            require_media,
            max_line_bytes,
            format,
        } => {
            let mut project = open(&project)?;
            let actor = std::env::var("USER").ok();
            let opts = ImportOptions {
                skip_invalid,
                require_media,
                max_line_bytes,
                actor,
                format,
            };
            let report = project.import(&file, &opts, &Bar::new(out.quiet_progress()))?;
            out.import(&report);
        }
        Command::Export {
            project,
            output,
            format,
            approved,
            batch,
        } => {
            let project = open(&project)?;
            let opts = ExportOptions {
                format,
                approved_only: approved,
                batch,
            };
            if output.as_os_str() == "-" {
                let stdout = std::io::stdout();
                let mut lock = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
                project.export_to_writer(&mut lock, &opts, &Bar::new(true))?;
                std::io::Write::flush(&mut lock).context("cannot write to standard output")?;
            } else {
                out.export(&project.export_to_path(&output, &opts, &Bar::new(out.quiet_progress()))?);
            }
        }
        Command::Annotator(AnnotatorCommand::Add { name, project, role }) => {
            let (row, token) = open(&project)?.add_annotator(&name, role)?;
            out.annotator_added(&row, &token);
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
