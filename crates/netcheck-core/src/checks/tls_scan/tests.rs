//! The grade from fixture scans, one per cap: the facts a scan of such a server gathers, in,
//! the letter and the findings that say why, out.

use super::*;

/// A suite as the scan records it, from its code point.
fn suite(code: u16) -> SuiteSeen {
    let traits = netcheck_probe::tls::SuiteTraits::of(code).unwrap();
    SuiteSeen {
        name: netcheck_probe::tls::suite_name(code).unwrap().into(),
        code: format!("0x{code:04X}"),
        forward_secrecy: traits.forward_secrecy,
        aead: traits.aead,
        cipher_bits: traits.cipher_bits,
        weak: weakness(&traits),
        key_exchange: None,
        dh_bits: None,
    }
}

fn protocol(version: &str, codes: &[u16]) -> ProtocolScan {
    ProtocolScan {
        version: version.into(),
        accepted: !codes.is_empty(),
        suites: codes.iter().map(|&c| suite(c)).collect(),
        order: None,
        ended: ProbeEnd {
            kind: EndKind::Refused,
            message: "fatal handshake_failure (40)".into(),
        },
    }
}

/// A modern server: TLS 1.2 (ECDHE-GCM) and TLS 1.3, an RSA 2048 key, fallback SCSV, a trusted
/// chain.
fn modern() -> TlsScanReport {
    let mut r = TlsScanReport::new("www.example.test", 443, false);
    r.protocols = vec![
        protocol("SSL 3.0", &[]),
        protocol("TLS 1.0", &[]),
        protocol("TLS 1.1", &[]),
        protocol("TLS 1.2", &[0xC030, 0xC02F]),
        protocol("TLS 1.3", &[0x1302, 0x1301]),
    ];
    r.extensions.fallback_scsv = Some(true);
    r.extensions.compression = Some(false);
    r.certificate_key = Some(CertificateKey {
        key_type: "RSA".into(),
        bits: 2048,
    });
    r.chain_verdict = Some(ChainSeen {
        verdict: Verdict::Valid,
        detail: "the chain to a trusted root is valid for www.example.test".into(),
    });
    r
}

fn with(mut r: TlsScanReport, version: &str, codes: &[u16]) -> TlsScanReport {
    let p = r
        .protocols
        .iter_mut()
        .find(|p| p.version == version)
        .unwrap();
    *p = protocol(version, codes);
    r
}

/// The letter, and the codes of the findings, of a fixture.
fn graded(r: &TlsScanReport) -> (Letter, Vec<String>) {
    let g = grade(r).unwrap();
    let mut r = r.clone();
    r.grade = Some(g.clone());
    let codes = assess(&r).into_iter().map(|f| f.code).collect();
    (g.letter, codes)
}

fn assert_capped(r: &TlsScanReport, letter: Letter, code: &str) {
    let (got, codes) = graded(r);
    assert_eq!(got, letter, "{codes:?}");
    assert!(codes.iter().any(|c| c == code), "{code} not in {codes:?}");
    let g = grade(r).unwrap();
    let cap = g.caps.iter().find(|c| c.code == code).unwrap();
    assert!(!cap.reason.is_empty());
}

#[test]
fn a_modern_server_earns_a_plus_with_no_cap() {
    let (letter, codes) = graded(&modern());
    assert_eq!(letter, Letter::APlus);
    assert_eq!(codes, ["tls_grade"]);
    let g = grade(&modern()).unwrap();
    assert_eq!(
        (g.protocol_score, g.key_exchange_score, g.cipher_score),
        (100, 90, 90)
    );
    assert_eq!(g.score, 93);
}

fn preload(max_age: Option<u64>) -> HstsPreload {
    HstsPreload {
        ready: false,
        header: max_age.map(|a| format!("max-age={a}")),
        max_age,
        unmet: vec!["the preload directive".into()],
        unchecked: Vec::new(),
    }
}

#[test]
fn a_plus_asks_for_hsts_of_six_months_when_the_site_was_seen() {
    let mut r = modern();
    r.hsts_preload = Some(preload(None));
    let (letter, codes) = graded(&r);
    assert_eq!(letter, Letter::A);
    assert!(codes.contains(&"grade_no_hsts".to_owned()), "{codes:?}");
    r.hsts_preload = Some(preload(Some(86_400)));
    let g = grade(&r).unwrap();
    assert_eq!(g.letter, Letter::A);
    assert!(g.short_of_a_plus.unwrap().contains("86400 s"));
    r.hsts_preload = Some(preload(Some(15_768_000)));
    assert_eq!(graded(&r).0, Letter::APlus);
}

#[test]
fn without_tls_1_3_or_fallback_protection_a_is_not_a_plus() {
    let (letter, _) = graded(&with(modern(), "TLS 1.3", &[]));
    assert_eq!(letter, Letter::A);
    let mut r = modern();
    r.extensions.fallback_scsv = Some(false);
    let (letter, codes) = graded(&r);
    assert_eq!(letter, Letter::A);
    assert!(codes.contains(&"tls_no_fallback_scsv".to_owned()));
}

#[test]
fn tls_1_0_or_1_1_caps_at_b() {
    assert_capped(
        &with(modern(), "TLS 1.0", &[0xC014]),
        Letter::B,
        "grade_cap_old_tls",
    );
    assert_capped(
        &with(modern(), "TLS 1.1", &[0xC014]),
        Letter::B,
        "grade_cap_old_tls",
    );
}

