//! A TLS handshake codec for looking at servers rustls will not talk to: build a ClientHello
//! offering whatever versions and suites a check wants, send it, and read the server's first
//! flight up to ServerHelloDone, without ever completing the handshake. With TLS 1.2 and below
//! the Certificate message travels in the clear, so netcheck can show the chain of a server
//! whose only suites rustls lacks, or whose 512-bit key or MD5 signature rustls refuses, as
//! `openssl s_client` and sslscan do; a TLS scanner can vary one hello at a time and read which
//! version and suite the server picks.
//!
//! tls-parser (rusticata) reads records and handshake messages and writes the ClientHello;
//! what it cannot write is built by hand in `client_hello.rs`, each piece with its RFC. Pure
//! functions over bytes (`ClientHello::encode`, `FlightDecoder`, `decode_server_flight`) are
//! apart from the one async function that uses a socket (`exchange`). Verifying the chain, and
//! deciding what a weak choice means, are the checks' jobs in netcheck-core.

mod alert;
mod client_hello;
mod decoder;
mod error;
mod exchange;
mod flight;
mod group;
mod suite;
mod version;

pub use alert::Alert;
pub use client_hello::{ClientHello, SIGNATURE_ALGORITHMS};
pub use decoder::{FlightDecoder, MAX_FLIGHT_BYTES, decode_server_flight};
pub use error::HelloError;
pub use exchange::exchange;
pub use flight::{
    FlightEnd, KeyExchange, ServerExtensions, ServerFlight, Until, signature_scheme_name,
};
pub use group::{OFFERED_GROUPS, group_name};
pub use suite::{
    Cipher, CipherSuite, EMPTY_RENEGOTIATION_INFO_SCSV, FALLBACK_SCSV, LEGACY_SUITES, SuiteTraits,
    TLS13_SUITES, suite_name,
};
pub use version::ProtocolVersion;
