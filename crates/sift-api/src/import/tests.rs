//! Tests of the import use case on real project files.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::NoProgress;

fn template(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../labeling-templates")
        .join(name)
}

fn project(dir: &Path) -> Project {
    crate::init_project(&dir.join("proj"), &template("qa.toml"), None).unwrap()
}

fn write_lines(path: &Path, n: usize) {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("{{\"source\":\"passage {i}\",\"id\":{i}}}\n"));
    }
    std::fs::write(path, text).unwrap();
}

/// Panics the thread that reports the `n`th position: the reader thread, for imports.
struct PanicAt {
    calls: AtomicU32,
    at: u32,
}

impl Progress for PanicAt {
    fn set_position(&self, _position: u64) {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
            panic!("reader failure injected by the test");
        }
    }
}

#[test]
fn a_reader_panic_aborts_the_whole_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let manifest = dir.path().join("m.jsonl");
    write_lines(&manifest, 5 * BATCH);
    // The first batch reaches the writer before the reader panics on its second report.
    let progress = PanicAt {
        calls: AtomicU32::new(0),
        at: 2,
    };
    let err = p
        .import(&manifest, &ImportOptions::default(), &progress)
        .expect_err("an import whose reader panicked must fail");
    assert!(err.to_string().contains("reader"), "{err}");
    assert_eq!(p.store.item_count().unwrap(), 0, "a partial import was committed");
    // The project is still usable: the same import, without the failure, takes every line.
    let report = p
        .import(&manifest, &ImportOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(report.added, 5 * BATCH as u64);
}

#[test]
fn an_over_long_label_studio_task_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let file = dir.path().join("tasks.json");
    let long = "y".repeat(2000);
    std::fs::write(
        &file,
        format!("[\n{{\"data\":{{\"source\":\"a\"}}}},\n{{\"data\":{{\"source\":\"{long}\"}}}}\n]"),
    )
    .unwrap();
    let opts = ImportOptions {
        max_line_bytes: 1000,
        ..ImportOptions::default()
    };
    let err = p.import(&file, &opts, &NoProgress).unwrap_err().to_string();
    let want = format!("{}:3: longer than the limit of 1000 bytes", file.display());
    assert!(err.starts_with(&want), "{err}");
    assert_eq!(p.store.item_count().unwrap(), 0);
    let opts = ImportOptions {
        skip_invalid: true,
        ..opts
    };
    let report = p.import(&file, &opts, &NoProgress).unwrap();
    assert_eq!((report.added, report.skipped), (1, 1));
}

/// A file placed directly in /tmp, removed when dropped.
struct InTmp(PathBuf);

