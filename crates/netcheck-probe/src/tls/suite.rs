//! Cipher suites: two-byte code points (RFC 5246 §7.4.1.2, the IANA TLS Cipher Suites registry)
//! and their IANA names. `LEGACY_SUITES` is every suite of TLS 1.2 and below that a server with a
//! certificate might accept, strongest first and anonymous ones last, so that a ClientHello
//! offering all of them gets an answer from the oldest server and a sensible choice from a
//! modern one. PSK, SRP, Kerberos and GOST suites are left out: a server picks them only for
//! clients that hold credentials netcheck never has. Which suites a check offers, and what it
//! concludes from the choice, is the check's business.

/// A cipher suite as it travels in a hello: its code point and its IANA name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipherSuite {
    pub code: u16,
    pub name: &'static str,
}

const fn suite(code: u16, name: &'static str) -> CipherSuite {
    CipherSuite { code, name }
}

/// RFC 5746 §3.3: a client that sends no renegotiation_info extension (an SSL 3.0 hello has no
/// extensions) signals secure renegotiation with this suite instead.
pub const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00FF;
/// RFC 7507 §2: a client retrying with a lower version than it supports says so with this suite;
/// a server that supports better answers with inappropriate_fallback.
pub const FALLBACK_SCSV: u16 = 0x5600;

