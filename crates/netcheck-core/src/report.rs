//! The report model: what one run of netcheck says about one target.
//!
//! Every face (the CLI's text and `--json`, and later the server's stream, storage and e-mail)
//! renders these types; none of them measures anything. The JSON shape is documented in
//! `docs/report.md` and is stable within a `schema_version`.

use serde::{Deserialize, Serialize};

use crate::check::Facts;
use crate::checks::dns::DnsReport;
use crate::checks::location::LocationReport;
use crate::checks::ping::PingReport;
use crate::checks::registration::RegistrationReport;
use crate::checks::site::SiteReport;
use crate::checks::tls::TlsReport;
use crate::checks::tls_scan::TlsScanReport;
use crate::checks::traceroute::TracerouteReport;
use crate::target::Target;

use crate::finding::Code;
pub use crate::finding::worst_first;

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
/// docs/report.schema.json is its output. (The UI's types come from the same types, through
/// the API's OpenAPI document.)
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
///
/// Each variant's facts judge themselves ([`Facts`]); `Section` only delegates, through the one
/// match in [`Section::facts`], as hickory's `RData` delegates to its record types. A section of
/// a kind this version does not know (from a newer agent, or a check that has no variant of its
/// own) is kept as [`Section::Unknown`], as hickory keeps unknown record data.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schemars(
    description = "The typed facts of one check. `kind` names the variant in JSON.",
    transform = one_of_the_known_kinds
)]
pub enum Section {
    Dns(DnsReport),
    Site(SiteReport),
    Tls(TlsReport),
    TlsScan(TlsScanReport),
    Ping(PingReport),
    Traceroute(TracerouteReport),
    Registration(RegistrationReport),
    Location(LocationReport),
    /// Any other `kind`, or a known one whose facts this version cannot read: its JSON object
    /// as it came (`kind` included), written back unchanged, with no findings. Not in the
    /// schema, which describes the sections this version writes.
    #[serde(untagged)]
    #[schemars(skip)]
    Unknown(serde_json::Map<String, serde_json::Value>),
}

/// The schema lists the sections this version writes, told apart by `kind`: exactly one of
/// them (schemars makes it "any of" for the sake of the unknown variant, which is not listed).
fn one_of_the_known_kinds(schema: &mut schemars::Schema) {
    if let Some(kinds) = schema.remove("anyOf") {
        schema.insert("oneOf".to_owned(), kinds);
    }
}

impl Section {
    /// The facts behind the section, for judging; none for an unknown one.
    pub fn facts(&self) -> Option<&dyn Facts> {
        Some(match self {
            Section::Dns(d) => d,
            Section::Site(s) => s,
            Section::Tls(t) => t,
            Section::TlsScan(t) => t,
            Section::Ping(p) => p,
            Section::Traceroute(t) => t,
            Section::Registration(r) => r,
            Section::Location(l) => l,
            Section::Unknown(_) => return None,
        })
    }

    /// Turns facts into findings, worst first. Pure: no I/O, so every verdict is testable from
    /// fixtures. An unknown section has none: its check judged it where it ran.
    pub fn assess(&self) -> Vec<Finding> {
        let mut findings = self.facts().map(Facts::assess).unwrap_or_default();
        worst_first(&mut findings);
        findings
    }

    /// True when the facts show that the check's time ran out.
    pub fn timed_out(&self) -> bool {
        self.facts().is_some_and(Facts::timed_out)
    }

    /// A section of `kind` that this version has no type for, from facts that serialise to a
    /// JSON object (anything else is kept under `value`).
    pub fn unknown(kind: &str, facts: &impl Serialize) -> Section {
        let mut object = match serde_json::to_value(facts) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(value) => serde_json::Map::from_iter([("value".to_owned(), value)]),
            Err(e) => serde_json::Map::from_iter([(
                "error".to_owned(),
                format!("the facts could not be written as JSON: {e}").into(),
            )]),
        };
        object.insert("kind".to_owned(), kind.into());
        Section::Unknown(object)
    }
}

/// Facts made a section of the report. A built-in check's facts are their own variant (their
/// type is in the schema, and faces draw them); any other check's facts keep the default, a
/// section of the check's id kept as JSON ([`Section::Unknown`]), which every face shows as it
/// is: such a check needs no change anywhere else.
pub trait IntoSection: Serialize + Sized {
    fn into_section(self, kind: &str) -> Section {
        Section::unknown(kind, &self)
    }
}

