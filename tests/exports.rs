//! Training-ready exports from real projects through the `sift` CLI, checked against their
//! published shapes; `preference`, `sft` and `classification` files load with the Hugging
//! Face `datasets` JSON loader; Label Studio exports import back unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::{Value, json};
use sift_api::{Decision, NoProgress, Project, ReviewInput, Role};
use sift_tests::*;

fn project_with(dir: &Path, template_name: &str, lines: &[Value]) -> (PathBuf, Project) {
    let proj = dir.join(template_name.trim_end_matches(".toml"));
    let manifest = dir.join(format!("{template_name}.jsonl"));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&manifest, text).unwrap();
    let mut p = sift_api::init_project(&proj, &template(template_name), None).unwrap();
    p.import(&manifest, &Default::default(), &NoProgress).unwrap();
    p.add_annotator("ann", Role::Annotator).unwrap();
    p.add_annotator("rev", Role::Reviewer).unwrap();
    (proj, p)
}

fn export(proj: &Path, format: &str, out: &Path, extra: &[&str]) -> String {
    let o = sift()
        .arg("export")
        .arg("-p")
        .arg(proj)
        .args(["-f", format])
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "export {format}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs `script` (Python with `datasets`, given the file and a cache folder as `sys.argv[1]`
/// and `[2]`) offline on `path` and returns its standard output.
fn with_hf_datasets(path: &Path, script: &str) -> String {
    let python = std::env::var("SIFT_PYTHON").unwrap_or_else(|_| "python3".into());
    let cache = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(path)
        .arg(cache.path())
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_HOME", cache.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} (set SIFT_PYTHON to the venv made by `make setup`): {e}")
        });
    assert!(
        out.status.success(),
        "datasets could not load {}: {}\n(run `make setup` for the Python test dependencies)",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Loads a JSON Lines file with `datasets.load_dataset("json", ...)` and returns its row count.
fn load_with_hf_datasets(path: &Path) -> usize {
    let script = "import sys, datasets\nds = datasets.load_dataset('json', data_files=sys.argv[1], split='train', cache_dir=sys.argv[2])\nprint(len(ds))\nprint(','.join(sorted(ds.column_names)))";
    with_hf_datasets(path, script)
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

const RESPONSES: [&str; 4] = [
    "About 70 °C, because air pressure at the summit is about a third of sea level.",
    "Water always boils at 100 °C.",
    "Around 86 °C.",
    "Roughly 70 °C; lower pressure lowers the boiling point.",
];

fn ranking_payload(order: [&str; 4]) -> Value {
    sift_tests::ranking_payload(
        order,
        "Response 0 explains the physics and gives the right figure.",
    )
}

#[test]
fn preference_pairs_from_rankings_load_with_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<Value> = (0..2)
        .map(|i| json!({"source": "everest", "prompt": format!("What is the boiling point of water on Everest? ({i})"), "responses": RESPONSES}))
        .collect();
    let (proj, mut p) = project_with(dir.path(), "ranking.toml", &lines);
    let a = p
        .submit(1, "ann", &ranking_payload(["0", "3", "2", "1"]), 90_000)
        .unwrap();
    p.submit(2, "ann", &ranking_payload(["3", "0", "1", "2"]), 60_000)
        .unwrap();
    p.review(&ReviewInput {
        annotation_id: a.id,
        version: a.version,
        reviewer: "rev",
        decision: Decision::Approved,
        comment: None,
        anchor: None,
    })
    .unwrap();
    drop(p);

    let out = dir.path().join("pref.jsonl");
    export(&proj, "preference", &out, &[]);
    let records = read_jsonl(&out);
    assert_eq!(
        records.len(),
        2 * 3 * 6,
        "a total order of 4 gives 6 pairs per dimension"
    );
    for r in &records {
        for key in ["prompt", "chosen", "rejected"] {
            assert!(r[key].is_string(), "{key} missing in {r}");
        }
        assert_ne!(r["chosen"], r["rejected"]);
    }
    // On item 1, response 0 is ranked first on every dimension: it is never rejected.
    let first = &records[0]["prompt"];
    assert!(
        records
            .iter()
            .filter(|r| &r["prompt"] == first)
            .all(|r| r["rejected"] != RESPONSES[0])
    );
    assert_eq!(load_with_hf_datasets(&out), 36);

    let acc = dir.path().join("acc.jsonl");
    export(&proj, "preference", &acc, &["--dimension", "accuracy"]);
    assert_eq!(read_jsonl(&acc).len(), 12);
    let approved = dir.path().join("approved.jsonl");
    export(&proj, "preference", &approved, &["--approved"]);
    assert_eq!(read_jsonl(&approved).len(), 18);

    // Unknown dimensions and formats that do not fit the project are user errors.
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj)
        .args(["-f", "preference", "--dimension", "tone", "-o"])
        .arg(dir.path().join("x.jsonl"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("tone"));
    sift()
        .arg("export")
        .arg("-p")
        .arg(&proj)
        .args(["-f", "sft", "-o"])
        .arg(dir.path().join("x.jsonl"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the sft format is for qa projects; this project is ranking",
        ));
}

#[test]
fn label_studio_export_imports_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let lines =
        vec![json!({"source": "everest", "prompt": "Boiling point on Everest?", "responses": RESPONSES})];
    let (proj, mut p) = project_with(dir.path(), "ranking.toml", &lines);
    let payload = ranking_payload(["0", "3", "2", "1"]);
    p.submit(1, "ann", &payload, 1000).unwrap();
    drop(p);
    let ls = dir.path().join("tasks.json");
    export(&proj, "label-studio", &ls, &[]);
    let tasks: Value = serde_json::from_str(&std::fs::read_to_string(&ls).unwrap()).unwrap();
    let task = &tasks.as_array().unwrap()[0];
    assert_eq!(task["data"]["prompt"], "Boiling point on Everest?");
    assert_eq!(task["annotations"].as_array().unwrap().len(), 1);

    let proj2 = dir.path().join("again");
    sift()
        .arg("init")
        .arg(&proj2)
        .arg("--template")
        .arg(template("ranking.toml"))
        .assert()
        .success();
    sift_import(&proj2, &ls)
        .success()
        .stdout(predicate::str::contains("1 new items").and(predicate::str::contains("1 existing labels")));
    let gt = dir.path().join("gt.jsonl");
    export(&proj2, "gt", &gt, &[]);
    let back = &read_jsonl(&gt)[0];
    assert_eq!(
        back["response-ranking"], payload,
        "payload changed on the Label Studio round trip: {back}"
    );
}