impl Drop for InTmp {
    fn drop(&mut self) {
        // Cleanup of a test file; the file may already be gone.
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_manifest_in_a_system_folder_does_not_make_it_a_media_root() {
    let tmp = Path::new("/tmp");
    if !tmp.is_dir() {
        return; // not a Unix-like system: the folder this test needs is not there
    }
    let dir = tempfile::tempdir().unwrap();
    let mut p = crate::init_project(&dir.path().join("proj"), &template("image-caption.toml"), None).unwrap();
    let unique = format!("sift-test-{}-{}", std::process::id(), line!());
    let manifest = InTmp(tmp.join(format!("{unique}.jsonl")));
    std::fs::write(&manifest.0, format!("{{\"source-ref\":\"{unique}.png\"}}\n")).unwrap();

    let err = p
        .import(&manifest.0, &ImportOptions::default(), &NoProgress)
        .expect_err("/tmp must not become a media root without being named");
    let msg = err.to_string();
    assert!(
        msg.contains("refusing to serve media from /tmp (a system folder)"),
        "{msg}"
    );
    assert!(msg.contains("--media-root /tmp"), "{msg}");
    assert!(p.store.media_roots().unwrap().is_empty());
    assert_eq!(p.store.item_count().unwrap(), 0);

    // Named explicitly, it is used; remote media need no root at all.
    let opts = ImportOptions {
        media_root: Some(tmp.to_owned()),
        ..ImportOptions::default()
    };
    p.import(&manifest.0, &opts, &NoProgress).unwrap();
    assert_eq!(p.store.media_roots().unwrap(), [tmp.canonicalize().unwrap()]);
    let remote = InTmp(tmp.join(format!("{unique}-remote.jsonl")));
    std::fs::write(&remote.0, "{\"source-ref\":\"s3://bucket/a.png\"}\n").unwrap();
    let mut q = crate::init_project(&dir.path().join("q"), &template("image-caption.toml"), None).unwrap();
    q.import(&remote.0, &ImportOptions::default(), &NoProgress)
        .unwrap();
    assert!(q.store.media_roots().unwrap().is_empty());
}

/// A Label Studio annotation of a text classification config, which the Q&A template
/// cannot take.
const CHOICES_ANNOTATION: &str = r#"{"id": 9, "completed_by": 1, "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]}"#;

#[test]
fn a_json_file_holding_one_label_studio_task_imports() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let file = dir.path().join("task.json");
    std::fs::write(
        &file,
        "{\n  \"id\": 4,\n  \"data\": {\"source\": \"one task\"}\n}\n",
    )
    .unwrap();
    let report = p.import(&file, &ImportOptions::default(), &NoProgress).unwrap();
    assert_eq!((report.format.as_str(), report.added), ("label-studio", 1));
    let item = p.store.item(1).unwrap().unwrap();
    assert_eq!(item.content, r#"{"source": "one task"}"#);
}

#[test]
fn label_studio_tasks_without_a_data_wrapper_are_their_own_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let file = dir.path().join("tasks.json");
    std::fs::write(
        &file,
        "[{\"source\": \"a\"}, {\"source\": \"b\", \"lang\": \"en\"}]",
    )
    .unwrap();
    let report = p.import(&file, &ImportOptions::default(), &NoProgress).unwrap();
    assert_eq!(report.added, 2);
    let item = p.store.item(2).unwrap().unwrap();
    assert_eq!(item.content, r#"{"source": "b", "lang": "en"}"#);
    // The same data with the wrapper is the same item.
    let wrapped = dir.path().join("wrapped.json");
    std::fs::write(&wrapped, "[{\"data\": {\"lang\":\"en\",\"source\":\"b\"}}]").unwrap();
    let report = p
        .import(&wrapped, &ImportOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!((report.added, report.duplicates), (0, 1));
}

#[test]
fn a_json_file_of_json_lines_is_read_as_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let file = dir.path().join("lines.json");
    std::fs::write(&file, "{\"source\":\"a\"}\n{\"source\":\"b\"}\n").unwrap();
    let report = p.import(&file, &ImportOptions::default(), &NoProgress).unwrap();
    assert_eq!(
        (report.format.as_str(), report.added),
        ("sagemaker-ground-truth", 2)
    );
}

#[test]
fn data_only_imports_tasks_labeled_under_another_config_and_counts_what_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let file = dir.path().join("export.json");
    std::fs::write(
        &file,
        format!(
            "[{{\"id\": 1, \"data\": {{\"source\": \"great\"}}, \"annotations\": [{CHOICES_ANNOTATION}, {CHOICES_ANNOTATION}]}},\n\
             {{\"id\": 2, \"data\": {{\"source\": \"plain\"}}}}]"
        ),
    )
    .unwrap();
    // The annotations do not fit the template: the error says how to import the data alone.
    let err = p
        .import(&file, &ImportOptions::default(), &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(err.contains(":1: annotations[0]:"), "{err}");
    assert!(err.contains("--data-only"), "{err}");
    let opts = ImportOptions {
        data_only: true,
        ..ImportOptions::default()
    };
    let report = p.import(&file, &opts, &NoProgress).unwrap();
    assert_eq!(
        (report.added, report.labels_added, report.annotations_left_out),
        (2, 0, 2)
    );
    assert_eq!(p.store.labelled_count(false).unwrap(), 0);
}

#[test]
fn format_names_are_the_serde_names_and_parse_back() {
    use strum::VariantArray;
    let names: Vec<&str> = ImportFormat::VARIANTS.iter().map(|f| f.as_str()).collect();
    assert_eq!(names, ["gt", "label-studio"]);
    for &f in ImportFormat::VARIANTS {
        assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        assert_eq!(f.to_string(), f.as_str());
        assert_eq!(f.as_str().parse::<ImportFormat>().unwrap(), f);
    }
    assert_eq!(
        "csv".parse::<ImportFormat>().unwrap_err(),
        r#"unknown import format "csv" (expected gt or label-studio)"#
    );
}

/// Line `i` of a file whose contents repeat every `distinct` lines; every 997th line carries a
/// label by `a0` or `a1`.
fn repeating_line(i: usize, distinct: usize) -> String {
    let k = i % distinct;
    if i.is_multiple_of(997) {
        let annotator = format!("a{}", i % 2);
        format!(
            concat!(
                r#"{{"source":"passage {}","qa-pairs":{{"pairs":[{{"question":"Which passage is this?","#,
                r#""answer":"The one numbered.","question_type":"factual","spans":[{{"start":0,"end":7}}],"#,
                r#""entire_passage":false}}]}},"qa-pairs-metadata":{{"annotator":"{}","#,
                r#""creation-date":"2026-11-01T10:00:00Z"}}}}"#
            ),
            k, annotator
        )
    } else {
        format!(r#"{{"source":"passage {k}"}}"#)
    }
}

/// Lines repeated within one write batch and across batches (the writer adds
/// [`writer::WRITE_BATCH`] at a time, checking hashes in sorted order): the items, their ids
/// and lines, and the labels are those a line-by-line import gives, and importing the file
/// again adds nothing.
#[test]
fn duplicates_within_and_across_write_batches_add_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let distinct = writer::WRITE_BATCH + 100;
    let n = 2 * writer::WRITE_BATCH + 300;
    let manifest = dir.path().join("m.jsonl");
    let text: String = (0..n).map(|i| repeating_line(i, distinct) + "\n").collect();
    std::fs::write(&manifest, text).unwrap();

    let report = p
        .import(&manifest, &ImportOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!((report.lines, report.added), (n as u64, distinct as u64));
    assert_eq!(report.duplicates, (n - distinct) as u64);
    // Content k is first seen on line k + 1 and is item k + 1.
    for k in [0, 1, writer::WRITE_BATCH - 1, writer::WRITE_BATCH, distinct - 1] {
        let item = p.store.item(k as i64 + 1).unwrap().unwrap();
        assert_eq!(item.content, format!(r#"{{"source":"passage {k}"}}"#));
        assert_eq!(item.source_line, k as i64 + 1);
    }
    // One label per (content, annotator): the first line's, wherever the duplicates are.
    let mut pairs: Vec<(usize, usize)> = (0..n).step_by(997).map(|i| (i % distinct, i % 2)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    assert_eq!(report.labels_added, pairs.len() as u64);
    assert_eq!(p.store.labelled_count(false).unwrap(), pairs.len() as u64);

    let again = p
        .import(&manifest, &ImportOptions::default(), &NoProgress)
        .unwrap();
    assert_eq!(
        (again.added, again.duplicates, again.labels_added),
        (0, n as u64, 0)
    );
    assert_eq!(p.store.item_count().unwrap(), distinct as u64);
}

/// A bad line in a later write batch, after whole batches were added: the error names the
/// file, the line and the field, and nothing of the import is kept.
#[test]
fn a_bad_line_in_a_later_batch_keeps_nothing_and_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path());
    let manifest = dir.path().join("m.jsonl");
    let bad_line = 2 * writer::WRITE_BATCH + 7;
    let text: String = (1..=bad_line + 10)
        .map(|line| {
            if line == bad_line {
                "{\"source\":5}\n".to_owned()
            } else {
                format!("{{\"source\":\"passage {line}\"}}\n")
            }
        })
        .collect();
    std::fs::write(&manifest, text).unwrap();
    let err = p
        .import(&manifest, &ImportOptions::default(), &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("m.jsonl:{bad_line}: field \"source\"")),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(p.store.item_count().unwrap(), 0);
    assert_eq!(p.store.status().unwrap().imports, 0);
}
