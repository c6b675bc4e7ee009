//! *Embed with …* in the Models view on the support-ticket demo (the classification demo
//! project), with all-MiniLM-L6-v2 through the real ONNX Runtime: the encoder is registered
//! but no ticket has a vector; a run cancelled while the encoder loads keeps what it saved
//! (nothing, or the batches done) and says so; the next run embeds the rest, and the view and
//! the project agree on every ticket's vector. Snapshots of both states in both themes.
//!
//! The encoder is what `make setup-python` builds. When `SIFT_ENCODER_DIR` is set (as
//! `make test` sets it) and the encoder is missing there, the test fails; when it is not set
//! and the default folder has no encoder, the test is skipped with a message saying so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // test code

mod support;

use eframe::egui;
use egui_kittest::kittest::{NodeT as _, Queryable};
use sift_api::Project;
use support::*;

const ITEMS: u64 = 200;

/// The encoder folder, or `None` (with a message) when the test must be skipped.
fn encoder() -> Option<std::path::PathBuf> {
    if std::env::var_os("SIFT_ENCODER_DIR").is_some() {
        return Some(encoder_dir());
    }
    let default =
        std::path::PathBuf::from(std::env::var_os("HOME")?).join(".cache/sift/models/all-minilm-l6-v2");
    if default.join("model.onnx").is_file() {
        return Some(encoder_dir());
    }
    eprintln!(
        "SKIPPED: no text encoder in {} and SIFT_ENCODER_DIR is not set (`make setup-python` builds it)",
        default.display()
    );
    None
}

/// How many tickets have a vector from the project's encoder.
fn stored_vectors(project: &std::path::Path) -> u64 {
    let p = Project::open(project).unwrap();
    p.embedding_counts().unwrap().iter().map(|c| c.items).sum()
}

/// The first number in `text` after `after`.
fn number_after(text: &str, after: &str) -> u64 {
    let rest = &text[text
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {text:?}"))
        + after.len()..];
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn embed_from_the_models_view_with_progress_cancel_and_resume() {
    let Some(encoder) = encoder() else { return };
    let dir = tempfile::tempdir().unwrap();
    let project = sift_lab::demo::tickets_unembedded(
        &dir.path().join("tickets"),
        &repo(),
        LEAD,
        &encoder,
        ITEMS as usize,
        40,
    )
    .unwrap();
    let model = Project::open(&project).unwrap().model(None).unwrap();
    let button = format!("Embed with {}", model.label());
    assert_eq!(stored_vectors(&project), 0);

    let mut h = lab(&project, egui::Theme::Dark, dir.path());
    wait_label(&mut h, &format!("{ITEMS} items"));
    h.get_by_label("Models").click();
    wait_label(&mut h, &button);
    wait_label(&mut h, &format!("0 of {ITEMS} items have a vector"));
    wait_label_contains(&mut h, "is an encoder");
    snapshot(&mut h, "models-encoder-dark");

    // Start, then cancel as soon as the job's progress (and its Cancel) is on screen: the
    // encoder is still loading, so the run stops before or soon after its first batch. (The
    // search index is built first, so the embedding is the only job: the view's Cancel and
    // the status bar's both stop it.)
    wait_idle(&mut h);
    h.get_by_label(&button).click();
    wait_label(&mut h, "Cancel");
    h.query_all_by_label("Cancel").next().unwrap().click();
    wait_label_contains(&mut h, "Cancelled after embedding");
    // (AccessKit keeps a text label's words in its value.)
    let said = h
        .query_all_by_label_contains("Cancelled after embedding")
        .next()
        .unwrap()
        .accesskit_node()
        .value()
        .unwrap_or_default();
    let kept = number_after(&said, "Cancelled after embedding");
    assert!(kept < ITEMS, "the cancel came too late to test: {said}");
    assert_eq!(
        stored_vectors(&project),
        kept,
        "what the view said is what was saved: {said}"
    );
    wait_label(&mut h, &format!("{kept} of {ITEMS} items have a vector"));
    wait_idle(&mut h);
    snapshot(&mut h, "models-embed-cancelled-dark");

    // Run again: it resumes with the rest, with a progress bar on the way.
    h.get_by_label(&button).click();
    wait_label_contains(
        &mut h,
        &format!("Embedded {} items with {}", ITEMS - kept, model.label()),
    );
    wait_label_contains(&mut h, &format!("{kept} already had a vector"));
    wait_label(&mut h, &format!("{ITEMS} of {ITEMS} items have a vector"));
    let p = Project::open(&project).unwrap();
    let counts = p.embedding_counts().unwrap();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(counts[0].model_version_id, model.row.id);
    assert_eq!(counts[0].items, ITEMS);
    assert_eq!(counts[0].min_dim, Some(384), "all-MiniLM-L6-v2 gives 384 numbers");
    // The table's Vectors column says the same.
    h.get_by_label(&ITEMS.to_string());
    wait_idle(&mut h);
    snapshot(&mut h, "models-embedded-dark");
    drop(h);

    let mut h = lab(&project, egui::Theme::Light, dir.path());
    wait_label(&mut h, &format!("{ITEMS} items"));
    h.get_by_label("Models").click();
    wait_label(&mut h, &format!("{ITEMS} of {ITEMS} items have a vector"));
    snapshot(&mut h, "models-embedded-light");
}
