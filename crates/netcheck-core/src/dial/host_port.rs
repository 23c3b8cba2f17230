//! Where a peer listens, as a person or a referral writes it: `host`, `host:port`, `[v6]`,
//! `[v6]:port`, or a bare IPv6 address (which cannot carry a port: its colons are its own).
//! The default port is the caller's: 43 for WHOIS, 53 for DNS, 25 or 465 for SMTP.
//!
//! One reader for every place that takes such text — WHOIS servers and their referrals,
//! `--resolver`, `--smtp-server` — so that none of them guesses differently. A referral comes
//! from a WHOIS server, so the text is untrusted: the reader never panics and has a fuzz target
//! (fuzz/fuzz_targets/host_port.rs) that also checks that what it writes it reads back. What to
//! do with the host (look it up, dial it, refuse it) is the [`Dialer`](super::Dialer)'s.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

/// RFC 1035 §2.3.4: a name is at most 253 characters in text.
const MAX_NAME_LEN: usize = 253;

/// A host: a name (lower case) or an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    Name(String),
    Address(IpAddr),
}

/// A host and the port it listens on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub host: Host,
    pub port: u16,
}

/// Why text does not name a host and port.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HostPortError {
    #[error("no host given")]
    Empty,
    #[error("'{0}' opens a bracket and does not close it")]
    UnclosedBracket(String),
    #[error("'{0}' in brackets is not an IP address")]
    NotAnAddressInBrackets(String),
    #[error("'{0}' follows the bracketed address; only ':PORT' may")]
    AfterBrackets(String),
    #[error("'{0}' is not a port: a port is a number from 1 to 65535")]
    BadPort(String),
    #[error(
        "'{0}' is neither a host name nor an IPv6 address (with a port, IPv6 is written [ADDRESS]:PORT)"
    )]
    Unbracketed(String),
    #[error("'{0}' is not a host name")]
    BadName(String),
}

impl HostPort {
    /// Reads `text`; `default_port` when it names none.
    pub fn parse(text: &str, default_port: u16) -> Result<HostPort, HostPortError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(HostPortError::Empty);
        }
        // RFC 3986 §3.2.2: an IP-literal is enclosed in brackets. SMTP writes IPv4 address
        // literals in brackets too (RFC 5321 §4.1.3), so both are read.
        if let Some(rest) = text.strip_prefix('[') {
            let (inside, after) = rest
                .split_once(']')
                .ok_or_else(|| HostPortError::UnclosedBracket(text.to_owned()))?;
            let ip = inside
                .parse::<IpAddr>()
                .map_err(|_| HostPortError::NotAnAddressInBrackets(inside.to_owned()))?;
            let port = match after {
                "" => default_port,
                _ => port(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| HostPortError::AfterBrackets(after.to_owned()))?,
                )?,
            };
            return Ok(HostPort {
                host: Host::Address(ip),
                port,
            });
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(HostPort {
                host: Host::Address(ip),
                port: default_port,
            });
        }
        let (host, port) = match text.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                return Err(HostPortError::Unbracketed(text.to_owned()));
            }
            Some((host, p)) => (host, port(p)?),
            None => (text, default_port),
        };
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => Host::Address(ip),
            Err(_) => match whatwg_ipv4(host) {
                Some(v4) => Host::Address(IpAddr::V4(v4)),
                None => Host::Name(name(host)?),
            },
        };
        Ok(HostPort { host, port })
    }

    /// The address, when the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.host {
            Host::Address(ip) => Some(ip),
            Host::Name(_) => None,
        }
    }

    /// The socket address, when the host is an IP address.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.ip().map(|ip| SocketAddr::new(ip, self.port))
    }
}

/// The IPv4 address that the other spellings a browser or `inet_aton` reads name
/// (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`), as the WHATWG URL host parser (the `url`
/// crate's) reads them: such text is an address, never a name to look up, so that it is judged
/// as the address it is.
fn whatwg_ipv4(text: &str) -> Option<std::net::Ipv4Addr> {
    match url::Host::parse(text) {
        Ok(url::Host::Ipv4(v4)) => Some(v4),
        _ => None,
    }
}

fn port(text: &str) -> Result<u16, HostPortError> {
    let bad = || HostPortError::BadPort(text.to_owned());
    // `u16::from_str` takes a leading '+'; a port is digits.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad()),
        Ok(p) => Ok(p),
    }
}

/// A name as DNS and WHOIS write them: letters (any script, for IDNs), digits, `-`, `_` and
/// dots; lower-cased, since names compare without case (RFC 4343).
fn name(text: &str) -> Result<String, HostPortError> {
    if text.is_empty() {
        return Err(HostPortError::Empty);
    }
    let usable = text.len() <= MAX_NAME_LEN
        && !text.starts_with('.')
        && !text.contains("..")
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !usable {
        return Err(HostPortError::BadName(text.to_owned()));
    }
    Ok(text.to_ascii_lowercase())
}

