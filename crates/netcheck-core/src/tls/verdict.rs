//! The certificate verdict: one word for what a person needs to know about the chain, with the
//! evidence in a sentence. Pure: it reads WebPKI's judgement of the chain, the handshake's own
//! failure (if it failed), the parsed chain and what fetching a missing issuer gave, nothing
//! else. Every verdict and message form is listed in docs/report.md.

use rustls::{CertificateError, Error};
use serde::{Deserialize, Serialize};

use super::certificate::CertificateInfo;
use super::words;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    Expired,
    NotYetValid,
    HostnameMismatch,
    /// The chain ends at a root that is not among the trust anchors.
    UntrustedRoot,
    /// A single certificate that signed itself.
    SelfSigned,
    /// The server left out an intermediate: fetched from the AIA URL it completes the chain
    /// (`aia_completed`), or it could not be fetched and the chain is broken.
    IncompleteChain,
    /// A key too small to trust: RSA or DSA under 2048 bits, EC under 256.
    WeakKey,
    /// A certificate below the root signed with MD5, MD2 or SHA-1.
    WeakSignature,
    /// A key or signature algorithm that no browser's verifier supports.
    UnsupportedAlgorithm,
    /// Any other reason WebPKI gave (revoked, wrong usage, malformed, ...), said in words.
    Invalid,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Expired => "expired",
            Verdict::NotYetValid => "not yet valid",
            Verdict::HostnameMismatch => "hostname mismatch",
            Verdict::UntrustedRoot => "untrusted root",
            Verdict::SelfSigned => "self-signed",
            Verdict::IncompleteChain => "incomplete chain",
            Verdict::WeakKey => "weak key",
            Verdict::WeakSignature => "weak signature",
            Verdict::UnsupportedAlgorithm => "unsupported algorithm",
            Verdict::Invalid => "invalid",
        }
    }

    /// The finding code's suffix: `certificate_<code>`.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Expired => "expired",
            Verdict::NotYetValid => "not_yet_valid",
            Verdict::HostnameMismatch => "hostname_mismatch",
            Verdict::UntrustedRoot => "untrusted_root",
            Verdict::SelfSigned => "self_signed",
            Verdict::IncompleteChain => "incomplete_chain",
            Verdict::WeakKey => "weak_key",
            Verdict::WeakSignature => "weak_signature",
            Verdict::UnsupportedAlgorithm => "unsupported_algorithm",
            Verdict::Invalid => "invalid",
        }
    }
}

/// What fetching the issuer that the server did not send gave (RFC 5280 §4.2.2.1 caIssuers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerFetch {
    /// Not needed, or not tried.
    NotTried,
    /// The top certificate names no caIssuers URL.
    NoUrl,
    /// The fetched issuer completed the chain to a trusted root.
    Completed { url: String },
    /// Every URL failed: each with why.
    Failed { attempts: Vec<(String, String)> },
}

/// Everything the verdict is read from.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// WebPKI's judgement of the chain for the name asked.
    pub webpki: &'a Result<(), Error>,
    /// The handshake's own failure, when it could not finish (after the chain was seen, or
    /// before it, when the chain was read from the cleartext handshake instead).
    pub handshake: Option<&'a Error>,
    /// End entity first, as the server sent them.
    pub chain: &'a [CertificateInfo],
    pub host: &'a str,
    pub issuer_fetch: &'a IssuerFetch,
}

