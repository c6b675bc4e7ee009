-- Sift project schema: predictions made outside Sift and imported with the items (issue 16,
-- point 2): Label Studio `predictions` and Ground Truth labels marked
-- `"human-annotated": "no"`. They are never annotations: they are shown to annotators as
-- suggestions where no Sift head has predicted the item, and written back as Label Studio
-- `predictions`. Numbered 0011: 0010 is taken by another change (sessions).

-- One row per model version a file named (Label Studio's `model_version`, Ground Truth's
-- job name), per format.
CREATE TABLE prediction_sources (
    id             INTEGER PRIMARY KEY,
    format         TEXT NOT NULL,          -- 'label-studio' | 'ground-truth'
    model_version  TEXT NOT NULL,          -- as the file names it ('' when it names none)
    UNIQUE (format, model_version)
);

-- A source's prediction for an item: a payload in the template's shape (checked on import)
-- and the source's score for it. One per source and item: importing the same prediction
-- again changes nothing.
CREATE TABLE imported_predictions (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES prediction_sources(id),
    item_id     INTEGER NOT NULL REFERENCES items(id),
    import_id   INTEGER NOT NULL REFERENCES imports(id),
    payload     TEXT NOT NULL,
    score       REAL CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
    created_at  TEXT NOT NULL,
    UNIQUE (source_id, item_id)
);
CREATE INDEX imported_predictions_by_item ON imported_predictions(item_id);

-- A version saved while an imported prediction was the item's suggestion names its source.
ALTER TABLE version_suggestions ADD COLUMN prediction_source_id INTEGER REFERENCES prediction_sources(id);
