//! Reading query rows into the store's row types, declared once per type: the [`FromRow`]
//! trait, the `from_row!` macro that implements it from the type's fields in the query's
//! column order, the column conversions those declarations share, and [`all`], which collects
//! a query's rows.
//!
//! A declaration such as `from_row! { BatchName { id, name } }` reads column 0 into `id` and
//! column 1 into `name`; `size: count` reads the column as the input of `count` and stores its
//! output. Rows that need a checked parse (one that can refuse the stored text) are read by
//! hand next to their type.

use rusqlite::types::FromSql;
use rusqlite::{Params, Row, Statement};
use serde::de::DeserializeOwned;

/// A row type read from a query's columns, one field a column, in field order.
pub(crate) trait FromRow: Sized {
    /// Reads one result row.
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self>;
}

/// Implements [`FromRow`] for a struct: its fields listed in the query's column order, each
/// optionally followed by `: conversion` (a function of the column's value).
macro_rules! from_row {
    ($ty:ident { $($field:ident $(: $convert:expr)?),* $(,)? }) => {
        impl $crate::rows::FromRow for $ty {
            fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut columns = $crate::rows::Columns::new(r);
                Ok(Self {
                    $($field: {
                        let value = columns.read()?;
                        $(let value = ($convert)(value);)?
                        value
                    },)*
                })
            }
        }
    };
}
pub(crate) use from_row;

/// The columns of one row, read left to right.
pub(crate) struct Columns<'r, 's> {
    row: &'r Row<'s>,
    next: usize,
}

impl<'r, 's> Columns<'r, 's> {
    /// Starts at the first column.
    pub(crate) fn new(row: &'r Row<'s>) -> Self {
        Self { row, next: 0 }
    }

    /// Reads the next column.
    pub(crate) fn read<T: FromSql>(&mut self) -> rusqlite::Result<T> {
        let value = self.row.get(self.next)?;
        self.next += 1;
        Ok(value)
    }
}

/// Every row of a prepared query, read as `T`.
pub(crate) fn all<T: FromRow>(stmt: &mut Statement<'_>, params: impl Params) -> crate::Result<Vec<T>> {
    let rows = stmt.query_map(params, T::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A stored count (SQLite integers are signed; a count is never below zero).
pub(crate) fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// A count that may be NULL (an aggregate over no rows).
pub(crate) fn count_or_null(n: Option<i64>) -> Option<u64> {
    n.map(count)
}

/// Text that may be NULL, read as empty when it is.
pub(crate) fn text_or_empty(text: Option<String>) -> String {
    text.unwrap_or_default()
}

/// A JSON column the store wrote itself; the type's default if it does not parse.
#[expect(
    clippy::needless_pass_by_value,
    reason = "a conversion takes the column's value as read"
)]
pub(crate) fn json_or_default<T: DeserializeOwned + Default>(json: String) -> T {
    serde_json::from_str(&json).unwrap_or_default()
}
