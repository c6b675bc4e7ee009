-- Sift project schema, version 5: repair of time totals broken by unbounded saves.
--
-- Before each save was bounded (0 to 24 hours), one save of a huge time_spent_ms could
-- overflow an annotation's total: SQLite then stored a REAL that no later save could read,
-- and `sift status` summed trillions of hours. This one-time step recomputes each such
-- total from the annotation's versions, each counted within 0 to 24 hours, and logs how
-- many totals it repaired.
--
-- The versions themselves are history and stay exactly as saved (their triggers refuse any
-- change); the store clamps a stored version's time into 0 to 24 hours when it reads it, so
-- the recomputed total equals the sum of the times it reports.

CREATE TEMP TABLE time_spent_repair AS
SELECT a.id,
       (SELECT CAST(total(min(max(v.time_spent_ms, 0), 86400000)) AS INTEGER)
          FROM annotation_versions v WHERE v.annotation_id = a.id) AS repaired
  FROM annotations a
 WHERE typeof(a.time_spent_ms) <> 'integer'
    OR a.time_spent_ms < 0
    OR EXISTS (SELECT 1 FROM annotation_versions v
                WHERE v.annotation_id = a.id
                  AND (typeof(v.time_spent_ms) <> 'integer'
                       OR v.time_spent_ms < 0 OR v.time_spent_ms > 86400000));

UPDATE annotations
   SET time_spent_ms = (SELECT repaired FROM time_spent_repair r WHERE r.id = annotations.id)
 WHERE id IN (SELECT id FROM time_spent_repair);

INSERT INTO events (at, actor, kind, data)
SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.' || substr(strftime('%f', 'now'), 4, 3) || '000Z',
       NULL, 'time_spent_repaired',
       json_object('annotations', count(*), 'ids', json_group_array(id))
  FROM time_spent_repair
HAVING count(*) > 0;

DROP TABLE time_spent_repair;
