//! The Lab's views driven through AccessKit (`egui_kittest`), on real project files: open the
//! demo, filter and search, select rows and make a batch for two annotators (read back from
//! the project file), import a manifest with a bad line and see `file:line`, review, notice
//! another process's change, move with the keyboard — and a snapshot of every view in both
//! themes under `artifacts/lab/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

mod support;

use eframe::egui::{self, Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sift_api::browse::ItemState;
use sift_api::{Project, Role};
use sift_lab::views::Tab;
use support::*;

#[test]
fn the_demo_opens_on_the_overview_with_its_counts() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let mut h = lab(&project, egui::Theme::Light, dir.path());
    wait_label(&mut h, "5 items");
    h.get_by_label("submitted: 1");
    h.get_by_label("approved: 1");
    h.get_by_label("returned: 1");
    h.get_by_label("draft: 1");
    h.get_by_label("unlabeled: 1");
    h.get_by_label("Reviews waiting: 1");
    // People and batches.
    // (each name appears in the people table and in the batch table)
    assert!(h.query_all_by_label("ann").next().is_some());
    assert!(h.query_all_by_label("week-1").next().is_some());
    // The search index is built in the background as the project opens.
    wait_label(&mut h, "Search index: all 5 items indexed.");
    // The project is remembered for the start screen.
    let settings = std::fs::read_to_string(dir.path().join("lab.json")).unwrap();
    assert!(settings.contains("demo-qa"), "{settings}");
}

#[test]
fn filters_and_search_narrow_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let mut h = lab(&project, egui::Theme::Light, dir.path());
    wait_label(&mut h, "5 items");
    h.get_by_label("Data").click();
    wait_label(&mut h, "Select item 5");
    // One state.
    // (the table's cells say "submitted" too: the chip is the button)
    h.get_by_role_and_label(egui::accesskit::Role::Button, "submitted")
        .click();
    wait_label(&mut h, "1 matching items");
    assert!(h.query_by_label("Select item 1").is_some());
    assert!(h.query_by_label("Select item 3").is_none());
    // Two states.
    h.get_by_role_and_label(egui::accesskit::Role::Button, "approved")
        .click();
    wait_label(&mut h, "2 matching items");
    h.get_by_label("Clear filters").click();
    wait_label(&mut h, "5 items");
    // Full-text search, typed into the search field.
    h.get_by_label("Search").focus();
    h.get_by_label("Search").type_text("viaduct");
    wait_label(&mut h, "1 matching items");
    h.get_by_label("Select item 1");
    assert!(h.query_by_label("Select item 2").is_none());
    // The search sits in the listing the table shows.
    let data = &h.state().views.data;
    assert_eq!(data.ids.as_slice(), &[1]);
}

#[test]
fn selected_rows_become_a_batch_for_two_annotators_in_the_project_file() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let mut h = lab(&project, egui::Theme::Light, dir.path());
    wait_label(&mut h, "5 items");
    h.get_by_label("Data").click();
    wait_label(&mut h, "Select item 2");
    h.get_by_label("Select item 2").click();
    h.step();
    h.get_by_label("Select item 3").click();
    h.step();
    wait_label(&mut h, "2 selected");
    h.get_by_label("Make batch…").click();
    wait_label(&mut h, "Batch name");
    h.get_by_label("Batch name").focus();
    h.get_by_label("Batch name").type_text("from-the-lab");
    // (the table's cells name people too: the form's boxes are the checkboxes)
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "ann")
        .click();
    h.step();
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "bob")
        .click();
    h.step();
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Make batch")
        .click();
    wait_label_contains(&mut h, "Made batch from-the-lab of 2 items");
    // Read back through a connection of our own, as another process would.
    let p = Project::open(&project).unwrap();
    let batch = p
        .overview()
        .unwrap()
        .batches
        .into_iter()
        .find(|b| b.name == "from-the-lab")
        .unwrap();
    assert_eq!((batch.items, batch.assigned), (2, 2));
    assert_eq!(batch.annotators, "ann, bob");
    let detail = p.item_detail(2).unwrap();
    assert_eq!(detail.batches[0].batch, "from-the-lab");
    assert_eq!(detail.batches[0].assigned, "ann");
    assert_eq!(p.item_detail(3).unwrap().batches[0].assigned, "bob");
    // The lead who made it is the Lab's user.
    assert!(
        p.annotators()
            .unwrap()
            .iter()
            .any(|a| a.name == LEAD && a.role == Role::Lead)
    );
}

#[test]
fn an_import_with_a_bad_line_lists_it_as_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let manifest = dir.path().join("more.jsonl");
    std::fs::write(
        &manifest,
        "{\"source\": \"A new passage about lighthouses and their keepers.\"}\n\
         {\"source\": \"Another passage, this one about tides.\"}\n\
         {\"source\": \"broken\n\
         {\"source\": \"A last passage about harbours.\"}\n",
    )
    .unwrap();
    let mut h = lab(&project, egui::Theme::Dark, dir.path());
    wait_label(&mut h, "5 items");
    h.get_by_label("Import…").click();
    wait_label(&mut h, "Manifest");
    h.get_by_label("Manifest").focus();
    h.get_by_label("Manifest")
        .type_text(&manifest.display().to_string());
    h.step();
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Import")
        .click();
    let at = format!("{}:3", manifest.display());
    wait_label(&mut h, &at);
    wait_label_contains(&mut h, "4 lines read: 3 added");
    snapshot(&mut h, "import-report-dark");
    // The rest was imported, and the table shows it.
    wait_label(&mut h, "8 items");
}

