//! The `tls` check: one handshake with the target, reporting the negotiated version, cipher
//! suite, key-exchange group and ALPN, the chain as the server sent it, and a verdict on it.
//! The verdict never stops the handshake (see `tls::RecordingVerifier`).
//!
//! For a plain http:// target the check shakes hands with the host's https origin (port 443):
//! whether the host offers HTTPS at all, and with what certificate, is what a person asking
//! about an http:// address wants to know next. Its problems there are warnings, not failures:
//! the http:// site may work without it.

use std::time::Duration;

use rustls::{CertificateError, Error as TlsError};
use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::check::{ChainVerdict, Check, CheckError, CheckMeta, Context, Facts};
use crate::dial::Dialer;
use crate::finding::Code;
use crate::report::{Finding, Severity, millis};
use crate::tls::certificate::CertificateInfo;
use crate::tls::verdict::{Evidence, IssuerFetch, Verdict, classify, weakness};
use crate::tls::{SeenChain, TlsClient, handshake_failure, negotiated, server_name};
use crate::web::{
    FetchError, HttpClient, SmallFetchError, Timings, fetch_small, resolve_and_connect,
};

crate::finding_codes! {
    /// The target is http:// and its https origin cannot be reached.
    NO_HTTPS = "no_https", Warning, Tls;
    /// The target is http://: TLS was checked at its https origin.
    HTTPS_ORIGIN_CHECKED = "https_origin_checked", Info;
    /// The server shares no TLS version or cipher suite with netcheck.
    TLS_NO_COMMON_PROTOCOL = "tls_no_common_protocol", Failure, Tls;
    /// The TLS handshake failed.
    TLS_HANDSHAKE_FAILED = "tls_handshake_failed", Failure, Tls;
    /// No connection could be made in time.
    TLS_CONNECT_TIMEOUT = "tls_connect_timeout", Failure, Connection;
    /// The check's time ran out during the TLS handshake.
    TLS_TIMEOUT = "tls_timeout", Failure, Tls;
    /// The connection was refused.
    TLS_REFUSED = "tls_refused", Failure, Connection;
    /// The host name could not be resolved.
    TLS_DNS = "tls_dns", Failure, Name;
    /// The target policy refuses the server's address: no handshake was tried.
    TLS_FORBIDDEN = "tls_forbidden", Failure, Connection;
    /// A certificate's AIA URL points to an internal address: the target policy refuses it,
    /// so it was not fetched.
    AIA_FORBIDDEN = "aia_forbidden", Warning;
    /// No connection could be made (the network is unreachable, say).
    TLS_CONNECT_FAILED = "tls_connect_failed", Failure, Connection;
    /// The certificate is valid but expires within 14 days.
    CERTIFICATE_EXPIRES_SOON = "certificate_expires_soon", Warning, Tls;
    /// The certificate is valid: for how many more days.
    CERTIFICATE_VALID = "certificate_valid", Info;
    /// The server still sends an expired certificate that the valid path does not need.
    CERTIFICATE_EXPIRED_UNUSED = "certificate_expired_unused", Info;
    /// The certificate (or one in its chain) has expired.
    CERTIFICATE_EXPIRED = "certificate_expired", Failure, Tls;
    /// The certificate is not valid yet.
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid", Failure, Tls;
    /// The certificate is not for the host name.
    CERTIFICATE_HOSTNAME_MISMATCH = "certificate_hostname_mismatch", Failure, Tls;
    /// The chain ends at a root that is not trusted.
    CERTIFICATE_UNTRUSTED_ROOT = "certificate_untrusted_root", Failure, Tls;
    /// A single certificate that signed itself.
    CERTIFICATE_SELF_SIGNED = "certificate_self_signed", Failure, Tls;
    /// The server left out an intermediate certificate.
    CERTIFICATE_INCOMPLETE_CHAIN = "certificate_incomplete_chain", Failure, Tls;
    /// The verdict: a key too small to trust.
    CERTIFICATE_WEAK_KEY = "certificate_weak_key", Failure, Tls;
    /// The verdict: a certificate signed with MD5, MD2/MD4 or SHA-1.
    CERTIFICATE_WEAK_SIGNATURE = "certificate_weak_signature", Failure, Tls;
    /// The verdict: a key or signature algorithm no browser supports.
    CERTIFICATE_UNSUPPORTED_ALGORITHM = "certificate_unsupported_algorithm", Failure, Tls;
    /// The certificate is invalid for another reason WebPKI gives (revoked, wrong usage, malformed).
    CERTIFICATE_INVALID = "certificate_invalid", Failure, Tls;
    /// A key too small to trust, beside another verdict.
    WEAK_KEY = "weak_key", Warning;
    /// A certificate signed with MD5, MD2/MD4 or SHA-1, beside another verdict.
    WEAK_SIGNATURE = "weak_signature", Warning;
    /// A key or signature algorithm no browser supports, beside another verdict.
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm", Warning;
}