const PASSAGE: &str = "Honeybees communicate the location of food with the waggle dance: the angle of the run encodes direction and its duration encodes distance.";

fn qa_payload() -> Value {
    let span = |s: &str| {
        let start = PASSAGE[..PASSAGE.find(s).unwrap()].chars().count();
        json!({"start": start, "end": start + s.chars().count()})
    };
    json!({"pairs": [
        {"question": "What does the angle of the run encode?", "answer": "The direction of the food.", "question_type": "factual", "spans": [span("the angle of the run encodes direction")], "entire_passage": false},
        {"question": "Why would a longer run mean a farther source?", "answer": "Because duration encodes distance.", "question_type": "inferential", "spans": [span("its duration encodes distance")], "entire_passage": false},
        {"question": "What is the passage about overall?", "answer": "How honeybees share where food is.", "question_type": "whole-passage", "spans": [], "entire_passage": true}
    ]})
}

#[test]
fn sft_records_in_both_styles_load_with_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let (proj, mut p) = project_with(dir.path(), "qa.toml", &[json!({"source": PASSAGE, "id": "bees"})]);
    p.submit(1, "ann", &qa_payload(), 1000).unwrap();
    drop(p);

    let chat = dir.path().join("sft.jsonl");
    export(&proj, "sft", &chat, &[]);
    let records = read_jsonl(&chat);
    assert_eq!(records.len(), 3, "one record per pair");
    let messages = records[0]["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "user");
    assert!(
        messages[0]["content"].as_str().unwrap().contains(PASSAGE),
        "passage included as context"
    );
    assert_eq!(messages.last().unwrap()["role"], "assistant");
    assert_eq!(messages.last().unwrap()["content"], "The direction of the food.");
    assert_eq!(load_with_hf_datasets(&chat), 3);

    let pc = dir.path().join("pc.jsonl");
    export(&proj, "sft", &pc, &["--sft-style", "prompt-completion"]);
    let records = read_jsonl(&pc);
    assert!(
        records[0]["prompt"]
            .as_str()
            .unwrap()
            .contains("What does the angle")
    );
    assert_eq!(records[0]["completion"], "The direction of the food.");
    assert_eq!(load_with_hf_datasets(&pc), 3);
}

