//! Words for what rustls and WebPKI say about a certificate or a handshake. Their errors are
//! typed for programs (`UnsupportedSignatureAlgorithmContext { signature_algorithm_id: [6, 9,
//! …] }`); a report is read by people, so every error is said here in words a person can act
//! on. Nothing else in netcheck formats a rustls error with `{:?}`.

use rustls::{CertificateError, Error, PeerIncompatible, PeerMisbehaved};

/// A certificate error in words.
pub fn certificate_error(e: &CertificateError) -> String {
    #[allow(deprecated)]
    match e {
        CertificateError::BadEncoding => "a certificate is not valid DER".into(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "a certificate has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "a certificate is not valid yet".into()
        }
        CertificateError::Revoked => "a certificate has been revoked by its issuer".into(),
        CertificateError::UnhandledCriticalExtension => {
            "a certificate has a critical extension no verifier understands".into()
        }
        CertificateError::UnknownIssuer => {
            "the chain does not lead to a trusted root certificate".into()
        }
        CertificateError::UnknownRevocationStatus => {
            "the revocation status of a certificate is unknown".into()
        }
        CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => {
            "the certificate revocation list has expired".into()
        }
        CertificateError::BadSignature => {
            "a signature does not verify with the certificate's public key".into()
        }
        CertificateError::UnsupportedSignatureAlgorithm => {
            "a certificate is signed with an algorithm that browsers do not accept".into()
        }
        CertificateError::UnsupportedSignatureAlgorithmContext {
            signature_algorithm_id,
            ..
        } => format!(
            "a certificate is signed with {}, which browsers do not accept",
            algorithm_name(signature_algorithm_id)
        ),
        CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
            signature_algorithm_id,
            ..
        } => format!(
            "a certificate is signed with {}, which does not fit its issuer's key",
            algorithm_name(signature_algorithm_id)
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the certificate is not valid for the name asked".into()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the certificate is not for server authentication (extended key usage)".into()
        }
        CertificateError::InvalidOcspResponse => "the stapled OCSP response is not valid".into(),
        CertificateError::ApplicationVerificationFailure => {
            "the certificate was refused by the verifier".into()
        }
        CertificateError::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(e) => webpki_error(e),
            None => format!("the certificate was refused: {}", other.0),
        },
        _ => "the certificate was refused".into(),
    }
}

/// WebPKI's reasons that rustls passes on as `Other`.
fn webpki_error(e: &webpki::Error) -> String {
    use webpki::Error as W;
    match e {
        W::CaUsedAsEndEntity => {
            "the server's certificate is a CA certificate (CA:TRUE), not a server's".into()
        }
        W::EndEntityUsedAsCa => "a server's certificate was used to sign another".into(),
        W::CertDistrusted => "a certificate in the chain is explicitly distrusted".into(),
        W::EmptyEkuExtension => "a certificate allows no purpose at all (empty EKU)".into(),
        W::ExtensionValueInvalid | W::MalformedExtensions => {
            "a certificate has a malformed extension".into()
        }
        W::InvalidSerialNumber => "a certificate has an invalid serial number".into(),
        W::MalformedDnsIdentifier | W::UnsupportedNameType => {
            "a certificate holds a name that is not a valid DNS name or address".into()
        }
        W::MalformedNameConstraint | W::NameConstraintViolation => {
            "the name is outside what an issuer's name constraints allow".into()
        }
        W::PathLenConstraintViolated | W::MaximumPathDepthExceeded => {
            "the chain is longer than an issuer allows".into()
        }
        W::MaximumNameConstraintComparisonsExceeded
        | W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded => {
            "the chain is too complex to verify (too many paths or signatures)".into()
        }
        W::SignatureAlgorithmMismatch => {
            "a certificate's two signature algorithm fields disagree".into()
        }
        W::UnsupportedCertVersion => "a certificate is not X.509 version 3".into(),
        W::UnsupportedCriticalExtension => {
            "a certificate has a critical extension no verifier understands".into()
        }
        other => format!(
            "the certificate was refused: {}",
            variant_words(&format!("{other:?}"))
        ),
    }
}

