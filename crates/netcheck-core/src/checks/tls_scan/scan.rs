//! The scan strategy: which hellos to send, in what order, and what each answer teaches. For
//! each version, SSL 3.0 to TLS 1.3, offer every registry suite not yet seen, record the one the
//! server chooses, take it out and ask again, until the server refuses (N+1 hellos for N suites,
//! as sslscan does); the versions run at once, under a cap on open connections. The first two
//! suites of a version, offered in both orders, tell whose order the server follows. Then the
//! groups one by one, a downgraded hello with TLS_FALLBACK_SCSV (RFC 7507), and one offering
//! DEFLATE (RFC 3749). Every hello is bounded and goes through the run's dialer; a reset or
//! silence ends a version's listing and is kept as how it ended. Building and reading the
//! hellos is the probe crate's; judging what was seen is `grade.rs`'s and `mod.rs`'s.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use netcheck_probe::tls::{
    Alert, ClientHello, FlightEnd, HelloError, KeyExchange, LEGACY_SUITES, ProtocolVersion,
    ServerFlight, SuiteTraits, TLS13_SUITES, Until, exchange, group_name,
};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::{
    CertificateKey, EndKind, ExtensionsSeen, GroupSeen, ProbeEnd, ProtocolScan, SuiteOrder,
    SuiteSeen, TlsScanReport, weakness,
};
use crate::check::Context;
use crate::dial::Dialer;
use crate::tls::certificate::CertificateInfo;

/// One hello's bound: a server that says nothing for this long has gone silent.
const PROBE_BOUND: Duration = Duration::from_secs(3);

const VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::SSL_3_0,
    ProtocolVersion::TLS_1_0,
    ProtocolVersion::TLS_1_1,
    ProtocolVersion::TLS_1_2,
    ProtocolVersion::TLS_1_3,
];

/// Groups asked one at a time with TLS 1.3 (RFC 8446 §4.2.7): X25519, the NIST curves, X448,
/// the RFC 7919 finite-field groups, the ML-KEM hybrids, the RFC 8734 brainpool curves.
const TLS13_GROUPS: &[u16] = &[
    29, 23, 24, 25, 30, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x11ec, 0x11eb, 0x11ed, 31, 32, 33,
];
/// Curves asked one at a time with ECDHE suites when TLS 1.3 is not accepted (RFC 8422 §5.1.1).
const TLS12_GROUPS: &[u16] = &[29, 23, 24, 25, 30, 26, 27, 28, 22];

/// DEFLATE (RFC 3749 §2), offered before null to see whether the server compresses.
const DEFLATE: u8 = 1;

/// Sends hellos to one address, at most `permits` at once, none past `deadline`.
struct Scanner<'a> {
    dialer: &'a Dialer,
    host: &'a str,
    address: SocketAddr,
    permits: Semaphore,
    deadline: Instant,
    handshakes: AtomicU32,
}

/// How one hello was answered.
enum Answer {
    Chose(Box<ServerFlight>),
    Refused(Alert),
    Ended(ProbeEnd),
}

impl Answer {
    fn chosen_suite(&self) -> Option<u16> {
        match self {
            Answer::Chose(f) => Some(f.suite),
            _ => None,
        }
    }
}

