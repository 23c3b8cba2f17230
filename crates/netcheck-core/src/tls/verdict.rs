//! The certificate verdict: one word for what a person needs to know about the chain, with the
//! evidence in a sentence. Pure: it reads WebPKI's error and the parsed chain, nothing else.

use rustls::{CertificateError, Error};
use serde::{Deserialize, Serialize};

use super::certificate::CertificateInfo;

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
    /// The server left out an intermediate; the chain verifies once it is fetched (AIA).
    IncompleteChain,
    /// Any other reason WebPKI gave (bad signature, wrong usage, revoked, ...).
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
            Verdict::Invalid => "invalid",
        }
    }
}

/// Whether fetching the missing issuer from the Authority Information Access URL completed the
/// chain: `None` when it was not tried.
pub type AiaCompletion = Option<bool>;

pub fn classify(
    result: &Result<(), Error>,
    chain: &[CertificateInfo],
    host: &str,
    aia: AiaCompletion,
) -> (Verdict, String) {
    let Some(leaf) = chain.first() else {
        return (Verdict::Invalid, "the server sent no certificate".into());
    };
    let err = match result {
        Ok(()) => {
            return (
                Verdict::Valid,
                format!("the chain to a trusted root is valid for {host}"),
            );
        }
        Err(e) => e,
    };
    let Error::InvalidCertificate(cert_err) = err else {
        return (
            Verdict::Invalid,
            format!("the certificate was refused: {err}"),
        );
    };
    match cert_err {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let which = chain.iter().find(|c| c.days_left < 0).unwrap_or(leaf);
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
                format!("the certificate is for {names}, not {host}"),
            )
        }
        CertificateError::UnknownIssuer => unknown_issuer(chain, aia),
        other => (
            Verdict::Invalid,
            format!("the certificate was refused: {other:?}"),
        ),
    }
}

fn unknown_issuer(chain: &[CertificateInfo], aia: AiaCompletion) -> (Verdict, String) {
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
    match aia {
        Some(true) => (
            Verdict::IncompleteChain,
            format!(
                "the server did not send the issuer of '{}' ({}); it chains to a trusted root once fetched from its AIA URL",
                top.common_name(),
                top.issuer
            ),
        ),
        _ => (
            Verdict::UntrustedRoot,
            format!(
                "the issuer of '{}' ({}) was not sent and is not a trusted root",
                top.common_name(),
                top.issuer
            ),
        ),
    }
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
            is_ca: false,
            self_issued: subject == issuer,
            ca_issuers: Vec::new(),
        }
    }

    fn unknown() -> Result<(), Error> {
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
    }

    #[test]
    fn a_verified_chain_is_valid() {
        let (v, _) = classify(&Ok(()), &[cert("a.test", "CA", 90)], "a.test", None);
        assert_eq!(v, Verdict::Valid);
    }

    #[test]
    fn webpki_errors_map_to_verdicts() {
        let chain = [cert("a.test", "CA", -3)];
        let expired = Err(Error::InvalidCertificate(CertificateError::Expired));
        assert_eq!(
            classify(&expired, &chain, "a.test", None).0,
            Verdict::Expired
        );
        let future = Err(Error::InvalidCertificate(CertificateError::NotValidYet));
        assert_eq!(
            classify(&future, &chain, "a.test", None).0,
            Verdict::NotYetValid
        );
        let name = Err(Error::InvalidCertificate(CertificateError::NotValidForName));
        let (v, detail) = classify(&name, &chain, "b.test", None);
        assert_eq!(v, Verdict::HostnameMismatch);
        assert!(
            detail.contains("a.test") && detail.contains("b.test"),
            "{detail}"
        );
        let revoked = Err(Error::InvalidCertificate(CertificateError::Revoked));
        assert_eq!(
            classify(&revoked, &chain, "a.test", None).0,
            Verdict::Invalid
        );
    }

    #[test]
    fn unknown_issuer_is_told_apart_by_the_shape_of_the_chain() {
        let alone = [cert("a.test", "a.test", 90)];
        assert_eq!(
            classify(&unknown(), &alone, "a.test", None).0,
            Verdict::SelfSigned
        );
        let with_root = [
            cert("a.test", "Private CA", 90),
            cert("Private CA", "Private CA", 900),
        ];
        assert_eq!(
            classify(&unknown(), &with_root, "a.test", None).0,
            Verdict::UntrustedRoot
        );
        let leaf_only = [cert("a.test", "Intermediate", 90)];
        assert_eq!(
            classify(&unknown(), &leaf_only, "a.test", Some(true)).0,
            Verdict::IncompleteChain
        );
        assert_eq!(
            classify(&unknown(), &leaf_only, "a.test", Some(false)).0,
            Verdict::UntrustedRoot
        );
        assert_eq!(
            classify(&unknown(), &leaf_only, "a.test", None).0,
            Verdict::UntrustedRoot
        );
    }

    #[test]
    fn no_certificate_is_invalid() {
        assert_eq!(
            classify(&unknown(), &[], "a.test", None).0,
            Verdict::Invalid
        );
    }
}
