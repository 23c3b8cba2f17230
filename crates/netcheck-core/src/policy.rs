//! The target policy: which addresses a run may touch. A public netcheck (the server, an agent,
//! the CLI with `--public-only`) reaches public unicast addresses only, so that whoever types a
//! URL into it cannot make it read, scan or poke the network it runs in.
//!
//! - **Every special-purpose range is refused**: the IANA IPv4 and IPv6 Special-Purpose Address
//!   Registries (RFC 6890 and its updates) in full, whether or not a range is marked globally
//!   reachable, and every IPv6 address outside global unicast (2000::/3), which IANA has not
//!   allocated.
//! - **Embedded IPv4 is judged as IPv4**: an IPv4-mapped address (::ffff:0:0/96), a NAT64
//!   address of the well-known prefix (64:ff9b::/96, RFC 6052) and a 6to4 address (2002::/16,
//!   RFC 3056) are judged by the IPv4 address they carry, so `::ffff:127.0.0.1` is loopback.
//! - **Spelling does not matter**: what is judged is an [`IpAddr`], after the `url` crate's
//!   WHATWG host parsing has turned `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` into
//!   127.0.0.1 (see [`crate::target`]), and a name is judged by every address it resolves to:
//!   one private address among public ones refuses the name.
//! - **Names of this machine** (`localhost` and names under it, RFC 6761 §6.3) are refused
//!   by name, before any lookup: a system resolver answers them without asking DNS.
//! - **Allow entries override** (hickory's `AccessControlSet` is the model): `--allow CIDR`
//!   for an intranet deployment or the testbed, `--allow-private` for the private-use ranges
//!   (RFC 1918, RFC 6598 shared space, RFC 4193 unique local) and nothing more: loopback,
//!   link-local and cloud-metadata addresses stay refused unless named.
//!
//! The policy is a [`Gate`] on the run's [`Dialer`](crate::dial::Dialer), so it holds for every
//! connection a run makes (redirects, AIA, RDAP and WHOIS referrals), and the runner vets the
//! target's own addresses before any check starts ([`crate::runner::vet`]), once: the checks
//! then use those same addresses (pinned), so a rebinding DNS server cannot change them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dial::{Denial, Gate};

/// The IANA IPv4 Special-Purpose Address Registry (as of 2025), most specific entries first
/// where they nest, with the names the location check shows for them.
const IPV4_SPECIAL: &[(&str, &str)] = &[
    ("0.0.0.0/8", "this network (RFC 1122)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared address space (RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation (RFC 5737)"),
    ("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
    ("192.52.193.0/24", "AMT (RFC 7450)"),
    ("192.88.99.0/24", "6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("192.175.48.0/24", "AS112 direct delegation (RFC 7534)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation (RFC 5737)"),
    ("203.0.113.0/24", "documentation (RFC 5737)"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
];

/// The IANA IPv6 Special-Purpose Address Registry's entries inside 2000::/3 (everything
/// outside it is refused as unallocated), and the well-known ones outside it, named.
const IPV6_SPECIAL: &[(&str, &str)] = &[
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible (deprecated, RFC 4291)"),
    ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("100:0:0:1::/64", "dummy prefix (RFC 9780)"),
    ("2001:2::/48", "benchmarking (RFC 5180)"),
    ("2001::/32", "Teredo (RFC 4380)"),
    ("2001::/23", "IETF protocol assignments"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("2620:4f:8000::/48", "AS112 direct delegation (RFC 7534)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "SRv6 SIDs (RFC 9602)"),
    ("fc00::/7", "unique local (RFC 4193)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated, RFC 3879)"),
    ("ff00::/8", "multicast"),
];

/// What `--allow-private` admits: addresses private to a site, not to a machine.
const PRIVATE_USE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

struct Range {
    net: IpNet,
    name: &'static str,
}

/// The table parsed; every entry parses (a unit test says so).
fn table(entries: &[(&str, &'static str)]) -> Vec<Range> {
    entries
        .iter()
        .filter_map(|(net, name)| {
            Some(Range {
                net: net.parse().ok()?,
                name,
            })
        })
        .collect()
}

static V4: LazyLock<Vec<Range>> = LazyLock::new(|| table(IPV4_SPECIAL));
static V6: LazyLock<Vec<Range>> = LazyLock::new(|| table(IPV6_SPECIAL));

/// A special-purpose range an address is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SpecialRange {
    /// The registry's block, e.g. `127.0.0.0/8`.
    pub block: String,
    /// What it is for, e.g. `loopback`.
    pub name: String,
    /// The IPv4 address judged, when the address judged was IPv6 carrying one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carries: Option<Ipv4Addr>,
}

/// The IPv4 address an IPv6 address carries in one of the forms that reach it: IPv4-mapped
/// (RFC 4291 §2.5.5.2), NAT64 well-known prefix (RFC 6052 §2.1) or 6to4 (RFC 3056 §2).
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let low = || Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32);
    match s {
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(low()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::from(((hi as u32) << 16) | lo as u32)),
        _ => None,
    }
}

/// The block outside the registries that IPv6 addresses not in global unicast fall in.
const OUTSIDE_GLOBAL_UNICAST: (&str, &str) =
    ("outside 2000::/3", "not allocated for global unicast");

/// The block and name of the range `ip` is in, and the IPv4 address judged for it.
fn classify(ip: IpAddr) -> Option<(String, &'static str, Option<Ipv4Addr>)> {
    let found = |ranges: &[Range], ip: IpAddr| {
        ranges
            .iter()
            .find(|r| r.net.contains(&ip))
            .map(|r| (r.net.to_string(), r.name, None))
    };
    match ip {
        IpAddr::V4(_) => found(&V4, ip),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_ipv4(v6) {
                return classify(IpAddr::V4(v4)).map(|(block, name, _)| (block, name, Some(v4)));
            }
            found(&V6, ip).or_else(|| {
                (v6.segments()[0] & 0xe000 != 0x2000).then(|| {
                    let (block, name) = OUTSIDE_GLOBAL_UNICAST;
                    (block.to_owned(), name, None)
                })
            })
        }
    }
}

/// The special-purpose range `ip` is in, if any: an address that carries IPv4 judged by the
/// IPv4 address, any IPv6 address outside 2000::/3 special.
pub fn special_range(ip: IpAddr) -> Option<SpecialRange> {
    classify(ip).map(|(block, name, carries)| SpecialRange {
        block,
        name: name.to_owned(),
        carries,
    })
}

/// The name of the special-purpose range `ip` is in (what the location check shows for it).
pub fn special_name(ip: IpAddr) -> Option<&'static str> {
    classify(ip).map(|(_, name, _)| name)
}

/// Why the policy refuses a destination.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// One of the host's addresses is in a special-purpose range.
    #[error("{}", reserved_words(address, range))]
    Reserved {
        address: IpAddr,
        range: SpecialRange,
    },
    /// The name is this machine's (RFC 6761 §6.3).
    #[error("'{name}' names this machine (RFC 6761)")]
    LocalName { name: String },
}

fn reserved_words(address: &IpAddr, range: &SpecialRange) -> String {
    match range.carries {
        Some(v4) => format!(
            "{address} carries {v4}, which is in {} ({})",
            range.block, range.name
        ),
        None => format!("{address} is in {} ({})", range.block, range.name),
    }
}

/// Which addresses a run may touch: all (the CLI's default), or public unicast ones and the
/// blocks allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    public_only: bool,
    allow: Vec<IpNet>,
}

