//! Turning what a person typed into a target: a URL with a scheme, a host and a port.
//!
//! Accepts a URL (`https://example.com/path`), a host name (`example.com`, `한국.kr`), a host and
//! port (`example.com:8443`) or an IP literal (`198.18.0.1`, `2001:db8::1`, `[2001:db8::1]:443`).
//! Host names are converted to their ASCII (punycode) form by the `url` crate's IDNA processing
//! (UTS #46); the rules it does not enforce for DNS names (RFC 1035 §2.3.4 lengths, no bare TLD)
//! are checked here. Everything else about the target (its addresses) is the DNS check's work.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use url::{Host, Url};

/// RFC 1035 §2.3.4: a name is at most 255 octets on the wire, 253 characters in text.
const MAX_NAME_LEN: usize = 253;
/// RFC 1035 §2.3.4: a label is at most 63 octets.
const MAX_LABEL_LEN: usize = 63;
/// Longer input is refused before it is parsed at all.
const MAX_INPUT_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TargetError {
    #[error("the target is empty: give a URL, a host name or an IP address")]
    Empty,
    #[error("the target is {len} characters long; at most {MAX_INPUT_LEN} are accepted")]
    InputTooLong { len: usize },
    #[error("unsupported scheme '{0}': netcheck checks http:// and https:// targets")]
    UnsupportedScheme(String),
    #[error("the port is not a number from 1 to 65535")]
    PortOutOfRange,
    #[error("'{input}' is not a valid URL: {reason}")]
    InvalidUrl { input: String, reason: String },
    #[error("the host name is {len} characters long; DNS allows at most {MAX_NAME_LEN}")]
    NameTooLong { len: usize },
    #[error("the label '{label}' is {len} characters long; DNS allows at most {MAX_LABEL_LEN}")]
    LabelTooLong { label: String, len: usize },
    #[error("'{host}' is not a valid host name: {reason}")]
    InvalidHostName { host: String, reason: String },
    #[error("'{0}' is a bare top-level domain, not a host: try a full name such as 'example.{0}'")]
    BareTld(String),
    #[error("the URL has no host")]
    NoHost,
}

/// What kind of host the target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HostKind {
    Name,
    Ipv4,
    Ipv6,
}

/// A validated target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Target {
    /// What was typed, unchanged.
    pub input: String,
    /// The normalised URL that the site check fetches.
    pub url: String,
    pub scheme: String,
    /// The host in ASCII: punycode for names, no brackets for IPv6.
    pub host: String,
    /// The host in Unicode, when it differs from `host` (IDN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_unicode: Option<String>,
    pub host_kind: HostKind,
    pub port: u16,
    /// True when the port was written in the input rather than implied by the scheme.
    pub explicit_port: bool,
}

