//! The run request: what a caller chooses for one run. Serialisable (durations as seconds), so
//! the same request can be made by a flag, a query string or a message to an agent; a field
//! left out takes its default, so an older caller's request still reads.

use std::collections::BTreeMap;
use std::time::Duration;

use netcheck_probe::trace::TraceMode;
use serde::{Deserialize, Serialize};

use super::defaults;
use crate::target::Target;

/// One run: the target and how to check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    pub target: Target,
    #[serde(default)]
    pub options: RunOptions,
}

impl RunRequest {
    pub fn new(target: Target, options: RunOptions) -> Self {
        RunRequest { target, options }
    }
}

/// What a caller may choose besides the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunOptions {
    /// Checks to run, by id; empty means all.
    pub checks: Vec<String>,
    /// Per-check bounds that replace the check's default.
    #[serde(with = "seconds_by_check")]
    pub check_timeouts: BTreeMap<String, Duration>,
    /// One DNS query's bound, per server tried.
    #[serde(rename = "dns_query_timeout_s", with = "seconds")]
    pub dns_query_timeout: Duration,
    /// One TCP connect attempt's bound.
    #[serde(rename = "connect_timeout_s", with = "seconds")]
    pub connect_timeout: Duration,
    /// Redirects followed before the chain is cut.
    pub max_redirects: usize,
    /// Bytes of a body read at most; the rest is not downloaded.
    pub max_body_bytes: usize,
    /// Echo requests per address.
    pub ping_count: u16,
    #[serde(rename = "ping_interval_s", with = "seconds")]
    pub ping_interval: Duration,
    pub trace_mode: TraceMode,
    pub max_hops: u8,
    /// Connections the TLS scan keeps open at once at most.
    pub tls_scan_connections: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            checks: Vec::new(),
            check_timeouts: BTreeMap::new(),
            dns_query_timeout: defaults::DNS_QUERY_TIMEOUT,
            connect_timeout: defaults::CONNECT_TIMEOUT,
            max_redirects: defaults::MAX_REDIRECTS,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            ping_count: defaults::PING_COUNT,
            ping_interval: defaults::PING_INTERVAL,
            trace_mode: defaults::TRACE_MODE,
            max_hops: defaults::MAX_HOPS,
            tls_scan_connections: defaults::TLS_SCAN_CONNECTIONS,
        }
    }
}

impl RunOptions {
    /// Whether the check `id` is asked for.
    pub fn runs(&self, id: &str) -> bool {
        self.checks.is_empty() || self.checks.iter().any(|c| c == id)
    }

    pub fn timeout_for(&self, id: &str, default: Duration) -> Duration {
        self.check_timeouts.get(id).copied().unwrap_or(default)
    }
}

/// A duration as a number of seconds, as people write them in flags and messages.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs)
            .map_err(|_| D::Error::custom(format!("{secs} is not a number of seconds")))
    }
}

mod seconds_by_check {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<String, Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(id, d)| (id, d.as_secs_f64())))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Duration>, D::Error> {
        BTreeMap::<String, f64>::deserialize(d)?
            .into_iter()
            .map(|(id, secs)| match Duration::try_from_secs_f64(secs) {
                Ok(d) => Ok((id, d)),
                Err(_) => Err(D::Error::custom(format!(
                    "{secs} is not a number of seconds (check '{id}')"
                ))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_travels_as_json_and_comes_back_the_same() {
        let mut options = RunOptions {
            checks: vec!["dns".into(), "site".into()],
            ping_interval: Duration::from_millis(250),
            ..RunOptions::default()
        };
        options
            .check_timeouts
            .insert("site".into(), Duration::from_millis(1500));
        let request = RunRequest::new(Target::parse("https://example.com/").unwrap(), options);
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["options"]["check_timeouts"]["site"], 1.5);
        assert_eq!(json["options"]["ping_interval_s"], 0.25);
        assert_eq!(json["options"]["trace_mode"], "udp");
        let back: RunRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn what_a_request_leaves_out_takes_the_defaults() {
        let target = serde_json::to_value(Target::parse("example.com").unwrap()).unwrap();
        let request: RunRequest = serde_json::from_value(serde_json::json!({
            "target": target,
            "options": {"checks": ["ping"], "ping_count": 3},
        }))
        .unwrap();
        assert_eq!(
            request.options,
            RunOptions {
                checks: vec!["ping".into()],
                ping_count: 3,
                ..RunOptions::default()
            }
        );
        assert!(request.options.runs("ping") && !request.options.runs("dns"));
        let bad = serde_json::json!({"target": target, "options": {"connect_timeout_s": -1.0}});
        assert!(serde_json::from_value::<RunRequest>(bad).is_err());
    }
}
