//! The first phases of an exchange: the host's addresses and a TCP connection to one of them,
//! both through the run's [`Dialer`], timed into [`Timings`] and said as a [`FetchError`] when
//! they fail. The racing of addresses is the dialer's (Happy Eyeballs); this file names the
//! outcome per phase.

use std::net::SocketAddr;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::{FetchError, Timings};
use crate::dial::{ConnectAttempt, ConnectOutcome, DialError, Dialer};
use crate::report::millis;

/// Finds the addresses of `host` and connects to one; the first step of every exchange.
pub async fn resolve_and_connect(
    dialer: &Dialer,
    host: &str,
    port: u16,
    deadline: Instant,
    timings: &mut Timings,
) -> Result<(TcpStream, SocketAddr, Vec<ConnectAttempt>), (FetchError, Vec<ConnectAttempt>)> {
    let addresses = match dialer.resolve(host).await {
        Ok(resolved) => {
            // The shared lookup may have been made by another check: its own time is the phase.
            timings.dns_ms = resolved.lookup_ms;
            resolved.addresses
        }
        Err(e) => {
            if let DialError::NoAddresses { lookup_ms, .. } = &e {
                timings.dns_ms = Some(*lookup_ms);
            }
            return Err((dial_failure(e, false, 0.0), Vec::new()));
        }
    };
    let connect_started = Instant::now();
    match dialer.connect_to(host, &addresses, port, deadline).await {
        Ok(c) => {
            timings.connect_ms = c
                .attempts
                .iter()
                .find(|a| a.outcome == ConnectOutcome::Connected)
                .map(|a| a.time_ms);
            Ok((c.stream, c.address, c.attempts))
        }
        Err(e) => {
            let attempts = match &e {
                DialError::Unconnected { attempts, .. } => attempts.clone(),
                _ => Vec::new(),
            };
            let error = dial_failure(
                e,
                Instant::now() >= deadline,
                millis(connect_started.elapsed()),
            );
            Err((error, attempts))
        }
    }
}

/// A failed dial as the phase that failed.
fn dial_failure(e: DialError, out_of_time: bool, waited_ms: f64) -> FetchError {
    match e {
        DialError::NoAddresses { why, .. } => FetchError::Dns { message: why },
        DialError::LookupTimedOut { .. } => FetchError::Dns {
            message: e.to_string(),
        },
        DialError::Denied(denial) => FetchError::Forbidden {
            message: denial.to_string(),
        },
        DialError::Unconnected { attempts, .. } => {
            connect_failure(&attempts, out_of_time, waited_ms)
        }
    }
}

fn connect_failure(attempts: &[ConnectAttempt], out_of_time: bool, waited_ms: f64) -> FetchError {
    let list = attempts
        .iter()
        .map(|a| format!("{} {}", a.address, outcome_words(a.outcome)))
        .collect::<Vec<_>>()
        .join(", ");
    if out_of_time {
        return FetchError::Timeout {
            phase: "connect".into(),
            message: format!("connecting took too long: {list}"),
        };
    }
    let all = |o: ConnectOutcome| !attempts.is_empty() && attempts.iter().all(|a| a.outcome == o);
    if all(ConnectOutcome::Refused) {
        FetchError::Refused {
            message: format!("connection refused: {list}"),
        }
    } else if all(ConnectOutcome::TimedOut) {
        FetchError::ConnectTimeout {
            message: format!(
                "no answer to the connection attempt after {} ms: {list}",
                waited_ms.round()
            ),
        }
    } else if attempts
        .iter()
        .any(|a| a.outcome == ConnectOutcome::Unreachable)
    {
        FetchError::Unreachable {
            message: format!("no route to the server: {list}"),
        }
    } else if attempts
        .iter()
        .any(|a| a.outcome == ConnectOutcome::Refused)
    {
        FetchError::Refused {
            message: format!("could not connect: {list}"),
        }
    } else {
        FetchError::ConnectTimeout {
            message: format!("could not connect: {list}"),
        }
    }
}

fn outcome_words(o: ConnectOutcome) -> &'static str {
    match o {
        ConnectOutcome::Connected => "connected",
        ConnectOutcome::Refused => "refused",
        ConnectOutcome::TimedOut => "timed out",
        ConnectOutcome::Unreachable => "unreachable",
        ConnectOutcome::Abandoned => "not tried",
        ConnectOutcome::Error => "failed",
    }
}
