//! Adding items by content hash: the one way items enter a project (imports and sync pulls).
//!
//! `item_hashes` (migration 0015) maps each content hash to its item, keyed by the hash.
//! Inserting one random 16-byte key per line into that B-tree — a search from its root
//! through pages no cache keeps warm — was a fifth of an import. So an [`ItemAdder`] keeps
//! the hashes it adds in memory (a *window*, at most [`WINDOW`] of them) and writes them to
//! `item_hashes` all at once, sorted, when the window is full and before the transaction
//! commits ([`ItemAdder::flush`]). Into an empty table (a first import) that is a pure
//! append. A line is a duplicate when its hash is in the window or, if the project held
//! items when the window opened, in `item_hashes` (one lookup). New items get the ids that
//! SQLite's rowids would give, in line order (the next after the largest), and are appended
//! [`ROWS`] to a statement, so the table's cursor stays at its end.
//!
//! Everything happens inside the caller's write transaction: a crash or a rollback leaves
//! neither the items nor their hashes.

use rusqlite::{Connection, OptionalExtension, params};

use crate::Result;

/// One line to add as an item.
#[derive(Debug, Clone, Copy)]
pub struct NewItem<'a> {
    /// The manifest object (JSON text).
    pub content: &'a str,
    /// Its content hash (16-byte BLAKE3).
    pub hash: &'a [u8; 16],
    /// Its media: a resolved local path or a remote URI.
    pub media_ref: Option<&'a str>,
    /// The 1-based line (or task number) of the manifest.
    pub line: u64,
}

/// What happened to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// A new item was stored; holds its id.
    Added(i64),
    /// An item with the same content hash exists already (in the project, or earlier in the
    /// same import); nothing was stored.
    Duplicate,
}

/// Hashes held in memory before they are written to `item_hashes`: about 30 MB at most.
pub(crate) const WINDOW: usize = 1 << 20;

/// Rows per multi-row `INSERT` statement.
const ROWS: usize = 32;

const INSERT_ITEMS_HEAD: &str =
    "INSERT INTO items (id, content, content_hash, media_ref, import_id, source_line) VALUES ";
const INSERT_HASHES_HEAD: &str = "INSERT INTO item_hashes (hash, item_id) VALUES ";

/// `head` followed by `rows` groups of `width` parameters.
fn multi_row(head: &str, width: usize, rows: usize) -> String {
    let group = format!("({})", vec!["?"; width].join(","));
    format!("{head}{}", vec![group; rows].join(","))
}

/// Adds items inside one write transaction (see the module's text). Holds the next free id,
/// so nothing else may add items to the project while it is in use; [`ItemAdder::flush`]
/// must run before the transaction commits.
#[derive(Debug)]
pub(crate) struct ItemAdder {
    next_id: i64,
    /// Hashes added since the window opened, and their items.
    window: Window,
    /// Whether `item_hashes` had rows when the window opened (lines are then looked up).
    look_up: bool,
    /// Items waiting for a full multi-row statement: indices into the current batch.
    queued: Vec<(usize, i64)>,
    /// The window's size ([`WINDOW`]; smaller in tests, to cross it).
    pub(crate) limit: usize,
}

impl Default for ItemAdder {
    /// An adder for an empty project (imports replace it with [`ItemAdder::new`] once their
    /// transaction has begun).
    fn default() -> Self {
        Self {
            next_id: 1,
            window: Window::default(),
            look_up: false,
            queued: Vec::new(),
            limit: WINDOW,
        }
    }
}

impl ItemAdder {
    /// Starts adding after the project's largest item id (read once: call inside the
    /// transaction that adds).
    pub(crate) fn new(conn: &Connection) -> Result<Self> {
        let max: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM items", [], |r| r.get(0))?;
        let look_up = conn
            .query_row("SELECT 1 FROM item_hashes LIMIT 1", [], |_| Ok(()))
            .optional()?
            .is_some();
        Ok(Self {
            next_id: max + 1,
            window: Window::new(max + 1),
            look_up,
            queued: Vec::new(),
            limit: WINDOW,
        })
    }

