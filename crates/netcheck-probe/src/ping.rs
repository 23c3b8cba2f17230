//! Ping: N echo requests at an interval, each round trip timed from just before the send call to
//! the moment the reply is read. Back-ends, best first: an ICMP datagram socket (no privileges,
//! where `net.ipv4.ping_group_range` admits the user), a raw ICMP socket (root or CAP_NET_RAW),
//! and, when neither is possible, TCP connects to a port, labelled as such.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::icmp;
use crate::millis;

#[derive(Debug, Clone)]
pub struct PingOptions {
    pub count: u16,
    pub interval: Duration,
    /// How long a reply is waited for; later ones are counted as late.
    pub timeout: Duration,
    /// The port the TCP fallback connects to.
    pub tcp_port: u16,
    /// Skip back-ends better than this one (for tests and comparisons).
    pub force: Option<PingBackend>,
    /// No probe is sent, and no reply waited for, after this: what arrived by then is the result.
    pub until: Option<Instant>,
}

impl Default for PingOptions {
    fn default() -> Self {
        PingOptions {
            count: 5,
            interval: Duration::from_millis(200),
            timeout: Duration::from_secs(1),
            tcp_port: 443,
            force: None,
            until: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PingBackend {
    /// SOCK_DGRAM + IPPROTO_ICMP(V6): unprivileged ICMP on Linux.
    IcmpDatagram,
    /// SOCK_RAW: needs root or CAP_NET_RAW.
    IcmpRaw,
    /// Timed TCP connects: not ICMP at all, but a round trip all the same.
    TcpConnect,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PingProbe {
    pub seq: u16,
    /// Absent when no reply came within the timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// The reply came, but after the timeout.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PingResult {
    pub address: IpAddr,
    pub backend: PingBackend,
    /// Why better back-ends were not used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallbacks: Vec<String>,
    pub probes: Vec<PingProbe>,
    pub sent: u16,
    pub received: u16,
    pub loss_percent: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<f64>,
    /// Standard deviation of the round trips, as iputils computes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mdev_ms: Option<f64>,
    pub duplicates: u16,
    pub late: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Pings `address` with the best back-end this process may use.
pub async fn ping(address: IpAddr, options: &PingOptions) -> PingResult {
    let mut fallbacks = Vec::new();
    let order = [
        PingBackend::IcmpDatagram,
        PingBackend::IcmpRaw,
        PingBackend::TcpConnect,
    ];
    let start = options
        .force
        .and_then(|f| order.iter().position(|b| *b == f))
        .unwrap_or(0);
    for backend in &order[start..] {
        let outcome = match backend {
            PingBackend::IcmpDatagram => icmp_ping(address, options, false).await,
            PingBackend::IcmpRaw => icmp_ping(address, options, true).await,
            PingBackend::TcpConnect => Ok(tcp_ping(address, options).await),
        };
        match outcome {
            Ok(run) => return summarise(address, *backend, fallbacks, options, run),
            Err(e) => fallbacks.push(format!("{}: {}", backend_name(*backend), why(&e))),
        }
    }
    let mut result = summarise(
        address,
        PingBackend::TcpConnect,
        fallbacks,
        options,
        Run::default(),
    );
    result.error = Some("no ping back-end could be used".into());
    result
}

pub fn backend_name(b: PingBackend) -> &'static str {
    match b {
        PingBackend::IcmpDatagram => "ICMP datagram socket",
        PingBackend::IcmpRaw => "raw ICMP socket",
        PingBackend::TcpConnect => "TCP connect",
    }
}

fn why(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EACCES) => "not allowed for this group (net.ipv4.ping_group_range)".into(),
        Some(libc::EPERM) => "needs root or CAP_NET_RAW".into(),
        _ => e.to_string(),
    }
}

/// What one run saw: per sequence, the time from send to reply; plus duplicates.
#[derive(Debug, Default)]
struct Run {
    sent: Vec<(u16, Instant)>,
    replies: HashMap<u16, Duration>,
    duplicates: u16,
}

/// An echo identifier for raw sockets, which see every ICMP message of the host: distinct per
/// process and per destination, so concurrent pings and traces do not take each other's answers.
pub fn echo_id(address: IpAddr) -> u16 {
    let octets: Vec<u8> = match address {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    let folded = octets.chunks(2).fold(0u16, |acc, c| {
        acc.rotate_left(5) ^ u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])
    });
    (std::process::id() as u16) ^ folded
}

/// An unprivileged ICMP socket (Linux "ping socket"); EACCES when ping_group_range excludes us.
pub fn icmp_datagram_socket(address: IpAddr) -> io::Result<UdpSocket> {
    icmp_socket(address, false)
}

/// A raw ICMP socket; EPERM without root or CAP_NET_RAW.
pub fn icmp_raw_socket(address: IpAddr) -> io::Result<UdpSocket> {
    icmp_socket(address, true)
}

fn icmp_socket(address: IpAddr, raw: bool) -> io::Result<UdpSocket> {
    let (domain, protocol) = if address.is_ipv6() {
        (Domain::IPV6, Protocol::ICMPV6)
    } else {
        (Domain::IPV4, Protocol::ICMPV4)
    };
    let socket = Socket::new(
        domain,
        if raw { Type::RAW } else { Type::DGRAM },
        Some(protocol),
    )?;
    socket.set_nonblocking(true)?;
    // An ICMP socket is read and written with recvfrom/sendto like a UDP one; tokio's
    // UdpSocket gives that an async face without any unsafe code.
    UdpSocket::from_std(std::net::UdpSocket::from(socket))
}

async fn icmp_ping(address: IpAddr, options: &PingOptions, raw: bool) -> io::Result<Run> {
    let socket = icmp_socket(address, raw)?;
    let v6 = address.is_ipv6();
    // Datagram sockets get their identifier from the kernel; raw ones filter on ours.
    let id = echo_id(address);
    let target = SocketAddr::new(address, 0);
    let mut run = Run::default();
    let mut buf = vec![0u8; 2048];
    let mut next_send = Instant::now();
    let mut last_send: Option<Instant> = None;
    loop {
        // Sending stops after `count` probes, or when `until` comes first.
        let sending = run.sent.len() < usize::from(options.count)
            && options.until.is_none_or(|u| next_send < u);
        if !sending && run.replies.len() >= run.sent.len() {
            break;
        }
        // After the last request, one timeout; never past `until`.
        let far = Instant::now() + Duration::from_secs(3600);
        let mut end_at = match last_send {
            Some(t) if !sending => t + options.timeout,
            _ if !sending => Instant::now(),
            _ => far,
        };
        if let Some(u) = options.until {
            end_at = end_at.min(u);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(next_send), if sending => {
                let seq = run.sent.len() as u16;
                let packet = icmp::echo_request(v6, id, seq);
                let t = Instant::now();
                // A failed send (e.g. a pending ICMP error) is a lost probe, not a failed back-end.
                if let Err(e) = socket.send_to(&packet, target).await {
                    tracing::debug!(seq, "echo request not sent: {e}");
                }
                run.sent.push((seq, t));
                last_send = Some(t);
                next_send += options.interval;
            }
            received = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = received else { continue };
                let now = Instant::now();
                if from.ip() != address {
                    continue;
                }
                let bytes = if raw && !v6 { icmp::strip_ipv4_header(&buf[..n]) } else { Some(&buf[..n]) };
                let Some((reply_id, seq)) = bytes.and_then(|b| icmp::echo_reply(v6, b)) else { continue };
                if raw && reply_id != id {
                    continue;
                }
                let Some((_, sent_at)) = run.sent.iter().find(|(s, _)| *s == seq) else { continue };
                match run.replies.entry(seq) {
                    std::collections::hash_map::Entry::Occupied(_) => run.duplicates += 1,
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(now - *sent_at);
                    }
                }
            }
            _ = tokio::time::sleep_until(end_at), if end_at < far => break,
        }
    }
    Ok(run)
}

