//! Creating and opening project files: WAL mode, foreign keys, the busy timeout, pending
//! migrations, and projects this process cannot write (opened read-only, and said so).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use crate::faults::{InFile, file_uri, folder_of, writable};
use crate::{APPLICATION_ID, NewProject, PAGE_SIZE, Result, SCHEMA_VERSION, StorageFault, Store, StoreError};

/// How long a write waits for another writer's lock before failing as busy.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Creates a new project file at `path`, which must not exist yet.
    pub fn create(path: &Path, project: &NewProject<'_>) -> Result<Store> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_owned()));
        }
        let folder = folder_of(path);
        if folder.is_dir() && !writable(&folder) {
            return Err(StoreError::storage(
                StorageFault::ReadOnly,
                path,
                format!("cannot create files in {}", folder.display()),
            ));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::open(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
            read_only: false,
        };
        store.init(project).in_file(path)?;
        Ok(store)
    }

    fn init(&mut self, project: &NewProject<'_>) -> Result<()> {
        // Must precede the first table and WAL mode. 16 KiB pages make the long scans of
        // exports and scoring touch four times fewer pages; edits are small either way.
        self.conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        self.configure()?;
        self.conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        self.migrate()?;
        let template_hash = crate::blake3_hex(project.template_text.as_bytes());
        let now = sift_core::now_rfc3339();
        self.conn.execute(
            "INSERT INTO project (id, name, created_at, template_name, template_kind, template_text,
                                  template_hash, label_attribute, job_name)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                project.name,
                now,
                project.template_name,
                project.template_kind,
                project.template_text,
                template_hash,
                project.label_attribute,
                project.job_name
            ],
        )?;
        self.append_event(
            None,
            "project_created",
            &serde_json::json!({ "name": project.name }),
        )
    }

    /// Opens an existing project file and brings its schema up to date. A file or folder
    /// this process cannot write is opened read-only ([`Store::read_only`]): everything can
    /// be read, every change fails as read-only, and a file that needs migrating is refused.
    pub fn open(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!("project file {}", path.display())));
        }
        let read_only = !writable(path) || !writable(&folder_of(path));
        let conn = if read_only {
            open_read_only(path)?
        } else {
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| StoreError::open(path, e))?
        };
        let mut store = Store {
            conn,
            path: path.to_owned(),
            read_only,
        };
        let app_id: i32 = store
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| StoreError::open(path, e))?;
        if app_id != APPLICATION_ID {
            return Err(StoreError::NotAProject(path.to_owned()));
        }
        // SQLite opens a file it may not write read-only even when asked for read-write.
        store.read_only |= store.conn.is_readonly(rusqlite::MAIN_DB)?;
        if store.read_only {
            store.conn.busy_timeout(DEFAULT_BUSY_TIMEOUT)?;
            store.conn.pragma_update(None, "foreign_keys", "ON")?;
            store.check_version_read_only()?;
        } else {
            store.configure().in_file(path)?;
            store.migrate().in_file(path)?;
            store.backup_refresh_triggers().in_file(path)?;
        }
        Ok(store)
    }

    /// Whether the project was opened read-only because this process cannot write the file
    /// or its folder (decided once, when opened).
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// How long a write waits for another writer's lock before failing as busy
    /// ([`DEFAULT_BUSY_TIMEOUT`] unless changed).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(timeout)?)
    }

    fn configure(&mut self) -> Result<()> {
        self.conn.busy_timeout(DEFAULT_BUSY_TIMEOUT)?;
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unsupported(format!(
                "the file system refused WAL mode (got {mode})"
            )));
        }
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    /// A read-only file must already be at this build's schema: it cannot be migrated.
    fn check_version_read_only(&self) -> Result<()> {
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        if current < SCHEMA_VERSION {
            return Err(StoreError::storage(
                StorageFault::ReadOnly,
                &self.path,
                format!(
                    "it was written by an older Sift (schema {current}) and must be upgraded to schema \
                     {SCHEMA_VERSION}, which needs write access"
                ),
            ));
        }
        Ok(())
    }
}

/// Opens a file this process cannot write. A WAL file is read through its `-shm` index,
/// which SQLite cannot create in a folder nobody may write; with no `-wal` file beside it
/// (no writer anywhere, nothing to recover) the file holds everything and is read as
/// immutable.
fn open_read_only(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::open(path, e))?;
    let readable = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0));
    match readable {
        Ok(_) => Ok(conn),
        // SQLite cannot open (read-only mount) or initialise (permissions) the index.
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
            ) =>
        {
            let mut wal = path.as_os_str().to_owned();
            wal.push("-wal");
            if Path::new(&wal).exists() {
                return Err(StoreError::storage(
                    StorageFault::ReadOnly,
                    path,
                    "its write-ahead log cannot be read without write access to the folder",
                ));
            }
            drop(conn);
            Connection::open_with_flags(
                file_uri(path, Some("immutable=1")),
                flags | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(|e| StoreError::open(path, e))
        }
        Err(e) => Err(StoreError::open(path, e)),
    }
}
