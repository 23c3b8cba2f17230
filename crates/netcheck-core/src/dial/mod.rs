//! The one door out: every TCP connection netcheck-core makes to a host it was told about —
//! the site check's requests and redirects, AIA fetches, RDAP and its bootstraps, WHOIS and its
//! referrals, the TLS check's handshakes and cleartext certificate grab — goes through a
//! [`Dialer`]. It looks the name up (the target's lookup is made once and shared), passes the
//! addresses through its [`Gate`], and connects in the manner of Happy Eyeballs
//! (`happy_eyeballs.rs`), so which addresses may be touched is decided in one place.
//!
//! hickory's `RuntimeProvider`, the one way its code opens sockets, is the model. The protocol
//! modules take a `Dialer` rather than the run's whole `Context`. DNS queries to the
//! configured resolvers and the probe crate's ping and trace sockets do not pass here: they go
//! to addresses the run was given, not to hosts a peer named.

mod gate;
mod happy_eyeballs;
mod host_port;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::net::TcpStream;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::dns::{AddressLookup, Resolver};
use crate::report::millis;

pub use gate::{Denial, Gate, InternetOnly, Open};
pub use happy_eyeballs::{ConnectAttempt, ConnectOutcome};
pub use host_port::{Host, HostPort, HostPortError};

/// Looks names up, vets their addresses, connects. Cheap to clone; clones share the target's
/// lookup.
#[derive(Debug, Clone)]
pub struct Dialer {
    names: Arc<Names>,
    /// One TCP connect attempt's bound.
    connect_timeout: Duration,
    gate: Arc<dyn Gate>,
    /// Addresses of one host tried at most.
    max_addresses: usize,
}

/// The resolver, and the one name whose lookup the whole run shares.
#[derive(Debug)]
struct Names {
    resolver: Resolver,
    /// The target's host: the DNS check reports its lookup, the site and TLS checks connect
    /// with it, and whoever asks first makes it.
    target: String,
    target_lookup: OnceCell<AddressLookup>,
}

/// The addresses of a host, and how long finding them took.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub addresses: Vec<IpAddr>,
    /// The lookup's own time (for the shared target lookup, however long ago it was made);
    /// absent for an IP literal.
    pub lookup_ms: Option<f64>,
}

/// A connection made, with every attempt it took.
#[derive(Debug)]
pub struct Connection {
    pub stream: TcpStream,
    pub address: SocketAddr,
    pub attempts: Vec<ConnectAttempt>,
}

/// Why a dial made no connection, by phase.
#[derive(Debug, Clone, Error)]
pub enum DialError {
    /// The name has no addresses (NXDOMAIN, no A or AAAA, no resolver answered); `why` says
    /// which, naming the host.
    #[error("{why}")]
    NoAddresses {
        host: String,
        why: String,
        lookup_ms: f64,
    },
    /// The lookup had not finished when the dial's time ran out.
    #[error("no DNS answer for {host} in time")]
    LookupTimedOut { host: String },
    /// The gate admitted none of the host's addresses.
    #[error(transparent)]
    Denied(Denial),
    /// No admitted address took the connection; each attempt says what happened.
    #[error("could not connect to {host}")]
    Unconnected {
        host: String,
        attempts: Vec<ConnectAttempt>,
    },
}

impl Dialer {
    /// A dialer for a run against `target_host`, whose lookup it makes once for everyone; every
    /// address admitted.
    pub fn new(resolver: Resolver, connect_timeout: Duration, target_host: &str) -> Dialer {
        Dialer {
            names: Arc::new(Names {
                resolver,
                target: target_host.to_owned(),
                target_lookup: OnceCell::new(),
            }),
            connect_timeout,
            gate: Arc::new(Open),
            max_addresses: crate::config::defaults::MAX_ADDRESSES,
        }
    }

