//! Stored reports, for permalinks and history: one interface over two back-ends. By default an
//! embedded SQLite file under the XDG data directory (`sqlite.rs`), so `netcheck serve` keeps
//! its reports with no setup; PostgreSQL (`postgres.rs`) when several servers share one
//! database. A report is kept whole as JSON beside the few columns a history list shows; its id
//! is random (128 bits, a UUID v4), so a permalink cannot be guessed. A run in several regions
//! is kept the same way, as one row of kind `regions` under its run's id.
//!
//! What is kept is decided here, once for both back-ends: never a URL's userinfo
//! (`user:password@`), query values replaced by `redacted` unless the operator keeps them
//! (`--keep-query`), and nothing older than the retention (`--keep-days`, default 30). The
//! recipients of a shared report are never stored.

mod postgres;
mod sqlite;

use std::path::PathBuf;
use std::time::Duration;

use netcheck_agent::{RegionsReport, VerdictKind};
use netcheck_core::Report;
use netcheck_core::diagnosis::Reachability;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// No statement may take longer than this.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Old reports are forgotten at most this often (on a save).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Reports are kept this many days unless the operator says otherwise.
pub const DEFAULT_KEEP_DAYS: u32 = 30;

/// What a caller is told; the cause (which may name hosts, users, databases) goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the report store cannot be used now")]
    Unavailable,
}

/// Why a store could not be opened, for the operator.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "there is no data directory for the default store (set XDG_DATA_HOME or HOME, or give --database-url)"
    )]
    NoDataDir,
    #[error("cannot make {dir}: {source}")]
    DataDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the report store {path}: {why}")]
    Sqlite { path: PathBuf, why: String },
    #[error("{0}")]
    Postgres(String),
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> StoreError {
    tracing::warn!("report store: {what}: {e}");
    StoreError::Unavailable
}

/// One line of a history.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Entry {
    pub id: String,
    pub target: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub reachability: String,
    pub summary: String,
    pub kind: Kind,
}

/// What a kept report is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One report, from one place.
    Report,
    /// The regions side by side (`regions=`): each region's report, and the verdict.
    Regions,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Report => "report",
            Kind::Regions => "regions",
        }
    }

    fn parse(text: &str) -> Kind {
        match text {
            "regions" => Kind::Regions,
            _ => Kind::Report,
        }
    }
}

/// A report as a back-end keeps it: already redacted.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub id: String,
    pub target: String,
    /// RFC 3339 with milliseconds, UTC: sorts as time does.
    pub created_at: String,
    pub reachability: String,
    pub summary: String,
    pub report: Value,
    pub kind: Kind,
}

/// What is kept, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub keep: Duration,
    /// Keep query values as they were; otherwise each becomes `redacted`.
    pub keep_query: bool,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep: Duration::from_secs(u64::from(DEFAULT_KEEP_DAYS) * 86_400),
            keep_query: false,
        }
    }
}

enum Backend {
    Sqlite(sqlite::SqliteStore),
    Postgres(Box<postgres::PgStore>),
}

pub struct Store {
    backend: Backend,
    retention: Retention,
    last_prune: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A PostgreSQL URL may carry a password.
        f.debug_struct("Store")
            .field("backend", &self.kind())
            .finish_non_exhaustive()
    }
}

/// The default store's file: `$XDG_DATA_HOME/netcheck/reports.sqlite3`, else
/// `~/.local/share/netcheck/reports.sqlite3`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("netcheck").join("reports.sqlite3"))
}

