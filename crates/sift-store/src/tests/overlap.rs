//! Overlap (issue 18): a batch dealt out to k different annotators per item, the work kept
//! even, bad requests refused before anything is written, and an item done only when k people
//! have submitted it.

use super::*;
use sift_core::Action;

use crate::NewBatch;
use crate::scores::deal;

#[test]
fn dealing_gives_each_item_k_different_people_and_everyone_the_same_share() {
    for n in 1..=6_usize {
        for k in 1..=n {
            let mut load = vec![0_usize; n];
            for position in 0..60 {
                let mut people: Vec<usize> = deal(position, k, n).collect();
                assert_eq!(people.len(), k);
                people.sort_unstable();
                people.dedup();
                assert_eq!(people.len(), k, "n {n} k {k} position {position}: {people:?}");
                for p in people {
                    load[p] += 1;
                }
            }
            let (min, max) = (load.iter().min().unwrap(), load.iter().max().unwrap());
            assert!(max - min <= 1, "n {n} k {k}: {load:?}");
        }
    }
}

fn store_with_people(dir: &Path, items: usize, people: &[&str]) -> (Store, Vec<i64>) {
    let mut store = new_store(dir);
    let lines: Vec<(String, u8)> = (0..items)
        .map(|i| (format!(r#"{{"source":"item {i}"}}"#), i as u8 + 1))
        .collect();
    let refs: Vec<(&str, u8)> = lines.iter().map(|(l, n)| (l.as_str(), *n)).collect();
    import_lines(&mut store, &refs);
    let ids = people
        .iter()
        .map(|p| store.add_annotator(p, Role::Annotator, None).unwrap().id)
        .collect();
    (store, ids)
}

fn batch<'a>(
    name: &'a str,
    items: &'a [(i64, Option<f64>)],
    assign_to: &'a [i64],
    overlap: u32,
) -> NewBatch<'a> {
    NewBatch {
        name,
        strategy: None,
        model_version_id: None,
        items,
        assign_to,
        overlap,
    }
}

#[test]
fn an_overlap_batch_assigns_every_item_to_k_people_and_is_done_at_k_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, people) = store_with_people(dir.path(), 6, &["ann", "bob", "cy"]);
    let items: Vec<(i64, Option<f64>)> = (1..=6).map(|id| (id, None)).collect();
    let row = store.create_batch(&batch("b", &items, &people, 2)).unwrap();
    assert_eq!(row.overlap, 2);
    for (item, _) in &items {
        let holders: Vec<i64> = people
            .iter()
            .copied()
            .filter(|p| {
                store.item_open_to(*p, *item).unwrap()
                    && store.queue(*p, 100).unwrap().iter().any(|e| e.item_id == *item)
            })
            .collect();
        assert_eq!(holders.len(), 2, "item {item}: {holders:?}");
    }
    // 6 items x 2 = 12 assignments, 4 each.
    for p in &people {
        assert_eq!(store.queue(*p, 100).unwrap().len(), 4);
    }
    let progress = &store.batch_progress().unwrap()[0];
    assert_eq!(
        (progress.overlap, progress.assigned, progress.complete),
        (2, 6, 0)
    );

    // Item 1 goes to ann and bob: one submission is not done, two are.
    store
        .record_work(1, people[0], Action::Submit, r#"{"v":1}"#, 1000)
        .unwrap();
    assert_eq!(store.batch_progress().unwrap()[0].complete, 0);
    store
        .record_work(1, people[1], Action::Submit, r#"{"v":2}"#, 1000)
        .unwrap();
    assert_eq!(store.batch_progress().unwrap()[0].complete, 1);
}

#[test]
fn impossible_overlaps_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, people) = store_with_people(dir.path(), 3, &["ann", "bob"]);
    let items: Vec<(i64, Option<f64>)> = (1..=3).map(|id| (id, None)).collect();
    for (assign, overlap, says) in [
        (
            &people[..],
            3,
            "overlap 3 asks for 3 different annotators per item, but the batch is assigned to 2",
        ),
        (&[][..], 2, "assign it to at least that many people"),
        (&people[..], 0, "overlap must be at least 1"),
        (&[people[0], people[0]][..], 2, "named twice"),
    ] {
        let e = store
            .create_batch(&batch("b", &items, assign, overlap))
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains(says), "{e}");
    }
    assert!(store.batch_progress().unwrap().is_empty(), "no batch was made");
    // One annotation per item, as before, needs no one.
    store.create_batch(&batch("b", &items, &[], 1)).unwrap();
}
