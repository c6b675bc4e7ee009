//! Model-only throughput for the scoring benchmark (`bench/scoring/run.sh`): the images are
//! decoded and preprocessed once, up front, and only the model runs are timed, so that
//! `sift score`'s end-to-end rate can be compared with what the model alone allows.
//!
//! Usage: model_only MODEL.onnx MODEL.toml MANIFEST.jsonl [--device cpu|cuda[:N]] [--batch 32]
//!        [--images 2000] [--premade 320] [--json OUT]

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

use sift_api::ScoreInput;
use sift_onnx::{Device, ModelConfig, OnnxScorer, ScorerOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let positional: Vec<&String> = {
        let mut out = Vec::new();
        let mut skip = false;
        for a in &args {
            if skip {
                skip = false;
            } else if a.starts_with("--") {
                skip = true;
            } else {
                out.push(a);
            }
        }
        out
    };
    let [model, config, manifest] = positional.as_slice() else {
        return Err("usage: model_only MODEL.onnx MODEL.toml MANIFEST.jsonl [--device D] [--batch N] [--images N] [--premade N] [--json OUT]".into());
    };
    let device: Device = flag("--device").unwrap_or_else(|| "cpu".into()).parse()?;
    let batch: usize = flag("--batch").map_or(Ok(32), |v| v.parse())?;
    let images: usize = flag("--images").map_or(Ok(2000), |v| v.parse())?;
    let premade: usize = flag("--premade").map_or(Ok(320), |v| v.parse())?;
    let config_path = PathBuf::from(config);
    let config = ModelConfig::load(&config_path)?;
    let mut scorer = OnnxScorer::open(
        &PathBuf::from(model),
        &config,
        config_path.parent().unwrap_or(&PathBuf::from(".")),
        &ScorerOptions {
            device,
            ..ScorerOptions::default()
        },
    )?;
    let base = PathBuf::from(manifest)
        .parent()
        .map_or_else(|| PathBuf::from("."), std::path::Path::to_owned);
    let items: Vec<ScoreInput> = std::fs::read_to_string(manifest)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(premade)
        .enumerate()
        .map(|(i, l)| -> Result<ScoreInput, serde_json::Error> {
            let v: serde_json::Value = serde_json::from_str(l)?;
            Ok(ScoreInput {
                item_id: i as i64,
                content: l.to_owned(),
                media_ref: v["source-ref"]
                    .as_str()
                    .map(|r| base.join(r).display().to_string()),
            })
        })
        .collect::<Result<_, _>>()?;
    let batches: Vec<_> = items.chunks(batch).map(|c| scorer.prepare(c)).collect();
    if batches.is_empty() {
        return Err("no images in the manifest".into());
    }
    // Warm-up (CUDA initialises lazily).
    if let Some(first) = batches.first() {
        scorer.run_prepared(first.clone())?;
    }
    let start = Instant::now();
    let mut done = 0;
    for prepared in batches.iter().cycle() {
        if done >= images {
            break;
        }
        let results = scorer.run_prepared(prepared.clone())?;
        done += results.len();
    }
    let seconds = start.elapsed().as_secs_f64();
    let device = sift_api::BatchModel::describe(&scorer).device;
    println!(
        "model only: {done} images in {seconds:.2} s = {:.1} images/s ({device})",
        done as f64 / seconds
    );
    if let Some(out) = flag("--json") {
        std::fs::write(
            out,
            serde_json::json!({"images": done, "seconds": seconds, "images_per_second": done as f64 / seconds, "device": device})
                .to_string(),
        )?;
    }
    Ok(())
}
