//! RDAP (RFC 9082 queries, RFC 9083 JSON): the registration data WHOIS gives, as JSON, from the
//! server IANA's bootstrap file (RFC 9224) names for the TLD. The bootstrap is read from a file
//! or URL (`--rdap-bootstrap`), by default IANA's, kept in a cache file for a day.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use tokio::time::Instant;
use url::Url;

use crate::registration::Registration;
use crate::registration::dates::normalise_date;
use crate::report::millis;
use crate::web::{HttpClient, get_following};

/// IANA's bootstrap for domain names (RFC 9224 §4).
pub const IANA_DNS_BOOTSTRAP: &str = "https://data.iana.org/rdap/dns.json";
/// IANA's bootstraps for address blocks (RFC 9224 §5).
pub const IANA_IP_BOOTSTRAPS: [&str; 2] = [
    "https://data.iana.org/rdap/ipv4.json",
    "https://data.iana.org/rdap/ipv6.json",
];
/// How long a cached bootstrap is used before it is fetched again.
const CACHE_FRESH: Duration = Duration::from_secs(24 * 3600);
const ACCEPT_RDAP: &str = "application/rdap+json, application/json;q=0.9";
/// Bytes an RDAP answer may have; registries' answers are a few kilobytes.
const MAX_ANSWER: usize = 1024 * 1024;

/// Why there is no bootstrap to read.
#[derive(Debug, Clone, Error)]
pub enum BootstrapError {
    #[error("the RDAP bootstrap is not JSON: {0}")]
    NotJson(String),
    #[error("the RDAP bootstrap has no \"services\" list")]
    NoServices,
    /// `bootstrap` is the file or URL given.
    #[error("cannot read the RDAP bootstrap {bootstrap}: {why}")]
    Unreadable { bootstrap: String, why: String },
    #[error("bad RDAP bootstrap URL {bootstrap}: {why}")]
    BadUrl {
        bootstrap: String,
        why: url::ParseError,
    },
    /// The bootstrap's server did not answer 200, or not at all.
    #[error("cannot fetch the RDAP bootstrap {bootstrap}: {why}")]
    Unfetchable { bootstrap: String, why: String },
}

/// RFC 9224 §3: `services` is a list of [labels, base URLs].
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    services: Vec<(Vec<String>, Vec<String>)>,
}

impl Bootstrap {
    pub fn parse(json: &[u8]) -> Result<Bootstrap, BootstrapError> {
        let value: Value =
            serde_json::from_slice(json).map_err(|e| BootstrapError::NotJson(e.to_string()))?;
        let services = value["services"]
            .as_array()
            .ok_or(BootstrapError::NoServices)?;
        // Labels compare case-insensitively; URLs' paths are case-sensitive (RFC 3986 §6.2.2.1).
        let strings = |v: &Value, lower: bool| -> Vec<String> {
            let text = |s: &str| {
                if lower {
                    s.to_ascii_lowercase()
                } else {
                    s.to_owned()
                }
            };
            v.as_array()
                .map(|a| a.iter().filter_map(|s| s.as_str().map(text)).collect())
                .unwrap_or_default()
        };
        Ok(Bootstrap {
            services: services
                .iter()
                .map(|s| (strings(&s[0], true), strings(&s[1], false)))
                .collect(),
        })
    }

    /// Adds the services of another bootstrap file (IPv4 and IPv6 come in two).
    pub fn extend(&mut self, other: Bootstrap) {
        self.services.extend(other.services);
    }

    /// The base URL for an address: the longest matching prefix (RFC 9224 §5), https preferred.
    pub fn base_for_ip(&self, ip: std::net::IpAddr) -> Option<String> {
        let mut best: Option<(u8, &Vec<String>)> = None;
        for (entries, urls) in &self.services {
            for entry in entries {
                if let Some(len) = prefix_contains(entry, ip)
                    && best.is_none_or(|(b, _)| len > b)
                {
                    best = Some((len, urls));
                }
            }
        }
        best.and_then(|(_, urls)| prefer_https(urls))
    }

    /// The base URL for `domain`: the longest matching label suffix, https preferred.
    pub fn base_for(&self, domain: &str) -> Option<String> {
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        (0..labels.len()).find_map(|i| {
            let suffix = labels[i..].join(".");
            self.services
                .iter()
                .find(|(entries, _)| entries.contains(&suffix))
                .and_then(|(_, urls)| prefer_https(urls))
        })
    }
}

fn prefer_https(urls: &[String]) -> Option<String> {
    urls.iter()
        .find(|u| u.starts_with("https://"))
        .or_else(|| urls.first())
        .cloned()
}

