//! Integration tests of the engine against real peers from netcheck-testkit: a DNS server, HTTP
//! and HTTPS servers, a test PKI. Everything binds to loopback, port 0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod diagnosis;
mod dns;
mod extra_check;
mod location;
mod policy;
mod registration;
mod site;
mod tls;
mod tls_scan;
mod whois_samples;

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::{A, AAAA, SOA};
use netcheck_core::report::Report;
use netcheck_core::{CheckReport, Registry, RunOptions, RunRequest, Settings, Target};
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

/// What a test runs with: the request's options and the settings of the machine running it.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub options: RunOptions,
    pub settings: Settings,
}

pub fn config(resolver: SocketAddr) -> Setup {
    Setup {
        options: RunOptions {
            dns_query_timeout: Duration::from_millis(500),
            ..RunOptions::default()
        },
        settings: Settings {
            resolvers: vec![resolver],
            ..Settings::default()
        },
    }
}

pub async fn run(target: &str, setup: Setup) -> Report {
    run_with(target, setup, &Registry::default()).await
}

/// A run with the checks of `registry`.
pub async fn run_with(target: &str, setup: Setup, registry: &Registry) -> Report {
    let target = Target::parse(target).unwrap_or_else(|e| panic!("{target}: {e}"));
    let request = RunRequest::new(target, setup.options);
    netcheck_core::run(request, std::sync::Arc::new(setup.settings), registry, None)
        .await
        .unwrap_or_else(|denial| panic!("refused: {denial}"))
}

pub fn check<'a>(report: &'a Report, id: &str) -> &'a CheckReport {
    report
        .check(id)
        .unwrap_or_else(|| panic!("no {id} check in {report:#?}"))
}

pub fn has_finding(check: &CheckReport, code: &str) -> bool {
    check.findings.iter().any(|f| f.code == code)
}
