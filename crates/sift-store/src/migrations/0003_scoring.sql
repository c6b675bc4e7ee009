-- Sift project schema, version 3: active-learning scoring.

-- What `sift model add` saw when it checked the model against its config (JSON: inputs, outputs, opset).
ALTER TABLE model_versions ADD COLUMN signature TEXT;

-- How a scoring run ended: 'running' (or interrupted), 'finished', 'cancelled', 'failed'.
ALTER TABLE scoring_runs ADD COLUMN status TEXT NOT NULL DEFAULT 'finished';

-- The vector each item is represented by for batch diversity (`sift queue --diverse`):
-- the model's class probabilities, or the output the model config names as its embedding.
CREATE TABLE item_embeddings (
    item_id           INTEGER NOT NULL REFERENCES items(id),
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    dim               INTEGER NOT NULL,
    vector            BLOB NOT NULL,        -- dim little-endian f32 values
    PRIMARY KEY (item_id, model_version_id)
) WITHOUT ROWID;

-- Ranking one model version's scores for one strategy, and "which items has this version scored".
CREATE INDEX item_scores_by_model ON item_scores(model_version_id, strategy, item_id);
CREATE INDEX batch_items_by_item ON batch_items(item_id);
