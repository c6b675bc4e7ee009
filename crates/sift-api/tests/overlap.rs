//! Overlap (issue 18) through the use cases on a real project file: a batch asks for k
//! independent annotations per item; four annotators, each in their own thread with their own
//! connection to the file, work through their queues at the same time; every item ends with
//! exactly k submissions from k different people, nobody labels an item twice or sees an item
//! not dealt to them, and the batch counts an item done only at k submissions.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use sift_api::Project;
use support::{annotator as caller, project_of, repo};

const PEOPLE: [&str; 4] = ["ann", "bob", "cy", "dee"];
const ITEMS: usize = 30;
const K: u32 = 3;

#[test]
fn k_people_label_each_item_at_the_same_time_and_nobody_twice() {
    let dir = tempfile::tempdir().unwrap();
    let template = repo().join("labeling-templates/classification.toml");
    let path = dir.path().join("proj");
    let lines: Vec<_> = (0..ITEMS)
        .map(|i| json!({"source": format!("Message {i}.")}))
        .collect();
    let mut p = project_of(&path, &template, &lines, &PEOPLE);
    let people: Vec<String> = PEOPLE.iter().map(|s| (*s).to_owned()).collect();

    // More than there are people, or overlap without people: refused, nothing made.
    let e = p
        .create_batch_with_overlap(Some("too-many"), ITEMS, &people, 5)
        .unwrap_err();
    assert!(e.to_string().contains("assigned to 4"), "{e}");
    assert!(
        p.create_batch_with_overlap(Some("nobody"), ITEMS, &[], 2)
            .is_err()
    );
    assert!(p.overview().unwrap().batches.is_empty());

    let report = p
        .create_batch_with_overlap(Some("wk1"), ITEMS, &people, K)
        .unwrap();
    assert_eq!((report.items.len(), report.overlap), (ITEMS, K));
    drop(p);

    // Everyone works at once: take the first item of the queue, submit it, until none is left.
    let seen: Vec<(String, Vec<i64>)> = std::thread::scope(|s| {
        let handles: Vec<_> = PEOPLE
            .iter()
            .map(|who| {
                let path = path.clone();
                s.spawn(move || {
                    let mut p = Project::open(&path).unwrap();
                    let me = caller(who);
                    let mut done = Vec::new();
                    loop {
                        let queue = p.call(&me, "queue", json!({}), None).unwrap();
                        let Some(next) = queue["entries"].as_array().and_then(|e| e.first()).cloned() else {
                            break;
                        };
                        let item = next["item_id"].as_i64().unwrap();
                        assert_eq!(next["reason"], "assigned", "{who}: {next}");
                        p.call(
                            &me,
                            "submit",
                            json!({"item_id": item, "payload": {"labels": ["billing"]}, "time_spent_ms": 500}),
                            None,
                        )
                        .unwrap();
                        done.push(item);
                    }
                    ((*who).to_owned(), done)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut by_item: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (who, items) in &seen {
        let distinct: BTreeSet<i64> = items.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            items.len(),
            "{who} labeled an item twice: {items:?}"
        );
        // 30 items x 3 = 90 annotations over 4 people: 22 or 23 each.
        assert!((22..=23).contains(&items.len()), "{who}: {}", items.len());
        for item in items {
            by_item.entry(*item).or_default().insert(who.clone());
        }
    }
    assert_eq!(by_item.len(), ITEMS);
    for (item, who) in &by_item {
        assert_eq!(who.len(), K as usize, "item {item}: {who:?}");
    }
    let p = Project::open(&path).unwrap();
    let batch = &p.overview().unwrap().batches[0];
    assert_eq!(
        (batch.overlap, batch.complete, batch.items),
        (K, ITEMS as u64, ITEMS as u64)
    );
    // Someone not dealt an item cannot open it.
    let (item, holders) = by_item.iter().next().unwrap();
    let outsider = PEOPLE.iter().find(|w| !holders.contains(**w)).unwrap();
    let mut p = p;
    assert!(
        p.call(&caller(outsider), "get_item", json!({"item_id": item}), None)
            .is_err()
    );
}