#[test]
fn no_forward_secrecy_caps_at_b() {
    let r = with(with(modern(), "TLS 1.3", &[]), "TLS 1.2", &[0x009D, 0x009C]);
    assert_capped(&r, Letter::B, "grade_cap_no_forward_secrecy");
    // Forward secrecy offered, but not with the suite the server prefers.
    let r = with(with(modern(), "TLS 1.3", &[]), "TLS 1.2", &[0x009D, 0xC030]);
    assert_capped(&r, Letter::B, "grade_cap_no_forward_secrecy");
}

#[test]
fn no_aead_caps_at_b() {
    let r = with(with(modern(), "TLS 1.3", &[]), "TLS 1.2", &[0xC028, 0xC014]);
    assert_capped(&r, Letter::B, "grade_cap_no_aead");
}

#[test]
fn dh_of_1024_bits_caps_at_b_and_smaller_at_f() {
    let mut r = with(modern(), "TLS 1.2", &[0xC030, 0x009F]);
    r.protocols[3].suites[1].dh_bits = Some(1024);
    assert_capped(&r, Letter::B, "grade_cap_weak_dh");
    r.protocols[3].suites[1].dh_bits = Some(512);
    assert_capped(&r, Letter::F, "grade_cap_weak_dh");
}

#[test]
fn rc4_caps_at_c() {
    let r = with(modern(), "TLS 1.2", &[0xC030, 0x0005]);
    assert_capped(&r, Letter::C, "grade_cap_rc4");
}

#[test]
fn triple_des_with_tls_1_1_or_newer_caps_at_c() {
    let r = with(modern(), "TLS 1.2", &[0xC030, 0x000A]);
    assert_capped(&r, Letter::C, "grade_cap_3des");
}

#[test]
fn no_tls_1_2_caps_at_c() {
    let r = with(
        with(with(modern(), "TLS 1.3", &[]), "TLS 1.2", &[]),
        "TLS 1.0",
        &[0xC014, 0x0035],
    );
    let (letter, codes) = graded(&r);
    assert_eq!(letter, Letter::C, "{codes:?}");
    assert!(codes.contains(&"grade_cap_no_tls12".to_owned()));
    assert!(
        codes.contains(&"grade_cap_old_tls".to_owned()),
        "the B cap is said too"
    );
}

#[test]
fn compression_caps_at_c() {
    let mut r = modern();
    r.extensions.compression = Some(true);
    assert_capped(&r, Letter::C, "grade_cap_compression");
}

#[test]
fn ssl_3_caps_at_f() {
    let r = with(modern(), "SSL 3.0", &[0x0035]);
    assert_capped(&r, Letter::F, "grade_cap_ssl3");
}

#[test]
fn export_null_and_anonymous_suites_cap_at_f() {
    for code in [0x0003, 0x0002, 0x0034, 0x0009] {
        let r = with(modern(), "TLS 1.2", &[0xC030, code]);
        assert_capped(&r, Letter::F, "grade_cap_insecure_suites");
    }
}

#[test]
fn an_untrusted_chain_is_t_with_the_grade_it_would_have() {
    let mut r = with(modern(), "TLS 1.0", &[0xC014]);
    r.chain_verdict = Some(ChainSeen {
        verdict: Verdict::SelfSigned,
        detail: "'x' is signed by itself, not by a trusted authority".into(),
    });
    assert_capped(&r, Letter::T, "grade_cap_chain");
    assert_eq!(grade(&r).unwrap().if_trusted, Some(Letter::B));
}

#[test]
fn without_the_tls_checks_verdict_the_grade_says_it_left_the_chain_out() {
    let mut r = modern();
    r.chain_verdict = None;
    r.chain_unknown = Some("the tls check did not run".into());
    let (letter, codes) = graded(&r);
    assert_eq!(letter, Letter::APlus);
    assert!(codes.contains(&"grade_without_chain".to_owned()));
}

#[test]
fn the_lowest_cap_wins_and_every_cap_is_said() {
    let r = with(with(modern(), "SSL 3.0", &[0x0005]), "TLS 1.0", &[0x0005]);
    let (letter, codes) = graded(&r);
    assert_eq!(letter, Letter::F);
    for code in ["grade_cap_ssl3", "grade_cap_rc4", "grade_cap_old_tls"] {
        assert!(codes.contains(&code.to_owned()), "{code}: {codes:?}");
    }
}

#[test]
fn a_version_cut_short_by_a_reset_is_a_warning_and_an_unanswered_one_a_note() {
    let mut r = modern();
    r.protocols[3].ended = ProbeEnd {
        kind: EndKind::Reset,
        message: "the server reset the connection after 0 bytes".into(),
    };
    r.protocols[0].ended = ProbeEnd {
        kind: EndKind::Silent,
        message: "no answer before the deadline (0 bytes received)".into(),
    };
    let codes: Vec<String> = assess(&r).into_iter().map(|f| f.code).collect();
    assert!(
        codes.contains(&"tls_scan_cut_short".to_owned()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"tls_scan_unanswered".to_owned()),
        "{codes:?}"
    );
}

#[test]
fn a_scan_with_no_connection_or_no_version_says_so_and_has_no_grade() {
    let mut r = TlsScanReport::new("www.example.test", 443, false);
    r.error = Some("could not connect to www.example.test".into());
    assert_eq!(assess(&r)[0].code, "tls_scan_failed");
    r.error = None;
    r.protocols = vec![protocol("TLS 1.2", &[])];
    assert_eq!(grade(&r), None);
    assert_eq!(assess(&r)[0].code, "tls_scan_no_protocol");
}

#[test]
fn the_report_reads_back_from_json_the_same() {
    let mut r = modern();
    r.grade = grade(&r);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["grade"]["letter"], "A+");
    assert_eq!(json["protocols"][3]["suites"][0]["code"], "0xC030");
    let back: TlsScanReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}
