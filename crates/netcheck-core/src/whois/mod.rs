//! WHOIS over port 43 (RFC 3912): one query per server, following referrals from the root
//! (IANA) to the registry and on to the registrar, every hop kept with its raw text and what
//! it is in the chain (a directory, the registry, the registrar).
//!
//! RFC 3912 is a line of text in, text until close out; this client adds what the registries
//! need in practice: per-server query syntax, charsets, and bounds on time and size, because a
//! WHOIS server is a peer that may never close or may send far too much. Every server is
//! reached through the run's [`Dialer`]; a chain that starts on the internet adds WHOIS's own
//! gate ([`InternetOnly`]) to it, so a referral cannot lead inside.

pub mod parse;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::dial::{Denial, DialError, Dialer, HostPort, HostPortError, InternetOnly};
use crate::report::millis;

/// IANA's server: it knows every TLD's registry WHOIS (RFC 3912 §2: port 43).
pub const IANA: &str = "whois.iana.org";
pub const PORT: u16 = 43;

#[derive(Debug, Clone)]
pub struct WhoisOptions {
    /// Where the chain starts: `host` or `host:port`.
    pub root: String,
    /// One server's bound: connect, send, read until close.
    pub per_server: Duration,
    /// Bytes kept from one answer; the rest is not read.
    pub max_bytes: usize,
    /// Servers asked at most (root, registry, registrar, and one spare).
    pub max_hops: usize,
}

impl Default for WhoisOptions {
    fn default() -> Self {
        WhoisOptions {
            root: IANA.to_owned(),
            per_server: Duration::from_secs(5),
            max_bytes: 1024 * 1024,
            max_hops: 4,
        }
    }
}

/// One server asked, and what it said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WhoisHop {
    pub server: String,
    pub query: String,
    pub time_ms: f64,
    pub bytes: usize,
    /// The answer was longer than the cap, or the server did not close in time; `text` is what
    /// arrived.
    pub truncated: bool,
    /// The first 64 KiB of what arrived, decoded (the fields were read from all of it).
    pub text: String,
    /// `text` is shorter than what arrived: only its first 64 KiB are kept in the report.
    #[serde(default)]
    pub text_truncated: bool,
    /// The next server this answer pointed to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral: Option<String>,
    /// What this server is in the chain; unknown for a first server that did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<HopRole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl WhoisHop {
    /// Keeps at most the first 64 KiB of the text, once its fields have been read.
    pub fn keep_bounded(&mut self) {
        self.text_truncated |= crate::registration::kept::cut(&mut self.text);
    }
}

/// What a server is in the chain, by what it answered and who referred to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HopRole {
    /// Points onwards and says nothing about the name: IANA, or a server answering as IANA
    /// does (about the TLD or the address block, with `refer:`).
    Directory,
    /// The first server with the record: the TLD's registry, or for an address the regional
    /// registry (and any registry it refers to).
    Registry,
    /// A server the registry's record referred to.
    Registrar,
}

/// The query line a server expects for `name` (RFC 3912 leaves the syntax to the server).
pub fn query_for(server: &str, name: &str) -> String {
    match server
        .split(':')
        .next()
        .unwrap_or(server)
        .to_ascii_lowercase()
        .as_str()
    {
        // Verisign's thin registries: "=" asks for the domain only, not name servers by that name.
        "whois.verisign-grs.com" | "whois.crsnic.net" => format!("={name}"),
        // DENIC answers full records only to "-T dn,ace" (ACE: the punycode form).
        "whois.denic.de" => format!("-T dn,ace {name}"),
        // JPRS answers in English with "/e".
        "whois.jprs.jp" => format!("{name}/e"),
        _ => name.to_owned(),
    }
}

/// Why one server gave no answer.
#[derive(Debug, Error)]
enum WhoisError {
    #[error("{server} is not a WHOIS server's address: {why}")]
    BadServer { server: String, why: HostPortError },
    #[error("cannot find {host}: no DNS answer in time")]
    NoDnsAnswer { host: String },
    #[error("cannot find {host}: {why}")]
    NotFound { host: String, why: String },
    #[error("{server} resolves only to private or reserved addresses: not asked")]
    OnlyReserved { server: String },
    /// The target policy refuses the server (a referral to an internal host, say).
    #[error("{denial}: not asked")]
    Forbidden { denial: Denial },
    /// `attempts` lists each address tried and what came of it.
    #[error("cannot connect to {server}: {attempts}")]
    Unconnected { server: String, attempts: String },
    #[error("{server} did not take the query in time")]
    QueryNotTaken { server: String },
    #[error("sending to {server} failed: {why}")]
    SendFailed { server: String, why: std::io::Error },
    #[error("reading from {server} failed: {why}")]
    ReadFailed { server: String, why: std::io::Error },
}

