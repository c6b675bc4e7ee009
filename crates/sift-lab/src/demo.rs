//! Projects to open in the Lab without real data: the bundled Q&A demo with people and work in
//! every state (what the tests and `make lab` open), a digits project with a real ONNX model
//! registered (the Models view, the map, the queue builder), the support-ticket demo embedded
//! by a real encoder with some tickets labeled (the learning loop), and a large synthetic
//! project for the benchmarks. Everything goes through the same `sift-api` use cases as real work.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sift_api::browse::MakeBatch;
use sift_api::{Decision, ImportOptions, NoProgress, Project, ReviewInput, Role};

/// A valid answer for the Q&A template (three pairs, spans inside any passage of 40+ chars).
pub fn qa_answer(tag: &str) -> Value {
    json!({"pairs": [
        {"question": format!("What does the passage describe ({tag})?"), "answer": "A landmark.",
         "question_type": "factual", "spans": [{"start": 0, "end": 12}], "entire_passage": false},
        {"question": "Why might this matter to a visitor?", "answer": "It is very large.",
         "question_type": "inferential", "spans": [{"start": 4, "end": 20}], "entire_passage": false},
        {"question": "What is the passage mainly about?", "answer": "One place and its history.",
         "question_type": "whole-passage", "spans": [], "entire_passage": true}
    ]})
}

/// The bundled Q&A demo (`demo/qa.jsonl`, `labeling-templates/qa.toml`) in `dir`, with the
/// annotators `ann` and `bob`, the lead `lead`, and work in every state: item 1 submitted by
/// ann (waiting for review), item 2 a draft of ann's, item 3 approved (bob), item 4 returned
/// to bob, item 5 in the batch `week-1` assigned to ann. Returns the project folder.
pub fn qa_demo(dir: &Path, repo: &Path, lead: &str) -> sift_api::Result<PathBuf> {
    let mut p = sift_api::init_project(dir, &repo.join("labeling-templates/qa.toml"), Some("demo-qa"))?;
    p.import(
        &repo.join("demo/qa.jsonl"),
        &ImportOptions::default(),
        &NoProgress,
    )?;
    p.add_annotator("ann", Role::Annotator)?;
    p.add_annotator("bob", Role::Annotator)?;
    p.add_annotator(lead, Role::Lead)?;
    p.submit(1, "ann", &qa_answer("1"), 240_000)?;
    p.save_draft(2, "ann", &qa_answer("2"), 90_000)?;
    let approved = p.submit(3, "bob", &qa_answer("3"), 300_000)?;
    review(&mut p, approved.id, lead, Decision::Approved, None)?;
    let returned = p.submit(4, "bob", &qa_answer("4"), 180_000)?;
    review(
        &mut p,
        returned.id,
        lead,
        Decision::Returned,
        Some("Cite the sentence that gives the height."),
    )?;
    p.make_batch_of(&MakeBatch {
        name: Some("week-1".into()),
        items: vec![5],
        assign: vec!["ann".into()],
        queue_first: false,
    })?;
    Ok(dir.to_owned())
}

fn review(
    p: &mut Project,
    annotation: i64,
    lead: &str,
    decision: Decision,
    comment: Option<&str>,
) -> sift_api::Result<()> {
    p.review(&ReviewInput {
        annotation_id: annotation,
        version: 1,
        reviewer: lead,
        decision,
        comment,
        anchor: None,
    })?;
    Ok(())
}

/// The digits model's config (scikit-learn's digits, converted with skl2onnx).
pub const DIGITS_CONFIG: &str = r#"name = "digits"
[input]
adapter = "features"
field = "features"
[output]
name = "probabilities"
kind = "probabilities"
"#;

