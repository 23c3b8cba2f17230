//! The grade, after Qualys SSL Labs' SSL Server Rating Guide (2009, with the caps of its 2017–2020
//! updates): a score from the protocols (30 %), the key exchange (30 %) and the cipher strength
//! (40 %), each the mean of the best and the worst offered, turned into a letter (A ≥ 80, B ≥ 65,
//! C ≥ 50, D ≥ 35, E ≥ 20, else F), then capped by what the guide names: SSL 3.0, export, NULL,
//! anonymous or DES suites, DH under 1024 bits → F; RC4, 3DES with TLS 1.1+, no TLS 1.2,
//! compression → C; TLS 1.0/1.1, DH of 1024 bits, no forward secrecy, no AEAD → B; a chain the
//! `tls` check does not trust → T (with the grade it would have). A+ is an uncapped A with TLS
//! 1.3 and TLS_FALLBACK_SCSV where it applies, and, when the `site` check answered, HSTS with a
//! max-age of six months or more on the https origin, as SSL Labs' A+ asks (without the `site`
//! check the grade cannot see HSTS and does not withhold A+ for it). Pure: facts in, grade out.

use netcheck_probe::tls::{Cipher, SuiteTraits};
use serde::{Deserialize, Serialize};

use super::{ProtocolScan, SuiteSeen, TlsScanReport};
use crate::finding::Code;
use crate::report::Finding;
use crate::tls::verdict::Verdict;

/// A grade's letter; `T` stands for a chain that is not trusted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum Letter {
    T,
    F,
    E,
    D,
    C,
    B,
    A,
    #[serde(rename = "A+")]
    APlus,
}

