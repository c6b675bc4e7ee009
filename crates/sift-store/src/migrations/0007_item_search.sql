-- Sift project schema, version 7: full-text search over item text (the Lab's data manager).
--
-- Imports do not touch the index, so they run as fast as before: the index is filled
-- afterwards, off the import's transaction, in short chunks in item order (see
-- `browse/search.rs`). `indexed_upto` is the highest item id indexed so far; a search
-- scans the items above it directly until the indexer has reached them, so answers are
-- complete at every moment. The index holds only the tokens of each item's string values
-- (contentless): the text itself stays in `items.content`.

CREATE VIRTUAL TABLE item_search USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE item_search_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_upto  INTEGER NOT NULL
);
INSERT INTO item_search_state (id, indexed_upto) VALUES (1, 0);
