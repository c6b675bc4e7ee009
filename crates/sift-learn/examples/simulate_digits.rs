//! Runs the digits simulation and prints the report (and, with `--plot FILE.svg`, the learning
//! curves; with `--json FILE`, the whole report; `--diverse` for diversified arms; `--seeds N`,
//! `--threads N`, `--tol T` (the head's tolerance), `--cold` (no warm starts)).
//!
//! `cargo run --release -p sift-learn --example simulate_digits -- --plot curves.svg`

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/digits.rs"]
mod digits;

use std::time::Instant;

use sift_learn::{Arm, PlotOptions, SimConfig, SimData, learning_curves_svg, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (x, y) = digits::digits();
    let mut config = SimConfig {
        seconds_per_label: Some(30.0),
        cost_per_hour: Some(40.0),
        ..SimConfig::default()
    };
    if let Some(n) = value("--seeds") {
        config.seeds = (0..n.parse()?).collect();
    }
    if let Some(t) = value("--threads") {
        config.threads = t.parse()?;
    }
    if args.iter().any(|a| a == "--diverse") {
        config.arms = Arm::standard(true);
    }
    if let Some(t) = value("--tol") {
        config.head.tol = t.parse()?;
    }
    if args.iter().any(|a| a == "--cold") {
        config.warm_start = false;
    }
    let data = SimData {
        features: &x,
        n: y.len(),
        d: 64,
        labels: &y,
    };
    let start = Instant::now();
    let report = simulate(&data, &config)?;
    let seconds = start.elapsed().as_secs_f64();
    println!("{report}");
    println!(
        "\nsimulation time: {seconds:.2} s ({} seeds x {} arms x {} rounds)",
        config.seeds.len(),
        config.arms.len(),
        config.rounds
    );
    if let Some(path) = value("--plot") {
        std::fs::write(&path, learning_curves_svg(&report, &PlotOptions::default())?)?;
        println!("plot written to {path}");
    }
    if let Some(path) = value("--json") {
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
        println!("report written to {path}");
    }
    Ok(())
}