/// The verdict on a chain and the sentence that says why.
pub fn classify(e: &Evidence<'_>) -> (Verdict, String) {
    let Some(leaf) = e.chain.first() else {
        return (Verdict::Invalid, "the server sent no certificate".into());
    };
    let weakness = weakness(e.chain);
    // A weakness explains a handshake that failed, or a signature WebPKI refused.
    #[allow(deprecated)]
    let signature_refused = matches!(
        e.webpki,
        Err(Error::InvalidCertificate(
            CertificateError::BadSignature
                | CertificateError::UnsupportedSignatureAlgorithm
                | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
                | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. }
        ))
    );
    if let Some((verdict, detail)) = &weakness
        && (signature_refused || e.handshake.is_some())
    {
        return (*verdict, detail.clone());
    }
    let err = match e.webpki {
        Ok(()) => {
            // A handshake that failed over the certificate (its key's signature) although the
            // chain verifies; a failure for any other reason says nothing about the chain.
            return match e.handshake {
                Some(h @ Error::InvalidCertificate(_)) => (
                    Verdict::Invalid,
                    format!(
                        "the chain is valid for {}, but the server's handshake was refused: {}",
                        e.host,
                        words::handshake_error(h)
                    ),
                ),
                _ => (
                    Verdict::Valid,
                    format!("the chain to a trusted root is valid for {}", e.host),
                ),
            };
        }
        Err(err) => err,
    };
    let Error::InvalidCertificate(cert_err) = err else {
        return (
            Verdict::Invalid,
            format!(
                "the certificate was refused: {}",
                words::handshake_error(err)
            ),
        );
    };
    let alone_and_self_issued = e.chain.len() == 1 && leaf.self_issued;
    match cert_err {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let which = e.chain.iter().find(|c| c.days_left < 0).unwrap_or(leaf);
            (
                Verdict::Expired,
                format!("'{}' expired on {}", which.common_name(), which.not_after),
            )
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
            Verdict::NotYetValid,
            format!(
                "'{}' is not valid before {}",
                leaf.common_name(),
                leaf.not_before
            ),
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let names = if leaf.sans.is_empty() {
                "no names".to_owned()
            } else {
                leaf.sans.join(", ")
            };
            (
                Verdict::HostnameMismatch,
                format!("the certificate is for {names}, not {}", e.host),
            )
        }
        // OpenSSL's `req -x509` marks its self-signed certificates CA:TRUE, which WebPKI
        // refuses as an end entity before it asks who signed them: still self-signed.
        _ if alone_and_self_issued => (
            Verdict::SelfSigned,
            format!(
                "'{}' is signed by itself, not by a trusted authority",
                leaf.common_name()
            ),
        ),
        CertificateError::UnknownIssuer => unknown_issuer(e.chain, e.issuer_fetch),
        _ if signature_refused => (
            Verdict::UnsupportedAlgorithm,
            words::certificate_error(cert_err),
        ),
        other => (Verdict::Invalid, words::certificate_error(other)),
    }
}

/// The first weakness of the chain, in the order a browser meets them: a signature it refuses,
/// then a key too small, then an algorithm it does not know. A root's own signature is never
/// checked, so a self-issued certificate's signature does not count.
pub fn weakness(chain: &[CertificateInfo]) -> Option<(Verdict, String)> {
    let role = |i: usize, c: &CertificateInfo| {
        if i == 0 {
            format!("'{}'", c.common_name())
        } else if c.self_issued {
            format!("the root '{}'", c.common_name())
        } else {
            format!("the intermediate '{}'", c.common_name())
        }
    };
    for (i, c) in chain.iter().enumerate().filter(|(_, c)| !c.self_issued) {
        let algorithm = c.signature_algorithm.to_ascii_lowercase();
        let weak = if algorithm.contains("md5") {
            Some("MD5, which no browser accepts")
        } else if algorithm.contains("md2") || algorithm.contains("md4") {
            Some("an MD2/MD4 digest, which no browser accepts")
        } else if algorithm.contains("sha1") || algorithm.contains("sha-1") {
            Some("SHA-1, which browsers no longer accept")
        } else {
            None
        };
        if let Some(why) = weak {
            return Some((
                Verdict::WeakSignature,
                format!(
                    "{} is signed with {why} ({})",
                    role(i, c),
                    c.signature_algorithm
                ),
            ));
        }
    }
    for (i, c) in chain.iter().enumerate() {
        let minimum = match c.key_type.as_str() {
            "RSA" | "DSA" => 2048,
            t if t.starts_with("EC ") => 256,
            _ => continue,
        };
        if c.key_bits < minimum {
            return Some((
                Verdict::WeakKey,
                format!(
                    "{} has a {}-bit {} key; browsers need at least {minimum} bits",
                    role(i, c),
                    c.key_bits,
                    c.key_type
                ),
            ));
        }
    }
    for (i, c) in chain.iter().enumerate() {
        let known_key = c.key_type == "RSA"
            || c.key_type == "Ed25519"
            || matches!(c.key_type.as_str(), "EC P-256" | "EC P-384" | "EC P-521");
        if !known_key {
            return Some((
                Verdict::UnsupportedAlgorithm,
                format!(
                    "{} has {} {} key, which browsers do not support",
                    role(i, c),
                    if c.key_type.starts_with('E') {
                        "an"
                    } else {
                        "a"
                    },
                    c.key_type
                ),
            ));
        }
    }
    None
}