pub static META: CheckMeta = CheckMeta {
    id: "tls",
    title: "TLS",
    summary: "Negotiated version, cipher and ALPN; the certificate chain; a verdict on it",
    needs_privileges: false,
    default_timeout: Duration::from_secs(10),
    codes: CODES,
};

/// Certificates this close to expiry earn a warning.
const EXPIRY_WARNING_DAYS: i64 = 14;
/// An AIA fetch gets this long at most.
const AIA_BOUND: Duration = Duration::from_secs(3);

pub struct TlsCheck;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsReport {
    pub server_name: String,
    /// The port shaken hands with: the target's, or 443 for an http:// target.
    pub port: u16,
    /// The target is a plain http:// URL and this is its https origin.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub https_origin_of_http_target: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<std::net::SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_exchange_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    /// End entity first, as the server sent them.
    pub chain: Vec<CertificateInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict_detail: Option<String>,
    /// Whether fetching the missing issuer from the AIA URL completed the chain; absent when
    /// it was not needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aia_completed: Option<bool>,
    /// AIA URLs the target policy refused (internal addresses), with why; none was fetched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aia_forbidden: Vec<String>,
    /// When the handshake failed before the certificate reached the verifier: the chain above
    /// was read from a cleartext TLS 1.2-and-below handshake offering every suite, and this is
    /// what the server chose there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleartext_handshake: Option<CleartextHandshake>,
    pub timings: Timings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FetchError>,
}

/// What a server chose from a hello offering every TLS 1.2-and-below suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CleartextHandshake {
    /// `TLS 1.2`, `TLS 1.0`, `SSL 3.0`.
    pub version: String,
    /// The suite's IANA name (`TLS_RSA_WITH_AES_128_CBC_SHA`), or its code point (`0xC030`).
    pub cipher_suite: String,
}

impl TlsReport {
    /// A report of a handshake not yet made.
    pub fn new(server_name: &str, port: u16, https_origin_of_http_target: bool) -> TlsReport {
        TlsReport {
            server_name: server_name.to_owned(),
            port,
            https_origin_of_http_target,
            address: None,
            version: None,
            cipher_suite: None,
            key_exchange_group: None,
            alpn: None,
            chain: Vec::new(),
            verdict: None,
            verdict_detail: None,
            aia_completed: None,
            aia_forbidden: Vec::new(),
            cleartext_handshake: None,
            timings: Timings::default(),
            error: None,
        }
    }
}

impl Check for TlsCheck {
    const META: &'static CheckMeta = &META;
    type Facts = TlsReport;

    async fn run(&self, ctx: &Context, deadline: Instant) -> Result<TlsReport, CheckError> {
        let tls = ctx.tls().map_err(|e| {
            ctx.publish_chain_verdict(None);
            CheckError::Failed(e.to_string())
        })?;
        let report = handshake(ctx, &tls, deadline).await;
        ctx.publish_chain_verdict(report.verdict.map(|verdict| ChainVerdict {
            verdict,
            detail: report.verdict_detail.clone().unwrap_or_default(),
        }));
        Ok(report)
    }
}

impl Facts for TlsReport {
    /// The check's time ran out before the handshake ended.
    fn timed_out(&self) -> bool {
        matches!(self.error, Some(FetchError::Timeout { .. }))
    }

    fn assess(&self) -> Vec<Finding> {
        assess(self)
    }
}

