//! Helpers of the learning-loop tests (`tests/learn.rs`, `tests/simulate.rs`,
//! `tests/autolabel.rs`): real data (scikit-learn's digits with their 64 pixel features, the
//! demo's support tickets embedded by the real all-MiniLM-L6-v2 encoder), projects made from
//! it with the real `sift`, labels submitted as an annotator would, and JSON output read back;
//! the venv's Python for the sample training command (`tests/learn_command.rs`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{
    add_annotator, import_manifest, json_of, model_add, query_column, repo_root, sift, submit_as_ann,
};

/// scikit-learn's digits (crates/sift-learn/tests/fixtures/digits.txt): the first `n` as
/// manifest objects `{"source", "features": [64 numbers 0-16], "truth": "<digit>"}`.
pub fn digits(n: usize) -> Vec<Value> {
    let text = std::fs::read_to_string(repo_root().join("crates/sift-learn/tests/fixtures/digits.txt"))
        .expect("digits fixture");
    let rows: Vec<Value> = text
        .lines()
        .take(n)
        .enumerate()
        .map(|(i, line)| {
            let (label, pixels) = line.split_once(' ').expect("label and pixels");
            let features: Vec<u32> = pixels.chars().map(|c| c.to_digit(17).expect("pixel")).collect();
            json!({"source": format!("Digit image {i}."), "features": features, "truth": label})
        })
        .collect();
    assert_eq!(rows.len(), n, "the digits fixture has fewer than {n} rows");
    rows
}

/// Writes manifest objects as JSON Lines.
pub fn write_manifest(path: &Path, rows: &[Value]) {
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(path, text).expect("write manifest");
}

/// A project at `dir/proj` from `template`, with `rows` imported and annotator `ann`.
pub fn project_with(dir: &Path, template: &Path, rows: &[Value]) -> PathBuf {
    let proj = dir.join("proj");
    sift()
        .arg("init")
        .arg(&proj)
        .arg("--template")
        .arg(template)
        .assert()
        .success();
    let manifest = dir.join("items.jsonl");
    write_manifest(&manifest, rows);
    import_manifest(&proj, &manifest);
    add_annotator(&proj, "ann");
    proj
}

/// A digits project (tests/fixtures/learn/digits.toml) with the first `n` digits.
pub fn digits_project(dir: &Path, n: usize) -> PathBuf {
    project_with(
        dir,
        &repo_root().join("tests/fixtures/learn/digits.toml"),
        &digits(n),
    )
}

/// Submits `{"labels": [class]}` for item `item` as `ann`.
pub fn submit_label(proj: &Path, item: i64, class: &str) {
    submit_as_ann(proj, item, &json!({"labels": [class]}).to_string());
}

/// `$XDG_CACHE_HOME`, else `~/.cache`.
pub fn home_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache"),
        PathBuf::from,
    )
}

/// The folder of the all-MiniLM-L6-v2 encoder that `make setup-python` builds
/// (`$SIFT_ENCODER_DIR`, else `~/.cache/sift/models/all-minilm-l6-v2`). Without it the test
/// FAILS with the command that makes it; it is never skipped.
pub fn encoder_dir() -> PathBuf {
    let dir = std::env::var_os("SIFT_ENCODER_DIR").map_or_else(
        || home_cache().join("sift/models/all-minilm-l6-v2"),
        PathBuf::from,
    );
    for file in ["model.onnx", "tokenizer.json", "model.toml"] {
        assert!(
            dir.join(file).is_file(),
            "{} is missing: build the encoder with `make setup-python` (it runs \
             `python scripts/make-minilm-onnx.py --out {}`), or set SIFT_ENCODER_DIR",
            dir.join(file).display(),
            dir.display()
        );
    }
    dir
}

/// The Python of the venv that `make setup-python` builds (`$SIFT_PYTHON`, else
/// `$SIFT_VENV/bin/python`, else `~/.cache/sift/venv/bin/python`): numpy, scikit-learn, onnx and
/// onnxruntime. Without it the test FAILS with the command that makes it; it is never skipped.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SIFT_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = std::env::var_os("SIFT_VENV").map_or_else(|| home_cache().join("sift/venv"), PathBuf::from);
    let p = venv.join("bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run `make setup-python` (the venv with scikit-learn, onnx and onnxruntime), \
         or set SIFT_PYTHON",
        p.display()
    );
    p
}

/// The demo's support tickets (demo/classification.jsonl): the first `n` manifest objects.
pub fn tickets(n: usize) -> Vec<Value> {
    let text = std::fs::read_to_string(repo_root().join("demo/classification.jsonl")).expect("demo tickets");
    let rows: Vec<Value> = text
        .lines()
        .take(n)
        .map(|l| serde_json::from_str(l).expect("ticket JSON"))
        .collect();
    assert_eq!(
        rows.len(),
        n,
        "demo/classification.jsonl has fewer than {n} tickets"
    );
    rows
}

/// Item ids of the project at `proj` in manifest order, each with the `truth` of its row of
/// `rows` (the manifest the project was made from).
pub fn items_and_truth(proj: &Path, rows: &[Value]) -> Vec<(i64, String)> {
    let ids: Vec<i64> = query_column(proj, "SELECT id FROM items ORDER BY source_line");
    ids.into_iter()
        .zip(rows.iter().map(|r| r["truth"].as_str().unwrap().to_owned()))
        .collect()
}

/// A support-tickets project (demo/classification.toml) with the first `n` tickets, the
/// MiniLM encoder registered and every ticket embedded on the CPU.
pub fn tickets_project(dir: &Path, n: usize) -> PathBuf {
    let proj = project_with(dir, &repo_root().join("demo/classification.toml"), &tickets(n));
    let enc = encoder_dir();
    model_add(&proj, enc.join("model.onnx"), enc.join("model.toml")).success();
    let report = json_of(
        sift()
            .args(["embed", "--json", "--device", "cpu", "-p"])
            .arg(&proj),
    );
    assert_eq!(report["items_embedded"], n);
    proj
}