/// The prefix length of `cidr` when it contains `ip`.
fn prefix_contains(cidr: &str, ip: std::net::IpAddr) -> Option<u8> {
    use std::net::IpAddr;
    let (net, len) = cidr.split_once('/')?;
    let len: u8 = len.parse().ok()?;
    match (net.parse::<IpAddr>().ok()?, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) if len <= 32 => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            (u32::from(n) & mask == u32::from(a) & mask).then_some(len)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if len <= 128 => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            (u128::from(n) & mask == u128::from(a) & mask).then_some(len)
        }
        _ => None,
    }
}

fn cache_path_for(source: &str) -> Option<PathBuf> {
    let name = source.rsplit('/').next().filter(|n| n.ends_with(".json"))?;
    Some(cache_path()?.with_file_name(format!("rdap-{name}")))
}

fn cache_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("netcheck").join("rdap-dns.json"))
}

/// Reads the bootstrap from a file or URL; the default URL is cached for a day.
pub async fn load_bootstrap(
    client: &HttpClient<'_>,
    source: &str,
    deadline: Instant,
) -> Result<Bootstrap, BootstrapError> {
    if !source.starts_with("https://") && !source.starts_with("http://") {
        let bytes = std::fs::read(source).map_err(|e| BootstrapError::Unreadable {
            bootstrap: source.to_owned(),
            why: e.to_string(),
        })?;
        return Bootstrap::parse(&bytes);
    }
    let is_iana = source == IANA_DNS_BOOTSTRAP || IANA_IP_BOOTSTRAPS.contains(&source);
    let cache = if is_iana {
        cache_path_for(source)
    } else {
        None
    };
    if let Some(path) = &cache
        && let Ok(meta) = std::fs::metadata(path)
        && meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age < CACHE_FRESH)
        && let Ok(bytes) = std::fs::read(path)
        && let Ok(b) = Bootstrap::parse(&bytes)
    {
        return Ok(b);
    }
    let url = Url::parse(source).map_err(|why| BootstrapError::BadUrl {
        bootstrap: source.to_owned(),
        why,
    })?;
    let (exchanges, response) = get_following(client, &url, deadline, "application/json", 3).await;
    let status = exchanges.last().and_then(|e| e.status);
    let body = match (status, response) {
        (Some(200), Some(r)) => r.body,
        _ => {
            let why = exchanges
                .last()
                .and_then(|e| e.error.as_ref().map(|e| e.message().to_owned()));
            return Err(BootstrapError::Unfetchable {
                bootstrap: source.to_owned(),
                why: why.unwrap_or_else(|| format!("status {status:?}")),
            });
        }
    };
    let bootstrap = Bootstrap::parse(&body)?;
    if let Some(path) = cache {
        // A cache that cannot be written only costs a fetch next time.
        let _ = path.parent().map(std::fs::create_dir_all);
        let _ = std::fs::write(&path, &body);
    }
    Ok(bootstrap)
}

/// One RDAP query and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RdapAnswer {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub time_ms: f64,
    /// Bytes of the answer's body.
    #[serde(default)]
    pub bytes: usize,
    /// The JSON as the server sent it, when it is at most 64 KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
    /// Set when the JSON was longer than 64 KiB: `raw` is absent and `raw_text` holds the first
    /// 64 KiB of it (the fields were read from all of it).
    #[serde(default)]
    pub raw_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RdapAnswer {
    /// The server answered with JSON (kept whole or in part).
    pub fn answered(&self) -> bool {
        self.raw.is_some() || self.raw_truncated
    }

    /// Keeps the JSON whole when its text is at most 64 KiB, else the first 64 KiB of its text,
    /// once its fields have been read.
    pub fn keep_bounded(&mut self) {
        let Some(raw) = &self.raw else { return };
        let Ok(mut text) = serde_json::to_string(raw) else {
            return;
        };
        if crate::registration::kept::cut(&mut text) {
            self.raw = None;
            self.raw_text = Some(text);
            self.raw_truncated = true;
        }
    }
}

