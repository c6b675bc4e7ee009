//! The limits `bench/manifest_bench.py` compares `sift import` and `sift export` with,
//! measured on the same file, machine and run:
//!
//! - `parse`: reading and parsing every line with Sift's parser ([`LineReader`] and
//!   [`parse_gt_line`], content hash included); nothing is stored.
//! - `insert`: inserting the already-parsed rows (parsed before the clock starts) into a new
//!   project's file, with the settings of a bulk `sift import` (rollback journal,
//!   synchronous FULL, foreign keys, a 64 MiB page cache), with one prepared statement in
//!   one transaction, into the items table as it was up to schema 12: the content hash
//!   UNIQUE, so every row is a random B-tree insertion (the commit is timed).
//! - `insert_no_unique`: the same into a copy of the table without the unique index.
//! - `insert_sorted_hashes`: what `sift import` does since schema 15: the table without the
//!   unique index, plus every content hash written at the end to a table of its own (`hash`
//!   primary key, without rowid), sorted, 32 rows to a statement. What deduplication costs
//!   when it is not a random B-tree insertion per line.
//! - `scan` (with `--export-project`): the export's rows read from that project with one
//!   query, nothing formatted or written.
//! - `write` (with `--write-bytes`): writing that many bytes to a new file and syncing it.
//!
//! Prints one JSON object of seconds. Usage:
//! `manifest_limits --manifest M --template T --work DIR [--export-project P] [--write-bytes N]`

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // a benchmark tool

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{Connection, params};
use sift_manifest::{LineReader, parse_gt_line};

struct Args {
    manifest: PathBuf,
    template: PathBuf,
    work: PathBuf,
    export_project: Option<PathBuf>,
    write_bytes: Option<u64>,
}

