//! Scoring and embedding in shards on the command line (issue 19): the worker's side of
//! `sift score --shard I/N --from-bucket` and `sift embed --shard I/N --from-bucket` (bucket
//! settings from flags or `SIFT_*` variables, credentials from the AWS chain, no project
//! file), and the lead's `sift sync push --pool`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use sift_api::shards::{Shard, WorkerOptions, WorkerReport};
use sift_api::{Project, SyncConfig, SyncRole};
use sift_onnx::ModelConfig;
use sift_s3::{S3Store, Tuning};

use crate::output::Out;
use crate::progress::Bar;
use crate::scoring::{RunArgs, api_error, cancel_after_batch};

/// A worker's flags: which shard, and the bucket (no project file).
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Work as a worker on shard I of N (0-based) of the pool in the bucket, without a project.
    /// Without it, the index comes from JOB_COMPLETION_INDEX (Kubernetes), SLURM_ARRAY_TASK_ID
    /// (Slurm) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch) when --from-bucket is given.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// How many shards, when the index comes from the scheduler's environment.
    #[arg(long, env = "SIFT_SHARD_COUNT", value_name = "N")]
    shards: Option<u32>,
    /// Read the pool and the model from the bucket (a worker: no project file is used).
    #[arg(long)]
    from_bucket: bool,
    /// The pool's bucket.
    #[arg(long, env = "SIFT_BUCKET", value_name = "BUCKET")]
    pool_bucket: Option<String>,
    /// Key prefix inside the buckets.
    #[arg(long, env = "SIFT_PREFIX", value_name = "PREFIX")]
    pool_prefix: Option<String>,
    /// Endpoint URL of an S3-compatible store.
    #[arg(long, env = "SIFT_ENDPOINT", value_name = "URL")]
    endpoint: Option<String>,
    /// Region (`garage` for Garage).
    #[arg(long, env = "SIFT_REGION", value_name = "REGION")]
    region: Option<String>,
    /// Path-style addressing.
    #[arg(long, env = "SIFT_PATH_STYLE")]
    path_style: bool,
    /// The bucket results go to (default: the pool's bucket).
    #[arg(long, env = "SIFT_RESULTS_BUCKET", value_name = "BUCKET")]
    results_bucket: Option<String>,
    /// Result lines per segment written (a killed worker redoes at most this many items).
    #[arg(long, env = "SIFT_SEGMENT_ITEMS", default_value_t = 5000)]
    segment_items: usize,
    /// Where pulled models are kept.
    #[arg(long, env = "SIFT_MODEL_CACHE", value_name = "DIR")]
    model_cache: Option<PathBuf>,
}

impl WorkerArgs {
    /// Whether these flags ask for a worker run.
    pub fn is_worker(&self) -> bool {
        self.from_bucket || self.shard.is_some()
    }

    fn shard(&self) -> anyhow::Result<Shard> {
        if let Some(text) = &self.shard {
            return Ok(Shard::parse(text)?);
        }
        Shard::from_env(self.shards, &|k| std::env::var(k).ok())?.ok_or_else(|| {
            anyhow::anyhow!(sift_api::Error::BadRequest(
                "no shard: pass --shard I/N, or run under a scheduler that sets JOB_COMPLETION_INDEX, \
                 SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX"
                    .into()
            ))
        })
    }

    fn config(&self) -> anyhow::Result<SyncConfig> {
        anyhow::ensure!(
            self.from_bucket,
            "--shard works on the pool in the bucket: add --from-bucket (and --pool-bucket or SIFT_BUCKET)"
        );
        let bucket = self
            .pool_bucket
            .clone()
            .context("no pool bucket: pass --pool-bucket or set SIFT_BUCKET")?;
        let mut c = SyncConfig::new(&bucket, SyncRole::Lead);
        c.prefix = self.pool_prefix.clone().unwrap_or_default();
        c.endpoint = self.endpoint.clone();
        c.region = self.region.clone();
        c.path_style = self.path_style;
        let c = c.normalized();
        c.validate()?;
        Ok(c)
    }
}

/// The pool's store and the results' store.
fn stores(args: &WorkerArgs) -> anyhow::Result<(S3Store, Option<Box<dyn sift_api::ObjectStore>>)> {
    let config = args.config()?;
    let pool = S3Store::connect(&config, Tuning::from_env())
        .map_err(sift_api::Error::from)
        .context("cannot set up S3")?;
    let results = match args.results_bucket.as_deref().filter(|b| !b.is_empty()) {
        Some(b) => Some(sift_api::ObjectStore::sibling(&pool, b).map_err(sift_api::Error::from)?),
        None => None,
    };
    Ok((pool, results))
}

/// What a worker runs.
#[derive(Debug, Clone, Copy)]
pub enum Work {
    /// `sift score`.
    Score,
    /// `sift embed`.
    Embed,
}

