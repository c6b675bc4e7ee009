//! Helpers for Sift's end-to-end tests: the real `sift` binary of this build, project
//! folders and manifests in temporary directories, and reading project files directly.
//!
//! The tests under `tests/` are integration tests of the `sift-cli` package (see its
//! `Cargo.toml`), so `cargo test` builds the `sift` binary they run in the same invocation
//! and names it in `CARGO_BIN_EXE_sift`; a binary left behind by an earlier build is never
//! used. Each test file includes this module with `#[path = "support/mod.rs"] mod sift_tests;`.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod garage;
pub mod http;
pub mod learning;
pub mod serve;

pub use assert_cmd::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    // This module is compiled into `sift-cli`'s integration tests: crates/sift-cli.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/sift-cli has a grandparent")
        .to_owned()
}

/// A template file from `labeling-templates/`.
pub fn template(name: &str) -> PathBuf {
    repo_root().join("labeling-templates").join(name)
}

/// A committed fixture under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(name)
}

/// Path of the `sift` binary cargo built for these tests, in the same build.
pub fn sift_bin() -> PathBuf {
    PathBuf::from(env!(
        "CARGO_BIN_EXE_sift",
        "tests/ must be built as integration tests of the sift-cli package (cargo test -p sift-cli), which builds `sift`"
    ))
}

/// A `sift` command with a clean environment for reproducible output.
pub fn sift() -> Command {
    let mut cmd = Command::new(sift_bin());
    cmd.env_remove("SIFT_PROJECT")
        .env_remove("SIFT_BACKTRACE")
        .env("NO_COLOR", "1");
    cmd
}

/// A fresh project folder `proj` inside `dir`, made with `sift init` from a template.
pub fn init_project(dir: &Path, template_name: &str) -> PathBuf {
    let proj = dir.join("proj");
    sift()
        .arg("init")
        .arg(&proj)
        .arg("--template")
        .arg(template(template_name))
        .assert()
        .success();
    proj
}

/// The project file of a project folder, opened read-only.
pub fn open_read_only(project_dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        project_dir.join("project.sift"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open project file")
}

/// Counts rows of a table straight from the project file (read-only).
pub fn count_rows(project_dir: &Path, table: &str) -> i64 {
    query_one(project_dir, &format!("SELECT count(*) FROM {table}"))
}

/// The one value `sql` selects, straight from the project file (read-only).
pub fn query_one<T: rusqlite::types::FromSql>(project_dir: &Path, sql: &str) -> T {
    open_read_only(project_dir)
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The first column of every row `sql` selects, straight from the project file (read-only).
pub fn query_column<T: rusqlite::types::FromSql>(project_dir: &Path, sql: &str) -> Vec<T> {
    let conn = open_read_only(project_dir);
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    stmt.query_map([], |r| r.get(0))
        .and_then(Iterator::collect)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A ranking-template payload that ranks the four responses in `order` (best first) on every
/// dimension, with one classification each and `rationale`.
pub fn ranking_payload(order: [&str; 4], rationale: &str) -> serde_json::Value {
    let ranks: serde_json::Map<String, serde_json::Value> = order
        .iter()
        .enumerate()
        .map(|(i, id)| ((*id).to_owned(), serde_json::json!(i + 1)))
        .collect();
    serde_json::json!({
        "rankings": {"clarity": ranks, "accuracy": ranks, "harmlessness": ranks},
        "classifications": {"0": {"factual_error": "no"}, "1": {"factual_error": "yes"},
                            "2": {"factual_error": "unsure"}, "3": {"factual_error": "no"}},
        "rationale": rationale
    })
}

/// Writes `n` distinct Ground Truth text lines with pass-through keys.
pub fn write_text_manifest(path: &Path, n: usize) {
    use std::io::Write;
    let f = std::fs::File::create(path).expect("create manifest");
    let mut w = std::io::BufWriter::new(f);
    for i in 0..n {
        writeln!(
            w,
            r#"{{"source":"Passage {i}: the river rose after three days of rain, and the bridge was closed.","id":{i},"lang":"en","meta":{{"batch":"b{}","score":0.5}}}}"#,
            i % 7
        )
        .expect("write line");
    }
    w.flush().expect("flush");
}

/// Parses a JSON Lines file.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("read jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// Runs `sift import MANIFEST -p PROJ`, for the caller to check.
pub fn sift_import(proj: &Path, manifest: impl AsRef<std::ffi::OsStr>) -> assert_cmd::assert::Assert {
    sift().arg("import").arg(manifest).arg("-p").arg(proj).assert()
}

/// Imports `manifest` into the project at `proj`; the import must succeed.
pub fn import_manifest(proj: &Path, manifest: &Path) {
    sift_import(proj, manifest).success();
}

/// Runs `sift model add MODEL --config CONFIG -p PROJ`, for the caller to check.
pub fn model_add(
    proj: &Path,
    model: impl AsRef<std::ffi::OsStr>,
    config: impl AsRef<std::ffi::OsStr>,
) -> assert_cmd::assert::Assert {
    sift()
        .args(["model", "add"])
        .arg(model)
        .arg("--config")
        .arg(config)
        .arg("-p")
        .arg(proj)
        .assert()
}

/// Sends SIGINT (what Ctrl-C sends) to a running `sift`.
pub fn ctrl_c(child: &std::process::Child) {
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// Adds annotator `name` to the project at `proj`.
pub fn add_annotator(proj: &Path, name: &str) {
    sift()
        .args(["annotator", "add", name, "-p"])
        .arg(proj)
        .assert()
        .success();
}

/// Submits `payload` (JSON text) for item `item` as `ann` with the real `sift annotate`.
pub fn submit_as_ann(proj: &Path, item: i64, payload: &str) {
    sift()
        .args([
            "annotate",
            &item.to_string(),
            "--as",
            "ann",
            "--submit",
            "--payload",
            payload,
            "-p",
        ])
        .arg(proj)
        .assert()
        .success();
}

/// Runs a command that must succeed and parses its standard output as JSON.
pub fn json_of(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("run sift");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// Runs a command that must fail with exit code 1 and returns its standard error.
pub fn user_error(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run sift");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}
