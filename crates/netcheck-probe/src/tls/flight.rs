//! What a server's first flight says, message by message: the ServerHello's choices and
//! extensions, the Certificate chain, the ServerKeyExchange's parameters, and how the flight
//! ended. tls-parser reads each handshake message; this file turns it into facts. Framing
//! (records, messages split across them) is `decoder.rs`'s job, judging the facts is the check's.

use tls_parser::{TlsCipherKx, TlsCipherSuite, TlsExtension, TlsMessage, TlsMessageHandshake};

use super::alert::Alert;
use super::error::HelloError;
use super::group::group_name;
use super::suite::suite_name;
use super::version::ProtocolVersion;

/// How much of the first flight to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Stop at the ServerHello: enough to learn the version and suite a server accepts.
    ServerHello,
    /// Read to ServerHelloDone, through the certificate chain and the key exchange.
    ServerHelloDone,
}

/// The server's first flight, up to where it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFlight {
    /// The negotiated version: supported_versions' choice when the server sent one (RFC 8446
    /// §4.2.1), else the ServerHello's `server_version`.
    pub version: ProtocolVersion,
    pub suite: u16,
    /// The suite's IANA name, when the registry knows the code point.
    pub suite_name: Option<&'static str>,
    /// The compression method chosen; anything but null (0) is a finding (CRIME).
    pub compression: u8,
    /// The length of the ServerHello's session_id (RFC 5246 §7.4.1.3): a server that gives
    /// one lets a client resume by it. In TLS 1.3 it only echoes the client's (RFC 8446 §4.1.3).
    pub session_id_length: usize,
    pub extensions: ServerExtensions,
    /// DER certificates as sent, end entity first (RFC 5246 §7.4.2). Empty when the flight
    /// ended before a Certificate: TLS 1.3 (encrypted), anonymous suites, or `Until::ServerHello`.
    pub certificates: Vec<Vec<u8>>,
    pub key_exchange: Option<KeyExchange>,
    /// The SignatureScheme a TLS 1.2 ServerKeyExchange was signed with (RFC 5246 §7.4.3 and
    /// §4.7 digitally-signed); absent below TLS 1.2 (no algorithm field), for anonymous and
    /// RSA key exchange, and when it did not parse.
    pub signature_scheme: Option<u16>,
    /// A CertificateStatus message came: the server stapled an OCSP response (RFC 6066 §8).
    pub ocsp_stapled: bool,
    /// A CertificateRequest came: the server asks for a client certificate (RFC 5246 §7.4.4).
    pub certificate_requested: bool,
    /// Warning alerts that did not stop the handshake, such as unrecognized_name.
    pub warnings: Vec<Alert>,
    pub end: FlightEnd,
}

/// Where the flight stopped being readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlightEnd {
    /// ServerHelloDone: the whole flight of TLS 1.2 and below, read in the clear.
    ServerHelloDone,
    /// Stopped after the ServerHello, as `Until::ServerHello` asked.
    ServerHello,
    /// The server chose TLS 1.3: everything after its ServerHello, the certificate included,
    /// is encrypted (RFC 8446 §2).
    Encrypted,
    /// A HelloRetryRequest (RFC 8446 §4.1.4): TLS 1.3 is accepted, but with another key share;
    /// `extensions.key_share_group` says which group the server wants.
    HelloRetryRequest,
    /// A fatal alert after the ServerHello.
    Alert(Alert),
}

/// The ServerHello's extensions netcheck reports on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerExtensions {
    /// Every extension type the server sent, in its order.
    pub types: Vec<u16>,
    /// renegotiation_info (RFC 5746): the server supports secure renegotiation.
    pub renegotiation_info: bool,
    /// extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
    /// encrypt_then_mac (RFC 7366).
    pub encrypt_then_mac: bool,
    /// SessionTicket (RFC 5077): the server will issue a ticket.
    pub session_ticket: bool,
    /// status_request (RFC 6066 §8): the server will staple an OCSP response.
    pub status_request: bool,
    /// signed_certificate_timestamp (RFC 6962 §3.3.1): SCTs delivered in the handshake.
    pub signed_certificate_timestamp: bool,
    /// The protocol chosen by ALPN (RFC 7301), lossily decoded.
    pub alpn: Option<String>,
    /// supported_versions' selected_version (RFC 8446 §4.2.1).
    pub supported_version: Option<ProtocolVersion>,
    /// The group of the TLS 1.3 key_share (RFC 8446 §4.2.8): the server's share, or in a
    /// HelloRetryRequest the group it asks for.
    pub key_share_group: Option<u16>,
}

