//! One host checked at most once per cooldown (`--cooldown-secs`, 60 by default), so that a
//! public netcheck cannot be used to flood a host with reports, whoever asks. A request for a
//! host reported less than that ago is answered with that report from the store, saying its
//! age, when it is of the same URL (query values aside, as stored) and holds every check asked
//! for; otherwise, while a report of the host is running or was started within the cooldown,
//! the request is refused (429, `Retry-After`). The host is the parsed target's (lower case,
//! IDNA), so `WWW.Example.com` and `www.example.com/` are one host.
//!
//! The store answers across servers that share a database; the hosts started are remembered
//! per process (a server without a store still refuses within the cooldown).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use netcheck_core::{Registry, RunRequest};
use serde_json::Value;
use tokio::time::Instant;

use crate::ApiError;
use crate::store::Store;

/// The default `--cooldown-secs`.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(60);

/// A stored report recent enough to answer with.
#[derive(Debug)]
pub struct Recent {
    pub id: String,
    /// Seconds since the report was kept.
    pub age_s: u64,
    /// The report as stored (redacted).
    pub report: Value,
}

impl Recent {
    /// What a response says about where the report came from.
    pub fn note(&self, cooldown: Duration) -> Value {
        serde_json::json!({
            "id": self.id,
            "age_s": self.age_s,
            "cooldown_s": cooldown.as_secs(),
            "api": format!("/api/v1/reports/{}", self.id),
            "permalink": format!("/?report={}", self.id),
        })
    }
}

#[derive(Debug)]
pub struct Cooldown {
    period: Duration,
    /// When each host's last report was started here.
    started: Mutex<HashMap<String, Instant>>,
}

impl Cooldown {
    pub fn new(period: Duration) -> Cooldown {
        Cooldown {
            period,
            started: Mutex::new(HashMap::new()),
        }
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// `Ok(None)`: run it (the host is marked as started). `Ok(Some)`: answer with a recent
    /// report. `Err(CoolingDown)`: refused.
    pub async fn admit(
        &self,
        store: Option<&Store>,
        request: &RunRequest,
        registry: &Registry,
    ) -> Result<Option<Recent>, ApiError> {
        if self.period.is_zero() {
            return Ok(None);
        }
        let host = request.target.host.as_str();
        if let Some(store) = store
            && let Some(recent) = self.recent(store, request, registry).await
        {
            return Ok(Some(recent));
        }
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        started.retain(|_, at| at.elapsed() < self.period);
        if let Some(at) = started.get(host) {
            let wait = self.period.saturating_sub(at.elapsed()).as_secs().max(1);
            return Err(ApiError::CoolingDown {
                host: host.to_owned(),
                started_s: at.elapsed().as_secs(),
                cooldown_s: self.period.as_secs(),
                retry_after_s: wait,
            });
        }
        started.insert(host.to_owned(), Instant::now());
        Ok(None)
    }

    /// The host's newest stored report, if it is younger than the cooldown, of the same URL,
    /// and holds every check the request runs. A store that fails answers nothing.
    async fn recent(
        &self,
        store: &Store,
        request: &RunRequest,
        registry: &Registry,
    ) -> Option<Recent> {
        let (entry, report) = store.latest(&request.target.host).await.ok()??;
        let age = age_of(&entry.created_at)?;
        if age >= self.period {
            return None;
        }
        let same_url = report.pointer("/target/url").and_then(Value::as_str)
            == Some(&store.redacted_url(&request.target.url));
        let kept: Vec<&str> = report["checks"]
            .as_array()?
            .iter()
            .filter_map(|c| c["id"].as_str())
            .collect();
        let covers = registry
            .ids()
            .into_iter()
            .filter(|id| request.options.runs(id))
            .all(|id| kept.contains(&id));
        (same_url && covers).then_some(Recent {
            id: entry.id,
            age_s: age.as_secs(),
            report,
        })
    }
}

/// Time since an RFC 3339 stamp; `None` for one in the future or unreadable.
fn age_of(created_at: &str) -> Option<Duration> {
    let created =
        time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339)
            .ok()?;
    Duration::try_from(time::OffsetDateTime::now_utc() - created).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_age_is_read_from_a_stamp_and_a_future_one_has_none() {
        let now = time::OffsetDateTime::now_utc();
        let stamp = |t| crate::store::stamp(t).unwrap();
        let age = age_of(&stamp(now - time::Duration::seconds(90))).unwrap();
        assert!((89..=91).contains(&age.as_secs()), "{age:?}");
        assert_eq!(age_of(&stamp(now + time::Duration::hours(1))), None);
        assert_eq!(age_of("yesterday"), None);
    }
}
