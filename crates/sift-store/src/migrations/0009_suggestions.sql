-- Sift project schema: model suggestions shown to annotators (issue 16, point 1).
-- A saved version made while a suggestion was shown has one row here, saying whether the
-- saved answer was the suggestion unchanged; a version without a row was saved with no
-- suggestion shown. The model version is the one whose prediction the project served as the
-- suggestion when the version was saved (NULL if it had none any more). History, like the
-- versions themselves: rows are never edited or deleted.
CREATE TABLE version_suggestions (
    annotation_id     INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    accepted          INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    model_version_id  INTEGER REFERENCES model_versions(id),
    PRIMARY KEY (annotation_id, version),
    FOREIGN KEY (annotation_id, version) REFERENCES annotation_versions(annotation_id, version)
) WITHOUT ROWID;

CREATE TRIGGER version_suggestions_no_update BEFORE UPDATE ON version_suggestions
BEGIN SELECT RAISE(ABORT, 'version_suggestions are append-only'); END;
CREATE TRIGGER version_suggestions_no_delete BEFORE DELETE ON version_suggestions
BEGIN SELECT RAISE(ABORT, 'version_suggestions are append-only'); END;