/// RFC 9082 §3.1.3 and §3.1.1: `{base}domain/{name}` or `{base}ip/{address}`.
pub async fn lookup(
    client: &HttpClient<'_>,
    base: &str,
    domain: &str,
    deadline: Instant,
) -> RdapAnswer {
    let started = Instant::now();
    let base = if base.ends_with('/') {
        base.to_owned()
    } else {
        format!("{base}/")
    };
    let kind = if domain.parse::<std::net::IpAddr>().is_ok() {
        "ip"
    } else {
        "domain"
    };
    let url = format!("{base}{kind}/{domain}");
    let mut answer = RdapAnswer {
        url: url.clone(),
        status: None,
        time_ms: 0.0,
        bytes: 0,
        raw: None,
        raw_truncated: false,
        raw_text: None,
        error: None,
    };
    let parsed = match Url::parse(&url) {
        Ok(u) => u,
        Err(e) => {
            answer.error = Some(format!("bad RDAP URL {url}: {e}"));
            return answer;
        }
    };
    let (exchanges, response) = get_following(client, &parsed, deadline, ACCEPT_RDAP, 3).await;
    answer.time_ms = millis(started.elapsed());
    answer.status = exchanges.last().and_then(|e| e.status);
    answer.bytes = response.as_ref().map_or(0, |r| r.body.len());
    match (answer.status, response) {
        (Some(200), Some(r)) if r.body.len() > MAX_ANSWER || r.truncated => {
            answer.error = Some(format!(
                "the RDAP answer is longer than {} KiB: not read",
                MAX_ANSWER.min(client.max_body_bytes) / 1024
            ))
        }
        (Some(200), Some(r)) => match serde_json::from_slice::<Value>(&r.body) {
            Ok(v) => answer.raw = Some(v),
            Err(e) => answer.error = Some(format!("the RDAP answer is not JSON: {e}")),
        },
        (Some(404), _) => {
            answer.error = Some(format!("the RDAP server does not know {domain} (404)"))
        }
        (Some(s), _) => answer.error = Some(format!("the RDAP server answered {s}")),
        (None, _) => {
            answer.error = Some(
                exchanges
                    .last()
                    .and_then(|e| e.error.as_ref())
                    .map(|e| e.message().to_owned())
                    .unwrap_or_else(|| "no answer".into()),
            )
        }
    }
    answer
}