impl fmt::Display for Host {
    /// A name as it is, an address without brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Address(ip) => write!(f, "{ip}"),
        }
    }
}

impl fmt::Display for HostPort {
    /// `name:port`, `192.0.2.1:port`, `[2001:db8::1]:port`: text [`HostPort::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Address(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            host => write!(f, "{host}:{}", self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(String, u16), HostPortError> {
        HostPort::parse(text, 43).map(|hp| (hp.host.to_string(), hp.port))
    }

    #[test]
    fn names_addresses_and_brackets_with_or_without_a_port() {
        for (text, host, port) in [
            ("whois.iana.org", "whois.iana.org", 43),
            ("WHOIS.Example.NET:4343", "whois.example.net", 4343),
            ("whois.example.net.", "whois.example.net.", 43),
            ("bücher.example", "bücher.example", 43),
            ("198.18.0.2", "198.18.0.2", 43),
            ("198.18.0.2:5353", "198.18.0.2", 5353),
            ("2001:db8::2", "2001:db8::2", 43),
            ("::1", "::1", 43),
            ("[2001:db8::2]", "2001:db8::2", 43),
            ("[2001:db8::2]:5353", "2001:db8::2", 5353),
            ("[192.0.2.1]:25", "192.0.2.1", 25),
            ("  whois.example  ", "whois.example", 43),
            // The spellings inet_aton and browsers read are the address, not a name.
            ("2130706433:4343", "127.0.0.1", 4343),
            ("0x7f.1", "127.0.0.1", 43),
            ("0177.0.0.1", "127.0.0.1", 43),
            ("127.1", "127.0.0.1", 43),
        ] {
            assert_eq!(read(text), Ok((host.to_owned(), port)), "{text}");
        }
        assert_eq!(
            HostPort::parse("[::1]:53", 53).unwrap().socket_addr(),
            Some("[::1]:53".parse().unwrap())
        );
        assert_eq!(HostPort::parse("dns.example", 53).unwrap().ip(), None);
    }

    #[test]
    fn a_bad_port_is_an_error_not_the_default() {
        for text in [
            "whois.example:notaport",
            "whois.example:70000",
            "whois.example:0",
            "whois.example:",
            "whois.example:+43",
            "[::1]:",
            "[::1]:x",
        ] {
            assert!(
                matches!(HostPort::parse(text, 43), Err(HostPortError::BadPort(_))),
                "{text}: {:?}",
                HostPort::parse(text, 43)
            );
        }
    }

    #[test]
    fn malformed_hosts_say_what_is_wrong() {
        use HostPortError::*;
        for (text, error) in [
            ("", Empty),
            ("   ", Empty),
            (":43", Empty),
            ("[::1", UnclosedBracket("[::1".into())),
            ("[::1]x", AfterBrackets("x".into())),
            (
                "[mail.example]",
                NotAnAddressInBrackets("mail.example".into()),
            ),
            ("2001:db8::1:70000", Unbracketed("2001:db8::1:70000".into())),
            ("fe80::1%eth0", Unbracketed("fe80::1%eth0".into())),
            ("who is:43", BadName("who is".into())),
            ("a/b", BadName("a/b".into())),
            ("..", BadName("..".into())),
        ] {
            assert_eq!(HostPort::parse(text, 43), Err(error), "{text}");
        }
        assert!(
            HostPortError::BadPort("x".into())
                .to_string()
                .contains("1 to 65535")
        );
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        for text in [
            "whois.example",
            "[2001:db8::1]:4343",
            "2001:db8::1",
            "192.0.2.1:1",
            "01.2.3.4",
        ] {
            let once = HostPort::parse(text, 43).unwrap();
            assert_eq!(
                HostPort::parse(&once.to_string(), 7),
                Ok(once.clone()),
                "{once}"
            );
        }
        assert_eq!(
            HostPort::parse("2001:db8::1", 43).unwrap().to_string(),
            "[2001:db8::1]:43"
        );
    }

    /// The fuzz target's property, over every text of up to four of the pieces such text is
    /// made of (70 000 texts), so that it holds in every test run, not only under cargo fuzz.
    #[test]
    fn every_text_of_the_usual_pieces_reads_back_or_is_refused() {
        let pieces = [
            "[",
            "]",
            ":",
            "::1",
            "192.0.2.1",
            "a",
            "B",
            "-",
            ".",
            "0",
            "43",
            "65536",
            " ",
            "%",
            "é",
            "/",
        ];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}")))
                .collect();
            texts.extend(longer);
        }
        let mut read = 0;
        for text in &texts {
            if let Ok(once) = HostPort::parse(text, 43) {
                read += 1;
                assert_eq!(
                    HostPort::parse(&once.to_string(), 7).as_ref(),
                    Ok(&once),
                    "{text:?}"
                );
            }
        }
        assert!(read > 1000, "only {read} texts read");
    }
}
