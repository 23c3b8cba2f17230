use std::collections::HashMap;
use std::time::Duration;

use netcheck_core::Status;
use netcheck_core::checks::registration::RegistrationReport;
use netcheck_core::registration::kept::KEPT_BYTES;
use netcheck_core::report::Section;
use netcheck_testkit::whois::{WhoisBehaviour, WhoisServer};

use crate::{check, run};

/// A bootstrap file naming `server` (if any) for .com, so no test asks IANA for the real one.
fn bootstrap(server: Option<std::net::SocketAddr>) -> String {
    let services = match server {
        Some(a) => format!(r#"[[["com"],["http://{a}/rdap/"]]]"#),
        None => "[]".to_owned(),
    };
    let path = std::env::temp_dir().join(format!(
        "netcheck-rdap-bootstrap-{}-{}.json",
        std::process::id(),
        server.map(|a| a.port()).unwrap_or(0)
    ));
    std::fs::write(
        &path,
        format!(r#"{{"version":"1.0","services":{services}}}"#),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

pub fn config(root: &str) -> crate::Setup {
    crate::Setup {
        options: netcheck_core::RunOptions {
            checks: vec!["registration".into()],
            ..Default::default()
        },
        settings: netcheck_core::Settings {
            whois_server: root.to_owned(),
            rdap_bootstrap: bootstrap(None),
            rdap_ip_bootstraps: vec![bootstrap(None)],
            ..Default::default()
        },
    }
}

fn data(report: &netcheck_core::Report) -> &RegistrationReport {
    match &check(report, "registration").data {
        Some(Section::Registration(r)) => r,
        other => panic!("no registration data: {other:?}"),
    }
}

fn answering(pairs: &[(&str, String)]) -> WhoisBehaviour {
    WhoisBehaviour::Answer(
        pairs
            .iter()
            .map(|(q, a)| ((*q).to_owned(), a.clone()))
            .collect::<HashMap<_, _>>(),
    )
}

#[tokio::test]
async fn referrals_are_followed_from_root_to_registry_to_registrar() {
    let registrar = WhoisServer::start(answering(&[(
        "example.com",
        "Domain Name: EXAMPLE.COM\r\nRegistrar: Registrar Name From Registrar\r\nRegistrant Organization: Example Org\r\nRegistrant Country: NL\r\n".into(),
    )]))
    .await;
    let registry = WhoisServer::start(answering(&[(
        "example.com",
        format!(
            "   Domain Name: EXAMPLE.COM\r\n   Registrar WHOIS Server: {}\r\n   Registrar: Example Registrar, Inc.\r\n   Creation Date: 1995-08-14T04:00:00Z\r\n   Registry Expiry Date: 2999-08-13T04:00:00Z\r\n   Name Server: NS1.EXAMPLE.NET\r\n   Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited\r\n",
            registrar.addr
        ),
    )]))
    .await;
    let root = WhoisServer::start(answering(&[("example.com", format!("% IANA WHOIS server\r\nrefer:        {}\r\n\r\ndomain:       COM\r\ncreated:      1985-01-01\r\n", registry.addr))])).await;

    let report = run("www.example.com", config(&root.addr.to_string())).await;
    let r = data(&report);
    assert_eq!(
        r.query, "example.com",
        "the registrable domain is asked, not www"
    );
    let servers: Vec<&str> = r.whois.iter().map(|h| h.server.as_str()).collect();
    assert_eq!(
        servers,
        [
            root.addr.to_string(),
            registry.addr.to_string(),
            registrar.addr.to_string()
        ]
    );
    assert!(
        r.whois
            .iter()
            .all(|h| h.error.is_none() && !h.text.is_empty() && h.time_ms > 0.0),
        "{:#?}",
        r.whois
    );
    let g = &r.registration;
    assert_eq!(g.registrar.as_deref(), Some("Example Registrar, Inc."));
    assert_eq!(g.created.as_deref(), Some("1995-08-14T04:00:00Z"));
    assert_eq!(g.expires.as_deref(), Some("2999-08-13T04:00:00Z"));
    assert_eq!(g.name_servers, ["ns1.example.net"]);
    assert_eq!(g.status, ["clientTransferProhibited"]);
    assert_eq!(
        (
            g.registrant_organization.as_deref(),
            g.registrant_country.as_deref()
        ),
        (Some("Example Org"), Some("NL"))
    );
    assert_eq!(check(&report, "registration").status, Status::Ok);
}

#[tokio::test]
async fn an_address_is_asked_about_its_block() {
    let rir = WhoisServer::start(answering(&[(
        "8.8.8.8",
        "NetRange: 8.0.0.0 - 8.127.255.255\r\nOrgName: Example Networks\r\nCountry: US\r\n".into(),
    )]))
    .await;
    let root = WhoisServer::start(answering(&[(
        "8.8.8.8",
        format!("refer: {}\r\n", rir.addr),
    )]))
    .await;
    let report = run("8.8.8.8", config(&root.addr.to_string())).await;
    let r = data(&report);
    assert_eq!(r.query, "8.8.8.8");
    assert_eq!(r.whois.len(), 2);
    assert!(r.whois[1].text.contains("NetRange"));
    // Reserved addresses and special-use names are not asked about at all.
    let report = run("198.18.0.1", config(&root.addr.to_string())).await;
    assert_eq!(check(&report, "registration").status, Status::Skipped);
    let report = run("www.netcheck.test", config(&root.addr.to_string())).await;
    assert_eq!(check(&report, "registration").status, Status::Skipped);
}

#[tokio::test]
async fn a_server_that_never_closes_is_cut_at_the_deadline_with_what_it_sent() {
    let root = WhoisServer::start(WhoisBehaviour::NeverClose).await;
    let mut cfg = config(&root.addr.to_string());
    cfg.options
        .check_timeouts
        .insert("registration".into(), Duration::from_millis(1500));
    let report = run("example.com", cfg).await;
    let r = data(&report);
    assert!(r.whois[0].truncated);
    assert!(r.whois[0].text.contains("still thinking"));
    assert!(
        r.whois[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("did not close")),
        "{:?}",
        r.whois[0].error
    );
}

#[tokio::test]
async fn ten_megabytes_are_cut_at_the_cap() {
    let root = WhoisServer::start(WhoisBehaviour::Flood(10 * 1024 * 1024)).await;
    let report = run("example.com", config(&root.addr.to_string())).await;
    let hop = &data(&report).whois[0];
    assert!(hop.truncated);
    assert_eq!(hop.bytes, 1024 * 1024);
    assert!(
        hop.error
            .as_deref()
            .is_some_and(|e| e.contains("longer than"))
    );
}

#[tokio::test]
async fn a_refusing_server_is_reported_not_fatal() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let report = run("example.com", config(&closed.to_string())).await;
    let reg = check(&report, "registration");
    assert_eq!(reg.status, Status::Warning, "{reg:#?}");
    let hop = &data(&report).whois[0];
    assert!(
        hop.error
            .as_deref()
            .is_some_and(|e| e.contains("cannot connect")),
        "{:?}",
        hop.error
    );
}

#[tokio::test]
async fn rdap_comes_first_and_whois_fills_the_gaps() {
    let rdap_json = r#"{"objectClassName":"domain","ldhName":"EXAMPLE.COM",
      "events":[{"eventAction":"registration","eventDate":"1995-08-14T04:00:00Z"},
                {"eventAction":"expiration","eventDate":"2999-08-13T04:00:00Z"}],
      "status":["client transfer prohibited"],
      "nameservers":[{"ldhName":"NS1.RDAP.EXAMPLE"}],
      "entities":[{"roles":["registrar"],"vcardArray":["vcard",[["fn",{},"text","Registrar Per RDAP"]]]}]}"#;
    let files = HashMap::from([(
        "rdap/domain/example.com".to_owned(),
        rdap_json.as_bytes().to_vec(),
    )]);
    let rdap_server = netcheck_testkit::web::WebServer::start(None, files).await;
    let root = WhoisServer::start(answering(&[(
        "example.com",
        "Registrar: Registrar Per WHOIS\r\nRegistrant Organization: Org From WHOIS\r\nCreation Date: 1990-01-01T00:00:00Z\r\n".into(),
    )]))
    .await;
    let mut cfg = config(&root.addr.to_string());
    cfg.settings.rdap_bootstrap = bootstrap(Some(rdap_server.addr));
    let report = run("example.com", cfg).await;
    let r = data(&report);
    let rdap = r.rdap.as_ref().expect("RDAP was asked");
    assert_eq!(rdap.status, Some(200), "{rdap:?}");
    assert!(rdap.url.ends_with("/rdap/domain/example.com"));
    assert_eq!(
        rdap.raw.as_ref().and_then(|v| v["ldhName"].as_str()),
        Some("EXAMPLE.COM"),
        "the raw JSON is kept"
    );
    let g = &r.registration;
    assert_eq!(
        g.registrar.as_deref(),
        Some("Registrar Per RDAP"),
        "RDAP first"
    );
    assert_eq!(g.created.as_deref(), Some("1995-08-14T04:00:00Z"));
    assert_eq!(
        g.registrant_organization.as_deref(),
        Some("Org From WHOIS"),
        "WHOIS fills the gap"
    );
    assert_eq!(g.name_servers, ["ns1.rdap.example"]);
    assert!(
        !r.whois.is_empty() && r.whois[0].text.contains("Registrar Per WHOIS"),
        "the WHOIS text is kept too"
    );

    // A name the RDAP server does not know: a warning, and WHOIS still answers.
    let report = run("unknown.com", {
        let mut c = config(&root.addr.to_string());
        c.settings.rdap_bootstrap = bootstrap(Some(rdap_server.addr));
        c
    })
    .await;
    let r = data(&report);
    assert_eq!(r.rdap.as_ref().and_then(|a| a.status), Some(404));
    assert!(
        check(&report, "registration")
            .findings
            .iter()
            .any(|f| f.code == "rdap_problem")
    );
}

/// Registrar lines, `filler` bytes of remarks, then an expiry date the fields must still find.
fn huge_whois_answer(marker: &str, filler: usize) -> String {
    let mut text =
        format!("Domain Name: EXAMPLE.COM\r\n% {marker}\r\nRegistrar: Huge Registrar\r\n");
    while text.len() < filler {
        text.push_str("% lorem ipsum dolor sit amet, consectetur adipiscing elit\r\n");
    }
    text.push_str("Registry Expiry Date: 2999-08-13T04:00:00Z\r\n");
    text
}

#[tokio::test]
async fn a_huge_whois_or_rdap_answer_is_read_in_full_and_kept_once_and_bounded() {
    let marker = "NETCHECK-RAW-MARKER-7f3a";
    let root = WhoisServer::start(answering(&[(
        "example.com",
        huge_whois_answer(marker, 900 * 1024),
    )]))
    .await;
    let remarks: Vec<String> = (0..12_000)
        .map(|i| format!(r#"{{"description":["remark {i} of a registry that says a lot"]}}"#))
        .collect();
    let rdap_json = format!(
        r#"{{"objectClassName":"domain","ldhName":"EXAMPLE.COM","note":"{marker}","remarks":[{}],
          "events":[{{"eventAction":"registration","eventDate":"1995-08-14T04:00:00Z"}}]}}"#,
        remarks.join(",")
    );
    assert!(rdap_json.len() > 512 * 1024);
    let files = HashMap::from([("rdap/domain/example.com".to_owned(), rdap_json.into_bytes())]);
    let rdap_server = netcheck_testkit::web::WebServer::start(None, files).await;
    let mut cfg = config(&root.addr.to_string());
    cfg.settings.rdap_bootstrap = bootstrap(Some(rdap_server.addr));
    let report = run("example.com", cfg).await;
    let r = data(&report);

    // Every field was read from the whole answers, the end of each included.
    assert_eq!(
        r.registration.created.as_deref(),
        Some("1995-08-14T04:00:00Z")
    );
    assert_eq!(
        r.registration.expires.as_deref(),
        Some("2999-08-13T04:00:00Z")
    );
    assert_eq!(r.registration.registrar.as_deref(), Some("Huge Registrar"));

    let hop = &r.whois[0];
    assert!(hop.bytes > 900 * 1024, "{}", hop.bytes);
    assert!(!hop.truncated, "the whole answer was read");
    assert!(hop.text_truncated);
    assert!(hop.text.len() <= KEPT_BYTES && hop.text.len() > KEPT_BYTES - 100);
    let rdap = r.rdap.as_ref().unwrap();
    assert!(rdap.raw_truncated && rdap.raw.is_none(), "{:?}", rdap.error);
    assert!(rdap.bytes > 512 * 1024);
    let kept = rdap.raw_text.as_deref().unwrap();
    assert!(kept.len() <= KEPT_BYTES && kept.starts_with('{'));
    assert!(
        !check(&report, "registration")
            .findings
            .iter()
            .any(|f| f.code == "whois_no_answer")
    );

    // Each raw text once in the whole report, and the report small.
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(
        json.matches(marker).count(),
        2,
        "once in WHOIS, once in RDAP"
    );
    assert!(json.len() < 3 * KEPT_BYTES, "{} bytes", json.len());
}

#[tokio::test]
async fn an_address_block_is_asked_of_the_rir_rdap_server_the_bootstrap_names() {
    let network = r#"{"objectClassName":"ip network","handle":"NET-8-8-8-0-1","startAddress":"8.8.8.0",
      "endAddress":"8.8.8.255","name":"GOGL","country":"US",
      "entities":[{"roles":["registrant"],"vcardArray":["vcard",[["fn",{},"text","Example Networks LLC"]]]}]}"#;
    let files = HashMap::from([("rdap/ip/8.8.8.8".to_owned(), network.as_bytes().to_vec())]);
    let rir = netcheck_testkit::web::WebServer::start(None, files).await;
    let ip_bootstrap =
        std::env::temp_dir().join(format!("netcheck-rdap-ip-{}.json", std::process::id()));
    std::fs::write(
        &ip_bootstrap,
        format!(
            r#"{{"services":[[["8.0.0.0/9"],["http://{}/rdap/"]]]}}"#,
            rir.addr
        ),
    )
    .unwrap();
    let root = WhoisServer::start(answering(&[])).await;
    let mut cfg = config(&root.addr.to_string());
    cfg.settings.rdap_ip_bootstraps = vec![ip_bootstrap.to_string_lossy().into_owned()];
    let report = run("8.8.8.8", cfg).await;
    let r = data(&report);
    assert!(
        r.rdap
            .as_ref()
            .is_some_and(|a| a.url.ends_with("/rdap/ip/8.8.8.8") && a.status == Some(200)),
        "{:?}",
        r.rdap
    );
    assert_eq!(
        r.registration.registrant_organization.as_deref(),
        Some("Example Networks LLC")
    );
    assert_eq!(r.registration.registrant_country.as_deref(), Some("US"));
    let _ = std::fs::remove_file(ip_bootstrap);
}

#[tokio::test]
async fn a_registry_given_as_the_whois_server_is_read_even_when_it_refers_on() {
    let registrar = WhoisServer::start(answering(&[(
        "example.com",
        "Domain Name: EXAMPLE.COM\r\nRegistrar: Registrar Name From Registrar\r\nCreation Date: 2001-01-01T00:00:00Z\r\nRegistrant Organization: Example Org\r\nRegistrant Country: NL\r\n".into(),
    )]))
    .await;
    // The registry's own record names the registrar's server; one registry (this one) also
    // says it with IANA's key, `refer:`. Both are records: they name the domain asked about.
    for (name_line, refer_key) in [
        ("   Domain Name: EXAMPLE.COM", "   Registrar WHOIS Server:"),
        ("domain:       example.com", "refer:       "),
    ] {
        let registry = WhoisServer::start(answering(&[(
            "example.com",
            format!(
                "{name_line}\r\n{refer_key} {}\r\n   Registrar: Example Registrar, Inc.\r\n   Creation Date: 1995-08-14T04:00:00Z\r\n   Name Server: NS1.EXAMPLE.NET\r\n",
                registrar.addr
            ),
        )]))
        .await;
        let report = run("example.com", config(&registry.addr.to_string())).await;
        let r = data(&report);
        let servers: Vec<&str> = r.whois.iter().map(|h| h.server.as_str()).collect();
        assert_eq!(
            servers,
            [registry.addr.to_string(), registrar.addr.to_string()]
        );
        let g = &r.registration;
        assert_eq!(
            (g.registrar.as_deref(), g.created.as_deref()),
            (
                Some("Example Registrar, Inc."),
                Some("1995-08-14T04:00:00Z")
            ),
            "{name_line}: the registry's record comes first"
        );
        assert_eq!(g.name_servers, ["ns1.example.net"], "{name_line}");
        assert_eq!(
            g.registrant_organization.as_deref(),
            Some("Example Org"),
            "{name_line}: the registrar fills the gaps"
        );
    }
}

#[tokio::test]
async fn a_directory_answer_is_not_read_wherever_it_stands_in_the_chain() {
    let registry = WhoisServer::start(answering(&[(
        "example.com",
        "   Domain Name: EXAMPLE.COM\r\n   Registrar: Example Registrar, Inc.\r\n".into(),
    )]))
    .await;
    // A directory answering as IANA does, about the TLD, behind a root that only refers.
    let directory = WhoisServer::start(answering(&[(
        "example.com",
        format!(
            "% IANA WHOIS server\r\n\r\nrefer:        {}\r\n\r\ndomain:       COM\r\n\r\norganisation: Example Registry Services\r\nnserver:      A.GTLD-SERVERS.NET\r\nstatus:       ACTIVE\r\ncreated:      1985-01-01\r\nchanged:      2023-12-07\r\nsource:       IANA\r\n",
            registry.addr
        ),
    )]))
    .await;
    let root = WhoisServer::start(answering(&[(
        "example.com",
        format!("refer: {}\r\n", directory.addr),
    )]))
    .await;
    let report = run("example.com", config(&root.addr.to_string())).await;
    let r = data(&report);
    assert_eq!(r.whois.len(), 3, "{:#?}", r.whois);
    assert_eq!(
        r.registration,
        netcheck_core::whois::parse::Registration {
            registrar: Some("Example Registrar, Inc.".into()),
            ..Default::default()
        },
        "the TLD's dates, name servers and status are not the domain's"
    );
}

/// Verisign asked without "=" lists every record whose name starts with the query: host
/// records (`Server Name:`) and look-alike domains beside the domain's own. Written in that
/// format for this test (example names, local servers), not captured.
fn verisign_multi_record(lookalike_registrar: &str, registrar: &str) -> String {
    format!(
        "\r
Whois Server Version 2.0\r
\r
Domain names in the .com and .net domains can now be registered\r
with many different competing registrars. Go to http://www.internic.net\r
for detailed information.\r
\r
   Server Name: EXAMPLE.COM.NS.EXAMPLE.NET\r
   IP Address: 192.0.2.10\r
   Registrar: Host Record Registrar Ltd\r
   Registrar WHOIS Server: {lookalike_registrar}\r
   Registrar URL: http://www.host-record.example\r
\r
   Domain Name: EXAMPLE.COM.LOOKALIKE.EXAMPLE.NET\r
   Registrar: Look-Alike Registrar Inc.\r
   Registrar WHOIS Server: {lookalike_registrar}\r
   Name Server: NS1.LOOKALIKE.EXAMPLE.NET\r
   Domain Status: clientHold https://icann.org/epp#clientHold\r
   Updated Date: 2020-01-01T00:00:00Z\r
   Creation Date: 2019-01-01T00:00:00Z\r
   Registry Expiry Date: 2020-01-01T00:00:00Z\r
\r
   Domain Name: EXAMPLE.COM\r
   Registry Domain ID: 2336799_DOMAIN_COM-VRSN\r
   Registrar WHOIS Server: {registrar}\r
   Registrar URL: http://www.registrar.example\r
   Updated Date: 2024-08-14T07:01:34Z\r
   Creation Date: 1995-08-14T04:00:00Z\r
   Registry Expiry Date: 2999-08-13T04:00:00Z\r
   Registrar: Example Registrar, Inc.\r
   Registrar IANA ID: 376\r
   Domain Status: clientDeleteProhibited https://icann.org/epp#clientDeleteProhibited\r
   Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited\r
   Name Server: A.IANA-SERVERS.NET\r
   Name Server: B.IANA-SERVERS.NET\r
   DNSSEC: signedDelegation\r
\r
   Domain Name: EXAMPLE.COM.ZZ.EXAMPLE.ORG\r
   Registrar: After Registrar LLC\r
   Registrar WHOIS Server: {lookalike_registrar}\r
   Name Server: NS1.ZZ.EXAMPLE.ORG\r
   DNSSEC: unsigned\r
\r
>>> Last update of whois database: 2024-11-25T00:00:00Z <<<\r
\r
NOTICE: The expiration date displayed in this record is the date the\r
registrar's sponsorship of the domain name registration in the registry is\r
currently set to expire.\r
"
    )
}

#[tokio::test]
async fn of_several_records_in_an_answer_the_one_named_as_the_query_is_read() {
    let lookalike_registrar = WhoisServer::start(answering(&[(
        "example.com",
        "Registrant Organization: Look-Alike Holder\r\nRegistrant Country: ZZ\r\n".into(),
    )]))
    .await;
    let registrar = WhoisServer::start(answering(&[(
        "example.com",
        "Domain Name: EXAMPLE.COM\r\nRegistrant Organization: Example Org\r\nRegistrant Country: US\r\n".into(),
    )]))
    .await;
    let registry = WhoisServer::start(answering(&[(
        "example.com",
        verisign_multi_record(
            &lookalike_registrar.addr.to_string(),
            &registrar.addr.to_string(),
        ),
    )]))
    .await;
    let root = WhoisServer::start(answering(&[(
        "example.com",
        format!("refer: {}\r\n", registry.addr),
    )]))
    .await;
    let want = netcheck_core::whois::parse::Registration {
        registrar: Some("Example Registrar, Inc.".into()),
        created: Some("1995-08-14T04:00:00Z".into()),
        updated: Some("2024-08-14T07:01:34Z".into()),
        expires: Some("2999-08-13T04:00:00Z".into()),
        name_servers: vec!["a.iana-servers.net".into(), "b.iana-servers.net".into()],
        status: vec![
            "clientDeleteProhibited".into(),
            "clientTransferProhibited".into(),
        ],
        dnssec: Some("signedDelegation".into()),
        registrant_organization: Some("Example Org".into()),
        registrant_country: Some("US".into()),
    };
    for first in [root.addr, registry.addr] {
        let report = run("example.com", config(&first.to_string())).await;
        let r = data(&report);
        assert_eq!(
            r.whois.last().map(|h| h.server.clone()),
            Some(registrar.addr.to_string()),
            "from {first}: the record's own registrar is asked: {:#?}",
            r.whois
        );
        assert_eq!(r.registration, want, "from {first}");
    }
}
