//! The `dns` check: A, AAAA, the CNAME chain, MX, NS, TXT, SOA, CAA and DNSSEC status of the
//! target's name, each lookup with the server that answered it and its time.
//!
//! Gathering (`run`) asks the questions concurrently; judging (`assess`) is pure.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::rr::RecordType;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::check::{Check, CheckError, CheckMeta, Context, Facts};
use crate::dns::records::Record;
use crate::dns::{Lookup, Outcome, ResolverSource};
use crate::report::Finding;

crate::finding_codes! {
    /// The name does not exist (NXDOMAIN), or it is an alias of one that does not.
    DNS_NXDOMAIN = "dns_nxdomain", Failure, Name;
    /// The resolver failed to look the name up (SERVFAIL).
    DNS_SERVFAIL = "dns_servfail", Failure, Name;
    /// The DNS server refused to look the name up (REFUSED).
    DNS_REFUSED = "dns_refused", Failure, Name;
    /// No DNS server answered for the name in time.
    DNS_TIMEOUT = "dns_timeout", Failure, Name;
    /// The name exists but has no A or AAAA record.
    DNS_NO_ADDRESS = "dns_no_address", Failure, Name;
    /// Looking the name up failed otherwise (a malformed answer, a socket error).
    DNS_ERROR = "dns_error", Failure, Name;
    /// The A or the AAAA lookup failed, though the other found addresses.
    DNS_PARTIAL = "dns_partial", Warning;
    /// The name has no AAAA record: it cannot be reached over IPv6.
    DNS_NO_IPV6 = "dns_no_ipv6", Info;
    /// A lookup other than A/AAAA (MX, NS, TXT, SOA, CAA) failed.
    DNS_LOOKUP_FAILED = "dns_lookup_failed", Warning;
    /// The zone has a single name server (RFC 2182 asks for at least two).
    DNS_SINGLE_NS = "dns_single_ns", Warning;
    /// DNSSEC validation fails: the resolver answers only with checking disabled.
    DNSSEC_BOGUS = "dnssec_bogus", Failure, Name;
    /// The resolver validated the answers (AD set).
    DNSSEC_SECURE = "dnssec_secure", Info;
    /// The zone is not signed.
    DNSSEC_INSECURE = "dnssec_insecure", Info;
    /// The zone is signed but the resolver does not validate.
    DNSSEC_UNVALIDATED = "dnssec_unvalidated", Info;
    /// No CAA record: any certificate authority may issue for the name.
    CAA_MISSING = "caa_missing", Info;
}

pub static META: CheckMeta = CheckMeta {
    id: "dns",
    title: "DNS",
    summary: "A, AAAA, CNAME chain, MX, NS, TXT, SOA, CAA and DNSSEC status, with the resolver that answered",
    needs_privileges: false,
    default_timeout: Duration::from_secs(8),
    codes: CODES,
};

pub struct DnsCheck;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DnsReport {
    pub name: String,
    pub resolvers: Vec<SocketAddr>,
    pub resolver_source: ResolverSource,
    pub addresses: Vec<IpAddr>,
    pub cname_chain: Vec<Record>,
    /// The zone that holds the name (owner of its SOA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The name whose CAA records apply (RFC 8659 §3 climbs towards the root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caa_found_at: Option<String>,
    pub dnssec: Dnssec,
    /// Every lookup made, in a fixed order: A, AAAA, MX, NS, TXT, SOA, CAA, then follow-ups.
    pub lookups: Vec<Lookup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DnssecStatus {
    /// The resolver validated the answer (AD set).
    Secure,
    /// The zone is not signed: answers carry no RRSIG.
    Insecure,
    /// Validation failed: SERVFAIL normally, an answer with checking disabled.
    Bogus,
    /// The zone is signed but the resolver does not validate, so nothing can be said.
    Unvalidated,
    /// The lookup itself failed, so DNSSEC could not be judged.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Dnssec {
    pub status: DnssecStatus,
    pub detail: String,
}

impl DnsReport {
    pub fn lookup(&self, rtype: &str) -> Option<&Lookup> {
        self.lookups
            .iter()
            .find(|l| l.record_type == rtype && l.name == self.name)
    }

    /// The records of a type, wherever they were found (NS and CAA may sit above the name).
    pub fn records(&self, rtype: &str) -> impl Iterator<Item = &Record> {
        let name = self.name.clone();
        let zone = self.zone.clone();
        let caa_at = self.caa_found_at.clone();
        self.lookups
            .iter()
            .filter(move |l| l.record_type == rtype)
            .filter(move |l| {
                l.name == name
                    || (rtype == "NS" && Some(&l.name) == zone.as_ref())
                    || (rtype == "CAA" && Some(&l.name) == caa_at.as_ref())
            })
            .flat_map(|l| l.records.iter())
    }
}

impl Check for DnsCheck {
    const META: &'static CheckMeta = &META;
    type Facts = DnsReport;

