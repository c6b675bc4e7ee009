//! Writes `tests/fixtures/project-v1.sift`: a small project made by schema version 1, kept
//! so the migration test can prove that newer builds open it. Run once, when the fixture is
//! first made: `cargo run -p sift-cli --example make-fixture-v1`. Never regenerate it with
//! a newer schema.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

use serde_json::json;
use sift_api::{Decision, NoProgress, ReviewInput, Role};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = root.join("tests/fixtures/project-v1.sift");
    let work = tempfile::tempdir()?;
    let dir = work.path().join("v1");
    let template = work.path().join("qa.toml");
    std::fs::write(&template, FIXTURE_TEMPLATE)?;
    let mut p = sift_api::init_project(&dir, &template, Some("fixture-v1"))?;
    let manifest = work.path().join("m.jsonl");
    let passage = "Ada Lovelace wrote the first published algorithm in 1843.";
    std::fs::write(
        &manifest,
        format!(
            "{}\n{}\n{}\n",
            json!({"source": passage, "id": 1}),
            json!({"source": passage, "id": 2}),
            json!({"source": passage, "id": 3})
        ),
    )?;
    p.import(&manifest, &Default::default(), &NoProgress)?;
    p.add_annotator("ann", Role::Annotator)?;
    p.add_annotator("rev", Role::Reviewer)?;
    let payload = json!({"pairs": [{"question": "Who wrote it?", "answer": "Ada Lovelace", "question_type": "factual",
        "spans": [{"start": 0, "end": 12}], "entire_passage": false}]});
    let a1 = p.submit(1, "ann", &payload, 1000)?;
    p.submit(2, "ann", &payload, 2000)?;
    let a3 = p.submit(3, "ann", &payload, 3000)?;
    p.review(&ReviewInput {
        annotation_id: a1.id,
        version: a1.version,
        reviewer: "rev",
        decision: Decision::Approved,
        comment: None,
        anchor: None,
    })?;
    p.review(&ReviewInput {
        annotation_id: a3.id,
        version: a3.version,
        reviewer: "rev",
        decision: Decision::Returned,
        comment: Some("Cite the span for pair 2."),
        anchor: Some(json!({"span": [0, 12]})),
    })?;
    drop(p);
    std::fs::copy(dir.join("project.sift"), &out)?;
    println!("wrote {}", out.display());
    Ok(())
}

/// A minimal Q&A template, kept here so the fixture does not change when the demo
/// templates do.
const FIXTURE_TEMPLATE: &str = include_str!("../fixtures/qa-minimal.toml");
