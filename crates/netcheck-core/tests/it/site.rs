use std::time::Duration;

use netcheck_core::Status;
use netcheck_core::checks::site::{RedirectProblem, SiteReport};
use netcheck_core::report::Section;
use netcheck_testkit::dns::DnsServer;
use netcheck_testkit::pki::{Leaf, TestCa};
use netcheck_testkit::web::{self, WebServer};

use crate::{check, config, has_finding, loopback_zone, run};

fn site_data(report: &netcheck_core::Report) -> &SiteReport {
    match &check(report, "site").data {
        Some(Section::Site(s)) => s,
        other => panic!("no site data: {other:?}"),
    }
}

struct Fixture {
    dns: DnsServer,
    ca: TestCa,
    https: WebServer,
    http: WebServer,
}

async fn fixture() -> Fixture {
    let dns = DnsServer::start(loopback_zone(&["www"])).await;
    let ca = TestCa::new("Site");
    let https = WebServer::https(&ca.issue(&Leaf::for_names(&["www.netcheck.test"]))).await;
    let http = WebServer::http().await;
    Fixture {
        dns,
        ca,
        https,
        http,
    }
}

impl Fixture {
    fn config(&self) -> crate::Setup {
        let mut cfg = config(self.dns.addr);
        cfg.settings.extra_roots = vec![self.ca.root_der()];
        cfg.options.checks = vec!["dns".into(), "site".into()];
        cfg
    }
}

#[tokio::test]
async fn a_healthy_page_reports_status_title_headers_and_every_phase() {
    let f = fixture().await;
    let report = run(
        &format!("https://www.netcheck.test:{}/", f.https.port()),
        f.config(),
    )
    .await;
    let site = check(&report, "site");
    assert_eq!(site.status, Status::Ok, "{:#?}", site.findings);
    let s = site_data(&report);
    assert_eq!(s.status, Some(200));
    let page = s.page.as_ref().unwrap();
    assert_eq!(page.title.as_deref(), Some("netcheck test page"));
    assert_eq!(
        page.description.as_deref(),
        Some("A page served by the netcheck testkit.")
    );
    assert!(
        s.headers
            .iter()
            .any(|(k, v)| k == "x-content-type-options" && v == "nosniff")
    );
    assert_eq!(
        s.security
            .strict_transport_security
            .as_ref()
            .and_then(|h| h.max_age),
        Some(63_072_000)
    );
    assert_eq!(s.security.cookies.len(), 1);
    assert!(
        s.headers
            .iter()
            .any(|(k, v)| k == "set-cookie" && v.starts_with("session=<redacted>;")),
        "{:?}",
        s.headers
    );
    assert!(s.security.cookies[0].secure && s.security.cookies[0].http_only);
    let hop = &s.hops[0];
    assert_eq!(
        hop.http_version.as_deref(),
        Some("HTTP/2.0"),
        "ALPN should pick h2"
    );
    let t = &s.timings;
    for (phase, value) in [
        ("dns", t.dns_ms),
        ("connect", t.connect_ms),
        ("tls", t.tls_ms),
        ("first byte", t.first_byte_ms),
        ("download", t.download_ms),
    ] {
        assert!(value.is_some_and(|v| v > 0.0), "{phase} missing: {t:?}");
    }
    assert!(t.total_ms >= t.connect_ms.unwrap() + t.tls_ms.unwrap());
    // No security-header complaints about a page that sends them all.
    assert!(
        site.findings
            .iter()
            .all(|f| f.severity == netcheck_core::report::Severity::Info),
        "{:#?}",
        site.findings
    );
    assert!(report.is_healthy());
}

#[tokio::test]
async fn missing_security_headers_and_loose_cookies_are_reported() {
    let f = fixture().await;
    let report = run(
        &format!("https://www.netcheck.test:{}/bare", f.https.port()),
        f.config(),
    )
    .await;
    let site = check(&report, "site");
    assert_eq!(site.status, Status::Warning);
    for code in [
        "hsts_missing",
        "csp_missing",
        "framing_unprotected",
        "xcto_missing",
        "cookie_flags",
    ] {
        assert!(
            has_finding(site, code),
            "{code} missing from {:#?}",
            site.findings
        );
    }
}

#[tokio::test]
async fn a_redirect_chain_is_followed_hop_by_hop() {
    let f = fixture().await;
    let report = run(
        &format!("http://www.netcheck.test:{}/redirect/3", f.http.port()),
        f.config(),
    )
    .await;
    let s = site_data(&report);
    let statuses: Vec<Option<u16>> = s.hops.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        [Some(302), Some(302), Some(302), Some(301), Some(200)]
    );
    assert_eq!(s.hops[0].location.as_deref(), Some("/redirect/2"));
    assert!(
        s.final_url.ends_with(&format!(":{}/", f.http.port())),
        "{}",
        s.final_url
    );
    assert!(s.hops.iter().all(|h| h.timings.first_byte_ms.is_some()));
    assert_eq!(
        s.page.as_ref().and_then(|p| p.title.as_deref()),
        Some("netcheck test page")
    );
    assert!(has_finding(check(&report, "site"), "plain_http"));
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_followed() {
    let f = fixture().await;
    let url = format!(
        "http://www.netcheck.test:{}/to/https/www.netcheck.test:{}/",
        f.http.port(),
        f.https.port()
    );
    let report = run(&url, f.config()).await;
    let s = site_data(&report);
    assert_eq!(s.hops.len(), 2);
    assert!(s.hops[1].tls.is_some(), "the second hop is https");
    assert_eq!(s.status, Some(200));
}

