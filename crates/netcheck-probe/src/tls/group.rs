//! Named groups: the elliptic curves and finite-field groups of the IANA TLS Supported Groups
//! registry (RFC 8422 §5.1.1, RFC 7919, RFC 8446 §4.2.7), by code point and IANA name. A
//! ClientHello offers them in supported_groups; a server names one in its ECDHE
//! ServerKeyExchange or its TLS 1.3 key_share.

/// The curves a certificate grab offers, most common first. Every named curve of RFC 4492 is
/// there because old servers may know only one of them. The RFC 7919 finite-field groups are not:
/// RFC 7919 §4 forbids a server that knows none of the offered ones to choose DHE, so offering
/// them would make servers with their own DH parameters refuse DHE suites.
pub const OFFERED_GROUPS: &[u16] = &[
    29, 23, 24, 25, 30, 26, 27, 28, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
    5, 4, 3, 2, 1,
];

/// The IANA name of a named group (`x25519`, `secp256r1`, `ffdhe2048`, ...).
pub fn group_name(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x11ec => "X25519MLKEM768",
        0x11eb => "SecP256r1MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_group_has_a_name_and_appears_once() {
        let mut seen = std::collections::HashSet::new();
        for &g in OFFERED_GROUPS {
            assert!(group_name(g).is_some(), "{g}");
            assert!(seen.insert(g), "{g} twice");
        }
        assert_eq!(OFFERED_GROUPS[..2], [29, 23], "x25519 and P-256 first");
    }
}
