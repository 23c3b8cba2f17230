//! What a run is given, in two parts that come from different places.
//!
//! - The *run request* ([`RunRequest`]: the target and [`RunOptions`]) is what a caller may
//!   choose: which checks, their time bounds, counts and limits. It is plain data that
//!   serialises, so it can travel: from the CLI's flags, from an API request, and later from a
//!   hub to an agent in another region.
//! - The *local settings* ([`Settings`]) belong to the machine that runs the checks: its
//!   resolvers, its trust anchors, its data files, where its WHOIS and RDAP lookups start (and
//!   its policy on targets). They never travel: an agent runs a request with its own.
//!
//! The model is ripgrep's low-level arguments turned into high-level ones, and crates.io's job
//! payload kept apart from the context it runs in. Every default is a constant in [`defaults`],
//! which the CLI's flags and the `Default` impls both read.

mod request;
mod settings;

pub use request::{RunOptions, RunRequest};
pub use settings::{Settings, read_pem_certificates};

/// Every default, once: `RunOptions::default()`, `Settings::default()` and the CLI's flags
/// (their `--help` shows them) read these.
pub mod defaults {
    use std::time::Duration;

    use netcheck_probe::trace::TraceMode;

    /// One DNS query's bound, per server tried.
    pub const DNS_QUERY_TIMEOUT: Duration = Duration::from_secs(2);
    /// One TCP connect attempt's bound.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Redirects followed before the chain is cut.
    pub const MAX_REDIRECTS: usize = 10;
    /// Bytes of a body read at most.
    pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
    /// Echo requests per address.
    pub const PING_COUNT: u16 = 5;
    pub const PING_INTERVAL: Duration = Duration::from_millis(200);
    pub const TRACE_MODE: TraceMode = TraceMode::Udp;
    /// Highest TTL a trace probes.
    pub const MAX_HOPS: u8 = 30;
    /// Connections the TLS scan keeps open at once at most: polite to the server.
    pub const TLS_SCAN_CONNECTIONS: usize = 8;
    /// Where WHOIS lookups start: IANA.
    pub const WHOIS_SERVER: &str = crate::whois::IANA;
    /// The RDAP bootstrap for names (RFC 9224): IANA's.
    pub const RDAP_BOOTSTRAP: &str = crate::rdap::IANA_DNS_BOOTSTRAP;
    /// The RDAP bootstraps for address blocks: IANA's IPv4 and IPv6 files.
    pub const RDAP_IP_BOOTSTRAPS: [&str; 2] = crate::rdap::IANA_IP_BOOTSTRAPS;
    /// Addresses of one host a run probes at most (ping, trace, connection attempts): a name
    /// with 2000 A records does not open 4000 sockets.
    pub const MAX_ADDRESSES: usize = 8;
    /// What netcheck calls itself in HTTP requests.
    pub const USER_AGENT: &str = concat!("netcheck/", env!("CARGO_PKG_VERSION"));
}