#[tokio::test]
async fn redirect_loops_and_long_chains_are_cut() {
    let f = fixture().await;
    let report = run(
        &format!("http://www.netcheck.test:{}/loop/a", f.http.port()),
        f.config(),
    )
    .await;
    let s = site_data(&report);
    assert!(
        matches!(&s.redirect_problem, Some(RedirectProblem::Loop { url }) if url.ends_with("/loop/a")),
        "{:?}",
        s.redirect_problem
    );
    assert_eq!(s.hops.len(), 2);
    assert!(has_finding(check(&report, "site"), "redirect_loop"));
    assert_eq!(check(&report, "site").status, Status::Failed);

    let mut cfg = f.config();
    cfg.options.max_redirects = 4;
    let report = run(
        &format!("http://www.netcheck.test:{}/redirect/20", f.http.port()),
        cfg,
    )
    .await;
    let s = site_data(&report);
    assert_eq!(
        s.redirect_problem,
        Some(RedirectProblem::TooMany { limit: 4 })
    );
    assert_eq!(s.hops.len(), 5);
}

#[tokio::test]
async fn a_ten_megabyte_body_is_read_only_up_to_the_cap() {
    let f = fixture().await;
    let mut cfg = f.config();
    cfg.options.max_body_bytes = 256 * 1024;
    let report = run(
        &format!("https://www.netcheck.test:{}/big", f.https.port()),
        cfg,
    )
    .await;
    let s = site_data(&report);
    assert_eq!(s.status, Some(200));
    assert!(s.body_truncated);
    assert_eq!(s.body_bytes, 256 * 1024);
    assert!(s.body_bytes < web::BIG_BODY);
    assert!(has_finding(check(&report, "site"), "body_truncated"));
}

#[tokio::test]
async fn a_page_of_400_000_nested_divs_still_yields_its_title() {
    let f = fixture().await;
    let mut cfg = f.config();
    cfg.options.max_body_bytes = 4 * 1024 * 1024;
    let report = run(
        &format!("http://www.netcheck.test:{}/nested/400000", f.http.port()),
        cfg,
    )
    .await;
    let s = site_data(&report);
    assert_eq!(s.status, Some(200));
    assert!(
        !s.body_truncated,
        "the whole page was read: {}",
        s.body_bytes
    );
    assert_eq!(
        s.page.as_ref().and_then(|p| p.title.as_deref()),
        Some("nested page")
    );
}

#[tokio::test]
async fn a_server_that_answers_a_byte_a_second_times_out_without_stopping_the_others() {
    let f = fixture().await;
    let slow = web::one_byte_a_second().await;
    let mut cfg = f.config();
    cfg.options
        .check_timeouts
        .insert("site".into(), Duration::from_millis(1500));
    let report = run(&format!("http://www.netcheck.test:{}/", slow.port()), cfg).await;
    let site = check(&report, "site");
    assert_eq!(site.status, Status::TimedOut, "{site:#?}");
    assert!(has_finding(site, "site_timeout"));
    // The connection was made; the time ran out waiting for the answer.
    let s = site_data(&report);
    assert!(s.timings.connect_ms.is_some());
    assert_eq!(check(&report, "dns").status, Status::Ok);

    // A body that trickles is cut at the deadline with what arrived kept.
    let mut cfg = f.config();
    cfg.options
        .check_timeouts
        .insert("site".into(), Duration::from_millis(2500));
    let report = run(
        &format!("https://www.netcheck.test:{}/slow-body", f.https.port()),
        cfg,
    )
    .await;
    let s = site_data(&report);
    assert_eq!(s.status, Some(200));
    assert!(
        matches!(s.error(), Some(netcheck_core::web::FetchError::Timeout { phase, .. }) if phase == "download"),
        "{:?}",
        s.error()
    );
    assert_eq!(check(&report, "site").status, Status::TimedOut);
}

#[tokio::test]
async fn http_errors_are_failures_with_the_status_in_words() {
    let f = fixture().await;
    let report = run(
        &format!("https://www.netcheck.test:{}/status/503", f.https.port()),
        f.config(),
    )
    .await;
    let site = check(&report, "site");
    assert_eq!(site.status, Status::Failed);
    assert!(
        site.error
            .as_deref()
            .is_some_and(|e| e.contains("503 Service Unavailable")),
        "{:?}",
        site.error
    );
    assert!(!report.is_healthy());
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let f = fixture().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let report = run(&format!("https://www.netcheck.test:{closed}/"), f.config()).await;
    let site = check(&report, "site");
    assert!(has_finding(site, "site_refused"), "{:#?}", site.findings);
    let s = site_data(&report);
    // Both families were tried, IPv6 first.
    let tried: Vec<bool> = s.hops[0]
        .connect_attempts
        .iter()
        .map(|a| a.address.is_ipv6())
        .collect();
    assert_eq!(
        tried.first(),
        Some(&true),
        "{:?}",
        s.hops[0].connect_attempts
    );
    assert!(tried.contains(&false));
}

#[tokio::test]
async fn ipv6_is_used_when_the_host_has_aaaa() {
    let f = fixture().await;
    let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await else {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    // Serve on [::1] only, through a small forwarder to the IPv4 test server.
    let target = f.http.addr;
    let v6 = tokio::net::TcpListener::bind(("::1", port)).await.unwrap();
    let forward = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = v6.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let report = run(&format!("http://www.netcheck.test:{port}/"), f.config()).await;
    forward.abort();
    let s = site_data(&report);
    assert_eq!(s.status, Some(200), "{:#?}", s.hops);
    assert!(
        s.hops[0].remote_address.is_some_and(|a| a.is_ipv6()),
        "{:?}",
        s.hops[0].remote_address
    );
}
