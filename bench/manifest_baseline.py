#!/usr/bin/env python3
"""Python baseline for Sift's manifest benchmarks: the same jobs, done the usual way.

import: read JSON Lines, check each line (an object, `source` xor `source-ref`, no `$` keys),
        hash its canonical form, and insert it with `executemany` in one transaction,
        skipping duplicates by hash (the same checks and dedupe `sift import` does).
export: stream the submitted annotations joined to their items out of the same project file
        and write Ground Truth output lines (input object + label + metadata).
"""
import hashlib
import json
import sqlite3
import sys


def check(obj):
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    if ("source" in obj) == ("source-ref" in obj):
        raise ValueError("needs exactly one of source and source-ref")
    for k in obj:
        if k.startswith("$"):
            raise ValueError(f"field {k!r}: names may not start with '$'")


def rows(path):
    with open(path, "r", encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            check(obj)
            canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest = hashlib.blake2b(canonical.encode(), digest_size=16).digest()
            yield (line, digest, None, 1, n)


def do_import(manifest, db):
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, content TEXT NOT NULL,"
        " content_hash BLOB NOT NULL UNIQUE, media_ref TEXT, import_id INTEGER NOT NULL, source_line INTEGER NOT NULL)"
    )
    with conn:
        conn.executemany(
            "INSERT INTO items (content, content_hash, media_ref, import_id, source_line) VALUES (?,?,?,?,?)"
            " ON CONFLICT(content_hash) DO NOTHING",
            rows(manifest),
        )
    n = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    conn.close()
    return n


def do_export(db, out, label, job):
    conn = sqlite3.connect(db)
    q = """SELECT i.id, i.content, v.payload, p.name, a.state, v.version, v.created_at, a.time_spent_ms
           FROM annotations a JOIN items i ON i.id = a.item_id JOIN annotators p ON p.id = a.annotator_id
           JOIN annotation_versions v ON v.annotation_id = a.id AND v.version = a.submitted_version
           WHERE a.state IN ('submitted', 'approved') ORDER BY a.item_id, a.id"""
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for item_id, content, payload, annotator, state, version, created, spent in conn.execute(q):
            obj = json.loads(content)
            obj[label] = json.loads(payload)
            obj[label + "-metadata"] = {
                "type": "sift/qa", "job-name": job, "human-annotated": "yes", "creation-date": created,
                "annotator": annotator, "review-state": state, "annotation-version": version,
                "time-spent-ms": spent, "item-id": item_id,
            }
            f.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")
            n += 1
    conn.close()
    return n


if __name__ == "__main__":
    if sys.argv[1] == "import":
        print(do_import(sys.argv[2], sys.argv[3]))
    elif sys.argv[1] == "export":
        print(do_export(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
    else:
        sys.exit("usage: manifest_baseline.py import MANIFEST DB | export DB OUT LABEL JOB")