/// A Q&A project of the 120 held-out digits (each item's 64 pixels in `features`), with the
/// annotators `ann` and `bob`, the lead `lead`, and — when this build has ONNX Runtime
/// support and the runtime is found — the digits model registered (not yet scored).
pub fn digits_demo(dir: &Path, repo: &Path, lead: &str) -> sift_api::Result<PathBuf> {
    let fixtures = repo.join("crates/sift-onnx/tests/fixtures");
    let reference: Value = std::fs::read_to_string(fixtures.join("digits_reference.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| {
            sift_api::Error::NotFound("crates/sift-onnx/tests/fixtures/digits_reference.json".into())
        })?;
    let mut p = sift_api::init_project(dir, &repo.join("tests/fixtures/qa-minimal.toml"), Some("digits"))?;
    let manifest = dir.join("digits.jsonl");
    let mut lines = String::new();
    for (i, features) in reference["features"].as_array().into_iter().flatten().enumerate() {
        lines.push_str(&json!({"source": format!("Digit image {i}."), "features": features}).to_string());
        lines.push('\n');
    }
    std::fs::write(&manifest, lines).map_err(|e| sift_api::Error::Internal(e.to_string()))?;
    p.import(&manifest, &ImportOptions::default(), &NoProgress)?;
    p.add_annotator("ann", Role::Annotator)?;
    p.add_annotator("bob", Role::Annotator)?;
    p.add_annotator(lead, Role::Lead)?;
    register_digits(&mut p, &fixtures, dir)?;
    Ok(dir.to_owned())
}

#[cfg(feature = "onnx")]
fn register_digits(p: &mut Project, fixtures: &Path, dir: &Path) -> sift_api::Result<()> {
    let config = dir.join("digits.toml");
    std::fs::write(&config, DIGITS_CONFIG).map_err(|e| sift_api::Error::Internal(e.to_string()))?;
    let model = fixtures.join("digits.onnx");
    let checked =
        sift_onnx::check_model(&model, &config).map_err(|e| sift_api::Error::Unavailable(e.to_string()))?;
    p.add_model(&sift_api::NewModel {
        name: checked.name,
        model_file: model,
        config: checked.stored_config,
        assets: checked.assets,
        signature: serde_json::to_string(&checked.signature).ok(),
    })?;
    Ok(())
}

#[cfg(not(feature = "onnx"))]
fn register_digits(_p: &mut Project, _fixtures: &Path, _dir: &Path) -> sift_api::Result<()> {
    Ok(())
}

/// The bundled support-ticket demo (`demo/classification.toml`, the first `n` tickets of
/// `demo/classification.jsonl`) in `dir`, every ticket embedded by the encoder in `encoder`
/// (a folder holding `model.onnx`, `model.toml` and `tokenizer.json`: all-MiniLM-L6-v2, which
/// `make setup` builds) and the project's `learn.features` set to those stored vectors; the
/// annotator `ann`, the lead `lead`, and the first `labeled` tickets submitted by `ann` with
/// their true topic. What "Run learning" trains on; needs ONNX Runtime.
#[cfg(feature = "onnx")]
pub fn tickets_demo(
    dir: &Path,
    repo: &Path,
    lead: &str,
    encoder: &Path,
    n: usize,
    labeled: usize,
) -> sift_api::Result<PathBuf> {
    let unavailable = |e: sift_onnx::OnnxError| sift_api::Error::Unavailable(e.to_string());
    tickets_unembedded(dir, repo, lead, encoder, n, labeled)?;
    let mut p = Project::open(dir)?;
    let info = p.model(None)?;
    let mut enc = sift_onnx::open_registered_encoder(
        &info.path,
        &info.row.config,
        &info.dir,
        &sift_onnx::ScorerOptions::default(),
    )
    .map_err(unavailable)?;
    p.embed(
        &info,
        &mut enc,
        &sift_api::EmbedOptions::default(),
        &NoProgress,
        &std::sync::atomic::AtomicBool::new(false),
    )?;
    Ok(dir.to_owned())
}

