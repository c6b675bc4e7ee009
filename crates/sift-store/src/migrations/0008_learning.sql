-- Sift project schema: the closed active-learning loop (`sift learn`, `sift autolabel`).
-- The file is numbered 0008 because 0007 is taken by another change (item search); the
-- schema version is this file's position in `MIGRATIONS`.

-- One row per head version: trained in process by `sift learn`, or by a training command.
-- What it learned from and how it did on held-out labels; the pool figures are filled in
-- when the version has rescored the pool.
CREATE TABLE learn_rounds (
    id                 INTEGER PRIMARY KEY,
    model_version_id   INTEGER NOT NULL UNIQUE REFERENCES model_versions(id),
    head               TEXT NOT NULL,      -- 'classifier' | 'multi-label' | 'reward' | 'command'
    features           TEXT,               -- 'field:NAME' or 'embeddings:NAME@VERSION'; NULL: none
    labels_used        INTEGER NOT NULL,   -- training labels (items, or preference pairs for reward heads)
    labels_hash        TEXT NOT NULL,      -- BLAKE3 of the labeled items and their labels
    approved_only      INTEGER NOT NULL,
    machine_labels     INTEGER NOT NULL,   -- how many of the labels were machine labels
    validation         TEXT NOT NULL,      -- 'split' or 'gold'
    validation_items   TEXT NOT NULL,      -- JSON array of the held-out item ids
    accuracy           REAL,
    macro_f1           REAL,
    log_loss           REAL,
    ece                REAL,
    pairwise_accuracy  REAL,               -- reward heads
    outputs            TEXT NOT NULL,      -- JSON array: class names in column order (reward: the dimension)
    strategy           TEXT,               -- the strategy the queue was ordered by
    pool_items         INTEGER NOT NULL DEFAULT 0,
    mean_uncertainty   REAL,
    changed_share      REAL,               -- share of pool predictions that differ from the previous version's
    kappa              REAL,               -- Cohen's kappa between the two versions' pool predictions
    seconds            REAL NOT NULL,
    created_at         TEXT NOT NULL
);

-- Each item's current prediction by a version: the probabilities of its classes (a reward
-- head: one reward per response) as little-endian f32 values, and the top column.
CREATE TABLE predictions (
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    item_id           INTEGER NOT NULL REFERENCES items(id),
    top               INTEGER NOT NULL,
    vals              BLOB NOT NULL,
    PRIMARY KEY (model_version_id, item_id)
) WITHOUT ROWID;

-- The order in which never-started, unassigned items are served (most informative first).
-- Replaced as a whole by each requeue; items without a position follow in import order.
CREATE TABLE queue_orders (
    id                INTEGER PRIMARY KEY,
    model_version_id  INTEGER REFERENCES model_versions(id),
    strategy          TEXT NOT NULL,
    items             INTEGER NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE TABLE queue_order (
    item_id   INTEGER PRIMARY KEY REFERENCES items(id),
    position  INTEGER NOT NULL UNIQUE,
    score     REAL NOT NULL,
    order_id  INTEGER NOT NULL REFERENCES queue_orders(id)
);

-- `sift autolabel`: the threshold chosen on human-labeled validation items, and the labels
-- it gave. Machine labels never enter `annotations`: they are a separate kind of label.
CREATE TABLE autolabel_runs (
    id                INTEGER PRIMARY KEY,
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    target_precision  REAL NOT NULL,
    threshold         REAL NOT NULL,
    validation_items  INTEGER NOT NULL,    -- human-labeled items the threshold was chosen on
    support           INTEGER NOT NULL,    -- of them, at or above the threshold
    precision         REAL NOT NULL,
    ci_low            REAL NOT NULL,       -- 95% Wilson interval of that precision
    ci_high           REAL NOT NULL,
    labeled           INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    withdrawn_at      TEXT,
    withdrawn_reason  TEXT
);
CREATE TABLE machine_labels (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES autolabel_runs(id),
    item_id       INTEGER NOT NULL REFERENCES items(id),
    payload       TEXT NOT NULL,           -- JSON, in the template's payload shape
    confidence    REAL NOT NULL,
    created_at    TEXT NOT NULL,
    withdrawn_at  TEXT
);
CREATE UNIQUE INDEX machine_labels_live ON machine_labels(item_id) WHERE withdrawn_at IS NULL;
CREATE INDEX machine_labels_by_run ON machine_labels(run_id);

-- A human audit of machine labels: a batch of random machine-labeled items.
CREATE TABLE autolabel_audits (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES autolabel_runs(id),
    batch_id    INTEGER NOT NULL REFERENCES batches(id),
    size        INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
