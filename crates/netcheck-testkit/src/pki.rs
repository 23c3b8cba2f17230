//! A test PKI made with rcgen: a root, an intermediate, and leaf certificates in every state the
//! TLS verdict distinguishes (valid, expired, not yet valid, wrong host, self-signed, untrusted,
//! incomplete chain).

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DistinguishedName,
    DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// A certificate authority: a root and an intermediate below it.
pub struct TestCa {
    pub root: CertifiedIssuer<'static, KeyPair>,
    pub intermediate: CertifiedIssuer<'static, KeyPair>,
}

/// What a server presents: its chain (end entity first) and its key.
pub struct ServerIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    pub fn clone_key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }

    /// The chain as PEM, end entity first, as nginx's `ssl_certificate` takes it.
    pub fn chain_pem(&self) -> String {
        let blocks: Vec<pem::Pem> = self
            .chain
            .iter()
            .map(|c| pem::Pem::new("CERTIFICATE", c.to_vec()))
            .collect();
        pem::encode_many(&blocks)
    }

    /// The private key as PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        pem::encode(&pem::Pem::new(
            "PRIVATE KEY",
            self.key.secret_der().to_vec(),
        ))
    }
}

/// Options for a leaf certificate.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub names: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Send the intermediate with the leaf (a complete chain).
    pub send_intermediate: bool,
    /// The caIssuers URL written into the leaf's AIA extension.
    pub ca_issuers: Option<String>,
}

impl Leaf {
    pub fn for_names(names: &[&str]) -> Leaf {
        let now = OffsetDateTime::now_utc();
        Leaf {
            names: names.iter().map(|s| (*s).to_owned()).collect(),
            not_before: now - Duration::days(30),
            not_after: now + Duration::days(60),
            send_intermediate: true,
            ca_issuers: None,
        }
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "netcheck tests");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(365);
    params.not_after = now + Duration::days(3650);
    params
}

fn key() -> KeyPair {
    KeyPair::generate().unwrap_or_else(|e| panic!("key generation: {e}"))
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let root = CertifiedIssuer::self_signed(ca_params(&format!("{name} Root")), key())
            .unwrap_or_else(|e| panic!("root: {e}"));
        let intermediate =
            CertifiedIssuer::signed_by(ca_params(&format!("{name} Intermediate")), key(), &root)
                .unwrap_or_else(|e| panic!("intermediate: {e}"));
        TestCa { root, intermediate }
    }

    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root.der().clone()
    }

    pub fn root_pem(&self) -> String {
        self.root.pem()
    }

    pub fn intermediate_der(&self) -> CertificateDer<'static> {
        self.intermediate.der().clone()
    }

    pub fn intermediate_pem(&self) -> String {
        self.intermediate.pem()
    }

    /// The intermediate's private key as PKCS#8 PEM: what signs an OCSP response for the
    /// leaves it issued (RFC 6960 §4.2.2.2 lets the issuing CA sign it itself).
    pub fn intermediate_key_pem(&self) -> String {
        self.intermediate.key().serialize_pem()
    }

    /// A leaf issued by the intermediate, with a fresh ECDSA P-256 key.
    pub fn issue(&self, leaf: &Leaf) -> ServerIdentity {
        self.issue_for_key(leaf, key())
    }

    /// A leaf issued by the intermediate for `key`: one ring cannot make, such as an RSA key
    /// from `openssl genpkey` read with `KeyPair::from_pem`, for RSA and DHE_RSA suites.
    pub fn issue_for_key(&self, leaf: &Leaf, key: KeyPair) -> ServerIdentity {
        let mut params = CertificateParams::new(leaf.names.clone())
            .unwrap_or_else(|e| panic!("leaf params: {e}"));
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            leaf.names.first().cloned().unwrap_or_default(),
        );
        params.distinguished_name = dn;
        params.not_before = leaf.not_before;
        params.not_after = leaf.not_after;
        if let Some(url) = &leaf.ca_issuers {
            params.custom_extensions.push(aia_extension(url));
        }
        let cert = params
            .signed_by(&key, &self.intermediate)
            .unwrap_or_else(|e| panic!("leaf: {e}"));
        let mut chain = vec![cert.der().clone()];
        if leaf.send_intermediate {
            chain.push(self.intermediate_der());
        }
        ServerIdentity {
            chain,
            key: private_key(&key),
        }
    }
}

/// A certificate that signed itself, for `names`.
pub fn self_signed(names: &[&str]) -> ServerIdentity {
    let params = CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
        .unwrap_or_else(|e| panic!("params: {e}"));
    let key = key();
    let cert = params
        .self_signed(&key)
        .unwrap_or_else(|e| panic!("self-signed: {e}"));
    ServerIdentity {
        chain: vec![cert.der().clone()],
        key: private_key(&key),
    }
}

fn private_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// The Authority Information Access extension with one caIssuers URI (RFC 5280 §4.2.2.1).
/// rcgen has no builder for it, so its DER is written here:
/// SEQUENCE { SEQUENCE { OID id-ad-caIssuers, [6] IA5String uri } }.
fn aia_extension(url: &str) -> CustomExtension {
    const ID_AD_CA_ISSUERS: [u8; 8] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut access = der(0x06, &ID_AD_CA_ISSUERS);
    access.extend(der(0x86, url.as_bytes()));
    let description = der(0x30, &access);
    let syntax = der(0x30, &description);
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], syntax)
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}