/// [`tickets_demo`] before embedding: the encoder registered (and `learn.features` naming
/// its vectors), people and labels in place, but no item has a vector yet — what
/// *Embed with …* in the Models view starts from.
#[cfg(feature = "onnx")]
pub fn tickets_unembedded(
    dir: &Path,
    repo: &Path,
    lead: &str,
    encoder: &Path,
    n: usize,
    labeled: usize,
) -> sift_api::Result<PathBuf> {
    let unavailable = |e: sift_onnx::OnnxError| sift_api::Error::Unavailable(e.to_string());
    let internal = |e: std::io::Error| sift_api::Error::Internal(e.to_string());
    let tickets = ticket_topics(repo, n)?;
    let mut p = sift_api::init_project(dir, &repo.join("demo/classification.toml"), Some("tickets"))?;
    let manifest = dir.join("tickets.jsonl");
    let text: String = std::fs::read_to_string(repo.join("demo/classification.jsonl"))
        .map_err(internal)?
        .lines()
        .take(n)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&manifest, text).map_err(internal)?;
    p.import(&manifest, &ImportOptions::default(), &NoProgress)?;
    let checked = sift_onnx::check_model(&encoder.join("model.onnx"), &encoder.join("model.toml"))
        .map_err(unavailable)?;
    let info = p.add_model(&sift_api::NewModel {
        name: checked.name,
        model_file: encoder.join("model.onnx"),
        config: checked.stored_config,
        assets: checked.assets,
        signature: serde_json::to_string(&checked.signature).ok(),
    })?;
    p.set_learn_setting(
        sift_api::learn::SETTING_FEATURES,
        Some(&format!("embeddings:{}", info.label())),
    )?;
    p.add_annotator("ann", Role::Annotator)?;
    p.add_annotator(lead, Role::Lead)?;
    label_tickets(&mut p, &tickets, 0..labeled)?;
    Ok(dir.to_owned())
}

/// The true topic of each of the first `n` tickets of `demo/classification.jsonl`.
pub fn ticket_topics(repo: &Path, n: usize) -> sift_api::Result<Vec<String>> {
    let path = repo.join("demo/classification.jsonl");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| sift_api::Error::Internal(format!("{}: {e}", path.display())))?;
    text.lines()
        .take(n)
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str::<Value>(line)
                .ok()
                .and_then(|v| v["truth"].as_str().map(str::to_owned))
                .ok_or_else(|| sift_api::Error::Internal(format!("{}:{}: no truth", path.display(), i + 1)))
        })
        .collect()
}

/// Submits, as `ann`, the true topic of the tickets at `range` (0-based; item ids start at 1).
pub fn label_tickets(
    p: &mut Project,
    topics: &[String],
    range: std::ops::Range<usize>,
) -> sift_api::Result<()> {
    for i in range {
        let topic = topics
            .get(i)
            .ok_or_else(|| sift_api::Error::BadRequest(format!("there is no ticket {}", i + 1)))?;
        p.submit(i as i64 + 1, "ann", &json!({"labels": [topic]}), 30_000)?;
    }
    Ok(())
}

/// A project of `n` synthetic passages in `dir` (each with a 16-number `features` field that
/// places it in one of eight clusters), imported as a person would, for the benchmarks.
pub fn large_project(dir: &Path, template: &Path, n: u64) -> sift_api::Result<PathBuf> {
    let mut p = sift_api::init_project(dir, template, Some("large"))?;
    let manifest = dir.join("large.jsonl");
    {
        let file = std::fs::File::create(&manifest).map_err(|e| sift_api::Error::Internal(e.to_string()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let words = [
            "river", "bridge", "honey", "valley", "signal", "harbour", "engine", "garden",
        ];
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        for i in 0..n {
            let cluster = (i % 8) as usize;
            let mut features = String::with_capacity(200);
            for k in 0..16 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let noise = (state >> 40) as f64 / (1u64 << 24) as f64 - 0.5;
                let centre = if k % 8 == cluster { 3.0 } else { 0.0 };
                if k > 0 {
                    features.push(',');
                }
                features.push_str(&format!("{:.3}", centre + noise));
            }
            writeln!(
                w,
                "{{\"source\":\"Passage {i} about the {} and the {} near item {}.\",\"features\":[{features}]}}",
                words[cluster],
                words[(cluster + 3) % 8],
                i * 7 % 1000
            )
            .map_err(|e| sift_api::Error::Internal(e.to_string()))?;
        }
        w.flush().map_err(|e| sift_api::Error::Internal(e.to_string()))?;
    }
    p.import(&manifest, &ImportOptions::default(), &NoProgress)?;
    p.add_annotator("ann", Role::Annotator)?;
    p.add_annotator("bob", Role::Annotator)?;
    std::fs::remove_file(&manifest).map_err(|e| sift_api::Error::Internal(e.to_string()))?;
    Ok(dir.to_owned())
}
