-- Sift project schema: content hashes in a table of their own (issue 22, import speed).
--
-- `items.content_hash` was UNIQUE: every imported line paid one insertion into a B-tree of
-- random 16-byte keys, a search from its root through pages no cache keeps warm (a fifth of
-- an import's time). The hashes now live in `item_hashes`, keyed by the hash and without
-- rowid, which imports fill all at once in hash order at the end of a window of up to a
-- million new lines, checking the window's hashes in memory meanwhile (item_hashes.rs): into
-- an empty table that is an append. It is the one place that says which content the project
-- holds: imports and sync pulls add a hash and its item in the same transaction, and find
-- items by hash there.
-- `items.content_hash` keeps each item's hash for reads by item (sync, exports), no longer
-- indexed. The item rows are copied as they are; SQLite cannot drop a column's UNIQUE
-- index, so the table is rebuilt (with foreign keys off while it is, and checked after:
-- see migrate.rs).

CREATE TABLE item_hashes (
    hash     BLOB PRIMARY KEY,          -- items.content_hash, 16-byte BLAKE3
    item_id  INTEGER NOT NULL           -- items(id)
) WITHOUT ROWID;

INSERT INTO item_hashes (hash, item_id)
    SELECT content_hash, id FROM items ORDER BY content_hash;

CREATE TABLE items_unindexed (
    id           INTEGER PRIMARY KEY,
    content      TEXT NOT NULL,             -- the manifest object as imported (JSON text)
    content_hash BLOB NOT NULL,             -- 16-byte BLAKE3 (looked up through item_hashes)
    media_ref    TEXT,                      -- resolved local path or remote URI of the media
    import_id    INTEGER NOT NULL REFERENCES imports(id),
    source_line  INTEGER NOT NULL
);

INSERT INTO items_unindexed (id, content, content_hash, media_ref, import_id, source_line)
    SELECT id, content, content_hash, media_ref, import_id, source_line FROM items ORDER BY id;

DROP TABLE items;
ALTER TABLE items_unindexed RENAME TO items;