    /// This dialer, trying at most `max` addresses of a host (at least one).
    pub fn with_budget(self, max: usize) -> Dialer {
        Dialer {
            max_addresses: max.max(1),
            ..self
        }
    }

    /// Vets the target's own addresses (its shared lookup, made now if nobody has yet) and
    /// its name through the gate, as a dial to it would: the runner asks this once before any
    /// check starts, and every check then uses that same lookup.
    pub async fn vet_target(&self, port: u16) -> Result<(), Denial> {
        self.gate.admit_name(&self.names.target)?;
        let lookup = self.target_lookup().await;
        self.gate
            .admit(&self.names.target, port, lookup.addresses.clone())
            .map(|_| ())
    }

    /// This dialer with `gate` added: an address is dialled only if this dialer's gate and
    /// `gate` both admit it. The target's lookup stays shared.
    pub fn gated(&self, gate: Arc<dyn Gate>) -> Dialer {
        Dialer {
            gate: Arc::new(gate::Both(self.gate.clone(), gate)),
            ..self.clone()
        }
    }

    /// The target's A and AAAA answers (or its IP literal). The first caller does the lookup;
    /// every other waits for that same answer instead of asking again.
    pub async fn target_lookup(&self) -> &AddressLookup {
        let names = &self.names;
        names
            .target_lookup
            .get_or_init(|| async {
                match names.target.parse::<IpAddr>() {
                    Ok(ip) => AddressLookup::literal(ip),
                    Err(_) => names.resolver.lookup_addresses(&names.target).await,
                }
            })
            .await
    }

    /// The addresses of `host`: an IP literal (brackets allowed) as it is, the target from
    /// its shared lookup, any other name looked up now. Each DNS query is bounded by the
    /// resolver; the lookup as a whole is not (see [`Dialer::connect`]).
    pub async fn resolve(&self, host: &str) -> Result<Resolved, DialError> {
        self.gate.admit_name(host).map_err(DialError::Denied)?;
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(Resolved {
                addresses: vec![ip],
                lookup_ms: None,
            });
        }
        let (addresses, failure, lookup_ms) = if host == self.names.target {
            let lookup = self.target_lookup().await;
            (lookup.addresses.clone(), lookup.failure(), lookup.time_ms)
        } else {
            let started = Instant::now();
            let lookup = self.names.resolver.lookup_addresses(host).await;
            let failure = lookup.failure();
            (lookup.addresses, failure, millis(started.elapsed()))
        };
        match failure {
            Some(why) => Err(DialError::NoAddresses {
                host: host.to_owned(),
                why,
                lookup_ms,
            }),
            None => Ok(Resolved {
                addresses,
                lookup_ms: Some(lookup_ms),
            }),
        }
    }

    /// Connects to one of `addresses` (those found for `host`) on `port`, of those the gate
    /// admits, racing them as Happy Eyeballs does; each attempt bounded by the connect timeout
    /// and all of them by `deadline`.
    pub async fn connect_to(
        &self,
        host: &str,
        addresses: &[IpAddr],
        port: u16,
        deadline: Instant,
    ) -> Result<Connection, DialError> {
        let admitted = self
            .gate
            .admit(host, port, addresses.to_vec())
            .map_err(DialError::Denied)?;
        let (admitted, _) = budget(&admitted, self.max_addresses);
        let (stream, attempts) =
            happy_eyeballs::connect(&admitted, port, self.connect_timeout, deadline).await;
        match stream {
            Some((stream, address)) => Ok(Connection {
                stream,
                address,
                attempts,
            }),
            None => Err(DialError::Unconnected {
                host: host.to_owned(),
                attempts,
            }),
        }
    }

    /// Looks `to` up and connects to it, the lookup too bounded by `deadline`: a silent DNS
    /// server cannot outlast the caller, which may have answers to keep.
    pub async fn connect(&self, to: &HostPort, deadline: Instant) -> Result<Connection, DialError> {
        let host = to.host.to_string();
        let resolved = tokio::time::timeout_at(deadline, self.resolve(&host))
            .await
            .map_err(|_| DialError::LookupTimedOut { host: host.clone() })??;
        self.connect_to(&host, &resolved.addresses, to.port, deadline)
            .await
    }

    /// Connects to one address already known (a host's, found by an earlier dial), through
    /// the gate like any other.
    pub async fn connect_address(
        &self,
        host: &str,
        address: SocketAddr,
        deadline: Instant,
    ) -> Result<Connection, DialError> {
        self.connect_to(host, &[address.ip()], address.port(), deadline)
            .await
    }
}

