//! Single-thread benchmark of `sift_al::score_rows` + `top_k` on a synthetic logit pool.
//!
//! Generates an `n x c` float32 logit pool from a fixed seed, writes it as a `.npy` file so
//! `bench/al/numpy_baseline.py` times numpy on the very same data, then times, on the calling
//! thread only:
//!
//! * per strategy: `score_rows` (all four scores, one softmax) followed by `top_k` for that
//!   strategy, i.e. the same work numpy does per strategy, and more;
//! * once: `score_rows` + the four `top_k` (the fused pass a real caller makes).
//!
//! Usage: `cargo run --release -p sift-al --example bench_scores -- [--rows N] [--classes C]
//! [--k K] [--repeats R] [--data PATH] [--json PATH]`. Run it via `bench/al/run.sh`.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::fs;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sift_al::{Input, SplitMix64, Strategy, score_rows};

struct Args {
    rows: usize,
    classes: usize,
    k: usize,
    repeats: usize,
    data: PathBuf,
    json: Option<PathBuf>,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut args = Args {
        rows: 1_000_000,
        classes: 10,
        k: 100,
        repeats: 7,
        data: PathBuf::from("bench/out/al_pool.npy"),
        json: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--rows" => args.rows = value.parse()?,
            "--classes" => args.classes = value.parse()?,
            "--k" => args.k = value.parse()?,
            "--repeats" => args.repeats = value.parse::<usize>()?.max(1),
            "--data" => args.data = PathBuf::from(value),
            "--json" => args.json = Some(PathBuf::from(value)),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(args)
}

/// sift-al's SplitMix64, so the pool is reproducible without a dependency.
struct Rng(SplitMix64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1_u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Logits with a realistic spread: noise plus a boost of random size on one random class.
fn make_pool(rows: usize, classes: usize) -> Vec<f32> {
    let mut rng = Rng(SplitMix64::new(0x005e_eda1));
    let mut pool = Vec::with_capacity(rows * classes);
    for _ in 0..rows {
        let start = pool.len();
        for _ in 0..classes {
            pool.push((2.0 * rng.normal()) as f32);
        }
        let winner = (rng.next_u64() % classes as u64) as usize;
        let boost = (6.0 * rng.unit()) as f32;
        if let Some(z) = pool.get_mut(start + winner) {
            *z += boost;
        }
    }
    pool
}

/// Writes a C-order little-endian float32 `.npy` (format 1.0).
fn write_npy(path: &Path, data: &[f32], rows: usize, classes: usize) -> Result<(), Box<dyn Error>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {classes}), }}");
    // Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = BufWriter::new(fs::File::create(path)?);
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&u16::try_from(header.len())?.to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    for value in data {
        out.write_all(&value.to_le_bytes())?;
    }
    out.flush()?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// (min, median) in milliseconds.
fn summary(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort_unstable();
    let min = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    (ms(min), ms(median))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let pool = make_pool(args.rows, args.classes);
    write_npy(&args.data, &pool, args.rows, args.classes)?;

    let mut json = String::from("{\"tool\": \"sift-al\", \"strategies\": {");
    println!(
        "sift-al: {} x {} f32 logits, top-{}, {} repeats, one thread",
        args.rows, args.classes, args.k, args.repeats
    );
    for (i, strategy) in Strategy::ALL.into_iter().enumerate() {
        let mut times = Vec::with_capacity(args.repeats);
        let mut top = Vec::new();
        for _ in 0..args.repeats {
            let start = Instant::now();
            let scores = score_rows(black_box(&pool), args.classes, Input::Logits)?;
            top = black_box(scores.top_k(strategy, args.k));
            times.push(start.elapsed());
        }
        let (min, median) = summary(times);
        println!(
            "  {strategy:<17} score_rows + top-{}: min {min:7.2} ms  median {median:7.2} ms",
            args.k
        );
        let top_json: Vec<String> = top.iter().map(ToString::to_string).collect();
        json.push_str(&format!(
            "{}\"{strategy}\": {{\"min_ms\": {min:.4}, \"median_ms\": {median:.4}, \"top\": [{}]}}",
            if i == 0 { "" } else { ", " },
            top_json.join(", ")
        ));
    }

    let mut fused = Vec::with_capacity(args.repeats);
    let mut score_only = Vec::with_capacity(args.repeats);
    for _ in 0..args.repeats {
        let start = Instant::now();
        let scores = score_rows(black_box(&pool), args.classes, Input::Logits)?;
        score_only.push(start.elapsed());
        for strategy in Strategy::ALL {
            black_box(scores.top_k(strategy, args.k));
        }
        fused.push(start.elapsed());
    }
    let (score_min, score_median) = summary(score_only);
    let (fused_min, fused_median) = summary(fused);
    println!("  score_rows alone (all four)          : min {score_min:7.2} ms  median {score_median:7.2} ms");
    println!(
        "  score_rows + four top-{}             : min {fused_min:7.2} ms  median {fused_median:7.2} ms",
        args.k
    );
    json.push_str(&format!(
        "}}, \"score_rows_min_ms\": {score_min:.4}, \"fused_min_ms\": {fused_min:.4}, \"fused_median_ms\": {fused_median:.4}}}\n"
    ));
    if let Some(path) = &args.json {
        fs::write(path, json)?;
    }
    Ok(())
}