/// Follows the referral chain for `name` (a domain, or an IP address for the RIRs).
pub async fn lookup(
    dialer: &Dialer,
    name: &str,
    options: &WhoisOptions,
    deadline: Instant,
) -> Vec<WhoisHop> {
    let mut hops: Vec<WhoisHop> = Vec::new();
    let mut server = options.root.clone();
    // A chain that starts at a local server (a test, a lab) may stay local; one that starts
    // on the internet may not be referred to other ports or to private addresses, or any
    // WHOIS server could make netcheck probe the hosts behind it.
    let local_chain = host_port(&options.root)
        .ok()
        .and_then(|root| root.ip())
        .is_some_and(is_reserved);
    let dialer = if local_chain {
        dialer.clone()
    } else {
        dialer.gated(Arc::new(InternetOnly))
    };
    let address = name.parse::<IpAddr>().is_ok();
    while hops.len() < options.max_hops && Instant::now() < deadline {
        let (mut hop, directory) = ask(&dialer, &server, name, options, deadline).await;
        hop.role = role_in_chain(hops.last(), &hop, directory, address);
        let next = hop.referral.clone();
        hops.push(hop);
        let Some(n) = next else { break };
        if hops.iter().any(|h| same_server(&h.server, &n)) {
            break;
        }
        // A referral names a server; one that names none (a bad port) is not followed to a
        // guessed one.
        if let Err(e) = host_port(&n) {
            if let Some(last) = hops.last_mut() {
                last.error = Some(format!("referral to {n} not followed: {e}"));
            }
            break;
        }
        if !follow_allowed(local_chain, &n) {
            if let Some(last) = hops.last_mut() {
                last.error = Some(format!(
                    "referral to {n} not followed: only port 43 on public addresses"
                ));
            }
            break;
        }
        server = n;
    }
    hops
}

/// What `hop` is, after `before` (none for the root): IANA and directory answers are
/// directories; the first record after them is the registry's, and a record it refers to is
/// the registrar's (for an address, another registry's).
fn role_in_chain(
    before: Option<&WhoisHop>,
    hop: &WhoisHop,
    directory: bool,
    address: bool,
) -> Option<HopRole> {
    if directory || same_server(&hop.server, IANA) {
        return Some(HopRole::Directory);
    }
    match before.map(|b| b.role) {
        None if hop.text.is_empty() => None,
        None | Some(None | Some(HopRole::Directory)) => Some(HopRole::Registry),
        Some(Some(_)) if address => Some(HopRole::Registry),
        Some(Some(_)) => Some(HopRole::Registrar),
    }
}

/// Whether a referral may be followed: anywhere in a local chain; otherwise only to port 43 on
/// a name or a public address. A referral that names no server is never followed.
fn follow_allowed(local_chain: bool, next: &str) -> bool {
    host_port(next)
        .is_ok_and(|next| local_chain || (next.port == PORT && !next.ip().is_some_and(is_reserved)))
}

fn is_reserved(ip: IpAddr) -> bool {
    crate::geo::reserved_label(ip).is_some()
}

/// A WHOIS server as a person or a referral writes it: `host`, `host:port`, `[v6]:port`.
fn host_port(server: &str) -> Result<HostPort, HostPortError> {
    HostPort::parse(server, PORT)
}

