//! The report's answer in plain words: can the target be reached, and if not, where it fails.
//!
//! A connection meets its obstacles in order — the name, the route, the connection, TLS, HTTP —
//! so the problems are put in that order and the first one is the cause: a name that does not
//! resolve explains the refused connection and the empty ping after it. Each check has already
//! judged its own facts (its findings); this reads those judgements, and the facts where a
//! sentence needs them (the answering address, the hop where a route ends). Which stage a
//! finding speaks of is declared beside its code, in the check that raises it
//! ([`crate::finding::Code::stage`]): nothing here names a code.

use serde::{Deserialize, Serialize};

use crate::checks::site::SiteReport;
use crate::checks::traceroute::TracerouteReport;
use crate::registry::Registry;
use crate::report::{CheckReport, Finding, Report, Section, Severity, Status};

/// Whether the target can be reached, in one word.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// The site answered and nothing on the way failed.
    Reachable,
    /// It answers, with problems: an HTTP error, a certificate browsers refuse, packet loss.
    Degraded,
    /// It cannot be reached: the name, the route or the connection fails.
    Unreachable,
    /// Nothing that ran can tell (only DNS or registration was asked for, say).
    #[default]
    Unknown,
}

/// Where on the way to the site a problem sits, in the order a connection meets them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The domain's registration (expired, on hold).
    Registration,
    /// Resolving the name to addresses.
    Name,
    /// The network path to the addresses.
    Route,
    /// Opening a TCP connection.
    Connection,
    /// The TLS handshake and the certificate.
    Tls,
    /// The HTTP exchange.
    Http,
    /// Packets lost on the way.
    Loss,
}