async fn tcp_ping(address: IpAddr, options: &PingOptions) -> Run {
    let mut run = Run::default();
    let target = SocketAddr::new(address, options.tcp_port);
    for seq in 0..options.count {
        if seq > 0 {
            tokio::time::sleep(options.interval).await;
        }
        if options
            .until
            .is_some_and(|u| Instant::now() + options.timeout.min(Duration::from_millis(100)) >= u)
        {
            break;
        }
        let t = Instant::now();
        run.sent.push((seq, t));
        let bound = options.until.map_or(options.timeout, |u| {
            options.timeout.min(u.saturating_duration_since(t))
        });
        match tokio::time::timeout(bound, tokio::net::TcpStream::connect(target)).await {
            // A SYN-ACK and an RST are both answers from the host.
            Ok(Ok(_)) => {
                run.replies.insert(seq, t.elapsed());
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                run.replies.insert(seq, t.elapsed());
            }
            _ => {}
        }
    }
    run
}

fn summarise(
    address: IpAddr,
    backend: PingBackend,
    fallbacks: Vec<String>,
    options: &PingOptions,
    run: Run,
) -> PingResult {
    let mut probes = Vec::new();
    let mut rtts = Vec::new();
    let mut late = 0;
    for (seq, _) in &run.sent {
        let rtt = run.replies.get(seq).copied();
        let is_late = rtt.is_some_and(|r| r > options.timeout);
        if is_late {
            late += 1;
        } else if let Some(r) = rtt {
            rtts.push(millis(r));
        }
        probes.push(PingProbe {
            seq: *seq,
            rtt_ms: rtt.map(millis),
            late: is_late,
        });
    }
    let sent = run.sent.len() as u16;
    let received = rtts.len() as u16;
    let (min, avg, max, mdev) = stats(&rtts);
    PingResult {
        address,
        backend,
        fallbacks,
        probes,
        sent,
        received,
        loss_percent: if sent == 0 {
            100.0
        } else {
            100.0 * f64::from(sent - received) / f64::from(sent)
        },
        min_ms: min,
        avg_ms: avg,
        max_ms: max,
        mdev_ms: mdev,
        duplicates: run.duplicates,
        late,
        error: None,
    }
}

