//! Protocol versions as the wire carries them: `{major, minor}` in two bytes (RFC 5246 §6.2.1,
//! RFC 8446 §4.2.1 for TLS 1.3's supported_versions), with the names people use for them.

use std::fmt;

/// A `ProtocolVersion` (two bytes, big-endian): 0x0300 is SSL 3.0, 0x0301 TLS 1.0 and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    pub const SSL_3_0: ProtocolVersion = ProtocolVersion(0x0300);
    pub const TLS_1_0: ProtocolVersion = ProtocolVersion(0x0301);
    pub const TLS_1_1: ProtocolVersion = ProtocolVersion(0x0302);
    pub const TLS_1_2: ProtocolVersion = ProtocolVersion(0x0303);
    pub const TLS_1_3: ProtocolVersion = ProtocolVersion(0x0304);

    /// `SSL 3.0`, `TLS 1.2`, `TLS 1.3 draft 23`; `None` for a code point nobody named.
    pub fn name(self) -> Option<String> {
        Some(match self.0 {
            0x0300 => "SSL 3.0".to_string(),
            0x0301..=0x0304 => format!("TLS 1.{}", self.0 - 0x0301),
            // draft-ietf-tls-tls13-NN advertised 0x7f00 | NN.
            0x7f00..=0x7fff => format!("TLS 1.3 draft {}", self.0 & 0xff),
            _ => return None,
        })
    }

    /// TLS 1.3 or one of its drafts: the server's certificate travels encrypted.
    pub fn is_tls13(self) -> bool {
        self == Self::TLS_1_3 || self.0 >> 8 == 0x7f
    }

    pub fn to_be_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(&name),
            None => write!(f, "version {:#06x}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_named_as_people_say_them() {
        assert_eq!(ProtocolVersion::SSL_3_0.to_string(), "SSL 3.0");
        assert_eq!(ProtocolVersion::TLS_1_0.to_string(), "TLS 1.0");
        assert_eq!(ProtocolVersion::TLS_1_3.to_string(), "TLS 1.3");
        assert_eq!(ProtocolVersion(0x7f17).to_string(), "TLS 1.3 draft 23");
        assert_eq!(ProtocolVersion(0x0200).to_string(), "version 0x0200");
        assert!(ProtocolVersion(0x7f12).is_tls13());
        assert!(!ProtocolVersion::TLS_1_2.is_tls13());
    }
}
