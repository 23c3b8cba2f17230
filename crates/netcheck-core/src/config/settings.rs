//! The local settings: what the machine that runs the checks brings to every run, whoever asked
//! for it. A caller never chooses these (the server takes them from its own flags), so a
//! request cannot point this machine's DNS, WHOIS or RDAP traffic elsewhere.

use std::net::SocketAddr;
use std::path::PathBuf;

use rustls_pki_types::CertificateDer;

use super::defaults;
use crate::policy::TargetPolicy;

#[derive(Debug, Clone)]
pub struct Settings {
    /// DNS servers to ask, in order; empty means the system's configuration (/etc/resolv.conf).
    pub resolvers: Vec<SocketAddr>,
    /// Trust anchors added to the built-in (Mozilla) roots, e.g. from `--ca-file`.
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub user_agent: String,
    /// Where WHOIS lookups start (`host` or `host:port`): IANA by default.
    pub whois_server: String,
    /// RDAP bootstrap (RFC 9224), a file or a URL: IANA's by default.
    pub rdap_bootstrap: String,
    /// RDAP bootstraps for address blocks (IPv4 and IPv6), files or URLs: IANA's by default.
    pub rdap_ip_bootstraps: Vec<String>,
    /// City databases (.mmdb); empty means those scripts/geodata installed, if any.
    pub geoip_city: Vec<PathBuf>,
    /// ASN tables (.csv ranges or a GeoLite2-ASN .mmdb); empty means the installed ones.
    pub geoip_asn: Vec<PathBuf>,
    /// Which addresses a run may touch: all by default, public unicast only on a public
    /// service (the server, an agent, the CLI with `--public-only`).
    pub policy: TargetPolicy,
    /// Addresses of one host a run probes at most; the report names those left out.
    pub max_addresses: usize,
    /// The operator's own places for address blocks (`--locations`), over the databases.
    pub locations: std::sync::Arc<crate::geo::overlay::Overlay>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            resolvers: Vec::new(),
            extra_roots: Vec::new(),
            user_agent: defaults::USER_AGENT.to_owned(),
            whois_server: defaults::WHOIS_SERVER.to_owned(),
            rdap_bootstrap: defaults::RDAP_BOOTSTRAP.to_owned(),
            rdap_ip_bootstraps: defaults::RDAP_IP_BOOTSTRAPS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            geoip_city: Vec::new(),
            geoip_asn: Vec::new(),
            policy: TargetPolicy::open(),
            max_addresses: defaults::MAX_ADDRESSES,
            locations: Default::default(),
        }
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
