//! netcheck's probe engine: sockets and probe back-ends for ping and traceroute, and the TLS
//! hello codec (`tls`) that reads what a server sends before any encryption, async on tokio.
//! It knows nothing of reports; the checks in netcheck-core turn its results into sections.
//!
//! Back-ends are chosen at run time, best first, and a result always says which one ran and why
//! better ones did not (see `ping` and `trace`).

pub mod errqueue;
pub mod icmp;
pub mod ping;
pub mod tcp;
pub mod tls;
pub mod trace;

/// Milliseconds with microsecond precision.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}
