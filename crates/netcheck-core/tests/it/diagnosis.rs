//! The diagnosis read from real checks against real peers: a name that does not exist, a port
//! that refuses, a server error, a bad certificate, a healthy site.

use netcheck_core::diagnosis::{Reachability, Stage};
use netcheck_core::report::Severity;
use netcheck_testkit::dns::DnsServer;
use netcheck_testkit::pki::{self, Leaf, TestCa};
use netcheck_testkit::web::WebServer;

use crate::{config, loopback_zone, run};

fn stages(report: &netcheck_core::Report) -> Vec<(Stage, String)> {
    report
        .diagnosis
        .problems
        .iter()
        .map(|p| (p.stage, p.check.clone()))
        .collect()
}

#[tokio::test]
async fn a_name_that_does_not_exist_is_the_cause_said_once() {
    let dns = DnsServer::start(loopback_zone(&["www"])).await;
    let mut cfg = config(dns.addr);
    cfg.options.checks = vec!["dns".into(), "site".into(), "tls".into()];
    let report = run("https://missing.netcheck.test/", cfg).await;
    let d = &report.diagnosis;
    assert_eq!(d.reachability, Reachability::Unreachable, "{d:#?}");
    assert!(
        d.summary
            .starts_with("missing.netcheck.test cannot be reached: missing.netcheck.test does not exist: NXDOMAIN"),
        "{}",
        d.summary
    );
    assert_eq!(
        stages(&report),
        [(Stage::Name, "dns".to_owned())],
        "site and TLS meet the same NXDOMAIN: one problem, the DNS check's"
    );
}

#[tokio::test]
async fn a_refusing_port_is_a_connection_problem() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dns = DnsServer::start(loopback_zone(&["www"])).await;
    let mut cfg = config(dns.addr);
    cfg.options.checks = vec!["site".into(), "tls".into()];
    let report = run(&format!("https://127.0.0.1:{}/", closed.port()), cfg).await;
    let d = &report.diagnosis;
    assert_eq!(d.reachability, Reachability::Unreachable, "{d:#?}");
    assert!(d.summary.contains("refused"), "{}", d.summary);
    assert!(
        d.problems
            .iter()
            .all(|p| p.stage == Stage::Connection && p.severity == Severity::Failure),
        "{d:#?}"
    );
}

#[tokio::test]
async fn a_server_error_and_a_bad_certificate_answer_but_degraded() {
    let dns = DnsServer::start(loopback_zone(&["www"])).await;
    let ca = TestCa::new("Diagnosis");
    let https = WebServer::https(&ca.issue(&Leaf::for_names(&["www.netcheck.test"]))).await;
    let mut cfg = config(dns.addr);
    cfg.settings.extra_roots = vec![ca.root_der()];
    cfg.options.checks = vec!["dns".into(), "site".into(), "tls".into()];
    let report = run(
        &format!("https://www.netcheck.test:{}/status/503", https.port()),
        cfg.clone(),
    )
    .await;
    let d = &report.diagnosis;
    assert_eq!(d.reachability, Reachability::Degraded, "{d:#?}");
    assert_eq!(
        d.summary,
        "www.netcheck.test answers, but the server answered 503 Service Unavailable"
    );
    assert_eq!(stages(&report), [(Stage::Http, "site".to_owned())]);

    let self_signed = WebServer::https(&pki::self_signed(&["www.netcheck.test"])).await;
    let report = run(
        &format!("https://www.netcheck.test:{}/", self_signed.port()),
        cfg.clone(),
    )
    .await;
    let d = &report.diagnosis;
    assert_eq!(d.reachability, Reachability::Degraded, "{d:#?}");
    assert!(
        d.problems.first().is_some_and(|p| p.stage == Stage::Tls
            && p.check == "tls"
            && p.severity == Severity::Failure),
        "{d:#?}"
    );

    let report = run(
        &format!("https://www.netcheck.test:{}/", https.port()),
        cfg.clone(),
    )
    .await;
    let d = &report.diagnosis;
    assert_eq!(d.reachability, Reachability::Reachable, "{d:#?}");
    assert!(d.problems.is_empty());
    assert!(
        d.summary
            .starts_with("www.netcheck.test is reachable: HTTP 200 from ")
            && d.summary.contains(&format!(":{} in ", https.port())),
        "{}",
        d.summary
    );

    cfg.options.checks = vec!["dns".into()];
    let report = run("www.netcheck.test", cfg).await;
    assert_eq!(report.diagnosis.reachability, Reachability::Unknown);
    assert!(
        report
            .diagnosis
            .summary
            .ends_with("; no connection was tried"),
        "{}",
        report.diagnosis.summary
    );
}
