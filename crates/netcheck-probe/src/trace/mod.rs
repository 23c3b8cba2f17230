//! Traceroute with every TTL of a window probed at once. ICMP errors come back through the
//! socket's error queue (IP_RECVERR), which needs no privileges on Linux, or through raw sockets
//! where netcheck runs privileged. When probes leave and how long to wait is one scheduler's
//! job (`scheduler.rs`); each back-end is a file that only builds and reads packets:
//! `errqueue_socket.rs` (UDP, and ICMP on a datagram socket), `icmp_raw.rs`, `tcp_raw.rs`,
//! `tcp_connect.rs`.
//!
//! Flows stay put for load balancers (the Paris traceroute idea): UDP probes share one socket,
//! so source and destination ports never change, and the probe is named in the payload; ICMP
//! probes keep their checksum constant (see `icmp::echo_request`).

mod errqueue_socket;
mod icmp_raw;
mod scheduler;
mod tcp_connect;
mod tcp_raw;

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use socket2::SockRef;
use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::millis;
use scheduler::{Answer, Reply, schedule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TraceMode {
    Udp,
    Icmp,
    /// TCP SYNs to `TraceOptions::tcp_port`: what firewalls that pass web traffic let through.
    Tcp,
}

#[derive(Debug, Clone)]
pub struct TraceOptions {
    pub mode: TraceMode,
    pub max_hops: u8,
    pub probes_per_hop: u8,
    /// Destination port of UDP probes (traceroute's classic base port).
    pub port: u16,
    /// Destination port of TCP probes.
    pub tcp_port: u16,
    /// The longest wait for an answer: used until the destination has answered.
    pub timeout: Duration,
    /// The shortest wait for silent hops once the destination has answered.
    pub min_wait: Duration,
    /// TTLs in flight past the farthest router that has answered.
    pub window: u8,
    /// How many more times a probe whose answer is missing at the destination is sent.
    pub retries: u8,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            mode: TraceMode::Udp,
            max_hops: 30,
            probes_per_hop: 3,
            port: 33434,
            tcp_port: 443,
            timeout: Duration::from_secs(2),
            min_wait: Duration::from_millis(50),
            window: 8,
            retries: 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TraceBackend {
    /// UDP probes, ICMP errors read from IP_RECVERR: any user.
    UdpErrorQueue,
    /// ICMP echo on a datagram socket, errors from IP_RECVERR: users admitted by ping_group_range.
    IcmpDatagramErrorQueue,
    /// ICMP echo on a raw socket, errors read from the packets they quote: root or CAP_NET_RAW.
    IcmpRaw,
    /// Hand-made TCP SYNs on a raw socket, one fixed source port per round of probes
    /// (Paris-style): root or CAP_NET_RAW. Errors are read from a raw ICMP socket by the sequence number they quote.
    TcpSynRaw,
    /// One non-blocking connect per probe, errors from IP_RECVERR: any user. Each probe has
    /// its own source port, so a load balancer may send probes down different paths.
    TcpConnectErrorQueue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hop {
    pub ttl: u8,
    /// Every address that answered for this TTL (more than one behind a load balancer).
    pub addresses: Vec<IpAddr>,
    /// One entry per probe, in order; absent where no answer came.
    pub rtts_ms: Vec<Option<f64>>,
    pub loss_percent: f64,
    /// No probe of this TTL was answered.
    pub silent: bool,
    /// An ICMP unreachable other than "port unreachable" from the destination (e.g. `host unreachable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TraceResult {
    pub address: IpAddr,
    pub mode: TraceMode,
    pub backend: TraceBackend,
    pub hops: Vec<Hop>,
    /// The destination itself answered.
    pub reached: bool,
    pub probes_sent: u32,
    pub duration_ms: f64,
    /// Why the mode asked for was not used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallbacks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Traces the path to `address`.
pub async fn trace(address: IpAddr, options: &TraceOptions) -> TraceResult {
    let started = Instant::now();
    let mut fallbacks = Vec::new();
    let mut used = TraceBackend::UdpErrorQueue;
    let mut outcome = Ok((Vec::new(), 0));
    for backend in backends(options.mode) {
        used = *backend;
        outcome = run_backend(*backend, address, options).await;
        match &outcome {
            Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => {
                fallbacks.push(format!(
                    "{}: {e} ({})",
                    backend_name(*backend),
                    needs(*backend)
                ));
            }
            _ => break,
        }
    }
    let (replies, sent, error) = match outcome {
        Ok((replies, sent)) => (replies, sent, None),
        Err(e) => (Vec::new(), 0, Some(e.to_string())),
    };
    let (hops, reached) = hops(address, &replies, options.probes_per_hop);
    TraceResult {
        address,
        mode: mode_of(used),
        backend: used,
        hops,
        reached,
        probes_sent: sent,
        duration_ms: millis(started.elapsed()),
        fallbacks,
        error,
    }
}

/// The back-ends of a mode, best first; a refused one (EACCES, EPERM) gives way to the next.
fn backends(mode: TraceMode) -> &'static [TraceBackend] {
    match mode {
        TraceMode::Udp => &[TraceBackend::UdpErrorQueue],
        TraceMode::Icmp => &[
            TraceBackend::IcmpDatagramErrorQueue,
            TraceBackend::IcmpRaw,
            TraceBackend::UdpErrorQueue,
        ],
        TraceMode::Tcp => &[TraceBackend::TcpSynRaw, TraceBackend::TcpConnectErrorQueue],
    }
}

fn mode_of(backend: TraceBackend) -> TraceMode {
    match backend {
        TraceBackend::UdpErrorQueue => TraceMode::Udp,
        TraceBackend::IcmpDatagramErrorQueue | TraceBackend::IcmpRaw => TraceMode::Icmp,
        TraceBackend::TcpSynRaw | TraceBackend::TcpConnectErrorQueue => TraceMode::Tcp,
    }
}

pub fn backend_name(backend: TraceBackend) -> &'static str {
    match backend {
        TraceBackend::UdpErrorQueue => "UDP with IP_RECVERR",
        TraceBackend::IcmpDatagramErrorQueue => "ICMP datagram socket",
        TraceBackend::IcmpRaw => "raw ICMP socket",
        TraceBackend::TcpSynRaw => "raw TCP socket",
        TraceBackend::TcpConnectErrorQueue => "TCP connect with IP_RECVERR",
    }
}

fn needs(backend: TraceBackend) -> &'static str {
    match backend {
        TraceBackend::IcmpDatagramErrorQueue => {
            "not allowed for this group by net.ipv4.ping_group_range"
        }
        TraceBackend::IcmpRaw | TraceBackend::TcpSynRaw => "needs root or CAP_NET_RAW",
        _ => "refused",
    }
}

async fn run_backend(
    backend: TraceBackend,
    address: IpAddr,
    options: &TraceOptions,
) -> io::Result<(Vec<Reply>, u32)> {
    match backend {
        TraceBackend::UdpErrorQueue => {
            let mut socket =
                errqueue_socket::ErrqueueSocket::open(address, TraceMode::Udp, options)?;
            schedule(&mut socket, options).await
        }
        TraceBackend::IcmpDatagramErrorQueue => {
            let mut socket =
                errqueue_socket::ErrqueueSocket::open(address, TraceMode::Icmp, options)?;
            schedule(&mut socket, options).await
        }
        TraceBackend::IcmpRaw => {
            let mut socket = icmp_raw::IcmpRawSocket::open(address)?;
            schedule(&mut socket, options).await
        }
        TraceBackend::TcpSynRaw => {
            let mut socket = tcp_raw::TcpRawSocket::open(address, options)?;
            schedule(&mut socket, options).await
        }
        TraceBackend::TcpConnectErrorQueue => {
            let mut socket = tcp_connect::TcpConnectSocket::new(address, options.tcp_port);
            schedule(&mut socket, options).await
        }
    }
}

fn unspecified(address: IpAddr) -> SocketAddr {
    match address {
        IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

fn set_ttl(socket: &UdpSocket, v6: bool, ttl: u8) -> io::Result<()> {
    let s = SockRef::from(socket);
    if v6 {
        s.set_unicast_hops_v6(u32::from(ttl))
    } else {
        s.set_ttl_v4(u32::from(ttl))
    }
}

/// ICMP sequence numbers carry (TTL, probe id): 8 bits each.
fn icmp_seq(ttl: u8, id: u8) -> u16 {
    (u16::from(ttl) << 8) | u16::from(id)
}

fn from_icmp_seq(seq: u16) -> (u8, u8) {
    ((seq >> 8) as u8, seq as u8)
}

/// RFC 792 and RFC 4443 §3.1 name the destination-unreachable codes differently.
fn unreachable_words(v6: bool, code: u8) -> String {
    match (v6, code) {
        (false, 0) | (true, 0) => "network unreachable".into(),
        (false, 1) | (true, 3) => "host unreachable".into(),
        (false, 3) | (true, 4) => "port unreachable".into(),
        (false, 9 | 10 | 13) | (true, 1) => "administratively prohibited".into(),
        (true, 5) => "source address failed ingress/egress policy".into(),
        (true, 6) => "reject route to destination".into(),
        (_, c) => format!("unreachable (code {c})"),
    }
}

/// Folds the replies into hops, up to the first TTL that did not say "time exceeded" (or the
/// last that answered). The destination counts as reached only when it answered itself: a
/// router's unreachable, or a firewall's port-unreachable, ends the path without reaching it.
fn hops(address: IpAddr, replies: &[Reply], probes_per_hop: u8) -> (Vec<Hop>, bool) {
    let destination = replies
        .iter()
        .filter(|r| r.answer != Answer::TimeExceeded)
        .map(|r| r.ttl)
        .min();
    let last = destination
        .or_else(|| replies.iter().map(|r| r.ttl).max())
        .unwrap_or(0);
    let mut by_ttl: BTreeMap<u8, Vec<&Reply>> = BTreeMap::new();
    for r in replies.iter().filter(|r| r.ttl <= last) {
        by_ttl.entry(r.ttl).or_default().push(r);
    }
    let hops = (1..=last)
        .map(|ttl| {
            let answers = by_ttl.get(&ttl).map(Vec::as_slice).unwrap_or(&[]);
            let mut addresses: Vec<IpAddr> = Vec::new();
            for r in answers {
                if !addresses.contains(&r.from) {
                    addresses.push(r.from);
                }
            }
            let rtts_ms: Vec<Option<f64>> = (0..probes_per_hop)
                .map(|p| answers.iter().find(|r| r.probe == p).map(|r| millis(r.rtt)))
                .collect();
            let answered = rtts_ms.iter().filter(|r| r.is_some()).count();
            let unreachable = answers.iter().find_map(|r| match r.answer {
                Answer::Unreachable(c) => Some(unreachable_words(address.is_ipv6(), c)),
                _ => None,
            });
            Hop {
                ttl,
                addresses,
                loss_percent: 100.0 * (f64::from(probes_per_hop) - answered as f64)
                    / f64::from(probes_per_hop.max(1)),
                silent: answered == 0,
                rtts_ms,
                unreachable,
            }
        })
        .collect();
    let reached = destination.is_some_and(|d| {
        replies
            .iter()
            .any(|r| r.ttl == d && r.answer == Answer::Destination && r.from == address)
    });
    (hops, reached)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(ttl: u8, probe: u8, from: &str, ms: u64, answer: Answer) -> Reply {
        Reply {
            ttl,
            probe,
            from: from.parse().unwrap(),
            rtt: Duration::from_millis(ms),
            answer,
        }
    }

    #[test]
    fn hops_stop_at_the_destination_and_show_silence() {
        let replies = vec![
            reply(1, 0, "198.18.1.1", 1, Answer::TimeExceeded),
            reply(1, 1, "198.18.1.1", 1, Answer::TimeExceeded),
            reply(3, 0, "198.18.3.2", 40, Answer::TimeExceeded),
            reply(3, 1, "198.18.3.3", 41, Answer::TimeExceeded),
            reply(4, 0, "198.18.4.2", 42, Answer::Destination),
            reply(5, 0, "198.18.4.2", 42, Answer::Destination),
        ];
        let (hops, reached) = hops("198.18.4.2".parse().unwrap(), &replies, 2);
        assert!(reached);
        assert_eq!(hops.len(), 4);
        assert!(hops[1].silent && hops[1].loss_percent == 100.0);
        assert_eq!(
            hops[2].addresses.len(),
            2,
            "a load-balanced hop shows both routers"
        );
        assert_eq!(hops[3].rtts_ms, vec![Some(42.0), None]);
        assert_eq!(hops[3].loss_percent, 50.0);
    }

    #[test]
    fn a_firewall_that_rejects_is_not_the_destination() {
        let replies = vec![
            reply(1, 0, "198.18.1.1", 1, Answer::TimeExceeded),
            reply(2, 0, "198.18.2.2", 2, Answer::Destination),
        ];
        let (path, reached) = hops("198.18.4.2".parse().unwrap(), &replies, 1);
        assert_eq!(path.len(), 2, "the path ends where the rejection came from");
        assert!(
            !reached,
            "a port-unreachable from another address is not the destination"
        );
        let replies = vec![reply(1, 0, "198.18.1.1", 1, Answer::Unreachable(1))];
        let (path, reached) = hops("2001:db8::1".parse().unwrap(), &replies, 1);
        assert!(!reached);
        assert_eq!(
            path[0].unreachable.as_deref(),
            Some("administratively prohibited"),
            "IPv6 code 1"
        );
    }

    #[test]
    fn probe_identity_survives_the_round_trip() {
        use errqueue_socket::{probe_payload, read_payload};
        assert_eq!(read_payload(&probe_payload(17, 2)), Some((17, 2)));
        assert_eq!(read_payload(b"nope"), None);
        assert_eq!(from_icmp_seq(icmp_seq(30, 2)), (30, 2));
    }

    #[tokio::test]
    async fn loopback_is_one_hop_away() {
        let result = trace(
            "127.0.0.1".parse().unwrap(),
            &TraceOptions {
                max_hops: 5,
                ..Default::default()
            },
        )
        .await;
        assert!(result.reached, "{result:?}");
        assert_eq!(result.hops.len(), 1);
        assert_eq!(
            result.hops[0].addresses,
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
        assert!(
            result.duration_ms < 1000.0 * 2.0,
            "it did not wait out the timeout after the answer"
        );
    }
}
