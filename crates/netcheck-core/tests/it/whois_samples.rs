//! The WHOIS reader against real registry answers: the captures the asyncwhois project ships
//! (MIT licence), installed by `scripts/whois-samples` and not committed here. Each answer is
//! served over TCP by a local WHOIS server behind an IANA-style root that refers to it; the
//! registration check's fields must equal what the answer says, read by hand.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use netcheck_core::checks::registration::RegistrationReport;
use netcheck_core::report::Section;
use netcheck_core::whois::parse::{Registration, fields, referral};
use netcheck_testkit::dns::{Behaviour, DnsServer, Zone};
use netcheck_testkit::whois::{WhoisBehaviour, WhoisServer};

use crate::{check, run};

const VERSION: &str = "asyncwhois-1.1.15";

/// Where scripts/whois-samples put the answers, or `None` (and why the test skips) if it has
/// not run; with NETCHECK_REQUIRE_WHOIS_SAMPLES=1 a missing set fails instead.
fn samples() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    let dir = base.join("netcheck/whois-samples").join(VERSION);
    if dir.join("tld_com.txt").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("NETCHECK_REQUIRE_WHOIS_SAMPLES").as_deref() != Ok("1"),
        "NETCHECK_REQUIRE_WHOIS_SAMPLES=1 but {} is missing: run scripts/whois-samples",
        dir.display()
    );
    eprintln!(
        "SKIPPED: no WHOIS samples in {}; run scripts/whois-samples",
        dir.display()
    );
    None
}

