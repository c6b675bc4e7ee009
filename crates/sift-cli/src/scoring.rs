//! Active learning on the command line: `sift model add|list`, `sift score`, `sift queue`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sift_api::{NewModel, QueueOptions, ScoreOptions, Strategy};
use sift_onnx::{Device, ModelConfig, OnnxError, ScorerOptions};

use crate::ProjectArg;
use crate::output::Out;
use crate::progress::Bar;

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Register an ONNX model version; its inputs and outputs are checked against the config.
    #[command(
        after_help = "The config names the input adapter (image, text, features, ranking) and how to read the\noutput; see docs/active-learning.md. Adding the same name again makes a new version.\n\nExample:\n  sift model add digits.onnx --config digits.toml -p proj"
    )]
    Add {
        /// The model file (.onnx).
        file: PathBuf,
        /// The model config (TOML).
        #[arg(long, short = 'c')]
        config: PathBuf,
        /// Registry name (default: the config's `name`, else the file name).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// List registered model versions and how many items each has scored.
    #[command(after_help = "Example:\n  sift model list -p proj")]
    List {
        #[command(flatten)]
        project: ProjectArg,
    },
}

#[derive(Debug, Args)]
#[command(
    after_help = "Scores every unlabeled item the model version has not scored yet, saving each batch as it\ncompletes: Ctrl-C stops after the current batch, and running the command again resumes.\nItems whose media cannot be read are recorded with the reason and skipped.\n\nExamples:\n  sift score -p proj\n  sift score -p proj --model photos@2 --device cuda --batch-size 64\n  sift score --model photos@2 --shard 3/8 --from-bucket --pool-bucket pool   # a worker (docs/scale-out.md)"
)]
pub struct ScoreArgs {
    #[command(flatten)]
    project: ProjectArg,
    /// NAME or NAME@VERSION (default: the newest model added).
    #[arg(long, short = 'm')]
    model: Option<String>,
    /// Score at most this many items.
    #[arg(long)]
    limit: Option<u64>,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    worker: crate::shard::WorkerArgs,
}

/// How a model runs: the options `sift score` and `sift embed` share.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// auto (CUDA if available, else CPU), cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Items per model call (default: the config's batch_size, else 32).
    #[arg(long)]
    batch_size: Option<usize>,
    /// ONNX Runtime threads per operator on the CPU (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Threads decoding and preprocessing items (default: all cores).
    #[arg(long)]
    workers: Option<usize>,
}

impl RunArgs {
    /// The ONNX Runtime options these flags ask for.
    pub fn options(&self) -> anyhow::Result<ScorerOptions> {
        let device: Device = self.device.parse().map_err(api_error)?;
        Ok(ScorerOptions {
            device,
            intra_threads: self.threads,
            workers: self.workers,
        })
    }

    /// `--batch-size`, else the config's, else 32.
    pub fn batch_size(&self, config: &ModelConfig) -> usize {
        self.batch_size.or(config.batch_size).unwrap_or(32)
    }
}

/// Stops a model run after the batch in flight on the first Ctrl-C (what was saved stays; a
/// second Ctrl-C stops at once).
pub fn cancel_after_batch() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    crate::interrupt::cancel_on_ctrl_c("cancelling after the current batch (Ctrl-C again to stop at once)…")
}

/// The first 20 failures of a run, one line each.
pub fn failure_lines(failures: &[sift_api::ScoreFailure]) -> String {
    failures
        .iter()
        .take(20)
        .map(|f| format!("  item {}: {}\n", f.item_id, f.reason))
        .collect()
}

