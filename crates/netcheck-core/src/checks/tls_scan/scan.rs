//! The scan strategy: which hellos to send, in what order, and what each answer teaches.
//!
//! First, one hello per version, SSL 3.0 to TLS 1.3, all at once, each offering every registry
//! suite: which versions are accepted, and the suite each prefers. Each version's listing goes
//! on from its own answer, and once every first answer is in, the
//! groups, the signature algorithms and a downgraded hello with TLS_FALLBACK_SCSV (RFC 7507)
//! go out beside the listings. The first hellos below TLS 1.3 offer DEFLATE before null
//! (RFC 3749), so the best one's answer tells whether the server compresses.
//!
//! A version is listed the sslscan way: offer every suite not yet seen, record the one the
//! server chooses, take it out and ask again, until the server refuses (N+1 hellos for N
//! suites). Beside the second step, the registry offered backwards tells whose order the
//! server follows: with its own, it chooses its favourite again. With its own order, the listing stays one hello after another, since each answer is the
//! next suite in that order; each hello then goes on a connection opened while the one before
//! was in flight, so a step costs one round trip, not two. With the client's order the
//! server's choice is just the first suite it has in the offer, so the rest of the registry is
//! split into interleaved parts listed at once, and their suites put back in registry order:
//! the same list the sequential listing gives, in a fraction of the round trips.
//!
//! Every hello is bounded and goes through the run's dialer, under a cap on open connections;
//! a reset or silence ends a listing and is kept as how it ended. Building and reading the
//! hellos is the probe crate's; judging what was seen is `grade.rs`'s and `mod.rs`'s.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use netcheck_probe::tls::{
    Alert, ClientHello, FlightEnd, HelloError, KeyExchange, LEGACY_SUITES, ProtocolVersion,
    SIGNATURE_ALGORITHMS, ServerFlight, SuiteTraits, TLS13_SUITES, Until, exchange, group_name,
    signature_scheme_name,
};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::{
    CertificateKey, EndKind, ExtensionsSeen, GroupSeen, ProbeEnd, ProtocolScan, SignatureSeen,
    SuiteOrder, SuiteSeen, TlsScanReport, weakness,
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

/// Sends hellos to one address, at most `permits` connections open at once, none past
/// `deadline`.
struct Scanner<'a> {
    dialer: &'a Dialer,
    host: &'a str,
    address: SocketAddr,
    permits: Semaphore,
    /// Held by the hellos besides the listings (groups, signature algorithms, SCSV) before
    /// they take a connection permit: `half()` the connections while the listings, the
    /// longest chains of round trips, run, so that they never wait behind them all; every
    /// connection once the listings are done.
    extras: Semaphore,
    max_connections: usize,
    deadline: Instant,
    handshakes: AtomicU32,
}

/// A connection to the scanned address, and the permit it holds (none for the scan's first
/// connection, made before the cap applies).
struct Line<'p> {
    stream: TcpStream,
    _permit: Option<SemaphorePermit<'p>>,
}

/// How one hello was answered.
#[derive(Clone)]
enum Answer {
    Chose(Box<ServerFlight>),
    Refused(Alert),
    Ended(ProbeEnd),
}

impl Answer {
    /// The flight, when the server chose a suite with `version` itself.
    fn chosen_with(&self, version: ProtocolVersion) -> Option<&ServerFlight> {
        match self {
            Answer::Chose(f) if f.version == version => Some(f),
            _ => None,
        }
    }
}

/// What a listing of suites found, in the order found, and how its last hello was answered.
struct Listing {
    found: Vec<ServerFlight>,
    ended: ProbeEnd,
}

fn exhausted() -> ProbeEnd {
    ProbeEnd {
        kind: EndKind::Exhausted,
        message: "every suite offered was accepted".into(),
    }
}

fn out_of_time() -> ProbeEnd {
    ProbeEnd {
        kind: EndKind::OutOfTime,
        message: "the check's time ran out".into(),
    }
}

