//! ICMP mode on a raw socket (root or CAP_NET_RAW): echo requests with our identifier; routers'
//! errors and the destination's replies are read from the raw socket, which sees every ICMP
//! message of the host, so only those quoting (or answering) our identifier count.

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::scheduler::{Answer, ProbeSocket, Received};
use super::{from_icmp_seq, icmp_seq, set_ttl};
use crate::icmp::{self, kind};

pub(super) struct IcmpRawSocket {
    socket: UdpSocket,
    address: IpAddr,
    v6: bool,
    id: u16,
    buf: Vec<u8>,
}

impl IcmpRawSocket {
    pub(super) fn open(address: IpAddr) -> io::Result<IcmpRawSocket> {
        Ok(IcmpRawSocket {
            socket: crate::ping::icmp_raw_socket(address)?,
            address,
            v6: address.is_ipv6(),
            id: crate::ping::echo_id(address) ^ 0x7472,
            buf: vec![0u8; 2048],
        })
    }

    /// What one ICMP message read from the raw socket says about our probes.
    fn read(&self, bytes: &[u8], from: IpAddr) -> Option<(u16, Answer)> {
        let v6 = self.v6;
        let bytes = if v6 {
            bytes
        } else {
            icmp::strip_ipv4_header(bytes)?
        };
        if from == self.address
            && let Some((reply_id, seq)) = icmp::echo_reply(v6, bytes)
        {
            return (reply_id == self.id).then_some((seq, Answer::Destination));
        }
        let q = icmp::quoted_echo(v6, bytes).filter(|q| q.id == self.id)?;
        let exceeded = if v6 {
            kind::V6_TIME_EXCEEDED
        } else {
            kind::V4_TIME_EXCEEDED
        };
        let answer = if q.kind == exceeded {
            Answer::TimeExceeded
        } else {
            Answer::Unreachable(q.code)
        };
        Some((q.seq, answer))
    }
}

impl ProbeSocket for IcmpRawSocket {
    async fn send(&mut self, ttl: u8, id: u8) -> io::Result<()> {
        set_ttl(&self.socket, self.v6, ttl)?;
        let packet = icmp::echo_request(self.v6, self.id, icmp_seq(ttl, id));
        self.socket
            .send_to(&packet, SocketAddr::new(self.address, 0))
            .await?;
        Ok(())
    }

    async fn recv(&mut self, deadline: Instant) -> Option<Received> {
        loop {
            let (n, from) = tokio::select! {
                r = self.socket.recv_from(&mut self.buf) => match r {
                    Ok(r) => r,
                    Err(_) => continue,
                },
                _ = tokio::time::sleep_until(deadline) => return None,
            };
            let at = Instant::now();
            if let Some((seq, answer)) = self.read(&self.buf[..n], from.ip()) {
                let (ttl, id) = from_icmp_seq(seq);
                return Some(Received {
                    ttl,
                    id,
                    from: from.ip(),
                    at,
                    answer,
                });
            }
        }
    }
}
