//! The drawing of every section of a `Report`, already cleaned (`crate::clean`). The sections
//! drawn here are the built-in checks'; any other (a new check's, or a newer agent's) is shown
//! as its facts' keys and values, so a new check needs nothing here.

use std::fmt::Write;

use console::style;
use netcheck_core::checks::dns::DnsReport;
use netcheck_core::checks::ping::PingReport;
use netcheck_core::checks::registration::RegistrationReport;
use netcheck_core::checks::site::SiteReport;
use netcheck_core::checks::tls::TlsReport;
use netcheck_core::checks::tls_scan::TlsScanReport;
use netcheck_core::checks::traceroute::TracerouteReport;
use netcheck_core::diagnosis::{Diagnosis, Reachability};
use netcheck_core::geo::Location;
use netcheck_core::report::{CheckReport, Severity};
use netcheck_core::web::Timings;
use netcheck_core::{Report, Section, Status};

use crate::mark;

pub(crate) fn report(r: &Report) -> String {
    let mut out = String::new();
    let t = &r.target;
    let _ = writeln!(
        out,
        "\n{} {}",
        style("netcheck").bold(),
        style(&t.url).bold()
    );
    if let Some(u) = &t.host_unicode {
        let _ = writeln!(out, "  host {} ({u})", t.host);
    }
    for check in &r.checks {
        section(&mut out, check);
    }
    diagnosis(&mut out, &r.diagnosis, r.duration_ms);
    out
}

/// The answer last, where the eye lands: can it be reached, and where it fails.
fn diagnosis(out: &mut String, d: &Diagnosis, duration_ms: f64) {
    let head = match d.reachability {
        Reachability::Reachable => Status::Ok,
        Reachability::Degraded => Status::Warning,
        Reachability::Unreachable => Status::Failed,
        Reachability::Unknown => Status::Skipped,
    };
    let _ = writeln!(
        out,
        "\n{} {} {}",
        mark(head),
        style(&d.summary).bold(),
        style(format!("· {duration_ms:.0} ms")).dim()
    );
    for p in &d.problems {
        let _ = writeln!(out, "  {:<12} {}", p.stage.as_str(), p.message);
    }
}

fn section(out: &mut String, c: &CheckReport) {
    let _ = writeln!(
        out,
        "\n{} {} — {} ({:.0} ms)",
        mark(c.status),
        style(&c.title).bold(),
        c.status.as_str(),
        c.duration_ms
    );
    if let Some(e) = &c.error {
        let e = match c.status {
            Status::Failed | Status::TimedOut => style(e).red(),
            _ => style(e).dim(),
        };
        let _ = writeln!(out, "  {e}");
    }
    match &c.data {
        Some(Section::Dns(d)) => dns(out, d),
        Some(Section::Site(s)) => site(out, s),
        Some(Section::Tls(t)) => tls(out, t),
        Some(Section::TlsScan(s)) => tls_scan(out, s),
        Some(Section::Ping(p)) => ping(out, p),
        Some(Section::Traceroute(t)) => traceroute(out, t),
        Some(Section::Registration(r)) => registration(out, r),
        Some(Section::Location(l)) => {
            for loc in &l.locations {
                let _ = writeln!(out, "  {}", place(loc));
            }
            attribution(out, &l.attribution);
        }
        Some(other) => generic(out, other),
        None => {}
    }
    for f in c
        .findings
        .iter()
        .filter(|f| c.error.as_deref() != Some(f.message.as_str()))
    {
        let tag = match f.severity {
            Severity::Failure => style("fail").red(),
            Severity::Warning => style("warn").yellow(),
            Severity::Info => style("info").dim(),
        };
        let _ = writeln!(out, "  [{tag}] {}", f.message);
    }
}

/// A section without a drawing of its own: each of its facts as `key  value`, values that are
/// not text or numbers as JSON.
fn generic(out: &mut String, section: &Section) {
    let Ok(serde_json::Value::Object(facts)) = serde_json::to_value(section) else {
        return;
    };
    for (key, value) in facts.iter().filter(|(k, _)| *k != "kind") {
        let value = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        let _ = writeln!(out, "  {key:<12} {value}");
    }
}