    async fn run(&self, ctx: &Context, deadline: Instant) -> Result<DnsReport, CheckError> {
        if ctx.target.ip().is_some() {
            return Err(CheckError::Skipped(
                "the target is an IP address: there is no name to look up".into(),
            ));
        }
        Ok(gather(ctx, deadline).await)
    }
}

impl Facts for DnsReport {
    fn assess(&self) -> Vec<Finding> {
        assess(self)
    }

    /// The target's name got no answer at all within the bounds.
    fn timed_out(&self) -> bool {
        self.addresses.is_empty()
            && self
                .lookup("A")
                .is_some_and(|l| l.outcome == Outcome::Timeout)
    }
}

/// A follow-up query, unless the check's time is up: the answers already in hand are kept
/// rather than lost to the runner's cancellation.
async fn follow_up(
    ctx: &Context,
    deadline: Instant,
    name: &str,
    rtype: RecordType,
    cd: bool,
) -> Option<Lookup> {
    tokio::time::timeout_at(deadline, ctx.resolver.query(name, rtype, cd))
        .await
        .ok()
}

async fn gather(ctx: &Context, deadline: Instant) -> DnsReport {
    let name = ctx.target.host.as_str();
    let resolver = &ctx.resolver;
    let query = |rtype| resolver.query(name, rtype, false);
    let (addresses, mx, ns, txt, soa, caa) = tokio::join!(
        ctx.target_addresses(),
        query(RecordType::MX),
        query(RecordType::NS),
        query(RecordType::TXT),
        query(RecordType::SOA),
        query(RecordType::CAA),
    );
    let a = addresses
        .a
        .clone()
        .unwrap_or_else(|| unreachable_lookup(name, RecordType::A));
    let aaaa = addresses
        .aaaa
        .clone()
        .unwrap_or_else(|| unreachable_lookup(name, RecordType::AAAA));
    let zone = soa.zone.clone().or_else(|| a.zone.clone());
    let mut follow_ups = Vec::new();

    // NS records live at the zone apex; a name below it has none of its own.
    if ns.outcome == Outcome::NoData
        && let Some(zone) = zone.as_deref().filter(|z| *z != name)
    {
        follow_ups.extend(follow_up(ctx, deadline, zone, RecordType::NS, false).await);
    }
    let caa_found_at = find_caa(ctx, deadline, name, &caa, &mut follow_ups).await;
    let dnssec = judge_dnssec(ctx, deadline, name, &a).await;

    DnsReport {
        name: name.to_owned(),
        resolvers: resolver.servers.clone(),
        resolver_source: resolver.source,
        addresses: addresses.addresses.clone(),
        cname_chain: if a.cname_chain.is_empty() {
            aaaa.cname_chain.clone()
        } else {
            a.cname_chain.clone()
        },
        zone,
        caa_found_at,
        dnssec,
        lookups: [a, aaaa, mx, ns, txt, soa, caa]
            .into_iter()
            .chain(follow_ups)
            .collect(),
    }
}

fn unreachable_lookup(name: &str, rtype: RecordType) -> Lookup {
    // Only a target with an IP literal has no A/AAAA lookups, and this check skips those.
    let mut lookup = Lookup::new(name, rtype);
    lookup.error = Some("not looked up".into());
    lookup
}

/// RFC 8659 §3: the relevant CAA set is the first found climbing from the name towards the
/// root. The climb stops below the top-level domain, which never publishes CAA for its children.
async fn find_caa(
    ctx: &Context,
    deadline: Instant,
    name: &str,
    at_name: &Lookup,
    follow_ups: &mut Vec<Lookup>,
) -> Option<String> {
    if at_name.outcome == Outcome::Answer {
        return Some(name.to_owned());
    }
    if at_name.outcome != Outcome::NoData && at_name.outcome != Outcome::NxDomain {
        return None;
    }
    let labels: Vec<&str> = name.split('.').collect();
    for start in 1..labels.len().saturating_sub(1) {
        let parent = labels[start..].join(".");
        let lookup = follow_up(ctx, deadline, &parent, RecordType::CAA, false).await?;
        let (outcome, found) = (lookup.outcome, lookup.outcome == Outcome::Answer);
        follow_ups.push(lookup);
        if found {
            return Some(parent);
        }
        if !matches!(outcome, Outcome::NoData | Outcome::NxDomain) {
            return None;
        }
    }
    None
}

/// DNSSEC status from what the resolver says (RFC 4035 §3.2): AD means it validated; a SERVFAIL
/// that turns into an answer with CD set means validation failed (bogus).
async fn judge_dnssec(ctx: &Context, deadline: Instant, name: &str, a: &Lookup) -> Dnssec {
    let (status, detail) = match a.outcome {
        _ if a.authenticated => (
            DnssecStatus::Secure,
            "the resolver validated the answer (AD flag set)".to_owned(),
        ),
        Outcome::ServFail => {
            let unchecked = follow_up(ctx, deadline, name, RecordType::A, true).await;
            if unchecked.is_some_and(|l| l.outcome.is_decisive()) {
                (
                    DnssecStatus::Bogus,
                    "the resolver answers only with checking disabled (CD): DNSSEC validation fails".to_owned(),
                )
            } else {
                (
                    DnssecStatus::Unknown,
                    "the lookup fails even with checking disabled".to_owned(),
                )
            }
        }
        Outcome::Answer | Outcome::NoData | Outcome::NxDomain if a.signed => (
            DnssecStatus::Unvalidated,
            "the zone is signed (RRSIG present) but the resolver does not validate".to_owned(),
        ),
        Outcome::Answer | Outcome::NoData | Outcome::NxDomain => (
            DnssecStatus::Insecure,
            "the answer carries no DNSSEC signatures".to_owned(),
        ),
        _ => (
            DnssecStatus::Unknown,
            "the lookup failed, so DNSSEC could not be judged".to_owned(),
        ),
    };
    Dnssec { status, detail }
}

/// Judges the facts of a DNS report.
pub fn assess(report: &DnsReport) -> Vec<Finding> {
    let mut findings = Vec::new();
    let name = &report.name;
    let a = report.lookup("A");
    let aaaa = report.lookup("AAAA");
    if report.addresses.is_empty() {
        let worst = [a, aaaa]
            .into_iter()
            .flatten()
            .max_by_key(|l| l.outcome.failure_rank());
        if let Some(l) = worst {
            let by = l.resolver.or_else(|| l.attempts.last().map(|a| a.server));
            let by = by.map(|s| format!(" (asked {s})")).unwrap_or_default();
            let (code, message) = match l.outcome {
                Outcome::NxDomain => match l.cname_chain.last() {
                    // A dangling alias: the name exists, what it points to does not.
                    Some(link) => (
                        &DNS_NXDOMAIN,
                        format!(
                            "{name} is an alias of {}, which does not exist: NXDOMAIN{by}",
                            link.value_text()
                        ),
                    ),
                    None => (
                        &DNS_NXDOMAIN,
                        format!("{name} does not exist: NXDOMAIN{by}"),
                    ),
                },
                Outcome::ServFail => (
                    &DNS_SERVFAIL,
                    format!("the resolver failed to look up {name}: SERVFAIL{by}"),
                ),
                Outcome::Refused => (
                    &DNS_REFUSED,
                    format!("the DNS server refused to look up {name}{by}"),
                ),
                Outcome::Timeout => (
                    &DNS_TIMEOUT,
                    format!("no DNS server answered for {name}{by}"),
                ),
                Outcome::NoData | Outcome::Answer => {
                    (&DNS_NO_ADDRESS, format!("{name} has no A or AAAA record"))
                }
                Outcome::Error => (
                    &DNS_ERROR,
                    format!(
                        "looking up {name} failed: {}",
                        l.error.clone().unwrap_or_else(|| "unknown error".into())
                    ),
                ),
            };
            findings.push(Finding::failure(code, message));
        }
    } else {
        for l in [a, aaaa].into_iter().flatten() {
            if !l.outcome.is_decisive() {
                findings.push(Finding::warning(
                    &DNS_PARTIAL,
                    format!(
                        "the {} lookup failed ({}), other addresses were found",
                        l.record_type,
                        l.outcome.describe()
                    ),
                ));
            }
        }
        if aaaa.is_some_and(|l| l.outcome == Outcome::NoData) {
            findings.push(Finding::info(
                &DNS_NO_IPV6,
                format!("{name} has no AAAA record: not reachable over IPv6"),
            ));
        }
    }
    for l in report
        .lookups
        .iter()
        .filter(|l| !matches!(l.record_type.as_str(), "A" | "AAAA"))
    {
        if !l.outcome.is_decisive() && !report.addresses.is_empty() {
            findings.push(Finding::warning(
                &DNS_LOOKUP_FAILED,
                format!("{} {}: {}", l.name, l.record_type, l.outcome.describe()),
            ));
        }
    }
    let ns_count = report.records("NS").count();
    if ns_count == 1 {
        findings.push(Finding::warning(
            &DNS_SINGLE_NS,
            "the zone has a single name server: RFC 2182 asks for at least two",
        ));
    }
    match report.dnssec.status {
        DnssecStatus::Bogus => findings.push(Finding::failure(
            &DNSSEC_BOGUS,
            format!(
                "DNSSEC validation fails for {name}: {}",
                report.dnssec.detail
            ),
        )),
        DnssecStatus::Secure => findings.push(Finding::info(
            &DNSSEC_SECURE,
            "DNSSEC: the answers are validated",
        )),
        DnssecStatus::Insecure => findings.push(Finding::info(
            &DNSSEC_INSECURE,
            "DNSSEC: the zone is not signed",
        )),
        DnssecStatus::Unvalidated => findings.push(Finding::info(
            &DNSSEC_UNVALIDATED,
            report.dnssec.detail.clone(),
        )),
        DnssecStatus::Unknown => {}
    }
    let caa_decisive = report
        .lookups
        .iter()
        .filter(|l| l.record_type == "CAA")
        .all(|l| l.outcome.is_decisive());
    if caa_decisive && report.records("CAA").next().is_none() && !report.addresses.is_empty() {
        findings.push(Finding::info(
            &CAA_MISSING,
            "no CAA record: any certificate authority may issue for this name",
        ));
    }
    findings
}