async fn handshake(ctx: &Context, tls: &TlsClient, deadline: Instant) -> TlsReport {
    let host = ctx.target.host.clone();
    let plain_http = !ctx.target.is_https();
    let port = if plain_http { 443 } else { ctx.target.port };
    let mut report = TlsReport::new(&host, port, plain_http);
    let started = Instant::now();
    let name = match server_name(&host) {
        Ok(n) => n,
        Err(e) => {
            report.error = Some(FetchError::Tls {
                message: e.to_string(),
                no_common_protocol: false,
            });
            return report;
        }
    };
    let dialer = ctx.dialer();
    let tcp = match resolve_and_connect(dialer, &host, port, deadline, &mut report.timings).await {
        Ok((tcp, address, _)) => {
            report.address = Some(address);
            tcp
        }
        Err((e, _)) => {
            report.error = Some(e);
            return report;
        }
    };
    let tls_started = Instant::now();
    let alpn: &[&[u8]] = &[b"h2", b"http/1.1"];
    let (result, seen) =
        match tokio::time::timeout_at(deadline, tls.handshake(tcp, name.clone(), alpn)).await {
            Ok(r) => r,
            Err(_) => {
                let message = "the check's time ran out during the TLS handshake".to_owned();
                report.error = Some(FetchError::Timeout {
                    phase: "TLS handshake".into(),
                    message,
                });
                return report;
            }
        };
    report.timings.tls_ms = Some(millis(tls_started.elapsed()));
    let failure = match result {
        Ok(stream) => {
            let facts = negotiated(stream.get_ref().1, None, &host).0;
            report.version = Some(facts.version);
            report.cipher_suite = Some(facts.cipher_suite);
            report.key_exchange_group = facts.key_exchange_group;
            report.alpn = facts.alpn;
            None
        }
        Err(e) => {
            report.error = Some(handshake_failure(&e).into());
            e.get_ref()
                .and_then(|i| i.downcast_ref::<TlsError>())
                .cloned()
        }
    };
    // A handshake that ended before the server's Certificate reached the verifier: read the
    // chain from a cleartext TLS 1.2-and-below handshake instead (the Certificate message is
    // not encrypted there, RFC 5246 §7.4.2), as openssl s_client and sslscan show it.
    let seen = match (seen, &report.error, report.address) {
        (None, Some(FetchError::Tls { .. }), Some(address)) => {
            match cleartext_chain(dialer, &host, address, deadline).await {
                Some((chain, cleartext)) => {
                    report.cleartext_handshake = Some(cleartext);
                    Some(SeenChain {
                        result: tls.verify(&chain, &name),
                        chain,
                    })
                }
                None => None,
            }
        }
        (seen, ..) => seen,
    };
    // A handshake that failed after the server's Certificate still shows the chain it sent,
    // with the verdict naming the weakness that stopped it.
    if let Some(seen) = &seen {
        let client = HttpClient {
            dialer,
            tls,
            user_agent: &ctx.settings.user_agent,
            max_body_bytes: ctx.options.max_body_bytes,
        };
        judge_chain(
            &client,
            &mut report,
            seen,
            failure.as_ref(),
            &name,
            deadline,
        )
        .await;
    }
    report.timings.total_ms = millis(started.elapsed());
    report
}

/// One cleartext handshake's bound: it may not hold up the report, which already knows the
/// handshake failed.
const CLEARTEXT_BOUND: Duration = Duration::from_secs(3);

/// Offers every TLS 1.2-and-below suite, curve and signature algorithm (the probe crate's
/// certificate grab) to `address` and reads the chain from the server's first flight; the
/// connection is dropped before the handshake would finish. `None` when the server shows no
/// certificate that way (it refuses, speaks TLS 1.3 only, goes quiet). The connection is the
/// dialer's, like every other.
async fn cleartext_chain(
    dialer: &Dialer,
    host: &str,
    address: std::net::SocketAddr,
    deadline: Instant,
) -> Option<(Vec<CertificateDer<'static>>, CleartextHandshake)> {
    use netcheck_probe::tls::{ClientHello, Until, exchange};
    let bound = deadline.min(Instant::now() + CLEARTEXT_BOUND);
    let mut tcp = match dialer.connect_address(host, address, bound).await {
        Ok(connection) => connection.stream,
        Err(e) => {
            tracing::debug!("cleartext handshake with {address}: {e}");
            return None;
        }
    };
    // RFC 6066 §3: no SNI for an address.
    let sni = host.parse::<std::net::IpAddr>().is_err().then_some(host);
    let hello = ClientHello::certificate_grab(sni);
    let flight = match exchange(&mut tcp, &hello, Until::ServerHelloDone, bound).await {
        Ok(flight) => flight,
        Err(e) => {
            tracing::debug!("cleartext handshake with {address}: {e}");
            return None;
        }
    };
    if flight.certificates.is_empty() {
        return None;
    }
    let cleartext = CleartextHandshake {
        version: flight.version.to_string(),
        cipher_suite: flight
            .suite_name
            .map(str::to_owned)
            .unwrap_or_else(|| format!("0x{:04X}", flight.suite)),
    };
    let chain = flight
        .certificates
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    Some((chain, cleartext))
}