#[derive(Debug, Args)]
#[command(
    after_help = "Takes the most informative unlabeled items that are in no batch yet and makes them a batch in\nthat order; with --assign they are dealt out round-robin (to --overlap K different people per item for\nindependent annotations), and each annotator's queue serves them most informative first.\n\nExamples:\n  sift queue -p proj --size 100 --strategy margin --assign alice,bob\n  sift queue -p proj --size 100 --strategy margin --assign alice,bob,carol --overlap 3\n  sift queue -p proj --size 50 --strategy entropy --diverse --name week-42"
)]
pub struct QueueArgs {
    #[command(flatten)]
    project: ProjectArg,
    /// Items in the batch.
    #[arg(long, short = 'k')]
    size: usize,
    /// Uncertainty strategy: which items count as most informative.
    #[arg(
        long,
        short = 's',
        default_value = "entropy",
        value_parser = crate::choices::unparsed(Strategy::ALL.map(Strategy::name)),
    )]
    strategy: String,
    /// Spread the batch over different kinds of items ("cluster the uncertain").
    #[arg(long)]
    diverse: bool,
    /// Annotators to assign the batch to, comma-separated.
    #[arg(long, value_delimiter = ',')]
    assign: Vec<String>,
    /// Batch name (default: MODEL-vVERSION-STRATEGY-N).
    #[arg(long)]
    name: Option<String>,
    /// NAME or NAME@VERSION whose scores to use (default: the newest version with scores).
    #[arg(long, short = 'm')]
    model: Option<String>,
    /// Independent annotations per item: each item goes to this many different people of
    /// --assign, and counts as done when that many have submitted.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    overlap: u32,
}

/// An adapter error as the API error that picks the exit code and `--json` code.
pub(crate) fn api_error(e: OnnxError) -> sift_api::Error {
    match e {
        OnnxError::RuntimeMissing(m) | OnnxError::Cuda(m) => sift_api::Error::Unavailable(m),
        OnnxError::Runtime(m) => sift_api::Error::Internal(format!("ONNX Runtime: {m}")),
        other => sift_api::Error::BadRequest(other.to_string()),
    }
}

pub fn model(command: ModelCommand, out: &Out) -> anyhow::Result<()> {
    match command {
        ModelCommand::Add {
            file,
            config,
            name,
            project,
        } => {
            let mut project = crate::open(&project)?;
            let checked = sift_onnx::check_model(&file, &config).map_err(api_error)?;
            let signature = serde_json::to_string(&checked.signature)?;
            let info = project.add_model(&NewModel {
                name: name.unwrap_or(checked.name),
                model_file: file,
                config: checked.stored_config,
                assets: checked.assets,
                signature: Some(signature),
            })?;
            let value = serde_json::json!({
                "model": info.row.name, "version": info.row.version, "file_hash": info.row.file_hash,
                "path": info.path, "adapter": checked.adapter, "signature": checked.signature,
                "encoder": checked.encoder,
            });
            out.emit(&value, || {
                let list = |t: &[sift_onnx::TensorInfo]| {
                    t.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                };
                format!(
                    "Added {} ({} adapter{}, blake3 {}…) at {}\n  inputs:  {}\n  outputs: {}\nNext: sift {} -p PROJECT --model {}\n",
                    info.label(),
                    checked.adapter,
                    if checked.encoder {
                        format!(", encoder: {}", checked.output)
                    } else {
                        String::new()
                    },
                    info.row.file_hash.get(..12).unwrap_or_default(),
                    info.path.display(),
                    list(&checked.signature.inputs),
                    list(&checked.signature.outputs),
                    if checked.encoder { "embed" } else { "score" },
                    info.label()
                )
            });
        }
        ModelCommand::List { project } => {
            let project = crate::open(&project)?;
            let models = project.models()?;
            let counts = project.model_scores()?;
            let vectors = project.embedding_counts()?;
            let embedded = |id: i64| {
                vectors
                    .iter()
                    .find(|v| v.model_version_id == id)
                    .map_or(0, |v| v.items)
            };
            let rows: Vec<serde_json::Value> = models
                .iter()
                .map(|m| {
                    let c = counts.iter().find(|c| c.model_version_id == m.row.id);
                    serde_json::json!({
                        "model": m.row.name, "version": m.row.version, "added_at": m.row.added_at,
                        "file_hash": m.row.file_hash, "path": m.path,
                        "items_scored": c.map_or(0, |c| c.items_scored),
                        "items_failed": c.map_or(0, |c| c.items_failed),
                        "items_with_vectors": embedded(m.row.id),
                    })
                })
                .collect();
            out.emit(&rows, || {
                if models.is_empty() {
                    return "No models yet: add one with `sift model add MODEL.onnx --config model.toml`.\n"
                        .into();
                }
                let mut t = format!(
                    "  {:<28} {:<26} {:>9} {:>7} {:>8}  hash\n",
                    "model", "added", "scored", "failed", "vectors"
                );
                for m in &models {
                    let c = counts.iter().find(|c| c.model_version_id == m.row.id);
                    t.push_str(&format!(
                        "  {:<28} {:<26} {:>9} {:>7} {:>8}  {}\n",
                        m.label(),
                        m.row.added_at,
                        c.map_or(0, |c| c.items_scored),
                        c.map_or(0, |c| c.items_failed),
                        embedded(m.row.id),
                        m.row.file_hash.get(..12).unwrap_or_default()
                    ));
                }
                t
            });
        }
    }
    Ok(())
}

