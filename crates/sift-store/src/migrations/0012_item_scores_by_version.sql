-- Sift project schema: the rows a learning round writes in bulk — 400,000 scores and the
-- queue order of a 100,000-item pool — are appended without per-row lookups (issue 15, the
-- rescoring save path).
--
-- 1. item_scores keyed by model version first. Keyed (item_id, model_version_id, strategy),
--    every new version's rows were written between the rows of the versions before it, so each
--    round rewrote every page of the table and grew slower with each version kept. Keyed
--    (model_version_id, item_id, strategy), a version's rows are appended in item order. Reads
--    by item and version are still one key lookup; "every score of an item" walks the versions.
-- 2. item_scores and queue_order without foreign-key clauses: they are derived rows, rebuilt by
--    the next scoring run or requeue, and their parents (items, model versions, scoring runs,
--    queue orders) are never deleted. The per-row checks were three B-tree lookups a row, more
--    than half of a round's save. sift-store checks what it writes instead, once per batch
--    (the run belongs to the version; every item id is one of the project's items).
-- The rows are copied as they are.

CREATE TABLE item_scores_by_version (
    model_version_id  INTEGER NOT NULL,     -- model_versions(id)
    item_id           INTEGER NOT NULL,     -- items(id)
    strategy          TEXT NOT NULL,
    score             REAL,                 -- NULL when the model output was not finite
    error             TEXT,                 -- why the item could not be scored
    run_id            INTEGER NOT NULL,     -- scoring_runs(id)
    PRIMARY KEY (model_version_id, item_id, strategy)
) WITHOUT ROWID;

INSERT INTO item_scores_by_version (model_version_id, item_id, strategy, score, error, run_id)
    SELECT model_version_id, item_id, strategy, score, error, run_id FROM item_scores
    ORDER BY model_version_id, item_id, strategy;

DROP TABLE item_scores;
ALTER TABLE item_scores_by_version RENAME TO item_scores;

-- Ranking one model version's scores for one strategy (as in 0003).
CREATE INDEX item_scores_by_model ON item_scores(model_version_id, strategy, item_id);

CREATE TABLE queue_order_unchecked (
    item_id   INTEGER PRIMARY KEY,          -- items(id)
    position  INTEGER NOT NULL UNIQUE,
    score     REAL NOT NULL,
    order_id  INTEGER NOT NULL              -- queue_orders(id)
);
INSERT INTO queue_order_unchecked (item_id, position, score, order_id)
    SELECT item_id, position, score, order_id FROM queue_order;
DROP TABLE queue_order;
ALTER TABLE queue_order_unchecked RENAME TO queue_order;
