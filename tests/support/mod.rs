//! Helpers for Sift's end-to-end tests: locating the real `sift` binary, making project
//! folders and manifests in temporary directories, and reading project files directly.

use std::path::{Path, PathBuf};

pub mod garage;

pub use assert_cmd::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
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

/// Path of the `sift` binary built alongside these tests (`cargo test --workspace` builds it).
pub fn sift_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let bin = dir.join(format!("sift{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` (or `make test`), which builds it",
        bin.display()
    );
    bin
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

/// Counts rows of a table straight from the project file (read-only).
pub fn count_rows(project_dir: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(
        project_dir.join("project.sift"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open project file");
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count rows")
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