/// WebPKI found no trusted issuer: say what the chain's shape tells.
fn unknown_issuer(chain: &[CertificateInfo], fetch: &IssuerFetch) -> (Verdict, String) {
    let (leaf, top) = match (chain.first(), chain.last()) {
        (Some(l), Some(t)) => (l, t),
        _ => return (Verdict::Invalid, "the server sent no certificate".into()),
    };
    if chain.len() == 1 && leaf.self_issued {
        return (
            Verdict::SelfSigned,
            format!(
                "'{}' is signed by itself, not by a trusted authority",
                leaf.common_name()
            ),
        );
    }
    if top.self_issued {
        return (
            Verdict::UntrustedRoot,
            format!(
                "the chain ends at '{}', which is not a trusted root",
                top.common_name()
            ),
        );
    }
    let issuer = issuer_name(top);
    if let IssuerFetch::Completed { url } = fetch {
        return (
            Verdict::IncompleteChain,
            format!(
                "the server did not send the intermediate '{issuer}' (the issuer of '{}'); it chains to a trusted root once fetched from its AIA URL {url}",
                top.common_name()
            ),
        );
    }
    // The leaf itself is the last certificate sent: whatever signed it was not sent and is no
    // trust anchor, so an intermediate is missing.
    if !top.is_ca {
        let why = match fetch {
            IssuerFetch::NoUrl => {
                " (and the certificate names no AIA URL to fetch it from)".to_owned()
            }
            IssuerFetch::Failed { attempts } => format!(
                " (and its AIA URL could not be fetched: {})",
                attempts
                    .iter()
                    .map(|(url, why)| format!("{url}: {why}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            _ => String::new(),
        };
        return (
            Verdict::IncompleteChain,
            format!("the intermediate '{issuer}' was not sent{why}"),
        );
    }
    (
        Verdict::UntrustedRoot,
        format!(
            "the chain ends at '{}', whose issuer '{issuer}' was not sent and is not a trusted root",
            top.common_name()
        ),
    )
}

/// The CN of a certificate's issuer, else the whole issuer name.
fn issuer_name(cert: &CertificateInfo) -> &str {
    cert.issuer
        .split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(&cert.issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(subject: &str, issuer: &str, days_left: i64) -> CertificateInfo {
        CertificateInfo {
            subject: format!("CN={subject}"),
            issuer: format!("CN={issuer}"),
            sans: vec![subject.to_owned()],
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2027-01-01T00:00:00Z".into(),
            days_left,
            key_type: "EC P-256".into(),
            key_bits: 256,
            signature_algorithm: "ecdsa-with-SHA256".into(),
            serial: "01".into(),
            sha256_fingerprint: "AA".into(),
            is_ca: subject.contains("CA") || subject.contains("Intermediate"),
            self_issued: subject == issuer,
            ca_issuers: Vec::new(),
        }
    }

    fn unknown() -> Result<(), Error> {
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
    }

    fn judge(
        webpki: &Result<(), Error>,
        chain: &[CertificateInfo],
        host: &str,
        fetch: &IssuerFetch,
    ) -> (Verdict, String) {
        classify(&Evidence {
            webpki,
            handshake: None,
            chain,
            host,
            issuer_fetch: fetch,
        })
    }

    fn verdict(webpki: &Result<(), Error>, chain: &[CertificateInfo], host: &str) -> Verdict {
        judge(webpki, chain, host, &IssuerFetch::NotTried).0
    }

    #[test]
    fn a_verified_chain_is_valid() {
        assert_eq!(
            verdict(&Ok(()), &[cert("a.test", "CA", 90)], "a.test"),
            Verdict::Valid
        );
    }

    #[test]
    fn webpki_errors_map_to_verdicts() {
        let chain = [cert("a.test", "CA", -3)];
        let expired = Err(Error::InvalidCertificate(CertificateError::Expired));
        assert_eq!(verdict(&expired, &chain, "a.test"), Verdict::Expired);
        let future = Err(Error::InvalidCertificate(CertificateError::NotValidYet));
        assert_eq!(verdict(&future, &chain, "a.test"), Verdict::NotYetValid);
        let name = Err(Error::InvalidCertificate(CertificateError::NotValidForName));
        let (v, detail) = judge(&name, &chain, "b.test", &IssuerFetch::NotTried);
        assert_eq!(v, Verdict::HostnameMismatch);
        assert!(
            detail.contains("a.test") && detail.contains("b.test"),
            "{detail}"
        );
        let revoked = Err(Error::InvalidCertificate(CertificateError::Revoked));
        let (v, detail) = judge(&revoked, &chain, "a.test", &IssuerFetch::NotTried);
        assert_eq!(v, Verdict::Invalid);
        assert_eq!(detail, "a certificate has been revoked by its issuer");
    }

    #[test]
    fn a_self_signed_ca_certificate_is_self_signed() {
        // `openssl req -x509` marks its certificate CA:TRUE: WebPKI says CaUsedAsEndEntity.
        let mut leaf = cert("a.test", "a.test", 90);
        leaf.is_ca = true;
        let ca_as_leaf = Err(Error::InvalidCertificate(CertificateError::Other(
            rustls::OtherError(std::sync::Arc::new(webpki::Error::CaUsedAsEndEntity)),
        )));
        let (v, detail) = judge(&ca_as_leaf, &[leaf], "a.test", &IssuerFetch::NotTried);
        assert_eq!(v, Verdict::SelfSigned);
        assert_eq!(
            detail,
            "'a.test' is signed by itself, not by a trusted authority"
        );
    }

    #[test]
    fn unknown_issuer_is_told_apart_by_the_shape_of_the_chain() {
        let alone = [cert("a.test", "a.test", 90)];
        assert_eq!(verdict(&unknown(), &alone, "a.test"), Verdict::SelfSigned);
        let with_root = [
            cert("a.test", "Private CA", 90),
            cert("Private CA", "Private CA", 900),
        ];
        assert_eq!(
            verdict(&unknown(), &with_root, "a.test"),
            Verdict::UntrustedRoot
        );
        let to_unknown_root = [
            cert("a.test", "Private Intermediate", 90),
            cert("Private Intermediate", "Private Root", 900),
        ];
        let (v, detail) = judge(&unknown(), &to_unknown_root, "a.test", &IssuerFetch::NoUrl);
        assert_eq!(v, Verdict::UntrustedRoot);
        assert_eq!(
            detail,
            "the chain ends at 'Private Intermediate', whose issuer 'Private Root' was not sent and is not a trusted root"
        );
    }

    #[test]
    fn a_leaf_sent_alone_is_an_incomplete_chain_whatever_aia_gave() {
        let leaf_only = [cert("a.test", "Intermediate", 90)];
        let completed = IssuerFetch::Completed {
            url: "http://ca.test/i.der".into(),
        };
        let (v, detail) = judge(&unknown(), &leaf_only, "a.test", &completed);
        assert_eq!(v, Verdict::IncompleteChain);
        assert!(detail.contains("once fetched from its AIA URL http://ca.test/i.der"));
        let (v, detail) = judge(&unknown(), &leaf_only, "a.test", &IssuerFetch::NoUrl);
        assert_eq!(v, Verdict::IncompleteChain);
        assert_eq!(
            detail,
            "the intermediate 'Intermediate' was not sent (and the certificate names no AIA URL to fetch it from)"
        );
        let failed = IssuerFetch::Failed {
            attempts: vec![("http://ca.test/i.der".into(), "HTTP 404".into())],
        };
        let (v, detail) = judge(&unknown(), &leaf_only, "a.test", &failed);
        assert_eq!(v, Verdict::IncompleteChain);
        assert_eq!(
            detail,
            "the intermediate 'Intermediate' was not sent (and its AIA URL could not be fetched: http://ca.test/i.der: HTTP 404)"
        );
    }

    #[test]
    fn weak_signatures_name_the_certificate_and_the_digest() {
        let sha1_oid = vec![6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 5, 5, 0];
        let refused = Err(Error::InvalidCertificate(
            CertificateError::UnsupportedSignatureAlgorithmContext {
                signature_algorithm_id: sha1_oid,
                supported_algorithms: Vec::new(),
            },
        ));
        let mut intermediate = cert("Old Intermediate", "Root CA", 900);
        intermediate.signature_algorithm = "sha1WithRSAEncryption".into();
        let chain = [cert("a.test", "Old Intermediate", 90), intermediate];
        let (v, detail) = judge(&refused, &chain, "a.test", &IssuerFetch::NotTried);
        assert_eq!(v, Verdict::WeakSignature);
        assert_eq!(
            detail,
            "the intermediate 'Old Intermediate' is signed with SHA-1, which browsers no longer accept (sha1WithRSAEncryption)"
        );
        let mut leaf = cert("a.test", "CA", 90);
        leaf.signature_algorithm = "md5WithRSAEncryption".into();
        let (v, detail) = judge(&refused, &[leaf], "a.test", &IssuerFetch::NotTried);
        assert_eq!(v, Verdict::WeakSignature);
        assert!(detail.starts_with("'a.test' is signed with MD5, which no browser accepts"));
        // A root's own signature is never checked.
        let mut root = cert("Root CA", "Root CA", 900);
        root.signature_algorithm = "sha1WithRSAEncryption".into();
        assert_eq!(weakness(&[cert("a.test", "Root CA", 90), root]), None);
    }

    #[test]
    fn a_weak_key_explains_a_failed_handshake() {
        let mut leaf = cert("a.test", "CA", 90);
        leaf.key_type = "RSA".into();
        leaf.key_bits = 1024;
        let bad_signature = Error::InvalidCertificate(CertificateError::BadSignature);
        let (v, detail) = classify(&Evidence {
            webpki: &Ok(()),
            handshake: Some(&bad_signature),
            chain: &[leaf.clone()],
            host: "a.test",
            issuer_fetch: &IssuerFetch::NotTried,
        });
        assert_eq!(v, Verdict::WeakKey);
        assert_eq!(
            detail,
            "'a.test' has a 1024-bit RSA key; browsers need at least 2048 bits"
        );
        let mut small_curve = cert("a.test", "CA", 90);
        small_curve.key_type = "EC 1.2.840.10045.3.1.1".into();
        small_curve.key_bits = 192;
        assert_eq!(
            weakness(&[small_curve]).map(|w| w.0),
            Some(Verdict::WeakKey)
        );
        let mut dsa = cert("a.test", "CA", 90);
        dsa.key_type = "DSA".into();
        dsa.key_bits = 3072;
        assert_eq!(
            weakness(&[dsa]).map(|w| w.0),
            Some(Verdict::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn a_handshake_failure_blames_the_chain_only_when_it_is_about_the_certificate() {
        let evidence = |handshake| {
            classify(&Evidence {
                webpki: &Ok(()),
                handshake,
                chain: &[cert("a.test", "CA", 90)],
                host: "a.test",
                issuer_fetch: &IssuerFetch::NotTried,
            })
        };
        let alert = Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        assert_eq!(evidence(Some(&alert)).0, Verdict::Valid);
        let bad_signature = Error::InvalidCertificate(CertificateError::BadSignature);
        let (v, detail) = evidence(Some(&bad_signature));
        assert_eq!(v, Verdict::Invalid);
        assert_eq!(
            detail,
            "the chain is valid for a.test, but the server's handshake was refused: a signature does not verify with the certificate's public key"
        );
    }

    #[test]
    fn no_certificate_is_invalid() {
        assert_eq!(verdict(&unknown(), &[], "a.test"), Verdict::Invalid);
    }
}
