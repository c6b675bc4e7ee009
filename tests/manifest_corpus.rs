//! Every malformed manifest has its expected outcome: a precise `file:line: reason` error
//! with nothing imported, or an accepted import.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use predicates::prelude::*;
use sift_tests::*;

/// (file, the error's line, expected reason)
const REJECTED: &[(&str, u64, &str)] = &[
    ("truncated.jsonl", 2, "invalid JSON: EOF while parsing a string"),
    (
        "invalid-utf8.jsonl",
        2,
        "not valid UTF-8 (first bad byte at column 16)",
    ),
    ("not-object.jsonl", 1, "expected a JSON object, found an array"),
    ("scalar.jsonl", 2, "expected a JSON object, found a string"),
    ("both-sources.jsonl", 1, "has both \"source\" and \"source-ref\""),
    ("no-source.jsonl", 1, "has neither \"source\" nor \"source-ref\""),
    (
        "dollar-key.jsonl",
        1,
        "field \"$where\": names may not start with '$'",
    ),
];

#[test]
fn each_bad_manifest_gives_its_error_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    for (file, line, reason) in REJECTED {
        let path = fixture("manifests").join(file);
        let out = sift()
            .arg("import")
            .arg(&path)
            .arg("-p")
            .arg(&proj)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {stderr}");
        let want = format!("{}:{line}: {reason}", path.display());
        assert!(stderr.contains(&want), "{file}: expected {want:?} in {stderr:?}");
        assert!(stderr.contains("nothing was imported"), "{file}: {stderr}");
        assert_eq!(count_rows(&proj, "items"), 0, "{file}: items were imported");
        assert_eq!(count_rows(&proj, "imports"), 0, "{file}: an import was recorded");
    }
}

#[test]
fn bom_and_crlf_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    sift_import(&proj, fixture("manifests/bom-crlf.jsonl"))
        .success()
        .stdout(predicate::str::contains("2 new items"));
    let out = dir.path().join("out.jsonl");
    // The stored line has neither the BOM nor the CR.
    let conn = rusqlite::Connection::open(proj.join("project.sift")).unwrap();
    let first: String = conn
        .query_row("SELECT content FROM items ORDER BY id LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(first, r#"{"source":"first passage","id":1}"#);
    drop(conn);
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn duplicate_lines_import_once_in_any_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let path = fixture("manifests/duplicates.jsonl");
    sift_import(&proj, &path)
        .success()
        .stdout(predicate::str::contains("3 lines, 2 new items, 1 duplicates"));
    sift_import(&proj, &path)
        .success()
        .stdout(predicate::str::contains("0 new items, 3 duplicates"));
    assert_eq!(count_rows(&proj, "items"), 2);
}

#[test]
fn empty_files_import_nothing_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    for file in ["empty.jsonl", "blank-lines.jsonl"] {
        sift_import(&proj, fixture("manifests").join(file))
            .success()
            .stdout(predicate::str::contains("no items found"));
    }
    assert_eq!(count_rows(&proj, "items"), 0);
    assert_eq!(count_rows(&proj, "imports"), 0);
}

#[test]
fn a_10_mb_line_is_over_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let path = dir.path().join("huge.jsonl");
    let mut data = b"{\"source\":\"ok\"}\n{\"source\":\"".to_vec();
    data.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    data.extend(b"\"}\n{\"source\":\"after\"}\n");
    std::fs::write(&path, &data).unwrap();
    sift_import(&proj, &path)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{}:2: longer than the limit of 8388608 bytes",
            path.display()
        )));
    assert_eq!(count_rows(&proj, "items"), 0);
    // The limit is a documented option.
    sift()
        .arg("import")
        .arg(&path)
        .arg("-p")
        .arg(&proj)
        .args(["--max-line-bytes", "20000000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 new items"));
}

#[test]
fn skip_invalid_imports_the_rest_and_lists_every_skipped_line() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let path = fixture("manifests/mixed.jsonl");
    let out = sift()
        .arg("import")
        .arg(&path)
        .arg("-p")
        .arg(&proj)
        .arg("--skip-invalid")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("7 lines, 2 new items"), "{stdout}");
    assert!(stdout.contains("5 invalid lines skipped"), "{stdout}");
    for (line, reason) in [
        (2, "invalid JSON"),
        (3, "has both"),
        (4, "expected a JSON object"),
        (5, "field \"$bad\": names may not start with '$'"),
        (6, "not valid UTF-8"),
    ] {
        let want = format!("{}:{line}: {reason}", path.display());
        assert!(stdout.contains(&want), "missing {want:?} in {stdout}");
    }
    assert_eq!(count_rows(&proj, "items"), 2);
}

#[test]
fn relative_media_resolves_against_the_manifest_folder_and_missing_media_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "image-caption.toml");
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("img")).unwrap();
    std::fs::write(data.join("img/a.jpg"), b"not really a jpeg").unwrap();
    let manifest = data.join("m.jsonl");
    std::fs::write(
        &manifest,
        "{\"source-ref\":\"img/a.jpg\"}\n{\"source-ref\":\"img/missing.jpg\"}\n{\"source-ref\":\"s3://bucket/b.jpg\"}\n",
    )
    .unwrap();
    let out = sift()
        .arg("import")
        .arg(&manifest)
        .arg("-p")
        .arg(&proj)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("3 new items"), "{stdout}");
    assert!(
        stdout.contains(&format!("{}:2: media file not found", manifest.display())),
        "{stdout}"
    );
    let refs: Vec<String> = query_column(&proj, "SELECT media_ref FROM items ORDER BY id");
    let root = data.canonicalize().unwrap();
    assert_eq!(refs[0], root.join("img/a.jpg").display().to_string());
    assert_eq!(refs[2], "s3://bucket/b.jpg");

    // --require-media turns the warning into an error.
    let proj2 = dir.path().join("strict");
    sift()
        .arg("init")
        .arg(&proj2)
        .arg("--template")
        .arg(template("image-caption.toml"))
        .assert()
        .success();
    sift()
        .arg("import")
        .arg(&manifest)
        .arg("-p")
        .arg(&proj2)
        .arg("--require-media")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(":2: media file not found"));
}

#[test]
fn label_studio_exports_import_too() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let path = dir.path().join("tasks.json");
    std::fs::write(
        &path,
        "[\n  {\"id\": 1, \"data\": {\"source\": \"A passage.\"}},\n  {\"id\": 2, \"data\": {\"source\": \"Another.\"}},\n  {\"id\": 3, \"data\": \"A passage.\"}\n]\n",
    )
    .unwrap();
    sift_import(&proj, &path)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{}:4: field \"data\": expected a JSON object, found a string",
            path.display()
        )));
    sift()
        .arg("import")
        .arg(&path)
        .arg("-p")
        .arg(&proj)
        .arg("--skip-invalid")
        .assert()
        .success()
        .stdout(predicate::str::contains("(label-studio): 3 lines, 2 new items"));
}