/// The same host and port, however written (`whois.example`, `WHOIS.example:43`).
fn same_server(a: &str, b: &str) -> bool {
    match (host_port(a), host_port(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a
            .trim_end_matches(":43")
            .eq_ignore_ascii_case(b.trim_end_matches(":43")),
    }
}

async fn ask(
    dialer: &Dialer,
    server: &str,
    name: &str,
    options: &WhoisOptions,
    deadline: Instant,
) -> (WhoisHop, bool) {
    let started = Instant::now();
    let query = query_for(server, name);
    let mut hop = WhoisHop {
        server: server.to_owned(),
        query: query.clone(),
        time_ms: 0.0,
        bytes: 0,
        truncated: false,
        text: String::new(),
        text_truncated: false,
        referral: None,
        role: None,
        error: None,
    };
    let mut directory = false;
    let bound = deadline.min(started + options.per_server);
    match exchange(dialer, server, &query, options.max_bytes, bound).await {
        Ok((bytes, truncated, note)) => {
            hop.bytes = bytes.len();
            hop.truncated = truncated;
            let owned = server.to_owned();
            let name = name.to_owned();
            // Decoding and reading a megabyte of text is CPU work: off the runtime's threads.
            let read = tokio::task::spawn_blocking(move || {
                let text = decode(&owned, &bytes, truncated);
                let mut onwards = parse::onwards(&text, &name);
                onwards.referral = onwards.referral.filter(|r| !same_server(r, &owned));
                (text, onwards)
            })
            .await;
            hop.error = note;
            match read {
                Ok((text, onwards)) => {
                    (hop.text, hop.referral) = (text, onwards.referral);
                    directory = onwards.directory;
                }
                Err(e) => hop.error = Some(format!("reading the answer failed: {e}")),
            }
        }
        Err(e) => hop.error = Some(e.to_string()),
    }
    hop.time_ms = millis(started.elapsed());
    (hop, directory)
}

/// RFC 3912 §2: send the query and CRLF, read until the server closes.
async fn exchange(
    dialer: &Dialer,
    server: &str,
    query: &str,
    max_bytes: usize,
    deadline: Instant,
) -> Result<(Vec<u8>, bool, Option<String>), WhoisError> {
    let to = host_port(server).map_err(|why| WhoisError::BadServer {
        server: server.to_owned(),
        why,
    })?;
    // The lookup is bounded too: a silent DNS server could outlast the check, and the hops
    // already read would be lost with it.
    let mut stream = match dialer.connect(&to, deadline).await {
        Ok(connection) => connection.stream,
        Err(e) => return Err(dial_failure(server, &to, e)),
    };
    let line = format!("{query}\r\n");
    tokio::time::timeout_at(deadline, stream.write_all(line.as_bytes()))
        .await
        .map_err(|_| WhoisError::QueryNotTaken {
            server: server.to_owned(),
        })?
        .map_err(|why| WhoisError::SendFailed {
            server: server.to_owned(),
            why,
        })?;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => {
                let note = format!(
                    "{server} did not close the connection in time; {} bytes kept",
                    buf.len()
                );
                return Ok((buf, true, Some(note)));
            }
            Ok(Ok(0)) => return Ok((buf, false, None)),
            Ok(Ok(n)) => {
                let room = max_bytes.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..n.min(room)]);
                if n > room {
                    let note = format!(
                        "the answer from {server} is longer than {max_bytes} bytes; the rest was not read"
                    );
                    return Ok((buf, true, Some(note)));
                }
            }
            Ok(Err(why)) if buf.is_empty() => {
                return Err(WhoisError::ReadFailed {
                    server: server.to_owned(),
                    why,
                });
            }
            Ok(Err(e)) => {
                return Ok((
                    buf,
                    true,
                    Some(format!("the answer from {server} broke off: {e}")),
                ));
            }
        }
    }
}

/// A dial that made no connection, in WHOIS's words.
fn dial_failure(server: &str, to: &HostPort, e: DialError) -> WhoisError {
    let host = to.host.to_string();
    match e {
        DialError::LookupTimedOut { .. } => WhoisError::NoDnsAnswer { host },
        DialError::NoAddresses { why, .. } => WhoisError::NotFound { host, why },
        DialError::Denied(Denial::OnlyReserved { .. }) => WhoisError::OnlyReserved {
            server: server.to_owned(),
        },
        DialError::Denied(denial @ Denial::Forbidden { .. }) => WhoisError::Forbidden { denial },
        DialError::Unconnected { attempts, .. } => WhoisError::Unconnected {
            server: server.to_owned(),
            attempts: attempts
                .iter()
                .map(|a| format!("{} {:?}", a.address, a.outcome))
                .collect::<Vec<_>>()
                .join(", "),
        },
    }
}

