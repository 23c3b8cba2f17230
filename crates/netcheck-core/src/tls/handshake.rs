//! What a handshake came to, in the report's words: the version, cipher suite, key-exchange
//! group and ALPN a finished handshake negotiated, with the verdict on the chain the server
//! sent ([`negotiated`]); or why it failed ([`handshake_failure`]). Making the handshake is
//! [`TlsClient`](super::TlsClient)'s; judging the chain is `verdict.rs`'s.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::SeenChain;
use super::certificate::CertificateInfo;
use super::verdict::{Evidence, IssuerFetch, Verdict, classify};

/// What the TLS layer of an exchange negotiated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Negotiated {
    pub version: String,
    pub cipher_suite: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_exchange_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    pub verdict: Verdict,
    pub verdict_detail: String,
}

/// Why a handshake failed, in words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct HandshakeFailure {
    pub message: String,
    /// The server and netcheck share no TLS version or cipher suite.
    pub no_common_protocol: bool,
}

/// What a finished TLS handshake negotiated, and the verdict on its chain.
pub fn negotiated(
    conn: &rustls::ClientConnection,
    seen: Option<&SeenChain>,
    host: &str,
) -> (Negotiated, Vec<CertificateInfo>) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let chain: Vec<CertificateInfo> = seen
        .map(|s| {
            s.chain
                .iter()
                .filter_map(|c| CertificateInfo::parse(c, now).ok())
                .collect()
        })
        .unwrap_or_default();
    let (verdict, verdict_detail) = match seen {
        Some(s) => classify(&Evidence {
            webpki: &s.result,
            handshake: None,
            chain: &chain,
            host,
            issuer_fetch: &IssuerFetch::NotTried,
        }),
        None => (
            Verdict::Invalid,
            "the server sent no certificate".to_owned(),
        ),
    };
    let facts = Negotiated {
        version: conn
            .protocol_version()
            .map(|v| version_name(v).to_owned())
            .unwrap_or_default(),
        cipher_suite: conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        key_exchange_group: conn
            .negotiated_key_exchange_group()
            .map(|g| format!("{:?}", g.name())),
        alpn: conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        verdict,
        verdict_detail,
    };
    (facts, chain)
}

pub fn version_name(v: rustls::ProtocolVersion) -> &'static str {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3",
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2",
        rustls::ProtocolVersion::TLSv1_1 => "TLS 1.1",
        rustls::ProtocolVersion::TLSv1_0 => "TLS 1.0",
        _ => "unknown",
    }
}

/// Explains a failed handshake; "no common protocol" when the peer and we share no version or
/// cipher suite (RFC 8446 §6.2: protocol_version / handshake_failure alerts).
pub fn handshake_failure(e: &std::io::Error) -> HandshakeFailure {
    use rustls::{AlertDescription, Error, PeerIncompatible};
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<Error>());
    let no_common = matches!(
        inner,
        Some(Error::AlertReceived(
            AlertDescription::ProtocolVersion
                | AlertDescription::HandshakeFailure
                | AlertDescription::InsufficientSecurity
        )) | Some(Error::PeerIncompatible(
            PeerIncompatible::NoCipherSuitesInCommon
                | PeerIncompatible::NoKxGroupsInCommon
                | PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled
                | PeerIncompatible::Tls13RequiredForQuic
        ))
    );
    // rustls's Display of its errors is debug text ("invalid peer certificate: BadSignature"):
    // its errors are said in words by tls::words.
    let said = match inner {
        Some(inner) => super::words::handshake_error(inner),
        None => e.to_string(),
    };
    let message = if no_common {
        format!(
            "no common protocol: the server offers no TLS version or cipher suite that netcheck speaks ({said})"
        )
    } else if matches!(inner, Some(Error::InvalidMessage(_))) {
        "the server does not speak TLS on this port".to_owned()
    } else {
        format!("TLS handshake failed: {said}")
    };
    HandshakeFailure {
        message,
        no_common_protocol: no_common,
    }
}
