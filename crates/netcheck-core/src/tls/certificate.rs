//! One X.509 certificate as the report shows it, parsed with x509-parser from the DER bytes the
//! server sent. Nothing here decides trust: that is `verdict.rs`'s job.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{self, Oid};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses from the subjectAltName extension.
    pub sans: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// Whole days from now until `not_after`; negative once expired.
    pub days_left: i64,
    /// `RSA`, `EC P-256`, `Ed25519`, ...
    pub key_type: String,
    pub key_bits: usize,
    pub signature_algorithm: String,
    /// Hex, colon-separated, as browsers show it.
    pub serial: String,
    pub sha256_fingerprint: String,
    pub is_ca: bool,
    /// Issuer and subject are the same name.
    pub self_issued: bool,
    /// The caIssuers URLs of the Authority Information Access extension (RFC 5280 §4.2.2.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_issuers: Vec<String>,
}

/// Why a certificate could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the certificate is not valid DER X.509: {0}")]
pub struct CertificateParseError(String);

impl CertificateInfo {
    pub fn parse(der: &[u8], now_unix: i64) -> Result<CertificateInfo, CertificateParseError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| CertificateParseError(e.to_string()))?;
        let validity = cert.validity();
        let not_after = validity.not_after.timestamp();
        let (key_type, key_bits) = key_description(&cert);
        Ok(CertificateInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            sans: subject_alt_names(&cert),
            not_before: rfc3339(validity.not_before.timestamp()),
            not_after: rfc3339(not_after),
            days_left: (not_after - now_unix).div_euclid(86_400),
            key_type,
            key_bits,
            signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
            serial: colon_hex(cert.raw_serial()),
            sha256_fingerprint: colon_hex(&Sha256::digest(der)),
            is_ca: cert.is_ca(),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            ca_issuers: ca_issuers(&cert),
        })
    }

    /// The first name a person would call the certificate by: its CN, else its first SAN.
    pub fn common_name(&self) -> &str {
        self.subject
            .split(", ")
            .find_map(|part| part.strip_prefix("CN="))
            .or_else(|| self.sans.first().map(String::as_str))
            .unwrap_or(&self.subject)
    }
}

fn subject_alt_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(d) => Some((*d).to_owned()),
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

fn ca_issuers(cert: &X509Certificate<'_>) -> Vec<String> {
    use x509_parser::extensions::ParsedExtension;
    let mut urls = Vec::new();
    for ext in cert.iter_extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for desc in &aia.accessdescs {
                if desc.access_method == oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS
                    && let GeneralName::URI(uri) = &desc.access_location
                {
                    urls.push((*uri).to_owned());
                }
            }
        }
    }
    urls
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

fn key_description(cert: &X509Certificate<'_>) -> (String, usize) {
    let spki = cert.public_key();
    let algorithm = &spki.algorithm.algorithm;
    if *algorithm == oid_registry::OID_SIG_ED25519 {
        return ("Ed25519".into(), 256);
    }
    if *algorithm == oid_registry::OID_SIG_ED448 {
        return ("Ed448".into(), 456);
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA".into(), rsa.key_size()),
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| curve_name(&oid))
                .unwrap_or_else(|| "unknown curve".into());
            (format!("EC {curve}"), point.key_size())
        }
        Ok(PublicKey::DSA(y)) => ("DSA".into(), y.len() * 8),
        _ => (oid_name(algorithm), 0),
    }
}

fn curve_name(oid: &Oid<'_>) -> String {
    match oid.to_id_string().as_str() {
        "1.2.840.10045.3.1.1" => "P-192".into(),
        "1.3.132.0.33" => "P-224".into(),
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".into(),
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1".into(),
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        other => other.to_owned(),
    }
}

pub(crate) fn oid_name(oid: &Oid<'_>) -> String {
    match x509_parser::objects::oid2sn(oid, oid_registry()) {
        Ok(name) => name.to_owned(),
        Err(_) => oid.to_id_string(),
    }
}

fn oid_registry() -> &'static oid_registry::OidRegistry<'static> {
    static REGISTRY: std::sync::OnceLock<oid_registry::OidRegistry<'static>> =
        std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| {
        oid_registry::OidRegistry::default()
            .with_all_crypto()
            .with_x509()
    })
}

pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
