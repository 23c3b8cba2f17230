//! The `tls_scan` check: which protocol versions and cipher suites the server accepts, in the
//! order it prefers them, which key-exchange groups, which extensions, and a grade A+ to F after
//! SSL Labs' SSL Server Rating Guide. rustls cannot offer SSL 3.0 or a weak suite, so the
//! hellos are the probe crate's codec (`netcheck_probe::tls`); the strategy that chooses them
//! is `scan.rs`, the grade is `grade.rs` (pure), and the words of a weak suite are
//! `weakness.rs`. The chain is judged by the `tls` check alone; its verdict reaches the grade
//! through the run's context (`Context::chain_verdict`).

mod grade;
mod preload;
mod scan;
mod weakness;

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::check::{ChainVerdict, Check, CheckError, CheckMeta, Context, Facts};
use crate::report::{Finding, millis};
use crate::tls::verdict::Verdict;

pub use grade::{Cap, Grade, Letter, grade};
pub use weakness::weakness;

crate::finding_codes! {
    /// The grade, A+ to F (T when the chain is not trusted), and its score.
    TLS_GRADE = "tls_grade", Info;
    /// Capped at F: the server accepts SSL 3.0 (POODLE).
    GRADE_CAP_SSL3 = "grade_cap_ssl3", Warning;
    /// Capped at F: the server accepts export, NULL, anonymous or single-DES suites.
    GRADE_CAP_INSECURE_SUITES = "grade_cap_insecure_suites", Warning;
    /// Capped at F (under 1024 bits) or B (1024 bits): small Diffie-Hellman parameters (Logjam).
    GRADE_CAP_WEAK_DH = "grade_cap_weak_dh", Warning;
    /// Capped at C: the server accepts RC4 (RFC 7465 forbids it).
    GRADE_CAP_RC4 = "grade_cap_rc4", Warning;
    /// Capped at C: 3DES, a 64-bit block cipher (Sweet32), with TLS 1.1 or newer.
    GRADE_CAP_3DES = "grade_cap_3des", Warning;
    /// Capped at C: the server does not accept TLS 1.2.
    GRADE_CAP_NO_TLS12 = "grade_cap_no_tls12", Warning;
    /// Capped at C: the server compresses TLS records (CRIME).
    GRADE_CAP_COMPRESSION = "grade_cap_compression", Warning;
    /// Capped at B: the server accepts TLS 1.0 or TLS 1.1 (RFC 8996 deprecates them).
    GRADE_CAP_OLD_TLS = "grade_cap_old_tls", Warning;
    /// Capped at B: no suite with forward secrecy, or not with the server's preferred suite.
    GRADE_CAP_NO_FORWARD_SECRECY = "grade_cap_no_forward_secrecy", Warning;
    /// Capped at B: no AEAD suite (GCM, CCM, ChaCha20-Poly1305).
    GRADE_CAP_NO_AEAD = "grade_cap_no_aead", Warning;
    /// Graded T: the `tls` check's verdict is that the chain is not trusted.
    GRADE_CAP_CHAIN = "grade_cap_chain", Warning;
    /// The grade leaves the chain out: the `tls` check did not run or reached no verdict.
    GRADE_WITHOUT_CHAIN = "grade_without_chain", Info;
    /// The site meets every requirement of the HSTS preload list that netcheck can see.
    HSTS_PRELOAD_READY = "hsts_preload_ready", Info;
    /// The site does not meet the HSTS preload list's requirements, each one said in words.
    HSTS_PRELOAD_NOT_READY = "hsts_preload_not_ready", Info;
    /// An A withheld from A+: no HSTS of six months or more on the https origin.
    GRADE_NO_HSTS = "grade_no_hsts", Info;
    /// The server picks from the client's order, not its own.
    TLS_CLIENT_ORDER = "tls_client_order", Info;
    /// The server does not refuse a downgraded hello with TLS_FALLBACK_SCSV (RFC 7507).
    TLS_NO_FALLBACK_SCSV = "tls_no_fallback_scsv", Info;
    /// A version's suites were being listed when the server reset the connection, closed it or
    /// went silent: the list may be short.
    TLS_SCAN_CUT_SHORT = "tls_scan_cut_short", Warning;
    /// A version's first hello met a reset, a hang-up or silence rather than an alert: counted
    /// as not accepted.
    TLS_SCAN_UNANSWERED = "tls_scan_unanswered", Info;
    /// The server accepted none of the versions offered.
    TLS_SCAN_NO_PROTOCOL = "tls_scan_no_protocol", Warning;
    /// No connection could be made for the scan.
    TLS_SCAN_FAILED = "tls_scan_failed", Warning;
}