impl Letter {
    pub fn as_str(self) -> &'static str {
        match self {
            Letter::APlus => "A+",
            Letter::A => "A",
            Letter::B => "B",
            Letter::C => "C",
            Letter::D => "D",
            Letter::E => "E",
            Letter::F => "F",
            Letter::T => "T",
        }
    }

    fn of_score(score: u32) -> Letter {
        match score {
            80.. => Letter::A,
            65.. => Letter::B,
            50.. => Letter::C,
            35.. => Letter::D,
            20.. => Letter::E,
            _ => Letter::F,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Grade {
    pub letter: Letter,
    /// With `T`: the grade if the chain were trusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_trusted: Option<Letter>,
    /// 0 to 100: 30 % protocols, 30 % key exchange, 40 % ciphers.
    pub score: u32,
    pub protocol_score: u32,
    pub key_exchange_score: u32,
    pub cipher_score: u32,
    /// Every cap that applies, in words; the grade is the lowest.
    pub caps: Vec<Cap>,
    /// Why an A is not an A+ for want of HSTS, when that is all it lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_of_a_plus: Option<String>,
}

/// SSL Labs' A+: HSTS with a max-age of at least six months (15768000 s).
const A_PLUS_HSTS: u64 = 15_768_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cap {
    /// The finding code that says it.
    pub code: String,
    pub at_most: Letter,
    pub reason: String,
}

/// The grade of a scan; `None` when the server accepted no version.
pub fn grade(r: &TlsScanReport) -> Option<Grade> {
    let accepted: Vec<&ProtocolScan> = r.accepted().collect();
    let points: Vec<u32> = accepted
        .iter()
        .map(|p| protocol_points(&p.version))
        .collect();
    let protocol_score = mean_of_extremes(&points)?;
    let suites: Vec<(&SuiteSeen, SuiteTraits)> = accepted
        .iter()
        .flat_map(|p| p.suites.iter())
        .filter_map(|s| Some((s, traits(s)?)))
        .collect();
    let ciphers: Vec<u32> = suites
        .iter()
        .map(|(_, t)| cipher_points(t.cipher_bits))
        .collect();
    let cipher_score = mean_of_extremes(&ciphers).unwrap_or(0);
    let key_exchange_score = key_exchange_points(r, &suites);
    let score = (30 * protocol_score + 30 * key_exchange_score + 40 * cipher_score + 50) / 100;
    let caps = caps(r, &accepted, &suites);
    let mut letter = caps
        .iter()
        .map(|c| c.at_most)
        .fold(Letter::of_score(score), Ord::min);
    let tls13 = accepted.iter().any(|p| p.version == "TLS 1.3");
    let mut short_of_a_plus = None;
    if letter == Letter::A && tls13 && r.extensions.fallback_scsv != Some(false) {
        match r.hsts_preload.as_ref().map(|p| p.max_age) {
            Some(None) => {
                short_of_a_plus = Some("no HSTS on the https origin".to_owned());
            }
            Some(Some(age)) if age < A_PLUS_HSTS => {
                short_of_a_plus = Some(format!(
                    "HSTS max-age is {age} s, under the six months ({A_PLUS_HSTS} s) A+ asks"
                ));
            }
            _ => letter = Letter::APlus,
        }
    }
    let mut grade = Grade {
        letter,
        if_trusted: None,
        score,
        protocol_score,
        key_exchange_score,
        cipher_score,
        caps,
        short_of_a_plus,
    };
    if let Some(chain) = r
        .chain_verdict
        .as_ref()
        .filter(|c| c.verdict != Verdict::Valid)
    {
        grade.caps.push(Cap {
            code: super::GRADE_CAP_CHAIN.name.into(),
            at_most: Letter::T,
            reason: format!(
                "the chain is not trusted ({}): {}",
                chain.verdict.as_str(),
                chain.detail
            ),
        });
        grade.if_trusted = Some(grade.letter);
        grade.letter = Letter::T;
    }
    Some(grade)
}

/// The findings of a grade: the letter, then each cap as a warning in words.
pub fn findings(g: &Grade) -> Vec<Finding> {
    let trusted = g
        .if_trusted
        .map(|l| format!(" ({} if the chain were trusted)", l.as_str()))
        .unwrap_or_default();
    let mut out = vec![Finding::info(
        &super::TLS_GRADE,
        format!(
            "grade {}{trusted}: score {} (protocols {}, key exchange {}, ciphers {})",
            g.letter.as_str(),
            g.score,
            g.protocol_score,
            g.key_exchange_score,
            g.cipher_score
        ),
    )];
    for cap in &g.caps {
        if let Some(code) = code(&cap.code) {
            let message = format!("grade capped at {}: {}", cap.at_most.as_str(), cap.reason);
            out.push(Finding::warning(code, message));
        }
    }
    if let Some(why) = &g.short_of_a_plus {
        out.push(Finding::info(
            &super::GRADE_NO_HSTS,
            format!("A, not A+: {why}"),
        ));
    }
    out
}

fn code(name: &str) -> Option<&'static Code> {
    super::CODES.iter().copied().find(|c| c.name == name)
}

fn traits(s: &SuiteSeen) -> Option<SuiteTraits> {
    let code = u16::from_str_radix(s.code.trim_start_matches("0x"), 16).ok()?;
    SuiteTraits::of(code)
}

fn mean_of_extremes(points: &[u32]) -> Option<u32> {
    let best = points.iter().max()?;
    let worst = points.iter().min()?;
    Some((best + worst) / 2)
}

/// The guide's protocol support scores.
fn protocol_points(version: &str) -> u32 {
    match version {
        "SSL 3.0" => 80,
        "TLS 1.0" => 90,
        "TLS 1.1" => 95,
        _ => 100,
    }
}

/// The guide's cipher strength scores, by key size.
fn cipher_points(bits: u16) -> u32 {
    match bits {
        0 => 0,
        1..128 => 20,
        128..256 => 80,
        _ => 100,
    }
}

/// The guide's key exchange scores, by the weakest key a client may meet: the certificate's
/// (an EC key counted as the RSA size of equal strength, NIST SP 800-57), an ephemeral DH
/// prime, an export suite's 512-bit temporary key; anonymous suites score 0.
fn key_exchange_points(r: &TlsScanReport, suites: &[(&SuiteSeen, SuiteTraits)]) -> u32 {
    if suites.iter().any(|(_, t)| t.anonymous) {
        return 0;
    }
    let mut sizes: Vec<u32> = suites.iter().filter_map(|(s, _)| s.dh_bits).collect();
    if suites.iter().any(|(_, t)| t.export) {
        sizes.push(512);
    }
    if let Some(key) = &r.certificate_key {
        sizes.push(match key.key_type.as_str() {
            "RSA" | "DSA" => key.bits,
            // EC P-256 and Ed25519 are about RSA 3072; P-384 and up, RSA 7680 and more.
            _ if key.bits >= 384 => 7680,
            _ => 3072,
        });
    }
    match sizes.into_iter().min() {
        None => 90,
        Some(bits) => match bits {
            0..512 => 20,
            512..1024 => 40,
            1024..2048 => 80,
            2048..4096 => 90,
            _ => 100,
        },
    }
}

fn caps(
    r: &TlsScanReport,
    accepted: &[&ProtocolScan],
    suites: &[(&SuiteSeen, SuiteTraits)],
) -> Vec<Cap> {
    use super::{
        GRADE_CAP_3DES, GRADE_CAP_COMPRESSION, GRADE_CAP_INSECURE_SUITES, GRADE_CAP_NO_AEAD,
        GRADE_CAP_NO_FORWARD_SECRECY, GRADE_CAP_NO_TLS12, GRADE_CAP_OLD_TLS, GRADE_CAP_RC4,
        GRADE_CAP_SSL3, GRADE_CAP_WEAK_DH,
    };
    let mut caps = Vec::new();
    let mut cap = |code: &Code, at_most: Letter, reason: String| {
        caps.push(Cap {
            code: code.name.into(),
            at_most,
            reason,
        });
    };
    let has = |v: &str| accepted.iter().any(|p| p.version == v);
    if has("SSL 3.0") {
        cap(
            &GRADE_CAP_SSL3,
            Letter::F,
            "the server accepts SSL 3.0 (POODLE)".into(),
        );
    }
    let insecure = names(suites, |t| {
        t.export || t.anonymous || matches!(t.cipher, Cipher::Null | Cipher::Des | Cipher::Rc2)
    });
    if !insecure.is_empty() {
        let reason = format!(
            "the server accepts insecure suites: {}",
            insecure.join(", ")
        );
        cap(&GRADE_CAP_INSECURE_SUITES, Letter::F, reason);
    }
    if let Some(bits) = suites.iter().filter_map(|(s, _)| s.dh_bits).min() {
        let reason = format!("Diffie-Hellman parameters of {bits} bits (Logjam)");
        if bits < 1024 {
            cap(&GRADE_CAP_WEAK_DH, Letter::F, reason);
        } else if bits < 2048 {
            cap(&GRADE_CAP_WEAK_DH, Letter::B, reason);
        }
    }
    let rc4 = names(suites, |t| t.cipher == Cipher::Rc4);
    if !rc4.is_empty() {
        let reason = format!("the server accepts RC4: {}", rc4.join(", "));
        cap(&GRADE_CAP_RC4, Letter::C, reason);
    }
    let modern_3des = accepted
        .iter()
        .filter(|p| !matches!(p.version.as_str(), "SSL 3.0" | "TLS 1.0"))
        .flat_map(|p| p.suites.iter())
        .any(|s| traits(s).is_some_and(|t| t.cipher == Cipher::TripleDes));
    if modern_3des {
        let reason = "3DES with TLS 1.1 or newer (Sweet32)".into();
        cap(&GRADE_CAP_3DES, Letter::C, reason);
    }
    if !has("TLS 1.2") && !has("TLS 1.3") {
        cap(
            &GRADE_CAP_NO_TLS12,
            Letter::C,
            "the server does not accept TLS 1.2 or TLS 1.3".into(),
        );
    }
    if r.extensions.compression == Some(true) {
        cap(
            &GRADE_CAP_COMPRESSION,
            Letter::C,
            "the server compresses TLS records (CRIME)".into(),
        );
    }
    let old: Vec<&str> = ["TLS 1.0", "TLS 1.1"]
        .into_iter()
        .filter(|v| has(v))
        .collect();
    if !old.is_empty() {
        let reason = format!("the server accepts {} (RFC 8996)", old.join(" and "));
        cap(&GRADE_CAP_OLD_TLS, Letter::B, reason);
    }
    // The suite a modern client gets: the best version's first choice.
    let preferred = accepted.last().and_then(|p| p.suites.first());
    if !suites.iter().any(|(_, t)| t.forward_secrecy) {
        let reason = "no suite has forward secrecy".into();
        cap(&GRADE_CAP_NO_FORWARD_SECRECY, Letter::B, reason);
    } else if let Some(p) = preferred.filter(|p| !p.forward_secrecy) {
        let reason = format!("the preferred suite {} has no forward secrecy", p.name);
        cap(&GRADE_CAP_NO_FORWARD_SECRECY, Letter::B, reason);
    }
    if !suites.iter().any(|(_, t)| t.aead) {
        let reason = "no AEAD suite (GCM, CCM or ChaCha20-Poly1305)".into();
        cap(&GRADE_CAP_NO_AEAD, Letter::B, reason);
    }
    caps
}

/// The names of the suites that `keep` picks, each once.
fn names<'s>(
    suites: &[(&'s SuiteSeen, SuiteTraits)],
    keep: impl Fn(&SuiteTraits) -> bool,
) -> Vec<&'s str> {
    let mut n: Vec<&str> = suites
        .iter()
        .filter(|(_, t)| keep(t))
        .map(|(s, _)| s.name.as_str())
        .collect();
    n.sort_unstable();
    n.dedup();
    n
}