impl Stage {
    /// The stage's name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Registration => "registration",
            Stage::Name => "name",
            Stage::Route => "route",
            Stage::Connection => "connection",
            Stage::Tls => "tls",
            Stage::Http => "http",
            Stage::Loss => "loss",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Problem {
    pub stage: Stage,
    pub severity: Severity,
    /// The check that found it.
    pub check: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Diagnosis {
    pub reachability: Reachability,
    /// One sentence for a person: the answer, and the cause when there is one.
    pub summary: String,
    /// Every problem found, first obstacle first, failures before warnings within a stage.
    pub problems: Vec<Problem>,
}

/// Reads the report's checks into a diagnosis, with the built-in checks' codes.
pub fn diagnose(report: &Report) -> Diagnosis {
    diagnose_with(report, &Registry::default())
}

/// Reads the report's checks into a diagnosis. Each finding's stage is the one its check
/// declares beside its code (`registry` has them); a code that declares none does not bear on
/// reaching the site.
pub fn diagnose_with(report: &Report, registry: &Registry) -> Diagnosis {
    let host = report.target.host.as_str();
    // For an http:// target the TLS check shakes hands with the https origin: news about the
    // host, not about whether the target answers.
    let tls_is_origin = report.target.scheme == "http";
    let mut problems: Vec<Problem> = Vec::new();
    for check in &report.checks {
        for f in check
            .findings
            .iter()
            .filter(|f| f.severity > Severity::Info)
        {
            if let Some(stage) = registry.stage_of(&check.id, &f.code) {
                problems.push(problem(stage, check, f));
            }
        }
    }
    // A check that ran out of time before it had facts has no findings to read.
    for check in &report.checks {
        let counts = check.id == "site" || check.id == "tls" && !tls_is_origin;
        if counts && check.data.is_none() && check.status == Status::TimedOut {
            problems.push(Problem {
                stage: Stage::Connection,
                severity: Severity::Failure,
                check: check.id.clone(),
                message: check
                    .error
                    .clone()
                    .unwrap_or_else(|| format!("the {} check ran out of time", check.id)),
            });
        }
    }
    let site = section(report, "site", |s| match s {
        Section::Site(s) => Some(s),
        _ => None,
    });
    let answered = site.and_then(|s| s.status);
    let something_answered = answered.is_some() || answered_otherwise(report).is_some();
    let blocked = problems.iter().any(|p| {
        p.severity == Severity::Failure && matches!(p.stage, Stage::Name | Stage::Connection)
    });
    let no_answer = site.is_some() && answered.is_none();
    // A ping nobody answers says little when something else answers (ICMP is often
    // filtered); it is worth saying when nothing does.
    problems
        .retain(|p| !(p.check == "ping" && p.severity == Severity::Failure && something_answered));
    // Where the route ends tells where to look when nothing gets through.
    let trace = section(report, "traceroute", |s| match s {
        Section::Traceroute(t) => Some(t),
        _ => None,
    });
    let nothing_through = blocked || no_answer || !something_answered;
    if let Some(trace) = trace.filter(|_| nothing_through) {
        problems.extend(route_problems(trace));
    }
    problems.sort_by_key(|p| (p.stage, std::cmp::Reverse(p.severity)));
    // The site and TLS checks meet the name's failure again; the DNS check said it first and
    // best. A certificate the TLS check judged is not told again for the site's first hop.
    // Other stages keep every check's word (the site's port and TLS's 443 differ).
    if problems
        .iter()
        .any(|p| p.stage == Stage::Name && p.check == "dns")
    {
        problems.retain(|p| p.stage != Stage::Name || p.check == "dns");
    }
    if problems
        .iter()
        .any(|p| p.stage == Stage::Tls && p.check == "tls")
    {
        problems.retain(|p| !(p.stage == Stage::Tls && p.check == "site"));
    }

    let pinged_without_reply = problems
        .iter()
        .any(|p| p.stage == Stage::Loss && p.severity == Severity::Failure);
    let reachability = if blocked || no_answer {
        Reachability::Unreachable
    } else if something_answered && problems.is_empty() {
        Reachability::Reachable
    } else if something_answered {
        Reachability::Degraded
    } else if pinged_without_reply {
        Reachability::Unreachable
    } else {
        Reachability::Unknown
    };
    let cause = problems
        .iter()
        .find(|p| p.severity == Severity::Failure)
        .or(problems.first());
    let summary = match (reachability, cause) {
        (Reachability::Unreachable, Some(p)) => {
            format!("{host} cannot be reached: {}", p.message)
        }
        (Reachability::Unreachable, None) => format!(
            "{host} cannot be reached: {}",
            site.and_then(SiteReport::error)
                .map(|e| e.message().to_owned())
                .unwrap_or_else(|| "the site gave no answer".into())
        ),
        (Reachability::Degraded, Some(p)) => format!("{host} answers, but {}", p.message),
        (Reachability::Reachable, _) => reachable_summary(host, report, site),
        (_, cause) => match cause {
            Some(p) => format!("{}; {}", unknown_summary(host, report), p.message),
            None => unknown_summary(host, report),
        },
    };
    Diagnosis {
        reachability,
        summary,
        problems,
    }
}

/// What, besides the site, answered for the target, in words: the target's own TLS handshake
/// (not an http:// target's https origin), a ping reply, the trace reaching it.
fn answered_otherwise(report: &Report) -> Option<&'static str> {
    report.checks.iter().find_map(|c| match &c.data {
        Some(Section::Tls(t))
            if !t.https_origin_of_http_target && t.error.is_none() && t.version.is_some() =>
        {
            Some("the TLS handshake succeeded")
        }
        Some(Section::Ping(p)) if p.targets.iter().any(|t| t.received > 0) => {
            Some("it answers ping")
        }
        Some(Section::Traceroute(t)) if t.targets.iter().any(|t| t.reached) => {
            Some("the route reaches it")
        }
        _ => None,
    })
}

fn problem(stage: Stage, check: &CheckReport, f: &Finding) -> Problem {
    Problem {
        stage,
        severity: f.severity,
        check: check.id.clone(),
        message: f.message.clone(),
    }
}

fn section<'a, T>(
    report: &'a Report,
    id: &str,
    pick: impl Fn(&'a Section) -> Option<&'a T>,
) -> Option<&'a T> {
    report.check(id)?.data.as_ref().and_then(pick)
}