/// A handshake failure in words; certificate errors as `certificate_error` says them.
pub fn handshake_error(e: &Error) -> String {
    match e {
        Error::InvalidCertificate(c) => certificate_error(c),
        Error::AlertReceived(alert) => format!(
            "the server ended the handshake with the alert '{}'",
            variant_words(&format!("{alert:?}"))
        ),
        Error::PeerIncompatible(p) => match p {
            PeerIncompatible::NoCipherSuitesInCommon => {
                "the server accepts none of the cipher suites netcheck offers".into()
            }
            PeerIncompatible::NoKxGroupsInCommon => {
                "the server accepts none of the key-exchange groups netcheck offers".into()
            }
            PeerIncompatible::NoSignatureSchemesInCommon => {
                "the server cannot sign with any scheme netcheck accepts".into()
            }
            PeerIncompatible::ServerDoesNotSupportTls12Or13 => {
                "the server speaks neither TLS 1.2 nor TLS 1.3".into()
            }
            other => format!(
                "the server is incompatible: {}",
                variant_words(&format!("{other:?}"))
            ),
        },
        Error::PeerMisbehaved(m) => match m {
            PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme => {
                "the server signed with a scheme netcheck did not offer".into()
            }
            other => format!(
                "the server broke the TLS protocol: {}",
                variant_words(&format!("{other:?}"))
            ),
        },
        Error::InvalidMessage(_) => "the server does not speak TLS on this port".into(),
        Error::NoCertificatesPresented => "the server sent no certificate".into(),
        Error::DecryptError => "a handshake message could not be decrypted".into(),
        Error::General(s) => s.clone(),
        other => format!("{other}"),
    }
}

/// The name of a signature algorithm given as the DER of its AlgorithmIdentifier's contents
/// (RFC 5280 §4.1.1.2: an OID, then parameters), as WebPKI reports it.
fn algorithm_name(der: &[u8]) -> String {
    match der {
        [0x06, len, rest @ ..] if usize::from(*len) <= rest.len() => {
            let oid = x509_parser::oid_registry::Oid::new(std::borrow::Cow::Borrowed(
                &rest[..usize::from(*len)],
            ));
            super::certificate::oid_name(&oid)
        }
        _ => "an unknown algorithm".into(),
    }
}

/// `UnsupportedNameType` → "unsupported name type": the name of an enum variant, for the few
/// variants no arm above says better (rustls's enums are non-exhaustive).
fn variant_words(debug: &str) -> String {
    let name = debug
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or(debug);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_debug_text_for_unsupported_algorithms() {
        // The identifier WebPKI gives for md5WithRSAEncryption (1.2.840.113549.1.1.4).
        let e = CertificateError::UnsupportedSignatureAlgorithmContext {
            signature_algorithm_id: vec![6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 4, 5, 0],
            supported_algorithms: Vec::new(),
        };
        let words = certificate_error(&e);
        assert_eq!(
            words,
            "a certificate is signed with md5WithRSAEncryption, which browsers do not accept"
        );
    }

    #[test]
    fn webpki_reasons_passed_as_other_are_words() {
        let e = CertificateError::Other(rustls::OtherError(std::sync::Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        )));
        assert!(certificate_error(&e).contains("CA certificate (CA:TRUE)"));
        let e = CertificateError::Other(rustls::OtherError(std::sync::Arc::new(
            webpki::Error::UnsupportedCrlVersion,
        )));
        assert_eq!(
            certificate_error(&e),
            "the certificate was refused: unsupported crl version"
        );
    }

    #[test]
    fn handshake_errors_are_words() {
        let e = Error::InvalidCertificate(CertificateError::BadSignature);
        assert!(!handshake_error(&e).contains("BadSignature"));
        let e = Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        assert_eq!(
            handshake_error(&e),
            "the server ended the handshake with the alert 'handshake failure'"
        );
    }
}
