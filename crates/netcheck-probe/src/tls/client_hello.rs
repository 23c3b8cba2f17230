//! The ClientHello netcheck sends to make a server show its first flight: which versions and
//! suites to offer, and the bytes of the record that carries them. tls-parser serialises the
//! handshake message, the server_name and the supported_groups extensions; the extensions it
//! cannot write are built here by hand, each with its RFC. Nothing here talks to a network.
//!
//! The hello is built to be answered, not to be completed: netcheck never derives keys, so the
//! random and the TLS 1.3 key share are unpredictable bytes, not key material.

use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;

use tls_parser::{
    NamedGroup, SNIType, Serialize, TlsCipherSuiteID, TlsClientHelloContents, TlsCompressionID,
    TlsExtension, TlsMessageHandshake,
};

use super::error::HelloError;
use super::group::OFFERED_GROUPS;
use super::suite::{EMPTY_RENEGOTIATION_INFO_SCSV, FALLBACK_SCSV, LEGACY_SUITES, TLS13_SUITES};
use super::version::ProtocolVersion;

/// RFC 5246 §6.2.1: a plaintext fragment is at most 2^14 bytes. netcheck's hello fits in one
/// record; one that does not is refused rather than fragmented, because old servers that this
/// hello exists for often fail to reassemble a fragmented ClientHello.
const MAX_FRAGMENT: usize = 1 << 14;

/// RFC 5246 §7.4.1.4.1 SignatureAndHashAlgorithm pairs and RFC 8446 §4.2.3 SignatureSchemes,
/// modern first, then the SHA-224, SHA-1 and MD5 pairs that only old servers sign with: without
/// them such a server has nothing to sign its ServerKeyExchange with and refuses.
pub const SIGNATURE_ALGORITHMS: &[u16] = &[
    0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256, _secp384r1_sha384, _secp521r1_sha512
    0x0807, 0x0808, // ed25519, ed448
    0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256/384/512
    0x0809, 0x080a, 0x080b, // rsa_pss_pss_sha256/384/512
    0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256/384/512
    0x0402, 0x0502, 0x0602, // dsa with sha256/384/512
    0x0303, 0x0301, 0x0302, // sha224 with ecdsa, rsa, dsa
    0x0203, 0x0201, 0x0202, // ecdsa_sha1, rsa_pkcs1_sha1, dsa_sha1
    0x0103, 0x0101, 0x0102, // md5 with ecdsa, rsa, dsa
];

/// RFC 8422 §5.1.2: only the uncompressed point format is still defined; every server
/// supports it.
const POINT_FORMATS: &[u8] = &[0];

/// A ClientHello to send. Fields are public so that a scanner can vary one thing at a time;
/// `certificate_grab` and `tls13` give the usual starting points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// The version in the record header. RFC 8446 §5.1 and RFC 5246 Appendix E.1: TLS 1.0 for
    /// an initial hello, since some servers reject anything else; SSL 3.0 for an SSL 3.0 hello.
    pub record_version: ProtocolVersion,
    /// `client_version` (RFC 5246 §7.4.1.2), the highest version offered; `legacy_version`
    /// 0x0303 when TLS 1.3 is offered through `supported_versions` (RFC 8446 §4.1.2).
    pub client_version: ProtocolVersion,
    /// Cipher suite code points in order of preference.
    pub suites: Vec<u16>,
    /// Compression methods; null (0) must be among them (RFC 5246 §7.4.1.2).
    pub compression: Vec<u8>,
    /// A DNS name for server_name. IP literals are never sent (RFC 6066 §3).
    pub server_name: Option<String>,
    pub groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    /// ALPN protocol names (RFC 7301); empty sends no ALPN extension.
    pub alpn: Vec<String>,
    /// supported_versions (RFC 8446 §4.2.1); empty sends none, and the server negotiates by
    /// `client_version` alone.
    pub supported_versions: Vec<ProtocolVersion>,
    /// key_share entries (RFC 8446 §4.2.8): a named group and its public value. With TLS 1.3
    /// offered and none here, the extension goes empty.
    pub key_shares: Vec<(u16, Vec<u8>)>,
    /// Add TLS_FALLBACK_SCSV (RFC 7507), for a scanner asking whether the server detects a
    /// downgrade.
    pub fallback_scsv: bool,
    /// Ask for SCTs in the handshake (RFC 6962 §3.3.1, an empty signed_certificate_timestamp
    /// extension), for a scanner asking whether the server delivers them that way.
    pub request_scts: bool,
    /// `Random` (RFC 5246 §7.4.1.2).
    pub random: [u8; 32],
}