/// The registration fields of an RDAP domain object (RFC 9083 §5.3).
pub fn fields(v: &Value) -> Registration {
    let mut r = Registration::default();
    for event in v["events"].as_array().into_iter().flatten() {
        let date = event["eventDate"].as_str().and_then(normalise_date);
        match event["eventAction"].as_str() {
            Some("registration") => r.created = r.created.take().or(date),
            Some("expiration") => r.expires = r.expires.take().or(date),
            Some("last changed") => r.updated = r.updated.take().or(date),
            _ => {}
        }
    }
    r.name_servers = v["nameservers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ns| ns["ldhName"].as_str())
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    r.status = v["status"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    // An IP network object (RFC 9083 §5.4) names its country directly.
    r.registrant_country = v["country"].as_str().map(str::to_owned);
    r.dnssec = v["secureDNS"]["delegationSigned"]
        .as_bool()
        .map(|s| if s { "signedDelegation" } else { "unsigned" }.to_owned());
    visit_entities(v, &mut r);
    r
}

/// Entities may nest (a registrar inside a reseller); roles say who is who.
fn visit_entities(v: &Value, r: &mut Registration) {
    for entity in v["entities"].as_array().into_iter().flatten() {
        let roles: Vec<&str> = entity["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let card = vcard(entity);
        if roles.contains(&"registrar") && r.registrar.is_none() {
            r.registrar = card.get("fn").cloned();
        }
        if roles.contains(&"registrant") {
            if r.registrant_organization.is_none() {
                r.registrant_organization = card
                    .get("org")
                    .or_else(|| card.get("fn"))
                    .filter(|s| !s.to_ascii_lowercase().contains("redacted"))
                    .cloned();
            }
            if r.registrant_country.is_none() {
                r.registrant_country = card.get("country").cloned();
            }
        }
        visit_entities(entity, r);
    }
}

/// jCard (RFC 7095): `["vcard", [[name, params, type, value], ...]]`; fn, org and the
/// country of adr (its `cc` parameter, RFC 8605, or the last address component).
fn vcard(entity: &Value) -> std::collections::HashMap<&'static str, String> {
    let mut out = std::collections::HashMap::new();
    for prop in entity["vcardArray"][1].as_array().into_iter().flatten() {
        let text = |v: &Value| {
            v.as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        match prop[0].as_str() {
            Some("fn") => {
                if let Some(t) = text(&prop[3]) {
                    out.insert("fn", t);
                }
            }
            Some("org") => {
                if let Some(t) = text(&prop[3]).or_else(|| prop[3][0].as_str().map(str::to_owned)) {
                    out.insert("org", t);
                }
            }
            Some("adr") => {
                let cc = prop[1]["cc"].as_str().map(str::to_owned);
                let last = prop[3].as_array().and_then(|a| a.last()).and_then(text);
                if let Some(c) = cc.or(last) {
                    out.insert("country", c);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_matching_suffix_names_the_server() {
        let b = Bootstrap::parse(br#"{"version":"1.0","services":[[["COM","net"],["http://rdap.example/com/","https://rdap.example/com/"]],[["uk"],["https://rdap.nominet.example/uk/"]],[["co.uk"],["https://rdap.couk.example/"]]]}"#).unwrap();
        assert_eq!(
            b.base_for("example.com").as_deref(),
            Some("https://rdap.example/com/"),
            "https preferred"
        );
        assert_eq!(
            b.base_for("bbc.co.uk").as_deref(),
            Some("https://rdap.couk.example/")
        );
        assert_eq!(b.base_for("example.de"), None);
        assert!(Bootstrap::parse(b"[]").is_err());
        assert!(Bootstrap::parse(b"not json").is_err());
    }

    #[test]
    fn the_longest_prefix_names_the_registry_of_an_address() {
        let mut b = Bootstrap::parse(br#"{"services":[[["1.0.0.0/8"],["https://rdap.apnic.example/"]],[["1.1.0.0/16"],["https://rdap.more-specific.example/"]]]}"#).unwrap();
        b.extend(
            Bootstrap::parse(
                br#"{"services":[[["2001:200::/23"],["https://rdap.apnic.example/"]]]}"#,
            )
            .unwrap(),
        );
        assert_eq!(
            b.base_for_ip("1.1.1.1".parse().unwrap()).as_deref(),
            Some("https://rdap.more-specific.example/")
        );
        assert_eq!(
            b.base_for_ip("1.2.3.4".parse().unwrap()).as_deref(),
            Some("https://rdap.apnic.example/")
        );
        assert_eq!(
            b.base_for_ip("2001:200::1".parse().unwrap()).as_deref(),
            Some("https://rdap.apnic.example/")
        );
        assert_eq!(b.base_for_ip("8.8.8.8".parse().unwrap()), None);
        assert_eq!(
            prefix_contains("nonsense", "1.1.1.1".parse().unwrap()),
            None
        );
        assert_eq!(
            prefix_contains("0.0.0.0/0", "1.1.1.1".parse().unwrap()),
            Some(0)
        );
    }

    #[test]
    fn a_domain_object_gives_the_registration_fields() {
        // Shaped after RFC 9083's domain examples, with example names.
        let v: Value = serde_json::from_str(r#"{
          "objectClassName": "domain", "ldhName": "EXAMPLE.COM",
          "events": [
            {"eventAction": "registration", "eventDate": "1995-08-14T04:00:00Z"},
            {"eventAction": "expiration", "eventDate": "2026-08-13T04:00:00Z"},
            {"eventAction": "last changed", "eventDate": "2024-08-14T07:01:38Z"}],
          "status": ["client delete prohibited", "client transfer prohibited"],
          "nameservers": [{"objectClassName": "nameserver", "ldhName": "A.IANA-SERVERS.NET."}],
          "secureDNS": {"delegationSigned": true},
          "entities": [
            {"objectClassName": "entity", "roles": ["registrar"],
             "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Example Registrar, Inc."]]],
             "entities": [{"roles": ["abuse"], "vcardArray": ["vcard", [["fn", {}, "text", "Abuse desk"]]]}]},
            {"objectClassName": "entity", "roles": ["registrant"],
             "vcardArray": ["vcard", [["fn", {}, "text", ""], ["org", {}, "text", "Example Org"],
               ["adr", {"cc": "NL"}, "text", ["", "", "", "", "", "", ""]]]]}]
        }"#).unwrap();
        let r = fields(&v);
        assert_eq!(r.created.as_deref(), Some("1995-08-14T04:00:00Z"));
        assert_eq!(r.expires.as_deref(), Some("2026-08-13T04:00:00Z"));
        assert_eq!(r.updated.as_deref(), Some("2024-08-14T07:01:38Z"));
        assert_eq!(r.name_servers, ["a.iana-servers.net"]);
        assert_eq!(
            r.status,
            ["client delete prohibited", "client transfer prohibited"]
        );
        assert_eq!(r.dnssec.as_deref(), Some("signedDelegation"));
        assert_eq!(r.registrar.as_deref(), Some("Example Registrar, Inc."));
        assert_eq!(
            (
                r.registrant_organization.as_deref(),
                r.registrant_country.as_deref()
            ),
            (Some("Example Org"), Some("NL"))
        );
        assert_eq!(fields(&Value::Null), Registration::default());
    }
}