fn args() -> Args {
    let mut a = Args {
        manifest: PathBuf::new(),
        template: PathBuf::new(),
        work: PathBuf::new(),
        export_project: None,
        write_bytes: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--manifest" => a.manifest = value.into(),
            "--template" => a.template = value.into(),
            "--work" => a.work = value.into(),
            "--export-project" => a.export_project = Some(value.into()),
            "--write-bytes" => a.write_bytes = Some(value.parse().expect("--write-bytes: a number")),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// One parsed line, as the importer stores it.
struct Row {
    content: String,
    hash: [u8; 16],
    line: u64,
}

/// Reads and parses every line; `keep` collects the rows.
fn parse(manifest: &Path, label: &str, mut keep: impl FnMut(Row)) -> u64 {
    let file = std::fs::File::open(manifest).expect("open the manifest");
    let mut lines = LineReader::new(BufReader::with_capacity(256 * 1024, file));
    let mut scratch = Vec::new();
    let mut n = 0;
    while let Some(line) = lines.next() {
        let line = line.expect("a readable line");
        let r = parse_gt_line(line.text, Some(label), &mut scratch).expect("a valid line");
        n += 1;
        keep(Row {
            content: r.content.into_owned(),
            hash: r.hash.0,
            line: line.number,
        });
    }
    n
}

/// A new project's file, opened with the settings the store uses for imports.
fn fresh_project(work: &Path, name: &str, template: &Path) -> Connection {
    let dir = work.join(name);
    // A fresh start: the folder may not exist yet.
    let _ = std::fs::remove_dir_all(&dir);
    drop(sift_api::init_project(&dir, template, None).expect("init a project"));
    let conn = Connection::open(dir.join("project.sift")).expect("open the project");
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    conn.pragma_update_and_check(None, "journal_mode", "DELETE", |_| Ok(()))
        .unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    conn.pragma_update(None, "cache_size", -65536).unwrap();
    conn.execute(
        "INSERT INTO imports (id, file, format, started_at) VALUES (1, 'limits', 'gt', 'now')",
        [],
    )
    .unwrap();
    conn
}

/// Inserts every row into `table` in one transaction; seconds from BEGIN to the closed file.
/// The conflict clause matters only with the unique index (as in `sift import`).
fn insert(mut conn: Connection, table: &str, rows: &[Row]) -> f64 {
    let start = Instant::now();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    {
        let mut stmt = tx
            .prepare(&format!(
                "INSERT INTO {table} (content, content_hash, media_ref, import_id, source_line)
                 VALUES (?1, ?2, NULL, 1, ?3) ON CONFLICT DO NOTHING"
            ))
            .unwrap();
        for r in rows {
            stmt.execute(params![r.content, &r.hash[..], r.line as i64])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    conn.close().map_err(|(_, e)| e).unwrap(); // the last connection checkpoints
    start.elapsed().as_secs_f64()
}

/// Inserts every row into a table without the unique index, then every hash, sorted, into a
/// table of hashes; seconds from BEGIN to the closed file.
fn insert_sorted_hashes(mut conn: Connection, rows: &[Row]) -> f64 {
    const ROWS: usize = 32;
    let start = Instant::now();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    {
        let mut item = tx
            .prepare(
                "INSERT INTO items_no_unique (content, content_hash, media_ref, import_id, source_line)
                 VALUES (?1, ?2, NULL, 1, ?3)",
            )
            .unwrap();
        let mut hashes: Vec<([u8; 16], i64)> = Vec::with_capacity(rows.len());
        for r in rows {
            item.execute(params![r.content, &r.hash[..], r.line as i64])
                .unwrap();
            hashes.push((r.hash, tx.last_insert_rowid()));
        }
        hashes.sort_unstable();
        let sql = format!(
            "INSERT INTO item_hashes_limits (hash, item_id) VALUES {}",
            vec!["(?,?)"; ROWS].join(",")
        );
        let mut full = tx.prepare(&sql).unwrap();
        let mut one = tx
            .prepare("INSERT INTO item_hashes_limits (hash, item_id) VALUES (?1, ?2)")
            .unwrap();
        let mut chunks = hashes.chunks_exact(ROWS);
        for chunk in &mut chunks {
            for (j, (h, id)) in chunk.iter().enumerate() {
                full.raw_bind_parameter(2 * j + 1, &h[..]).unwrap();
                full.raw_bind_parameter(2 * j + 2, id).unwrap();
            }
            full.raw_execute().unwrap();
        }
        for (h, id) in chunks.remainder() {
            one.execute(params![&h[..], id]).unwrap();
        }
    }
    tx.commit().unwrap();
    conn.close().map_err(|(_, e)| e).unwrap();
    start.elapsed().as_secs_f64()
}

/// Reads the rows a Ground Truth export reads, in its order, touching every value.
fn scan(project: &Path) -> (f64, u64) {
    let conn = Connection::open(project.join("project.sift")).expect("open the export project");
    let start = Instant::now();
    let mut stmt = conn
        .prepare(
            "SELECT a.item_id, i.content, i.media_ref, v.payload, a.annotator_id, a.state,
                    v.version, v.created_at, a.time_spent_ms
             FROM annotations a
             JOIN items i ON i.id = a.item_id
             JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
             WHERE +a.state IN ('submitted', 'approved')
             ORDER BY a.item_id, a.annotator_id",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let (mut n, mut bytes) = (0u64, 0u64);
    while let Some(r) = rows.next().unwrap() {
        bytes += r.get_ref(1).unwrap().as_bytes().unwrap().len() as u64;
        bytes += r.get_ref(3).unwrap().as_bytes().unwrap().len() as u64;
        bytes += r.get_ref(7).unwrap().as_bytes().unwrap().len() as u64;
        n += 1;
    }
    let t = start.elapsed().as_secs_f64();
    assert!(bytes > 0 || n == 0);
    (t, n)
}

/// Writes `bytes` to a new file in `dir` in 1 MiB chunks and syncs it.
fn write(dir: &Path, bytes: u64) -> f64 {
    let path = dir.join("limits-write.bin");
    let chunk = vec![b'x'; 1 << 20];
    let start = Instant::now();
    let mut f = std::fs::File::create(&path).unwrap();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    f.sync_all().unwrap();
    let t = start.elapsed().as_secs_f64();
    drop(f);
    std::fs::remove_file(&path).unwrap();
    t
}

fn main() {
    let a = args();
    std::fs::create_dir_all(&a.work).unwrap();
    let template_text = std::fs::read_to_string(&a.template).expect("read the template");
    let template = sift_template::parse_template(&template_text, "template").expect("a valid template");
    let label = template.label_attribute().to_owned();

    let start = Instant::now();
    let lines = parse(&a.manifest, &label, drop);
    let parse_s = start.elapsed().as_secs_f64();

    let mut rows = Vec::new();
    parse(&a.manifest, &label, |r| rows.push(r));
    let plain_table = |name: &str| {
        let conn = fresh_project(&a.work, name, &a.template);
        conn.execute_batch(
            "CREATE TABLE items_unique (id INTEGER PRIMARY KEY, content TEXT NOT NULL,
                content_hash BLOB NOT NULL UNIQUE, media_ref TEXT,
                import_id INTEGER NOT NULL REFERENCES imports(id), source_line INTEGER NOT NULL);
             CREATE TABLE items_no_unique (id INTEGER PRIMARY KEY, content TEXT NOT NULL,
                content_hash BLOB NOT NULL, media_ref TEXT, import_id INTEGER NOT NULL REFERENCES imports(id),
                source_line INTEGER NOT NULL);
             CREATE TABLE item_hashes_limits (hash BLOB PRIMARY KEY, item_id INTEGER NOT NULL) WITHOUT ROWID;",
        )
        .unwrap();
        conn
    };
    let insert_s = insert(plain_table("limits-unique"), "items_unique", &rows);
    let plain_s = insert(plain_table("limits-plain"), "items_no_unique", &rows);
    let sorted_s = insert_sorted_hashes(plain_table("limits-sorted"), &rows);
    drop(rows);
    for name in ["limits-unique", "limits-plain", "limits-sorted"] {
        // Cleanup after the measurement; a folder left behind is removed by the next run.
        let _ = std::fs::remove_dir_all(a.work.join(name));
    }

    let mut out = serde_json::json!({
        "lines": lines, "parse_s": parse_s, "insert_s": insert_s, "insert_no_unique_s": plain_s,
        "insert_sorted_hashes_s": sorted_s,
    });
    if let Some(p) = &a.export_project {
        let (t, n) = scan(p);
        out["scan_s"] = t.into();
        out["scan_rows"] = n.into();
    }
    if let Some(bytes) = a.write_bytes {
        out["write_s"] = write(&a.work, bytes).into();
        out["write_bytes"] = bytes.into();
    }
    println!("{out}");
}