/// Parses the chain the server sent, completes it by AIA when an issuer is missing, and
/// gives the verdict.
async fn judge_chain(
    client: &HttpClient<'_>,
    report: &mut TlsReport,
    seen: &SeenChain,
    failure: Option<&TlsError>,
    name: &rustls_pki_types::ServerName<'static>,
    deadline: Instant,
) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    report.chain = seen
        .chain
        .iter()
        .filter_map(|c| CertificateInfo::parse(c, now).ok())
        .collect();
    let fetch = if needs_issuer(seen, &report.chain) {
        complete_by_aia(
            client,
            seen,
            &report.chain,
            name,
            deadline,
            &mut report.aia_forbidden,
        )
        .await
    } else {
        IssuerFetch::NotTried
    };
    report.aia_completed = match &fetch {
        IssuerFetch::Completed { .. } => Some(true),
        IssuerFetch::Failed { .. } => Some(false),
        IssuerFetch::NotTried | IssuerFetch::NoUrl => None,
    };
    let (verdict, detail) = classify(&Evidence {
        webpki: &seen.result,
        handshake: failure,
        chain: &report.chain,
        host: &report.server_name,
        issuer_fetch: &fetch,
    });
    report.verdict = Some(verdict);
    report.verdict_detail = Some(detail);
}

/// The chain failed for want of an issuer, and the last certificate sent is not a root.
fn needs_issuer(seen: &SeenChain, chain: &[CertificateInfo]) -> bool {
    matches!(
        seen.result,
        Err(TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    ) && chain.last().is_some_and(|top| !top.self_issued)
}

/// Fetches the issuer named by the top certificate's AIA caIssuers URL (RFC 5280 §4.2.2.1) and
/// verifies again with it. A URL the target policy refuses is not fetched, and is added to
/// `forbidden`.
async fn complete_by_aia(
    client: &HttpClient<'_>,
    seen: &SeenChain,
    chain: &[CertificateInfo],
    name: &rustls_pki_types::ServerName<'static>,
    deadline: Instant,
    forbidden: &mut Vec<String>,
) -> IssuerFetch {
    let Some(top) = chain.last() else {
        return IssuerFetch::NotTried;
    };
    if top.ca_issuers.is_empty() {
        return IssuerFetch::NoUrl;
    }
    // The fetch may not outlive the check: the handshake already made must be reported.
    let bound = AIA_BOUND.min(deadline.saturating_duration_since(Instant::now()));
    let mut attempts = Vec::new();
    for url in &top.ca_issuers {
        let issuer = match fetch_small(client, url, bound).await {
            Ok(body) => match pem_or_der(&body) {
                Some(der) => der,
                None => {
                    attempts.push((url.clone(), "the answer is not a certificate".into()));
                    continue;
                }
            },
            Err(why) => {
                if let SmallFetchError::Exchange(FetchError::Forbidden { message }) = &why {
                    forbidden.push(format!("{url}: {message}"));
                }
                attempts.push((url.clone(), why.to_string()));
                continue;
            }
        };
        let mut completed = seen.chain.clone();
        completed.push(issuer);
        match client.tls.verify(&completed, name) {
            Ok(()) => return IssuerFetch::Completed { url: url.clone() },
            Err(e) => attempts.push((
                url.clone(),
                format!(
                    "the certificate fetched does not complete the chain: {}",
                    crate::tls::words::handshake_error(&e)
                ),
            )),
        }
    }
    IssuerFetch::Failed { attempts }
}

/// caIssuers serves DER ("application/pkix-cert"); some servers send PEM instead.
fn pem_or_der(body: &[u8]) -> Option<CertificateDer<'static>> {
    use rustls_pki_types::pem::PemObject;
    if body.starts_with(b"-----BEGIN") {
        CertificateDer::from_pem_slice(body).ok()
    } else {
        Some(CertificateDer::from(body.to_vec()))
    }
}

