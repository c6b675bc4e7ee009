//! The learning view on the real loop: the support-ticket demo embedded by all-MiniLM-L6-v2
//! through the real ONNX Runtime, 40 tickets labeled; "Run learning" trains the first head
//! version (a point on its curve), 40 more labels arrive from another connection (as from the
//! annotator app), a second run adds the second point, and the data table gains the head's
//! predicted label and confidence columns (and the prediction filter), matching what the
//! project stores.
//!
//! ONNX Runtime and the encoder are found as the CLI's learning tests find them; without them
//! this test fails with that message rather than skipping.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

mod support;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use sift_api::Project;
use support::*;

const HEAD: &str = "support-tickets-head";

#[test]
fn run_learning_adds_points_to_the_curve_and_predictions_to_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let project = sift_lab::demo::tickets_demo(
        &dir.path().join("tickets"),
        &repo(),
        LEAD,
        &encoder_dir(),
        200,
        40,
    )
    .unwrap();
    let topics = sift_lab::demo::ticket_topics(&repo(), 200).unwrap();
    for (theme, name) in [(egui::Theme::Dark, "dark"), (egui::Theme::Light, "light")] {
        let mut h = lab(&project, theme, dir.path());
        wait_label(&mut h, "200 items");
        h.get_by_label("Learning").click();
        if name == "dark" {
            wait_label_contains(&mut h, "No learning runs yet");
            snapshot(&mut h, "learning-empty-dark");
            h.get_by_label("Run learning").click();
            wait_label_contains(&mut h, &format!("Trained {HEAD}@1 on "));
            wait_label(&mut h, &format!("Learning curve of {HEAD}, 1 versions"));
            snapshot(&mut h, "learning-one-round-dark");

            // More labels from another connection; the Lab sees them and trains on them.
            let mut other = Project::open(&project).unwrap();
            sift_lab::demo::label_tickets(&mut other, &topics, 40..80).unwrap();
            drop(other);
            h.get_by_label("Run learning").click();
            wait_label_contains(&mut h, &format!("Trained {HEAD}@2 on "));
        }
        wait_label(&mut h, &format!("Learning curve of {HEAD}, 2 versions"));
        wait_label_contains(&mut h, "Stopping rule: Keep labeling");
        snapshot(&mut h, &format!("learning-curve-{name}"));

        // What the curve draws is what the project recorded: two versions, more labels in
        // the second, each with a validation accuracy.
        let status = Project::open(&project).unwrap().learn_status(None).unwrap();
        let rounds = &status.heads[0].rounds;
        assert_eq!(status.heads.len(), 1);
        assert_eq!(rounds.len(), 2);
        assert!(rounds[1].labels_used > rounds[0].labels_used, "{rounds:?}");
        assert!(
            rounds.iter().all(|r| r.accuracy.is_some_and(|a| a > 0.25)),
            "{rounds:?}"
        );
        // Every row of the rounds table shows its labels.
        for r in rounds {
            h.get_by_label(&r.labels_used.to_string());
        }

        // The data table: the newest head's predicted label and confidence, as stored.
        h.get_by_label("Data").click();
        wait_label(&mut h, "Predicted");
        h.get_by_label("Confidence");
        let p = Project::open(&project).unwrap();
        let facets = p.browse_facets().unwrap();
        let head = &facets.models[0];
        assert_eq!(head.label, format!("{HEAD}@2"));
        let mut classes = head.classes.clone();
        classes.sort();
        assert_eq!(classes, ["account", "billing", "shipping", "technical"]);
        let rows = p.item_rows(&[1, 150], Some(head.model_version_id)).unwrap();
        for row in &rows {
            let prediction = row
                .prediction
                .as_ref()
                .expect("every embedded ticket has a prediction");
            assert!(head.classes.contains(&prediction.label), "{prediction:?}");
            let confidence = prediction.confidence.unwrap();
            assert!((0.25..=1.0).contains(&confidence), "{prediction:?}");
        }
        // Item 1's row as the window shows it.
        let first = rows[0].prediction.as_ref().unwrap();
        wait_label(&mut h, &format!("{:.1}%", first.confidence.unwrap() * 100.0));
        snapshot(&mut h, &format!("data-predictions-{name}"));
        if name == "dark" {
            // The prediction filter keeps the items the head predicts "billing" for: as many as
            // the rows' stored predictions say.
            let all = p.item_ids(&Default::default()).unwrap();
            let billing = p
                .item_rows(&all, Some(head.model_version_id))
                .unwrap()
                .iter()
                .filter(|r| r.prediction.as_ref().is_some_and(|x| x.label == "billing"))
                .count();
            assert!((1..200).contains(&billing), "{billing}");
            h.get_by_label("Predicted class").click();
            wait_for(&mut h, "the list of classes", |h| {
                h.query_by_role_and_label(egui::accesskit::Role::Button, "billing")
                    .is_some()
            });
            h.get_by_role_and_label(egui::accesskit::Role::Button, "billing")
                .click();
            wait_label(&mut h, &format!("{billing} matching items"));
            snapshot(&mut h, "data-predicted-billing-dark");

            // The data map coloured by the predicted class: each point's colour key is its
            // item's predicted class.
            h.get_by_label("Data map").click();
            wait_label_contains(&mut h, "200 points");
            h.get_by_label("Colour by").click();
            let option = format!("predicted class ({HEAD}@2)");
            wait_for(&mut h, "the colourings", |h| h.query_by_label(&option).is_some());
            h.get_by_label(&option).click();
            wait_label(&mut h, "no prediction");
            wait_idle(&mut h);
            snapshot(&mut h, "map-predicted-dark");
            let points = h.state().views.map.points.clone().expect("the projection");
            let colours = p
                .map_colors(
                    &points.ids,
                    &sift_api::browse::ColorBy::Predicted {
                        model_version_id: head.model_version_id,
                    },
                )
                .unwrap();
            let rows = p.item_rows(&points.ids, Some(head.model_version_id)).unwrap();
            for (row, value) in rows.iter().zip(&colours.values) {
                let label = &row.prediction.as_ref().unwrap().label;
                assert_eq!(&colours.categories[*value as usize], label, "item {}", row.id);
            }
        }
    }
}