/// min, avg, max and mdev = sqrt(mean(x²) − mean(x)²), as iputils ping reports them.
pub fn stats(rtts: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    if rtts.is_empty() {
        return (None, None, None, None);
    }
    let n = rtts.len() as f64;
    let min = rtts.iter().copied().fold(f64::INFINITY, f64::min);
    let max = rtts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let avg = rtts.iter().sum::<f64>() / n;
    let mean_sq = rtts.iter().map(|x| x * x).sum::<f64>() / n;
    let mdev = (mean_sq - avg * avg).max(0.0).sqrt();
    (Some(min), Some(avg), Some(max), Some(mdev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_iputils_definitions() {
        let (min, avg, max, mdev) = stats(&[1.0, 2.0, 3.0]);
        assert_eq!((min, avg, max), (Some(1.0), Some(2.0), Some(3.0)));
        let mdev = mdev.unwrap();
        assert!((mdev - (2.0f64 / 3.0).sqrt()).abs() < 1e-9, "{mdev}");
        assert_eq!(stats(&[]), (None, None, None, None));
    }

    #[tokio::test]
    async fn sending_stops_at_until_and_what_was_sent_is_reported() {
        let options = PingOptions {
            count: 1000,
            interval: Duration::from_millis(10),
            until: Some(Instant::now() + Duration::from_millis(300)),
            ..Default::default()
        };
        let result = ping("127.0.0.1".parse().unwrap(), &options).await;
        assert!(
            result.sent > 0 && result.sent < 1000,
            "{} sent",
            result.sent
        );
        assert_eq!(
            result.received, result.sent,
            "loopback answers every probe that left"
        );
    }

    #[tokio::test]
    async fn loopback_answers_with_a_nonzero_round_trip() {
        let options = PingOptions {
            count: 3,
            interval: Duration::from_millis(10),
            ..Default::default()
        };
        let result = ping("127.0.0.1".parse().unwrap(), &options).await;
        if result.backend == PingBackend::TcpConnect {
            // Neither ICMP socket is open to this user: the TCP fallback still answers (refused).
            assert!(!result.fallbacks.is_empty());
        }
        assert_eq!((result.sent, result.received), (3, 3), "{result:?}");
        assert!(
            result.min_ms.is_some_and(|m| m > 0.0),
            "a round trip is never zero: {result:?}"
        );
    }
}