impl ClientHello {
    /// A TLS 1.2 hello offering every suite of `LEGACY_SUITES`, every curve and every signature
    /// algorithm, so that any server that still has a certificate to show answers with one.
    pub fn certificate_grab(server_name: Option<&str>) -> ClientHello {
        ClientHello {
            server_name: server_name.map(str::to_string),
            ..ClientHello::offering(
                ProtocolVersion::TLS_1_2,
                LEGACY_SUITES.iter().map(|s| s.code).collect(),
            )
        }
    }

    /// A hello offering `version` and nothing above it, with `suites`. SSL 3.0 hellos carry no
    /// extensions (RFC 6101 has none) and signal secure renegotiation by SCSV instead. TLS 1.3
    /// (or a draft) is offered the RFC 8446 way: `legacy_version` TLS 1.2, the version in
    /// supported_versions, and an X25519 key share. Any 32 bytes are an X25519 public value
    /// (RFC 7748 §5), so the server computes its share and answers with a ServerHello;
    /// netcheck holds no private key and goes no further.
    pub fn offering(version: ProtocolVersion, suites: Vec<u16>) -> ClientHello {
        let record_version = if version == ProtocolVersion::SSL_3_0 {
            ProtocolVersion::SSL_3_0
        } else {
            ProtocolVersion::TLS_1_0
        };
        let tls13 = version.is_tls13();
        ClientHello {
            record_version,
            client_version: if tls13 {
                ProtocolVersion::TLS_1_2
            } else {
                version
            },
            suites,
            compression: vec![0],
            server_name: None,
            groups: OFFERED_GROUPS.to_vec(),
            signature_algorithms: SIGNATURE_ALGORITHMS.to_vec(),
            alpn: Vec::new(),
            supported_versions: if tls13 { vec![version] } else { Vec::new() },
            key_shares: if tls13 {
                vec![(29, unpredictable().to_vec())]
            } else {
                Vec::new()
            },
            fallback_scsv: false,
            request_scts: false,
            random: unpredictable(),
        }
    }

    /// A TLS 1.3-only hello offering the TLS 1.3 suites.
    pub fn tls13(server_name: Option<&str>) -> ClientHello {
        ClientHello {
            server_name: server_name.map(str::to_string),
            ..ClientHello::offering(
                ProtocolVersion::TLS_1_3,
                TLS13_SUITES.iter().map(|s| s.code).collect(),
            )
        }
    }

    /// The bytes to send: one handshake record holding the ClientHello.
    pub fn encode(&self) -> Result<Vec<u8>, HelloError> {
        let ssl3 = self.client_version == ProtocolVersion::SSL_3_0;
        let mut suites: Vec<TlsCipherSuiteID> =
            self.suites.iter().copied().map(TlsCipherSuiteID).collect();
        if ssl3 {
            suites.push(TlsCipherSuiteID(EMPTY_RENEGOTIATION_INFO_SCSV));
        }
        if self.fallback_scsv {
            suites.push(TlsCipherSuiteID(FALLBACK_SCSV));
        }
        let extensions = if ssl3 { None } else { Some(self.extensions()?) };
        if suites.len() > 0x7fff || self.compression.len() > 0xff {
            return Err(HelloError::HelloTooLarge);
        }
        let contents = TlsClientHelloContents::new(
            self.client_version.0,
            &self.random,
            None,
            suites,
            self.compression
                .iter()
                .copied()
                .map(TlsCompressionID)
                .collect(),
            extensions.as_deref(),
        );
        let message = TlsMessageHandshake::ClientHello(contents)
            .serialize()
            .map_err(|e| HelloError::Encode(format!("{e:?}")))?;
        if message.len() > MAX_FRAGMENT {
            return Err(HelloError::HelloTooLarge);
        }
        // RFC 5246 §6.2.1 TLSPlaintext: type handshake(22), version, length, fragment.
        let mut record = Vec::with_capacity(5 + message.len());
        record.push(22);
        record.extend(self.record_version.to_be_bytes());
        record.extend((message.len() as u16).to_be_bytes());
        record.extend(message);
        Ok(record)
    }

