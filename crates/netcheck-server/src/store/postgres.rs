//! The PostgreSQL back-end of the report store (tokio-postgres), for several servers sharing
//! one database. Every query is bounded in time (here and by the server's statement_timeout),
//! and a connection that failed or timed out is dropped and made again on the next use. The
//! table is created when missing.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

use super::{Entry, Kind, QUERY_TIMEOUT, Row, StoreError, unavailable};

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
ALTER TABLE netcheck_reports ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'report';
";

pub struct PgStore {
    config: tokio_postgres::Config,
    client: Mutex<Option<Arc<Client>>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// Text PostgreSQL's jsonb cannot hold: U+0000, which remote text (WHOIS, TXT records) may
/// carry. Replaced, so that no target can keep its reports out of the store.
fn without_nul(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => *s = s.replace('\0', "\u{fffd}"),
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_nul),
        serde_json::Value::Object(map) => {
            // Keys are ours (field names), never remote text.
            map.values_mut().for_each(without_nul);
        }
        _ => {}
    }
}

impl PgStore {
    /// Connects and creates the table if it is missing. The error says why, for the operator.
    pub async fn open(url: &str) -> Result<PgStore, String> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| format!("--database-url is not a PostgreSQL URL: {e}"))?;
        // The server ends what we would stop waiting for; keepalives notice a peer that left.
        config
            .connect_timeout(QUERY_TIMEOUT)
            .keepalives_idle(Duration::from_secs(30))
            .options(format!(
                "-c statement_timeout={}",
                QUERY_TIMEOUT.as_millis()
            ));
        let store = PgStore {
            config,
            client: Mutex::new(None),
        };
        let client = store
            .connect()
            .await
            .map_err(|_| "the report store cannot be reached (see the log)".to_owned())?;
        client
            .batch_execute(SCHEMA)
            .await
            .map_err(|e| format!("the report store's table cannot be made: {e}"))?;
        *store.client.lock().await = Some(Arc::new(client));
        Ok(store)
    }

    async fn connect(&self) -> Result<Client, StoreError> {
        let connecting = tokio::time::timeout(QUERY_TIMEOUT, self.config.connect(NoTls)).await;
        let (client, connection) = match connecting {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(unavailable("connecting", e)),
            Err(_) => return Err(unavailable("connecting", "no answer in time")),
        };
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("the report store's connection ended: {e}");
            }
        });
        Ok(client)
    }

    /// The client, connected again if the connection dropped. Waiting for another request's
    /// reconnect is bounded like a query.
    async fn client(&self) -> Result<Arc<Client>, StoreError> {
        let mut slot = tokio::time::timeout(QUERY_TIMEOUT, self.client.lock())
            .await
            .map_err(|_| unavailable("waiting for a connection", "another reconnect is slow"))?;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        let c = Arc::new(self.connect().await?);
        *slot = Some(c.clone());
        Ok(c)
    }

    /// Runs `work` bounded in time; a connection that timed out or failed is dropped so that
    /// the next use connects afresh instead of waiting on a dead socket.
    async fn bounded<T>(
        &self,
        what: &str,
        work: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        let outcome = tokio::time::timeout(QUERY_TIMEOUT, work).await;
        let broken = match &outcome {
            Err(_) => true,
            Ok(Err(e)) => e.is_closed() || e.as_db_error().is_none(),
            Ok(Ok(_)) => false,
        };
        if broken {
            *self.client.lock().await = None;
        }
        match outcome {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(unavailable(what, e)),
            Err(_) => Err(unavailable(what, "no answer in time")),
        }
    }

    /// Keeps `row`.
    pub async fn save(&self, row: &Row) -> Result<(), StoreError> {
        let mut json = row.report.clone();
        without_nul(&mut json);
        let client = self.client().await?;
        self.bounded(
            "storing the report",
            client.execute(
                "INSERT INTO netcheck_reports (id, target, reachability, summary, report, kind) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &row.id,
                    &row.target,
                    &row.reachability,
                    &row.summary.replace('\0', "\u{fffd}"),
                    &json,
                    &row.kind.as_str(),
                ],
            ),
        )
        .await?;
        Ok(())
    }

    /// Forgets the reports older than `age`; how many.
    pub async fn prune(&self, age: Duration) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let seconds = age.as_secs_f64();
        self.bounded(
            "forgetting old reports",
            client.execute(
                "DELETE FROM netcheck_reports WHERE created_at < now() - make_interval(secs => $1)",
                &[&seconds],
            ),
        )
        .await
    }

    /// The report kept under `id`, as it was stored (an older report keeps its own shape).
    pub async fn load(&self, id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let client = self.client().await?;
        let row = self
            .bounded(
                "reading the report",
                client.query_opt("SELECT report FROM netcheck_reports WHERE id = $1", &[&id]),
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The newest reports, of one target's host or of all, newest first.
    pub async fn history(
        &self,
        host: Option<&str>,
        kind: Option<Kind>,
        limit: i64,
    ) -> Result<Vec<Entry>, StoreError> {
        let kind = kind.map(Kind::as_str);
        let client = self.client().await?;
        let rows = self.bounded(
            "reading the history",
            client.query(
                "SELECT id, target, \
                        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
                        reachability, summary, kind \
                 FROM netcheck_reports WHERE ($1::text IS NULL OR target = $1) \
                 AND ($3::text IS NULL OR kind = $3) \
                 ORDER BY created_at DESC LIMIT $2",
                &[&host, &limit, &kind],
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
                kind: Kind::parse(r.get(5)),
            })
            .collect())
    }
}