/// The TLS 1.3 suites (RFC 8446 §B.4); they are offered only with supported_versions.
pub const TLS13_SUITES: &[CipherSuite] = &[
    suite(0x1301, "TLS_AES_128_GCM_SHA256"),
    suite(0x1302, "TLS_AES_256_GCM_SHA384"),
    suite(0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    suite(0x1304, "TLS_AES_128_CCM_SHA256"),
    suite(0x1305, "TLS_AES_128_CCM_8_SHA256"),
];

/// Every suite of SSL 3.0 to TLS 1.2 a server with a certificate might accept, in the order a
/// ClientHello offers them. The 0x0060–0x0066 "EXPORT1024" suites were never registered with
/// IANA; their names are those of draft-ietf-tls-56-bit-ciphersuites-01, which old servers
/// implemented.
pub const LEGACY_SUITES: &[CipherSuite] = &[
    // ECDHE with AEAD, then CBC
    suite(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    suite(0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    suite(0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"),
    suite(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    suite(0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    suite(0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"),
    suite(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    suite(0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    suite(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    suite(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    suite(0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    suite(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    suite(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    suite(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    suite(0xC049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"),
    suite(0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
    suite(0xC048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"),
    suite(0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    suite(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    suite(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    suite(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    suite(0xC04D, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"),
    suite(0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
    suite(0xC04C, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"),
    suite(0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    // DHE
    suite(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    suite(0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"),
    suite(0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"),
    suite(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    suite(0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"),
    suite(0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"),
    suite(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    suite(0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"),
    suite(0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"),
    suite(0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    suite(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    suite(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    suite(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    suite(0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    suite(0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    suite(0xC045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384"),
    suite(0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    suite(0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"),
    suite(0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0xC044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256"),
    suite(0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
    suite(0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"),
    suite(0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
    suite(0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"),
    suite(0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    suite(0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"),
    suite(0xC043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384"),
    suite(0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    suite(0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"),
    suite(0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0xC042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256"),
    // static RSA key transport
    suite(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    suite(0xC09D, "TLS_RSA_WITH_AES_256_CCM"),
    suite(0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8"),
    suite(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    suite(0xC09C, "TLS_RSA_WITH_AES_128_CCM"),
    suite(0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8"),
    suite(0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC07B, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC07A, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    suite(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    suite(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    suite(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    suite(0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    suite(0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    suite(0xC03D, "TLS_RSA_WITH_ARIA_256_CBC_SHA384"),
    suite(0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    suite(0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"),
    suite(0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256"),
    // static ECDH and DH (the key is in the certificate)
    suite(0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"),
    suite(0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"),
    suite(0xC05F, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC05E, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"),
    suite(0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"),
    suite(0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"),
    suite(0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"),
    suite(0xC055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC07F, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC08D, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC07E, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0xC08C, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"),
    suite(0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"),
    suite(0xC059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0xC058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"),
    suite(0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"),
    suite(0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"),
    suite(0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"),
    suite(0xC04B, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384"),
    suite(0xC075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
    suite(0xC04A, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256"),
    suite(0xC074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"),
    suite(0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"),
    suite(0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"),
    suite(0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"),
    suite(0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"),
    suite(0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"),
    suite(0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"),
    suite(0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"),
    suite(0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    suite(0x00C2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    suite(0xC041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384"),
    suite(0xC04F, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384"),
    suite(0xC079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
    suite(0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    suite(0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA"),
    suite(0x00BC, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0xC040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256"),
    suite(0xC04E, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256"),
    suite(0xC078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"),
    suite(0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"),
    suite(0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"),
    suite(0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"),
    suite(0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    suite(0x00C1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256"),
    suite(0xC03F, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384"),
    suite(0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    suite(0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA"),
    suite(0x00BB, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0xC03E, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256"),
    // weak ciphers (3DES, RC4, DES, RC2, IDEA, export grades), ephemeral key exchange
    suite(0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    suite(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    suite(0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    suite(0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    suite(0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    suite(0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA"),
    suite(0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"),
    suite(0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA"),
    suite(0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA"),
    suite(0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    // weak ciphers, static key exchange
    suite(0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"),
    suite(0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"),
    suite(0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    suite(0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    suite(0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"),
    suite(0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA"),
    suite(0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    suite(0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA"),
    suite(0x0060, "TLS_RSA_EXPORT1024_WITH_RC4_56_MD5"),
    suite(0x0061, "TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5"),
    suite(0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA"),
    suite(0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA"),
    suite(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    suite(0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    suite(0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    suite(0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    suite(0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"),
    suite(0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA"),
    suite(0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    // NULL encryption: authenticated, not encrypted
    suite(0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    suite(0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    // NULL encryption, static key exchange
    suite(0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"),
    suite(0x0001, "TLS_RSA_WITH_NULL_MD5"),
    suite(0x0002, "TLS_RSA_WITH_NULL_SHA"),
    suite(0x003B, "TLS_RSA_WITH_NULL_SHA256"),
    suite(0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA"),
    // anonymous
    suite(0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    suite(0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"),
    suite(0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
    suite(0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
    suite(0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    suite(0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"),
    suite(0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
    suite(0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    suite(0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"),
    suite(0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"),
    suite(0xC047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384"),
    suite(0xC05B, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384"),
    suite(0xC085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384"),
    suite(0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    suite(0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"),
    suite(0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    suite(0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"),
    suite(0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA"),
    suite(0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"),
    suite(0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA"),
    suite(0xC046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256"),
    suite(0xC05A, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256"),
    suite(0xC084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256"),
    suite(0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA"),
    suite(0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"),
    suite(0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"),
    suite(0xC015, "TLS_ECDH_anon_WITH_NULL_SHA"),
];

/// The IANA name of a code point, from tls-parser's copy of the registry (which also knows the
/// PSK, SRP, Kerberos and TLS 1.3 suites that `LEGACY_SUITES` leaves out).
pub fn suite_name(code: u16) -> Option<&'static str> {
    tls_parser::TlsCipherSuite::from_id(code).map(|s| s.name)
}

/// What a suite is made of, as the registry defines it: enough for a check to judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteTraits {
    /// An ephemeral key exchange (DHE, ECDHE, every TLS 1.3 suite): a stolen server key does not
    /// open recorded sessions.
    pub forward_secrecy: bool,
    /// No server authentication at all (DH_anon, ECDH_anon).
    pub anonymous: bool,
    /// The 1999 export grades (40- and 56-bit ciphers, 512-bit temporary keys).
    pub export: bool,
    pub cipher: Cipher,
    /// The cipher's key size in bits; 0 for NULL encryption.
    pub cipher_bits: u16,
    /// GCM, CCM or ChaCha20-Poly1305: authenticated encryption, no CBC padding oracles.
    pub aead: bool,
}

/// The bulk cipher of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    Null,
    Des,
    TripleDes,
    Rc2,
    Rc4,
    Idea,
    Seed,
    Aria,
    Aes,
    Camellia,
    ChaCha20,
    Other,
}

impl SuiteTraits {
    /// The traits of a code point that tls-parser's registry knows.
    pub fn of(code: u16) -> Option<SuiteTraits> {
        use tls_parser::{TlsCipherAu, TlsCipherEnc, TlsCipherEncMode, TlsCipherKx};
        let s = tls_parser::TlsCipherSuite::from_id(code)?;
        let cipher = match s.enc {
            TlsCipherEnc::Null => Cipher::Null,
            TlsCipherEnc::Des => Cipher::Des,
            TlsCipherEnc::TripleDes => Cipher::TripleDes,
            TlsCipherEnc::Rc2 => Cipher::Rc2,
            TlsCipherEnc::Rc4 => Cipher::Rc4,
            TlsCipherEnc::Idea => Cipher::Idea,
            TlsCipherEnc::Seed => Cipher::Seed,
            TlsCipherEnc::Aria => Cipher::Aria,
            TlsCipherEnc::Aes => Cipher::Aes,
            TlsCipherEnc::Camellia => Cipher::Camellia,
            TlsCipherEnc::Chacha20_Poly1305 => Cipher::ChaCha20,
            _ => Cipher::Other,
        };
        let tls13 = s.kx == TlsCipherKx::Tls13;
        Some(SuiteTraits {
            forward_secrecy: tls13
                || matches!(
                    s.kx,
                    TlsCipherKx::Dhe | TlsCipherKx::Ecdhe | TlsCipherKx::Aecdh
                ),
            anonymous: !tls13 && s.au == TlsCipherAu::Null && s.kx != TlsCipherKx::Null,
            export: s.name.contains("_EXPORT"),
            cipher,
            cipher_bits: s.enc_size,
            aead: tls13
                || cipher == Cipher::ChaCha20
                || matches!(s.enc_mode, TlsCipherEncMode::Gcm | TlsCipherEncMode::Ccm),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn suites_are_taken_apart_as_the_registry_defines_them() {
        let t = |code| SuiteTraits::of(code).unwrap();
        let gcm = t(0xC030);
        assert!(gcm.forward_secrecy && gcm.aead && !gcm.anonymous && !gcm.export);
        assert_eq!((gcm.cipher, gcm.cipher_bits), (Cipher::Aes, 256));
        let rsa = t(0x002F);
        assert!(!rsa.forward_secrecy && !rsa.aead);
        assert_eq!(t(0x0005).cipher, Cipher::Rc4);
        assert_eq!(t(0x000A).cipher, Cipher::TripleDes);
        assert!(t(0x0003).export && t(0x0063).export);
        assert!(t(0x0034).anonymous && t(0xC018).anonymous && !t(0x0002).anonymous);
        assert_eq!(t(0x0002).cipher, Cipher::Null);
        assert!(t(0x1301).forward_secrecy && t(0x1303).aead);
        for s in LEGACY_SUITES.iter().chain(TLS13_SUITES) {
            assert!(SuiteTraits::of(s.code).is_some(), "{:#06x}", s.code);
        }
    }

    #[test]
    fn every_listed_suite_carries_its_iana_name() {
        for s in LEGACY_SUITES.iter().chain(TLS13_SUITES) {
            assert_eq!(suite_name(s.code), Some(s.name), "{:#06x}", s.code);
        }
    }

    #[test]
    fn the_legacy_list_has_no_duplicates_and_no_tls13_or_signalling_suites() {
        let codes: HashSet<u16> = LEGACY_SUITES.iter().map(|s| s.code).collect();
        assert_eq!(codes.len(), LEGACY_SUITES.len());
        assert!(codes.iter().all(|c| c >> 8 != 0x13));
        assert!(!codes.contains(&EMPTY_RENEGOTIATION_INFO_SCSV));
        assert!(!codes.contains(&FALLBACK_SCSV));
    }

    #[test]
    fn the_legacy_list_covers_every_family_old_servers_accept() {
        let has = |part: &str| LEGACY_SUITES.iter().any(|s| s.name.contains(part));
        for family in [
            "_ECDHE_",
            "_DHE_",
            "TLS_RSA_WITH_",
            "_CBC_",
            "_3DES_",
            "_RC4_",
            "_EXPORT",
            "_NULL_",
            "_anon_",
            "_GCM_",
            "_CHACHA20_",
        ] {
            assert!(has(family), "{family}");
        }
        // Anonymous suites send no certificate: they come after every other one.
        let first_anon = LEGACY_SUITES.iter().position(|s| s.name.contains("_anon_"));
        let last_named = LEGACY_SUITES
            .iter()
            .rposition(|s| !s.name.contains("_anon_"));
        assert!(first_anon > last_named);
    }
}