#[test]
fn image_captions_and_coco_use_the_real_image_size() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("scene.png");
    std::fs::copy(fixture("media/scene-64x48.png"), &img).unwrap();
    let (proj, mut p) = project_with(
        dir.path(),
        "image-caption.toml",
        &[json!({"source-ref": img.display().to_string()})],
    );
    let payload = json!({
        "objects": [
            {"id": "o1", "x": 10, "y": 12, "name": "kite", "description": "A red kite high in the air."},
            {"id": "o2", "x": 50, "y": 40, "name": "child", "description": "A child holding the kite string."}
        ],
        "relationships": [{"subject": "o2", "relation": "is flying", "object": "o1"}],
        "setting": "A windy beach in the afternoon.",
        "caption": "On a windy beach in the afternoon a child holds the string of a red kite that flies high above the sand and the waves."
    });
    // A point outside the 64x48 image is refused on submit, with its path.
    let mut outside = payload.clone();
    outside["objects"][0]["x"] = json!(80);
    let err = p.submit(1, "ann", &outside, 0).unwrap_err().to_string();
    assert!(err.contains("objects[0]"), "{err}");
    p.submit(1, "ann", &payload, 0).unwrap();
    drop(p);

    let caps = dir.path().join("captions.jsonl");
    export(&proj, "captions", &caps, &[]);
    let rec = &read_jsonl(&caps)[0];
    assert_eq!(rec["caption"], payload["caption"]);
    assert_eq!(rec["objects"].as_array().unwrap().len(), 2);

    let coco = dir.path().join("coco.json");
    export(&proj, "coco-captions", &coco, &[]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&coco).unwrap()).unwrap();
    assert_eq!(doc["images"][0]["width"], 64);
    assert_eq!(doc["images"][0]["height"], 48);
    assert_eq!(doc["annotations"][0]["image_id"], doc["images"][0]["id"]);
    assert_eq!(doc["annotations"][0]["caption"], payload["caption"]);
}

#[test]
fn video_captions_export_events() {
    let dir = tempfile::tempdir().unwrap();
    let (proj, mut p) = project_with(
        dir.path(),
        "video-caption.toml",
        &[json!({"source-ref": "s3://bucket/cooking.mp4", "duration": 12.0, "fps": 25})],
    );
    let payload = json!({
        "events": [
            {"start": 0.0, "end": 4.2, "description": "A man lifts the lid of a pot and stirs the soup."},
            {"start": 4.2, "end": 9.0, "description": "He tastes the soup from a wooden spoon."}
        ],
        "setting": "A small home kitchen in the evening.",
        "caption": "In a small kitchen in the evening, a man lifts the lid of a steaming pot, stirs the soup and then tastes it from a wooden spoon."
    });
    let mut late = payload.clone();
    late["events"][1]["end"] = json!(30.0);
    let err = p.submit(1, "ann", &late, 0).unwrap_err().to_string();
    assert!(
        err.contains("events[1]"),
        "an event past the 12 s duration is refused: {err}"
    );
    p.submit(1, "ann", &payload, 0).unwrap();
    drop(p);
    let caps = dir.path().join("captions.jsonl");
    export(&proj, "captions", &caps, &[]);
    let rec = &read_jsonl(&caps)[0];
    assert_eq!(rec["events"].as_array().unwrap().len(), 2);
    assert_eq!(rec["caption"], payload["caption"]);
}

#[test]
fn template_check_lists_every_problem_with_its_path() {
    for name in [
        "qa.toml",
        "ranking.toml",
        "image-caption.toml",
        "video-caption.toml",
    ] {
        sift()
            .args(["template", "check"])
            .arg(template(name))
            .assert()
            .success()
            .stdout(predicate::str::contains("ok"));
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\nkind = \"qa\"\nversion = 1\ntitle = \"t\"\nlabel_attribute = \"a-metadata\"\ninstructions = \"i\"\n[rules]\nmin_pairs = 5\nmax_pairs = 2\nmistake = 1\n",
    )
    .unwrap();
    let out = sift().args(["template", "check"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for path in ["label_attribute", "rules.mistake", "rules.min_pairs"] {
        assert!(
            stderr.contains(&format!("{}: {path}", bad.display())),
            "missing {path} in {stderr}"
        );
    }
}

#[test]
fn review_loop_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (proj, p) = project_with(dir.path(), "qa.toml", &[json!({"source": PASSAGE})]);
    drop(p);
    let payload = dir.path().join("p.json");
    std::fs::write(&payload, qa_payload().to_string()).unwrap();
    sift()
        .args(["annotate", "1", "--as", "ann", "--submit", "--payload-file"])
        .arg(&payload)
        .arg("-p")
        .arg(&proj)
        .assert()
        .success()
        .stdout(predicate::str::contains("submitted at version 1"));
    let out = sift()
        .args(["review", "pending", "--json", "-p"])
        .arg(&proj)
        .output()
        .unwrap();
    let pending: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = pending[0]["id"].as_i64().unwrap().to_string();
    // Annotators cannot review; reviewers must say what to fix.
    sift()
        .args(["review", "approve", &id, "--version", "1", "--as", "ann", "-p"])
        .arg(&proj)
        .assert()
        .code(1);
    sift()
        .args([
            "review",
            "return",
            &id,
            "--version",
            "1",
            "--as",
            "rev",
            "--comment",
            "Cite both spans.",
            "--anchor",
            r#"{"span":[0,9]}"#,
            "-p",
        ])
        .arg(&proj)
        .assert()
        .success()
        .stdout(predicate::str::contains("returned"));
    // Returned twice: refused.
    sift()
        .args([
            "review",
            "return",
            &id,
            "--version",
            "1",
            "--as",
            "rev",
            "--comment",
            "again",
            "-p",
        ])
        .arg(&proj)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("returned for rework"));
    // The returned item heads the annotator's queue, with the comment.
    let p = Project::open(&proj).unwrap();
    let queue = p.queue("ann", 10).unwrap();
    assert_eq!(
        (queue[0].item_id, queue[0].reason),
        (1, sift_api::QueueReason::Returned)
    );
    let view = p.item(1, Some("ann")).unwrap();
    assert_eq!(
        view.annotation.unwrap().reviews[0].comment.as_deref(),
        Some("Cite both spans.")
    );
    drop(p);
    // Resubmit as version 2; approving version 1 is refused, version 2 is approved.
    sift()
        .args(["annotate", "1", "--as", "ann", "--submit", "--payload-file"])
        .arg(&payload)
        .arg("-p")
        .arg(&proj)
        .assert()
        .success();
    sift()
        .args(["review", "approve", &id, "--version", "1", "--as", "rev", "-p"])
        .arg(&proj)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not the latest submission"));
    sift()
        .args(["review", "approve", &id, "--version", "2", "--as", "rev", "-p"])
        .arg(&proj)
        .assert()
        .success()
        .stdout(predicate::str::contains("approved"));
}

