//! TCP mode with raw sockets (root or CAP_NET_RAW): hand-made SYNs to the target's port, each
//! named by its sequence number; routers quote it in their ICMP errors, the destination
//! acknowledges it (SYN-ACK or RST, ack = seq + 1). The kernel resets the half-open
//! connections by itself.
//!
//! One source port per probe id: every TTL of a round shares one flow (Paris), and rounds differ
//! so that the destination, which answers a flow's first SYN only, answers every round.

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::scheduler::{Answer, ProbeSocket, Received, id_count};
use super::{TraceOptions, set_ttl, unspecified};
use crate::icmp::{self, kind};

pub(super) struct TcpRawSocket {
    tcp: UdpSocket,
    icmp: UdpSocket,
    address: IpAddr,
    source: IpAddr,
    v6: bool,
    port: u16,
    sport: u16,
    /// The high byte of every sequence number we send: answers quoting another are not ours.
    base: u32,
    ids: u16,
    tcp_buf: Vec<u8>,
    icmp_buf: Vec<u8>,
}

impl TcpRawSocket {
    pub(super) fn open(address: IpAddr, options: &TraceOptions) -> io::Result<TcpRawSocket> {
        use socket2::{Domain, Protocol, Socket, Type};
        let v6 = address.is_ipv6();
        let raw = Socket::new(
            if v6 { Domain::IPV6 } else { Domain::IPV4 },
            Type::RAW,
            Some(Protocol::TCP),
        )?;
        raw.set_nonblocking(true)?;
        let tcp = UdpSocket::from_std(std::net::UdpSocket::from(raw))?;
        let icmp = crate::ping::icmp_raw_socket(address)?;
        // The pseudo-header needs our address: the one the kernel picks for this destination.
        let route = std::net::UdpSocket::bind(unspecified(address))?;
        route.connect(SocketAddr::new(address, options.tcp_port))?;
        let source = route.local_addr()?.ip();
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Ok(TcpRawSocket {
            tcp,
            icmp,
            address,
            source,
            v6,
            port: options.tcp_port,
            sport: 33000 + ((std::process::id() ^ nonce) % 20000) as u16,
            base: nonce.rotate_left(13) & 0xff00_0000,
            ids: u16::from(id_count(options)),
            tcp_buf: vec![0u8; 2048],
            icmp_buf: vec![0u8; 2048],
        })
    }

    fn named(&self, seq: u32) -> Option<(u8, u8)> {
        (seq & 0xff00_0000 == self.base).then_some(((seq >> 8) as u8, seq as u8))
    }

    fn ours(&self, sport: u16) -> bool {
        sport.wrapping_sub(self.sport) < self.ids
    }

    /// The destination's SYN-ACK or RST to one of our SYNs.
    fn read_tcp(&self, n: usize, from: IpAddr) -> Option<((u8, u8), Answer)> {
        let seg = crate::tcp::received(self.v6, &self.tcp_buf[..n])?;
        let syn_ack = crate::tcp::SYN | crate::tcp::ACK;
        let answers = seg.flags & syn_ack == syn_ack || seg.flags & crate::tcp::RST != 0;
        if from != self.address || seg.sport != self.port || !self.ours(seg.dport) || !answers {
            return None;
        }
        Some((self.named(seg.ack.wrapping_sub(1))?, Answer::Destination))
    }

    /// A router's ICMP error quoting one of our SYNs.
    fn read_icmp(&self, n: usize) -> Option<((u8, u8), Answer)> {
        let bytes = if self.v6 {
            &self.icmp_buf[..n]
        } else {
            icmp::strip_ipv4_header(&self.icmp_buf[..n])?
        };
        let (t, code, seg) = crate::tcp::quoted(self.v6, bytes)?;
        if !self.ours(seg.sport) || seg.dport != self.port {
            return None;
        }
        let exceeded = if self.v6 {
            kind::V6_TIME_EXCEEDED
        } else {
            kind::V4_TIME_EXCEEDED
        };
        let answer = if t == exceeded {
            Answer::TimeExceeded
        } else {
            Answer::Unreachable(code)
        };
        Some((self.named(seg.seq)?, answer))
    }
}

impl ProbeSocket for TcpRawSocket {
    async fn send(&mut self, ttl: u8, id: u8) -> io::Result<()> {
        set_ttl(&self.tcp, self.v6, ttl)?;
        let seq = self.base | (u32::from(ttl) << 8) | u32::from(id);
        let segment = crate::tcp::syn(
            self.source,
            self.address,
            self.sport.wrapping_add(u16::from(id)),
            self.port,
            seq,
        );
        self.tcp
            .send_to(&segment, SocketAddr::new(self.address, 0))
            .await?;
        Ok(())
    }

    async fn recv(&mut self, deadline: Instant) -> Option<Received> {
        loop {
            let (read, from) = tokio::select! {
                r = self.tcp.recv_from(&mut self.tcp_buf) => match r {
                    Ok((n, from)) => (self.read_tcp(n, from.ip()), from.ip()),
                    Err(_) => continue,
                },
                r = self.icmp.recv_from(&mut self.icmp_buf) => match r {
                    Ok((n, from)) => (self.read_icmp(n), from.ip()),
                    Err(_) => continue,
                },
                _ = tokio::time::sleep_until(deadline) => return None,
            };
            if let Some(((ttl, id), answer)) = read {
                return Some(Received {
                    ttl,
                    id,
                    from,
                    at: Instant::now(),
                    answer,
                });
            }
        }
    }
}
