//! Items added in batches by content hash (`item_hashes.rs`, migration 0015) get the ids,
//! outcomes and rows that adding the lines one by one gives, whatever the duplicates (in the
//! project, in the batch, across batches) and the batch sizes; old projects move their hashes
//! to `item_hashes` with every item kept.

use std::collections::HashMap;

use super::*;

const IMPORT: NewImport<'static> = NewImport {
    file: "m.jsonl",
    format: "gt",
    media_root: None,
};

/// A small deterministic generator (no dependency): xorshift64*.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A hash whose byte order differs from the value's order, so hash order is not line order.
fn hash_of(v: u64) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..8].copy_from_slice(&v.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
    h[8..].copy_from_slice(&v.to_le_bytes());
    h
}

fn content_of(v: u64) -> String {
    format!("{{\"source\":\"{v}\"}}")
}

/// `(id, content, content_hash, source_line)` of every item, and `(hash, item_id)` of every
/// row of `item_hashes`, both sorted.
type Rows = (Vec<(i64, String, Vec<u8>, i64)>, Vec<(Vec<u8>, i64)>);

fn rows(store: &Store) -> Rows {
    let items = store
        .conn
        .prepare("SELECT id, content, content_hash, source_line FROM items ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let hashes = store
        .conn
        .prepare("SELECT hash, item_id FROM item_hashes ORDER BY hash")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    (items, hashes)
}

#[test]
fn batches_give_the_ids_and_rows_of_one_by_one_inserts() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..60 {
        let dir = tempfile::tempdir().unwrap();
        let mut batched = new_store(dir.path());
        let mut single = Store::create(
            &dir.path().join("q.sift"),
            &NewProject {
                name: "demo",
                template_name: "qa",
                template_kind: "qa",
                template_text: "",
                label_attribute: "qa",
                job_name: "j",
            },
        )
        .unwrap();
        // Some items already in both projects (a first import), then a file of lines drawn
        // from a small set of contents, so duplicates of every kind are common.
        let alphabet = 1 + rng.below(80);
        let known: Vec<u64> = (0..rng.below(30)).map(|_| rng.below(alphabet)).collect();
        let lines: Vec<u64> = (0..1 + rng.below(400)).map(|_| rng.below(alphabet)).collect();
        for store in [&mut batched, &mut single] {
            let mut tx = store.begin_import(&IMPORT).unwrap();
            for (i, v) in known.iter().enumerate() {
                tx.insert_item(&content_of(*v), &hash_of(*v), None, i as u64 + 1)
                    .unwrap();
            }
            tx.commit(&ImportStats::default(), None, &serde_json::json!({}))
                .unwrap();
        }

        // The model: a content seen before is a duplicate; a new one takes the next id.
        let mut ids: HashMap<u64, i64> = HashMap::new();
        for v in &known {
            let next = ids.len() as i64 + 1;
            ids.entry(*v).or_insert(next);
        }
        let mut want = Vec::new();
        for v in &lines {
            let next = ids.len() as i64 + 1;
            match ids.entry(*v) {
                std::collections::hash_map::Entry::Occupied(_) => want.push(InsertOutcome::Duplicate),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(next);
                    want.push(InsertOutcome::Added(next));
                }
            }
        }

        let contents: Vec<String> = lines.iter().map(|v| content_of(*v)).collect();
        let hashes: Vec<[u8; 16]> = lines.iter().map(|v| hash_of(*v)).collect();
        let items: Vec<NewItem<'_>> = (0..lines.len())
            .map(|i| NewItem {
                content: &contents[i],
                hash: &hashes[i],
                media_ref: None,
                line: i as u64 + 1,
            })
            .collect();
        let mut got = Vec::new();
        let mut tx = batched.begin_import(&IMPORT).unwrap();
        // A small window, so that rounds cross it (hashes written mid-import, then looked up).
        tx.items.limit = 1 + rng.below(200) as usize;
        let mut rest = &items[..];
        while !rest.is_empty() {
            let n = (1 + rng.below(120) as usize).min(rest.len());
            got.extend_from_slice(tx.insert_items(&rest[..n]).unwrap());
            rest = &rest[n..];
        }
        for (i, v) in lines.iter().enumerate() {
            assert_eq!(
                tx.item_id_by_hash(&hash_of(*v)).unwrap(),
                Some(ids[v]),
                "round {round}, line {i}"
            );
        }
        tx.commit(&ImportStats::default(), None, &serde_json::json!({}))
            .unwrap();
        assert_eq!(got, want, "round {round}");

        let mut tx = single.begin_import(&IMPORT).unwrap();
        let one_by_one: Vec<InsertOutcome> = items
            .iter()
            .map(|it| tx.insert_item(it.content, it.hash, None, it.line).unwrap())
            .collect();
        tx.commit(&ImportStats::default(), None, &serde_json::json!({}))
            .unwrap();
        assert_eq!(one_by_one, want, "round {round}");
        let (items_b, hashes_b) = rows(&batched);
        assert_eq!(
            (items_b.clone(), hashes_b.clone()),
            rows(&single),
            "round {round}"
        );
        assert_eq!(items_b.len(), ids.len());
        assert!(
            hashes_b.iter().all(|(h, id)| items_b[*id as usize - 1].2 == *h),
            "round {round}: a hash names another item"
        );
    }
}

