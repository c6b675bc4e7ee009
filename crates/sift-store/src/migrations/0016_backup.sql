-- Sift project schema, version 16: continuous backup (see `backup/` and docs/backup.md).
--
-- While backup is on, triggers generated from the schema (`backup/capture.rs`) write every
-- committed row change of the project's tables into `backup_changes`, inside the writer's
-- own transaction: whatever was committed is in the log, whichever process wrote it, and
-- whoever ships next sends it. Shipped changes are deleted. Nothing here is written while
-- backup is off (no triggers exist then).

CREATE TABLE backup_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms  INTEGER NOT NULL,
    tbl    TEXT NOT NULL,
    op     TEXT NOT NULL CHECK (op IN ('u', 'd')),
    row    TEXT NOT NULL
);

CREATE TABLE backup_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    enabled         INTEGER NOT NULL DEFAULT 0,
    fingerprint     TEXT,
    shipped_seq     INTEGER NOT NULL DEFAULT 0,
    snapshot_seq    INTEGER,
    snapshot_schema INTEGER,
    snapshot_at_ms  INTEGER,
    lease_owner     TEXT,
    lease_until_ms  INTEGER
);
INSERT INTO backup_state (id) VALUES (1);