pub fn score(args: ScoreArgs, out: &Out) -> anyhow::Result<()> {
    let ScoreArgs {
        project,
        model,
        limit,
        run,
        worker,
    } = args;
    if worker.is_worker() {
        return crate::shard::run_worker(crate::shard::Work::Score, &worker, model.as_deref(), &run, out);
    }
    let options = run.options()?;
    let mut project = crate::open(&project)?;
    let model = project.model(model.as_deref())?;
    let config = ModelConfig::parse(&model.row.config, &format!("stored config of {}", model.label()))
        .map_err(api_error)?;
    let mut scorer = sift_onnx::open_registered(&model.path, &model.row.config, &model.dir, &options)
        .map_err(api_error)?;
    for note in scorer.notes() {
        crate::output::stderr(&format!("{note}\n"));
    }
    let batch_size = scorer.batch_size(run.batch_size(&config));
    let cancel = cancel_after_batch();
    let report = project.score(
        &model,
        &mut scorer,
        &ScoreOptions { batch_size, limit },
        &Bar::new(out.is_json()),
        &cancel,
    )?;
    out.emit(&report, || {
        let mut t = format!(
            "{} {} items with {}@{} on {} ({}) in {:.1} s ({:.0} items/s)",
            if report.cancelled {
                "Cancelled after scoring"
            } else {
                "Scored"
            },
            report.items_scored,
            report.model,
            report.version,
            report.device,
            report.runtime_version,
            report.seconds,
            report.items_per_second
        );
        if report.already_scored > 0 {
            t.push_str(&format!("; {} already scored, skipped", report.already_scored));
        }
        t.push('\n');
        if report.items_failed > 0 {
            t.push_str(&format!("{} items could not be scored:\n", report.items_failed));
            t.push_str(&failure_lines(&report.failures));
        }
        if report.cancelled {
            t.push_str("Run `sift score` again to resume.\n");
        } else {
            t.push_str("Next: sift queue -p PROJECT --size 100 --strategy entropy --assign NAME\n");
        }
        t
    });
    if report.cancelled {
        std::process::exit(130);
    }
    Ok(())
}

pub fn queue(args: QueueArgs, out: &Out) -> anyhow::Result<()> {
    let strategy: Strategy = args
        .strategy
        .parse()
        .map_err(|e: <Strategy as std::str::FromStr>::Err| sift_api::Error::BadRequest(e.to_string()))?;
    let mut project = crate::open(&args.project)?;
    let report = project.build_queue(&QueueOptions {
        size: args.size,
        strategy,
        diverse: args.diverse,
        assign: args
            .assign
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        name: args.name,
        model: args.model,
        overlap: args.overlap,
    })?;
    out.emit(&report, || {
        let mut t = format!(
            "Batch {:?}: {} of {} candidates by {}{} ({}@{}){}\n",
            report.batch,
            report.items.len(),
            report.candidates,
            report.strategy,
            if report.diverse { ", diverse" } else { "" },
            report.model,
            report.version,
            if report.assigned_to.is_empty() {
                String::new()
            } else if report.overlap > 1 {
                format!(
                    ", assigned to {} ({} annotations per item)",
                    report.assigned_to.join(", "),
                    report.overlap
                )
            } else {
                format!(", assigned to {}", report.assigned_to.join(", "))
            }
        );
        t.push_str("      #     item   score\n");
        for (i, e) in report.items.iter().enumerate() {
            t.push_str(&format!("  {:>5} {:>8}  {:.4}\n", i + 1, e.item_id, e.score));
        }
        t
    });
    Ok(())
}
