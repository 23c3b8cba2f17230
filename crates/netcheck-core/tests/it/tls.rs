use std::collections::HashMap;

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::A;
use netcheck_core::Status;
use netcheck_core::checks::tls::TlsReport;
use netcheck_core::report::Section;
use netcheck_core::tls::verdict::Verdict;
use netcheck_testkit::dns::{DnsServer, Zone};
use netcheck_testkit::legacy_pki::{self, Key, LegacyCa, LegacyIdentity};
use netcheck_testkit::nginx::{self, Nginx, Site};
use netcheck_testkit::pki::{Leaf, ServerIdentity, TestCa, self_signed};
use netcheck_testkit::web::{self, WebServer};
use time::{Duration, OffsetDateTime};

use crate::{check, config, has_finding, loopback_zone, run};

fn tls_data(report: &netcheck_core::Report) -> &TlsReport {
    match &check(report, "tls").data {
        Some(Section::Tls(t)) => t,
        other => panic!("no TLS data: {other:?}"),
    }
}

async fn check_against(
    identity: &ServerIdentity,
    host: &str,
    trusted: &TestCa,
) -> netcheck_core::Report {
    let dns = DnsServer::start(loopback_zone(&[host])).await;
    let server = WebServer::https(identity).await;
    let mut cfg = config(dns.addr);
    cfg.settings.extra_roots = vec![trusted.root_der()];
    run(
        &format!("https://{host}.netcheck.test:{}/", server.port()),
        cfg,
    )
    .await
}