fn registry(version: ProtocolVersion) -> Vec<u16> {
    let suites = if version.is_tls13() {
        TLS13_SUITES
    } else {
        LEGACY_SUITES
    };
    suites.iter().map(|s| s.code).collect()
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
    let connection = match connected {
        Ok(connection) => connection,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    report.address = Some(connection.address);
    let scanner = Scanner {
        dialer,
        host,
        address: connection.address,
        permits: Semaphore::new(report.max_connections),
        extras: Semaphore::new(half(report.max_connections)),
        max_connections: report.max_connections,
        deadline,
        handshakes: AtomicU32::new(0),
    };
    // The connection that found the address carries the first hello: TLS 1.2's, the version
    // most servers accept.
    let mut first_line = Some(Line {
        stream: connection.stream,
        _permit: None,
    });
    let scanner = &scanner;
    // Each version's listing goes on from its own first answer; the other hellos wait for
    // every first answer, which tell them the versions accepted and the certificate.
    let (told, heard): (Vec<_>, Vec<_>) = VERSIONS
        .iter()
        .map(|_| tokio::sync::oneshot::channel::<Answer>())
        .unzip();
    let listings = async {
        let listed = futures::future::join_all(VERSIONS.iter().zip(told).map(|(&v, tell)| {
            let line = (v == ProtocolVersion::TLS_1_2)
                .then(|| first_line.take())
                .flatten();
            let mut hello = scanner.hello(v, registry(v));
            if !v.is_tls13() {
                // RFC 3749: DEFLATE offered before null, to see whether the server compresses.
                hello.compression = vec![DEFLATE, 0];
            }
            async move {
                let first = match line {
                    Some(line) => scanner.send(line, &hello).await,
                    None => scanner.ask(&hello).await,
                };
                let _ = tell.send(first.clone());
                scanner.protocol(v, &first).await
            }
        }))
        .await;
        // The listings are done: the other hellos may take every connection.
        scanner.extras.add_permits(scanner.max_connections);
        listed
    };
    let others = async {
        let firsts: Vec<Answer> = futures::future::join_all(heard)
            .await
            .into_iter()
            .map(|a| a.unwrap_or_else(|_| Answer::Ended(out_of_time())))
            .collect();
        let chosen: Vec<(ProtocolVersion, &ServerFlight)> = VERSIONS
            .iter()
            .zip(&firsts)
            .filter_map(|(&v, a)| Some((v, a.chosen_with(v)?)))
            .collect();
        let accepted: Vec<ProtocolVersion> = chosen.iter().map(|(v, _)| *v).collect();
        // The best version below TLS 1.3 shows the extensions and the certificate in the
        // clear.
        let clear = chosen
            .iter()
            .rev()
            .find(|(v, _)| !v.is_tls13())
            .map(|(_, f)| (*f).clone());
        let key = clear.as_ref().and_then(certificate_key);
        let key_kinds: Vec<KeyKind> = key
            .iter()
            .filter_map(|k| KeyKind::of_key(&k.key_type))
            .collect();
        let curve = key.as_ref().and_then(|k| curve_group(&k.key_type));
        let (groups, signatures, fallback_scsv) = futures::join!(
            scanner.groups(&accepted, curve),
            scanner.signature_algorithms(&accepted, &key_kinds),
            scanner.fallback_scsv(&accepted),
        );
        let mut extensions = extensions(clear.as_ref());
        extensions.fallback_scsv = fallback_scsv;
        extensions.compression = clear.as_ref().map(|f| f.compression != 0);
        (accepted, key, key_kinds, groups, signatures, extensions)
    };
    let (protocols, (accepted, key, key_kinds, groups, mut signatures, extensions)) =
        futures::join!(listings, others);
    // A server with a second certificate of another kind (RSA beside ECDSA) shows it in the
    // suites it accepts: its algorithms are asked once the listings are done.
    let more: Vec<KeyKind> = protocols
        .iter()
        .flat_map(|p| &p.suites)
        .filter_map(|s| KeyKind::of_suite(&s.name))
        .filter(|k| !key_kinds.contains(k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !more.is_empty() && !key_kinds.is_empty() {
        signatures.extend(scanner.signature_algorithms(&accepted, &more).await);
    }
    report.protocols = protocols;
    report.groups = groups;
    report.signature_algorithms = signatures;
    report.extensions = extensions;
    report.certificate_key = key;
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

    /// Opens a connection under a permit, waiting for one.
    async fn open(&self) -> Result<Line<'_>, ProbeEnd> {
        let Ok(Ok(permit)) = tokio::time::timeout_at(self.deadline, self.permits.acquire()).await
        else {
            return Err(out_of_time());
        };
        self.connect(permit).await
    }

    /// A connection for the next hello of a listing, opened now if a permit is free: made
    /// while the hello before it is in flight, it saves the next step its connect.
    async fn spare(&self) -> Option<Result<Line<'_>, ProbeEnd>> {
        let permit = self.permits.try_acquire().ok()?;
        Some(self.connect(permit).await)
    }

    async fn connect<'p>(&'p self, permit: SemaphorePermit<'p>) -> Result<Line<'p>, ProbeEnd> {
        let bound = self.deadline.min(Instant::now() + PROBE_BOUND);
        match self
            .dialer
            .connect_address(self.host, self.address, bound)
            .await
        {
            Ok(connection) => Ok(Line {
                stream: connection.stream,
                _permit: Some(permit),
            }),
            Err(_) if Instant::now() >= self.deadline => Err(out_of_time()),
            Err(e) => Err(ProbeEnd {
                kind: EndKind::NoConnection,
                message: e.to_string(),
            }),
        }
    }

    /// `ask` for the hellos besides the listings, under the extras' share of the connections.
    async fn ask_aside(&self, hello: &ClientHello) -> Answer {
        let Ok(Ok(_share)) = tokio::time::timeout_at(self.deadline, self.extras.acquire()).await
        else {
            return Answer::Ended(out_of_time());
        };
        self.ask(hello).await
    }

    /// Sends one hello on a connection of its own, under a permit and the probe's bound.
    async fn ask(&self, hello: &ClientHello) -> Answer {
        match self.open().await {
            Ok(line) => self.send(line, hello).await,
            Err(end) => Answer::Ended(end),
        }
    }

    /// Sends one hello on `line` and reads the answer, within the probe's bound.
    async fn send(&self, mut line: Line<'_>, hello: &ClientHello) -> Answer {
        let bound = self.deadline.min(Instant::now() + PROBE_BOUND);
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        // TLS 1.2 and below: read to ServerHelloDone for the key exchange and the certificate.
        let until = if hello.supported_versions.is_empty() {
            Until::ServerHelloDone
        } else {
            Until::ServerHello
        };
        match exchange(&mut line.stream, hello, until, bound).await {
            Ok(flight) => Answer::Chose(Box::new(flight)),
            Err(HelloError::Alert(alert)) => Answer::Refused(alert),
            Err(HelloError::Timeout { .. }) if bound >= self.deadline => {
                Answer::Ended(out_of_time())
            }
            Err(e) => Answer::Ended(ProbeEnd {
                kind: end_kind(&e),
                message: e.to_string(),
            }),
        }
    }

    /// Lists the suites of one version in the order the server chooses them, and whose order
    /// that is, from the answer to the version's first hello (which offered every suite).
    async fn protocol(&self, version: ProtocolVersion, first: &Answer) -> ProtocolScan {
        let registry = registry(version);
        let mut remaining = registry.clone();
        let mut found = Vec::new();
        let mut order = None;
        let ended = 'listing: {
            let first = match judge(version, &remaining, first) {
                Ok(flight) => flight,
                Err(end) => break 'listing end,
            };
            remaining.retain(|&c| c != first.suite);
            found.push(first.clone());
            // The next step, and beside it the whole registry offered backwards: a server with
            // its own order chooses its favourite again, one that follows the client's order
            // takes the last suite of the registry it has.
            let backwards: Vec<u16> = registry.iter().rev().copied().collect();
            let (next, backwards) = (
                self.hello(version, remaining.clone()),
                self.hello(version, backwards),
            );
            let (second, reversed) = futures::join!(self.ask(&next), self.ask(&backwards));
            let second = match judge(version, &remaining, &second) {
                Ok(flight) => flight,
                Err(end) => break 'listing end,
            };
            remaining.retain(|&c| c != second.suite);
            found.push(second);
            let reversed = judge(version, &registry, &reversed);
            let whose = match &reversed {
                Ok(f) if f.suite == first.suite => SuiteOrder::Server,
                Ok(_) => SuiteOrder::Client,
                Err(_) => SuiteOrder::Unclear,
            };
            order = Some(whose);
            if whose != SuiteOrder::Client {
                let rest = self.list(version, &remaining).await;
                found.extend(rest.found);
                break 'listing rest.ended;
            }
            if let Some(last) = reversed.ok().filter(|f| remaining.contains(&f.suite)) {
                remaining.retain(|&c| c != last.suite);
                found.push(last);
            }
            let rest = self.list_in_parts(version, &remaining).await;
            found.extend(rest.found);
            found.sort_by_key(|f| registry.iter().position(|&c| c == f.suite));
            rest.ended
        };
        ProtocolScan {
            version: version.to_string(),
            accepted: !found.is_empty(),
            suites: found.iter().map(suite_seen).collect(),
            order,
            ended,
        }
    }

    /// Offers `offer` with `version`, then all it has not chosen yet, and so on, each hello on
    /// a connection opened while the one before was in flight. Ends `Exhausted` when the
    /// suites run out before the server refuses.
    async fn list(&self, version: ProtocolVersion, offer: &[u16]) -> Listing {
        let mut remaining = offer.to_vec();
        let mut found = Vec::new();
        let mut spare = None;
        let ended = loop {
            if remaining.is_empty() {
                break exhausted();
            }
            let line = match spare.take() {
                Some(line) => line,
                None => self.open().await,
            };
            let line = match line {
                Ok(line) => line,
                Err(end) => break end,
            };
            let hello = self.hello(version, remaining.clone());
            let (answer, next) = futures::join!(self.send(line, &hello), self.spare());
            spare = next;
            match judge(version, &remaining, &answer) {
                Ok(flight) => {
                    remaining.retain(|&c| c != flight.suite);
                    found.push(flight);
                }
                Err(end) => break end,
            }
        };
        Listing { found, ended }
    }

    /// A client-ordered listing of `offer`, split into interleaved parts listed at once. The
    /// server takes the first suite of each offer it has, so each part comes back in registry
    /// order, and so does their union once sorted by it: the list one listing would give.
    async fn list_in_parts(&self, version: ProtocolVersion, offer: &[u16]) -> Listing {
        let count = half(self.max_connections);
        let parts: Vec<Vec<u16>> = (0..count)
            .map(|i| offer.iter().skip(i).step_by(count).copied().collect())
            .filter(|p: &Vec<u16>| !p.is_empty())
            .collect();
        let listings = futures::future::join_all(parts.iter().map(|p| self.list(version, p))).await;
        let mut found = Vec::new();
        let mut ended = None;
        for listing in listings {
            found.extend(listing.found);
            // The worst ending tells: one cut short makes the whole list possibly short.
            if ended
                .as_ref()
                .is_none_or(|e: &ProbeEnd| !e.kind.is_cut_short())
            {
                ended = Some(listing.ended);
            }
        }
        let position = |code: u16| offer.iter().position(|&c| c == code);
        found.sort_by_key(|f| position(f.suite));
        Listing {
            found,
            ended: ended.unwrap_or_else(exhausted),
        }
    }

    /// The groups accepted, one hello per group: with TLS 1.3, supported_groups naming only it
    /// and no key share, which a server that has the group answers with a HelloRetryRequest
    /// for it (RFC 8446 §4.1.4); else with TLS 1.2, the registry's ECDHE suites and only that
    /// curve, which the ServerKeyExchange names (RFC 8422 §5.4).
    ///
    /// An ECDSA certificate's curve must be among a TLS 1.2 hello's groups too (RFC 8422
    /// §5.1.1), so it is offered after the group asked, and only the ServerKeyExchange's
    /// curve counts.
    async fn groups(
        &self,
        accepted: &[ProtocolVersion],
        certificate_curve: Option<u16>,
    ) -> Vec<GroupSeen> {
        let tls13 = accepted.contains(&ProtocolVersion::TLS_1_3);
        let (version, candidates, suites) = if tls13 {
            (
                ProtocolVersion::TLS_1_3,
                TLS13_GROUPS,
                registry(ProtocolVersion::TLS_1_3),
            )
        } else if let Some(&version) = accepted.iter().rev().find(|v| !v.is_tls13()) {
            let ecdhe = LEGACY_SUITES
                .iter()
                .filter(|s| s.name.contains("_ECDHE_"))
                .map(|s| s.code)
                .collect();
            (version, TLS12_GROUPS, ecdhe)
        } else {
            return Vec::new();
        };
        let asks = candidates.iter().map(|&group| {
            let mut hello = self.hello(version, suites.clone());
            hello.groups = vec![group];
            if let Some(curve) = certificate_curve.filter(|&c| !tls13 && c != group) {
                hello.groups.push(curve);
            }
            hello.key_shares.clear();
            async move { (group, self.ask_aside(&hello).await) }
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

    /// The signature algorithms the server signs its handshake with, one hello per algorithm
    /// offered alone, for the kinds of key in `keys`: with TLS 1.2, the ServerKeyExchange of
    /// an ECDHE or DHE suite must be signed with it (RFC 5246 §7.4.1.4.1). For a server
    /// without TLS 1.2, a TLS 1.3 ServerHello is the acceptance, since the server picks its
    /// certificate and signature scheme before it (RFC 8446 §4.4.2.2; its CertificateVerify is
    /// encrypted), and every scheme TLS 1.3 allows is asked.
    async fn signature_algorithms(
        &self,
        accepted: &[ProtocolVersion],
        keys: &[KeyKind],
    ) -> Vec<SignatureSeen> {
        let (version, suites, schemes): (_, Vec<u16>, Vec<u16>) =
            if accepted.contains(&ProtocolVersion::TLS_1_2) {
                let signed = LEGACY_SUITES
                    .iter()
                    .filter(|s| {
                        SuiteTraits::of(s.code).is_some_and(|t| t.forward_secrecy && !t.anonymous)
                    })
                    .map(|s| s.code)
                    .collect();
                let schemes = SIGNATURE_ALGORITHMS
                    .iter()
                    .copied()
                    .filter(|&s| keys.contains(&KeyKind::of_scheme(s)))
                    .collect();
                (ProtocolVersion::TLS_1_2, signed, schemes)
            } else if accepted.contains(&ProtocolVersion::TLS_1_3) && keys.is_empty() {
                (
                    ProtocolVersion::TLS_1_3,
                    registry(ProtocolVersion::TLS_1_3),
                    TLS13_SCHEMES.to_vec(),
                )
            } else {
                return Vec::new();
            };
        let asks = schemes.into_iter().map(|scheme| {
            let mut hello = self.hello(version, suites.clone());
            hello.signature_algorithms = vec![scheme];
            async move { (scheme, self.ask_aside(&hello).await) }
        });
        futures::future::join_all(asks)
            .await
            .into_iter()
            .filter(|(scheme, answer)| match answer {
                Answer::Chose(f) if version.is_tls13() => f.version == version,
                Answer::Chose(f) => f.signature_scheme == Some(*scheme),
                _ => false,
            })
            .map(|(code, _)| SignatureSeen {
                name: signature_scheme_name(code),
                code: format!("0x{code:04X}"),
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
        match self.ask_aside(&hello).await {
            Answer::Refused(a) if a.description == Alert::INAPPROPRIATE_FALLBACK => Some(true),
            Answer::Chose(_) => Some(false),
            _ => None,
        }
    }
}

/// Half the cap on connections, at least one: the extras' share while the listings run, and
/// the parts a client-ordered listing is split into.
fn half(max_connections: usize) -> usize {
    (max_connections / 2).max(1)
}

/// The signature schemes RFC 8446 §4.2.3 allows in a CertificateVerify, in the order of
/// `SIGNATURE_ALGORITHMS`.
const TLS13_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b,
];

/// The kind of key a signature algorithm signs with, and a certificate or suite has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KeyKind {
    Rsa,
    /// An RSASSA-PSS key (rsa_pss_pss_*, RFC 8446 §4.2.3).
    RsaPss,
    Ecdsa,
    EdDsa,
    Dsa,
}

impl KeyKind {
    fn of_scheme(code: u16) -> KeyKind {
        match code {
            0x0807 | 0x0808 => KeyKind::EdDsa,
            0x0809..=0x080b => KeyKind::RsaPss,
            0x0804..=0x0806 => KeyKind::Rsa,
            // RFC 5246 §7.4.1.4.1: the low byte is the signature algorithm.
            _ => match code & 0xff {
                2 => KeyKind::Dsa,
                3 => KeyKind::Ecdsa,
                _ => KeyKind::Rsa,
            },
        }
    }

    /// From the `tls` check's name of a certificate's key (`RSA`, `EC P-256`, `Ed25519`).
    fn of_key(key_type: &str) -> Option<KeyKind> {
        Some(match key_type {
            "RSA" => KeyKind::Rsa,
            "DSA" => KeyKind::Dsa,
            "Ed25519" | "Ed448" => KeyKind::EdDsa,
            k if k.starts_with("EC ") => KeyKind::Ecdsa,
            k if k.to_ascii_lowercase().contains("pss") => KeyKind::RsaPss,
            _ => return None,
        })
    }

    /// From a suite's IANA name: the authentication between `WITH` and the key exchange.
    fn of_suite(name: &str) -> Option<KeyKind> {
        let kx = name.split("_WITH_").next()?;
        if kx.ends_with("_ECDSA") {
            Some(KeyKind::Ecdsa)
        } else if kx.ends_with("_DSS") {
            Some(KeyKind::Dsa)
        } else if kx.ends_with("DHE_RSA") {
            Some(KeyKind::Rsa)
        } else {
            None
        }
    }
}

/// The TLS group of an ECDSA certificate's curve (RFC 8422 §5.1.1, RFC 7027).
fn curve_group(key_type: &str) -> Option<u16> {
    Some(match key_type.strip_prefix("EC ")? {
        "P-192" => 19,
        "P-224" => 21,
        "P-256" => 23,
        "P-384" => 24,
        "P-521" => 25,
        "brainpoolP256r1" => 26,
        "brainpoolP384r1" => 27,
        "brainpoolP512r1" => 28,
        _ => return None,
    })
}

/// The flight of an answer that chose one of `offered` with `version`; else how the listing
/// ends.
fn judge(
    version: ProtocolVersion,
    offered: &[u16],
    answer: &Answer,
) -> Result<ServerFlight, ProbeEnd> {
    match answer {
        Answer::Chose(flight) if flight.version != version => Err(ProbeEnd {
            kind: EndKind::OtherVersion,
            message: format!("the server answered with {}", flight.version),
        }),
        Answer::Chose(flight) if !offered.contains(&flight.suite) => Err(ProbeEnd {
            kind: EndKind::Misbehaved,
            message: format!(
                "the server chose 0x{:04X}, which was not offered",
                flight.suite
            ),
        }),
        Answer::Chose(flight) => Ok(flight.as_ref().clone()),
        Answer::Refused(alert) => Err(refused(*alert)),
        Answer::Ended(end) => Err(end.clone()),
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