impl Store {
    /// Opens the store `url` names: `postgres://…` or `postgresql://…` for PostgreSQL,
    /// `sqlite:PATH` (or a path) for a SQLite file.
    pub async fn open(url: &str, retention: Retention) -> Result<Store, OpenError> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(Box::new(
                postgres::PgStore::open(url)
                    .await
                    .map_err(OpenError::Postgres)?,
            ))
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            Backend::Sqlite(sqlite::SqliteStore::open(PathBuf::from(path)).await?)
        };
        let store = Store {
            backend,
            retention,
            last_prune: Mutex::new(None),
        };
        store.prune_if_due().await;
        Ok(store)
    }

    /// The store with no setup: a SQLite file under the XDG data directory.
    pub async fn open_default(retention: Retention) -> Result<Store, OpenError> {
        let path = default_path().ok_or(OpenError::NoDataDir)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::DataDir {
                dir: dir.to_owned(),
                source,
            })?;
        }
        Store::open(&path.to_string_lossy(), retention).await
    }

    /// `sqlite` or `postgresql`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgresql",
        }
    }

    /// Keeps `report`, redacted; its id. When this returns, the report is on disk: a crash
    /// afterwards does not lose it.
    pub async fn save(&self, report: &Report) -> Result<String, StoreError> {
        let json =
            serde_json::to_value(report).map_err(|e| unavailable("serialising the report", e))?;
        self.keep(
            new_id(),
            Kind::Report,
            &report.target.host,
            report.diagnosis.reachability,
            &report.diagnosis.summary,
            json,
        )
        .await
    }

    /// Keeps the regions side by side under `id` (the run's own, so that a run's id is its
    /// permalink), redacted.
    pub async fn save_regions(
        &self,
        id: &str,
        report: &RegionsReport,
    ) -> Result<String, StoreError> {
        if !is_id(id) {
            return Err(unavailable("storing the regions", "not an id of ours"));
        }
        let json =
            serde_json::to_value(report).map_err(|e| unavailable("serialising the regions", e))?;
        // The history's one word: reachable everywhere, unreachable everywhere, degraded when
        // only some regions reach it, unknown when too few could say.
        let reachability = match report.verdict.kind {
            VerdictKind::ReachableEverywhere => Reachability::Reachable,
            VerdictKind::DownEverywhere => Reachability::Unreachable,
            VerdictKind::DownFromSome => Reachability::Degraded,
            VerdictKind::Inconclusive => Reachability::Unknown,
        };
        self.keep(
            id.to_owned(),
            Kind::Regions,
            &report.target.host,
            reachability,
            &report.verdict.summary,
            json,
        )
        .await
    }

    async fn keep(
        &self,
        id: String,
        kind: Kind,
        host: &str,
        reachability: Reachability,
        summary: &str,
        mut json: Value,
    ) -> Result<String, StoreError> {
        redact(&mut json, self.retention.keep_query);
        let row = Row {
            id,
            target: host.to_owned(),
            created_at: stamp(time::OffsetDateTime::now_utc())
                .map_err(|e| unavailable("dating the report", e))?,
            reachability: serde_json::to_value(reachability)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            summary: summary.to_owned(),
            report: json,
            kind,
        };
        match &self.backend {
            Backend::Sqlite(s) => s.save(row.clone()).await?,
            Backend::Postgres(p) => p.save(&row).await?,
        }
        self.prune_if_due().await;
        Ok(row.id)
    }

    /// The report kept under `id`, as it was stored (an older report keeps its own shape).
    pub async fn load(&self, id: &str) -> Result<Option<Value>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.load(id).await,
            Backend::Postgres(p) => p.load(id).await,
        }
    }

    /// The host's newest single report (not the regions'), with its history line.
    pub async fn latest(&self, host: &str) -> Result<Option<(Entry, Value)>, StoreError> {
        let newest = self.kept(Some(host), Some(Kind::Report), 1).await?;
        let Some(entry) = newest.into_iter().next() else {
            return Ok(None);
        };
        Ok(self.load(&entry.id).await?.map(|report| (entry, report)))
    }

    /// `url` as this store keeps it (no userinfo; query values redacted unless kept).
    pub fn redacted_url(&self, url: &str) -> String {
        redacted_url(url, self.retention.keep_query).unwrap_or_else(|| url.to_owned())
    }

    /// The newest reports of every kind, of one target's host or of all, newest first.
    pub async fn history(&self, host: Option<&str>, limit: i64) -> Result<Vec<Entry>, StoreError> {
        self.kept(host, None, limit).await
    }

    async fn kept(
        &self,
        host: Option<&str>,
        kind: Option<Kind>,
        limit: i64,
    ) -> Result<Vec<Entry>, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.history(host, kind, limit).await,
            Backend::Postgres(p) => p.history(host, kind, limit).await,
        }
    }

    /// Forgets the reports older than `age`; how many.
    pub async fn prune(&self, age: Duration) -> Result<u64, StoreError> {
        // Older than any report can be: nothing to ask the database.
        if age > Duration::from_secs(1000 * 365 * 86_400) {
            return Ok(0);
        }
        match &self.backend {
            Backend::Sqlite(s) => s.prune(age).await,
            Backend::Postgres(p) => p.prune(age).await,
        }
    }

    /// Applies the retention, at most once per `PRUNE_EVERY`; a failure is logged, never the
    /// caller's problem.
    async fn prune_if_due(&self) {
        let mut last = self.last_prune.lock().await;
        if last.is_some_and(|at| at.elapsed() < PRUNE_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        match self.prune(self.retention.keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("report store: forgot {n} report(s) past the retention"),
            Err(_) => {}
        }
    }
}

