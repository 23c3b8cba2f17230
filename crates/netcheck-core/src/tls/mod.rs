//! TLS as netcheck speaks it: rustls (ring) with a verifier that records the chain and the
//! verdict instead of aborting the handshake, so a bad certificate is a finding in the report and
//! the rest of the report (the HTTP answer behind it) is still there.

pub mod certificate;
pub mod handshake;
pub mod verdict;
pub mod words;

pub use handshake::{HandshakeFailure, Negotiated, handshake_failure, negotiated, version_name};

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use thiserror::Error;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Trust anchors and the crypto provider, built once per run and shared by every connection.
#[derive(Clone)]
pub struct TlsClient {
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient").finish_non_exhaustive()
    }
}

/// What the verifier saw during one handshake.
#[derive(Debug, Clone)]
pub struct SeenChain {
    /// The certificates as the server sent them, end entity first.
    pub chain: Vec<CertificateDer<'static>>,
    /// WebPKI's judgement of that chain for the name asked.
    pub result: Result<(), rustls::Error>,
}

/// Why there is no TLS client for the run.
#[derive(Debug, Clone, Error)]
pub enum TlsClientError {
    /// A certificate given as a trust anchor (`--ca-file`) cannot be one.
    #[error("a trust anchor was refused: {0}")]
    AnchorRefused(#[source] rustls::Error),
    #[error("cannot build the certificate verifier: {0}")]
    NoVerifier(#[source] rustls::client::VerifierBuilderError),
}

/// A host that cannot be named in a TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("'{host}' cannot be a TLS server name: {reason}")]
pub struct BadServerName {
    pub host: String,
    pub reason: String,
}

impl TlsClient {
    /// Mozilla's roots (webpki-roots) plus `extra_roots`.
    pub fn new(extra_roots: &[CertificateDer<'static>]) -> Result<TlsClient, TlsClientError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in extra_roots {
            roots
                .add(cert.clone())
                .map_err(TlsClientError::AnchorRefused)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(TlsClientError::NoVerifier)?;
        Ok(TlsClient { webpki, provider })
    }

    /// Verifies a chain again, e.g. completed with an issuer fetched from AIA.
    pub fn verify(
        &self,
        chain: &[CertificateDer<'static>],
        server_name: &ServerName<'static>,
    ) -> Result<(), rustls::Error> {
        let (leaf, intermediates) = chain
            .split_first()
            .ok_or(rustls::Error::NoCertificatesPresented)?;
        self.webpki
            .verify_server_cert(leaf, intermediates, server_name, &[], UnixTime::now())
            .map(|_| ())
    }

    /// Runs a handshake over `tcp`, offering `alpn`. The certificate verdict never fails the
    /// handshake; what the verifier saw is returned beside the stream.
    pub async fn handshake(
        &self,
        tcp: TcpStream,
        server_name: ServerName<'static>,
        alpn: &[&[u8]],
    ) -> (std::io::Result<TlsStream<TcpStream>>, Option<SeenChain>) {
        let recorder = Arc::new(RecordingVerifier {
            webpki: self.webpki.clone(),
            algorithms: self.provider.signature_verification_algorithms,
            seen: Mutex::new(None),
        });
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map(|b| {
                b.dangerous()
                    .with_custom_certificate_verifier(recorder.clone())
                    .with_no_client_auth()
            });
        let mut config = match config {
            Ok(c) => c,
            Err(e) => return (Err(std::io::Error::other(e)), None),
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let result = TlsConnector::from(Arc::new(config))
            .connect(server_name, tcp)
            .await;
        let seen = recorder.seen.lock().ok().and_then(|mut s| s.take());
        (result, seen)
    }
}

/// Records the chain and WebPKI's verdict, then lets the handshake go on. Handshake signatures
/// are still verified for real: a server that cannot prove it holds the key fails the handshake.
struct RecordingVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    algorithms: WebPkiSupportedAlgorithms,
    seen: Mutex<Option<SeenChain>>,
}

impl std::fmt::Debug for RecordingVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingVerifier").finish_non_exhaustive()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(SeenChain { chain, result });
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The server name rustls should send and verify: a DNS name, or an IP address for IP targets.
pub fn server_name(host: &str) -> Result<ServerName<'static>, BadServerName> {
    ServerName::try_from(host.to_owned()).map_err(|e| BadServerName {
        host: host.to_owned(),
        reason: e.to_string(),
    })
}