    /// The extensions block's content (without its two-byte length).
    fn extensions(&self) -> Result<Vec<u8>, HelloError> {
        let mut out = Vec::new();
        let mut written_by_tls_parser = Vec::new();
        if let Some(host) = self.server_name.as_deref().and_then(sni_host_name) {
            written_by_tls_parser.push(TlsExtension::SNI(vec![(SNIType::HostName, host)]));
        }
        if !self.groups.is_empty() {
            let groups = self.groups.iter().copied().map(NamedGroup).collect();
            written_by_tls_parser.push(TlsExtension::EllipticCurves(groups));
        }
        for ext in &written_by_tls_parser {
            let bytes = cookie_factory::gen_simple(tls_parser::gen_tls_extension(ext), Vec::new())
                .map_err(|e| HelloError::Encode(format!("{e:?}")))?;
            out.extend(bytes);
        }
        // RFC 8422 §5.1.2 ec_point_formats: ECPointFormat ec_point_format_list<1..2^8-1>.
        extension(&mut out, 11, &with_u8_length(POINT_FORMATS)?);
        if !self.signature_algorithms.is_empty() {
            // RFC 5246 §7.4.1.4.1 / RFC 8446 §4.2.3: supported_signature_algorithms<2..2^16-2>.
            extension(
                &mut out,
                13,
                &with_u16_length(&u16s(&self.signature_algorithms))?,
            );
        }
        // RFC 6066 §8 status_request: ocsp(1), empty responder_id_list and request_extensions.
        extension(&mut out, 5, &[1, 0, 0, 0, 0]);
        if self.request_scts {
            // RFC 6962 §3.3.1: the client's signed_certificate_timestamp is empty.
            extension(&mut out, 18, &[]);
        }
        if !self.alpn.is_empty() {
            // RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>, each <1..2^8-1>.
            let mut names = Vec::new();
            for p in &self.alpn {
                names.extend(with_u8_length(p.as_bytes())?);
            }
            extension(&mut out, 16, &with_u16_length(&names)?);
        }
        // RFC 7366 §2 encrypt_then_mac, RFC 7627 §5.1 extended_master_secret and RFC 5077 §3.2
        // SessionTicket: empty in a hello; the server's echo says it supports them.
        extension(&mut out, 22, &[]);
        extension(&mut out, 23, &[]);
        extension(&mut out, 35, &[]);
        if !self.supported_versions.is_empty() {
            // RFC 8446 §4.2.1: ProtocolVersion versions<2..254>.
            let versions: Vec<u16> = self.supported_versions.iter().map(|v| v.0).collect();
            extension(&mut out, 43, &with_u8_length(&u16s(&versions))?);
        }
        if !self.key_shares.is_empty() || self.supported_versions.iter().any(|v| v.is_tls13()) {
            // RFC 8446 §4.2.8: KeyShareEntry client_shares<0..2^16-1>, each a NamedGroup and
            // opaque key_exchange<1..2^16-1>. A TLS 1.3 hello always carries it (§9.2), empty
            // to ask the server which group it wants (a HelloRetryRequest names it).
            let mut shares = Vec::new();
            for (group, public) in &self.key_shares {
                shares.extend(group.to_be_bytes());
                shares.extend(with_u16_length(public)?);
            }
            extension(&mut out, 51, &with_u16_length(&shares)?);
        }
        // RFC 5746 §3.4 renegotiation_info with an empty renegotiated_connection<0..255>.
        extension(&mut out, 0xff01, &[0]);
        if out.len() > 0xffff {
            return Err(HelloError::HelloTooLarge);
        }
        Ok(out)
    }
}

