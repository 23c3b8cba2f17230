//! The report model: what one run of netcheck says about one target.
//!
//! Every face (the CLI's text and `--json`, and later the server's stream, storage and e-mail)
//! renders these types; none of them measures anything. The JSON shape is documented in
//! `docs/report.md` and is stable within a `schema_version`.

use serde::{Deserialize, Serialize};

use crate::checks::dns::DnsReport;
use crate::checks::location::LocationReport;
use crate::checks::ping::PingReport;
use crate::checks::registration::RegistrationReport;
use crate::checks::site::SiteReport;
use crate::checks::tls::TlsReport;
use crate::checks::traceroute::TracerouteReport;
use crate::target::Target;

/// Bumped whenever a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// One report for one target.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub netcheck_version: String,
    pub target: Target,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: f64,
    /// The worst status among the checks.
    pub status: Status,
    /// Can the target be reached, and if not, where it fails: read from the checks below.
    #[serde(default)]
    pub diagnosis: crate::diagnosis::Diagnosis,
    pub checks: Vec<CheckReport>,
}

impl Report {
    pub fn check(&self, id: &str) -> Option<&CheckReport> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// True when nothing in the report failed or timed out: the site was reached and is
    /// healthy (warnings allowed).
    pub fn is_healthy(&self) -> bool {
        !matches!(self.status, Status::Failed | Status::TimedOut)
    }
}

/// The JSON Schema of a report (and of the runner's events), generated from these types:
/// docs/report.schema.json is its output, and the UI's types will be generated from it.
pub fn json_schema() -> serde_json::Value {
    let report = schemars::schema_for!(Report);
    let event = schemars::schema_for!(crate::runner::Event);
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "netcheck report",
        "description": format!("schema_version {SCHEMA_VERSION}: the report (`report`) and the events streamed while it runs (`event`)"),
        "report": report,
        "event": event,
    })
}

/// How one check ended.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Hash,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Skipped,
    Ok,
    Warning,
    TimedOut,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::TimedOut => "timed out",
        }
    }
}

/// One check's section of the report.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckReport {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub duration_ms: f64,
    /// What went wrong, in words; present when the status is failed, timed out or skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Judgements drawn from the data, worst first.
    pub findings: Vec<Finding>,
    /// The facts the check gathered; absent when it was skipped or timed out before it had any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Section>,
}

/// The typed facts of one check. `kind` names the variant in JSON.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Section {
    Dns(DnsReport),
    Site(SiteReport),
    Tls(TlsReport),
    Ping(PingReport),
    Traceroute(TracerouteReport),
    Registration(RegistrationReport),
    Location(LocationReport),
}

impl Section {
    /// Turns facts into findings. Pure: no I/O, so every verdict is testable from fixtures.
    pub fn assess(&self) -> Vec<Finding> {
        let mut findings = match self {
            Section::Dns(d) => crate::checks::dns::assess(d),
            Section::Site(s) => crate::checks::site::assess(s),
            Section::Tls(t) => crate::checks::tls::assess(t),
            Section::Ping(p) => crate::checks::ping::assess(p),
            Section::Traceroute(t) => crate::checks::traceroute::assess(t),
            Section::Registration(r) => crate::checks::registration::assess(r),
            Section::Location(l) => crate::checks::location::assess(l),
        };
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        findings
    }
}

/// A judgement about the facts: "HSTS is missing", "the certificate expired 3 days ago".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub severity: Severity,
    /// A stable, machine-readable name, e.g. `hsts_missing`.
    pub code: String,
    pub message: String,
}

impl Finding {
    pub fn new(severity: Severity, code: &str, message: impl Into<String>) -> Self {
        Finding {
            severity,
            code: code.to_owned(),
            message: message.into(),
        }
    }
    pub fn info(code: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }
    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }
    pub fn failure(code: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Failure, code, message)
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Hash,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Failure,
}

/// The status that a set of findings earns.
pub fn status_of(findings: &[Finding]) -> Status {
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Failure) => Status::Failed,
        Some(Severity::Warning) => Status::Warning,
        _ => Status::Ok,
    }
}

/// Milliseconds with microsecond precision, the unit of every duration in the report.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_worst_finding() {
        assert_eq!(status_of(&[]), Status::Ok);
        assert_eq!(status_of(&[Finding::info("a", "x")]), Status::Ok);
        let mixed = [Finding::info("a", "x"), Finding::warning("b", "y")];
        assert_eq!(status_of(&mixed), Status::Warning);
        let failed = [Finding::warning("b", "y"), Finding::failure("c", "z")];
        assert_eq!(status_of(&failed), Status::Failed);
    }

    #[test]
    fn overall_status_orders_failure_above_timeout_above_warning() {
        assert!(Status::Failed > Status::TimedOut);
        assert!(Status::TimedOut > Status::Warning);
        assert!(Status::Warning > Status::Ok);
        assert!(Status::Ok > Status::Skipped);
    }

    #[test]
    fn millis_keeps_microseconds() {
        assert_eq!(millis(std::time::Duration::from_micros(1_234)), 1.234);
    }
}
