//! The unprivileged back-ends: UDP probes, or ICMP echo on a datagram socket ("ping socket"),
//! with the routers' ICMP errors read from the socket's error queue (IP_RECVERR), which names
//! the router (the offender) and quotes the probe.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;

use socket2::SockRef;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::scheduler::{Answer, ProbeSocket, Received};
use super::{TraceMode, TraceOptions, from_icmp_seq, icmp_seq, set_ttl, unspecified};
use crate::errqueue::{self, QueuedError};
use crate::icmp::{self, kind};

pub(super) struct ErrqueueSocket {
    socket: UdpSocket,
    v6: bool,
    mode: TraceMode,
    target: SocketAddr,
    /// Answers read from the queue while sending, handed out by the next `recv`.
    queued: VecDeque<Received>,
    buf: Vec<u8>,
    echo: Vec<u8>,
}

impl ErrqueueSocket {
    /// `mode` is `Udp` or `Icmp`.
    pub(super) fn open(
        address: IpAddr,
        mode: TraceMode,
        options: &TraceOptions,
    ) -> io::Result<ErrqueueSocket> {
        let v6 = address.is_ipv6();
        let socket = match mode {
            TraceMode::Icmp => crate::ping::icmp_datagram_socket(address)?,
            _ => {
                let std = std::net::UdpSocket::bind(unspecified(address))?;
                std.set_nonblocking(true)?;
                UdpSocket::from_std(std)?
            }
        };
        errqueue::enable(&socket, v6)?;
        // Every probe past the destination comes back as an error at once; the queue counts
        // against the receive buffer, so make room for them (capped by net.core.rmem_max).
        let _ = SockRef::from(&socket).set_recv_buffer_size(1 << 20);
        let port = if mode == TraceMode::Icmp {
            0
        } else {
            options.port
        };
        Ok(ErrqueueSocket {
            socket,
            v6,
            mode,
            target: SocketAddr::new(address, port),
            queued: VecDeque::new(),
            buf: vec![0u8; 512],
            echo: vec![0u8; 2048],
        })
    }

    /// Moves what the error queue holds now into `queued`.
    fn drain(&mut self) {
        let fd = self.socket.as_raw_fd();
        while let Ok(Some(e)) = errqueue::take(fd, &mut self.buf) {
            if let Some(r) = read_error(&e, &self.buf, self.v6, self.mode) {
                self.queued.push_back(r);
            }
        }
    }
}

impl ProbeSocket for ErrqueueSocket {
    async fn send(&mut self, ttl: u8, id: u8) -> io::Result<()> {
        set_ttl(&self.socket, self.v6, ttl)?;
        let packet = match self.mode {
            TraceMode::Icmp => icmp::echo_request(self.v6, 0, icmp_seq(ttl, id)),
            _ => probe_payload(ttl, id),
        };
        // With IP_RECVERR every ICMP error also leaves a pending socket error, which the next
        // send returns instead of sending (as tracepath knows): drain and retry.
        let mut last = None;
        for _ in 0..4 {
            self.drain();
            match self.socket.send_to(&packet, self.target).await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    tracing::debug!(ttl, id, "send failed, retrying: {e}");
                    last = Some(e);
                }
            }
        }
        // A probe that could not leave is a lost probe, not a failed trace.
        tracing::debug!(ttl, id, "probe not sent: {last:?}");
        Ok(())
    }

    async fn recv(&mut self, deadline: Instant) -> Option<Received> {
        loop {
            if let Some(r) = self.queued.pop_front() {
                return Some(r);
            }
            let fd = self.socket.as_raw_fd();
            let icmp = self.mode == TraceMode::Icmp;
            tokio::select! {
                queued = self.socket.async_io(Interest::ERROR, || errqueue::take(fd, &mut self.buf).and_then(|e| e.ok_or(io::ErrorKind::WouldBlock.into()))) => {
                    if let Ok(e) = queued
                        && let Some(r) = read_error(&e, &self.buf, self.v6, self.mode)
                    {
                        return Some(r);
                    }
                }
                received = self.socket.recv_from(&mut self.echo), if icmp => {
                    let at = Instant::now();
                    let Ok((n, from)) = received else { continue };
                    let Some((_, seq)) = icmp::echo_reply(self.v6, &self.echo[..n]) else { continue };
                    let (ttl, id) = from_icmp_seq(seq);
                    return Some(Received { ttl, id, from: from.ip(), at, answer: Answer::Destination });
                }
                _ = tokio::time::sleep_until(deadline) => return None,
            }
        }
    }
}

pub(super) fn probe_payload(ttl: u8, id: u8) -> Vec<u8> {
    let mut p = b"nchk".to_vec();
    p.extend([ttl, id]);
    p.resize(32, 0);
    p
}

pub(super) fn read_payload(bytes: &[u8]) -> Option<(u8, u8)> {
    (bytes.len() >= 6 && &bytes[..4] == b"nchk").then(|| (bytes[4], bytes[5]))
}

/// What a queued ICMP error says, if it is one a trace reads.
pub(super) fn classify(e: &QueuedError, v6: bool) -> Option<Answer> {
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

/// One queued ICMP error as an answer to the probe its quoted payload names.
fn read_error(e: &QueuedError, buf: &[u8], v6: bool, mode: TraceMode) -> Option<Received> {
    let at = Instant::now();
    let answer = classify(e, v6)?;
    let payload = &buf[..e.payload_len.min(buf.len())];
    let (ttl, id) = match mode {
        TraceMode::Icmp => icmp::parse(payload)
            .filter(|m| m.rest.len() >= 4)
            .map(|m| (m.rest[2], m.rest[3]))?,
        _ => read_payload(payload)?,
    };
    Some(Received {
        ttl,
        id,
        from: e.offender?,
        at,
        answer,
    })
}