/// The name to put in server_name, or `None` when it must not be sent: RFC 6066 §3 allows
/// only DNS host names, without the trailing dot, and no IP literals.
fn sni_host_name(name: &str) -> Option<&[u8]> {
    let host = name.strip_suffix('.').unwrap_or(name);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let plausible = !host.is_empty() && host.len() <= 253 && host.is_ascii();
    (plausible && host.parse::<IpAddr>().is_err()).then_some(host.as_bytes())
}

/// RFC 5246 §7.4.1.4 Extension: extension_type, then opaque extension_data<0..2^16-1>.
fn extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend(kind.to_be_bytes());
    out.extend((data.len() as u16).to_be_bytes());
    out.extend(data);
}

fn with_u8_length(data: &[u8]) -> Result<Vec<u8>, HelloError> {
    let len = u8::try_from(data.len()).map_err(|_| HelloError::HelloTooLarge)?;
    Ok([&[len][..], data].concat())
}

fn with_u16_length(data: &[u8]) -> Result<Vec<u8>, HelloError> {
    let len = u16::try_from(data.len()).map_err(|_| HelloError::HelloTooLarge)?;
    Ok([&len.to_be_bytes()[..], data].concat())
}

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// 32 bytes nobody can predict: std's randomly keyed SipHash over a counter. Good enough for a
/// hello's random and a throwaway key share, which are never used to derive keys.
fn unpredictable() -> [u8; 32] {
    let state = std::collections::hash_map::RandomState::new();
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(mut hello: ClientHello) -> ClientHello {
        hello.random = [0xab; 32];
        hello
    }

    /// A hello with everything optional left out reads back byte by byte: record header,
    /// handshake header, version, random, empty session id, suites, compression, extensions.
    #[test]
    fn a_minimal_hello_is_laid_out_as_rfc_5246_says() {
        let mut hello = fixed(ClientHello::offering(
            ProtocolVersion::TLS_1_1,
            vec![0x002f],
        ));
        hello.groups.clear();
        hello.signature_algorithms.clear();
        let bytes = hello.encode().unwrap();
        let mut expected = vec![0x16, 0x03, 0x01, 0x00, 0x4f];
        expected.extend([0x01, 0x00, 0x00, 0x4b, 0x03, 0x02]);
        expected.extend([0xab; 32]);
        expected.extend([0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00]);
        expected.extend([0x00, 0x20]); // extensions: 32 bytes
        expected.extend([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]); // ec_point_formats
        expected.extend([0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00]); // status_request
        expected.extend([0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00]); // ETM, EMS
        expected.extend([0x00, 0x23, 0x00, 0x00]); // SessionTicket
        expected.extend([0xff, 0x01, 0x00, 0x01, 0x00]); // renegotiation_info
        assert_eq!(bytes, expected);
    }

    /// tls-parser reads back what it and the hand-built extensions wrote.
    #[test]
    fn a_certificate_grab_parses_back_with_every_suite_and_extension() {
        let hello = fixed(ClientHello::certificate_grab(Some("www.example.test.")));
        let bytes = hello.encode().unwrap();
        let (rest, record) = tls_parser::parse_tls_plaintext(&bytes).unwrap();
        assert!(rest.is_empty());
        assert_eq!(record.hdr.version, tls_parser::TlsVersion::Tls10);
        let [tls_parser::TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))] =
            &record.msg[..]
        else {
            panic!("not one ClientHello: {record:?}");
        };
        assert_eq!(ch.version, tls_parser::TlsVersion::Tls12);
        assert_eq!(ch.ciphers.len(), LEGACY_SUITES.len());
        let (rest, exts) = tls_parser::parse_tls_client_hello_extensions(ch.ext.unwrap()).unwrap();
        assert!(rest.is_empty());
        let sni = exts.iter().find_map(|e| match e {
            TlsExtension::SNI(v) => Some(v[0].1),
            _ => None,
        });
        assert_eq!(sni, Some(&b"www.example.test"[..]), "trailing dot dropped");
        let sigalgs = exts.iter().find_map(|e| match e {
            TlsExtension::SignatureAlgorithms(v) => Some(v.clone()),
            _ => None,
        });
        assert!(sigalgs.unwrap().contains(&0x0101), "MD5 with RSA offered");
        assert!(exts.contains(&TlsExtension::RenegotiationInfo(&[])));
        assert!(exts.contains(&TlsExtension::ExtendedMasterSecret));
        assert!(exts.iter().any(
            |e| matches!(e, TlsExtension::EllipticCurves(g) if g.len() == OFFERED_GROUPS.len())
        ));
    }

    #[test]
    fn ip_literals_are_never_sent_as_server_name() {
        for name in ["192.0.2.7", "2001:db8::1", "[2001:db8::1]", ""] {
            let hello = fixed(ClientHello::certificate_grab(Some(name)));
            let bytes = hello.encode().unwrap();
            let without = fixed(ClientHello::certificate_grab(None)).encode().unwrap();
            assert_eq!(bytes, without, "{name}");
        }
    }

    #[test]
    fn an_ssl3_hello_has_no_extensions_and_signals_renegotiation_by_scsv() {
        let mut hello = fixed(ClientHello::offering(
            ProtocolVersion::SSL_3_0,
            vec![0x000a],
        ));
        hello.fallback_scsv = true;
        let bytes = hello.encode().unwrap();
        assert_eq!(bytes[..3], [0x16, 0x03, 0x00]);
        // suites: 3DES, then the renegotiation SCSV, then the fallback SCSV.
        assert_eq!(
            bytes[5 + 4 + 2 + 32 + 1..][..8],
            [0, 6, 0x00, 0x0a, 0x00, 0xff, 0x56, 0x00]
        );
        // compression, then an empty extensions block (RFC 6101 §5.6.1.2 lets extra data follow).
        assert_eq!(bytes[bytes.len() - 4..], [1, 0, 0, 0]);
    }

    #[test]
    fn a_tls13_hello_offers_the_version_in_supported_versions_with_a_key_share() {
        let hello = fixed(ClientHello::tls13(Some("example.test")));
        let bytes = hello.encode().unwrap();
        let (_, record) = tls_parser::parse_tls_plaintext(&bytes).unwrap();
        let tls_parser::TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) =
            &record.msg[0]
        else {
            panic!("not a ClientHello");
        };
        assert_eq!(ch.version, tls_parser::TlsVersion::Tls12, "legacy_version");
        let (_, exts) = tls_parser::parse_tls_client_hello_extensions(ch.ext.unwrap()).unwrap();
        assert!(exts.contains(&TlsExtension::SupportedVersions(vec![
            tls_parser::TlsVersion::Tls13
        ])));
        let share = exts.iter().find_map(|e| match e {
            TlsExtension::KeyShare(b) => Some(*b),
            _ => None,
        });
        // client_shares length 36, then x25519 (29) with a 32-byte value.
        assert_eq!(share.unwrap()[..6], [0, 36, 0, 29, 0, 32]);
    }

    #[test]
    fn a_tls13_hello_without_shares_sends_an_empty_key_share() {
        let mut hello = fixed(ClientHello::tls13(None));
        hello.key_shares.clear();
        let bytes = hello.encode().unwrap();
        // key_share (51), two bytes of data: an empty client_shares list.
        let empty = [0x00, 0x33, 0x00, 0x02, 0x00, 0x00];
        assert!(bytes.windows(6).any(|w| w == empty), "{bytes:02x?}");
    }

    #[test]
    fn a_hello_too_big_for_one_record_is_refused_not_truncated() {
        let hello = ClientHello::offering(ProtocolVersion::TLS_1_2, vec![0x002f; 9000]);
        assert!(matches!(hello.encode(), Err(HelloError::HelloTooLarge)));
        let mut hello = ClientHello::certificate_grab(None);
        hello.alpn = vec!["x".repeat(300)];
        assert!(matches!(hello.encode(), Err(HelloError::HelloTooLarge)));
    }

    #[test]
    fn randoms_differ_between_hellos() {
        assert_ne!(unpredictable(), unpredictable());
    }
}