/// What the ServerKeyExchange offered (RFC 5246 §7.4.3), as far as it can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchange {
    /// Finite-field Diffie-Hellman (DHE and DH_anon): the size of the prime `dh_p`.
    Dh { prime_bits: usize },
    /// ECDHE on a named curve (RFC 8422 §5.4).
    Ecdh {
        group: u16,
        group_name: Option<&'static str>,
    },
    /// ECDHE on explicit curve parameters, which RFC 8422 §5.1.1 deprecates.
    EcdhExplicit,
    /// The temporary RSA key of an export suite (RFC 2246 §7.4.3 ServerRSAParams).
    Rsa { modulus_bits: usize },
    /// Parameters of a key exchange netcheck does not read, or that did not parse.
    Unread { bytes: usize },
}

impl ServerFlight {
    /// True when the certificate chain was there to read: the flight reached ServerHelloDone.
    pub fn chain_in_the_clear(&self) -> bool {
        self.end == FlightEnd::ServerHelloDone
    }
}

/// RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is SHA-256 of
/// "HelloRetryRequest".
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// One handshake message, header included, read with tls-parser.
pub(super) fn parse_message<'a>(
    bytes: &'a [u8],
    what: &'static str,
) -> Result<TlsMessageHandshake<'a>, HelloError> {
    match tls_parser::parse_tls_message_handshake(bytes) {
        Ok((_, TlsMessage::Handshake(m))) => Ok(m),
        _ => Err(HelloError::Malformed { what }),
    }
}

/// The flight as the ServerHello starts it, and whether it also ends there (TLS 1.3, a
/// HelloRetryRequest, or `Until::ServerHello`). A flight that goes on has `end` set by the
/// decoder when it ends.
pub(super) fn from_server_hello(
    message: TlsMessageHandshake<'_>,
    until: Until,
) -> Result<(ServerFlight, bool), HelloError> {
    let (version, suite, compression, session_id_length, ext, hello_retry) = match message {
        TlsMessageHandshake::ServerHello(sh) => {
            let hello_retry = sh.random == HELLO_RETRY_RANDOM;
            let session_id_length = sh.session_id.map_or(0, <[u8]>::len);
            let compression = sh.compression.0;
            (
                sh.version,
                sh.cipher,
                compression,
                session_id_length,
                sh.ext,
                hello_retry,
            )
        }
        // The one TLS 1.3 draft that tls-parser reads with its own layout.
        TlsMessageHandshake::ServerHelloV13Draft18(sh) => {
            (sh.version, sh.cipher, 0, 0, sh.ext, false)
        }
        _ => {
            return Err(HelloError::Malformed {
                what: "ServerHello",
            });
        }
    };
    let extensions = read_extensions(ext.unwrap_or_default())?;
    let version = extensions
        .supported_version
        .unwrap_or(ProtocolVersion(version.0));
    let end = if hello_retry {
        Some(FlightEnd::HelloRetryRequest)
    } else if version.is_tls13() {
        Some(FlightEnd::Encrypted)
    } else if until == Until::ServerHello {
        Some(FlightEnd::ServerHello)
    } else {
        None
    };
    let flight = ServerFlight {
        version,
        suite: suite.0,
        suite_name: suite_name(suite.0),
        compression,
        session_id_length,
        extensions,
        certificates: Vec::new(),
        key_exchange: None,
        signature_scheme: None,
        ocsp_stapled: false,
        certificate_requested: false,
        warnings: Vec::new(),
        end: end.unwrap_or(FlightEnd::ServerHello),
    };
    Ok((flight, end.is_some()))
}

