-- Sift project schema: overlap (issue 18, quality control). A batch may ask for k independent
-- annotations per item: each item is dealt out to k different annotators, and it counts as
-- done when k of them have submitted. Existing batches keep one annotation per item.
ALTER TABLE batches ADD COLUMN overlap INTEGER NOT NULL DEFAULT 1 CHECK (overlap >= 1);
