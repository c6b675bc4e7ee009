//! Counts for the Lab's overview: items by summed state, each person's work and time, each
//! batch's progress, and the reviews waiting. Annotations are grouped once per query, so a
//! million unlabeled items cost one count.

use std::collections::HashMap;

use super::{ItemState, STATE_RANK_SQL};
use crate::{Result, Store};

/// Items by summed state ([`ItemState`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ItemStateCounts {
    /// Items in all (the sum of the five states).
    pub total: u64,
    /// Items nobody has started.
    pub unlabeled: u64,
    /// Items whose most advanced annotation is a draft.
    pub draft: u64,
    /// Items whose most advanced annotation was returned for rework.
    pub returned: u64,
    /// Items with a submission waiting for review and none approved.
    pub submitted: u64,
    /// Items with at least one approved annotation.
    pub approved: u64,
}

impl ItemStateCounts {
    /// The count of one state.
    pub fn get(&self, state: ItemState) -> u64 {
        match state {
            ItemState::Unlabeled => self.unlabeled,
            ItemState::Draft => self.draft,
            ItemState::Returned => self.returned,
            ItemState::Submitted => self.submitted,
            ItemState::Approved => self.approved,
        }
    }

    fn slot(&mut self, state: ItemState) -> &mut u64 {
        match state {
            ItemState::Unlabeled => &mut self.unlabeled,
            ItemState::Draft => &mut self.draft,
            ItemState::Returned => &mut self.returned,
            ItemState::Submitted => &mut self.submitted,
            ItemState::Approved => &mut self.approved,
        }
    }
}

/// One person's work: their annotations by state, and the time their saves recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AnnotatorActivity {
    /// The person's id.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Their role (`annotator`, `reviewer` or `lead`).
    pub role: String,
    /// Their annotations in the draft state.
    pub drafts: u64,
    /// Waiting for review.
    pub submitted: u64,
    /// Their approved annotations.
    pub approved: u64,
    /// Their annotations returned for rework (and not yet resubmitted).
    pub returned: u64,
    /// Items assigned to them that they have not started.
    pub assigned_open: u64,
    /// Time spent on their annotations, as their saves recorded it.
    pub time_spent_ms: i64,
    /// Reviews they wrote.
    pub reviews_given: u64,
}

/// One batch and how far its items have got.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchProgress {
    /// The batch's id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// How its items were picked: an uncertainty strategy (e.g. `entropy`) for a batch built
    /// from scores, `queue-first` for a batch its assignees get before other new work;
    /// `None` for a plain batch.
    pub strategy: Option<String>,
    /// Items in the batch.
    pub items: u64,
    /// Items assigned to someone.
    pub assigned: u64,
    /// Items by summed state.
    pub states: ItemStateCounts,
    /// Names of the people it is assigned to, comma-separated.
    pub annotators: String,
    /// Independent annotations asked per item (1 unless the batch asked for overlap).
    pub overlap: u32,
    /// Items done: with at least `overlap` submitted or approved annotations.
    pub complete: u64,
}

impl Store {
    /// Items by summed state.
    pub fn item_state_counts(&self) -> Result<ItemStateCounts> {
        let mut counts = ItemStateCounts {
            total: self.item_count()?,
            ..ItemStateCounts::default()
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT r, count(*) FROM (SELECT max({STATE_RANK_SQL}) AS r FROM annotations a GROUP BY a.item_id)
             GROUP BY r"
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        let mut started = 0_u64;
        for row in rows {
            let (rank, n) = row?;
            *counts.slot(ItemState::from_rank(rank)) += n as u64;
            started += n as u64;
        }
        counts.unlabeled = counts.total.saturating_sub(started);
        Ok(counts)
    }

    /// Everyone in the project with their work, by name.
    pub fn annotator_activity(&self) -> Result<Vec<AnnotatorActivity>> {
        let mut people: Vec<AnnotatorActivity> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id, name, role FROM annotators ORDER BY name")?;
            let rows = stmt.query_map([], |r| {
                Ok(AnnotatorActivity {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    role: r.get(2)?,
                    ..AnnotatorActivity::default()
                })
            })?;
            for row in rows {
                let row = row?;
                index.insert(row.id, people.len());
                people.push(row);
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT annotator_id, state, count(*), total(time_spent_ms) FROM annotations GROUP BY annotator_id, state",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                // total() sums as a float: no project overflows it; the conversion saturates.
                r.get::<_, f64>(3)? as i64,
            ))
        })?;
        for row in rows {
            let (id, state, n, ms) = row?;
            let Some(person) = index.get(&id).and_then(|&i| people.get_mut(i)) else {
                continue;
            };
            let n = n as u64;
            match state.as_str() {
                "draft" => person.drafts += n,
                "submitted" => person.submitted += n,
                "approved" => person.approved += n,
                "returned" => person.returned += n,
                _ => {}
            }
            person.time_spent_ms = person.time_spent_ms.saturating_add(ms);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.annotator_id, count(*) FROM assignments s
             WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.item_id AND a.annotator_id = s.annotator_id)
             GROUP BY s.annotator_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (id, n) = row?;
            if let Some(person) = index.get(&id).and_then(|&i| people.get_mut(i)) {
                person.assigned_open = n as u64;
            }
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT reviewer_id, count(*) FROM reviews GROUP BY reviewer_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (id, n) = row?;
            if let Some(person) = index.get(&id).and_then(|&i| people.get_mut(i)) {
                person.reviews_given = n as u64;
            }
        }
        Ok(people)
    }

    /// Every batch with its progress, oldest first.
    pub fn batch_progress(&self) -> Result<Vec<BatchProgress>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "WITH ranks AS (SELECT a.item_id, max({STATE_RANK_SQL}) AS r FROM annotations a GROUP BY a.item_id)
             SELECT b.id, b.name, b.created_at, b.strategy, count(bi.item_id),
                    sum(EXISTS (SELECT 1 FROM assignments s WHERE s.batch_id = b.id AND s.item_id = bi.item_id)),
                    sum(coalesce(k.r, 0) = 0), sum(k.r = 1), sum(k.r = 2), sum(k.r = 3), sum(k.r = 4),
                    (SELECT group_concat(name, ', ') FROM (SELECT DISTINCT p.name FROM assignments s
                       JOIN annotators p ON p.id = s.annotator_id WHERE s.batch_id = b.id ORDER BY p.name)),
                    b.overlap,
                    sum((SELECT count(*) FROM annotations a WHERE a.item_id = bi.item_id
                           AND a.state IN ('submitted', 'approved')) >= b.overlap)
             FROM batches b JOIN batch_items bi ON bi.batch_id = b.id
             LEFT JOIN ranks k ON k.item_id = bi.item_id
             GROUP BY b.id ORDER BY b.id"
        ))?;
        let rows = stmt.query_map([], |r| {
            let count =
                |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0) as u64) };
            let items = count(4)?;
            Ok(BatchProgress {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
                strategy: r.get(3)?,
                items,
                assigned: count(5)?,
                states: ItemStateCounts {
                    total: items,
                    unlabeled: count(6)?,
                    draft: count(7)?,
                    returned: count(8)?,
                    submitted: count(9)?,
                    approved: count(10)?,
                },
                annotators: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
                overlap: r.get(12)?,
                complete: count(13)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Submitted annotations waiting for review.
    pub fn reviews_waiting(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM annotations WHERE state = 'submitted'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}