impl TargetPolicy {
    /// Every address admitted: the CLI without `--public-only`.
    pub fn open() -> Self {
        TargetPolicy::default()
    }

    /// Public unicast addresses only, and whatever is allowed after.
    pub fn public_only() -> Self {
        TargetPolicy {
            public_only: true,
            allow: Vec::new(),
        }
    }

    /// Admits `net` too (an allow entry overrides the special-purpose ranges).
    pub fn allow(mut self, net: IpNet) -> Self {
        self.allow.push(net.trunc());
        self
    }

    /// Admits the private-use ranges (RFC 1918, RFC 6598, RFC 4193): an intranet deployment.
    pub fn allow_private(self) -> Self {
        PRIVATE_USE
            .iter()
            .filter_map(|net| net.parse().ok())
            .fold(self, TargetPolicy::allow)
    }

    /// Whether any address is refused at all.
    pub fn is_open(&self) -> bool {
        !self.public_only
    }

    /// The allow entries, as given.
    pub fn allowed(&self) -> &[IpNet] {
        &self.allow
    }

    fn allows(&self, ip: IpAddr) -> bool {
        let carried = match ip {
            IpAddr::V6(v6) => embedded_ipv4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        self.allow
            .iter()
            .any(|net| net.contains(&ip) || carried.is_some_and(|v4| net.contains(&v4)))
    }

    /// Judges one address.
    pub fn judge(&self, address: IpAddr) -> Result<(), Refusal> {
        if !self.public_only || self.allows(address) {
            return Ok(());
        }
        match special_range(address) {
            Some(range) => Err(Refusal::Reserved { address, range }),
            None => Ok(()),
        }
    }

    /// Judges a host name (or literal) by its spelling alone: this machine's names are refused
    /// before any lookup.
    pub fn judge_name(&self, host: &str) -> Result<(), Refusal> {
        if !self.public_only {
            return Ok(());
        }
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            return Err(Refusal::LocalName { name });
        }
        Ok(())
    }

    /// Judges a host by its name and every one of its addresses: one refused address refuses
    /// the host.
    pub fn judge_host(&self, host: &str, addresses: &[IpAddr]) -> Result<(), Denial> {
        let forbidden = |refusal| Denial::Forbidden {
            host: host.to_owned(),
            refusal,
        };
        self.judge_name(host).map_err(forbidden)?;
        for address in addresses {
            self.judge(*address).map_err(forbidden)?;
        }
        Ok(())
    }
}