/// Loads a JSON Lines file with the `datasets` JSON loader: its sorted column names and each
/// row's `label`, as `{"columns": [...], "label": [...]}`.
fn hf_labels(path: &Path) -> Value {
    let script = "import sys, json, datasets\nds = datasets.load_dataset('json', data_files=sys.argv[1], split='train', cache_dir=sys.argv[2])\nprint(json.dumps({'columns': sorted(ds.column_names), 'label': list(ds['label'])}))";
    let stdout = with_hf_datasets(path, script);
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

/// The classification template from the command line alone: init, import, annotator, drafts
/// and submissions, every export, and the Ground Truth and Label Studio files imported back.
#[test]
fn classification_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "classification.toml");
    let manifest = dir.path().join("messages.jsonl");
    let messages = [
        "I was charged twice for my subscription this month.",
        "The app crashes every time I open the settings page.",
    ];
    let text: String = messages
        .iter()
        .map(|m| format!("{}\n", json!({"source": m})))
        .collect();
    std::fs::write(&manifest, text).unwrap();
    import_manifest(&proj, &manifest);
    add_annotator(&proj, "ann");
    let annotate = |item: &str, payload: Value, submit: bool| {
        let mut cmd = sift();
        cmd.args(["annotate", item, "--as", "ann", "--payload"])
            .arg(payload.to_string())
            .arg("-p")
            .arg(&proj);
        if submit {
            cmd.arg("--submit");
        }
        cmd.assert()
    };
    annotate("1", json!({"labels": []}), false).success();
    annotate("1", json!({"labels": ["billing", "account"]}), true)
        .code(1)
        .stderr(predicate::str::contains("single-label"));
    annotate("1", json!({"labels": ["billing"]}), true).success();
    annotate(
        "2",
        json!({"labels": ["technical"], "unsure": {"reason": "or account?"}}),
        true,
    )
    .success();

    let gt = dir.path().join("gt.jsonl");
    export(&proj, "gt", &gt, &[]);
    let lines = read_jsonl(&gt);
    assert_eq!(
        (lines[0]["topic"].clone(), lines[1]["topic"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(lines[0]["topic-metadata"]["class-name"], "billing");
    assert_eq!(
        lines[0]["topic-metadata"]["type"],
        "groundtruth/text-classification"
    );
    assert_eq!(lines[1]["topic-metadata"]["confidence"], 0.5);

    let records = dir.path().join("train.jsonl");
    export(&proj, "classification", &records, &[]);
    assert_eq!(
        hf_labels(&records),
        json!({"columns": ["label", "text", "unsure"], "label": ["billing", "technical"]})
    );

    let ls = dir.path().join("tasks.json");
    export(&proj, "label-studio", &ls, &[]);
    for (name, file) in [("from-gt", &gt), ("from-ls", &ls)] {
        let again = dir.path().join(name);
        sift()
            .arg("init")
            .arg(&again)
            .arg("--template")
            .arg(template("classification.toml"))
            .assert()
            .success();
        sift_import(&again, file).success().stdout(
            predicate::str::contains("2 new items").and(predicate::str::contains("2 existing labels")),
        );
        let out = dir.path().join(format!("{name}.jsonl"));
        export(&again, "classification", &out, &[]);
        assert_eq!(read_jsonl(&out), read_jsonl(&records), "{name}");
    }
}
