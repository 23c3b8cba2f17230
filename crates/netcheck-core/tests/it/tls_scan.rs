//! The TLS scan against OpenSSL's `s_server` configured with chosen versions, suites and
//! orders: the accepted (version, suite) pairs must be exactly those configured, in the server's
//! order when it has one, and, where sslscan is installed, exactly what sslscan finds on the same
//! peer. Each test skips, saying so, when the openssl CLI is missing; the agreement with sslscan
//! is skipped likewise unless NETCHECK_REQUIRE_SSLSCAN=1.

use std::process::Command;

use netcheck_core::checks::tls_scan::{Letter, SuiteOrder, TlsScanReport};
use netcheck_core::report::Section;
use netcheck_testkit::legacy_pki::{self, Key, LegacyCa, LegacyIdentity};
use netcheck_testkit::s_server::SServer;
use netcheck_testkit::sslscan::{Pairs, accepted_pairs};

use crate::{Setup, check, has_finding, run};

fn identity() -> Option<LegacyIdentity> {
    if let Err(why) = legacy_pki::available() {
        eprintln!("skipped: {why}");
        return None;
    }
    let ca = LegacyCa::new("Scan", "sha256");
    Some(ca.issue("scan.netcheck.test", Key::Rsa(2048), "sha256"))
}

/// A run of `checks` against the server by its address.
async fn scan(server: &SServer, checks: &[&str]) -> (netcheck_core::Report, TlsScanReport) {
    let mut setup = Setup::default();
    setup.options.checks = checks.iter().map(|c| (*c).to_owned()).collect();
    let report = run(&format!("https://127.0.0.1:{}/", server.port()), setup).await;
    let facts = match &check(&report, "tls_scan").data {
        Some(Section::TlsScan(s)) => s.clone(),
        other => panic!("no tls_scan facts: {other:?}"),
    };
    (report, facts)
}

fn accepted(facts: &TlsScanReport) -> Pairs {
    facts
        .accepted()
        .flat_map(|p| p.suites.iter().map(|s| (p.version.clone(), s.code.clone())))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Pairs {
    list.iter()
        .map(|(v, c)| ((*v).to_owned(), (*c).to_owned()))
        .collect()
}

fn order_of(facts: &TlsScanReport, version: &str) -> Vec<String> {
    let p = facts.protocols.iter().find(|p| p.version == version);
    p.map(|p| p.suites.iter().map(|s| s.code.clone()).collect())
        .unwrap_or_default()
}

/// sslscan's accepted (version, suite) pairs on the same peer; `None` when it is not installed
/// (a failure with NETCHECK_REQUIRE_SSLSCAN=1).
fn sslscan(server: &SServer) -> Option<Pairs> {
    let out = match Command::new("sslscan")
        .args([
            "--no-colour",
            "--xml=-",
            &format!("127.0.0.1:{}", server.port()),
        ])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var("NETCHECK_REQUIRE_SSLSCAN").as_deref() != Ok("1"),
                "sslscan is required (NETCHECK_REQUIRE_SSLSCAN=1) but cannot run: {e}"
            );
            eprintln!("skipped the agreement with sslscan: {e} (Debian: apt-get install sslscan)");
            return None;
        }
    };
    Some(accepted_pairs(&String::from_utf8_lossy(&out.stdout)))
}

fn agrees_with_sslscan(server: &SServer, facts: &TlsScanReport) {
    if let Some(theirs) = sslscan(server) {
        assert_eq!(accepted(facts), theirs, "netcheck's pairs, then sslscan's");
    }
}

#[tokio::test]
async fn a_tls_1_2_server_with_its_own_order_is_listed_exactly_in_that_order() {
    let Some(id) = identity() else { return };
    let suites =
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA:AES128-SHA:DHE-RSA-AES128-GCM-SHA256";
    let server = SServer::start(&id, &["-tls1_2", "-serverpref", "-cipher", suites]);
    let (report, facts) = scan(&server, &["tls_scan"]).await;
    assert_eq!(
        order_of(&facts, "TLS 1.2"),
        ["0xC030", "0xC013", "0x002F", "0x009E"]
    );
    let tls12 = &facts.protocols[3];
    assert_eq!(tls12.order, Some(SuiteOrder::Server));
    assert_eq!(accepted(&facts).len(), 4, "{:?}", facts.protocols);
    for p in facts.protocols.iter().filter(|p| p.version != "TLS 1.2") {
        assert!(!p.accepted, "{p:?}");
    }
    let dhe = &tls12.suites[3];
    assert!(dhe.dh_bits.is_some_and(|b| b >= 2048), "{dhe:?}");
    assert_eq!(facts.extensions.secure_renegotiation, Some(true));
    assert_eq!(facts.extensions.compression, Some(false));
    assert_eq!(facts.extensions.fallback_scsv, None, "one version only");
    assert_eq!(facts.certificate_key.as_ref().map(|k| k.bits), Some(2048));
    assert!(
        facts.groups.iter().any(|g| g.name == "x25519"),
        "{:?}",
        facts.groups
    );
    assert!(facts.handshakes > 5);
    // Static RSA and CBC are there, but the preferred suite is forward secret and AEAD: A.
    let grade = facts.grade.as_ref().unwrap();
    assert_eq!(grade.letter, Letter::A, "{grade:?}");
    assert!(has_finding(
        check(&report, "tls_scan"),
        "grade_without_chain"
    ));
    agrees_with_sslscan(&server, &facts);
}