#[tokio::test]
async fn a_valid_chain_reports_the_session_and_every_certificate() {
    let ca = TestCa::new("Valid");
    let identity = ca.issue(&Leaf::for_names(&["good.netcheck.test"]));
    let report = check_against(&identity, "good", &ca).await;
    let t = tls_data(&report);
    assert_eq!(t.verdict, Some(Verdict::Valid), "{:?}", t.verdict_detail);
    assert_eq!(t.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(t.alpn.as_deref(), Some("h2"));
    assert!(
        t.cipher_suite
            .as_deref()
            .is_some_and(|c| c.starts_with("TLS13_")),
        "{:?}",
        t.cipher_suite
    );
    assert!(t.key_exchange_group.is_some());
    assert_eq!(t.chain.len(), 2);
    let leaf = &t.chain[0];
    assert_eq!(leaf.sans, ["good.netcheck.test"]);
    assert_eq!(leaf.key_type, "EC P-256");
    assert_eq!(leaf.key_bits, 256);
    assert!(
        leaf.signature_algorithm.contains("ecdsa"),
        "{}",
        leaf.signature_algorithm
    );
    assert_eq!(leaf.sha256_fingerprint.len(), 32 * 3 - 1);
    assert!((58..=60).contains(&leaf.days_left), "{}", leaf.days_left);
    assert!(t.chain[1].is_ca && t.chain[1].subject.contains("Valid Intermediate"));
    assert_eq!(check(&report, "tls").status, Status::Ok);
    assert!(report.is_healthy(), "{:#?}", report.checks);
}

#[tokio::test]
async fn each_broken_certificate_gets_its_verdict_and_the_page_is_still_fetched() {
    let ca = TestCa::new("Verdicts");
    let now = OffsetDateTime::now_utc();
    let expired = Leaf {
        not_before: now - Duration::days(100),
        not_after: now - Duration::days(2),
        ..Leaf::for_names(&["expired.netcheck.test"])
    };
    let future = Leaf {
        not_before: now + Duration::days(10),
        not_after: now + Duration::days(100),
        ..Leaf::for_names(&["future.netcheck.test"])
    };
    let other_ca = TestCa::new("Stranger");
    let cases: Vec<(&str, ServerIdentity, Verdict)> = vec![
        ("expired", ca.issue(&expired), Verdict::Expired),
        ("future", ca.issue(&future), Verdict::NotYetValid),
        (
            "wronghost",
            ca.issue(&Leaf::for_names(&["other.netcheck.test"])),
            Verdict::HostnameMismatch,
        ),
        (
            "selfsigned",
            self_signed(&["selfsigned.netcheck.test"]),
            Verdict::SelfSigned,
        ),
        (
            "untrusted",
            other_ca.issue(&Leaf::for_names(&["untrusted.netcheck.test"])),
            Verdict::UntrustedRoot,
        ),
    ];
    for (host, identity, verdict) in cases {
        let report = check_against(&identity, host, &ca).await;
        let t = tls_data(&report);
        assert_eq!(t.verdict, Some(verdict), "{host}: {:?}", t.verdict_detail);
        let tls = check(&report, "tls");
        assert_eq!(tls.status, Status::Failed, "{host}");
        assert!(
            tls.error
                .as_deref()
                .is_some_and(|e| e.starts_with(&format!("certificate {}", verdict.as_str()))),
            "{host}: {:?}",
            tls.error
        );
        // The verdict never stops the report: the page behind the certificate is there.
        let site = check(&report, "site");
        assert!(
            has_finding(site, "site_certificate"),
            "{host}: {:#?}",
            site.findings
        );
        let Some(Section::Site(s)) = &site.data else {
            panic!("{host}: no site data")
        };
        assert_eq!(s.status, Some(200), "{host}");
    }
}

#[tokio::test]
async fn a_missing_intermediate_is_an_incomplete_chain_when_aia_completes_it() {
    let ca = TestCa::new("Incomplete");
    let files = HashMap::from([(
        "intermediate.der".to_owned(),
        ca.intermediate_der().to_vec(),
    )]);
    let aia = WebServer::start(None, files).await;
    let leaf = Leaf {
        send_intermediate: false,
        ca_issuers: Some(format!(
            "http://127.0.0.1:{}/file/intermediate.der",
            aia.port()
        )),
        ..Leaf::for_names(&["incomplete.netcheck.test"])
    };
    let report = check_against(&ca.issue(&leaf), "incomplete", &ca).await;
    let t = tls_data(&report);
    assert_eq!(t.chain.len(), 1);
    assert_eq!(t.aia_completed, Some(true));
    assert_eq!(
        t.verdict,
        Some(Verdict::IncompleteChain),
        "{:?}",
        t.verdict_detail
    );

    // The same leaf whose AIA URL leads nowhere still lacks its intermediate: said so, with
    // why the URL did not help; and so is a leaf that names no URL at all.
    let missing = format!("http://127.0.0.1:{}/file/missing.der", aia.port());
    let leaf = Leaf {
        ca_issuers: Some(missing.clone()),
        ..leaf
    };
    let report = check_against(&ca.issue(&leaf), "incomplete", &ca).await;
    let t = tls_data(&report);
    assert_eq!(t.aia_completed, Some(false));
    assert_eq!(t.verdict, Some(Verdict::IncompleteChain));
    assert_eq!(
        t.verdict_detail.as_deref(),
        Some(
            format!(
                "the intermediate 'Incomplete Intermediate' was not sent (and its AIA URL could not be fetched: {missing}: HTTP 404)"
            )
            .as_str()
        )
    );
    let leaf = Leaf {
        ca_issuers: None,
        ..leaf
    };
    let report = check_against(&ca.issue(&leaf), "incomplete", &ca).await;
    let t = tls_data(&report);
    assert_eq!(
        (t.verdict, t.aia_completed),
        (Some(Verdict::IncompleteChain), None)
    );
    assert!(
        t.verdict_detail
            .as_deref()
            .is_some_and(|d| d.ends_with("(and the certificate names no AIA URL to fetch it from)")),
        "{:?}",
        t.verdict_detail
    );
}

#[tokio::test]
async fn a_server_with_no_common_tls_version_is_said_to_be_so() {
    let dns = DnsServer::start(loopback_zone(&["old"])).await;
    let server = web::no_common_tls_version().await;
    let report = run(
        &format!("https://old.netcheck.test:{}/", server.port()),
        config(dns.addr),
    )
    .await;
    let tls = check(&report, "tls");
    assert!(
        has_finding(tls, "tls_no_common_protocol"),
        "{:#?}",
        tls.findings
    );
    assert!(
        tls.error
            .as_deref()
            .is_some_and(|e| e.contains("no common protocol"))
    );
    assert!(has_finding(
        check(&report, "site"),
        "tls_no_common_protocol"
    ));
}

#[tokio::test]
async fn an_ip_target_is_verified_against_ip_addresses_in_the_certificate() {
    let ca = TestCa::new("Literal");
    let server = WebServer::https(&ca.issue(&Leaf::for_names(&["127.0.0.1"]))).await;
    let cfg = crate::Setup {
        settings: netcheck_core::Settings {
            extra_roots: vec![ca.root_der()],
            ..Default::default()
        },
        ..Default::default()
    };
    let report = run(&format!("https://127.0.0.1:{}/", server.port()), cfg).await;
    assert_eq!(check(&report, "dns").status, Status::Skipped);
    let t = tls_data(&report);
    assert_eq!(t.verdict, Some(Verdict::Valid), "{:?}", t.verdict_detail);
    assert_eq!(t.chain[0].sans, ["127.0.0.1"]);
}

#[tokio::test]
async fn a_plain_http_targets_https_origin_is_checked_on_443() {
    let report = run(
        "http://127.0.0.1:9/",
        crate::Setup {
            options: netcheck_core::RunOptions {
                checks: vec!["tls".into()],
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    let t = tls_data(&report);
    assert_eq!((t.port, t.https_origin_of_http_target), (443, true));
    // Nothing listens on loopback's 443 on a test machine; where something does, it answered.
    if std::net::TcpStream::connect("127.0.0.1:443").is_err() {
        let tls = check(&report, "tls");
        assert_eq!(tls.status, Status::Warning, "{tls:#?}");
        assert!(has_finding(tls, "no_https"), "{tls:#?}");
    }
}

/// What the TLS check says of each certificate made the way people make them with the openssl
/// CLI, served by nginx at OpenSSL's security level 0: the verdict, the start of its sentence,
/// and whether the chain the server sent is in the report (it must be, handshake or not).
#[tokio::test]
async fn legacy_certificates_get_verdicts_that_name_the_weakness() {
    if let Err(why) = nginx::available().and(legacy_pki::available()) {
        eprintln!("SKIPPED: {why}");
        return;
    }
    let ca = LegacyCa::new("Legacy", "sha256");
    let sha1_ca = LegacyCa::new("Legacy SHA1", "sha1");
    let cases: Vec<(&str, LegacyIdentity, Verdict, String)> = vec![
        (
            "selfsigned",
            ca.self_signed_the_usual_way("selfsigned.netcheck.test"),
            Verdict::SelfSigned,
            "'selfsigned.netcheck.test' is signed by itself, not by a trusted authority".into(),
        ),
        (
            "rsa1024",
            ca.issue("rsa1024.netcheck.test", Key::Rsa(1024), "sha256"),
            Verdict::WeakKey,
            "'rsa1024.netcheck.test' has a 1024-bit RSA key; browsers need at least 2048 bits"
                .into(),
        ),
        (
            "rsa512",
            ca.issue("rsa512.netcheck.test", Key::Rsa(512), "sha256"),
            Verdict::WeakKey,
            "'rsa512.netcheck.test' has a 512-bit RSA key; browsers need at least 2048 bits".into(),
        ),
        (
            "md5",
            ca.issue("md5.netcheck.test", Key::Rsa(2048), "md5"),
            Verdict::WeakSignature,
            "'md5.netcheck.test' is signed with MD5, which no browser accepts (md5WithRSAEncryption)"
                .into(),
        ),
        (
            "sha1leaf",
            ca.issue("sha1leaf.netcheck.test", Key::Rsa(2048), "sha1"),
            Verdict::WeakSignature,
            "'sha1leaf.netcheck.test' is signed with SHA-1, which browsers no longer accept (sha1WithRSAEncryption)"
                .into(),
        ),
        (
            "sha1mid",
            sha1_ca.issue("sha1mid.netcheck.test", Key::Rsa(2048), "sha256"),
            Verdict::WeakSignature,
            "the intermediate 'Legacy SHA1 Intermediate' is signed with SHA-1, which browsers no longer accept (sha1WithRSAEncryption)"
                .into(),
        ),
        (
            "p192",
            ca.issue("p192.netcheck.test", Key::Ec("prime192v1"), "sha256"),
            Verdict::WeakKey,
            "'p192.netcheck.test' has a 192-bit EC P-192 key; browsers need at least 256 bits".into(),
        ),
        (
            "brainpool",
            ca.issue("brainpool.netcheck.test", Key::Ec("brainpoolP256r1"), "sha256"),
            Verdict::UnsupportedAlgorithm,
            "'brainpool.netcheck.test' has an EC brainpoolP256r1 key, which browsers do not support"
                .into(),
        ),
    ];
    let sites: Vec<Site> = cases
        .iter()
        .map(|(_, id, _, _)| Site::new(id.chain_pem.clone(), id.key_pem.clone()))
        .collect();
    let server = Nginx::start(&sites);
    let mut zone = Zone::new();
    for (host, ..) in &cases {
        zone = zone.add(
            &format!("{host}.netcheck.test"),
            60,
            RData::A(A::new(127, 0, 0, 1)),
        );
    }
    let dns = DnsServer::start(zone).await;
    let mut failures = Vec::new();
    for ((host, identity, verdict, detail), port) in cases.iter().zip(&server.ports) {
        let mut cfg = config(dns.addr);
        cfg.settings.extra_roots = vec![ca.root_der(), sha1_ca.root_der()];
        cfg.options.checks = vec!["tls".into()];
        let report = run(&format!("https://{host}.netcheck.test:{port}/"), cfg).await;
        let t = tls_data(&report);
        let tls = check(&report, "tls");
        let sent_leaf = identity
            .chain_pem
            .split("-----END")
            .next()
            .unwrap_or_default();
        let leaf_shown = t.chain.first().is_some_and(|c| {
            c.sans == [format!("{host}.netcheck.test")] && sent_leaf.contains("BEGIN")
        });
        let debug_text = tls
            .findings
            .iter()
            .any(|f| f.message.contains("Context {") || f.message.contains("OtherError"));
        // rustls never saw these chains: they were read from a cleartext TLS 1.2 handshake.
        let cleartext = matches!(*host, "rsa512" | "p192" | "brainpool");
        if t.verdict != Some(*verdict)
            || t.cleartext_handshake.is_some() != cleartext
            || !t
                .verdict_detail
                .as_deref()
                .is_some_and(|d| d.starts_with(detail.as_str()))
            || !leaf_shown
            || tls.status != Status::Failed
            || debug_text
        {
            failures.push(format!(
                "{host}: verdict {:?} ({:?}), cleartext {:?}, chain {:?}, status {:?}, findings {:#?}",
                t.verdict,
                t.cleartext_handshake,
                t.verdict_detail,
                t.chain.iter().map(|c| &c.subject).collect::<Vec<_>>(),
                tls.status,
                tls.findings
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n\n"),
        server.log()
    );
}