/// Judges the facts of a TLS report.
pub fn assess(report: &TlsReport) -> Vec<Finding> {
    if !report.https_origin_of_http_target {
        return judge(report);
    }
    // An http:// target: its https origin is extra news, never a failure of the target.
    let origin = format!("https://{}/", report.server_name);
    let cannot_connect = match &report.error {
        Some(
            FetchError::Refused { message }
            | FetchError::ConnectTimeout { message }
            | FetchError::Unreachable { message },
        ) => Some(message),
        Some(FetchError::Timeout { phase, message }) if phase == "connect" => Some(message),
        _ => None,
    };
    if let Some(message) = cannot_connect {
        return vec![Finding::warning(
            &NO_HTTPS,
            format!("the target is http:// and {origin} cannot be reached: {message}"),
        )];
    }
    let mut findings = vec![Finding::info(
        &HTTPS_ORIGIN_CHECKED,
        format!("the target is http://; TLS was checked at {origin}"),
    )];
    findings.extend(judge(report).into_iter().map(|mut f| {
        if f.severity == Severity::Failure {
            f.severity = Severity::Warning;
        }
        f.message = format!("{origin}: {}", f.message);
        f
    }));
    findings
}

/// The findings of a handshake with the target itself.
fn judge(report: &TlsReport) -> Vec<Finding> {
    let mut findings = Vec::new();
    let detail = report.verdict_detail.clone().unwrap_or_default();
    if let Some(e) = &report.error {
        // The chain the server sent before the handshake broke, and what is wrong with it.
        if let Some(v) = report.verdict.filter(|v| *v != Verdict::Valid) {
            findings.push(Finding::failure(
                verdict_code(v),
                format!("certificate {}: {detail}", v.as_str()),
            ));
        }
        let code = match e {
            FetchError::Tls {
                no_common_protocol: true,
                ..
            } => &TLS_NO_COMMON_PROTOCOL,
            FetchError::Tls { .. } => &TLS_HANDSHAKE_FAILED,
            // The check's time ran out while connecting: the connection is the problem.
            FetchError::Timeout { phase, .. } if phase == "connect" => &TLS_CONNECT_TIMEOUT,
            FetchError::Timeout { .. } => &TLS_TIMEOUT,
            FetchError::Refused { .. } => &TLS_REFUSED,
            FetchError::Dns { .. } => &TLS_DNS,
            FetchError::Forbidden { .. } => &TLS_FORBIDDEN,
            _ => &TLS_CONNECT_FAILED,
        };
        findings.push(Finding::failure(code, e.message().to_owned()));
        return findings;
    }
    match report.verdict {
        Some(Verdict::Valid) => {
            if let Some(leaf) = report.chain.first() {
                if leaf.days_left < EXPIRY_WARNING_DAYS {
                    findings.push(Finding::warning(
                        &CERTIFICATE_EXPIRES_SOON,
                        format!(
                            "the certificate expires in {} day(s), on {}",
                            leaf.days_left, leaf.not_after
                        ),
                    ));
                } else {
                    findings.push(Finding::info(
                        &CERTIFICATE_VALID,
                        format!("valid for {} more days", leaf.days_left),
                    ));
                }
            }
        }
        Some(v) => findings.push(Finding::failure(
            verdict_code(v),
            format!("certificate {}: {detail}", v.as_str()),
        )),
        None => {}
    }
    for refused in &report.aia_forbidden {
        findings.push(Finding::warning(
            &AIA_FORBIDDEN,
            format!("the issuer's AIA URL was not fetched: {refused}"),
        ));
    }
    // WebPKI names one problem; an expired certificate behind another problem is still worth saying.
    // An expired certificate the valid path does not use (an old cross-signature) is only noted.
    if report.verdict == Some(Verdict::Valid)
        && let Some(expired) = report.chain.iter().find(|c| c.days_left < 0)
    {
        findings.push(Finding::info(
            &CERTIFICATE_EXPIRED_UNUSED,
            format!(
                "the server still sends '{}', expired on {}, which the valid path does not need",
                expired.common_name(),
                expired.not_after
            ),
        ));
    } else if report.verdict != Some(Verdict::Expired)
        && let Some(expired) = report.chain.iter().find(|c| c.days_left < 0)
    {
        findings.push(Finding::failure(
            &CERTIFICATE_EXPIRED,
            format!(
                "'{}' expired on {}",
                expired.common_name(),
                expired.not_after
            ),
        ));
    }
    // The verdict names the first weakness; the others are warnings.
    for cert in &report.chain {
        if let Some((kind, words)) = weakness(std::slice::from_ref(cert))
            && report.verdict != Some(kind)
        {
            findings.push(Finding::warning(weakness_code(kind), words));
        }
    }
    findings
}

