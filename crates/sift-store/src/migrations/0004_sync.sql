-- Sift project schema, version 4: S3 sync.

-- Annotator side: which saved versions went into which pushed result segment, so each
-- version is pushed once (a lost acknowledgement makes a later segment repeat it; the lead
-- merges by version and adds nothing twice).
CREATE TABLE sync_pushed_versions (
    annotation_id  INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    segment        TEXT NOT NULL,           -- the remote key of the segment
    pushed_at      TEXT NOT NULL,
    PRIMARY KEY (annotation_id, version),
    FOREIGN KEY (annotation_id, version) REFERENCES annotation_versions(annotation_id, version)
) WITHOUT ROWID;

-- SHA-256 of local media files, so unchanged files are not read again: a file whose size and
-- modification time match its row is taken to be unchanged.
CREATE TABLE sync_files (
    path      TEXT PRIMARY KEY,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    sha256    TEXT NOT NULL
);

-- Which batch a pulled item came from, and the lead's media object for it (annotator side).
CREATE TABLE sync_item_media (
    item_id     INTEGER PRIMARY KEY REFERENCES items(id),
    remote_key  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL
);
