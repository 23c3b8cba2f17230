//! The embedded back-end of the report store: one SQLite file (rusqlite, SQLite bundled), in
//! WAL mode with `synchronous = FULL`, so that a save that returned is on disk and a `kill -9`
//! (or a power cut) during another write loses nothing answered as stored. SQLite's calls block,
//! so each runs on a blocking thread, bounded like the PostgreSQL back-end's queries; one
//! connection writes, a few others read, so permalink reads do not wait for writes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde_json::Value;

use super::{Entry, Kind, OpenError, QUERY_TIMEOUT, Row, StoreError, stamp, unavailable};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS netcheck_reports (
    id           TEXT PRIMARY KEY,
    target       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    reachability TEXT NOT NULL,
    summary      TEXT NOT NULL,
    report       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS netcheck_reports_by_target
    ON netcheck_reports (target, created_at DESC);
CREATE INDEX IF NOT EXISTS netcheck_reports_by_time
    ON netcheck_reports (created_at DESC);
";

const ADD_KIND: &str =
    "ALTER TABLE netcheck_reports ADD COLUMN kind TEXT NOT NULL DEFAULT 'report';";

/// Connections that read; reads beyond that wait for one.
const READERS: usize = 4;

pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Arc<Mutex<Connection>>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

fn connection(path: &PathBuf, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(path, flags)?;
    // A writer holding the lock makes the others wait this long, not fail at once.
    c.busy_timeout(QUERY_TIMEOUT)?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    Ok(c)
}

impl SqliteStore {
    pub async fn open(path: PathBuf) -> Result<SqliteStore, OpenError> {
        let shown = path.clone();
        let opened = tokio::task::spawn_blocking(move || -> rusqlite::Result<SqliteStore> {
            let writer = connection(
                &path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            writer.execute_batch(SCHEMA)?;
            // A store made before reports had kinds: all of them single reports.
            let has_kind: bool = writer.query_row(
                "SELECT COUNT(*) > 0 FROM pragma_table_info('netcheck_reports') WHERE name = 'kind'",
                [],
                |r| r.get(0),
            )?;
            if !has_kind {
                writer.execute_batch(ADD_KIND)?;
            }
            let readers = (0..READERS)
                .map(|_| {
                    connection(
                        &path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .map(|c| Arc::new(Mutex::new(c)))
                })
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(SqliteStore {
                writer: Arc::new(Mutex::new(writer)),
                readers,
                next_reader: std::sync::atomic::AtomicUsize::new(0),
            })
        })
        .await;
        match opened {
            Ok(Ok(store)) => Ok(store),
            Ok(Err(e)) => Err(OpenError::Sqlite {
                path: shown,
                why: e.to_string(),
            }),
            Err(e) => Err(OpenError::Sqlite {
                path: shown,
                why: e.to_string(),
            }),
        }
    }

    fn reader(&self) -> Arc<Mutex<Connection>> {
        let i = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.readers[i % self.readers.len()].clone()
    }

    /// Runs `work` on `connection` on a blocking thread, within `QUERY_TIMEOUT`.
    async fn on<T: Send + 'static>(
        what: &'static str,
        connection: Arc<Mutex<Connection>>,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let task = tokio::task::spawn_blocking(move || {
            let c = connection
                .lock()
                .map_err(|_| "a previous call panicked".to_owned())?;
            work(&c).map_err(|e| e.to_string())
        });
        match tokio::time::timeout(QUERY_TIMEOUT, task).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(e))) => Err(unavailable(what, e)),
            Ok(Err(e)) => Err(unavailable(what, e)),
            Err(_) => Err(unavailable(what, "no answer in time")),
        }
    }

    pub async fn save(&self, row: Row) -> Result<(), StoreError> {
        let report = row.report.to_string();
        Self::on("storing the report", self.writer.clone(), move |c| {
            c.execute(
                "INSERT INTO netcheck_reports \
                 (id, target, created_at, reachability, summary, report, kind) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    row.id,
                    row.target,
                    row.created_at,
                    row.reachability,
                    row.summary,
                    report,
                    row.kind.as_str()
                ],
            )
            .map(|_| ())
        })
        .await
    }

    pub async fn load(&self, id: &str) -> Result<Option<Value>, StoreError> {
        let id = id.to_owned();
        let text: Option<String> = Self::on("reading the report", self.reader(), move |c| {
            c.query_row(
                "SELECT report FROM netcheck_reports WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
        })
        .await?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| unavailable("reading the report", e)))
            .transpose()
    }

    pub async fn history(
        &self,
        host: Option<&str>,
        kind: Option<Kind>,
        limit: i64,
    ) -> Result<Vec<Entry>, StoreError> {
        let host = host.map(str::to_owned);
        let kind = kind.map(Kind::as_str);
        Self::on("reading the history", self.reader(), move |c| {
            let mut statement = c.prepare_cached(
                "SELECT id, target, created_at, reachability, summary, kind FROM netcheck_reports \
                 WHERE (?1 IS NULL OR target = ?1) AND (?3 IS NULL OR kind = ?3) \
                 ORDER BY created_at DESC, rowid DESC LIMIT ?2",
            )?;
            let rows = statement.query_map(params![host, limit, kind], |r| {
                Ok(Entry {
                    id: r.get(0)?,
                    target: r.get(1)?,
                    created_at: r.get(2)?,
                    reachability: r.get(3)?,
                    summary: r.get(4)?,
                    kind: Kind::parse(&r.get::<_, String>(5)?),
                })
            })?;
            rows.collect()
        })
        .await
    }

    pub async fn prune(&self, age: Duration) -> Result<u64, StoreError> {
        let cutoff = time::Duration::try_from(age)
            .ok()
            .and_then(|age| time::OffsetDateTime::now_utc().checked_sub(age));
        let Some(cutoff) = cutoff else {
            // Older than any date: nothing is that old.
            return Ok(0);
        };
        let cutoff = stamp(cutoff).map_err(|e| unavailable("forgetting old reports", e))?;
        Self::on("forgetting old reports", self.writer.clone(), move |c| {
            c.execute(
                "DELETE FROM netcheck_reports WHERE created_at < ?1",
                params![cutoff],
            )
            .map(|n| n as u64)
        })
        .await
    }
}