fn utc(s: &str) -> Option<String> {
    Some(s.to_owned())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Each answer's file, the domain it is about, and its fields as the text gives them.
fn expected() -> Vec<(&'static str, &'static str, Registration)> {
    let google_ns = strings(&[
        "ns1.google.com",
        "ns2.google.com",
        "ns3.google.com",
        "ns4.google.com",
    ]);
    let icann_locks = strings(&[
        "clientUpdateProhibited",
        "clientTransferProhibited",
        "clientDeleteProhibited",
        "serverUpdateProhibited",
        "serverTransferProhibited",
        "serverDeleteProhibited",
    ]);
    vec![
        // MarkMonitor's answer for a .com: offsets written "-0700".
        (
            "com",
            "google.com",
            Registration {
                registrar: utc("MarkMonitor, Inc."),
                created: utc("1997-09-15T07:00:00Z"),
                updated: utc("2019-09-09T15:39:04Z"),
                expires: utc("2028-09-13T07:00:00Z"),
                name_servers: strings(&[
                    "ns3.google.com",
                    "ns1.google.com",
                    "ns2.google.com",
                    "ns4.google.com",
                ]),
                status: icann_locks.clone(),
                dnssec: utc("unsigned"),
                registrant_organization: utc("Google LLC"),
                registrant_country: utc("US"),
            },
        ),
        // Nominet: blocks under bare headers, "11-Jun-2014".
        (
            "uk",
            "google.uk",
            Registration {
                registrar: utc("Markmonitor Inc. t/a MarkMonitor Inc."),
                created: utc("2014-06-11T00:00:00Z"),
                updated: utc("2020-05-10T00:00:00Z"),
                expires: utc("2021-06-11T00:00:00Z"),
                name_servers: strings(&[
                    "ns1.googledomains.com",
                    "ns2.googledomains.com",
                    "ns3.googledomains.com",
                    "ns4.googledomains.com",
                ]),
                status: strings(&["Registered until expiry date."]),
                ..Registration::default()
            },
        ),
        // DENIC on port 43 publishes no holder and no creation date.
        (
            "de",
            "google.de",
            Registration {
                updated: utc("2018-03-12T20:44:25Z"),
                name_servers: google_ns.clone(),
                status: strings(&["connect"]),
                ..Registration::default()
            },
        ),
        // JPRS in Japanese: [登録年月日], [最終更新] in JST, [状態].
        (
            "jp",
            "amazon.jp",
            Registration {
                created: utc("2010-09-22T00:00:00Z"),
                updated: utc("2020-09-30T16:05:09Z"),
                name_servers: strings(&[
                    "pdns1.ultradns.net",
                    "pdns6.ultradns.co.uk",
                    "pdns2.ultradns.net",
                    "pdns5.ultradns.info",
                    "pdns3.ultradns.org",
                    "pdns4.ultradns.org",
                    "ns2.p31.dynect.net",
                    "ns1.p31.dynect.net",
                ]),
                status: strings(&["Active"]),
                registrant_organization: utc("Amazon, Inc."),
                ..Registration::default()
            },
        ),
        // AFNIC: the holder is a handle (holder-c) whose object gives name and country; the
        // registrar's object (country US) is not the holder's.
        (
            "fr",
            "google.fr",
            Registration {
                registrar: utc("MARKMONITOR Inc."),
                created: utc("2000-07-26T22:00:00Z"),
                updated: utc("2019-11-28T10:33:06Z"),
                expires: utc("2020-12-30T17:16:48Z"),
                name_servers: google_ns.clone(),
                status: strings(&["ACTIVE"]),
                registrant_organization: utc("Google Ireland Holdings"),
                registrant_country: utc("IE"),
                ..Registration::default()
            },
        ),
        // RIPN: "state:" is the status, "paid-till:" the expiry, name servers end in a dot.
        (
            "ru",
            "google.ru",
            Registration {
                registrar: utc("RU-CENTER-RU"),
                created: utc("2004-03-03T21:00:00Z"),
                expires: utc("2021-03-04T21:00:00Z"),
                name_servers: google_ns.clone(),
                status: strings(&["REGISTERED", "DELEGATED", "VERIFIED"]),
                registrant_organization: utc("Google LLC"),
                ..Registration::default()
            },
        ),
        // SIDN: an empty "Abuse Contact:" must not swallow the dates after it.
        (
            "nl",
            "google.nl",
            Registration {
                registrar: utc("MarkMonitor Inc."),
                created: utc("1999-05-27T00:00:00Z"),
                updated: utc("2015-12-30T00:00:00Z"),
                name_servers: google_ns.clone(),
                status: strings(&["active"]),
                dnssec: utc("no"),
                ..Registration::default()
            },
        ),
        // DNS Belgium: "Tue Dec 12 2000", the holder withheld, flags as status.
        (
            "be",
            "google.be",
            Registration {
                registrar: utc("MarkMonitor Inc."),
                created: utc("2000-12-12T00:00:00Z"),
                name_servers: strings(&[
                    "ns2.google.com",
                    "ns1.google.com",
                    "ns4.google.com",
                    "ns3.google.com",
                ]),
                status: strings(&["NOT AVAILABLE", "clientTransferProhibited"]),
                ..Registration::default()
            },
        ),
        // EIS: sections with the same keys ("name", "changed") for domain, holder, registrar.
        (
            "ee",
            "google.ee",
            Registration {
                registrar: utc("Zone Media OÜ"),
                created: utc("2010-07-04T01:34:46Z"),
                updated: utc("2019-10-07T14:50:09Z"),
                expires: utc("2020-11-09T00:00:00Z"),
                name_servers: google_ns.clone(),
                status: strings(&["ok (paid and in zone)"]),
                registrant_organization: utc("Google LLC"),
                registrant_country: utc("US"),
                ..Registration::default()
            },
        ),
        // Traficom: dot leaders, colon-less headers, "30.6.2006" and "2.6.2020".
        (
            "fi",
            "google.fi",
            Registration {
                registrar: utc("MarkMonitor Inc."),
                created: utc("2006-06-30T00:00:00Z"),
                updated: utc("2020-06-02T00:00:00Z"),
                expires: utc("2021-07-04T10:15:55Z"),
                name_servers: strings(&[
                    "ns3.google.com",
                    "ns4.google.com",
                    "ns1.google.com",
                    "ns2.google.com",
                ]),
                status: strings(&["Registered"]),
                dnssec: utc("no"),
                registrant_organization: utc("Google LLC"),
                registrant_country: utc("United States of America"),
            },
        ),
        // CZ.NIC: objects linked by handle; name servers in an nsset object.
        (
            "cz",
            "amazon.cz",
            Registration {
                registrar: utc("REG-NOMIQ"),
                created: utc("1997-09-19T02:00:00Z"),
                updated: utc("2017-01-12T16:58:49Z"),
                expires: utc("2021-10-28T00:00:00Z"),
                name_servers: strings(&[
                    "pdns1.ultradns.net",
                    "pdns2.ultradns.net",
                    "pdns3.ultradns.org",
                    "pdns4.ultradns.org",
                    "pdns5.ultradns.info",
                    "pdns6.ultradns.co.uk",
                ]),
                registrant_organization: utc("Amazon Europe Holding Technologies SCS"),
                ..Registration::default()
            },
        ),
        // ISNIC: "January 18 2000"; the registrant handle names a role object.
        (
            "is",
            "amazon.is",
            Registration {
                created: utc("2000-01-18T00:00:00Z"),
                expires: utc("2022-01-18T00:00:00Z"),
                name_servers: strings(&[
                    "pdns1.ultradns.net",
                    "pdns2.ultradns.net",
                    "pdns3.ultradns.org",
                    "pdns4.ultradns.org",
                ]),
                dnssec: utc("unsigned delegation"),
                registrant_organization: utc("Amazon Europe Core S.a.r.l."),
                ..Registration::default()
            },
        ),
        // NASK: "2002.09.19 13:00:00", name servers continued on indented lines, the
        // registrar in a colon-less block.
        (
            "pl",
            "google.pl",
            Registration {
                registrar: utc("Markmonitor, Inc."),
                created: utc("2002-09-19T13:00:00Z"),
                updated: utc("2020-08-17T11:37:09Z"),
                expires: utc("2021-09-18T14:00:00Z"),
                name_servers: google_ns.clone(),
                dnssec: utc("Unsigned"),
                ..Registration::default()
            },
        ),
        // IEDR: "21-March-2002", "Domain Holder", "Account Name" for the registrar.
        (
            "ie",
            "google.ie",
            Registration {
                registrar: utc("Markmonitor Inc"),
                created: utc("2002-03-21T00:00:00Z"),
                expires: utc("2021-03-21T00:00:00Z"),
                name_servers: strings(&["ns1.google.com", "ns2.google.com", "ns3.google.com"]),
                registrant_organization: utc("Google, Inc"),
                ..Registration::default()
            },
        ),
        // KazNIC: "(GMT+0:00)", the holder under "Organization Using Domain Name" whose
        // "State" is not the domain's status.
        (
            "kz",
            "google.kz",
            Registration {
                registrar: utc("KAZNIC"),
                created: utc("1999-06-07T13:01:43Z"),
                updated: utc("2012-11-28T03:16:59Z"),
                name_servers: strings(&["ns1.google.com", "ns2.google.com"]),
                status: strings(&["ok - Normal state."]),
                registrant_organization: utc("Google Inc."),
                registrant_country: utc("US"),
                ..Registration::default()
            },
        ),
        // NIC.lv: "[Holder]" headers; "[Whois] Updated" is the database's date, not the
        // domain's.
        (
            "lv",
            "google.lv",
            Registration {
                registrar: utc("MarkMonitor Inc."),
                name_servers: google_ns.clone(),
                status: strings(&["active"]),
                registrant_organization: utc("Google LLC"),
                ..Registration::default()
            },
        ),
        // Hostmaster.ua: "+02" offsets; objects titled in comments ("% Registrar:").
        (
            "ua",
            "google.com.ua",
            Registration {
                registrar: utc("MarkMonitor Inc."),
                created: utc("2002-12-03T22:00:00Z"),
                updated: utc("2022-11-02T09:28:26Z"),
                expires: utc("2023-12-03T22:00:00Z"),
                name_servers: google_ns.clone(),
                status: strings(&[
                    "clientDeleteProhibited",
                    "clientTransferProhibited",
                    "clientUpdateProhibited",
                ]),
                registrant_organization: utc("Google LLC"),
                registrant_country: utc("US"),
                ..Registration::default()
            },
        ),
        // CNNIC: Beijing time unmarked.
        (
            "cn",
            "google.cn",
            Registration {
                registrar: utc("厦门易名科技股份有限公司"),
                created: utc("2003-03-17T04:20:05Z"),
                expires: utc("2022-03-17T04:48:36Z"),
                name_servers: strings(&[
                    "ns2.google.com",
                    "ns1.google.com",
                    "ns3.google.com",
                    "ns4.google.com",
                ]),
                status: strings(&[
                    "clientDeleteProhibited",
                    "serverDeleteProhibited",
                    "serverUpdateProhibited",
                    "clientTransferProhibited",
                    "serverTransferProhibited",
                ]),
                dnssec: utc("unsigned"),
                registrant_organization: utc("北京谷翔信息技术有限公司"),
                ..Registration::default()
            },
        ),
        // EDUCAUSE: "Domain record activated", the registrant as a block.
        (
            "edu",
            "umich.edu",
            Registration {
                created: utc("1985-10-07T00:00:00Z"),
                updated: utc("2020-12-26T00:00:00Z"),
                expires: utc("2021-07-31T00:00:00Z"),
                name_servers: strings(&[
                    "dns1.itd.umich.edu",
                    "dns.cs.wisc.edu",
                    "dns2.itd.umich.edu",
                ]),
                registrant_organization: utc("University of Michigan -- ITD"),
                ..Registration::default()
            },
        ),
        // CIDR (.gg): "Registered on 30th April 2003 at 00:04:00.000", statuses as a block.
        (
            "gg",
            "google.gg",
            Registration {
                registrar: utc("MarkMonitor Inc."),
                created: utc("2003-04-30T00:04:00Z"),
                name_servers: google_ns.clone(),
                status: strings(&[
                    "Active",
                    "Delete Prohibited by Registrar",
                    "Update Prohibited by Registrar",
                    "Transfer Prohibited by Registrar",
                    "Registered until cancelled",
                ]),
                registrant_organization: utc("Google LLC"),
                ..Registration::default()
            },
        ),
        // Freenom (.tk): the owner's "State: Nevada" is an address, not a status.
        (
            "tk",
            "amazon.tk",
            Registration {
                name_servers: strings(&[
                    "pdns1.ultradns.net",
                    "ns2.p31.dynect.net",
                    "pdns6.ultradns.co.uk",
                    "pdns2.ultradns.net",
                    "pdns5.ultradns.info",
                ]),
                registrant_organization: utc("Amazon Technologies, Inc."),
                registrant_country: utc("U.S.A."),
                ..Registration::default()
            },
        ),
        // NIC Chile: "2002-10-22 17:48:23 CLST" (UTC-3).
        (
            "cl",
            "google.cl",
            Registration {
                registrar: utc("MarkMonitor Inc."),
                created: utc("2002-10-22T20:48:23Z"),
                expires: utc("2020-11-20T17:48:02Z"),
                name_servers: google_ns.clone(),
                registrant_organization: utc("Google LLC"),
                ..Registration::default()
            },
        ),
        // NIC.ar: "2019-11-01 12:21:37.677445"; the registrant is a tax number naming an
        // object.
        (
            "ar",
            "google.ar",
            Registration {
                registrar: utc("nicar"),
                created: utc("2019-11-01T12:21:37Z"),
                updated: utc("2019-11-01T12:28:38Z"),
                expires: utc("2020-11-01T00:00:00Z"),
                name_servers: strings(&["ns1.markmonitor.com", "ns3.markmonitor.com"]),
                registrant_organization: utc("GOOGLE INC."),
                ..Registration::default()
            },
        ),
        // Registry answer with "0001-01-01" for a date it does not have.
        (
            "xyz",
            "yandex.xyz",
            Registration {
                registrar: utc("NAMECHEAP INC"),
                created: utc("2019-10-15T09:09:55Z"),
                expires: utc("2020-10-15T09:09:55Z"),
                name_servers: strings(&[
                    "ns1.ynamesrv.xyz",
                    "ns2.ynamesrv.xyz",
                    "ns3.ynamesrv.xyz",
                ]),
                status: strings(&["clientTransferProhibited", "serverTransferProhibited"]),
                dnssec: utc("unsigned"),
                registrant_organization: utc("WhoisGuard, Inc."),
                registrant_country: utc("PA"),
                ..Registration::default()
            },
        ),
        // CoCCA (.ai): "Registry WHOIS Server::" with a doubled colon; fractions of seconds,
        // which RFC 3339 keeps.
        (
            "ai",
            "google.ai",
            Registration {
                registrar: utc("Markmonitor"),
                created: utc("2017-12-16T05:37:20.801Z"),
                updated: utc("2019-08-24T09:32:27.549Z"),
                expires: utc("2021-09-25T05:37:20.856Z"),
                name_servers: strings(&[
                    "ns3.zdns.google",
                    "ns4.zdns.google",
                    "ns1.zdns.google",
                    "ns2.zdns.google",
                ]),
                status: strings(&[
                    "clientUpdateProhibited",
                    "clientDeleteProhibited",
                    "clientTransferProhibited",
                ]),
                dnssec: utc("unsigned"),
                registrant_organization: utc("Google LLC"),
                registrant_country: utc("US"),
            },
        ),
        // Donuts (.live): a registry answer naming the registrar's server (whois.comlaude.com),
        // contacts redacted but the holder's organisation and country given.
        (
            "live",
            "amazon.live",
            Registration {
                registrar: utc("Nom-iq Ltd. dba COM LAUDE"),
                created: utc("2015-10-19T10:32:20Z"),
                updated: utc("2020-10-19T23:02:08Z"),
                expires: utc("2021-10-19T10:32:20Z"),
                name_servers: strings(&[
                    "nsgbr.comlaude.co.uk",
                    "nsusa.comlaude.net",
                    "nssui.comlaude.ch",
                ]),
                status: strings(&[
                    "clientDeleteProhibited",
                    "clientTransferProhibited",
                    "clientUpdateProhibited",
                ]),
                dnssec: utc("unsigned"),
                registrant_organization: utc("Amazon Technologies, Inc."),
                registrant_country: utc("US"),
            },
        ),
        // NIC.VE (FRED, like CZ.NIC): day-first dates ("05.06.2002 20:00:00", no zone), the
        // registrant a handle naming a contact object, name servers in an nsset object.
        (
            "ve",
            "google.com.ve",
            Registration {
                registrar: utc("NIC-VE"),
                created: utc("2002-06-05T20:00:00Z"),
                expires: utc("2021-05-06T00:00:00Z"),
                name_servers: google_ns.clone(),
                registrant_organization: utc("Google Llc"),
                ..Registration::default()
            },
        ),
    ]
}

fn data(report: &netcheck_core::Report) -> &RegistrationReport {
    match &check(report, "registration").data {
        Some(Section::Registration(r)) => r,
        other => panic!("no registration data: {other:?}"),
    }
}

#[tokio::test]
async fn real_registry_answers_served_over_tcp_give_their_fields() {
    let Some(dir) = samples() else { return };
    let expected = expected();
    let texts: HashMap<&str, String> = expected
        .iter()
        .map(|(tld, domain, _)| {
            let path = dir.join(format!("tld_{tld}.txt"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (*domain, text)
        })
        .collect();
    let registry = WhoisServer::start(WhoisBehaviour::Answer(
        texts
            .iter()
            .map(|(d, t)| ((*d).to_owned(), t.clone()))
            .collect(),
    ))
    .await;
    let root = WhoisServer::start(WhoisBehaviour::Answer(
        texts
            .keys()
            .map(|d| {
                (
                    (*d).to_owned(),
                    format!("refer:        {}\r\n", registry.addr),
                )
            })
            .collect(),
    ))
    .await;
    // The answers refer on to registrars' servers by name (whois.markmonitor.com): those
    // names are asked of this local server, which knows none of them, so nothing leaves the
    // machine.
    let dns = DnsServer::start(Zone::new()).await;
    let mut failures = Vec::new();
    for (tld, domain, want) in &expected {
        let mut config = crate::registration::config(&root.addr.to_string());
        config.settings.resolvers = vec![dns.addr];
        let report = run(domain, config).await;
        let r = data(&report);
        assert_eq!(r.query, *domain);
        assert!(
            r.whois.len() >= 2 && r.whois[1].server == registry.addr.to_string(),
            "{tld}: {:#?}",
            r.whois
        );
        if r.registration != *want {
            failures.push(format!(
                ".{tld}: got\n{:#?}\nwant\n{want:#?}",
                r.registration
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // MarkMonitor's answer names its own server again; the chain asked for it, locally.
    assert!(
        dns.queries()
            .iter()
            .any(|(name, _)| name.trim_end_matches('.') == "whois.markmonitor.com"),
        "{:?}",
        dns.queries()
    );
}

/// How the registrar's server fails, in the test below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Its name is not in the DNS (NXDOMAIN from the local server).
    NoSuchName,
    /// The DNS server never answers for its name: only the check's deadline ends the wait.
    NameServerSilent,
    /// Nothing listens where the referral points.
    Refused,
    /// It takes the query and never says a word.
    Silent,
}

impl Failure {
    /// What the failed hop's error says.
    fn words(self) -> &'static str {
        match self {
            Failure::NoSuchName | Failure::NameServerSilent => "cannot find",
            Failure::Refused => "cannot connect",
            Failure::Silent => "did not close",
        }
    }
}

/// Where the chain starts: at the registry itself (`--whois-server`), or at an IANA-style root
/// that refers to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    AtTheRegistry,
    BehindARoot,
}

/// The TLDs whose answers are served with the registrar's server failing: .xyz and .live name
/// a registrar's server, .ai, .ie and .ve do not (their chain ends at the registry either way).
const WITH_FAILING_REGISTRAR: [&str; 5] = ["xyz", "live", "ai", "ie", "ve"];

/// A registry's answer to serve: TLD, domain, the fields read by hand, the captured text.
type Case = (&'static str, &'static str, Registration, String);

/// The servers of one way of failing: a local DNS server, the registry answering with the
/// captured texts, a root referring to it, and where each answer's referral now points.
struct FailingChain {
    dns: DnsServer,
    registry: WhoisServer,
    root: WhoisServer,
    referred: HashMap<&'static str, String>,
}

/// The registrars' names are asked of a local DNS server that knows none of them (or never
/// answers); a refused or silent registrar is reached by pointing the answer's referral at it,
/// the only change made to the captured text.
async fn failing_chain(
    failure: Failure,
    cases: &[Case],
    refused: SocketAddr,
    silent: SocketAddr,
) -> FailingChain {
    let mut zone = Zone::new();
    let mut table = HashMap::new();
    let mut referred = HashMap::new();
    for (_, domain, _, text) in cases {
        let mut text = text.clone();
        if let Some(name) = referral(&text) {
            let to = match failure {
                Failure::NoSuchName => name.clone(),
                Failure::NameServerSilent => {
                    zone = zone.behave(&name, Behaviour::Silent);
                    name.clone()
                }
                Failure::Refused => refused.to_string(),
                Failure::Silent => silent.to_string(),
            };
            text = text.replace(&name, &to);
            referred.insert(*domain, to);
        }
        table.insert((*domain).to_owned(), text);
    }
    let dns = DnsServer::start(zone).await;
    let registry = WhoisServer::start(WhoisBehaviour::Answer(table)).await;
    let refer = format!("refer:        {}\r\n", registry.addr);
    let root = WhoisServer::start(WhoisBehaviour::Answer(
        cases
            .iter()
            .map(|(_, d, _, _)| ((*d).to_owned(), refer.clone()))
            .collect(),
    ))
    .await;
    FailingChain {
        dns,
        registry,
        root,
        referred,
    }
}

#[tokio::test]
async fn the_registry_answer_stands_when_the_registrar_server_fails() {
    let Some(dir) = samples() else { return };
    let cases: Vec<Case> = expected()
        .into_iter()
        .filter(|(tld, _, _)| WITH_FAILING_REGISTRAR.contains(tld))
        .map(|(tld, domain, want)| {
            let path = dir.join(format!("tld_{tld}.txt"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (tld, domain, want, text)
        })
        .collect();
    assert_eq!(cases.len(), WITH_FAILING_REGISTRAR.len());
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let silent = WhoisServer::start(WhoisBehaviour::Silent).await;
    let mut chains = Vec::new();
    for failure in [
        Failure::NoSuchName,
        Failure::NameServerSilent,
        Failure::Refused,
        Failure::Silent,
    ] {
        chains.push((
            failure,
            failing_chain(failure, &cases, refused, silent.addr).await,
        ));
    }
    // All at once: the silent cases each wait for the check's deadline.
    let mut runs = Vec::new();
    for (failure, chain) in &chains {
        for start in [Start::AtTheRegistry, Start::BehindARoot] {
            let first = match start {
                Start::AtTheRegistry => chain.registry.addr,
                Start::BehindARoot => chain.root.addr,
            };
            for (tld, domain, want, _) in &cases {
                let mut config = crate::registration::config(&first.to_string());
                config.settings.resolvers = vec![chain.dns.addr];
                // A DNS wait longer than the check: only the check's deadline may end it.
                config.options.dns_query_timeout = Duration::from_secs(30);
                config
                    .options
                    .check_timeouts
                    .insert("registration".into(), Duration::from_secs(3));
                let context = format!(".{tld} ({domain}), {failure:?}, {start:?}");
                let registrar = chain.referred.get(domain).cloned();
                let registry = chain.registry.addr.to_string();
                let failure = *failure;
                runs.push(async move {
                    let report = run(domain, config).await;
                    judge(&report, &context, &registry, registrar, failure, want)
                });
            }
        }
    }
    let failures: Vec<String> = futures::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// What is wrong with one run of the test above, if anything: the fields must be the
/// registry's, and the registrar's failed hop named in a finding.
fn judge(
    report: &netcheck_core::Report,
    context: &str,
    registry: &str,
    registrar: Option<String>,
    failure: Failure,
    want: &Registration,
) -> Option<String> {
    let Some(Section::Registration(r)) = &check(report, "registration").data else {
        return Some(format!("{context}: no registration data: {report:#?}"));
    };
    if r.registration != *want {
        return Some(format!(
            "{context}: got\n{:#?}\nwant\n{want:#?}",
            r.registration
        ));
    }
    let problems: Vec<&str> = check(report, "registration")
        .findings
        .iter()
        .filter(|f| f.code == "whois_server_problem")
        .map(|f| f.message.as_str())
        .collect();
    let Some(registrar) = registrar else {
        let last = r.whois.last().map(|h| h.server.as_str());
        return (last != Some(registry) || !problems.is_empty())
            .then(|| format!("{context}: {:#?} {problems:?}", r.whois));
    };
    let Some(hop) = r.whois.last() else {
        return Some(format!("{context}: no WHOIS hop"));
    };
    let named = format!("the registrar's WHOIS server {registrar} (referred by {registry}): ");
    let said = hop.error.as_deref().unwrap_or_default();
    let fine = hop.server == registrar
        && said.contains(failure.words())
        && problems.len() == 1
        && problems[0].starts_with(&named)
        && problems[0].contains(failure.words());
    (!fine).then(|| format!("{context}: {problems:?}\n{:#?}", r.whois))
}

#[test]
fn every_real_answer_with_a_record_yields_fields() {
    let Some(dir) = samples() else { return };
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if text.trim().is_empty() {
            // Two captures (.ch, .ga) are empty files.
            continue;
        }
        read += 1;
        let r = fields(&text);
        assert!(
            !r.name_servers.is_empty() || r.created.is_some() || r.status.len() == 1,
            "{}: {r:#?}",
            path.display()
        );
        for date in [&r.created, &r.updated, &r.expires].into_iter().flatten() {
            assert!(
                date.ends_with('Z') && date.as_str() >= "1985" && date.as_str() < "2100",
                "{}: {date}",
                path.display()
            );
        }
    }
    assert!(read >= 50, "only {read} answers read in {}", dir.display());
}