/// The addresses a budget of `max` keeps, and those it leaves out, each in the order given:
/// the kept ones are the first `max` of the list interleaved by family (IPv6 first, as Happy
/// Eyeballs tries them), so both families are probed when both are there.
pub fn budget(addresses: &[IpAddr], max: usize) -> (Vec<IpAddr>, Vec<IpAddr>) {
    if addresses.len() <= max {
        return (addresses.to_vec(), Vec::new());
    }
    let chosen: std::collections::HashSet<IpAddr> = happy_eyeballs::interleave(addresses)
        .into_iter()
        .take(max)
        .collect();
    addresses.iter().partition(|a| chosen.contains(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialer() -> Dialer {
        // No DNS server is asked: every host below is a literal.
        let resolver = Resolver::new(&["127.0.0.1:9".parse().unwrap()], Duration::from_secs(1));
        Dialer::new(resolver, Duration::from_secs(2), "example.test")
    }

    #[tokio::test]
    async fn a_literal_needs_no_lookup_and_connects_through_the_gate() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let deadline = Instant::now() + Duration::from_secs(5);
        let to = HostPort::parse(&format!("127.0.0.1:{port}"), 43).unwrap();
        let connection = dialer().connect(&to, deadline).await.unwrap();
        assert_eq!(connection.address.port(), port);
        assert_eq!(
            dialer().resolve("[::1]").await.unwrap(),
            Resolved {
                addresses: vec!["::1".parse().unwrap()],
                lookup_ms: None
            }
        );
    }

    #[test]
    fn a_budget_keeps_both_families_in_the_order_given() {
        let list: Vec<IpAddr> = (1..=6)
            .map(|i| format!("192.0.2.{i}").parse().unwrap())
            .chain([
                "2001:db8::1".parse().unwrap(),
                "2001:db8::2".parse().unwrap(),
            ])
            .collect();
        let (kept, left_out) = budget(&list, 3);
        assert_eq!(kept, vec![list[0], list[6], list[7]]);
        assert_eq!(left_out.len(), 5);
        assert_eq!(budget(&list, 8), (list.clone(), vec![]));
    }

    #[tokio::test]
    async fn a_budget_bounds_the_connection_attempts() {
        // Eleven loopback addresses, none listening: each attempt is refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let addresses: Vec<IpAddr> = (1..=11)
            .map(|i| format!("127.0.0.{i}").parse().unwrap())
            .collect();
        let deadline = Instant::now() + Duration::from_secs(5);
        let dialer = dialer().with_budget(4);
        match dialer
            .connect_to("many.test", &addresses, port, deadline)
            .await
        {
            Err(DialError::Unconnected { attempts, .. }) => assert_eq!(attempts.len(), 4),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_denial_is_an_error_before_any_socket_is_opened() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let deadline = Instant::now() + Duration::from_secs(5);
        let to = HostPort::parse(&format!("127.0.0.1:{port}"), 43).unwrap();
        let gated = dialer().gated(Arc::new(InternetOnly));
        match gated.connect(&to, deadline).await {
            Err(DialError::Denied(Denial::OnlyReserved { host, .. })) => {
                assert_eq!(host, "127.0.0.1")
            }
            other => panic!("not denied: {other:?}"),
        }
        // Nothing reached the listener.
        let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
        assert!(accepted.is_err());
    }
}