#[test]
fn reviews_approve_from_the_read_only_view() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let mut h = lab(&project, egui::Theme::Light, dir.path());
    wait_label(&mut h, "5 items");
    h.get_by_label("Reviews (1)").click();
    wait_label(&mut h, "Item 1");
    h.get_by_label("Item 1").click();
    wait_label_contains(&mut h, "Item 1 by ann");
    h.get_by_label("Approve").click();
    wait_label(&mut h, "Approved item 1 of ann.");
    let p = Project::open(&project).unwrap();
    assert_eq!(p.overview().unwrap().items.approved, 2);
}

#[test]
fn a_change_by_another_process_shows_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let mut h = lab(&project, egui::Theme::Light, dir.path());
    wait_label(&mut h, "submitted: 1");
    let mut other = Project::open(&project).unwrap();
    other
        .submit(5, "ann", &sift_lab::demo::qa_answer("5"), 60_000)
        .unwrap();
    let started = std::time::Instant::now();
    wait_label(&mut h, "submitted: 2");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    wait_label_contains(&mut h, "project changed");
}

#[test]
fn everything_is_reachable_from_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let mut h = lab(&project, egui::Theme::Light, dir.path());
    wait_label(&mut h, "5 items");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    wait_label(&mut h, "Select item 1");
    assert_eq!(h.state().views.tab, Tab::Data);
    // Ctrl+F puts the cursor in the search field.
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.step();
    assert!(h.get_by_label("Search").is_focused());
    // Tab moves focus on through the filter bar.
    h.key_press(Key::Tab);
    h.step();
    assert!(!h.get_by_label("Search").is_focused());
    // The table: arrows move, Space selects, Enter opens the detail pane.
    h.get_by_label_contains("Items table").focus();
    h.step();
    h.key_press(Key::ArrowDown);
    h.key_press(Key::ArrowDown);
    h.key_press(Key::Space);
    h.key_press(Key::Enter);
    wait_label(&mut h, "Item 3");
    assert!(h.state().views.data.selected.contains(&3));
    wait_label_contains(&mut h, "bob: approved");
    snapshot(&mut h, "keyboard-focus-light");
    // The focus ring (2 px, drawn inside the table's area) covers none of the first header.
    let table = h.get_by_label_contains("Items table").rect();
    let header = h.get_by_label_contains("Item \u{23f6}").rect();
    assert!(
        header.left() >= table.left() + 2.0 && header.top() >= table.top() + 2.0,
        "the header {header:?} starts under the focus ring of {table:?}"
    );
    for (key, tab) in [
        (Key::Num3, Tab::Models),
        (Key::Num6, Tab::Reviews),
        (Key::Num1, Tab::Overview),
    ] {
        h.key_press_modifiers(Modifiers::COMMAND, key);
        h.step();
        assert_eq!(h.state().views.tab, tab);
    }
}

#[test]
fn the_learning_view_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let mut h = lab(&project, egui::Theme::Light, dir.path());
    wait_label(&mut h, "5 items");
    h.get_by_label("Learning").click();
    wait_label(&mut h, sift_lab::views::learning::NO_ROUNDS);
    wait_label_contains(&mut h, "no item has been scored yet");
    h.get_by_label("Data map").click();
    wait_label_contains(&mut h, "No vectors to map yet");
}

/// Every view, light and dark, as PNGs under `artifacts/lab/`.
#[test]
fn every_view_in_both_themes() {
    let dir = tempfile::tempdir().unwrap();
    let project = qa_demo(dir.path());
    let mut luminances = Vec::new();
    for (theme, name) in [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")] {
        let mut h = lab(&project, theme, dir.path());
        wait_label(&mut h, "5 items");
        wait_idle(&mut h);
        let overview = snapshot(&mut h, &format!("overview-{name}"));
        luminances.push(luminance(&overview));
        h.get_by_label("Data").click();
        wait_label(&mut h, "Select item 4");
        // The detail pane, opened from the keyboard: the third row.
        h.get_by_label_contains("Items table").focus();
        h.step();
        h.key_press(Key::ArrowDown);
        h.key_press(Key::ArrowDown);
        h.key_press(Key::Enter);
        wait_label_contains(&mut h, "bob: approved");
        snapshot(&mut h, &format!("data-detail-{name}"));
        h.get_by_label("Close").click();
        h.step();
        h.get_by_label("Select item 4").click();
        h.step();
        h.get_by_label("Select item 5").click();
        h.step();
        wait_label(&mut h, "2 selected");
        snapshot(&mut h, &format!("data-{name}"));
        for (label, wait, file) in [
            ("Models", "No models yet", "models"),
            ("Learning", "No learning runs yet", "learning"),
            ("Data map", "No vectors to map yet", "map-empty"),
            ("Sync", "Sync with S3", "sync"),
        ] {
            h.get_by_label(label).click();
            wait_label_contains(&mut h, wait);
            snapshot(&mut h, &format!("{file}-{name}"));
        }
        h.get_by_label("Reviews (1)").click();
        wait_label(&mut h, "Item 1");
        h.get_by_label("Item 1").click();
        wait_label_contains(&mut h, "Item 1 by ann");
        snapshot(&mut h, &format!("reviews-{name}"));
        h.get_by_label("Export…").click();
        wait_label(&mut h, "Write to");
        snapshot(&mut h, &format!("export-{name}"));
    }
    assert!(
        luminances[0] > 150.0 && luminances[1] < 90.0,
        "light then dark: {luminances:?}"
    );
    // States have distinct colours in each theme.
    for dark in [false, true] {
        let colours: std::collections::HashSet<_> = ItemState::ALL
            .iter()
            .map(|s| sift_lab::theme::state_color(*s, dark))
            .collect();
        assert_eq!(colours.len(), ItemState::ALL.len());
    }
}