fn dns(out: &mut String, d: &DnsReport) {
    let servers = d
        .resolvers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(out, "  resolvers {servers} ({:?})", d.resolver_source);
    for link in &d.cname_chain {
        let _ = writeln!(out, "  CNAME  {} → {}", link.name, link.value_text());
    }
    for l in &d.lookups {
        let by = l.resolver.map(|r| format!(" via {r}")).unwrap_or_default();
        let head = format!("{:<5} {}", l.record_type, l.name);
        if l.records.is_empty() {
            let _ = writeln!(
                out,
                "  {head}: {} ({:.1} ms{by})",
                l.outcome.describe(),
                l.time_ms
            );
        } else {
            let values = l
                .records
                .iter()
                .map(|r| r.value_text())
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(out, "  {head}: {values} ({:.1} ms{by})", l.time_ms);
        }
    }
    let _ = writeln!(out, "  DNSSEC {:?}: {}", d.dnssec.status, d.dnssec.detail);
}

fn site(out: &mut String, s: &SiteReport) {
    for (i, hop) in s.hops.iter().enumerate() {
        let status = hop
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "—".into());
        let addr = hop
            .remote_address
            .map(|a| format!(" [{a}]"))
            .unwrap_or_default();
        let version = hop.http_version.clone().unwrap_or_default();
        let _ = writeln!(out, "  {}. {status} {}{addr} {version}", i + 1, hop.url);
        let _ = writeln!(out, "     {}", timings(&hop.timings));
        if let Some(loc) = &hop.location {
            let _ = writeln!(out, "     → {loc}");
        }
    }
    if let Some(page) = &s.page {
        if let Some(title) = &page.title {
            let _ = writeln!(out, "  title       {title}");
        }
        if let Some(desc) = &page.description {
            let _ = writeln!(out, "  description {desc}");
        }
    }
    if s.status.is_none() {
        return;
    }
    let _ = writeln!(
        out,
        "  body        {} bytes{}",
        s.body_bytes,
        if s.body_truncated { " (truncated)" } else { "" }
    );
    for (name, value) in &s.headers {
        let _ = writeln!(out, "  {} {}", style(format!("{name}:")).dim(), value);
    }
}

fn timings(t: &Timings) -> String {
    let parts = [
        ("dns", t.dns_ms),
        ("connect", t.connect_ms),
        ("tls", t.tls_ms),
        ("first byte", t.first_byte_ms),
        ("download", t.download_ms),
    ];
    let mut s: Vec<String> = parts
        .iter()
        .filter_map(|(n, v)| v.map(|v| format!("{n} {v:.1} ms")))
        .collect();
    s.push(format!("total {:.1} ms", t.total_ms));
    s.join(" · ")
}

fn tls(out: &mut String, t: &TlsReport) {
    if t.https_origin_of_http_target {
        let _ = writeln!(
            out,
            "  the http:// target's https origin, https://{}:{}/",
            t.server_name, t.port
        );
    }
    if let Some(v) = &t.version {
        let _ = writeln!(
            out,
            "  {v} · {} · {} · ALPN {}",
            t.cipher_suite.as_deref().unwrap_or("?"),
            t.key_exchange_group.as_deref().unwrap_or("?"),
            t.alpn.as_deref().unwrap_or("none")
        );
    }
    if let Some(c) = &t.cleartext_handshake {
        let _ = writeln!(
            out,
            "  chain read from a cleartext handshake: {} · {}",
            c.version, c.cipher_suite
        );
    }
    if let (Some(v), Some(d)) = (t.verdict, &t.verdict_detail) {
        let _ = writeln!(out, "  verdict: {} — {d}", v.as_str());
    }
    for (i, c) in t.chain.iter().enumerate() {
        let _ = writeln!(out, "  [{i}] {}", c.subject);
        let _ = writeln!(out, "      issuer  {}", c.issuer);
        if !c.sans.is_empty() {
            let _ = writeln!(out, "      names   {}", c.sans.join(", "));
        }
        let _ = writeln!(
            out,
            "      valid   {} → {} ({} days left)",
            c.not_before, c.not_after, c.days_left
        );
        let _ = writeln!(
            out,
            "      key     {} {} bits · {}",
            c.key_type, c.key_bits, c.signature_algorithm
        );
        let _ = writeln!(out, "      serial  {}", c.serial);
        let _ = writeln!(out, "      sha256  {}", c.sha256_fingerprint);
    }
}

