-- Sift project schema: item_scores keyed by model version first (issue 15, the rescoring save
-- path). Keyed (item_id, model_version_id, strategy), every new version's 400,000 rows of a
-- 100,000-item pool were written between the rows of the versions before it, so each round
-- rewrote every page of the table and grew slower with each version kept. Keyed
-- (model_version_id, item_id, strategy), a version's rows are appended in item order. Reads by
-- item and version are still one key lookup; "every score of an item" walks the versions.
-- The rows are copied as they are; nothing else changes.

CREATE TABLE item_scores_by_version (
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    item_id           INTEGER NOT NULL REFERENCES items(id),
    strategy          TEXT NOT NULL,
    score             REAL,                 -- NULL when the model output was not finite
    error             TEXT,                 -- why the item could not be scored
    run_id            INTEGER NOT NULL REFERENCES scoring_runs(id),
    PRIMARY KEY (model_version_id, item_id, strategy)
) WITHOUT ROWID;

INSERT INTO item_scores_by_version (model_version_id, item_id, strategy, score, error, run_id)
    SELECT model_version_id, item_id, strategy, score, error, run_id FROM item_scores
    ORDER BY model_version_id, item_id, strategy;

DROP TABLE item_scores;
ALTER TABLE item_scores_by_version RENAME TO item_scores;

-- Ranking one model version's scores for one strategy (as in 0003).
CREATE INDEX item_scores_by_model ON item_scores(model_version_id, strategy, item_id);