pub static META: CheckMeta = CheckMeta {
    id: "tls_scan",
    title: "TLS scan",
    summary: "Protocol versions and cipher suites accepted, in the server's order; groups, extensions; a grade A+ to F",
    needs_privileges: false,
    default_timeout: Duration::from_secs(10),
    codes: CODES,
};

pub struct TlsScanCheck;

/// What the scan found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsScanReport {
    pub server_name: String,
    /// The port scanned: the target's, or 443 for an http:// target.
    pub port: u16,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub https_origin_of_http_target: bool,
    /// The one address every hello went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<SocketAddr>,
    /// One entry per version offered, oldest first: SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3.
    pub protocols: Vec<ProtocolScan>,
    /// Key-exchange groups the server accepts (X25519, P-256, FFDHE…), and with which version
    /// that was asked.
    pub groups: Vec<GroupSeen>,
    /// Signature algorithms the server signs its handshake with, each offered alone.
    #[serde(default)]
    pub signature_algorithms: Vec<SignatureSeen>,
    pub extensions: ExtensionsSeen,
    /// The key of the certificate the scan's hellos were answered with (TLS 1.2 and below).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_key: Option<CertificateKey>,
    /// The `tls` check's verdict on the chain, when it reached one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_verdict: Option<ChainSeen>,
    /// Why the grade leaves the chain out, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_unknown: Option<String>,
    /// Whether the site is ready for the browsers' HSTS preload list, from the `site` check's
    /// answers and the chain's verdict; absent when the `site` check did not answer in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsts_preload: Option<HstsPreload>,
    /// Absent when the server accepted nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    /// Hellos sent, and the connections open at once at most.
    pub handshakes: u32,
    pub max_connections: usize,
    pub duration_ms: f64,
    /// Why nothing could be scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One protocol version: accepted or not, and its suites in the order the server chose them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProtocolScan {
    /// `SSL 3.0`, `TLS 1.0`, … `TLS 1.3`.
    pub version: String,
    pub accepted: bool,
    /// Offered all the suites not yet seen, the server chose these, one per hello, in this order.
    pub suites: Vec<SuiteSeen>,
    /// Whose order the server follows, when it accepts two suites or more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<SuiteOrder>,
    /// How the last hello of the version was answered.
    pub ended: ProbeEnd,
}

/// A suite the server accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuiteSeen {
    /// The IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`.
    pub name: String,
    /// The two-byte code point, e.g. `0xC030`.
    pub code: String,
    pub forward_secrecy: bool,
    pub aead: bool,
    /// The cipher's key size; 0 for NULL encryption.
    pub cipher_bits: u16,
    /// Why the suite is weak, in words; absent for a good one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak: Option<String>,
    /// What the ServerKeyExchange (or TLS 1.3 key_share) used: `x25519`, `DH 2048 bits`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_exchange: Option<String>,
    /// The size of the DH prime, for DHE suites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuiteOrder {
    /// Offered the whole registry backwards, the server chose its first suite again.
    Server,
    /// Offered the registry backwards, the server chose another suite: the first it has in
    /// the client's offer.
    Client,
    /// The backwards hello was not answered with a suite.
    Unclear,
}

/// How a hello was answered, when it ended the listing of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProbeEnd {
    pub kind: EndKind,
    /// In words: `fatal handshake_failure (40)`, `the server answered with TLS 1.2`.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndKind {
    /// Every suite offered was accepted.
    Exhausted,
    /// An alert: the server has no (more) suite for the hello.
    Refused,
    /// A ServerHello for another version: this one is not accepted.
    OtherVersion,
    /// A ServerHello choosing a suite that was not offered.
    Misbehaved,
    Reset,
    Closed,
    Silent,
    NotTls,
    Malformed,
    /// No connection could be made for the hello.
    NoConnection,
    /// The check's time ran out before the listing ended.
    OutOfTime,
}