#[test]
fn a_rolled_back_batch_leaves_no_hash_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(dir.path());
    {
        let mut tx = s.begin_import(&IMPORT).unwrap();
        let (c, h) = (content_of(1), hash_of(1));
        let item = NewItem {
            content: &c,
            hash: &h,
            media_ref: None,
            line: 1,
        };
        assert_eq!(
            tx.insert_items(&[item, item]).unwrap(),
            [InsertOutcome::Added(1), InsertOutcome::Duplicate]
        );
        // dropped: rolled back
    }
    assert_eq!(rows(&s), (vec![], vec![]));
    let stats = import_items(&mut s, &[(content_of(1), hash_of(1))]);
    assert_eq!((stats.added, stats.duplicates), (1, 0));
}

#[test]
fn a_schema_12_project_moves_its_hashes_and_keeps_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.sift");
    migrations::old_file(&path, 12);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO items (id, content, content_hash, media_ref, import_id, source_line)
                 VALUES (2, '{\"source\":\"b\"}', x'ff000000000000000000000000000002', 'b.png', 1, 7),
                        (5, '{\"source\":\"c\"}', x'00000000000000000000000000000005', NULL, 1, 9);",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let (items, hashes) = rows(&store);
    assert_eq!(
        items.iter().map(|r| (r.0, r.3)).collect::<Vec<_>>(),
        [(1, 1), (2, 7), (5, 9)]
    );
    assert_eq!(
        store.item(2).unwrap().unwrap().media_ref.as_deref(),
        Some("b.png")
    );
    assert_eq!(
        hashes,
        [
            (vec![0; 15].into_iter().chain([5]).collect::<Vec<u8>>(), 5),
            (vec![1; 16], 1),
            ([0xff].into_iter().chain(vec![0; 14]).chain([2]).collect(), 2),
        ]
    );
    // The unique index is gone from items; the hashes' key does its work.
    let indexes: i64 = store
        .conn
        .query_row("SELECT count(*) FROM pragma_index_list('items')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(indexes, 0);
    // The annotation and review of item 1 are still there, and new items follow the largest id.
    assert_eq!(store.labelled_count(false).unwrap(), 0);
    let annotations: i64 = store
        .conn
        .query_row("SELECT count(*) FROM annotations WHERE item_id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(annotations, 1);
    let mut tx = store.begin_import(&IMPORT).unwrap();
    assert_eq!(
        tx.insert_item("{}", &[1; 16], None, 1).unwrap(),
        InsertOutcome::Duplicate
    );
    assert_eq!(
        tx.insert_item("{\"source\":\"d\"}", &[7; 16], None, 2).unwrap(),
        InsertOutcome::Added(6)
    );
    tx.commit(&ImportStats::default(), None, &serde_json::json!({}))
        .unwrap();
    store.integrity_check().unwrap();
}

#[test]
fn a_migration_that_would_leave_a_dangling_reference_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.sift");
    migrations::old_file(&path, 12);
    {
        // Written with foreign keys off: an annotation of no item.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO annotations (id, item_id, annotator_id, state, latest_version, created_at, updated_at)
                 VALUES (9, 404, 1, 'draft', 1, 't', 't');",
        )
        .unwrap();
    }
    let err = Store::open(&path).unwrap_err().to_string();
    assert!(err.contains("annotations") && err.contains("items"), "{err}");
    assert_eq!(migrations::user_version(&path), 12);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let hashes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'item_hashes'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hashes, 0, "the failed migration was rolled back");
}
