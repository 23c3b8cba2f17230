//! The target policy against every path a peer can send netcheck down: a redirect, an AIA URL,
//! a WHOIS referral, an RDAP redirect, a rebinding DNS server; and the address budget against a
//! name with 2000 addresses.
//!
//! 127.0.0.1 stands for the internet here: the policy is public-only with 127.0.0.1/32 allowed,
//! so the peers that play public servers listen there. The internal host is 127.0.0.2, where a
//! listener counts every connection it is offered: each test asserts the refusal, in words, and
//! that the internal host saw nothing. Loopback only, so a policy bug reaches nothing else.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::A;
use netcheck_core::policy::TargetPolicy;
use netcheck_core::report::Section;
use netcheck_core::{CheckReport, RunOptions, RunRequest, Settings, Target};
use netcheck_testkit::dns::{DnsServer, Zone};
use netcheck_testkit::pki::{Leaf, TestCa};
use netcheck_testkit::web::WebServer;
use netcheck_testkit::whois::{WhoisBehaviour, WhoisServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{DOMAIN, check, soa};

const INTERNAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A host inside the network: counts the connections it is offered, answers none.
struct Internal {
    addr: SocketAddr,
    seen: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Internal {
    async fn start(port: u16) -> Internal {
        let listener = TcpListener::bind((INTERNAL, port)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Internal { addr, seen, task }
    }

    fn seen(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

impl Drop for Internal {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Every spelling of the internal host on `port`, as an authority in a URL.
fn spellings(port: u16) -> Vec<String> {
    [
        "127.0.0.2",
        "2130706434",
        "0x7f.2",
        "0177.0.0.2",
        "127.2",
        "0x7f000002",
        "[::ffff:127.0.0.2]",
        "[::ffff:7f00:2]",
        "internal.netcheck.test",
        "localhost",
    ]
    .iter()
    .map(|host| format!("{host}:{port}"))
    .collect()
}

/// A server that answers every request with a redirect to `locations[n]` for path `/n`.
async fn redirector(locations: Vec<String>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let locations = Arc::new(locations);
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let locations = locations.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let Ok(n) = stream.read(&mut buf).await else {
                    return;
                };
                let head = String::from_utf8_lossy(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("/");
                let index: usize = path
                    .trim_start_matches('/')
                    .split(['/', '?'])
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let location = locations.get(index).cloned().unwrap_or_default();
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (addr, task)
}

/// The zone: `www` (the site) and `example.com`-style names on 127.0.0.1, `internal` on
/// 127.0.0.2, `rebind` first 127.0.0.1 then 127.0.0.2.
async fn dns() -> DnsServer {
    let public = RData::A(A::new(127, 0, 0, 1));
    DnsServer::start(
        Zone::new()
            .add(DOMAIN, 3600, soa())
            .add(&format!("www.{DOMAIN}"), 60, public.clone())
            .add("example.com", 60, public)
            .add(&format!("internal.{DOMAIN}"), 60, RData::A(A(INTERNAL)))
            .rebind(&format!("rebind.{DOMAIN}"), Ipv4Addr::LOCALHOST, INTERNAL),
    )
    .await
}

fn public_only(dns: &DnsServer, checks: &[&str]) -> crate::Setup {
    let mut setup = crate::config(dns.addr);
    setup.options.checks = checks.iter().map(|c| (*c).to_owned()).collect();
    setup.settings.policy = TargetPolicy::public_only().allow("127.0.0.1/32".parse().unwrap());
    setup
}

fn codes(c: &CheckReport) -> Vec<&str> {
    c.findings.iter().map(|f| f.code.as_str()).collect()
}

#[tokio::test]
async fn a_redirect_to_an_internal_host_is_a_finding_however_it_is_spelled() {
    let dns = dns().await;
    let internal = Internal::start(0).await;
    let locations: Vec<String> = spellings(internal.addr.port())
        .into_iter()
        .map(|authority| format!("http://{authority}/admin"))
        .collect();
    let (site, _task) = redirector(locations.clone()).await;
    for (n, location) in locations.iter().enumerate() {
        let target = format!("http://www.{DOMAIN}:{}/{n}", site.port());
        let report = crate::run(&target, public_only(&dns, &["site"])).await;
        let site = check(&report, "site");
        let Some(Section::Site(facts)) = &site.data else {
            panic!("{location}: no site data: {site:?}")
        };
        assert_eq!(facts.hops[0].status, Some(302), "{location}: {facts:#?}");
        let finding = site
            .findings
            .iter()
            .find(|f| f.code == "redirect_forbidden")
            .unwrap_or_else(|| panic!("{location}: {:?}", codes(site)));
        assert!(
            finding
                .message
                .contains("only public addresses may be checked"),
            "{location}: {}",
            finding.message
        );
        assert_eq!(facts.hops.len(), 2, "{location}: the redirect is listed");
    }
    assert_eq!(internal.seen(), 0, "the internal host was reached");
}

#[tokio::test]
async fn an_aia_url_of_an_internal_host_is_not_fetched() {
    let dns = dns().await;
    let ca = TestCa::new("Policy");
    let internal = Internal::start(0).await;
    for authority in spellings(internal.addr.port()) {
        let leaf = Leaf {
            send_intermediate: false,
            ca_issuers: Some(format!("http://{authority}/intermediate.der")),
            ..Leaf::for_names(&[&format!("www.{DOMAIN}")])
        };
        let server = WebServer::https(&ca.issue(&leaf)).await;
        let mut setup = public_only(&dns, &["tls"]);
        setup.settings.extra_roots = vec![ca.root_der()];
        let target = format!("https://www.{DOMAIN}:{}/", server.port());
        let report = crate::run(&target, setup).await;
        let tls = check(&report, "tls");
        let Some(Section::Tls(facts)) = &tls.data else {
            panic!("{authority}: no TLS data: {tls:?}")
        };
        assert_eq!(facts.aia_forbidden.len(), 1, "{authority}: {facts:?}");
        assert!(
            codes(tls).contains(&"aia_forbidden"),
            "{authority}: {:?}",
            codes(tls)
        );
        assert!(
            codes(tls).contains(&"certificate_incomplete_chain"),
            "{authority}: the verdict is still given: {:?}",
            codes(tls)
        );
    }
    assert_eq!(internal.seen(), 0, "the internal host was reached");
}

#[tokio::test]
async fn a_whois_referral_or_an_rdap_redirect_to_an_internal_host_is_not_followed() {
    let dns = dns().await;
    let internal = Internal::start(0).await;
    for authority in spellings(internal.addr.port()) {
        // WHOIS: the root (a public server) refers to the internal host.
        let answer = format!("refer: {authority}\r\n\r\ndomain: COM\r\n");
        let root = WhoisServer::start(WhoisBehaviour::Answer(HashMap::from([(
            "example.com".to_owned(),
            answer,
        )])))
        .await;
        // RDAP: the server the bootstrap names (a public one) redirects to the internal host.
        let (rdap, _task) =
            redirector(vec![format!("http://{authority}/rdap/domain/example.com")]).await;
        let bootstrap = std::env::temp_dir().join(format!(
            "netcheck-policy-bootstrap-{}-{}.json",
            std::process::id(),
            rdap.port()
        ));
        std::fs::write(
            &bootstrap,
            format!(r#"{{"version":"1.0","services":[[["com"],["http://{rdap}/0/"]]]}}"#),
        )
        .unwrap();
        let mut setup = public_only(&dns, &["registration"]);
        setup.settings.whois_server = root.addr.to_string();
        setup.settings.rdap_bootstrap = bootstrap.to_string_lossy().into_owned();
        let report = crate::run("example.com", setup).await;
        let _ = std::fs::remove_file(&bootstrap);
        let registration = check(&report, "registration");
        let Some(Section::Registration(facts)) = &registration.data else {
            panic!("{authority}: no registration data: {registration:?}")
        };
        let json = serde_json::to_string(facts).unwrap();
        let refusals = json.matches("only public addresses may be checked").count();
        assert!(
            refusals >= 2,
            "{authority}: the WHOIS referral and the RDAP redirect are both refused in words: {json}"
        );
    }
    assert_eq!(internal.seen(), 0, "the internal host was reached");
}

#[tokio::test]
async fn a_rebinding_name_is_probed_at_the_address_that_was_vetted() {
    let dns = dns().await;
    let site = WebServer::http().await;
    // The internal host listens on the site's port: a second lookup would lead there.
    let internal = Internal::start(site.port()).await;
    let target = format!("http://rebind.{DOMAIN}:{}/", site.port());
    let report = crate::run(&target, public_only(&dns, &["dns", "site", "tls"])).await;
    let Some(Section::Site(facts)) = &check(&report, "site").data else {
        panic!("no site data")
    };
    assert_eq!(facts.status, Some(200), "{facts:?}");
    assert_eq!(
        facts.hops[0].remote_address.map(|a| a.ip()),
        Some(Ipv4Addr::LOCALHOST.into())
    );
    assert_eq!(internal.seen(), 0, "the second answer was used");
    // One lookup for the whole run, vetted and then used by every check: the DNS check
    // reports that same answer rather than asking again, and nothing gets a second answer.
    let asked = dns
        .queries()
        .iter()
        .filter(|(name, t)| name.starts_with("rebind.") && t.to_string() == "A")
        .count();
    assert_eq!(asked, 1, "{:?}", dns.queries());
}

#[tokio::test]
async fn a_target_refused_by_the_policy_never_starts_a_check() {
    let dns = dns().await;
    let internal = Internal::start(0).await;
    let settings = Arc::new(Settings {
        resolvers: vec![dns.addr],
        policy: TargetPolicy::public_only(),
        ..Settings::default()
    });
    for authority in spellings(internal.addr.port())
        .into_iter()
        .chain([format!("rebind.{DOMAIN}:{}", internal.addr.port())])
    {
        let target = Target::parse(&format!("http://{authority}/")).unwrap();
        let request = RunRequest::new(target, RunOptions::default());
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let registry = netcheck_core::Registry::default();
        let denial = netcheck_core::run(request, settings.clone(), &registry, Some(tx))
            .await
            .expect_err(&authority);
        assert!(
            denial.to_string().contains("only public addresses"),
            "{authority}: {denial}"
        );
        assert!(
            events.recv().await.is_none(),
            "{authority}: a check started"
        );
    }
    assert_eq!(internal.seen(), 0);
}

#[tokio::test]
async fn a_name_with_2000_addresses_is_probed_at_the_budget_only() {
    let mut zone = Zone::new().add(DOMAIN, 3600, soa());
    for i in 0..2000u32 {
        let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 10, 0, 0)) + i);
        zone = zone.add(&format!("many.{DOMAIN}"), 60, RData::A(A(ip)));
    }
    let dns = DnsServer::start(zone).await;
    let mut setup = crate::config(dns.addr);
    setup.options.checks = vec!["site".into(), "ping".into()];
    setup.options.ping_count = 1;
    // Nothing listens on port 9 of 127.10/16: each attempt is refused at once.
    let report = crate::run(&format!("http://many.{DOMAIN}:9/"), setup).await;
    let Some(Section::Site(site)) = &check(&report, "site").data else {
        panic!("no site data: {:?}", check(&report, "site"))
    };
    let attempts = &site.hops[0].connect_attempts;
    assert!(
        !attempts.is_empty() && attempts.len() <= 8,
        "{} connection attempts",
        attempts.len()
    );
    let ping = check(&report, "ping");
    let Some(Section::Ping(p)) = &ping.data else {
        panic!("no ping data: {ping:?}")
    };
    assert_eq!(p.targets.len(), 8);
    // Every address found is either probed or named as left out.
    assert!(p.left_out.len() > 1900, "{} left out", p.left_out.len());
    assert!(
        p.targets.iter().all(|t| !p.left_out.contains(&t.address)),
        "an address both probed and left out"
    );
    assert!(
        codes(ping).contains(&"addresses_left_out"),
        "{:?}",
        codes(ping)
    );
}
