//! The built-in checks, in report order. Adding a check is adding its file here and one line to
//! [`registry`]; the CLI's help, the API's list of checks and docs/checks.md are generated from
//! the metadata each check carries.

pub mod dns;
pub mod location;
pub mod ping;
pub mod registration;
pub mod site;
pub mod tls;
pub mod tls_scan;
pub mod traceroute;

use crate::registry::Registry;

/// All built-in checks, in the order their sections appear in a report.
pub fn registry() -> Registry {
    Registry::empty()
        .with(dns::DnsCheck)
        .with(site::SiteCheck)
        .with(tls::TlsCheck)
        .with(tls_scan::TlsScanCheck)
        .with(ping::PingCheck)
        .with(traceroute::TracerouteCheck)
        .with(registration::RegistrationCheck)
        .with(location::LocationCheck)
}