/// The ServerHello's extensions (RFC 5246 §7.4.1.4: a type, then opaque data<0..2^16-1>),
/// framed here so that one extension tls-parser finds odd costs only its meaning, not the flight.
fn read_extensions(mut block: &[u8]) -> Result<ServerExtensions, HelloError> {
    let malformed = HelloError::Malformed {
        what: "ServerHello extensions",
    };
    let mut facts = ServerExtensions::default();
    while !block.is_empty() {
        let (Some(kind), Some(len)) = (be_u16(block, 0), be_u16(block, 2)) else {
            return Err(malformed);
        };
        let Some(raw) = block.get(..4 + usize::from(len)) else {
            return Err(malformed);
        };
        block = &block[raw.len()..];
        facts.types.push(kind);
        let data = &raw[4..];
        match kind {
            5 => facts.status_request = true,
            18 => facts.signed_certificate_timestamp = true,
            22 => facts.encrypt_then_mac = true,
            23 => facts.extended_master_secret = true,
            35 => facts.session_ticket = true,
            0xff01 => facts.renegotiation_info = true,
            // RFC 8446 §4.2.8: KeyShareServerHello starts with the group, and a
            // HelloRetryRequest's KeyShareHelloRetryRequest is only the group.
            51 => facts.key_share_group = be_u16(data, 0),
            _ => {}
        }
        match tls_parser::parse_tls_extension(raw) {
            Ok((_, TlsExtension::ALPN(names))) => {
                facts.alpn = names
                    .first()
                    .map(|n| String::from_utf8_lossy(n).into_owned());
            }
            Ok((_, TlsExtension::SupportedVersions(v))) if v.len() == 1 => {
                facts.supported_version = Some(ProtocolVersion(v[0].0));
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// The certificate_list of a Certificate message (RFC 5246 §7.4.2), end entity first.
pub(super) fn certificates(message: &TlsMessageHandshake<'_>) -> Option<Vec<Vec<u8>>> {
    match message {
        TlsMessageHandshake::Certificate(c) => {
            Some(c.cert_chain.iter().map(|c| c.data.to_vec()).collect())
        }
        _ => None,
    }
}

/// What a ServerKeyExchange offers, read according to the key exchange of the chosen suite.
pub(super) fn key_exchange(message: &TlsMessageHandshake<'_>, suite: u16) -> Option<KeyExchange> {
    let TlsMessageHandshake::ServerKeyExchange(ske) = message else {
        return None;
    };
    let params = ske.parameters;
    let unread = KeyExchange::Unread {
        bytes: params.len(),
    };
    let kx = TlsCipherSuite::from_id(suite).map(|s| s.kx);
    Some(match kx {
        Some(TlsCipherKx::Dhe | TlsCipherKx::Dh) => match tls_parser::parse_dh_params(params) {
            Ok((_, dh)) => KeyExchange::Dh {
                prime_bits: bit_length(dh.dh_p),
            },
            Err(_) => unread,
        },
        Some(TlsCipherKx::Ecdhe | TlsCipherKx::Ecdh | TlsCipherKx::Aecdh) => {
            match tls_parser::parse_ecdh_params(params) {
                Ok((_, ec)) => match ec.curve_params.params_content {
                    tls_parser::ECParametersContent::NamedGroup(g) => KeyExchange::Ecdh {
                        group: g.0,
                        group_name: group_name(g.0),
                    },
                    tls_parser::ECParametersContent::ExplicitPrime(_) => KeyExchange::EcdhExplicit,
                },
                Err(_) => unread,
            }
        }
        // RFC 2246 §7.4.3 ServerRSAParams: rsa_modulus<1..2^16-1>, rsa_exponent<1..2^16-1>.
        Some(TlsCipherKx::Rsa) => {
            match be_u16(params, 0).and_then(|len| params.get(2..2 + usize::from(len))) {
                Some(modulus) => KeyExchange::Rsa {
                    modulus_bits: bit_length(modulus),
                },
                None => unread,
            }
        }
        _ => unread,
    })
}

/// The SignatureScheme of a TLS 1.2 ServerKeyExchange: the two bytes after the parameters
/// (RFC 5246 §7.4.3: `digitally-signed struct { params }`, whose algorithm comes first, §4.7).
pub(super) fn signature_scheme(message: &TlsMessageHandshake<'_>, suite: u16) -> Option<u16> {
    let TlsMessageHandshake::ServerKeyExchange(ske) = message else {
        return None;
    };
    let params = ske.parameters;
    let rest = match TlsCipherSuite::from_id(suite).map(|s| s.kx)? {
        TlsCipherKx::Dhe => tls_parser::parse_dh_params(params).ok()?.0,
        TlsCipherKx::Ecdhe => tls_parser::parse_ecdh_params(params).ok()?.0,
        _ => return None,
    };
    be_u16(rest, 0)
}

/// A SignatureScheme's name: RFC 8446 §4.2.3's (`rsa_pss_rsae_sha256`), else the TLS 1.2 pair
/// of RFC 5246 §7.4.1.4.1 (`dsa_sha256`, `rsa_md5`), else its code point.
pub fn signature_scheme_name(code: u16) -> String {
    let scheme = tls_parser::SignatureScheme(code).to_string();
    if !scheme.starts_with("SignatureScheme") {
        return scheme;
    }
    let [hash, sign] = code.to_be_bytes();
    let (hash, sign) = (
        tls_parser::HashAlgorithm(hash).to_string(),
        tls_parser::SignAlgorithm(sign).to_string(),
    );
    if hash.starts_with("HashAlgorithm") || sign.starts_with("SignAlgorithm") {
        format!("0x{code:04X}")
    } else {
        format!("{}_{}", sign.to_lowercase(), hash.to_lowercase())
    }
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(n: &[u8]) -> usize {
    match n.iter().position(|&b| b != 0) {
        Some(i) => (n.len() - i - 1) * 8 + (8 - n[i].leading_zeros() as usize),
        None => 0,
    }
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_schemes_are_named_by_rfc_8446_else_by_their_tls_1_2_pair() {
        assert_eq!(signature_scheme_name(0x0804), "rsa_pss_rsae_sha256");
        assert_eq!(signature_scheme_name(0x0203), "ecdsa_sha1");
        assert_eq!(signature_scheme_name(0x0402), "dsa_sha256");
        assert_eq!(signature_scheme_name(0x0101), "rsa_md5");
        assert_eq!(signature_scheme_name(0xfe77), "0xFE77");
    }

    #[test]
    fn integer_sizes_count_significant_bits() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[0, 0x01]), 1);
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0xff; 128]), 1024);
    }

    #[test]
    fn extensions_are_read_one_by_one_and_odd_content_costs_only_its_meaning() {
        let block = [
            0xff, 0x01, 0x00, 0x01, 0x00, // renegotiation_info, empty
            0x00, 0x17, 0x00, 0x00, // extended_master_secret
            0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h', b'2', // ALPN "h2"
            0x00, 0x16, 0x00, 0x01, 0x07, // encrypt_then_mac with a stray byte
            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, // supported_versions: TLS 1.3
            0x00, 0x33, 0x00, 0x02, 0x00, 0x17, // key_share (HelloRetryRequest): secp256r1
        ];
        let e = read_extensions(&block).unwrap();
        assert_eq!(e.types, [0xff01, 23, 16, 22, 43, 51]);
        assert!(e.renegotiation_info && e.extended_master_secret && e.encrypt_then_mac);
        assert!(!e.session_ticket && !e.status_request);
        assert_eq!(e.alpn.as_deref(), Some("h2"));
        assert_eq!(e.supported_version, Some(ProtocolVersion::TLS_1_3));
        assert_eq!(e.key_share_group, Some(23));
    }

    #[test]
    fn an_extension_longer_than_its_block_is_malformed() {
        let block = [0xff, 0x01, 0x00, 0x09, 0x00];
        assert!(matches!(
            read_extensions(&block),
            Err(HelloError::Malformed { .. })
        ));
        assert!(read_extensions(&[0x00]).is_err());
    }
}
