//! sift-learn's side of `bench/learn/run.sh`: head training on `DIR/train_x.npy` (10,000 x
//! 384, ten classes, written by `bench/learn/make_data.py`), rescoring `DIR/pool_x.npy`
//! (100,000 x 384) and the digits simulation (20 seeds x 5 strategies x 40 rounds, with warm
//! and with cold starts), on one thread, minimum over repeats. Writes `DIR/rust.json` (times
//! and figures), `DIR/simulation.json` (the whole report) and the head's probabilities on the
//! training rows and the first 1,000 pool rows (for the comparison with scikit-learn).
//!
//! `bench_learn --out DIR [--repeats N]`

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/digits.rs"]
mod digits;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use sift_learn::{ClassifierHead, Options, SimConfig, SimData, simulate};

type Error = Box<dyn std::error::Error>;

/// A `.npy` file: its shape, its dtype (`<f4`, `<i8`) and the raw little-endian values.
struct Npy {
    shape: Vec<usize>,
    descr: String,
    raw: Vec<u8>,
}

/// Reads a C-ordered `.npy` file.
fn read_npy(path: &Path) -> Result<Npy, Error> {
    let bytes = std::fs::read(path)?;
    if bytes.get(..6) != Some(b"\x93NUMPY".as_slice()) {
        return Err(format!("{}: not a .npy file", path.display()).into());
    }
    let (len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        _ => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
    };
    let header = std::str::from_utf8(&bytes[start..start + len])?;
    let field = |key: &str| -> Option<String> {
        let at = header.find(key)? + key.len();
        let rest = header[at..].trim_start_matches([' ', ':']);
        let end = if rest.starts_with('(') {
            rest.find(')')? + 1
        } else {
            rest.find(',')?
        };
        Some(rest[..end].trim_matches(['\'', ' ']).to_owned())
    };
    let descr = field("'descr'").ok_or("no descr")?;
    if field("'fortran_order'").as_deref() != Some("False") {
        return Err("Fortran-ordered arrays are not supported".into());
    }
    let shape: Vec<usize> = field("'shape'")
        .ok_or("no shape")?
        .trim_matches(['(', ')'])
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    Ok(Npy {
        shape,
        descr,
        raw: bytes[start + len..].to_vec(),
    })
}

fn read_f32(path: &Path) -> Result<(Vec<f32>, Vec<usize>), Error> {
    let Npy { shape, descr, raw } = read_npy(path)?;
    if descr != "<f4" {
        return Err(format!("{}: expected <f4, got {descr}", path.display()).into());
    }
    Ok((
        raw.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        shape,
    ))
}

fn read_labels(path: &Path) -> Result<Vec<u32>, Error> {
    let Npy { descr, raw, .. } = read_npy(path)?;
    if descr != "<i8" {
        return Err(format!("{}: expected <i8, got {descr}", path.display()).into());
    }
    raw.chunks_exact(8)
        .map(|b| Ok(u32::try_from(i64::from_le_bytes(b.try_into()?))?))
        .collect()
}

fn write_npy_f32(path: &Path, shape: &[usize], values: &[f32]) -> std::io::Result<()> {
    let shape = shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", ");
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({shape},), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&u16::try_from(header.len()).unwrap_or(u16::MAX).to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    for v in values {
        f.write_all(&v.to_le_bytes())?;
    }
    f.flush()
}

fn min_time<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(out);
    }
    (best, last.expect("at least one repeat"))
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let out = PathBuf::from(value("--out").unwrap_or_else(|| "bench/out/learn".into()));
    let repeats: usize = value("--repeats").map_or(Ok(3), |r| r.parse())?;
    std::fs::create_dir_all(&out)?;

    let (x, shape) = read_f32(&out.join("train_x.npy"))?;
    let (rows, dim) = (shape[0], shape[1]);
    let y = read_labels(&out.join("train_y.npy"))?;
    let (pool, pool_shape) = read_f32(&out.join("pool_x.npy"))?;
    let pool_rows = pool_shape[0];
    let options = Options::default();
    eprintln!("training ({repeats} repeats)");
    let (train_s, head) = min_time(repeats, || ClassifierHead::fit(&x, rows, dim, &y, &options));
    let head = head?;
    let classes = head.classes().len();
    write_npy_f32(
        &out.join("train_proba_sift.npy"),
        &[rows, classes],
        &head.predict_proba(&x, rows)?,
    )?;
    eprintln!("rescoring ({repeats} repeats)");
    let (rescore_s, proba) = min_time(repeats, || head.predict_proba(&pool, pool_rows));
    let proba = proba?;
    assert_eq!(proba.len(), pool_rows * classes);
    write_npy_f32(
        &out.join("pool_proba_sift_head.npy"),
        &[1000, classes],
        &proba[..1000 * classes],
    )?;

    let (dx, dy) = digits::digits();
    let data = SimData {
        features: &dx,
        n: dy.len(),
        d: 64,
        labels: &dy,
    };
    let config = SimConfig {
        targets: vec![0.9],
        ..SimConfig::default()
    };
    eprintln!("digits simulation, warm starts (1 run)");
    let (sim_s, report) = min_time(1, || simulate(&data, &config));
    let report = report?;
    eprintln!("digits simulation, cold starts (1 run)");
    let cold = SimConfig {
        warm_start: false,
        ..config.clone()
    };
    let (sim_cold_s, cold_report) = min_time(1, || simulate(&data, &cold));
    let cold_report = cold_report?;
    std::fs::write(out.join("simulation.json"), serde_json::to_string(&report)?)?;
    let labels_to_90 = |r: &sift_learn::SimReport| {
        r.arms
            .iter()
            .map(|a| (a.arm.to_string(), serde_json::json!(a.targets[0].median)))
            .collect::<serde_json::Map<String, serde_json::Value>>()
    };
    let json = serde_json::json!({
        "train": {"rows": rows, "dim": dim, "classes": classes, "seconds": train_s,
                  "iterations": head.training().iterations, "converged": head.training().converged},
        "rescore": {"rows": pool_rows, "dim": dim, "seconds": rescore_s},
        "simulation": {"seeds": config.seeds.len(), "arms": config.arms.len(), "rounds": config.rounds,
                       "seconds": sim_s, "seconds_cold": sim_cold_s,
                       "labels_to_90": labels_to_90(&report), "labels_to_90_cold": labels_to_90(&cold_report)},
    });
    std::fs::write(out.join("rust.json"), serde_json::to_string_pretty(&json)?)?;
    println!("{report}");
    Ok(())
}