/// WHOIS has no charset negotiation: UTF-8 when the bytes are UTF-8, the registry's known
/// legacy charset otherwise, and windows-1252 (which never fails) as the last resort.
/// `cut` says the answer was cut short (size cap, deadline), so a partial last character is
/// expected rather than a sign of another charset.
pub fn decode(server: &str, bytes: &[u8], cut: bool) -> String {
    // ISO-2022-JP is 7-bit, so it passes for UTF-8: look for its escapes first.
    if bytes.contains(&0x1b) {
        return encoding_rs::ISO_2022_JP.decode(bytes).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => return text.to_owned(),
        // Cut in the middle of a character (at the size cap or the deadline): keep the UTF-8.
        Err(e) if cut && e.error_len().is_none() => {
            return String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
        }
        Err(_) => {}
    }
    let host = server
        .split(':')
        .next()
        .unwrap_or(server)
        .to_ascii_lowercase();
    let encoding = match host.as_str() {
        "whois.jprs.jp" => encoding_rs::ISO_2022_JP,
        "whois.kr" | "whois.nic.or.kr" => encoding_rs::EUC_KR,
        "whois.cnnic.cn" | "whois.cnnic.net.cn" => encoding_rs::GB18030,
        "whois.tcinet.ru" | "whois.ripn.net" => encoding_rs::KOI8_R,
        _ => encoding_rs::WINDOWS_1252,
    };
    encoding.decode(bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_get_the_query_syntax_they_expect() {
        assert_eq!(
            query_for("whois.verisign-grs.com", "example.com"),
            "=example.com"
        );
        assert_eq!(
            query_for("whois.denic.de", "xn--bcher-kva.de"),
            "-T dn,ace xn--bcher-kva.de"
        );
        assert_eq!(query_for("whois.jprs.jp:43", "example.jp"), "example.jp/e");
        assert_eq!(query_for("whois.nic.uk", "bbc.co.uk"), "bbc.co.uk");
    }

    #[test]
    fn referrals_from_the_internet_cannot_reach_inside() {
        assert!(follow_allowed(false, "whois.verisign-grs.com"));
        assert!(follow_allowed(false, "whois.example.net:43"));
        assert!(!follow_allowed(false, "127.0.0.1:6379"), "another port");
        assert!(!follow_allowed(false, "10.0.0.5"), "a private address");
        assert!(!follow_allowed(false, "whois.example.net:25"));
        assert!(
            follow_allowed(true, "127.0.0.1:4343"),
            "a local chain may stay local"
        );
    }

    #[test]
    fn each_hop_is_named_by_what_it_answered_and_who_referred_to_it() {
        let hop = |server: &str, text: &str, role: Option<HopRole>| WhoisHop {
            server: server.into(),
            query: "example.com".into(),
            time_ms: 1.0,
            bytes: text.len(),
            truncated: false,
            text_truncated: false,
            text: text.into(),
            referral: None,
            role,
            error: None,
        };
        let iana = hop(IANA, "", None);
        assert_eq!(
            role_in_chain(None, &iana, false, false),
            Some(HopRole::Directory),
            "IANA even when it failed"
        );
        let root = hop("127.0.0.1:4343", "refer: x", None);
        assert_eq!(
            role_in_chain(None, &root, true, false),
            Some(HopRole::Directory)
        );
        let failed_root = hop("127.0.0.1:4343", "", None);
        assert_eq!(role_in_chain(None, &failed_root, false, false), None);
        let registry = hop("whois.nic.example", "Domain Name: example.com", None);
        assert_eq!(
            role_in_chain(None, &registry, false, false),
            Some(HopRole::Registry),
            "a registry given as the root"
        );
        let directory = hop(IANA, "refer: whois.nic.example", Some(HopRole::Directory));
        assert_eq!(
            role_in_chain(Some(&directory), &registry, false, false),
            Some(HopRole::Registry)
        );
        let registry = hop("whois.nic.example", "x", Some(HopRole::Registry));
        let failed = hop("whois.registrar.example", "", None);
        assert_eq!(
            role_in_chain(Some(&registry), &failed, false, false),
            Some(HopRole::Registrar)
        );
        assert_eq!(
            role_in_chain(Some(&registry), &failed, false, true),
            Some(HopRole::Registry),
            "a RIR refers to another registry"
        );
    }

    #[test]
    fn servers_split_into_host_and_port() {
        let split = |s| host_port(s).map(|hp| (hp.host.to_string(), hp.port));
        assert_eq!(split("whois.iana.org"), Ok(("whois.iana.org".into(), 43)));
        assert_eq!(split("127.0.0.1:4343"), Ok(("127.0.0.1".into(), 4343)));
        assert_eq!(split("[::1]:4343"), Ok(("::1".into(), 4343)));
        assert_eq!(split("2001:db8::1"), Ok(("2001:db8::1".into(), 43)));
    }

    #[test]
    fn a_server_with_a_bad_port_is_an_error_not_port_43() {
        assert!(matches!(
            host_port("whois.example:4x"),
            Err(HostPortError::BadPort(_))
        ));
        assert!(
            !follow_allowed(true, "whois.example:99999"),
            "not even in a local chain"
        );
        assert!(same_server("WHOIS.example:43", "whois.example"));
        assert!(!same_server("whois.example:4343", "whois.example"));
    }

    #[test]
    fn legacy_charsets_are_decoded_by_registry() {
        // "한국" in EUC-KR.
        assert_eq!(decode("whois.kr", b"\xc7\xd1\xb1\xb9", false), "한국");
        assert_eq!(decode("whois.example", "café".as_bytes(), false), "café");
        assert_eq!(decode("whois.example", b"caf\xe9", false), "café");
        // A UTF-8 answer cut inside "é" stays UTF-8.
        assert_eq!(decode("whois.example", b"caf\xc3", true), "caf");
        // "日本" in ISO-2022-JP.
        assert_eq!(decode("whois.jprs.jp", b"\x1b$BF|K\\\x1b(B", false), "日本");
    }
}