#[tokio::test]
async fn a_server_that_follows_the_client_is_listed_in_the_offered_order_and_said_so() {
    let Some(id) = identity() else { return };
    let suites = "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384";
    let server = SServer::start(&id, &["-tls1_2", "-cipher", suites]);
    let (report, facts) = scan(&server, &["tls_scan"]).await;
    assert_eq!(
        accepted(&facts),
        pairs(&[("TLS 1.2", "0x002F"), ("TLS 1.2", "0xC030")])
    );
    assert_eq!(facts.protocols[3].order, Some(SuiteOrder::Client));
    // The offer lists ECDHE before static RSA, so the client's order chose ECDHE first.
    assert_eq!(order_of(&facts, "TLS 1.2"), ["0xC030", "0x002F"]);
    assert!(has_finding(check(&report, "tls_scan"), "tls_client_order"));
    agrees_with_sslscan(&server, &facts);
}

#[tokio::test]
async fn old_protocols_and_cbc_only_suites_are_found_and_cap_the_grade() {
    let Some(id) = identity() else { return };
    // Debian's OpenSSL 3 has no 3DES or RC4 left to offer: the C caps are unit-tested.
    let suites = "ECDHE-RSA-AES128-SHA:AES256-SHA:@SECLEVEL=0";
    let server = SServer::start(&id, &["-no_tls1_3", "-serverpref", "-cipher", suites]);
    let (report, facts) = scan(&server, &["tls_scan"]).await;
    let mut expected = Vec::new();
    for v in ["TLS 1.0", "TLS 1.1", "TLS 1.2"] {
        expected.push((v, "0xC013"));
        expected.push((v, "0x0035"));
    }
    assert_eq!(accepted(&facts), pairs(&expected), "{:?}", facts.protocols);
    assert_eq!(
        facts.extensions.fallback_scsv,
        Some(true),
        "OpenSSL refuses the downgrade"
    );
    let grade = facts.grade.as_ref().unwrap();
    assert_eq!(grade.letter, Letter::B, "{grade:?}");
    let scan = check(&report, "tls_scan");
    for code in ["grade_cap_old_tls", "grade_cap_no_aead"] {
        assert!(has_finding(scan, code), "{code}: {:?}", scan.findings);
    }
    assert!(!facts.protocols[3].suites[1].forward_secrecy);
    agrees_with_sslscan(&server, &facts);
}

#[tokio::test]
async fn a_tls_1_3_only_server_shows_its_suites_and_groups() {
    let Some(id) = identity() else { return };
    let server = SServer::start(
        &id,
        &[
            "-tls1_3",
            "-ciphersuites",
            "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
            "-groups",
            "X25519:P-256:ffdhe2048",
        ],
    );
    let (_, facts) = scan(&server, &["tls_scan"]).await;
    assert_eq!(
        accepted(&facts),
        pairs(&[("TLS 1.3", "0x1302"), ("TLS 1.3", "0x1303")])
    );
    let groups: Vec<&str> = facts.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(groups, ["x25519", "secp256r1", "ffdhe2048"]);
    assert!(facts.groups.iter().all(|g| g.asked_with == "TLS 1.3"));
    // An RSA key signs a TLS 1.3 CertificateVerify with RSASSA-PSS only (RFC 8446 §4.4.3).
    let codes: Vec<(&str, &str)> = signatures(&facts);
    assert_eq!(
        codes,
        [
            ("0x0804", "TLS 1.3"),
            ("0x0805", "TLS 1.3"),
            ("0x0806", "TLS 1.3")
        ]
    );
    assert_eq!(facts.grade.as_ref().map(|g| g.letter), Some(Letter::APlus));
    agrees_with_sslscan(&server, &facts);
}

