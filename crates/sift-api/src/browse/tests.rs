//! The Lab's use cases on real project files: listings with previews, the detail pane's
//! history, bulk actions (checked in the file), the overview, the search index, the queue
//! preview against the batch `build_queue` makes, and the data map.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde_json::json;

use super::*;
use crate::{
    BatchModel, ItemOutput, ModelOutput, NewModel, NoProgress, Project, QueueOptions, Role, RunInfo,
    ScoreInput, ScoreOptions, ScorerError, Strategy,
};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/qa-minimal.toml")
}

/// A project with `n` passages (each with a 3-number `features` field), annotators ann and
/// bob, and the lead `boss`.
fn project(dir: &Path, n: usize) -> Project {
    let mut project = crate::init_project(dir, &template(), Some("demo")).unwrap();
    let manifest = dir.join("manifest.jsonl");
    let lines: String = (0..n)
        .map(|i| {
            let a = (i % 7) as f64 / 7.0;
            let text = if i % 3 == 0 {
                "about bridges"
            } else {
                "about honeybees"
            };
            format!(
                "{}\n",
                json!({"source": format!("Passage {i} {text}."), "features": [a, 1.0 - a, 0.5]})
            )
        })
        .collect();
    std::fs::write(&manifest, lines).unwrap();
    project
        .import(&manifest, &Default::default(), &NoProgress)
        .unwrap();
    project.add_annotator("ann", Role::Annotator).unwrap();
    project.add_annotator("bob", Role::Annotator).unwrap();
    project.add_annotator("boss", Role::Lead).unwrap();
    project
}

fn submit(project: &mut Project, item: i64, who: &str) {
    let payload = json!({"pairs": [{"question": "What?", "answer": "That.", "question_type": "factual",
                                    "spans": [{"start": 0, "end": 7}], "entire_passage": false}]});
    project.submit(item, who, &payload, 60_000).unwrap();
}

#[test]
fn listing_pages_carry_previews_states_and_people() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), 10);
    submit(&mut p, 2, "ann");
    let all = p.list_items(&ItemQuery::default(), 0, 4, None).unwrap();
    assert_eq!(all.total, 10);
    let ids: Vec<i64> = all.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert_eq!(all.rows[0].preview, "Passage 0 about bridges.");
    assert_eq!(all.rows[1].state, ItemState::Submitted);
    assert_eq!(all.rows[1].annotators, "ann");
    let query = ItemQuery {
        search: "bridg".into(),
        sort: ItemSort {
            key: SortKey::Id,
            descending: true,
        },
        ..ItemQuery::default()
    };
    assert_eq!(p.item_ids(&query).unwrap(), vec![10, 7, 4, 1]);
    let page = p.list_items(&query, 3, 10, None).unwrap();
    assert_eq!((page.total, page.rows.len(), page.rows[0].id), (4, 1, 1));
    let facets = p.browse_facets().unwrap();
    assert_eq!(facets.people.len(), 3);
    assert!(facets.models.is_empty());
}

#[test]
fn previews_take_the_text_field_and_survive_cut_json() {
    let fields = vec!["source".to_owned()];
    assert_eq!(
        preview_text(r#"{"id": "x", "source": " a\n  b "}"#, &fields),
        "a b"
    );
    assert_eq!(preview_text(r#"{"other": ["", "first"]}"#, &fields), "first");
    let long = format!("{{\"id\": 7, \"source\": \"{}", "word ".repeat(100));
    let cut = preview_text(&long, &fields);
    assert!(
        cut.starts_with("word word") && cut.ends_with('…') && cut.chars().count() == 161,
        "{cut}"
    );
}

#[test]
fn the_detail_has_every_version_and_review() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), 3);
    submit(&mut p, 1, "ann");
    let a = p.pending_reviews(10).unwrap().remove(0);
    let comment = "cite the evidence";
    p.review(&crate::ReviewInput {
        annotation_id: a.id,
        version: 1,
        reviewer: "boss",
        decision: crate::Decision::Returned,
        comment: Some(comment),
        anchor: None,
    })
    .unwrap();
    submit(&mut p, 1, "ann");
    let detail = p.item_detail(1).unwrap();
    assert_eq!(
        detail.texts,
        vec![("source".to_owned(), "Passage 0 about bridges.".to_owned())]
    );
    assert_eq!(detail.source.as_ref().unwrap().line, 1);
    let history = &detail.annotations[0];
    assert_eq!(history.versions.len(), 2);
    assert_eq!(history.reviews.len(), 1);
    assert_eq!(history.reviews[0].comment.as_deref(), Some(comment));
    assert!(detail.media.is_none());
    assert!(matches!(p.item_detail(99), Err(crate::Error::NotFound(_))));
}