impl EndKind {
    /// The server stopped answering rather than refusing: what was listed may be short.
    pub fn is_cut_short(self) -> bool {
        matches!(
            self,
            EndKind::Reset | EndKind::Closed | EndKind::Silent | EndKind::OutOfTime
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupSeen {
    /// The IANA name: `x25519`, `secp256r1`, `ffdhe2048`.
    pub name: String,
    pub code: u16,
    /// The version whose hellos asked: `TLS 1.3` (supported_groups with no key share, answered
    /// by a HelloRetryRequest) or `TLS 1.2` (ECDHE suites and one curve).
    pub asked_with: String,
}

/// The requirements of hstspreload.org, as far as one report shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HstsPreload {
    /// Every requirement checked is met.
    pub ready: bool,
    /// The Strict-Transport-Security header of the host's first https answer, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// Each requirement not met, in words.
    pub unmet: Vec<String>,
    /// Each requirement this report cannot tell, in words.
    pub unchecked: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SignatureSeen {
    /// RFC 8446's name (`rsa_pss_rsae_sha256`), or the TLS 1.2 pair (`rsa_sha1`).
    pub name: String,
    /// The two-byte code point, e.g. `0x0804`.
    pub code: String,
    /// `TLS 1.2` (the ServerKeyExchange was signed with it) or `TLS 1.3` (a ServerHello came
    /// with only it offered).
    pub asked_with: String,
}

/// The extensions and behaviours the server's answers show; absent when nothing told.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExtensionsSeen {
    /// renegotiation_info in the ServerHello (RFC 5746).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure_renegotiation: Option<bool>,
    /// A downgraded hello with TLS_FALLBACK_SCSV was refused with inappropriate_fallback
    /// (RFC 7507); absent when the server accepts a single version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_scsv: Option<bool>,
    /// The server chose DEFLATE when offered it (RFC 3749).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<bool>,
    /// The ServerHello carried a session id to resume by (RFC 5246 §7.4.1.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_ids: Option<bool>,
    /// The server will issue a session ticket (RFC 5077).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_tickets: Option<bool>,
    /// A stapled OCSP response came (status_request, RFC 6066 §8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp_stapling: Option<bool>,
    /// SCTs in the handshake's signed_certificate_timestamp extension (RFC 6962 §3.3.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scts_in_handshake: Option<bool>,
    /// SCTs embedded in the certificate (RFC 6962 §3.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scts_in_certificate: Option<bool>,
    /// extended_master_secret (RFC 7627).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_master_secret: Option<bool>,
    /// encrypt_then_mac (RFC 7366).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypt_then_mac: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertificateKey {
    /// `RSA`, `EC P-256`, `Ed25519`, as the `tls` check names them.
    pub key_type: String,
    pub bits: u32,
}

/// The `tls` check's verdict, as the grade read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainSeen {
    pub verdict: Verdict,
    pub detail: String,
}

impl From<ChainVerdict> for ChainSeen {
    fn from(c: ChainVerdict) -> ChainSeen {
        ChainSeen {
            verdict: c.verdict,
            detail: c.detail,
        }
    }
}

impl TlsScanReport {
    pub fn new(server_name: &str, port: u16, https_origin_of_http_target: bool) -> TlsScanReport {
        TlsScanReport {
            server_name: server_name.to_owned(),
            port,
            https_origin_of_http_target,
            address: None,
            protocols: Vec::new(),
            groups: Vec::new(),
            signature_algorithms: Vec::new(),
            extensions: ExtensionsSeen::default(),
            certificate_key: None,
            chain_verdict: None,
            chain_unknown: None,
            hsts_preload: None,
            grade: None,
            handshakes: 0,
            max_connections: 0,
            duration_ms: 0.0,
            error: None,
        }
    }

