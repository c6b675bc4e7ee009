-- Sift project schema, version 1. Frozen: later changes go in new migration files.

CREATE TABLE project (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    name            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    template_name   TEXT NOT NULL,
    template_kind   TEXT NOT NULL,
    template_text   TEXT NOT NULL,          -- snapshot of the template file, as written
    template_hash   TEXT NOT NULL,
    label_attribute TEXT NOT NULL,
    job_name        TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL                     -- never a secret: credentials stay in the AWS chain
);

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    format      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    lines       INTEGER NOT NULL DEFAULT 0,
    added       INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0
);

-- Folders media may be read from (the folders manifests were imported from, plus any the lead adds).
CREATE TABLE media_roots (
    path     TEXT PRIMARY KEY,
    added_at TEXT NOT NULL
);

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    content      TEXT NOT NULL,             -- the manifest object as imported (JSON text)
    content_hash BLOB NOT NULL UNIQUE,      -- 16-byte BLAKE3, for idempotent imports
    media_ref    TEXT,                      -- resolved local path or remote URI of the media
    import_id    INTEGER NOT NULL REFERENCES imports(id),
    source_line  INTEGER NOT NULL
);

CREATE TABLE annotators (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('annotator', 'reviewer', 'lead')),
    token_hash  BLOB UNIQUE,                -- BLAKE3 of the access token; the token is never stored
    created_at  TEXT NOT NULL
);

-- One annotator's work on one item; its versions hold every save.
CREATE TABLE annotations (
    id                INTEGER PRIMARY KEY,
    item_id           INTEGER NOT NULL REFERENCES items(id),
    annotator_id      INTEGER NOT NULL REFERENCES annotators(id),
    state             TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'returned')),
    latest_version    INTEGER NOT NULL,
    submitted_version INTEGER,              -- newest submitted version, if any
    time_spent_ms     INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (item_id, annotator_id)
);
CREATE INDEX annotations_by_state ON annotations(state, item_id);
CREATE INDEX annotations_by_annotator ON annotations(annotator_id, state);

CREATE TABLE annotation_versions (
    annotation_id  INTEGER NOT NULL REFERENCES annotations(id),
    version        INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('draft', 'submitted')),
    payload        TEXT NOT NULL,           -- JSON
    time_spent_ms  INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (annotation_id, version)
) WITHOUT ROWID;

CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY,
    annotation_id  INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    reviewer_id    INTEGER NOT NULL REFERENCES annotators(id),
    decision       TEXT NOT NULL CHECK (decision IN ('approved', 'returned')),
    comment        TEXT,
    anchor         TEXT,                    -- JSON: {"span":[s,e]} | {"object":"id"} | {"time":12.5}
    created_at     TEXT NOT NULL,
    FOREIGN KEY (annotation_id, version) REFERENCES annotation_versions(annotation_id, version)
);
CREATE INDEX reviews_by_annotation ON reviews(annotation_id, version);

CREATE TABLE model_versions (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    file_hash  TEXT NOT NULL,
    file_path  TEXT NOT NULL,
    config     TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE scoring_runs (
    id                INTEGER PRIMARY KEY,
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    device            TEXT NOT NULL,
    runtime_version   TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    finished_at       TEXT,
    items_scored      INTEGER NOT NULL DEFAULT 0,
    items_failed      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE item_scores (
    item_id           INTEGER NOT NULL REFERENCES items(id),
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    strategy          TEXT NOT NULL,
    score             REAL,                 -- NULL when the model output was not finite
    error             TEXT,                 -- why the item could not be scored
    run_id            INTEGER NOT NULL REFERENCES scoring_runs(id),
    PRIMARY KEY (item_id, model_version_id, strategy)
) WITHOUT ROWID;

CREATE TABLE batches (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    created_at        TEXT NOT NULL,
    strategy          TEXT,
    model_version_id  INTEGER REFERENCES model_versions(id)
);

CREATE TABLE batch_items (
    batch_id  INTEGER NOT NULL REFERENCES batches(id),
    item_id   INTEGER NOT NULL REFERENCES items(id),
    position  INTEGER NOT NULL,
    score     REAL,
    PRIMARY KEY (batch_id, item_id)
) WITHOUT ROWID;

CREATE TABLE assignments (
    batch_id      INTEGER NOT NULL REFERENCES batches(id),
    item_id       INTEGER NOT NULL REFERENCES items(id),
    annotator_id  INTEGER NOT NULL REFERENCES annotators(id),
    assigned_at   TEXT NOT NULL,
    PRIMARY KEY (batch_id, item_id, annotator_id)
) WITHOUT ROWID;

-- What has been transferred to or from object storage, to skip unchanged objects.
CREATE TABLE sync_objects (
    remote_key  TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('push', 'pull')),
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    etag        TEXT,
    synced_at   TEXT NOT NULL,
    PRIMARY KEY (remote_key, direction)
);

-- Append-only history of everything that changed the project.
CREATE TABLE events (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT,
    kind   TEXT NOT NULL,
    data   TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

-- Saved versions never change.
CREATE TRIGGER versions_no_update BEFORE UPDATE ON annotation_versions
BEGIN SELECT RAISE(ABORT, 'annotation versions are immutable'); END;
CREATE TRIGGER versions_no_delete BEFORE DELETE ON annotation_versions
BEGIN SELECT RAISE(ABORT, 'annotation versions are immutable'); END;