/// The grade, then a table of versions and their suites in the server's order, weak ones
/// marked, then groups and extensions.
fn tls_scan(out: &mut String, s: &TlsScanReport) {
    if let Some(g) = &s.grade {
        let trusted = g
            .if_trusted
            .map(|l| format!(" ({} if trusted)", l.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  grade {}{trusted} · score {} · {} hellos to {}",
            style(g.letter.as_str()).bold(),
            g.score,
            s.handshakes,
            s.address.map(|a| a.to_string()).unwrap_or_default()
        );
    }
    for p in &s.protocols {
        if !p.accepted {
            let _ = writeln!(out, "  {:<8} {}", p.version, style("no").dim());
            continue;
        }
        let order = match p.order {
            Some(o) => format!(" ({o:?} order)").to_lowercase(),
            None => String::new(),
        };
        let _ = writeln!(out, "  {:<8} yes{order}", p.version);
        for suite in &p.suites {
            let kx = suite
                .key_exchange
                .as_deref()
                .map(|k| format!(" · {k}"))
                .unwrap_or_default();
            let line = format!("    {} {}{kx}", suite.code, suite.name);
            match &suite.weak {
                Some(why) => {
                    let _ = writeln!(out, "{} {}", style(line).yellow(), style(why).dim());
                }
                None => {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
    }
    if !s.groups.is_empty() {
        let names: Vec<&str> = s.groups.iter().map(|g| g.name.as_str()).collect();
        let _ = writeln!(out, "  groups   {}", names.join(", "));
    }
    let e = &s.extensions;
    let flags = [
        ("secure renegotiation", e.secure_renegotiation),
        ("fallback SCSV", e.fallback_scsv),
        ("compression", e.compression),
        ("session ids", e.session_ids),
        ("session tickets", e.session_tickets),
        ("OCSP stapling", e.ocsp_stapling),
        ("SCTs (handshake)", e.scts_in_handshake),
        ("SCTs (certificate)", e.scts_in_certificate),
        ("extended master secret", e.extended_master_secret),
    ];
    let told: Vec<String> = flags
        .iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name} {}", if v { "yes" } else { "no" })))
        .collect();
    if !told.is_empty() {
        let _ = writeln!(out, "  {}", told.join(" · "));
    }
}

fn ping(out: &mut String, p: &PingReport) {
    for t in &p.targets {
        let stats = match (t.min_ms, t.avg_ms, t.max_ms, t.mdev_ms) {
            (Some(min), Some(avg), Some(max), Some(mdev)) => {
                format!(" · {min:.2}/{avg:.2}/{max:.2}/{mdev:.2} ms min/avg/max/mdev")
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {}  {}/{} replies, {:.0}% loss{stats} · {}",
            t.address,
            t.received,
            t.sent,
            t.loss_percent,
            netcheck_core::checks::ping::backend_name(t.backend)
        );
        let rtts: Vec<String> = t
            .probes
            .iter()
            .map(|p| {
                p.rtt_ms
                    .map(|r| format!("{r:.2}"))
                    .unwrap_or_else(|| "*".into())
            })
            .collect();
        let _ = writeln!(out, "     {}", rtts.join(" "));
    }
}

fn attribution(out: &mut String, lines: &[String]) {
    for a in lines {
        let _ = writeln!(out, "  {}", style(a).dim());
    }
}

/// "Mountain View, California, US · 37.41, -122.08 · AS15169 Google LLC"
fn place(l: &Location) -> String {
    if let Some(label) = &l.reserved {
        return format!("{}  {label}", l.address);
    }
    let mut parts = vec![short_place(l)];
    if let (Some(lat), Some(lon)) = (l.latitude, l.longitude) {
        parts.push(format!("{lat:.2}, {lon:.2}"));
    }
    format!("{}  {}", l.address, parts.join(" · "))
}

fn short_place(l: &Location) -> String {
    if let Some(label) = &l.reserved {
        return label.clone();
    }
    let mut where_: Vec<&str> = [
        l.city.as_deref(),
        l.region.as_deref(),
        l.country_code.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if where_.is_empty() {
        where_.push("unknown location");
    }
    let owner = l
        .asn
        .map(|n| format!(" · AS{n} {}", l.as_organization.as_deref().unwrap_or("")))
        .unwrap_or_default();
    format!("{}{owner}", where_.join(", "))
}

fn traceroute(out: &mut String, r: &TracerouteReport) {
    for t in &r.targets {
        let _ = writeln!(
            out,
            "  to {} ({:?}, {} probes, {:.0} ms){}",
            t.address,
            t.mode,
            t.probes_sent,
            t.duration_ms,
            if t.reached { "" } else { " — not reached" }
        );
        for h in &t.hops {
            let who = if h.silent {
                "*".to_owned()
            } else {
                h.addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let rtts: Vec<String> = h
                .rtts_ms
                .iter()
                .map(|r| {
                    r.map(|v| format!("{v:.2} ms"))
                        .unwrap_or_else(|| "*".into())
                })
                .collect();
            let place = h
                .addresses
                .first()
                .and_then(|a| r.locations.iter().find(|l| l.address == *a))
                .map(|l| format!("  {}", short_place(l)))
                .unwrap_or_default();
            let _ = writeln!(out, "  {:>3}  {who:<20} {}{place}", h.ttl, rtts.join("  "));
        }
    }
    attribution(out, &r.attribution);
}

fn registration(out: &mut String, r: &RegistrationReport) {
    let chain: Vec<String> = r
        .whois
        .iter()
        .map(|h| format!("{} ({:.0} ms, {} bytes)", h.server, h.time_ms, h.bytes))
        .collect();
    let _ = writeln!(out, "  {} via {}", r.query, chain.join(" → "));
    let g = &r.registration;
    let rows = [
        ("registrar", g.registrar.clone()),
        ("created", g.created.clone()),
        ("updated", g.updated.clone()),
        ("expires", g.expires.clone()),
        ("registrant", g.registrant_organization.clone()),
        ("country", g.registrant_country.clone()),
        ("dnssec", g.dnssec.clone()),
        (
            "status",
            (!g.status.is_empty()).then(|| g.status.join(", ")),
        ),
        (
            "name servers",
            (!g.name_servers.is_empty()).then(|| g.name_servers.join(", ")),
        ),
    ];
    for (label, value) in rows {
        if let Some(v) = value {
            let _ = writeln!(out, "  {label:<12} {v}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_without_a_drawing_shows_its_facts_as_keys_and_values() {
        // A check this face does not know (added later, or run by a newer agent).
        let data: Section = serde_json::from_value(serde_json::json!({
            "kind": "echo", "host": "198.18.0.1", "port": 443, "seen": ["a", "b"], "note": null
        }))
        .unwrap();
        let check = CheckReport {
            id: "echo".into(),
            title: "Echo".into(),
            status: Status::Ok,
            duration_ms: 1.0,
            error: None,
            findings: Vec::new(),
            data: Some(data),
        };
        let mut out = String::new();
        section(&mut out, &check);
        // Whatever another test made of the global colour switch.
        assert_eq!(
            console::strip_ansi_codes(&out),
            "\n✓ Echo — ok (1 ms)\n  host         198.18.0.1\n  port         443\n  seen         [\"a\",\"b\"]\n"
        );
    }
}