    /// The versions accepted, oldest first.
    pub fn accepted(&self) -> impl Iterator<Item = &ProtocolScan> {
        self.protocols.iter().filter(|p| p.accepted)
    }
}

/// How long the scan waits, once done, for the `tls` check's verdict: never past this margin
/// before its own deadline, so that a slow `tls` check cannot cost the scan its facts.
const VERDICT_MARGIN: Duration = Duration::from_millis(300);

impl Check for TlsScanCheck {
    const META: &'static CheckMeta = &META;
    type Facts = TlsScanReport;

    async fn run(&self, ctx: &Context, deadline: Instant) -> Result<TlsScanReport, CheckError> {
        let started = Instant::now();
        let mut report = scan::scan(ctx, deadline).await;
        let until = deadline
            .checked_sub(VERDICT_MARGIN)
            .unwrap_or(deadline)
            .max(Instant::now());
        let tls = ctx.options.runs(crate::checks::tls::META.id);
        let site = ctx.options.runs(crate::checks::site::META.id);
        let (verdict, origin) = futures::join!(
            async {
                if tls {
                    ctx.chain_verdict(until).await
                } else {
                    None
                }
            },
            async {
                if site {
                    ctx.origin(until).await.flatten()
                } else {
                    None
                }
            },
        );
        match verdict {
            _ if !tls => report.chain_unknown = Some("the tls check did not run".into()),
            Some(Some(v)) => report.chain_verdict = Some(v.into()),
            Some(None) => {
                report.chain_unknown = Some("the tls check reached no verdict".into());
            }
            None => {
                report.chain_unknown = Some("the tls check had not ended in time".into());
            }
        }
        report.hsts_preload = origin.map(|o| preload::judge(&report, &o));
        report.grade = grade(&report);
        report.duration_ms = millis(started.elapsed());
        Ok(report)
    }
}

impl Facts for TlsScanReport {
    fn assess(&self) -> Vec<Finding> {
        assess(self)
    }
}

/// The findings: the grade and each cap in words, then what the scan itself met.
pub fn assess(report: &TlsScanReport) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(e) = &report.error {
        findings.push(Finding::warning(
            &TLS_SCAN_FAILED,
            format!("no TLS scan: {e}"),
        ));
        return findings;
    }
    if report.accepted().next().is_none() {
        findings.push(Finding::warning(
            &TLS_SCAN_NO_PROTOCOL,
            "the server accepted none of SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3",
        ));
    }
    if let Some(g) = &report.grade {
        findings.extend(grade::findings(g));
    }
    if let (Some(reason), Some(_)) = (&report.chain_unknown, &report.grade) {
        findings.push(Finding::info(
            &GRADE_WITHOUT_CHAIN,
            format!("the grade leaves the chain out: {reason}"),
        ));
    }
    for p in &report.protocols {
        if p.accepted && p.ended.kind.is_cut_short() {
            findings.push(Finding::warning(
                &TLS_SCAN_CUT_SHORT,
                format!(
                    "{}: the listing of suites stopped after {}: {}",
                    p.version,
                    p.suites.len(),
                    p.ended.message
                ),
            ));
        } else if !p.accepted && p.ended.kind.is_cut_short() {
            findings.push(Finding::info(
                &TLS_SCAN_UNANSWERED,
                format!(
                    "{}: no alert, {}; counted as not accepted",
                    p.version, p.ended.message
                ),
            ));
        }
        if p.order == Some(SuiteOrder::Client) {
            findings.push(Finding::info(
                &TLS_CLIENT_ORDER,
                format!(
                    "{}: the server takes the client's order of suites, not its own",
                    p.version
                ),
            ));
        }
    }
    if let Some(p) = &report.hsts_preload {
        findings.push(preload::finding(p));
    }
    if report.extensions.fallback_scsv == Some(false) {
        findings.push(Finding::info(
            &TLS_NO_FALLBACK_SCSV,
            "a downgraded hello with TLS_FALLBACK_SCSV was accepted (RFC 7507 asks the server to refuse it)",
        ));
    }
    findings
}

#[cfg(test)]
mod tests;
