//! TCP connection to one of a host's addresses, in the manner of Happy Eyeballs (RFC 8305):
//! addresses are interleaved by family, IPv6 first, and a new attempt starts every 250 ms while
//! earlier ones are still pending, so a dead address costs a quarter second, not a timeout.
//! Every attempt is kept, so "refused" and "timed out" are told apart per address.
//!
//! The only place in netcheck-core that opens a TCP connection; it is private to the
//! [`Dialer`](super::Dialer), which vets the addresses before they get here.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::report::millis;

/// RFC 8305 §5: the recommended Connection Attempt Delay.
const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectOutcome {
    Connected,
    /// RST in answer to SYN: nothing listens on that port.
    Refused,
    /// No answer within the connect timeout: a filter drops the packets, or the host is down.
    TimedOut,
    /// The network or host is unreachable (ICMP unreachable, no route).
    Unreachable,
    /// Given up because another address connected first.
    Abandoned,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConnectAttempt {
    pub address: SocketAddr,
    pub outcome: ConnectOutcome,
    pub time_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Interleaves address families, IPv6 first (RFC 8305 §4).
pub(super) fn interleave(addresses: &[IpAddr]) -> Vec<IpAddr> {
    let (v6, v4): (Vec<IpAddr>, Vec<IpAddr>) = addresses.iter().partition(|a| a.is_ipv6());
    let mut out = Vec::with_capacity(addresses.len());
    let (mut a, mut b) = (v6.into_iter(), v4.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out
}

/// Connects to the first address that answers. Returns the stream (if any) and every attempt.
pub(super) async fn connect(
    addresses: &[IpAddr],
    port: u16,
    attempt_timeout: Duration,
    deadline: Instant,
) -> (Option<(TcpStream, SocketAddr)>, Vec<ConnectAttempt>) {
    let order: Vec<SocketAddr> = interleave(addresses)
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    let mut attempts: Vec<ConnectAttempt> = Vec::new();
    let mut pending = FuturesUnordered::new();
    let mut next = order.iter().copied();
    let mut begun: Vec<(SocketAddr, Instant)> = Vec::new();
    let start_attempt = |address: SocketAddr| async move {
        let started = Instant::now();
        let bound = attempt_timeout.min(deadline.saturating_duration_since(started));
        let result = tokio::time::timeout(bound, TcpStream::connect(address)).await;
        (address, started, result)
    };
    if let Some(first) = next.next() {
        begun.push((first, Instant::now()));
        pending.push(start_attempt(first));
    }
    while !pending.is_empty() {
        let delay = tokio::time::sleep(ATTEMPT_DELAY);
        tokio::select! {
            Some((address, started, result)) = pending.next() => {
                let time_ms = millis(started.elapsed());
                match result {
                    Ok(Ok(stream)) => {
                        // Small requests go out at once, as curl and browsers send them; with
                        // Nagle on, HTTP/2's frames wait for delayed ACKs and the timings lie.
                        let _ = stream.set_nodelay(true);
                        attempts.push(ConnectAttempt { address, outcome: ConnectOutcome::Connected, time_ms, error: None });
                        // Attempts still under way are given up; keep them, or a hanging
                        // IPv6 attempt would vanish behind a working IPv4 one.
                        for (other, since) in &begun {
                            if !attempts.iter().any(|a| a.address == *other) {
                                attempts.push(ConnectAttempt {
                                    address: *other,
                                    outcome: ConnectOutcome::Abandoned,
                                    time_ms: millis(since.elapsed()),
                                    error: Some("still pending when another address connected".into()),
                                });
                            }
                        }
                        for other in next.by_ref() {
                            attempts.push(ConnectAttempt { address: other, outcome: ConnectOutcome::Abandoned, time_ms: 0.0, error: None });
                        }
                        return (Some((stream, address)), attempts);
                    }
                    Ok(Err(e)) => attempts.push(ConnectAttempt { address, outcome: classify(&e), time_ms, error: Some(e.to_string()) }),
                    Err(_) => attempts.push(ConnectAttempt {
                        address,
                        outcome: ConnectOutcome::TimedOut,
                        time_ms,
                        error: Some(format!("no answer within {} ms", time_ms.round())),
                    }),
                }
                // A failure starts the next attempt at once (RFC 8305 §5).
                if let Some(address) = next.next() {
                    begun.push((address, Instant::now()));
        pending.push(start_attempt(address));
                }
            }
            _ = delay => {
                if let Some(address) = next.next() {
                    begun.push((address, Instant::now()));
        pending.push(start_attempt(address));
                }
            }
        }
    }
    (None, attempts)
}

fn classify(e: &std::io::Error) -> ConnectOutcome {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => ConnectOutcome::Refused,
        ErrorKind::TimedOut => ConnectOutcome::TimedOut,
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => ConnectOutcome::Unreachable,
        _ => ConnectOutcome::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_alternate_starting_with_ipv6() {
        let ips: Vec<IpAddr> = ["198.18.0.1", "198.18.0.2", "2001:db8::1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let order: Vec<String> = interleave(&ips).iter().map(ToString::to_string).collect();
        assert_eq!(order, ["2001:db8::1", "198.18.0.1", "198.18.0.2"]);
    }

    #[tokio::test]
    async fn a_closed_port_is_refused_and_an_open_one_connects() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap().port();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let lo: [IpAddr; 1] = ["127.0.0.1".parse().unwrap()];
        let (stream, attempts) = connect(&lo, closed, Duration::from_secs(2), deadline).await;
        assert!(stream.is_none());
        assert_eq!(attempts[0].outcome, ConnectOutcome::Refused);
        let (stream, attempts) = connect(&lo, open, Duration::from_secs(2), deadline).await;
        assert!(stream.is_some());
        assert_eq!(attempts[0].outcome, ConnectOutcome::Connected);
    }
}
