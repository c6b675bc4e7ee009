-- Sift project schema: browser sessions of `sift serve`, kept in the project so that a
-- restart signs no one out. The file is numbered 0010 because 0009 is taken by another
-- change (model suggestions); the schema version is this file's position in `MIGRATIONS`.
--
-- A row holds only the BLAKE3 hash of the session id (the cookie's value), never the id and
-- never the access token: a copy of the file signs no one in. The times are Unix
-- milliseconds; idle and absolute limits are the server's, checked when a session is used.

CREATE TABLE sessions (
    id_hash       BLOB PRIMARY KEY CHECK (length(id_hash) = 32),
    annotator_id  INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
    created_ms    INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX sessions_by_annotator ON sessions(annotator_id);
CREATE INDEX sessions_by_last_seen ON sessions(last_seen_ms);

-- A new or removed access token ends every session signed in with the old one, whoever
-- changes it (`sift annotator reset-token` while `sift serve` runs, or any later command).
CREATE TRIGGER sessions_end_with_token
AFTER UPDATE OF token_hash ON annotators
WHEN NEW.token_hash IS NOT OLD.token_hash
BEGIN
    DELETE FROM sessions WHERE annotator_id = NEW.id;
END;