impl Target {
    pub fn parse(input: &str) -> Result<Target, TargetError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(TargetError::Empty);
        }
        if trimmed.len() > MAX_INPUT_LEN {
            return Err(TargetError::InputTooLong { len: trimmed.len() });
        }
        let with_scheme = if let Ok(ip) = trimmed.parse::<IpAddr>() {
            // A bare IPv6 address has colons that would read as a port: bracket it.
            match ip {
                IpAddr::V4(v4) => format!("https://{v4}"),
                IpAddr::V6(v6) => format!("https://[{v6}]"),
            }
        } else if let Some((scheme, _)) = trimmed.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                return Err(TargetError::UnsupportedScheme(scheme));
            }
            trimmed.to_owned()
        } else if has_foreign_scheme(trimmed) {
            let scheme = trimmed
                .split(':')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            return Err(TargetError::UnsupportedScheme(scheme));
        } else {
            format!("https://{trimmed}")
        };
        if with_scheme.chars().any(char::is_whitespace) {
            return Err(TargetError::InvalidHostName {
                host: trimmed.to_owned(),
                reason: "it contains white space".into(),
            });
        }
        let url = Url::parse(&with_scheme).map_err(|e| match e {
            url::ParseError::InvalidPort => TargetError::PortOutOfRange,
            url::ParseError::EmptyHost => TargetError::NoHost,
            other => TargetError::InvalidUrl {
                input: trimmed.to_owned(),
                reason: other.to_string(),
            },
        })?;
        Self::from_url(input, url)
    }

    fn from_url(input: &str, url: Url) -> Result<Target, TargetError> {
        let scheme = url.scheme().to_owned();
        let port = url
            .port_or_known_default()
            .ok_or(TargetError::PortOutOfRange)?;
        if port == 0 {
            return Err(TargetError::PortOutOfRange);
        }
        let (host, host_kind) = match url.host() {
            None => return Err(TargetError::NoHost),
            Some(Host::Ipv4(v4)) => (v4.to_string(), HostKind::Ipv4),
            Some(Host::Ipv6(v6)) => (v6.to_string(), HostKind::Ipv6),
            Some(Host::Domain(d)) => (validate_name(d)?, HostKind::Name),
        };
        let host_unicode = match host_kind {
            HostKind::Name => {
                let (unicode, result) = idna::domain_to_unicode(&host);
                (result.is_ok() && unicode != host).then_some(unicode)
            }
            _ => None,
        };
        Ok(Target {
            input: input.to_owned(),
            url: url.to_string(),
            scheme,
            host,
            host_unicode,
            host_kind,
            port,
            explicit_port: url.port().is_some(),
        })
    }

    pub fn ip(&self) -> Option<IpAddr> {
        match self.host_kind {
            HostKind::Name => None,
            _ => self.host.parse().ok(),
        }
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// The host as it is written in a URL authority or a `Host` header.
    pub fn authority(&self) -> String {
        let host = match self.host_kind {
            HostKind::Ipv6 => format!("[{}]", self.host),
            _ => self.host.clone(),
        };
        if self.explicit_port {
            format!("{host}:{}", self.port)
        } else {
            host
        }
    }
}

/// `mailto:x` or `ftp:x` without slashes: a scheme we do not speak. `host:port` is not one.
fn has_foreign_scheme(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, rest)) => {
            let port_like = rest
                .split('/')
                .next()
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
            !port_like
                && !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && scheme.as_bytes()[0].is_ascii_alphabetic()
        }
        None => false,
    }
}