/// `sift score|embed --shard I/N --from-bucket --model NAME@VERSION`.
pub fn run_worker(
    work: Work,
    args: &WorkerArgs,
    model: Option<&str>,
    run: &RunArgs,
    out: &Out,
) -> anyhow::Result<()> {
    let shard = args.shard()?;
    let label = model.context("a worker needs --model NAME@VERSION (as the lead published it)")?;
    let (pool, results) = stores(args)?;
    let results: &dyn sift_api::ObjectStore = results.as_deref().unwrap_or(&pool);
    let cache = match &args.model_cache {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join("sift-models"),
    };
    let pulled = sift_api::shards::fetch_model(&pool, label, &cache)?;
    let config = ModelConfig::parse(&pulled.doc.config, &format!("config of {label}")).map_err(api_error)?;
    let options = run.options()?;
    let cancel = cancel_after_batch();
    let progress = Bar::new(out.is_json());
    let mut opts = WorkerOptions {
        shard,
        batch_size: run.batch_size(&config),
        segment_items: args.segment_items.max(1),
        media_dir: Some(cache.join("media")),
    };
    let report = match work {
        Work::Score => {
            let mut scorer =
                sift_onnx::open_registered(&pulled.path, &pulled.doc.config, &pulled.dir, &options)
                    .map_err(api_error)?;
            opts.batch_size = scorer.batch_size(opts.batch_size);
            sift_api::shards::score_shard(&pool, results, label, &mut scorer, &opts, &progress, &cancel)?
        }
        Work::Embed => {
            let mut encoder =
                sift_onnx::open_registered_encoder(&pulled.path, &pulled.doc.config, &pulled.dir, &options)
                    .map_err(api_error)?;
            opts.batch_size = encoder.batch_size(opts.batch_size);
            sift_api::shards::embed_shard(&pool, results, label, &mut encoder, &opts, &progress, &cancel)?
        }
    };
    out.emit(&report, || worker_text(&report));
    if report.cancelled {
        std::process::exit(130);
    }
    Ok(())
}

fn worker_text(r: &WorkerReport) -> String {
    let mut t = format!(
        "{} shard {} with {}: {} items now ({} failed), {} done before, {} segments written, on {} ({}) in {:.1} s ({:.0} items/s)\n",
        r.kind,
        r.shard,
        r.model,
        r.items_done,
        r.items_failed,
        r.already_done,
        r.segments_written.len(),
        r.device,
        r.runtime,
        r.seconds,
        r.items_per_second
    );
    for key in &r.segments_ignored {
        t.push_str(&format!(
            "ignored incomplete segment {key} (its items were done again)\n"
        ));
    }
    t.push_str(if r.finished {
        "The shard is finished.\n"
    } else {
        "The shard is not finished: run the same command again to resume.\n"
    });
    t
}

/// `sift sync push --pool [--model NAME@VERSION]... [--workers-bucket B]`.
pub fn push_pool(
    project: &mut Project,
    store: &S3Store,
    models: &[String],
    workers_bucket: Option<&str>,
    media: bool,
    out: &Out,
) -> anyhow::Result<()> {
    if let Some(b) = workers_bucket {
        project.set_shard_results_bucket(Some(b))?;
    }
    let mut report = project.push_pool(store, media, &Bar::new(out.is_json()))?;
    for spec in models {
        let model = project.model(Some(spec))?;
        report.models.push(project.push_model(store, &model)?);
    }
    out.emit(&report, || {
        let mut t = format!(
            "pool: {} items in {} segments ({} written now, {} bytes) in {:.1} s\n",
            report.items, report.segments, report.segments_written, report.bytes_written, report.seconds
        );
        if report.media_files > 0 {
            t.push_str(&format!(
                "media: {} files uploaded ({} bytes)\n",
                report.media_files, report.media_bytes
            ));
        }
        for p in &report.problems {
            t.push_str(&format!("problem: {p}\n"));
        }
        for m in &report.models {
            t.push_str(&format!("model published: {m}\n"));
        }
        t
    });
    Ok(())
}

/// Shards done and missing per model version (`sift status`), as of the last pull.
pub fn progress_table(shards: &[sift_api::shards::ShardProgress]) -> String {
    let mut t = String::from("\n  shards of                        done  of N  segments  missing\n");
    for s in shards {
        let missing = if s.missing.is_empty() {
            "-".to_owned()
        } else {
            let mut m: Vec<String> = s.missing.iter().take(20).map(u32::to_string).collect();
            if s.missing.len() > 20 {
                m.push(format!("... ({} in all)", s.missing.len()));
            }
            m.join(",")
        };
        t.push_str(&format!(
            "  {:<30} {:>6} {:>5} {:>9}  {}\n",
            format!("{} {}", s.kind, s.model),
            s.done.len(),
            s.shards,
            s.segments_merged,
            missing
        ));
    }
    t
}
