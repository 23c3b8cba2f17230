//! Traceroute with every TTL probed at once. Probes for all hops leave together; ICMP errors
//! come back through the socket's error queue (IP_RECVERR), which needs no privileges on Linux.
//! The wait adapts: until the destination answers, one full timeout; after it, twice the
//! farthest round trip seen (at least `min_wait`), so a silent hop costs one short wait, not
//! hops × timeout.
//!
//! Probes leave TTL by TTL (all probes of TTL 1, then of TTL 2, ...), so a destination that
//! rate-limits ICMP errors answers the probes that reached it first: its own TTL's.
//!
//! Flows stay put for load balancers (the Paris traceroute idea): UDP probes share one socket,
//! so source and destination ports never change, and the probe is named in the payload; ICMP
//! probes keep their checksum constant (see `icmp::echo_request`).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use socket2::SockRef;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::errqueue::{self, QueuedError};
use crate::icmp::{self, kind};
use crate::millis;

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

/// What one answer said about one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    TimeExceeded,
    Destination,
    Unreachable(u8),
}

struct Reply {
    ttl: u8,
    probe: u8,
    from: IpAddr,
    rtt: Duration,
    answer: Answer,
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
    let with_mode = |mode| TraceOptions {
        mode,
        ..options.clone()
    };
    match backend {
        TraceBackend::UdpErrorQueue => run(address, &with_mode(TraceMode::Udp)).await,
        TraceBackend::IcmpDatagramErrorQueue => run(address, &with_mode(TraceMode::Icmp)).await,
        TraceBackend::IcmpRaw => run_icmp_raw(address, options).await,
        TraceBackend::TcpSynRaw => run_tcp_raw(address, options).await,
        TraceBackend::TcpConnectErrorQueue => run_tcp(address, options).await,
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

fn probe_payload(ttl: u8, probe: u8) -> Vec<u8> {
    let mut p = b"nchk".to_vec();
    p.extend([ttl, probe]);
    p.resize(32, 0);
    p
}

fn read_payload(bytes: &[u8]) -> Option<(u8, u8)> {
    (bytes.len() >= 6 && &bytes[..4] == b"nchk").then(|| (bytes[4], bytes[5]))
}

/// ICMP sequence numbers carry (TTL, probe): 8 bits each.
fn icmp_seq(ttl: u8, probe: u8) -> u16 {
    (u16::from(ttl) << 8) | u16::from(probe)
}

fn classify(e: &QueuedError, v6: bool) -> Option<Answer> {
    let (exceeded, unreachable, port_unreachable) = if v6 {
        (kind::V6_TIME_EXCEEDED, kind::V6_DEST_UNREACHABLE, 4)
    } else {
        (kind::V4_TIME_EXCEEDED, kind::V4_DEST_UNREACHABLE, 3)
    };
    if e.origin != errqueue::ORIGIN_ICMP && e.origin != errqueue::ORIGIN_ICMP6 {
        return None;
    }
    match (e.icmp_type, e.icmp_code) {
        (t, _) if t == exceeded => Some(Answer::TimeExceeded),
        (t, c) if t == unreachable && c == port_unreachable => Some(Answer::Destination),
        (t, c) if t == unreachable => Some(Answer::Unreachable(c)),
        _ => None,
    }
}

async fn run(address: IpAddr, options: &TraceOptions) -> io::Result<(Vec<Reply>, u32)> {
    let v6 = address.is_ipv6();
    let socket = match options.mode {
        TraceMode::Udp => UdpSocket::bind(unspecified(address)).await?,
        TraceMode::Icmp => crate::ping::icmp_datagram_socket(address)?,
        TraceMode::Tcp => return run_tcp(address, options).await,
    };
    errqueue::enable(&socket, v6)?;
    // Every probe past the destination comes back as an error at once; the queue counts
    // against the receive buffer, so make room for them (capped by net.core.rmem_max).
    let _ = SockRef::from(&socket).set_recv_buffer_size(1 << 20);
    let target = SocketAddr::new(
        address,
        if options.mode == TraceMode::Udp {
            options.port
        } else {
            0
        },
    );
    let mut sent: HashMap<(u8, u8), Instant> = HashMap::new();
    let mut replies: Vec<Reply> = Vec::new();
    let mut buf = vec![0u8; 512];
    let mut echo = vec![0u8; 2048];
    let fd = socket.as_raw_fd();
    // All hops at once, TTL by TTL with every probe of a TTL together: a destination that
    // rate-limits its ICMP errors (Linux: a burst of 6 per peer) then spends its burst on the
    // probes of its own TTL, not on round one's probes past it. Answers that arrive while
    // probes are still going out are read between sends, so their times are not inflated.
    for ttl in 1..=options.max_hops {
        for probe in 0..options.probes_per_hop {
            set_ttl(&socket, v6, ttl)?;
            let packet = match options.mode {
                TraceMode::Icmp => icmp::echo_request(v6, 0, icmp_seq(ttl, probe)),
                _ => probe_payload(ttl, probe),
            };
            // With IP_RECVERR every ICMP error also leaves a pending socket error, which the
            // next send returns instead of sending (as tracepath knows): drain and retry.
            for _ in 0..4 {
                while let Ok(Some(e)) = errqueue::take(fd, &mut buf) {
                    record_error(&e, &buf, v6, options.mode, &sent, &mut replies);
                }
                let at = Instant::now();
                match socket.send_to(&packet, target).await {
                    Ok(_) => {
                        sent.insert((ttl, probe), at);
                        break;
                    }
                    Err(e) => tracing::debug!(ttl, probe, "send failed, retrying: {e}"),
                }
            }
        }
    }
    let last_send = Instant::now();
    while let Some(deadline) = remaining_wait(&replies, options, last_send) {
        tokio::select! {
            queued = socket.async_io(Interest::ERROR, || errqueue::take(fd, &mut buf).and_then(|e| e.ok_or(io::ErrorKind::WouldBlock.into()))) => {
                if let Ok(e) = queued {
                    record_error(&e, &buf, v6, options.mode, &sent, &mut replies);
                }
            }
            received = socket.recv_from(&mut echo), if options.mode == TraceMode::Icmp => {
                let now = Instant::now();
                let Ok((n, from)) = received else { continue };
                let Some((_, seq)) = icmp::echo_reply(v6, &echo[..n]) else { continue };
                let (ttl, probe) = ((seq >> 8) as u8, seq as u8);
                if let Some(t) = sent.get(&(ttl, probe)) {
                    replies.push(Reply { ttl, probe, from: from.ip(), rtt: now - *t, answer: Answer::Destination });
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    Ok((replies, sent.len() as u32))
}

/// The wait still allowed: a full timeout until the destination answers, then twice the
/// farthest round trip (at least `min_wait`). `None` when nothing below the destination is
/// still outstanding.
fn remaining_wait(
    replies: &[Reply],
    options: &TraceOptions,
    last_send: Instant,
) -> Option<Instant> {
    let Some(d) = replies
        .iter()
        .filter(|r| r.answer != Answer::TimeExceeded)
        .map(|r| r.ttl)
        .min()
    else {
        return Some(last_send + options.timeout);
    };
    let outstanding = (1..d).any(|ttl| {
        (0..options.probes_per_hop).any(|p| !replies.iter().any(|r| r.ttl == ttl && r.probe == p))
    });
    if !outstanding {
        return None;
    }
    let farthest = replies.iter().map(|r| r.rtt).max().unwrap_or_default();
    Some(last_send + (farthest * 2).max(options.min_wait).min(options.timeout))
}

/// ICMP mode on a raw socket: echo requests with our identifier; routers' errors and the
/// destination's replies are read from the raw socket, which sees every ICMP message of the
/// host, so only those quoting (or answering) our identifier count.
async fn run_icmp_raw(address: IpAddr, options: &TraceOptions) -> io::Result<(Vec<Reply>, u32)> {
    let v6 = address.is_ipv6();
    let socket = crate::ping::icmp_raw_socket(address)?;
    let id = crate::ping::echo_id(address) ^ 0x7472;
    let target = SocketAddr::new(address, 0);
    let mut sent: HashMap<(u8, u8), Instant> = HashMap::new();
    for ttl in 1..=options.max_hops {
        for probe in 0..options.probes_per_hop {
            set_ttl(&socket, v6, ttl)?;
            sent.insert((ttl, probe), Instant::now());
            socket
                .send_to(&icmp::echo_request(v6, id, icmp_seq(ttl, probe)), target)
                .await?;
        }
    }
    let last_send = Instant::now();
    let mut replies = Vec::new();
    let mut buf = vec![0u8; 2048];
    while let Some(deadline) = remaining_wait(&replies, options, last_send) {
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let now = Instant::now();
                let Ok((n, from)) = received else { continue };
                let bytes = if v6 { Some(&buf[..n]) } else { icmp::strip_ipv4_header(&buf[..n]) };
                let Some(bytes) = bytes else { continue };
                let (seq, answer) = if let Some((reply_id, seq)) = icmp::echo_reply(v6, bytes).filter(|_| from.ip() == address) {
                    if reply_id != id { continue }
                    (seq, Answer::Destination)
                } else if let Some(q) = icmp::quoted_echo(v6, bytes).filter(|q| q.id == id) {
                    let exceeded = if v6 { kind::V6_TIME_EXCEEDED } else { kind::V4_TIME_EXCEEDED };
                    (q.seq, if q.kind == exceeded { Answer::TimeExceeded } else { Answer::Unreachable(q.code) })
                } else {
                    continue;
                };
                let (ttl, probe) = ((seq >> 8) as u8, seq as u8);
                if let Some(t) = sent.get(&(ttl, probe)) {
                    replies.push(Reply { ttl, probe, from: from.ip(), rtt: now - *t, answer });
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    Ok((replies, sent.len() as u32))
}

/// TCP mode with raw sockets: SYNs from one source port to the target's port, each named by its
/// sequence number; routers quote it in their ICMP errors, the destination acknowledges it
/// (SYN-ACK or RST, ack = seq + 1). The kernel resets the half-open connections by itself.
async fn run_tcp_raw(address: IpAddr, options: &TraceOptions) -> io::Result<(Vec<Reply>, u32)> {
    use socket2::{Domain, Protocol, Socket, Type};
    let v6 = address.is_ipv6();
    let raw = Socket::new(
        if v6 { Domain::IPV6 } else { Domain::IPV4 },
        Type::RAW,
        Some(Protocol::TCP),
    )?;
    raw.set_nonblocking(true)?;
    let tcp_socket = UdpSocket::from_std(std::net::UdpSocket::from(raw))?;
    let icmp_socket = crate::ping::icmp_raw_socket(address)?;
    // The pseudo-header needs our address: the one the kernel picks for this destination.
    let route = std::net::UdpSocket::bind(unspecified(address))?;
    route.connect(SocketAddr::new(address, options.tcp_port))?;
    let source = route.local_addr()?.ip();
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let sport = 33000 + ((std::process::id() ^ nonce) % 20000) as u16;
    let base = nonce.rotate_left(13) & 0xff00_0000;
    let mut sent: HashMap<(u8, u8), Instant> = HashMap::new();
    for ttl in 1..=options.max_hops {
        for probe in 0..options.probes_per_hop {
            set_ttl(&tcp_socket, v6, ttl)?;
            let seq = base | (u32::from(ttl) << 8) | u32::from(probe);
            sent.insert((ttl, probe), Instant::now());
            // One source port per round: within a round every TTL shares one flow (Paris);
            // rounds differ so the destination, which answers a flow's first SYN only,
            // answers every round.
            let segment = crate::tcp::syn(
                source,
                address,
                sport + u16::from(probe),
                options.tcp_port,
                seq,
            );
            tcp_socket
                .send_to(&segment, SocketAddr::new(address, 0))
                .await?;
        }
    }
    let last_send = Instant::now();
    let named = |seq: u32| -> Option<(u8, u8)> {
        (seq & 0xff00_0000 == base).then_some(((seq >> 8) as u8, seq as u8))
    };
    let mut replies = Vec::new();
    let (mut tcp_buf, mut icmp_buf) = (vec![0u8; 2048], vec![0u8; 2048]);
    let exceeded = if v6 {
        kind::V6_TIME_EXCEEDED
    } else {
        kind::V4_TIME_EXCEEDED
    };
    while let Some(deadline) = remaining_wait(&replies, options, last_send) {
        let (key, from, answer, now) = tokio::select! {
            r = tcp_socket.recv_from(&mut tcp_buf) => {
                let now = Instant::now();
                let Ok((n, from)) = r else { continue };
                let Some(seg) = crate::tcp::received(v6, &tcp_buf[..n]) else { continue };
                let answers = seg.flags & (crate::tcp::SYN | crate::tcp::ACK) == crate::tcp::SYN | crate::tcp::ACK
                    || seg.flags & crate::tcp::RST != 0;
                let ours = seg.dport.wrapping_sub(sport) < u16::from(options.probes_per_hop);
                if from.ip() != address || seg.sport != options.tcp_port || !ours || !answers {
                    continue;
                }
                (named(seg.ack.wrapping_sub(1)), from.ip(), Answer::Destination, now)
            }
            r = icmp_socket.recv_from(&mut icmp_buf) => {
                let now = Instant::now();
                let Ok((n, from)) = r else { continue };
                let bytes = if v6 { Some(&icmp_buf[..n]) } else { icmp::strip_ipv4_header(&icmp_buf[..n]) };
                let Some((t, code, seg)) = bytes.and_then(|b| crate::tcp::quoted(v6, b)) else { continue };
                if seg.sport.wrapping_sub(sport) >= u16::from(options.probes_per_hop) || seg.dport != options.tcp_port {
                    continue;
                }
                let answer = if t == exceeded { Answer::TimeExceeded } else { Answer::Unreachable(code) };
                (named(seg.seq), from.ip(), answer, now)
            }
            _ = tokio::time::sleep_until(deadline) => break,
        };
        if let Some((ttl, probe)) = key
            && let Some(t) = sent.get(&(ttl, probe))
            && !replies
                .iter()
                .any(|r: &Reply| r.ttl == ttl && r.probe == probe)
        {
            replies.push(Reply {
                ttl,
                probe,
                from,
                rtt: now - *t,
                answer,
            });
        }
    }
    Ok((replies, sent.len() as u32))
}

/// TCP mode: a non-blocking connect per probe. A router's time-exceeded fails the connect and
/// lands in the error queue with the router's address; the destination answers with SYN-ACK
/// (connected) or RST (refused), either of which means it was reached.
async fn run_tcp(address: IpAddr, options: &TraceOptions) -> io::Result<(Vec<Reply>, u32)> {
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    let v6 = address.is_ipv6();
    let target = SockAddr::from(SocketAddr::new(address, options.tcp_port));
    let mut pending = futures::stream::FuturesUnordered::new();
    let mut sent = 0u32;
    for ttl in 1..=options.max_hops {
        for probe in 0..options.probes_per_hop {
            let socket = Socket::new(
                if v6 { Domain::IPV6 } else { Domain::IPV4 },
                Type::STREAM,
                Some(Protocol::TCP),
            )?;
            socket.set_nonblocking(true)?;
            if v6 {
                socket.set_unicast_hops_v6(u32::from(ttl))?
            } else {
                socket.set_ttl_v4(u32::from(ttl))?
            }
            errqueue::enable(&socket, v6)?;
            let started = Instant::now();
            match socket.connect(&target) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) => return Err(e),
            }
            sent += 1;
            let stream = tokio::net::TcpStream::from_std(std::net::TcpStream::from(socket))?;
            pending.push(async move {
                (
                    ttl,
                    probe,
                    tcp_probe_outcome(stream, address, v6).await,
                    started,
                )
            });
        }
    }
    let last_send = Instant::now();
    let mut replies = Vec::new();
    use futures::StreamExt;
    while let Some(deadline) = remaining_wait(&replies, options, last_send) {
        tokio::select! {
            next = pending.next() => {
                let Some((ttl, probe, outcome, started)) = next else { break };
                if let Some((from, answer, at)) = outcome {
                    replies.push(Reply { ttl, probe, from, rtt: at - started, answer });
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    Ok((replies, sent))
}

/// How one TCP probe ended: who answered, what it meant, and when.
async fn tcp_probe_outcome(
    stream: tokio::net::TcpStream,
    address: IpAddr,
    v6: bool,
) -> Option<(IpAddr, Answer, Instant)> {
    let fd = stream.as_raw_fd();
    let mut buf = [0u8; 64];
    loop {
        stream
            .ready(Interest::WRITABLE | Interest::ERROR)
            .await
            .ok()?;
        let at = Instant::now();
        if let Ok(Some(e)) = errqueue::take(fd, &mut buf)
            && let (Some(answer), Some(from)) = (classify(&e, v6), e.offender)
        {
            // A port unreachable for TCP would be odd; any ICMP from the path is a hop.
            let answer = if answer == Answer::Destination {
                Answer::Unreachable(e.icmp_code)
            } else {
                answer
            };
            return Some((from, answer, at));
        }
        match stream.take_error() {
            Ok(None) if stream.peer_addr().is_ok() => {
                return Some((address, Answer::Destination, at));
            }
            Ok(Some(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                return Some((address, Answer::Destination, at));
            }
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) => {
                // Spurious wake-up: clear readiness and wait again.
                let _ = stream.try_io(Interest::WRITABLE, || {
                    Err::<(), _>(io::ErrorKind::WouldBlock.into())
                });
            }
        }
    }
}

/// Turns one queued ICMP error into a reply to the probe its payload names.
fn record_error(
    e: &QueuedError,
    buf: &[u8],
    v6: bool,
    mode: TraceMode,
    sent: &HashMap<(u8, u8), Instant>,
    replies: &mut Vec<Reply>,
) {
    let now = Instant::now();
    let Some(answer) = classify(e, v6) else {
        return;
    };
    let payload = &buf[..e.payload_len.min(buf.len())];
    let key = match mode {
        TraceMode::Udp => read_payload(payload),
        TraceMode::Icmp => icmp::parse(payload)
            .filter(|m| m.rest.len() >= 4)
            .map(|m| (m.rest[2], m.rest[3])),
        TraceMode::Tcp => None,
    };
    let (Some((ttl, probe)), Some(from)) = (key, e.offender) else {
        return;
    };
    if let Some(t) = sent.get(&(ttl, probe)) {
        replies.push(Reply {
            ttl,
            probe,
            from,
            rtt: now - *t,
            answer,
        });
    }
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
        assert_eq!(read_payload(&probe_payload(17, 2)), Some((17, 2)));
        assert_eq!(read_payload(b"nope"), None);
        let seq = icmp_seq(30, 2);
        assert_eq!(((seq >> 8) as u8, seq as u8), (30, 2));
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
