//! Integration tests of the engine against real peers from netcheck-testkit: a DNS server, HTTP
//! and HTTPS servers, a test PKI. Everything binds to loopback, port 0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod diagnosis;
mod dns;
mod location;
mod registration;
mod site;
mod tls;
mod whois_samples;

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::{A, AAAA, SOA};
use netcheck_core::report::Report;
use netcheck_core::{CheckReport, Config, Target};
use netcheck_testkit::dns::Zone;

/// The test domain: every name below it resolves to loopback.
pub const DOMAIN: &str = "netcheck.test";

/// A zone for `netcheck.test` with an SOA and `names` pointing at 127.0.0.1 and ::1.
pub fn loopback_zone(names: &[&str]) -> Zone {
    let mut zone = Zone::new().add(DOMAIN, 3600, soa());
    for n in names {
        zone = zone
            .add(&format!("{n}.{DOMAIN}"), 60, RData::A(A::new(127, 0, 0, 1)))
            .add(
                &format!("{n}.{DOMAIN}"),
                60,
                RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 0, 1)),
            );
    }
    zone
}

pub fn soa() -> RData {
    RData::SOA(SOA::new(
        format!("ns1.{DOMAIN}.").parse().unwrap(),
        format!("hostmaster.{DOMAIN}.").parse().unwrap(),
        2026112501,
        3600,
        600,
        86400,
        300,
    ))
}

pub fn config(resolver: SocketAddr) -> Config {
    Config {
        resolvers: vec![resolver],
        dns_query_timeout: Duration::from_millis(500),
        ..Config::default()
    }
}

pub async fn run(target: &str, config: Config) -> Report {
    let target = Target::parse(target).unwrap_or_else(|e| panic!("{target}: {e}"));
    netcheck_core::run(target, config, None).await
}

pub fn check<'a>(report: &'a Report, id: &str) -> &'a CheckReport {
    report
        .check(id)
        .unwrap_or_else(|| panic!("no {id} check in {report:#?}"))
}

pub fn has_finding(check: &CheckReport, code: &str) -> bool {
    check.findings.iter().any(|f| f.code == code)
}