/// Scans the target's TLS server. Never fails: what could not be done is in the facts.
pub async fn scan(ctx: &Context, deadline: Instant) -> TlsScanReport {
    let host = ctx.target.host.as_str();
    let plain_http = !ctx.target.is_https();
    let port = if plain_http { 443 } else { ctx.target.port };
    let mut report = TlsScanReport::new(host, port, plain_http);
    report.max_connections = ctx.options.tls_scan_connections.max(1);
    let dialer = ctx.dialer();
    let bound = deadline.min(Instant::now() + ctx.options.connect_timeout);
    let connected = match dialer.resolve(host).await {
        Ok(resolved) => {
            dialer
                .connect_to(host, &resolved.addresses, port, bound)
                .await
        }
        Err(e) => Err(e),
    };
    let address = match connected {
        Ok(connection) => connection.address,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    report.address = Some(address);
    let scanner = Scanner {
        dialer,
        host,
        address,
        permits: Semaphore::new(report.max_connections),
        deadline,
        handshakes: AtomicU32::new(0),
    };
    let listed = futures::future::join_all(VERSIONS.map(|v| scanner.protocol(v))).await;
    let (protocols, firsts): (Vec<ProtocolScan>, Vec<Option<ServerFlight>>) =
        listed.into_iter().unzip();
    // The best version below TLS 1.3 shows the extensions and the certificate in the clear.
    let clear = firsts
        .iter()
        .take(VERSIONS.len() - 1)
        .rev()
        .find_map(Option::as_ref);
    let accepted: Vec<ProtocolVersion> = VERSIONS
        .iter()
        .zip(&protocols)
        .filter(|(_, p)| p.accepted)
        .map(|(v, _)| *v)
        .collect();
    let (groups, fallback_scsv, compression) = futures::join!(
        scanner.groups(&accepted, &protocols),
        scanner.fallback_scsv(&accepted),
        scanner.compression(clear.map(|f| f.version)),
    );
    report.protocols = protocols;
    report.groups = groups;
    report.extensions = extensions(clear);
    report.extensions.fallback_scsv = fallback_scsv;
    report.extensions.compression = compression;
    report.certificate_key = clear.and_then(certificate_key);
    report.handshakes = scanner.handshakes.load(Ordering::Relaxed);
    report
}

impl Scanner<'_> {
    /// A hello for `version` offering `suites`, with SNI and a request for SCTs.
    fn hello(&self, version: ProtocolVersion, suites: Vec<u16>) -> ClientHello {
        let mut hello = ClientHello::offering(version, suites);
        // RFC 6066 §3: no SNI for an address (the codec leaves literals out too).
        hello.server_name = self
            .host
            .parse::<IpAddr>()
            .is_err()
            .then(|| self.host.to_owned());
        hello.request_scts = true;
        hello
    }

    /// Sends one hello on a connection of its own, under a permit and the probe's bound.
    async fn ask(&self, hello: &ClientHello) -> Answer {
        let out_of_time = || {
            Answer::Ended(ProbeEnd {
                kind: EndKind::OutOfTime,
                message: "the check's time ran out".into(),
            })
        };
        let Ok(Ok(_permit)) = tokio::time::timeout_at(self.deadline, self.permits.acquire()).await
        else {
            return out_of_time();
        };
        let bound = self.deadline.min(Instant::now() + PROBE_BOUND);
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        let mut tcp = match self
            .dialer
            .connect_address(self.host, self.address, bound)
            .await
        {
            Ok(connection) => connection.stream,
            Err(_) if Instant::now() >= self.deadline => return out_of_time(),
            Err(e) => {
                return Answer::Ended(ProbeEnd {
                    kind: EndKind::NoConnection,
                    message: e.to_string(),
                });
            }
        };
        // TLS 1.2 and below: read to ServerHelloDone for the key exchange and the certificate.
        let until = if hello.supported_versions.is_empty() {
            Until::ServerHelloDone
        } else {
            Until::ServerHello
        };
        match exchange(&mut tcp, hello, until, bound).await {
            Ok(flight) => Answer::Chose(Box::new(flight)),
            Err(HelloError::Alert(alert)) => Answer::Refused(alert),
            Err(HelloError::Timeout { .. }) if bound >= self.deadline => out_of_time(),
            Err(e) => Answer::Ended(ProbeEnd {
                kind: end_kind(&e),
                message: e.to_string(),
            }),
        }
    }

    /// Lists the suites of one version in the order the server chooses them, and whose order
    /// that is; with the first answer, which shows the version's extensions.
    async fn protocol(&self, version: ProtocolVersion) -> (ProtocolScan, Option<ServerFlight>) {
        let registry = if version.is_tls13() {
            TLS13_SUITES
        } else {
            LEGACY_SUITES
        };
        let mut remaining: Vec<u16> = registry.iter().map(|s| s.code).collect();
        let mut suites = Vec::new();
        let mut first = None;
        let ended = loop {
            if remaining.is_empty() {
                break ProbeEnd {
                    kind: EndKind::Exhausted,
                    message: "every suite offered was accepted".into(),
                };
            }
            let flight = match self.ask(&self.hello(version, remaining.clone())).await {
                Answer::Chose(flight) => flight,
                Answer::Refused(alert) => break refused(alert),
                Answer::Ended(end) => break end,
            };
            if flight.version != version {
                break ProbeEnd {
                    kind: EndKind::OtherVersion,
                    message: format!("the server answered with {}", flight.version),
                };
            }
            if !remaining.contains(&flight.suite) {
                break ProbeEnd {
                    kind: EndKind::Misbehaved,
                    message: format!(
                        "the server chose 0x{:04X}, which was not offered",
                        flight.suite
                    ),
                };
            }
            remaining.retain(|&c| c != flight.suite);
            suites.push(suite_seen(&flight));
            first.get_or_insert(*flight);
        };
        let order = match suites.get(..2) {
            Some([a, b]) => Some(self.order(version, a, b).await),
            _ => None,
        };
        let scan = ProtocolScan {
            version: version.to_string(),
            accepted: !suites.is_empty(),
            suites,
            order,
            ended,
        };
        (scan, first)
    }

    /// Offers the first two suites accepted in both orders: the same choice both times is the
    /// server's order, the first offered each time is the client's.
    async fn order(&self, version: ProtocolVersion, a: &SuiteSeen, b: &SuiteSeen) -> SuiteOrder {
        let (Some(a), Some(b)) = (code_of(a), code_of(b)) else {
            return SuiteOrder::Unclear;
        };
        let (first, second) = (
            self.hello(version, vec![a, b]),
            self.hello(version, vec![b, a]),
        );
        let (ab, ba) = futures::join!(self.ask(&first), self.ask(&second));
        match (ab.chosen_suite(), ba.chosen_suite()) {
            (Some(x), Some(y)) if x == y => SuiteOrder::Server,
            (Some(x), Some(y)) if x == a && y == b => SuiteOrder::Client,
            _ => SuiteOrder::Unclear,
        }
    }

    /// The groups accepted, one hello per group: with TLS 1.3, supported_groups naming only it
    /// and no key share, which a server that has the group answers with a HelloRetryRequest
    /// for it (RFC 8446 §4.1.4); else with TLS 1.2's ECDHE suites and only that curve.
    async fn groups(
        &self,
        accepted: &[ProtocolVersion],
        protocols: &[ProtocolScan],
    ) -> Vec<GroupSeen> {
        let tls13 = accepted.contains(&ProtocolVersion::TLS_1_3);
        let ecdhe: Vec<u16> = protocols
            .iter()
            .filter(|p| p.version == "TLS 1.2")
            .flat_map(|p| &p.suites)
            .filter(|s| s.name.contains("_ECDHE_"))
            .filter_map(code_of)
            .collect();
        let (version, candidates) = if tls13 {
            (ProtocolVersion::TLS_1_3, TLS13_GROUPS)
        } else if !ecdhe.is_empty() {
            (ProtocolVersion::TLS_1_2, TLS12_GROUPS)
        } else {
            return Vec::new();
        };
        let asks = candidates.iter().map(|&group| {
            let mut hello = if tls13 {
                self.hello(version, TLS13_SUITES.iter().map(|s| s.code).collect())
            } else {
                self.hello(version, ecdhe.clone())
            };
            hello.groups = vec![group];
            hello.key_shares.clear();
            async move { (group, self.ask(&hello).await) }
        });
        let answers = futures::future::join_all(asks).await;
        answers
            .into_iter()
            .filter(|(group, answer)| match answer {
                Answer::Chose(f) if tls13 => f.extensions.key_share_group == Some(*group),
                Answer::Chose(f) => matches!(f.key_exchange, Some(KeyExchange::Ecdh { group: g, .. }) if g == *group),
                _ => false,
            })
            .map(|(code, _)| GroupSeen {
                name: group_name(code).map_or_else(|| format!("0x{code:04X}"), str::to_owned),
                code,
                asked_with: version.to_string(),
            })
            .collect()
    }

    /// RFC 7507: a hello for the second-best version with TLS_FALLBACK_SCSV must be refused with
    /// inappropriate_fallback. `None` when the server accepts one version only, or answered
    /// neither way.
    async fn fallback_scsv(&self, accepted: &[ProtocolVersion]) -> Option<bool> {
        let [.., lower, _best] = accepted else {
            return None;
        };
        let mut hello = self.hello(*lower, LEGACY_SUITES.iter().map(|s| s.code).collect());
        hello.fallback_scsv = true;
        match self.ask(&hello).await {
            Answer::Refused(a) if a.description == Alert::INAPPROPRIATE_FALLBACK => Some(true),
            Answer::Chose(_) => Some(false),
            _ => None,
        }
    }

    /// Offers DEFLATE before null with `version` (the best below TLS 1.3, which has no
    /// compression): whether the server chooses it.
    async fn compression(&self, version: Option<ProtocolVersion>) -> Option<bool> {
        let version = version?;
        let mut hello = self.hello(version, LEGACY_SUITES.iter().map(|s| s.code).collect());
        hello.compression = vec![DEFLATE, 0];
        match self.ask(&hello).await {
            Answer::Chose(f) => Some(f.compression != 0),
            _ => None,
        }
    }
}

