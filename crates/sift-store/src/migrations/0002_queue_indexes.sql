-- Sift project schema, version 2: indexes for the annotator queue.
-- "Is this item assigned to someone else?" and "what is assigned to me?" were full scans.
CREATE INDEX assignments_by_item ON assignments(item_id, annotator_id);
CREATE INDEX assignments_by_annotator ON assignments(annotator_id, batch_id);
