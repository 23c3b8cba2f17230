//! TCP mode without privileges: one non-blocking connect per probe. A router's time-exceeded
//! fails the connect and lands in the error queue with the router's address; the destination
//! answers with SYN-ACK (connected) or RST (refused), either of which means it was reached.
//! Each probe has its own source port, so a load balancer may send probes down different paths.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::pin::Pin;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::io::Interest;
use tokio::time::Instant;

use super::errqueue_socket::classify;
use super::scheduler::{Answer, ProbeSocket, Received};
use crate::errqueue;

type Outcome = (u8, u8, Option<(IpAddr, Answer, Instant)>);

pub(super) struct TcpConnectSocket {
    address: IpAddr,
    port: u16,
    pending: FuturesUnordered<Pin<Box<dyn Future<Output = Outcome> + Send>>>,
}

impl TcpConnectSocket {
    pub(super) fn new(address: IpAddr, port: u16) -> TcpConnectSocket {
        TcpConnectSocket {
            address,
            port,
            pending: FuturesUnordered::new(),
        }
    }
}

impl ProbeSocket for TcpConnectSocket {
    async fn send(&mut self, ttl: u8, id: u8) -> io::Result<()> {
        use socket2::{Domain, Protocol, SockAddr, Socket, Type};
        let v6 = self.address.is_ipv6();
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
        match socket.connect(&SockAddr::from(SocketAddr::new(self.address, self.port))) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let stream = tokio::net::TcpStream::from_std(std::net::TcpStream::from(socket))?;
        let address = self.address;
        self.pending.push(Box::pin(async move {
            (ttl, id, outcome(stream, address, v6).await)
        }));
        Ok(())
    }

    async fn recv(&mut self, deadline: Instant) -> Option<Received> {
        loop {
            if self.pending.is_empty() {
                tokio::time::sleep_until(deadline).await;
                return None;
            }
            tokio::select! {
                next = self.pending.next() => {
                    if let Some((ttl, id, Some((from, answer, at)))) = next {
                        return Some(Received { ttl, id, from, at, answer });
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return None,
            }
        }
    }
}

/// How one TCP probe ended: who answered, what it meant, and when.
async fn outcome(
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
