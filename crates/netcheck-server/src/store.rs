//! Stored reports, for history and permalinks, in PostgreSQL (tokio-postgres). A report is kept
//! whole as JSON beside the few columns a history list shows; its id is random (a UUID's 122
//! bits), so a permalink cannot be guessed from another. Every query is bounded in time, and a
//! connection that dropped is made again on the next use. The table is created when missing.

use std::sync::Arc;
use std::time::Duration;

use netcheck_core::Report;
use serde::Serialize;
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

/// No statement may take longer than this.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS netcheck_reports (
    id           text PRIMARY KEY,
    target       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    reachability text NOT NULL,
    summary      text NOT NULL,
    report       jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS netcheck_reports_by_target
    ON netcheck_reports (target, created_at DESC);
";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the report store cannot be used: {0}")]
    Unavailable(String),
}

/// One line of a history.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub target: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub reachability: String,
    pub summary: String,
}

pub struct Store {
    url: String,
    client: Mutex<Option<Arc<Client>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

async fn bounded<T, E: std::fmt::Display>(
    what: &str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(QUERY_TIMEOUT, work).await {
        Ok(result) => result.map_err(unavailable),
        Err(_) => Err(StoreError::Unavailable(format!(
            "{what} took longer than {} s",
            QUERY_TIMEOUT.as_secs()
        ))),
    }
}

impl Store {
    /// Connects and creates the table if it is missing.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store {
            url: url.to_owned(),
            client: Mutex::new(None),
        };
        let client = store.connect().await?;
        bounded("creating the table", client.batch_execute(SCHEMA)).await?;
        *store.client.lock().await = Some(Arc::new(client));
        Ok(store)
    }

    async fn connect(&self) -> Result<Client, StoreError> {
        let (client, connection) =
            bounded("connecting", tokio_postgres::connect(&self.url, NoTls)).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("the report store's connection ended: {e}");
            }
        });
        Ok(client)
    }

    /// The client, connected again if the connection dropped.
    async fn client(&self) -> Result<Arc<Client>, StoreError> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        let c = Arc::new(self.connect().await?);
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Keeps `report`; its id.
    pub async fn save(&self, report: &Report) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let json = serde_json::to_value(report).map_err(unavailable)?;
        let reachability = serde_json::to_value(report.diagnosis.reachability)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let client = self.client().await?;
        bounded(
            "storing the report",
            client.execute(
                "INSERT INTO netcheck_reports (id, target, reachability, summary, report) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &id,
                    &report.target.host,
                    &reachability,
                    &report.diagnosis.summary,
                    &json,
                ],
            ),
        )
        .await?;
        Ok(id)
    }

    /// The report kept under `id`, as it was stored (an older report keeps its own shape).
    pub async fn load(&self, id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let client = self.client().await?;
        let row = bounded(
            "reading the report",
            client.query_opt("SELECT report FROM netcheck_reports WHERE id = $1", &[&id]),
        )
        .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The newest reports, of one target's host or of all, newest first.
    pub async fn history(&self, host: Option<&str>, limit: i64) -> Result<Vec<Entry>, StoreError> {
        let client = self.client().await?;
        let rows = bounded(
            "reading the history",
            client.query(
                "SELECT id, target, \
                        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
                        reachability, summary \
                 FROM netcheck_reports WHERE ($1::text IS NULL OR target = $1) \
                 ORDER BY created_at DESC LIMIT $2",
                &[&host, &limit],
            ),
        )
        .await?;
        Ok(rows
            .iter()
            .map(|r| Entry {
                id: r.get(0),
                target: r.get(1),
                created_at: r.get(2),
                reachability: r.get(3),
                summary: r.get(4),
            })
            .collect())
    }
}

/// Whether `id` has the form of one this store gives out (32 hex digits).
pub fn is_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}
