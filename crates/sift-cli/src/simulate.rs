//! `sift simulate`: the labeling-cost case measured on a pool whose true labels sit in a
//! manifest field. Replays the loop with the built-in head (random order against each
//! uncertainty strategy, several seeds) and prints the labels, hours and money each strategy
//! saves, with the learning curves as SVG. A thin adapter over `Project::simulate`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use sift_api::SimulateOptions;

use crate::ProjectArg;
use crate::output::Out;

#[derive(Debug, Args)]
#[command(
    after_help = "Nobody is asked anything: the true labels come from --truth. Within a seed every strategy starts\nfrom the same labeled set, takes the same batch size and is tested on the same held-out items;\nthe same seed gives the same numbers. With --json the whole report is printed as JSON.\n\nExamples:\n  sift simulate -p digits --truth truth --seeds 20 --target 0.9 --plot curves.svg\n  sift simulate -p digits --truth truth --plot curves.png\n  sift simulate -p proj --truth truth --features embeddings:all-minilm-l6-v2@1 \\\n      --seconds-per-label 30 --cost-per-hour 40 --diverse"
)]
pub struct SimulateArgs {
    #[command(flatten)]
    project: ProjectArg,
    /// The manifest field holding each item's true class.
    #[arg(long)]
    truth: String,
    /// `embeddings:NAME@VERSION` or `field:NAME` (default as for `sift learn`).
    #[arg(long)]
    features: Option<String>,
    /// Number of seeds, 0 to N-1 (default 20).
    #[arg(long)]
    seeds: Option<u64>,
    /// Target test accuracy (repeat for several; default 0.8, 0.9 and 0.95).
    #[arg(long = "target")]
    targets: Vec<f64>,
    /// Seconds a person takes per label (for the cost table).
    #[arg(long)]
    seconds_per_label: Option<f64>,
    /// What an hour of labeling costs (for the cost table).
    #[arg(long)]
    cost_per_hour: Option<f64>,
    /// Also run each strategy diversified (cluster the uncertain items).
    #[arg(long)]
    diverse: bool,
    /// Labels before the first round (default 10).
    #[arg(long)]
    initial: Option<usize>,
    /// Labels per round (default 10).
    #[arg(long)]
    batch: Option<usize>,
    /// Rounds per run (default 40).
    #[arg(long)]
    rounds: Option<usize>,
    /// Share of the items held out for testing (default a third).
    #[arg(long)]
    test_fraction: Option<f64>,
    /// Worker threads (the numbers do not depend on it).
    #[arg(long)]
    threads: Option<usize>,
    /// Draw the learning curves with their spread to this file (.svg or .png).
    #[arg(long)]
    plot: Option<PathBuf>,
}

pub fn simulate(args: SimulateArgs, out: &Out) -> anyhow::Result<()> {
    let png = match args
        .plot
        .as_ref()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
    {
        _ if args.plot.is_none() => false,
        Some(e) if e.eq_ignore_ascii_case("svg") => false,
        Some(e) if e.eq_ignore_ascii_case("png") => true,
        _ => {
            return Err(sift_api::Error::BadRequest(format!(
                "--plot {}: the learning curves are written as SVG or PNG; name a .svg or .png file",
                args.plot
                    .as_deref()
                    .unwrap_or_else(|| std::path::Path::new(""))
                    .display()
            ))
            .into());
        }
    };
    let project = crate::open(&args.project)?;
    let started = std::time::Instant::now();
    let report = project.simulate(&SimulateOptions {
        truth: args.truth,
        features: args.features,
        seeds: args.seeds,
        targets: args.targets,
        seconds_per_label: args.seconds_per_label,
        cost_per_hour: args.cost_per_hour,
        diverse: args.diverse,
        initial: args.initial,
        batch: args.batch,
        rounds: args.rounds,
        test_fraction: args.test_fraction,
        threads: args.threads,
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(plot) = &args.plot {
        let bytes = if png {
            sift_api::learning_curves_png(&report)?
        } else {
            sift_api::learning_curves_svg(&report)?.into_bytes()
        };
        std::fs::write(plot, bytes)
            .with_context(|| format!("cannot write the plot to {}", plot.display()))?;
    }
    out.emit(&report, || {
        let mut t = format!("{report}\n\nSimulated in {seconds:.2} s\n");
        if let Some(plot) = &args.plot {
            t.push_str(&format!("Learning curves written to {}\n", plot.display()));
        }
        t
    });
    Ok(())
}