fn refused(alert: Alert) -> ProbeEnd {
    ProbeEnd {
        kind: EndKind::Refused,
        message: alert.to_string(),
    }
}

fn end_kind(e: &HelloError) -> EndKind {
    match e {
        HelloError::Timeout { .. } => EndKind::Silent,
        HelloError::Closed { .. } => EndKind::Closed,
        HelloError::Reset { .. } | HelloError::Io(_) => EndKind::Reset,
        HelloError::NotTls { .. } => EndKind::NotTls,
        HelloError::Alert(_) => EndKind::Refused,
        HelloError::TooLarge { .. }
        | HelloError::Malformed { .. }
        | HelloError::Unexpected { .. }
        | HelloError::HelloTooLarge
        | HelloError::Encode(_) => EndKind::Malformed,
    }
}

fn code_of(s: &SuiteSeen) -> Option<u16> {
    u16::from_str_radix(s.code.trim_start_matches("0x"), 16).ok()
}

/// The suite a flight chose, with its parts and its key exchange.
fn suite_seen(f: &ServerFlight) -> SuiteSeen {
    let traits = SuiteTraits::of(f.suite);
    let (key_exchange, dh_bits) = match f.key_exchange {
        Some(KeyExchange::Dh { prime_bits }) => (
            Some(format!("DH {prime_bits} bits")),
            u32::try_from(prime_bits).ok(),
        ),
        Some(KeyExchange::Ecdh { group, group_name }) => (
            Some(group_name.map_or_else(|| format!("group 0x{group:04X}"), str::to_owned)),
            None,
        ),
        Some(KeyExchange::EcdhExplicit) => (Some("explicit curve parameters".into()), None),
        Some(KeyExchange::Rsa { modulus_bits }) => {
            (Some(format!("RSA {modulus_bits} bits (export key)")), None)
        }
        Some(KeyExchange::Unread { .. }) | None => (
            f.extensions
                .key_share_group
                .map(|g| group_name(g).map_or_else(|| format!("group 0x{g:04X}"), str::to_owned)),
            None,
        ),
    };
    SuiteSeen {
        name: f
            .suite_name
            .map_or_else(|| format!("0x{:04X}", f.suite), str::to_owned),
        code: format!("0x{:04X}", f.suite),
        forward_secrecy: traits.is_some_and(|t| t.forward_secrecy),
        aead: traits.is_some_and(|t| t.aead),
        cipher_bits: traits.map_or(0, |t| t.cipher_bits),
        weak: traits.as_ref().and_then(weakness),
        key_exchange,
        dh_bits,
    }
}

