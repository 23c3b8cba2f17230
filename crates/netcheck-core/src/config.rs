//! Settings for one run, filled by the faces (CLI flags, API parameters); defaults here.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use rustls_pki_types::CertificateDer;

#[derive(Debug, Clone)]
pub struct Config {
    /// DNS servers to ask, in order; empty means the system's configuration (/etc/resolv.conf).
    pub resolvers: Vec<SocketAddr>,
    /// One DNS query's bound, per server tried.
    pub dns_query_timeout: Duration,
    /// Per-check bounds that replace the check's default.
    pub check_timeouts: BTreeMap<String, Duration>,
    /// One TCP connect attempt's bound.
    pub connect_timeout: Duration,
    /// Redirects followed before the chain is cut.
    pub max_redirects: usize,
    /// Bytes of a body read at most; the rest is not downloaded.
    pub max_body_bytes: usize,
    /// Trust anchors added to the built-in (Mozilla) roots, e.g. from `--ca-file`.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Checks to run; empty means all.
    pub only: Vec<String>,
    pub user_agent: String,
    /// Echo requests per address.
    pub ping_count: u16,
    pub ping_interval: Duration,
    pub trace_mode: netcheck_probe::trace::TraceMode,
    pub max_hops: u8,
    /// Where WHOIS lookups start (`host` or `host:port`): IANA by default.
    pub whois_server: String,
    /// RDAP bootstrap (RFC 9224), a file or a URL: IANA's by default.
    pub rdap_bootstrap: String,
    /// RDAP bootstraps for address blocks (IPv4 and IPv6), files or URLs: IANA's by default.
    pub rdap_ip_bootstraps: Vec<String>,
    /// City databases (.mmdb); empty means those scripts/geodata installed, if any.
    pub geoip_city: Vec<std::path::PathBuf>,
    /// ASN tables (.csv ranges or a GeoLite2-ASN .mmdb); empty means the installed ones.
    pub geoip_asn: Vec<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            resolvers: Vec::new(),
            dns_query_timeout: Duration::from_secs(2),
            check_timeouts: BTreeMap::new(),
            connect_timeout: Duration::from_secs(5),
            max_redirects: 10,
            max_body_bytes: 2 * 1024 * 1024,
            extra_roots: Vec::new(),
            only: Vec::new(),
            user_agent: format!("netcheck/{}", env!("CARGO_PKG_VERSION")),
            ping_count: 5,
            ping_interval: Duration::from_millis(200),
            trace_mode: netcheck_probe::trace::TraceMode::Udp,
            max_hops: 30,
            whois_server: crate::whois::IANA.to_owned(),
            rdap_bootstrap: crate::rdap::IANA_DNS_BOOTSTRAP.to_owned(),
            rdap_ip_bootstraps: crate::rdap::IANA_IP_BOOTSTRAPS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            geoip_city: Vec::new(),
            geoip_asn: Vec::new(),
        }
    }
}

impl Config {
    pub fn timeout_for(&self, id: &str, default: Duration) -> Duration {
        self.check_timeouts.get(id).copied().unwrap_or(default)
    }
}

/// Reads every certificate in a PEM file.
pub fn read_pem_certificates(
    path: &std::path::Path,
) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls_pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(certs)
}
