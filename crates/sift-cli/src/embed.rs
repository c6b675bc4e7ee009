//! `sift embed`: every item's vector from a registered encoder, computed once per encoder
//! version and stored in the project (ONNX Runtime; resumable, cancellable).

use clap::Args;
use sift_api::{EmbedOptions, ModelInfo, Project};
use sift_onnx::ModelConfig;

use crate::ProjectArg;
use crate::output::Out;
use crate::progress::Bar;
use crate::scoring::{RunArgs, api_error, cancel_after_batch, failure_lines};

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
    /// Embed at most this many items.
    #[arg(long)]
    limit: Option<u64>,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    worker: crate::shard::WorkerArgs,
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
        limit,
        run,
        worker,
    } = args;
    if worker.is_worker() {
        return crate::shard::run_worker(crate::shard::Work::Embed, &worker, model.as_deref(), &run, out);
    }
    let options = run.options()?;
    let mut project = crate::open(&project)?;
    let (model, config) = encoder_model(&project, model.as_deref())?;
    let mut encoder =
        sift_onnx::open_registered_encoder(&model.path, &model.row.config, &model.dir, &options)
            .map_err(api_error)?;
    for note in encoder.notes() {
        crate::output::stderr(&format!("{note}\n"));
    }
    let batch_size = encoder.batch_size(run.batch_size(&config));
    let cancel = cancel_after_batch();
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
            t.push_str(&failure_lines(&report.failures));
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