/// A router's "unreachable", or the last hop that answered before the silence.
fn route_problems(trace: &TracerouteReport) -> Vec<Problem> {
    let mut out = Vec::new();
    for t in trace.targets.iter().filter(|t| !t.reached) {
        let router = |h: &netcheck_probe::trace::Hop| {
            h.addresses
                .first()
                .map(ToString::to_string)
                .unwrap_or_default()
        };
        let said_unreachable = t.hops.iter().find(|h| h.unreachable.is_some());
        let message = match said_unreachable {
            Some(h) => format!(
                "on the way to {}, hop {} ({}) says the destination is unreachable ({})",
                t.address,
                h.ttl,
                router(h),
                h.unreachable.as_deref().unwrap_or("")
            ),
            None => match t.hops.iter().rev().find(|h| !h.silent) {
                Some(h) => format!(
                    "the route to {} ends after hop {} ({}): nothing answers beyond it",
                    t.address,
                    h.ttl,
                    router(h)
                ),
                None if !t.hops.is_empty() => {
                    format!("no router on the way to {} answers", t.address)
                }
                None => continue,
            },
        };
        out.push(Problem {
            stage: Stage::Route,
            severity: Severity::Warning,
            check: "traceroute".into(),
            message,
        });
    }
    out
}

fn reachable_summary(host: &str, report: &Report, site: Option<&SiteReport>) -> String {
    let Some(s) = site else {
        let how = answered_otherwise(report).unwrap_or("it answers");
        return format!("{host} is reachable: {how}");
    };
    let from = s
        .hops
        .last()
        .and_then(|h| h.remote_address)
        .map(|a| format!(" from {a}"))
        .unwrap_or_default();
    format!(
        "{host} is reachable: HTTP {}{from} in {:.0} ms",
        s.status.unwrap_or_default(),
        s.timings.total_ms
    )
}