/// The code of a verdict on the chain: `certificate_<verdict>`.
fn verdict_code(verdict: Verdict) -> &'static Code {
    match verdict {
        Verdict::Valid => &CERTIFICATE_VALID,
        Verdict::Expired => &CERTIFICATE_EXPIRED,
        Verdict::NotYetValid => &CERTIFICATE_NOT_YET_VALID,
        Verdict::HostnameMismatch => &CERTIFICATE_HOSTNAME_MISMATCH,
        Verdict::UntrustedRoot => &CERTIFICATE_UNTRUSTED_ROOT,
        Verdict::SelfSigned => &CERTIFICATE_SELF_SIGNED,
        Verdict::IncompleteChain => &CERTIFICATE_INCOMPLETE_CHAIN,
        Verdict::WeakKey => &CERTIFICATE_WEAK_KEY,
        Verdict::WeakSignature => &CERTIFICATE_WEAK_SIGNATURE,
        Verdict::UnsupportedAlgorithm => &CERTIFICATE_UNSUPPORTED_ALGORITHM,
        Verdict::Invalid => &CERTIFICATE_INVALID,
    }
}

/// The code of a weakness told beside the verdict (`verdict::weakness` finds only these three).
fn weakness_code(kind: Verdict) -> &'static Code {
    match kind {
        Verdict::WeakKey => &WEAK_KEY,
        Verdict::WeakSignature => &WEAK_SIGNATURE,
        Verdict::UnsupportedAlgorithm => &UNSUPPORTED_ALGORITHM,
        other => verdict_code(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Status, status_of};

    fn report(plain_http: bool, verdict: Option<Verdict>, error: Option<FetchError>) -> TlsReport {
        TlsReport {
            verdict,
            verdict_detail: verdict.map(|_| "issued by itself".into()),
            error,
            ..TlsReport::new("example.com", 443, plain_http)
        }
    }

    #[test]
    fn verdicts_and_weaknesses_keep_their_codes() {
        let all = [
            Verdict::Valid,
            Verdict::Expired,
            Verdict::NotYetValid,
            Verdict::HostnameMismatch,
            Verdict::UntrustedRoot,
            Verdict::SelfSigned,
            Verdict::IncompleteChain,
            Verdict::WeakKey,
            Verdict::WeakSignature,
            Verdict::UnsupportedAlgorithm,
            Verdict::Invalid,
        ];
        for v in all {
            assert_eq!(verdict_code(v).name, format!("certificate_{}", v.code()));
        }
        for v in [
            Verdict::WeakKey,
            Verdict::WeakSignature,
            Verdict::UnsupportedAlgorithm,
        ] {
            assert_eq!(weakness_code(v).name, v.code());
        }
    }

    #[test]
    fn an_http_targets_https_origin_only_warns() {
        let bad = report(true, Some(Verdict::SelfSigned), None);
        let findings = assess(&bad);
        assert_eq!(status_of(&findings), Status::Warning, "{findings:?}");
        assert!(findings.iter().any(|f| f.code == "certificate_self_signed"
            && f.message.starts_with("https://example.com/: ")));
        assert_eq!(
            status_of(&assess(&report(false, Some(Verdict::SelfSigned), None))),
            Status::Failed,
            "the same certificate on an https:// target fails"
        );
        let refused = FetchError::Refused {
            message: "connection refused".into(),
        };
        let findings = assess(&report(true, None, Some(refused.clone())));
        assert_eq!(
            findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
            ["no_https"]
        );
        assert_eq!(status_of(&findings), Status::Warning);
        assert_eq!(
            status_of(&assess(&report(false, None, Some(refused)))),
            Status::Failed
        );
    }
}