#[test]
fn bulk_actions_change_the_project_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), 8);
    let lead = p.ensure_lead("boss").unwrap();
    assert_eq!(lead.role, Role::Lead);
    assert!(
        p.ensure_lead("ann").is_err(),
        "an annotator cannot lead bulk actions"
    );
    let report = p
        .make_batch_of(&MakeBatch {
            name: Some("picked".into()),
            items: vec![5, 3, 5, 1],
            assign: vec!["ann".into(), "bob".into()],
            queue_first: false,
        })
        .unwrap();
    assert_eq!((report.changed, report.batch.as_deref()), (3, Some("picked")));
    // Read back through a second connection, as another process would.
    let other = Project::open(dir.path()).unwrap();
    assert_eq!(other.queue("ann", 2).unwrap()[0].item_id, 5);
    assert_eq!(other.queue("bob", 1).unwrap()[0].item_id, 3);
    let bad = p.make_batch_of(&MakeBatch {
        name: Some("../x".into()),
        items: vec![1],
        ..MakeBatch::default()
    });
    assert!(matches!(bad, Err(crate::Error::BadRequest(_))), "{bad:?}");
    // Assigning items in no batch puts them in a new one first.
    let assigned = p.assign_items(&[6, 1], &["bob".into()], "boss").unwrap();
    assert_eq!((assigned.changed, assigned.batch.as_deref()), (2, Some("lab-1")));
    let batches = p.overview().unwrap().batches;
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].annotators, "ann, bob");
    // Returning: only submitted work is returned; the rest is listed.
    submit(&mut p, 2, "ann");
    submit(&mut p, 2, "bob");
    let returned = p.return_items(&[2, 4], "boss", "please recheck").unwrap();
    assert_eq!(returned.changed, 2);
    assert_eq!(returned.skipped.len(), 1);
    assert_eq!(returned.skipped[0].0, 4);
    assert!(
        p.return_items(&[2], "boss", " ").is_err(),
        "a comment is required"
    );
    let detail = Project::open(dir.path()).unwrap().item_detail(2).unwrap();
    assert!(
        detail
            .annotations
            .iter()
            .all(|a| a.state == sift_core::AnnotationState::Returned)
    );
}

#[test]
fn the_overview_counts_pace() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), 5);
    submit(&mut p, 1, "ann");
    submit(&mut p, 2, "ann");
    let o = p.overview().unwrap();
    assert_eq!((o.items.total, o.items.submitted, o.items.unlabeled), (5, 2, 3));
    assert_eq!(o.reviews_waiting, 2);
    let ann = o.people.iter().find(|x| x.counts.name == "ann").unwrap();
    // Two items in two minutes: 60 an hour.
    assert!((ann.items_per_hour.unwrap() - 60.0).abs() < 1e-9);
    assert!(
        o.people
            .iter()
            .find(|x| x.counts.name == "bob")
            .unwrap()
            .items_per_hour
            .is_none()
    );
    assert!(o.model.is_none());
    assert_eq!(o.search_index.pending, 5);
}

#[test]
fn the_search_index_fills_in_the_background_and_can_stop() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), 4100);
    let query = ItemQuery {
        search: "honeybees passage".into(),
        ..ItemQuery::default()
    };
    let scanned = p.item_ids(&query).unwrap();
    let stop = AtomicBool::new(true);
    assert_eq!(
        p.index_for_search(&NoProgress, &stop).unwrap(),
        0,
        "cancelled before the first chunk"
    );
    let go = AtomicBool::new(false);
    assert_eq!(p.index_for_search(&NoProgress, &go).unwrap(), 4100);
    assert_eq!(p.search_index_status().unwrap().pending, 0);
    assert_eq!(p.item_ids(&query).unwrap(), scanned);
    assert_eq!(scanned.len(), 4100 - 1367);
}

/// A model that reads each item's `features` as its class probabilities (normalised).
struct FeaturesModel;

impl BatchModel for FeaturesModel {
    type Output = crate::ItemResult;

    fn describe(&self) -> RunInfo {
        RunInfo {
            device: "cpu".into(),
            runtime_version: "features".into(),
        }
    }
    fn run_batch(
        &mut self,
        items: &[ScoreInput],
    ) -> std::result::Result<Vec<crate::ItemResult>, ScorerError> {
        Ok(items
            .iter()
            .map(|item| {
                let v: serde_json::Value = serde_json::from_str(&item.content).map_err(|e| e.to_string())?;
                let f: Vec<f32> = v["features"]
                    .as_array()
                    .ok_or("no features")?
                    .iter()
                    .map(|x| x.as_f64().unwrap_or(0.0) as f32)
                    .collect();
                let sum: f32 = f.iter().sum();
                Ok(ItemOutput::new(ModelOutput::Probabilities(
                    f.iter().map(|x| x / sum).collect(),
                )))
            })
            .collect())
    }
}