fn unknown_summary(host: &str, report: &Report) -> String {
    match report.check("dns").and_then(|c| c.data.as_ref()) {
        Some(Section::Dns(d)) if !d.addresses.is_empty() => {
            let addresses: Vec<String> = d.addresses.iter().map(ToString::to_string).collect();
            format!(
                "{host} resolves to {}; no connection was tried",
                addresses.join(", ")
            )
        }
        _ => format!("nothing that ran tells whether {host} can be reached"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_probe::trace::{Hop, TraceBackend, TraceMode, TraceResult};

    fn hop(ttl: u8, address: Option<&str>, unreachable: Option<&str>) -> Hop {
        Hop {
            ttl,
            addresses: address.map(|a| a.parse().unwrap()).into_iter().collect(),
            rtts_ms: vec![address.map(|_| 1.0)],
            loss_percent: if address.is_some() { 0.0 } else { 100.0 },
            silent: address.is_none(),
            unreachable: unreachable.map(str::to_owned),
        }
    }

    fn trace(hops: Vec<Hop>) -> TracerouteReport {
        TracerouteReport {
            targets: vec![TraceResult {
                address: "192.0.2.7".parse().unwrap(),
                mode: TraceMode::Udp,
                backend: TraceBackend::UdpErrorQueue,
                hops,
                reached: false,
                probes_sent: 9,
                duration_ms: 10.0,
                fallbacks: Vec::new(),
                error: None,
            }],
            locations: Vec::new(),
            attribution: Vec::new(),
            left_out: Vec::new(),
        }
    }

    /// A report from fixture JSON: the target, and checks as (id, status, findings, data).
    fn report(target: &str, scheme: &str, checks: serde_json::Value) -> Report {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "netcheck_version": "test",
            "target": {"input": target, "url": format!("{scheme}://{target}/"), "scheme": scheme,
                       "host": target, "host_kind": "name", "port": 443, "explicit_port": false},
            "started_at": "2026-11-26T00:00:00Z",
            "duration_ms": 10.0,
            "status": "failed",
            "checks": checks,
        }))
        .unwrap()
    }

    fn ping_without_reply() -> serde_json::Value {
        serde_json::json!({
            "id": "ping", "title": "Ping", "status": "failed", "duration_ms": 1000.0,
            "findings": [{"severity": "failure", "code": "ping_no_reply",
                          "message": "no reply from 192.0.2.7 to 5 probes (raw ICMP socket)"}],
            "data": {"kind": "ping", "targets": [{"address": "192.0.2.7", "backend": "icmp_raw",
                     "probes": [], "sent": 5, "received": 0, "loss_percent": 100.0,
                     "duplicates": 0, "late": 0}]}
        })
    }

    #[test]
    fn nothing_that_answered_is_never_called_degraded() {
        // Only ping ran, and nothing replied: unreachable, not "answers, but".
        let d = diagnose(&report(
            "a.example",
            "https",
            serde_json::json!([ping_without_reply()]),
        ));
        assert_eq!(d.reachability, Reachability::Unreachable, "{d:#?}");
        assert!(
            d.summary
                .starts_with("a.example cannot be reached: no reply"),
            "{}",
            d.summary
        );
        // Only registration ran: whether it can be reached is unknown, the expiry still said.
        let expired = serde_json::json!([{
            "id": "registration", "title": "Registration", "status": "failed", "duration_ms": 5.0,
            "findings": [{"severity": "failure", "code": "registration_expired",
                          "message": "a.example expired on 2026-01-01T00:00:00Z"}]
        }]);
        let d = diagnose(&report("a.example", "https", expired));
        assert_eq!(d.reachability, Reachability::Unknown, "{d:#?}");
        assert!(
            d.summary
                .ends_with("; a.example expired on 2026-01-01T00:00:00Z"),
            "{}",
            d.summary
        );
        assert_eq!(d.problems[0].stage, Stage::Registration);
    }

    #[test]
    fn an_http_targets_https_origin_does_not_answer_for_the_target() {
        let tls_origin_timed_out = serde_json::json!([{
            "id": "tls", "title": "TLS", "status": "timed_out", "duration_ms": 10000.0,
            "error": "the check did not end within 10 s", "findings": []
        }]);
        let d = diagnose(&report("a.example", "http", tls_origin_timed_out.clone()));
        assert_eq!(d.reachability, Reachability::Unknown, "{d:#?}");
        assert!(d.problems.is_empty(), "{d:#?}");
        let d = diagnose(&report("a.example", "https", tls_origin_timed_out));
        assert_eq!(d.reachability, Reachability::Unreachable, "{d:#?}");
    }

    #[test]
    fn a_route_ends_at_the_last_router_that_answered_or_where_one_says_unreachable() {
        let silent_end = trace(vec![
            hop(1, Some("198.51.100.1"), None),
            hop(2, Some("198.51.100.2"), None),
            hop(3, None, None),
        ]);
        let [p] = route_problems(&silent_end).try_into().unwrap();
        assert_eq!(
            p.message,
            "the route to 192.0.2.7 ends after hop 2 (198.51.100.2): nothing answers beyond it"
        );
        let refused = trace(vec![
            hop(1, Some("198.51.100.1"), None),
            hop(2, Some("198.51.100.9"), Some("host unreachable")),
        ]);
        let [p] = route_problems(&refused).try_into().unwrap();
        assert_eq!(
            p.message,
            "on the way to 192.0.2.7, hop 2 (198.51.100.9) says the destination is unreachable (host unreachable)"
        );
        assert_eq!(
            route_problems(&trace(vec![hop(1, None, None)]))[0].message,
            "no router on the way to 192.0.2.7 answers"
        );
        assert!(route_problems(&trace(Vec::new())).is_empty());
    }
}
