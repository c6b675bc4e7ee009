//! Counts for `sift status`.

use std::collections::BTreeMap;

use crate::{Result, Store};

/// Items and annotations by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct StatusCounts {
    /// Items in the project.
    pub items: u64,
    /// Items nobody has started.
    pub unlabeled: u64,
    /// Annotations by state (`draft`, `submitted`, `approved`, `returned`).
    pub annotations: BTreeMap<String, u64>,
    /// Each person's counts, by name (people with no annotations included).
    pub by_annotator: Vec<AnnotatorCounts>,
    /// Imports committed so far (each batch pulled through sync counts as one).
    pub imports: u64,
}

/// One person's annotations by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct AnnotatorCounts {
    /// The person's name.
    pub name: String,
    /// Their role (`annotator`, `reviewer` or `lead`).
    pub role: String,
    /// Their annotations by state; states they have none in are absent.
    pub states: BTreeMap<String, u64>,
    /// Their total active time over all annotations, in milliseconds (saturating).
    pub time_spent_ms: i64,
}

impl Store {
    /// The counts `sift status` shows: items, unlabeled items, annotations by state, each
    /// person's counts and the number of imports.
    pub fn status(&self) -> Result<StatusCounts> {
        let mut s = StatusCounts {
            items: self.item_count()?,
            ..Default::default()
        };
        s.unlabeled = self.conn.query_row(
            "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64;
        for state in ["draft", "submitted", "approved", "returned"] {
            s.annotations.insert(state.to_owned(), 0);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT state, count(*) FROM annotations GROUP BY state")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (state, n) = row?;
            s.annotations.insert(state, n as u64);
        }
        let mut stmt = self.conn.prepare(
            "SELECT p.name, p.role, a.state, count(a.id), total(a.time_spent_ms)
             FROM annotators p LEFT JOIN annotations a ON a.annotator_id = p.id
             GROUP BY p.id, a.state ORDER BY p.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
                // total() sums as a float, so no project can overflow it; the
                // conversion saturates.
                r.get::<_, f64>(4)? as i64,
            ))
        })?;
        for row in rows {
            let (name, role, state, n, ms) = row?;
            if s.by_annotator.last().is_none_or(|a| a.name != name) {
                s.by_annotator.push(AnnotatorCounts {
                    name,
                    role,
                    ..Default::default()
                });
            }
            if let (Some(last), Some(state)) = (s.by_annotator.last_mut(), state) {
                last.states.insert(state, n as u64);
                last.time_spent_ms = last.time_spent_ms.saturating_add(ms);
            }
        }
        s.imports =
            self.conn
                .query_row("SELECT count(*) FROM imports", [], |r| r.get::<_, i64>(0))? as u64;
        Ok(s)
    }
}