    /// Adds `items` (in line order) under `import_id`, setting `outcomes` to one outcome per
    /// item.
    pub(crate) fn add(
        &mut self,
        conn: &Connection,
        import_id: i64,
        items: &[NewItem<'_>],
        outcomes: &mut Vec<InsertOutcome>,
    ) -> Result<()> {
        outcomes.clear();
        self.queued.clear();
        for (i, item) in items.iter().enumerate() {
            if self.window.len() >= self.limit {
                self.insert_queued(conn, import_id, items)?;
                self.flush(conn)?;
            }
            let known = self.window.get(item.hash).is_some()
                || (self.look_up && in_table(conn, item.hash)?.is_some());
            if known {
                outcomes.push(InsertOutcome::Duplicate);
                continue;
            }
            let id = self.window.insert(item.hash);
            self.next_id = id + 1;
            self.queued.push((i, id));
            outcomes.push(InsertOutcome::Added(id));
        }
        self.insert_queued(conn, import_id, items)
    }

    /// Appends the queued items, [`ROWS`] to a statement.
    fn insert_queued(&mut self, conn: &Connection, import_id: i64, items: &[NewItem<'_>]) -> Result<()> {
        let mut full = conn.prepare_cached(&multi_row(INSERT_ITEMS_HEAD, 6, ROWS))?;
        let mut one = conn.prepare_cached(&multi_row(INSERT_ITEMS_HEAD, 6, 1))?;
        let mut chunks = self.queued.chunks_exact(ROWS);
        for chunk in &mut chunks {
            let mut p = 1;
            for &(i, id) in chunk {
                bind_item(&mut full, &mut p, id, &items[i], import_id)?;
            }
            full.raw_execute()?;
        }
        for &(i, id) in chunks.remainder() {
            let mut p = 1;
            bind_item(&mut one, &mut p, id, &items[i], import_id)?;
            one.raw_execute()?;
        }
        self.queued.clear();
        Ok(())
    }

    /// Writes the window's hashes to `item_hashes` in hash order and empties it. Must run
    /// before the transaction commits.
    pub(crate) fn flush(&mut self, conn: &Connection) -> Result<()> {
        if self.window.is_empty() {
            return Ok(());
        }
        let mut full = conn.prepare_cached(&multi_row(INSERT_HASHES_HEAD, 2, ROWS))?;
        let mut one = conn.prepare_cached(&multi_row(INSERT_HASHES_HEAD, 2, 1))?;
        let mut rows = self.window.sorted();
        let mut chunk = Vec::with_capacity(ROWS);
        loop {
            chunk.clear();
            chunk.extend(rows.by_ref().take(ROWS));
            if chunk.len() < ROWS {
                break;
            }
            for (j, (hash, id)) in chunk.iter().enumerate() {
                full.raw_bind_parameter(2 * j + 1, &hash[..])?;
                full.raw_bind_parameter(2 * j + 2, id)?;
            }
            full.raw_execute()?;
        }
        for (hash, id) in &chunk {
            one.execute(params![&hash[..], id])?;
        }
        drop(rows);
        self.window = Window::new(self.next_id);
        self.look_up = true;
        Ok(())
    }

    /// The id of the item with this content hash (added by this adder or before).
    pub(crate) fn item_id(&self, conn: &Connection, hash: &[u8; 16]) -> Result<Option<i64>> {
        match self.window.get(hash) {
            Some(id) => Ok(Some(id)),
            None => in_table(conn, hash),
        }
    }
}

/// The hashes of the items added since the window opened, which have consecutive ids from
/// `first_id`, and an open-addressing set of their indices (keyed by the hash's first eight
/// bytes: content hashes are uniform already). 20 bytes or so an item, where a `HashMap`
/// of hash and id takes twice that.
#[derive(Debug)]
struct Window {
    first_id: i64,
    hashes: Vec<[u8; 16]>,
    /// Indices into `hashes`, [`Window::EMPTY`] where free; a power of two, at most half full.
    slots: Vec<u32>,
}

impl Default for Window {
    fn default() -> Self {
        Self::new(1)
    }
}

impl Window {
    const EMPTY: u32 = u32::MAX;

    fn new(first_id: i64) -> Self {
        Self {
            first_id,
            hashes: Vec::new(),
            slots: vec![Self::EMPTY; 1024],
        }
    }

    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    fn start(&self, hash: &[u8; 16]) -> usize {
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&hash[..8]);
        u64::from_le_bytes(prefix) as usize & (self.slots.len() - 1)
    }

    /// The id of `hash`, if it was added since the window opened.
    fn get(&self, hash: &[u8; 16]) -> Option<i64> {
        let mask = self.slots.len() - 1;
        let mut i = self.start(hash);
        loop {
            let s = self.slots[i];
            if s == Self::EMPTY {
                return None;
            }
            if &self.hashes[s as usize] == hash {
                return Some(self.first_id + i64::from(s));
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `hash` (not in the window) and returns its id: the next one.
    fn insert(&mut self, hash: &[u8; 16]) -> i64 {
        let index = self.hashes.len() as u32;
        self.hashes.push(*hash);
        if self.hashes.len() * 2 > self.slots.len() {
            self.slots = vec![Self::EMPTY; self.slots.len() * 2];
            for j in 0..self.hashes.len() as u32 {
                self.place(j);
            }
        } else {
            self.place(index);
        }
        self.first_id + i64::from(index)
    }

    fn place(&mut self, index: u32) {
        let mask = self.slots.len() - 1;
        let mut i = self.start(&self.hashes[index as usize]);
        while self.slots[i] != Self::EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = index;
    }

    /// Every `(hash, id)` of the window, in hash order.
    fn sorted(&self) -> impl Iterator<Item = (&[u8; 16], i64)> {
        let mut order: Vec<u32> = (0..self.hashes.len() as u32).collect();
        order.sort_unstable_by_key(|&i| self.hashes[i as usize]);
        order
            .into_iter()
            .map(|i| (&self.hashes[i as usize], self.first_id + i64::from(i)))
    }
}

fn bind_item(
    stmt: &mut rusqlite::CachedStatement<'_>,
    p: &mut usize,
    id: i64,
    item: &NewItem<'_>,
    import_id: i64,
) -> Result<()> {
    stmt.raw_bind_parameter(*p, id)?;
    stmt.raw_bind_parameter(*p + 1, item.content)?;
    stmt.raw_bind_parameter(*p + 2, &item.hash[..])?;
    stmt.raw_bind_parameter(*p + 3, item.media_ref)?;
    stmt.raw_bind_parameter(*p + 4, import_id)?;
    stmt.raw_bind_parameter(*p + 5, item.line as i64)?;
    *p += 6;
    Ok(())
}

/// The item of this content hash in `item_hashes`.
fn in_table(conn: &Connection, hash: &[u8; 16]) -> Result<Option<i64>> {
    let mut stmt = conn.prepare_cached("SELECT item_id FROM item_hashes WHERE hash = ?1")?;
    Ok(stmt.query_row([&hash[..]], |r| r.get(0)).optional()?)
}