fn scored(dir: &Path, n: usize) -> Project {
    let mut p = project(dir, n);
    let model_file = dir.join("m.onnx");
    std::fs::write(&model_file, b"not really onnx: the scorer reads features").unwrap();
    let model = p
        .add_model(&NewModel {
            name: "features".into(),
            model_file,
            config: String::new(),
            assets: Vec::new(),
            signature: None,
        })
        .unwrap();
    p.score(
        &model,
        &mut FeaturesModel,
        &ScoreOptions::default(),
        &NoProgress,
        &AtomicBool::new(false),
    )
    .unwrap();
    p
}

#[test]
fn the_queue_preview_is_the_batch_build_queue_makes() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = scored(dir.path(), 60);
    for diverse in [false, true] {
        let opts = QueueOptions {
            size: 6,
            strategy: Strategy::Margin,
            diverse,
            assign: vec!["ann".into(), "bob".into()],
            overlap: 1,
            name: None,
            model: None,
        };
        let preview = p.preview_queue(&opts).unwrap();
        assert_eq!(preview.items.len(), 6);
        assert_eq!(preview.assignees, vec!["ann", "bob", "ann", "bob", "ann", "bob"]);
        assert!(preview.items[0].1.starts_with("Passage"));
        let batch = p.build_queue(&opts).unwrap();
        let previewed: Vec<i64> = preview.items.iter().map(|(e, _)| e.item_id).collect();
        let built: Vec<i64> = batch.items.iter().map(|e| e.item_id).collect();
        assert_eq!(previewed, built, "diverse: {diverse}");
    }
    let hist = p.score_histograms(1, 10).unwrap();
    assert_eq!(hist.len(), 4, "one per strategy");
    assert!(hist.iter().all(|h| h.counts.iter().sum::<u64>() == 60));
    let facets = p.browse_facets().unwrap();
    assert_eq!(facets.models[0].label, "features@1");
    let rows = p.item_rows(&[1], Some(1)).unwrap();
    assert_eq!(rows[0].scores.len(), 4);
}

#[test]
fn the_map_projects_embeddings_and_fields_and_colours_points() {
    let dir = tempfile::tempdir().unwrap();
    let p = scored(dir.path(), 30);
    let sources = p.map_sources().unwrap();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(matches!(sources[0].0, MapSource::Embeddings { dim: 3, .. }));
    assert_eq!(
        sources[1].0,
        MapSource::Field {
            name: "features".into()
        }
    );
    for (source, _, n) in &sources {
        let points = p.map_points(source, 1000).unwrap();
        assert_eq!(points.ids.len() as u64, *n);
        assert_eq!(points.xy.len(), points.ids.len());
        assert!(
            points.explained[0] > 0.9,
            "the features vary along one line: {:?}",
            points.explained
        );
        assert_eq!(points.version, p.map_version(source).unwrap());
    }
    let ids = vec![1, 2];
    let colors = p.map_colors(&ids, &ColorBy::State).unwrap();
    assert_eq!(colors.values, vec![0.0, 0.0]);
    assert_eq!(colors.categories[0], "unlabeled");
    let u = p
        .map_colors(
            &ids,
            &ColorBy::Uncertainty {
                model_version_id: 1,
                strategy: "margin".into(),
            },
        )
        .unwrap();
    assert!(u.values.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(
        p.map_points(&MapSource::Field { name: "nope".into() }, 10)
            .is_err()
    );
}

#[test]
fn an_interrupted_import_leaves_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), 1);
    let manifest = dir.path().join("big.jsonl");
    let lines: String = (0..200_000)
        .map(|i| format!("{{\"source\":\"Line {i}.\"}}\n"))
        .collect();
    std::fs::write(&manifest, lines).unwrap();
    let interrupter = p.interrupter();
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let stop = {
        let done = std::sync::Arc::clone(&done);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                interrupter.interrupt();
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let result = p.import(&manifest, &Default::default(), &NoProgress);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    stop.join().unwrap();
    let error = result.unwrap_err();
    assert!(was_interrupted(&error), "{error}");
    assert_eq!(p.overview().unwrap().items.total, 1, "the import rolled back");
    let before = p.data_version().unwrap();
    let other = Project::open(dir.path()).unwrap();
    other.ensure_lead("lead2").unwrap();
    assert_ne!(
        p.data_version().unwrap(),
        before,
        "another connection's change is seen"
    );
}
