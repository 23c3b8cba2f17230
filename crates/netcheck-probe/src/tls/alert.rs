//! TLS alerts (RFC 5246 §7.2, RFC 8446 §6): a level and a description, named as the IANA TLS
//! Alerts registry names them, so a refusal reads "fatal handshake_failure (40)" rather than
//! a number. Reading the two bytes is tls-parser's job; what a refusal means is the check's.

use std::fmt;

/// One alert as the server sent it, before any encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// 1 warning, 2 fatal (RFC 5246 §7.2); other values are kept as sent.
    pub level: u8,
    pub description: u8,
}

impl Alert {
    pub const WARNING: u8 = 1;
    pub const FATAL: u8 = 2;

    pub const CLOSE_NOTIFY: u8 = 0;
    pub const HANDSHAKE_FAILURE: u8 = 40;
    pub const PROTOCOL_VERSION: u8 = 70;
    pub const INSUFFICIENT_SECURITY: u8 = 71;
    pub const INAPPROPRIATE_FALLBACK: u8 = 86;
    pub const UNRECOGNIZED_NAME: u8 = 112;

    /// Only a warning may be followed by more of the handshake (RFC 5246 §7.2.2); an unknown
    /// level counts as fatal. close_notify ends the connection whatever its level.
    pub fn ends_handshake(&self) -> bool {
        self.level != Self::WARNING || self.description == Self::CLOSE_NOTIFY
    }

    pub fn level_name(&self) -> Option<&'static str> {
        match self.level {
            Self::WARNING => Some("warning"),
            Self::FATAL => Some("fatal"),
            _ => None,
        }
    }

    /// The registry's name for the description: `handshake_failure`, `protocol_version`, ...
    pub fn description_name(&self) -> Option<&'static str> {
        Some(match self.description {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            111 => "certificate_unobtainable",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            121 => "ech_required",
            _ => return None,
        })
    }
}

impl From<&tls_parser::TlsMessageAlert> for Alert {
    fn from(a: &tls_parser::TlsMessageAlert) -> Alert {
        Alert {
            level: a.severity.0,
            description: a.code.0,
        }
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level_name() {
            Some(level) => write!(f, "{level} ")?,
            None => write!(f, "level-{} ", self.level)?,
        }
        match self.description_name() {
            Some(name) => write!(f, "{name} ({})", self.description),
            None => write!(f, "alert {}", self.description),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_in_the_registry_words() {
        let a = Alert {
            level: Alert::FATAL,
            description: Alert::HANDSHAKE_FAILURE,
        };
        assert_eq!(a.to_string(), "fatal handshake_failure (40)");
        assert!(a.ends_handshake());
        let odd = Alert {
            level: 7,
            description: 250,
        };
        assert_eq!(odd.to_string(), "level-7 alert 250");
        assert!(odd.ends_handshake());
    }

    #[test]
    fn only_warnings_other_than_close_notify_let_the_handshake_go_on() {
        let sni = Alert {
            level: Alert::WARNING,
            description: Alert::UNRECOGNIZED_NAME,
        };
        assert!(!sni.ends_handshake());
        let close = Alert {
            level: Alert::WARNING,
            description: Alert::CLOSE_NOTIFY,
        };
        assert!(close.ends_handshake());
    }
}