/// What the first answer of the best version below TLS 1.3 shows (TLS 1.3 encrypts the rest).
fn extensions(clear: Option<&ServerFlight>) -> ExtensionsSeen {
    let Some(f) = clear else {
        return ExtensionsSeen::default();
    };
    let e = &f.extensions;
    let read_to_end = f.end == FlightEnd::ServerHelloDone;
    ExtensionsSeen {
        secure_renegotiation: Some(e.renegotiation_info),
        fallback_scsv: None,
        compression: None,
        session_ids: Some(f.session_id_length > 0),
        session_tickets: Some(e.session_ticket),
        ocsp_stapling: read_to_end.then_some(f.ocsp_stapled),
        scts_in_handshake: Some(e.signed_certificate_timestamp),
        scts_in_certificate: f.certificates.first().map(|leaf| has_embedded_scts(leaf)),
        extended_master_secret: Some(e.extended_master_secret),
        encrypt_then_mac: Some(e.encrypt_then_mac),
    }
}

/// RFC 6962 §3.3: the precertificate SCT list extension, OID 1.3.6.1.4.1.11129.2.4.2.
fn has_embedded_scts(der: &[u8]) -> bool {
    const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
    x509_parser::parse_x509_certificate(der).is_ok_and(|(_, cert)| {
        cert.extensions()
            .iter()
            .any(|e| e.oid.to_id_string() == SCT_LIST)
    })
}

fn certificate_key(f: &ServerFlight) -> Option<CertificateKey> {
    let leaf = f.certificates.first()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let info = CertificateInfo::parse(leaf, now).ok()?;
    Some(CertificateKey {
        key_type: info.key_type,
        bits: u32::try_from(info.key_bits).ok()?,
    })
}
