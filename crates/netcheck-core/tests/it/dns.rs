use std::str::FromStr;
use std::time::Duration;

use hickory_proto::rr::rdata::caa::CAA;
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, TXT};
use hickory_proto::rr::{Name, RData};
use netcheck_core::Status;
use netcheck_core::checks::dns::{DnsReport, DnssecStatus};
use netcheck_core::dns::records::RecordData;
use netcheck_core::dns::{Outcome, Resolver};
use netcheck_core::report::Section;
use netcheck_testkit::dns::{Behaviour, DnsServer};

use crate::{DOMAIN, check, config, has_finding, loopback_zone, run};

fn n(s: &str) -> Name {
    Name::from_str(s).unwrap()
}

fn dns_data(report: &netcheck_core::Report) -> &DnsReport {
    match &check(report, "dns").data {
        Some(Section::Dns(d)) => d,
        other => panic!("no DNS data: {other:?}"),
    }
}

#[tokio::test]
async fn every_record_type_is_read_with_the_resolver_that_answered() {
    let zone = loopback_zone(&[])
        .add(
            "www.netcheck.test",
            60,
            RData::CNAME(CNAME(n("edge.netcheck.test."))),
        )
        .add(
            "edge.netcheck.test",
            60,
            RData::CNAME(CNAME(n("host.netcheck.test."))),
        )
        .add("host.netcheck.test", 60, RData::A(A::new(198, 18, 0, 10)))
        .add(
            "host.netcheck.test",
            60,
            RData::AAAA(AAAA::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10)),
        )
        .add(
            "www.netcheck.test",
            60,
            RData::MX(MX::new(10, n("mail.netcheck.test."))),
        )
        .add(
            "www.netcheck.test",
            60,
            RData::TXT(TXT::new(vec!["v=spf1 -all".into()])),
        )
        .add(DOMAIN, 60, RData::NS(NS(n("ns1.netcheck.test."))))
        .add(DOMAIN, 60, RData::NS(NS(n("ns2.netcheck.test."))))
        .add(
            DOMAIN,
            60,
            RData::CAA(CAA::new_issue(false, Some(n("letsencrypt.org")), vec![])),
        );
    let server = DnsServer::start(zone).await;
    let mut cfg = config(server.addr);
    cfg.options.checks = vec!["dns".into()];
    let report = run("www.netcheck.test", cfg).await;
    let d = dns_data(&report);

    assert_eq!(
        d.addresses,
        vec![
            "198.18.0.10".parse::<std::net::IpAddr>().unwrap(),
            "2001:db8::10".parse().unwrap()
        ]
    );
    let chain: Vec<(String, String)> = d
        .cname_chain
        .iter()
        .map(|r| (r.name.clone(), r.value_text()))
        .collect();
    assert_eq!(
        chain,
        [
            (
                "www.netcheck.test".to_owned(),
                "edge.netcheck.test".to_owned()
            ),
            (
                "edge.netcheck.test".to_owned(),
                "host.netcheck.test".to_owned()
            )
        ]
    );
    let mx: Vec<String> = d.records("MX").map(|r| r.value_text()).collect();
    assert_eq!(mx, ["10 mail.netcheck.test"]);
    let txt: Vec<String> = d.records("TXT").map(|r| r.value_text()).collect();
    assert_eq!(txt, ["\"v=spf1 -all\""]);
    let ns: Vec<String> = d.records("NS").map(|r| r.value_text()).collect();
    assert_eq!(ns, ["ns1.netcheck.test", "ns2.netcheck.test"]);
    assert_eq!(d.zone.as_deref(), Some(DOMAIN));
    // SOA at www is NODATA; its authority section names the zone.
    assert_eq!(d.lookup("SOA").unwrap().outcome, Outcome::NoData);
    let caa: Vec<&RecordData> = d.records("CAA").map(|r| &r.data).collect();
    assert!(
        matches!(caa.as_slice(), [RecordData::Caa { tag, value, .. }] if tag == "issue" && value == "letsencrypt.org"),
        "{caa:?}"
    );
    assert_eq!(d.caa_found_at.as_deref(), Some(DOMAIN));
    for l in &d.lookups {
        assert_eq!(l.resolver, Some(server.addr), "{l:?}");
        assert!(l.time_ms > 0.0, "{l:?}");
    }
    assert_eq!(d.dnssec.status, DnssecStatus::Insecure);
    assert_eq!(check(&report, "dns").status, Status::Ok);
}

#[tokio::test]
async fn nxdomain_servfail_refused_and_timeout_are_told_apart() {
    let zone = loopback_zone(&["servfail", "refused", "silent"])
        .behave("servfail.netcheck.test", Behaviour::ServFail)
        .behave("refused.netcheck.test", Behaviour::Refused)
        .behave("silent.netcheck.test", Behaviour::Silent);
    let server = DnsServer::start(zone).await;
    let cases = [
        ("missing.netcheck.test", "dns_nxdomain", Status::Failed),
        ("servfail.netcheck.test", "dns_servfail", Status::Failed),
        ("refused.netcheck.test", "dns_refused", Status::Failed),
        ("silent.netcheck.test", "dns_timeout", Status::TimedOut),
    ];
    for (name, code, status) in cases {
        let mut cfg = config(server.addr);
        cfg.options.checks = vec!["dns".into(), "site".into()];
        let report = run(name, cfg).await;
        let dns = check(&report, "dns");
        assert!(
            has_finding(dns, code),
            "{name}: expected {code} in {:#?}",
            dns.findings
        );
        assert_eq!(dns.status, status, "{name}");
        assert!(
            dns.error.as_deref().is_some_and(|e| e.contains(name)),
            "{name}: {:?}",
            dns.error
        );
        // The site check tells the same story instead of crashing.
        let site = check(&report, "site");
        assert!(
            has_finding(site, "site_dns"),
            "{name}: {:#?}",
            site.findings
        );
    }
}

