//! Every row a backup carries, in a form two project files can be compared by: what a restore
//! must give back (the restore tests of the store, of `sift-api` and end to end compare a
//! restored file with its source, or with a copy taken at the point in time, through this).

use std::path::Path;

use rusqlite::Connection;

use crate::Result;

/// One table's name and its rows (each row its column values joined by `|`), sorted.
pub type TableRows = (String, Vec<String>);

/// Every row of every table a restore brings back — not SQLite's own, the backup's, server
/// sessions or the search index — table by table in name order, each table's rows sorted.
pub fn backed_up_rows(file: &Path) -> Result<Vec<TableRows>> {
    let conn = Connection::open(file)?;
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'backup_%' AND name NOT LIKE 'item_search%'
             AND name <> 'sessions' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(names.len());
    for table in names {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(|v| v.join("|"))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.sort();
        out.push((table, rows));
    }
    Ok(out)
}