fn signatures(facts: &TlsScanReport) -> Vec<(&str, &str)> {
    facts
        .signature_algorithms
        .iter()
        .map(|s| (s.code.as_str(), s.asked_with.as_str()))
        .collect()
}

#[tokio::test]
async fn the_signature_algorithms_are_those_the_server_signs_with_and_no_others() {
    let Some(id) = identity() else { return };
    let server = SServer::start(
        &id,
        &["-no_tls1_3", "-sigalgs", "rsa_pss_rsae_sha256:RSA+SHA384"],
    );
    let (_, facts) = scan(&server, &["tls_scan"]).await;
    assert_eq!(
        signatures(&facts),
        [("0x0804", "TLS 1.2"), ("0x0501", "TLS 1.2")],
        "{:?}",
        facts.signature_algorithms
    );
    let names: Vec<&str> = facts
        .signature_algorithms
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["rsa_pss_rsae_sha256", "rsa_pkcs1_sha384"]);
}

#[tokio::test]
async fn a_server_with_an_ecdsa_and_an_rsa_certificate_shows_the_algorithms_of_both() {
    let Some(rsa) = identity() else { return };
    let ca = LegacyCa::new("Dual", "sha256");
    let ec = ca.issue("scan.netcheck.test", Key::Ec("prime256v1"), "sha256");
    let dir = std::env::temp_dir().join(format!("netcheck-dual-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("ec.pem"), dir.join("ec.key"));
    std::fs::write(&cert, &ec.chain_pem).unwrap();
    std::fs::write(&key, &ec.key_pem).unwrap();
    let server = SServer::start(
        &rsa,
        &[
            "-tls1_2",
            "-serverpref",
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
            "-sigalgs",
            "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256",
            "-dcert",
            cert.to_str().unwrap(),
            "-dkey",
            key.to_str().unwrap(),
        ],
    );
    let (_, facts) = scan(&server, &["tls_scan"]).await;
    let mut codes: Vec<&str> = signatures(&facts).iter().map(|(c, _)| *c).collect();
    codes.sort_unstable();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        codes,
        ["0x0403", "0x0804"],
        "{:?}",
        facts.signature_algorithms
    );
    agrees_with_sslscan(&server, &facts);
}

#[tokio::test]
async fn a_client_ordered_server_with_many_suites_is_listed_as_one_listing_would() {
    let Some(id) = identity() else { return };
    let suites = "AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:\
        ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-SHA:\
        DHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305";
    let server = SServer::start(&id, &["-tls1_2", "-cipher", suites]);
    let (_, facts) = scan(&server, &["tls_scan"]).await;
    let tls12 = &facts.protocols[3];
    assert_eq!(tls12.order, Some(SuiteOrder::Client));
    // Offered the rest of the registry each time, a client-ordered server takes the first it
    // has: the list is the registry's order, however the listing was split.
    let registry: Vec<String> = netcheck_probe::tls::LEGACY_SUITES
        .iter()
        .map(|s| format!("0x{:04X}", s.code))
        .collect();
    let listed = order_of(&facts, "TLS 1.2");
    let mut in_registry_order = listed.clone();
    in_registry_order.sort_by_key(|c| registry.iter().position(|r| r == c));
    assert_eq!(listed.len(), 10, "{listed:?}");
    assert_eq!(listed, in_registry_order);
    assert_eq!(
        tls12.ended.kind,
        netcheck_core::checks::tls_scan::EndKind::Refused
    );
    agrees_with_sslscan(&server, &facts);
}

#[tokio::test]
async fn an_untrusted_chain_from_the_tls_check_grades_t() {
    let Some(id) = identity() else { return };
    let server = SServer::start(&id, &["-serverpref"]);
    let (report, facts) = scan(&server, &["tls", "tls_scan"]).await;
    let grade = facts.grade.as_ref().unwrap();
    assert_eq!(grade.letter, Letter::T, "{grade:?}");
    assert!(grade.if_trusted.is_some());
    assert!(facts.chain_verdict.is_some() && facts.chain_unknown.is_none());
    assert!(has_finding(check(&report, "tls_scan"), "grade_cap_chain"));
}

#[tokio::test]
async fn nothing_listening_is_a_scan_failure_in_words_not_a_crash() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut setup = Setup::default();
    setup.options.checks = vec!["tls_scan".into()];
    let report = run(&format!("https://127.0.0.1:{port}/"), setup).await;
    let scan = check(&report, "tls_scan");
    assert!(has_finding(scan, "tls_scan_failed"), "{:?}", scan.findings);
}
