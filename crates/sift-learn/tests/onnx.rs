//! ONNX export: onnxruntime (Python, from the project venv) loads every kind of head written by
//! `to_onnx`, `onnx.checker.check_model(full_check=True)` accepts it, and its outputs equal
//! the head's own probabilities within 1e-5 (rewards: 1e-5 relative to max(1, |reward|)). Skipped, with the reason printed, when the venv is
//! missing (`make setup-python` creates it; `SIFT_PYTHON` names another interpreter).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sift_learn::{ClassifierHead, OnnxOptions, Options, Preference, RewardHead, RewardOptions, Rng};

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SIFT_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let p = Path::new(&home).join(".cache/sift/venv/bin/python");
    p.exists().then_some(p)
}

fn features(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n * d)
        .map(|i| {
            ((rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * (1 + i % 7) as f32 + (i % 5) as f32
        })
        .collect()
}

fn write_f32(path: &Path, values: &[f32]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

fn save(dir: &Path, name: &str, onnx: &[u8], x: &[f32], n: usize, d: usize, expected: &[f32]) {
    std::fs::write(dir.join(format!("{name}.onnx")), onnx).unwrap();
    write_f32(&dir.join(format!("{name}.input.f32")), x);
    write_f32(&dir.join(format!("{name}.expected.f32")), expected);
    std::fs::write(
        dir.join(format!("{name}.shape")),
        format!("{n} {d} {}", expected.len() / n),
    )
    .unwrap();
}

#[test]
fn onnxruntime_matches_the_heads() {
    let Some(python) = python() else {
        println!(
            "SKIPPED: no Python venv at ~/.cache/sift/venv (run `make setup-python`) and SIFT_PYTHON unset"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (500, 384);
    let x = features(n, d, 1);
    // Ten classes from a hidden linear rule, so the head has real structure to learn.
    let rule = features(10, d, 2);
    let labels: Vec<u32> = x
        .chunks(d)
        .map(|row| {
            let scores: Vec<f32> = rule
                .chunks(d)
                .map(|w| w.iter().zip(row).map(|(a, b)| a * b).sum())
                .collect();
            (0..10).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap() as u32
        })
        .collect();
    let options = Options::default();
    let multi = ClassifierHead::fit(&x, n, d, &labels, &options).unwrap();
    let onnx = multi.to_onnx_with(&OnnxOptions {
        class_names: (0..10).map(|i| format!("digit \"{i}\"")).collect(),
        ..OnnxOptions::default()
    });
    save(
        dir.path(),
        "multinomial",
        &onnx,
        &x,
        n,
        d,
        &multi.predict_proba(&x, n).unwrap(),
    );

    let binary_labels: Vec<u32> = labels.iter().map(|&l| if l < 5 { 3 } else { 8 }).collect();
    let binary = ClassifierHead::fit(&x, n, d, &binary_labels, &options).unwrap();
    save(
        dir.path(),
        "binary",
        &binary.to_onnx(),
        &x,
        n,
        d,
        &binary.predict_proba(&x, n).unwrap(),
    );

    let flags: Vec<bool> = labels.iter().flat_map(|&l| [l % 2 == 0, l < 3, l >= 7]).collect();
    let ml = ClassifierHead::fit_multi_label(&x, n, d, &flags, 3, &options).unwrap();
    save(
        dir.path(),
        "multilabel",
        &ml.to_onnx(),
        &x,
        n,
        d,
        &ml.predict_proba(&x, n).unwrap(),
    );

    let pairs: Vec<Preference> = (0..n - 1)
        .map(|i| {
            if labels[i] > labels[i + 1] {
                Preference {
                    winner: i,
                    loser: i + 1,
                }
            } else {
                Preference {
                    winner: i + 1,
                    loser: i,
                }
            }
        })
        .collect();
    let reward = RewardHead::fit(&x, n, d, &pairs, &RewardOptions::default()).unwrap();
    save(
        dir.path(),
        "reward",
        &reward.to_onnx(),
        &x,
        n,
        d,
        &reward.score(&x, n).unwrap(),
    );

    let out = Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/onnx_check.py"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "onnx_check.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("{report:#}");
    for name in ["multinomial", "binary", "multilabel"] {
        let worst = report[name]["worst"].as_f64().unwrap();
        assert!(
            worst <= 1e-5,
            "{name}: onnxruntime's probabilities differ by {worst}"
        );
        assert_eq!(report[name]["input"], "features");
    }
    // Rewards are unbounded scores: float32 agreement is relative to their size.
    let worst = report["reward"]["worst_relative"].as_f64().unwrap();
    assert!(worst <= 1e-5, "reward: onnxruntime differs by {worst} (relative)");
    assert_eq!(
        report["multinomial"]["outputs"],
        serde_json::json!(["probabilities", "logits"])
    );
    assert_eq!(report["multinomial"]["shape"], serde_json::json!([n, 10]));
    assert_eq!(
        report["multinomial"]["metadata"]["sift.classes"],
        "0,1,2,3,4,5,6,7,8,9"
    );
    let names: Vec<String> = serde_json::from_str(
        report["multinomial"]["metadata"]["sift.class_names"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(names[4], "digit \"4\"");
    assert_eq!(report["binary"]["metadata"]["sift.classes"], "3,8");
    assert_eq!(report["multilabel"]["metadata"]["sift.kind"], "multi-label");
    assert_eq!(report["reward"]["outputs"], serde_json::json!(["reward"]));
    assert_eq!(report["reward"]["shape"], serde_json::json!([n, 1]));
}