/// A report's time as rows keep it: RFC 3339 with milliseconds, UTC, so that text order is
/// time order (SQLite compares the column as text).
pub(crate) fn stamp(t: time::OffsetDateTime) -> Result<String, time::error::Format> {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
}

/// A fresh id of the form [`is_id`] accepts: random (a UUID v4), so it cannot be guessed. A
/// run in several regions takes its id at its start, and is kept under it.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether `id` has the form of one this store gives out (32 hex digits).
pub fn is_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes what a stored report must not keep: every string that is a URL loses its userinfo
/// and, unless `keep_query`, its query values; the target's `input` (what was typed, which may
/// lack a scheme) is replaced by its redacted URL when it differs from it.
pub fn redact(report: &mut Value, keep_query: bool) {
    redact_urls(report, keep_query);
    let url = report
        .pointer("/target/url")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let (Some(url), Some(input)) = (url, report.pointer_mut("/target/input"))
        && input
            .as_str()
            .is_some_and(|i| i.contains('@') || i.contains('?'))
    {
        *input = Value::String(url);
    }
}

fn redact_urls(value: &mut Value, keep_query: bool) {
    match value {
        Value::String(s) => {
            if let Some(clean) = redacted_url(s, keep_query) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_urls(v, keep_query)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_urls(v, keep_query)),
        _ => {}
    }
}

/// `s` without userinfo and query values, when `s` is an http(s) URL that has either.
fn redacted_url(s: &str, keep_query: bool) -> Option<String> {
    if !(s.starts_with("http://") || s.starts_with("https://")) || s.len() > 8192 {
        return None;
    }
    let mut url = url::Url::parse(s).ok()?;
    let mut changed = false;
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_username("");
        let _ = url.set_password(None);
        changed = true;
    }
    if !keep_query && url.query().is_some_and(|q| !q.is_empty()) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, _)| (k.into_owned(), "redacted".to_owned()))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        changed = true;
    }
    changed.then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_and_query_values_are_not_kept() {
        let mut report = serde_json::json!({
            "target": {"input": "alice:s3cret@example.com/a?token=abc", "url": "https://alice:s3cret@example.com/a?token=abc&x=1"},
            "checks": [{"data": {"final_url": "https://example.com/b?session=42", "title": "https://not-a-url with spaces"}}]
        });
        redact(&mut report, false);
        assert_eq!(
            report["target"]["url"],
            "https://example.com/a?token=redacted&x=redacted"
        );
        assert_eq!(report["target"]["input"], report["target"]["url"]);
        assert_eq!(
            report["checks"][0]["data"]["final_url"],
            "https://example.com/b?session=redacted"
        );
        assert_eq!(
            report["checks"][0]["data"]["title"],
            "https://not-a-url with spaces"
        );
        let text = report.to_string();
        assert!(!text.contains("s3cret") && !text.contains("abc") && !text.contains("42"));
    }

    #[test]
    fn query_values_are_kept_when_the_operator_says_so_but_userinfo_never() {
        let mut report =
            serde_json::json!({"target": {"input": "x", "url": "https://u:p@example.com/?q=1"}});
        redact(&mut report, true);
        assert_eq!(report["target"]["url"], "https://example.com/?q=1");
    }

    #[test]
    fn ids_are_32_hex_digits() {
        assert!(is_id(&new_id()));
        assert!(!is_id("../etc/passwd"));
    }
}