/// The built-in facts, each its own variant.
macro_rules! own_variant {
    ($($facts:ty => $variant:ident),+ $(,)?) => {
        $(impl IntoSection for $facts {
            fn into_section(self, _kind: &str) -> Section {
                Section::$variant(self)
            }
        })+
    };
}

own_variant! {
    DnsReport => Dns,
    SiteReport => Site,
    TlsReport => Tls,
    TlsScanReport => TlsScan,
    PingReport => Ping,
    TracerouteReport => Traceroute,
    RegistrationReport => Registration,
    LocationReport => Location,
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
    /// A finding of `code` at `severity`, which may not be worse than the code declares.
    pub fn new(severity: Severity, code: &Code, message: impl Into<String>) -> Self {
        debug_assert!(
            severity <= code.severity,
            "{} is declared {:?} at worst, raised {severity:?}",
            code.name,
            code.severity
        );
        Finding {
            severity,
            code: code.name.to_owned(),
            message: message.into(),
        }
    }
    pub fn info(code: &Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }
    pub fn warning(code: &Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }
    pub fn failure(code: &Code, message: impl Into<String>) -> Self {
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

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Failure => "failure",
        }
    }
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

    #[allow(dead_code)]
    mod codes {
        crate::finding_codes! {
            /// A note.
            A = "a", Info;
            /// A warning.
            B = "b", Warning;
            /// A failure.
            C = "c", Failure;
        }
    }
    use codes::{A, B, C};

    #[test]
    fn status_follows_the_worst_finding() {
        assert_eq!(status_of(&[]), Status::Ok);
        assert_eq!(status_of(&[Finding::info(&A, "x")]), Status::Ok);
        let mixed = [Finding::info(&A, "x"), Finding::warning(&B, "y")];
        assert_eq!(status_of(&mixed), Status::Warning);
        let failed = [Finding::warning(&B, "y"), Finding::failure(&C, "z")];
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

    #[test]
    fn a_section_of_a_kind_this_version_does_not_know_is_kept_as_it_came() {
        let json = serde_json::json!({
            "kind": "tcp_ports",
            "open": [22, 443],
            "scanned": {"from": 1, "to": 1024},
            "note": null
        });
        let section: Section = serde_json::from_value(json.clone()).unwrap();
        assert!(matches!(section, Section::Unknown(_)), "{section:?}");
        assert!(section.assess().is_empty());
        assert!(!section.timed_out());
        assert_eq!(serde_json::to_value(&section).unwrap(), json);
        // In a report, beside known sections, and through the runner's events.
        let report = serde_json::json!({
            "schema_version": 1, "netcheck_version": "9.0.0",
            "target": {"input": "a.example", "url": "https://a.example/", "scheme": "https",
                       "host": "a.example", "host_kind": "name", "port": 443, "explicit_port": false},
            "started_at": "2026-11-26T00:00:00Z", "duration_ms": 10.0, "status": "ok",
            "diagnosis": {"reachability": "unknown", "summary": "", "problems": []},
            "checks": [
                {"id": "tcp_ports", "title": "TCP ports", "status": "ok", "duration_ms": 5.0,
                 "findings": [{"severity": "info", "code": "open", "message": "2 open"}],
                 "data": json},
                {"id": "ping", "title": "Ping", "status": "ok", "duration_ms": 5.0, "findings": [],
                 "data": {"kind": "ping", "targets": []}}
            ]
        });
        let read: Report = serde_json::from_value(report.clone()).unwrap();
        assert!(matches!(read.checks[1].data, Some(Section::Ping(_))));
        assert_eq!(serde_json::to_value(&read).unwrap(), report);
        let event = serde_json::json!({"event": "finished", "check": report["checks"][0]});
        let read: crate::runner::Event = serde_json::from_value(event.clone()).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), event);
    }

    #[test]
    fn facts_without_a_variant_of_their_own_become_an_unknown_section_of_their_checks_id() {
        #[derive(Serialize)]
        struct Echo {
            said: String,
        }
        impl IntoSection for Echo {}
        let section = Echo { said: "hi".into() }.into_section("echo");
        assert_eq!(
            serde_json::to_value(&section).unwrap(),
            serde_json::json!({"kind": "echo", "said": "hi"})
        );
        let ping = PingReport {
            targets: Vec::new(),
            left_out: Vec::new(),
        }
        .into_section("ping");
        assert!(matches!(ping, Section::Ping(_)));
    }
}
