-- Sift project schema: gold items (issue 18, quality control). The lead gives some items a
-- known answer; queues mix them in unannounced at a set rate (settings `quality.gold_rate`,
-- `quality.gold_feedback`, `quality.gold_threshold`, `quality.gold_min_items`), every annotator
-- gets each of them once, and each annotator's accuracy on them is tracked. A gold item is not
-- ordinary new work: it is never dealt into a batch nor taken as done after one annotation.
CREATE TABLE gold_items (
    item_id     INTEGER PRIMARY KEY REFERENCES items(id),
    answer      TEXT NOT NULL,          -- the expected payload (JSON), checked against the template
    source      TEXT NOT NULL,          -- where it came from: `field:<name>` or `set`
    created_at  TEXT NOT NULL
);
