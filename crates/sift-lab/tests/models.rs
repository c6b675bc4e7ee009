//! The Lab's model views on a real model: the digits classifier (scikit-learn, converted to
//! ONNX) scores the pool through the real ONNX Runtime from the Models view; then the score
//! histograms, the data map (PCA of the stored probabilities, box selection feeding "Make
//! batch") and the queue builder's preview, whose "Make batch" makes exactly what it showed.
//!
//! ONNX Runtime is found as `sift score` finds it (`ORT_DYLIB_PATH`, `~/.cache/sift/venv`
//! from `make setup`); without it this test fails with that message rather than skipping.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

mod support;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use sift_api::Project;
use support::*;

#[test]
fn score_then_histograms_map_and_queue_on_the_digits() {
    let dir = tempfile::tempdir().unwrap();
    let project = sift_lab::demo::digits_demo(&dir.path().join("digits"), &repo(), LEAD).unwrap();
    for (theme, name) in [(egui::Theme::Dark, "dark"), (egui::Theme::Light, "light")] {
        let mut h = lab(&project, theme, dir.path());
        wait_label(&mut h, "120 items");
        h.get_by_label("Models").click();
        if name == "dark" {
            wait_label(&mut h, "Score with digits@1");
            h.get_by_label("Score with digits@1").click();
            wait_label_contains(&mut h, "Scored 120 items");
        }
        wait_label_contains(&mut h, "least-confidence (120 items)");
        h.get_by_label_contains("margin (120 items)");
        snapshot(&mut h, &format!("models-{name}"));

        h.get_by_label("Data map").click();
        wait_label_contains(&mut h, "120 points");
        wait_idle(&mut h);
        snapshot(&mut h, &format!("map-{name}"));
        if name == "dark" {
            // A box over the whole plot selects every point; the selection feeds the bulk
            // actions of the data manager.
            let plot = h.get_by_label_contains("Data map, 120 points").rect();
            let (start, end) = (
                plot.left_top() + egui::vec2(2.0, 2.0),
                plot.right_bottom() - egui::vec2(2.0, 2.0),
            );
            h.hover_at(start);
            h.step();
            h.drag_at(start);
            h.step();
            h.hover_at(plot.center());
            h.step();
            h.hover_at(end);
            h.step();
            h.drop_at(end);
            wait_label_contains(&mut h, "points selected");
            let selected = h.state().views.map.selection.len();
            assert!(selected > 60, "most points lie inside the box: {selected}");
            snapshot(&mut h, "map-selection-dark");
            h.get_by_label("Select in Data").click();
            wait_label(&mut h, &format!("{selected} selected"));
            assert_eq!(h.state().views.data.selected.len(), selected);
        }

        h.get_by_label("Learning").click();
        // The second pass comes after the first made a batch of 20: those are no longer
        // candidates.
        let candidates = if name == "dark" { 120 } else { 100 };
        wait_label_contains(&mut h, &format!("picks 20 of {candidates} candidates by margin"));
        snapshot(&mut h, &format!("learning-{name}"));
        if name == "dark" {
            let preview: Vec<i64> = match &h.state().views.learning.preview {
                Some(Ok(p)) => p.items.iter().map(|(e, _)| e.item_id).collect(),
                other => panic!("no preview: {:?}", other.as_ref().map(|p| p.as_ref().err())),
            };
            h.get_by_label("ann").click();
            wait_label_contains(&mut h, "picks 20");
            h.get_by_label("Make batch").click();
            wait_for(&mut h, "the batch", |h| h.state().views.learning.made.is_some());
            let made = match &h.state().views.learning.made {
                Some(Ok(b)) => b.batch.clone(),
                other => panic!("no batch: {:?}", other.as_ref().map(|m| m.as_ref().err())),
            };
            wait_label(&mut h, &format!("Made batch {made} of 20 items."));
            let p = Project::open(&project).unwrap();
            let queue: Vec<i64> = p.queue("ann", 20).unwrap().iter().map(|q| q.item_id).collect();
            assert_eq!(queue, preview, "the batch is what the preview showed, in order");
        }
    }
}
