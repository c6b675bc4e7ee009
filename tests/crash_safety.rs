//! `sift import` killed with SIGKILL at several points: the project always opens, holds
//! either none or all of that import, and the import can be re-run to completion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::process::Stdio;
use std::time::{Duration, Instant};

use sift_tests::*;

const LINES: usize = 150_000;

fn start_import(manifest: &std::path::Path, proj: &std::path::Path) -> std::process::Child {
    std::process::Command::new(sift_bin())
        .arg("import")
        .arg(manifest)
        .arg("-p")
        .arg(proj)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn sigkill_mid_import_leaves_none_or_all() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("big.jsonl");
    write_text_manifest(&manifest, LINES);

    // A first, complete run tells how long an import takes here.
    let reference = dir.path().join("reference");
    sift()
        .arg("init")
        .arg(&reference)
        .arg("--template")
        .arg(template("qa.toml"))
        .assert()
        .success();
    let t0 = Instant::now();
    let status = start_import(&manifest, &reference).wait().unwrap();
    let full = t0.elapsed();
    assert!(status.success());
    assert_eq!(count_rows(&reference, "items"), LINES as i64);

    let mut killed_mid_way = 0;
    for (i, fraction) in [0.05, 0.25, 0.5, 0.75, 0.9, 0.97].iter().enumerate() {
        let proj = dir.path().join(format!("p{i}"));
        sift()
            .arg("init")
            .arg(&proj)
            .arg("--template")
            .arg(template("qa.toml"))
            .assert()
            .success();
        let mut child = start_import(&manifest, &proj);
        std::thread::sleep(full.mul_f64(*fraction));
        if child.try_wait().unwrap().is_none() {
            killed_mid_way += 1;
        }
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();

        // The project opens (sift status succeeds) and is consistent.
        let out = sift()
            .args(["status", "--json", "-p"])
            .arg(&proj)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "status after kill at {fraction}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let items = s["items"].as_i64().unwrap();
        assert!(
            items == 0 || items == LINES as i64,
            "kill at {fraction}: {items} items (partial import)"
        );
        let imports = count_rows(&proj, "imports");
        assert_eq!(
            imports,
            i64::from(items > 0),
            "import record must match the items"
        );
        let conn = rusqlite::Connection::open(proj.join("project.sift")).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        drop(conn);

        // Re-running completes, adding exactly what is missing.
        let status = start_import(&manifest, &proj).wait().unwrap();
        assert!(status.success());
        assert_eq!(count_rows(&proj, "items"), LINES as i64);
    }
    assert!(
        killed_mid_way >= 3,
        "only {killed_mid_way} kills landed while the import ran ({full:?} per import)"
    );
    let _ = Duration::ZERO;
}