#[tokio::test]
async fn a_silent_resolver_is_skipped_for_the_next_one() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = DnsServer::start(loopback_zone(&["a"])).await;
    let resolver = Resolver::new(
        &[silent.local_addr().unwrap(), server.addr],
        Duration::from_millis(300),
    );
    let lookup = resolver
        .query("a.netcheck.test", hickory_proto::rr::RecordType::A, false)
        .await;
    assert_eq!(lookup.outcome, Outcome::Answer);
    assert_eq!(lookup.resolver, Some(server.addr));
    let outcomes: Vec<Outcome> = lookup.attempts.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Timeout, Outcome::Answer],
        "{:?}",
        lookup.attempts
    );
}

#[tokio::test]
async fn a_truncated_answer_is_asked_again_over_tcp() {
    let zone = loopback_zone(&["big"]).behave("big.netcheck.test", Behaviour::TruncateUdp);
    let server = DnsServer::start(zone).await;
    let resolver = Resolver::new(&[server.addr], Duration::from_millis(500));
    let lookup = resolver
        .query("big.netcheck.test", hickory_proto::rr::RecordType::A, false)
        .await;
    assert_eq!(lookup.outcome, Outcome::Answer, "{lookup:?}");
    assert_eq!(
        lookup.addresses().collect::<Vec<_>>(),
        ["127.0.0.1".parse::<std::net::IpAddr>().unwrap()]
    );
}

#[tokio::test]
async fn dnssec_secure_and_bogus_follow_the_resolver_flags() {
    let zone = loopback_zone(&["signed", "broken"])
        .behave("signed.netcheck.test", Behaviour::Authenticated)
        .behave("broken.netcheck.test", Behaviour::BogusUnlessCd);
    let server = DnsServer::start(zone).await;
    let mut cfg = config(server.addr);
    cfg.options.checks = vec!["dns".into()];
    let secure = run("signed.netcheck.test", cfg.clone()).await;
    assert_eq!(dns_data(&secure).dnssec.status, DnssecStatus::Secure);
    let bogus = run("broken.netcheck.test", cfg).await;
    assert_eq!(dns_data(&bogus).dnssec.status, DnssecStatus::Bogus);
    assert!(has_finding(check(&bogus, "dns"), "dnssec_bogus"));
    assert_eq!(check(&bogus, "dns").status, Status::Failed);
}

#[tokio::test]
async fn caa_is_found_by_climbing_towards_the_root() {
    let zone = loopback_zone(&["deep.sub"]).add(
        "sub.netcheck.test",
        60,
        RData::CAA(CAA::new_issue(false, Some(n("ca.example")), vec![])),
    );
    let server = DnsServer::start(zone).await;
    let mut cfg = config(server.addr);
    cfg.options.checks = vec!["dns".into()];
    let report = run("deep.sub.netcheck.test", cfg).await;
    let d = dns_data(&report);
    assert_eq!(d.caa_found_at.as_deref(), Some("sub.netcheck.test"));
    assert_eq!(d.records("CAA").count(), 1);
    // It stopped where it found them: the zone apex was not asked for CAA.
    let asked: Vec<(String, hickory_proto::rr::RecordType)> = server.queries();
    assert!(
        !asked.contains(&(
            "netcheck.test.".to_owned(),
            hickory_proto::rr::RecordType::CAA
        )),
        "{asked:?}"
    );
}

#[tokio::test]
async fn an_ip_target_skips_dns() {
    let report = run(
        "198.18.0.1",
        crate::Setup {
            options: netcheck_core::RunOptions {
                checks: vec!["dns".into()],
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    assert_eq!(check(&report, "dns").status, Status::Skipped);
}

#[tokio::test]
async fn a_dangling_alias_is_named_as_such() {
    let zone = loopback_zone(&[]).add(
        "old.netcheck.test",
        60,
        RData::CNAME(CNAME(n("gone.netcheck.test."))),
    );
    let server = DnsServer::start(zone).await;
    let mut cfg = config(server.addr);
    cfg.options.checks = vec!["dns".into()];
    let report = run("old.netcheck.test", cfg).await;
    let dns = check(&report, "dns");
    assert!(has_finding(dns, "dns_nxdomain"), "{:#?}", dns.findings);
    let error = dns.error.clone().unwrap_or_default();
    assert!(
        error.contains("alias of gone.netcheck.test"),
        "the message should name the missing target: {error}"
    );
}

#[tokio::test]
async fn no_caa_claim_is_made_when_the_caa_lookup_failed() {
    let zone = loopback_zone(&["flaky", "plain"]).behave(
        "flaky.netcheck.test",
        Behaviour::SilentFor(hickory_proto::rr::RecordType::CAA),
    );
    let server = DnsServer::start(zone).await;
    let mut cfg = config(server.addr);
    cfg.options.checks = vec!["dns".into()];
    let report = run("plain.netcheck.test", cfg.clone()).await;
    assert!(has_finding(check(&report, "dns"), "caa_missing"));
    let report = run("flaky.netcheck.test", cfg).await;
    let dns = check(&report, "dns");
    assert!(
        !has_finding(dns, "caa_missing"),
        "a CAA lookup that timed out proves nothing about CAA: {:#?}",
        dns.findings
    );
    assert!(has_finding(dns, "dns_lookup_failed"), "{:#?}", dns.findings);
}
