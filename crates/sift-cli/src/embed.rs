//! `sift embed`: every item's vector from a registered encoder, computed once per encoder
//! version and stored in the project (ONNX Runtime; resumable, cancellable).

use std::path::PathBuf;

use clap::Args;
use sift_api::{EmbedOptions, ModelInfo, Project};
use sift_onnx::{Device, ModelConfig, ScorerOptions};

use crate::ProjectArg;
use crate::output::Out;
use crate::progress::Bar;
use crate::scoring::api_error;

#[derive(Debug, Args)]
#[command(
    after_help = "Computes a vector for every item (labeled or not) that the encoder version has none for yet,\nsaving each batch as it completes: Ctrl-C stops after the current batch, and running the command\nagain resumes. An encoder is a model whose config says output.kind = \"embedding\" (a [batch, d]\noutput); see docs/active-learning.md.\n\nExamples:\n  sift model add ~/.cache/sift/models/all-minilm-l6-v2/model.onnx \\\n      --config ~/.cache/sift/models/all-minilm-l6-v2/model.toml -p proj\n  sift embed -p proj\n  sift embed -p proj --model all-minilm-l6-v2@1 --device cuda --batch-size 128"
)]
pub struct EmbedArgs {
    #[command(flatten)]
    project: ProjectArg,
    /// NAME or NAME@VERSION of an encoder (default: the newest encoder added).
    #[arg(long, short = 'm')]
    model: Option<String>,
    /// auto (CUDA if available, else CPU), cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Items per model call (default: the config's batch_size, else 32).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Embed at most this many items.
    #[arg(long)]
    limit: Option<u64>,
    /// ONNX Runtime threads per operator on the CPU (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Threads reading and tokenizing items (default: all cores).
    #[arg(long)]
    workers: Option<usize>,
}

/// The encoder to run: `spec`, or the newest model version whose config declares an encoder.
fn encoder_model(project: &Project, spec: Option<&str>) -> anyhow::Result<(ModelInfo, ModelConfig)> {
    let parse = |m: &ModelInfo| {
        ModelConfig::parse(&m.row.config, &format!("stored config of {}", m.label())).map_err(api_error)
    };
    if let Some(spec) = spec {
        let model = project.model(Some(spec))?;
        let config = parse(&model)?;
        return Ok((model, config));
    }
    let mut models = project.models()?;
    models.sort_by_key(|m| std::cmp::Reverse(m.row.id));
    for model in models {
        let config = parse(&model)?;
        if config.is_encoder() {
            return Ok((model, config));
        }
    }
    Err(sift_api::Error::NotFound(
        "encoder in this project: register one with `sift model add MODEL.onnx --config model.toml`, \
         whose config says output.kind = \"embedding\" (`make setup` builds all-MiniLM-L6-v2 in \
         ~/.cache/sift/models/all-minilm-l6-v2)"
            .into(),
    )
    .into())
}

pub fn embed(args: EmbedArgs, out: &Out) -> anyhow::Result<()> {
    let EmbedArgs {
        project,
        model,
        device,
        batch_size,
        limit,
        threads,
        workers,
    } = args;
    let device: Device = device.parse().map_err(api_error)?;
    let mut project = crate::open(&project)?;
    let (model, config) = encoder_model(&project, model.as_deref())?;
    let model_path: PathBuf = model.path.clone();
    let mut encoder = sift_onnx::open_registered_encoder(
        &model_path,
        &model.row.config,
        &model.dir,
        &ScorerOptions {
            device,
            intra_threads: threads,
            workers,
        },
    )
    .map_err(api_error)?;
    for note in encoder.notes() {
        eprintln!("{note}");
    }
    let batch_size = encoder.batch_size(batch_size.or(config.batch_size).unwrap_or(32));
    // First Ctrl-C: finish what is in flight, save, stop; a second: stop at once.
    let cancel = crate::interrupt::cancel_on_ctrl_c(
        "cancelling after the current batch (Ctrl-C again to stop at once)…",
    );
    let report = project.embed(
        &model,
        &mut encoder,
        &EmbedOptions { batch_size, limit },
        &Bar::new(out.is_json()),
        &cancel,
    )?;
    out.emit(&report, || {
        let mut t = format!(
            "{} {} items with {}@{} on {} ({}) in {:.1} s ({:.0} items/s){}",
            if report.cancelled {
                "Cancelled after embedding"
            } else {
                "Embedded"
            },
            report.items_embedded,
            report.model,
            report.version,
            report.device,
            report.runtime_version,
            report.seconds,
            report.items_per_second,
            report
                .dim
                .map_or_else(String::new, |d| format!(", {d} dimensions"))
        );
        if report.already_embedded > 0 {
            t.push_str(&format!(
                "; {} already embedded, skipped",
                report.already_embedded
            ));
        }
        t.push('\n');
        if report.items_failed > 0 {
            t.push_str(&format!(
                "{} items could not be embedded (a rerun tries them again):\n",
                report.items_failed
            ));
            for f in report.failures.iter().take(20) {
                t.push_str(&format!("  item {}: {}\n", f.item_id, f.reason));
            }
        }
        if report.cancelled {
            t.push_str("Run `sift embed` again to resume.\n");
        }
        t
    });
    if report.cancelled {
        std::process::exit(130);
    }
    Ok(())
}
