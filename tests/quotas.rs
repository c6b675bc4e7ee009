//! Dataset quotas (issue 18, point 5) with the real `sift` binary on a synthetic Q&A project:
//! the template's `[quotas]` (factual at least 40 %, whole-passage at most 20 %) against the
//! submitted pairs — `sift status` shows each target with what would meet it, `sift export`
//! warns while one is not met and refuses with `--strict`, and goes through once more work
//! meets them. A template whose quotas are wrong is refused naming the key and the line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use serde_json::json;
use sift_tests::*;

const TEMPLATE: &str = r#"
name = "qa-quota"
kind = "qa"
version = 1
title = "Questions on a passage"
label_attribute = "qa"
instructions = "Write question and answer pairs."

[fields]
passage = "source"

[rules]
min_pairs = 1
max_pairs = 6
question_types = ["factual", "inferential", "whole-passage"]
question_min_chars = 5
answer_min_chars = 2
require_spans = false
allow_entire_passage = true

[quotas]
question_types = { factual = { min = 0.4 }, whole-passage = { max = 0.2 } }
"#;

fn pairs(types: &[&str]) -> String {
    let pairs: Vec<_> = types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"question": format!("Question {i}, {t}?"), "answer": "An answer.", "question_type": t,
                   "spans": [], "entire_passage": *t == "whole-passage"})
        })
        .collect();
    json!({ "pairs": pairs }).to_string()
}

#[test]
fn quotas_are_counted_shown_and_enforced_on_export() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("qa.toml");
    std::fs::write(&template, TEMPLATE).unwrap();
    let proj = dir.path().join("proj");
    sift()
        .arg("init")
        .arg(&proj)
        .arg("--template")
        .arg(&template)
        .assert()
        .success();
    let manifest = dir.path().join("m.jsonl");
    write_text_manifest(&manifest, 4);
    import_manifest(&proj, &manifest);
    add_annotator(&proj, "ann");
    let submit = |item: i64, types: &[&str]| submit_as_ann(&proj, item, &pairs(types));
    submit(1, &["factual", "inferential"]);
    submit(2, &["whole-passage", "inferential"]);
    submit(3, &["inferential", "inferential"]);

    // 1 factual of 6 pairs: below 40 %; (1 + 3) / (6 + 3) = 44 %: three more reach it.
    let status = json_of(sift().args(["status", "--json", "-p"]).arg(&proj));
    let lines = status["quotas"]["lines"].as_array().unwrap();
    assert_eq!(status["quotas"]["all_met"], false);
    assert_eq!(lines[0]["target"], "share of question type `factual`");
    assert_eq!(
        (lines[0]["count"].as_u64(), lines[0]["total"].as_u64()),
        (Some(1), Some(6))
    );
    assert_eq!(lines[0]["status"], "not-yet");
    assert_eq!(lines[0]["advice"], "3 more `factual` pairs");
    assert_eq!(lines[1]["target"], "share of question type `whole-passage`");
    assert_eq!(lines[1]["status"], "met");
    let text = String::from_utf8(sift().args(["status", "-p"]).arg(&proj).output().unwrap().stdout).unwrap();
    assert!(
        text.contains("dataset target") && text.contains("3 more `factual` pairs"),
        "{text}"
    );

    // Export: a warning without --strict (the file is written), a refusal with it (none is).
    let out = dir.path().join("qa.jsonl");
    let warned = sift()
        .args(["export", "-o"])
        .arg(&out)
        .arg("-p")
        .arg(&proj)
        .output()
        .unwrap();
    assert!(warned.status.success());
    let stderr = String::from_utf8_lossy(&warned.stderr);
    assert!(
        stderr.contains("warning: a dataset target is not met"),
        "{stderr}"
    );
    assert_eq!(read_jsonl(&out).len(), 3);
    let strict = dir.path().join("strict.jsonl");
    let e = user_error(
        sift()
            .args(["export", "--strict", "-o"])
            .arg(&strict)
            .arg("-p")
            .arg(&proj),
    );
    assert!(
        e.contains("not exported: a dataset target is not met (--strict)"),
        "{e}"
    );
    assert!(!strict.exists(), "nothing written");

    // Three more factual pairs: 4 of 9 factual, 1 of 9 whole-passage. Everything is met.
    submit(4, &["factual", "factual", "factual"]);
    let status = json_of(sift().args(["status", "--json", "-p"]).arg(&proj));
    assert_eq!(status["quotas"]["all_met"], true, "{}", status["quotas"]);
    sift()
        .args(["export", "--strict", "-o"])
        .arg(&strict)
        .arg("-p")
        .arg(&proj)
        .assert()
        .success();
    assert_eq!(read_jsonl(&strict).len(), 4);
}

#[test]
fn wrong_quotas_are_refused_naming_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for (quotas, says) in [
        (
            "question_types = { opinion = { min = 0.1 } }",
            "`opinion` is not one of the template's",
        ),
        (
            "question_types = { factual = { min = 1.5 } }",
            "must be a share from 0 to 1, found 1.5",
        ),
        (
            "question_types = { factual = { min = 0.6, max = 0.2 } }",
            "min 0.6 is larger than max 0.2",
        ),
        ("classes = { billing = { min = 0.1 } }", "unknown key `classes`"),
    ] {
        let text = TEMPLATE.replace(
            "question_types = { factual = { min = 0.4 }, whole-passage = { max = 0.2 } }",
            quotas,
        );
        let template = dir.path().join("bad.toml");
        std::fs::write(&template, &text).unwrap();
        let e = user_error(
            sift()
                .arg("init")
                .arg(dir.path().join("p"))
                .arg("--template")
                .arg(&template),
        );
        assert!(e.contains(says), "{quotas}: {e}");
        assert!(e.contains("quotas."), "the key is named: {e}");
        assert!(e.contains("(line 22, column"), "the line is named: {e}");
    }
}