/// Checks an ASCII (already punycoded) DNS name; returns it without a trailing dot.
fn validate_name(name: &str) -> Result<String, TargetError> {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if name.len() > MAX_NAME_LEN {
        return Err(TargetError::NameTooLong { len: name.len() });
    }
    let invalid = |reason: &str| TargetError::InvalidHostName {
        host: name.clone(),
        reason: reason.to_owned(),
    };
    for label in name.split('.') {
        if label.is_empty() {
            return Err(invalid("it has an empty label (two dots in a row)"));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(TargetError::LabelTooLong {
                label: label.to_owned(),
                len: label.len(),
            });
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(invalid(&format!("'{c}' is not allowed in a host name")));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(invalid("a label may not start or end with '-'"));
        }
    }
    if !name.contains('.') && name != "localhost" {
        return Err(TargetError::BareTld(name));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Target {
        match Target::parse(input) {
            Ok(t) => t,
            Err(e) => panic!("{input:?} should parse: {e}"),
        }
    }

    #[test]
    fn a_bare_name_defaults_to_https_on_443() {
        let t = ok("example.com");
        assert_eq!(t.url, "https://example.com/");
        assert_eq!(
            (t.scheme.as_str(), t.port, t.explicit_port),
            ("https", 443, false)
        );
        assert_eq!(t.host_kind, HostKind::Name);
    }

    #[test]
    fn an_explicit_port_and_scheme_are_honoured() {
        let t = ok("http://Example.COM:8080/a?b=c");
        assert_eq!(
            (t.scheme.as_str(), t.host.as_str(), t.port),
            ("http", "example.com", 8080)
        );
        assert!(t.explicit_port);
        assert_eq!(t.authority(), "example.com:8080");
        assert_eq!(t.url, "http://example.com:8080/a?b=c");
        let t = ok("example.com:8443");
        assert_eq!((t.scheme.as_str(), t.port), ("https", 8443));
    }

    #[test]
    fn idn_becomes_punycode() {
        let t = ok("한국.kr");
        assert_eq!(t.host, "xn--3e0b707e.kr");
        assert_eq!(t.host_unicode.as_deref(), Some("한국.kr"));
        let t = ok("https://bücher.example/");
        assert_eq!(t.host, "xn--bcher-kva.example");
    }

    #[test]
    fn ip_literals_are_recognised() {
        let t = ok("198.18.0.1");
        assert_eq!(
            (t.host_kind, t.ip()),
            (HostKind::Ipv4, Some("198.18.0.1".parse().unwrap()))
        );
        let t = ok("2001:db8::1");
        assert_eq!(
            (t.host_kind, t.host.as_str()),
            (HostKind::Ipv6, "2001:db8::1")
        );
        assert_eq!(t.url, "https://[2001:db8::1]/");
        let t = ok("http://[2001:db8::2]:8080/");
        assert_eq!((t.host_kind, t.port), (HostKind::Ipv6, 8080));
        assert_eq!(t.authority(), "[2001:db8::2]:8080");
        let t = ok("198.18.0.1:8443");
        assert_eq!((t.host_kind, t.port), (HostKind::Ipv4, 8443));
    }

    #[test]
    fn a_trailing_dot_is_dropped_and_localhost_is_allowed() {
        assert_eq!(ok("example.com.").host, "example.com");
        assert_eq!(ok("localhost").host, "localhost");
    }

    #[test]
    fn bad_input_gets_a_clear_error() {
        type Expect = fn(&TargetError) -> bool;
        let cases: &[(&str, Expect)] = &[
            ("", |e| *e == TargetError::Empty),
            ("   ", |e| *e == TargetError::Empty),
            ("http://[", |e| matches!(e, TargetError::InvalidUrl { .. })),
            ("exa mple.com", |e| {
                matches!(e, TargetError::InvalidHostName { .. })
            }),
            ("ftp://x", |e| {
                *e == TargetError::UnsupportedScheme("ftp".into())
            }),
            ("mailto:a@b.c", |e| {
                *e == TargetError::UnsupportedScheme("mailto".into())
            }),
            ("com", |e| *e == TargetError::BareTld("com".into())),
            ("example.com:70000", |e| *e == TargetError::PortOutOfRange),
            ("https://example.com:0/", |e| {
                *e == TargetError::PortOutOfRange
            }),
            ("a..b.com", |e| {
                matches!(e, TargetError::InvalidHostName { .. })
            }),
            ("-a.com", |e| {
                matches!(e, TargetError::InvalidHostName { .. })
            }),
            ("https://", |e| {
                matches!(e, TargetError::NoHost | TargetError::InvalidUrl { .. })
            }),
        ];
        for (input, expected) in cases {
            match Target::parse(input) {
                Ok(t) => panic!("{input:?} should be refused, got {t:?}"),
                Err(e) => {
                    assert!(expected(&e), "{input:?} gave the wrong error: {e:?}");
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn overlong_names_and_labels_are_refused() {
        let long = format!("{}.com", "a".repeat(3000));
        assert!(matches!(
            Target::parse(&long),
            Err(TargetError::InputTooLong { len: 3004 })
        ));
        let label = format!("{}.com", "a".repeat(64));
        assert!(matches!(
            Target::parse(&label),
            Err(TargetError::LabelTooLong { len: 64, .. })
        ));
        let name = vec!["a".repeat(60); 5].join(".");
        assert!(matches!(
            Target::parse(&name),
            Err(TargetError::NameTooLong { .. })
        ));
    }
}
