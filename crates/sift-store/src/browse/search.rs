//! Full-text search over item text with SQLite FTS5 (schema 7, `item_search`).
//!
//! Imports never write the index, so they are as fast as before. [`Store::index_for_search`]
//! fills it afterwards, a chunk of items (in id order) per short transaction, and records the
//! highest id indexed; whoever has the project open for browsing (the Lab) calls it in the
//! background until [`SearchIndexStatus::pending`] is zero. Items above that id are matched
//! by a plain scan of their JSON text, so a search is complete while the index catches up
//! and on projects opened read-only, which cannot be indexed at all.
//!
//! The text of an item is its manifest object's string values (keys left out), tokenised
//! by `unicode61` with diacritics removed.

use rusqlite::types::Value;
use rusqlite::{TransactionBehavior, params};

use crate::faults::InFile;
use crate::{Result, Store};

/// How far the search index has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SearchIndexStatus {
    /// Every item with an id up to this one is indexed.
    pub indexed_upto: i64,
    /// Items in the project.
    pub items: u64,
    /// Items not indexed yet.
    pub pending: u64,
}

/// The words of a search, as typed: split on white space, quotes dropped, at most 16.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.replace('"', ""))
        .filter(|w| !w.is_empty())
        .take(16)
        .collect()
}

/// The FTS5 query for `text`: every word must occur, the last one as a prefix (so results
/// follow the typing). Each word is quoted, so no input is FTS5 syntax. `None` for no words.
pub fn fts_query(text: &str) -> Option<String> {
    let words = words(text);
    let last = words.len().checked_sub(1)?;
    let parts: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == last {
                format!("\"{w}\"*")
            } else {
                format!("\"{w}\"")
            }
        })
        .collect();
    Some(parts.join(" "))
}

/// The listing condition for `words`: indexed items through FTS5, the items above
/// `indexed_upto` by a scan (every word somewhere in the JSON text, ASCII case ignored).
pub(crate) fn condition(words: &[String], indexed_upto: i64, args: &mut Vec<Value>) -> String {
    let Some(query) = fts_query(&words.join(" ")) else {
        return "1".to_owned();
    };
    args.push(Value::Text(query));
    args.push(Value::Integer(indexed_upto));
    let mut scan = String::from("i.id > ?");
    args.push(Value::Integer(indexed_upto));
    for w in words {
        scan.push_str(" AND instr(lower(i.content), lower(?)) > 0");
        args.push(Value::Text(w.clone()));
    }
    format!("(i.id IN (SELECT rowid FROM item_search WHERE item_search MATCH ? AND rowid <= ?) OR ({scan}))")
}

/// Items indexed per transaction: short enough that another writer (an annotator saving)
/// waits a few milliseconds at most.
pub const INDEX_CHUNK: u32 = 2000;

impl Store {
    /// How far the search index has got.
    pub fn search_index_status(&self) -> Result<SearchIndexStatus> {
        let (upto, items, pending): (i64, i64, i64) = self.conn.query_row(
            "SELECT s.indexed_upto, (SELECT count(*) FROM items),
                    (SELECT count(*) FROM items WHERE id > s.indexed_upto)
             FROM item_search_state s WHERE s.id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(SearchIndexStatus {
            indexed_upto: upto,
            items: items as u64,
            pending: pending as u64,
        })
    }

    /// Indexes the next `limit` items (at most; [`INDEX_CHUNK`] is a good size) in one
    /// transaction and returns how many it indexed (0: the index is complete).
    pub fn index_for_search(&mut self, limit: u32) -> Result<u64> {
        let done = self.index_chunk(limit.max(1));
        done.in_file(&self.path)
    }

    fn index_chunk(&mut self, limit: u32) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let upto: i64 = tx.query_row(
            "SELECT indexed_upto FROM item_search_state WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        // The items of this chunk, and the highest id among them.
        let (count, last): (i64, Option<i64>) = tx.query_row(
            "SELECT count(*), max(id) FROM (SELECT id FROM items WHERE id > ?1 ORDER BY id LIMIT ?2)",
            params![upto, limit],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let Some(last) = last else {
            return Ok(0);
        };
        tx.execute(
            "INSERT INTO item_search (rowid, text)
             SELECT i.id, coalesce((SELECT group_concat(t.value, ' ') FROM json_tree(i.content) t
                                    WHERE t.type = 'text'), '')
             FROM items i WHERE i.id > ?1 AND i.id <= ?2 AND json_valid(i.content)",
            params![upto, last],
        )?;
        tx.execute(
            "UPDATE item_search_state SET indexed_upto = ?1 WHERE id = 1",
            [last],
        )?;
        tx.commit()?;
        Ok(count as u64)
    }
}