impl Gate for TargetPolicy {
    fn admit_name(&self, host: &str) -> Result<(), Denial> {
        self.judge_name(host).map_err(|refusal| Denial::Forbidden {
            host: host.to_owned(),
            refusal,
        })
    }

    fn admit(&self, host: &str, _: u16, addresses: Vec<IpAddr>) -> Result<Vec<IpAddr>, Denial> {
        self.judge_host(host, &addresses)?;
        Ok(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    fn refused(policy: &TargetPolicy, ip: &str) -> bool {
        policy.judge(ip.parse().unwrap()).is_err()
    }

    #[test]
    fn every_special_purpose_range_is_refused_and_public_unicast_admitted() {
        let p = TargetPolicy::public_only();
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.9",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "192.175.48.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:10::1",
            "2001:db8::1",
            "2620:4f:8000::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "4000::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::127.0.0.1",
            "2002:7f00:1::1",
            "2002:c0a8:101::",
        ] {
            assert!(refused(&p, ip), "{ip} should be refused");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "198.20.0.1",
            "2606:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!refused(&p, ip), "{ip} should be admitted");
        }
        assert!(!refused(&TargetPolicy::open(), "127.0.0.1"));
    }

    #[test]
    fn every_spelling_of_loopback_is_judged_as_loopback() {
        let p = TargetPolicy::public_only();
        for input in [
            "127.0.0.1",
            "2130706433",
            "0x7f.1",
            "0177.0.0.1",
            "127.1",
            "0x7f000001",
            "http://2130706433:8080/path",
            "[::ffff:127.0.0.1]",
            "https://[::ffff:7f00:1]/",
            "[::1]",
        ] {
            let target = Target::parse(input).unwrap();
            let ip = target.ip().unwrap_or_else(|| panic!("{input} is no IP"));
            assert!(p.judge(ip).is_err(), "{input} read as {ip} was admitted");
        }
        for name in ["localhost", "LocalHost.", "api.localhost"] {
            assert_eq!(
                p.judge_name(name),
                Err(Refusal::LocalName {
                    name: name.trim_end_matches('.').to_ascii_lowercase()
                })
            );
        }
        assert!(p.judge_name("example.com").is_ok());
    }

    #[test]
    fn a_name_is_refused_for_any_one_of_its_addresses() {
        let p = TargetPolicy::public_only();
        let ips = |l: &[&str]| l.iter().map(|s| s.parse().unwrap()).collect::<Vec<_>>();
        let denial = p
            .admit("mixed.example", 443, ips(&["8.8.8.8", "10.0.0.1"]))
            .unwrap_err();
        assert_eq!(
            denial.to_string(),
            "mixed.example is not checked here: 10.0.0.1 is in 10.0.0.0/8 (private (RFC 1918)); only public addresses may be checked"
        );
        assert!(p.admit("ok.example", 443, ips(&["8.8.8.8"])).is_ok());
        let mapped = p
            .judge("::ffff:169.254.169.254".parse().unwrap())
            .unwrap_err();
        assert_eq!(
            mapped.to_string(),
            "::ffff:169.254.169.254 carries 169.254.169.254, which is in 169.254.0.0/16 (link-local)"
        );
    }

    #[test]
    fn allow_entries_override_and_allow_private_stops_at_private_use() {
        let p = TargetPolicy::public_only().allow("198.18.0.0/15".parse().unwrap());
        assert!(!refused(&p, "198.18.1.2"));
        assert!(!refused(&p, "::ffff:198.18.1.2"));
        assert!(refused(&p, "127.0.0.1"));
        let p = TargetPolicy::public_only().allow_private();
        for ip in ["10.1.2.3", "192.168.0.1", "fd00::1", "100.64.0.1"] {
            assert!(!refused(&p, ip), "{ip}");
        }
        for ip in ["127.0.0.1", "169.254.169.254", "::1", "fe80::1", "0.0.0.0"] {
            assert!(refused(&p, ip), "{ip}");
        }
        // A host bit set in an allow entry widens nothing.
        let p = TargetPolicy::public_only().allow("127.0.0.5/32".parse().unwrap());
        assert!(!refused(&p, "127.0.0.5"));
        assert!(refused(&p, "127.0.0.6"));
    }

    #[test]
    fn every_table_entry_parses() {
        assert_eq!(V4.len(), IPV4_SPECIAL.len());
        assert_eq!(V6.len(), IPV6_SPECIAL.len());
        assert_eq!(
            TargetPolicy::public_only().allow_private().allowed().len(),
            PRIVATE_USE.len()
        );
    }

    #[test]
    fn the_location_names_come_from_the_same_table() {
        let name = |ip: &str| special_range(ip.parse().unwrap()).map(|r| r.name);
        assert_eq!(
            name("198.18.4.2").as_deref(),
            Some("benchmarking (RFC 2544)")
        );
        assert_eq!(name("8.8.8.8"), None);
    }
}
