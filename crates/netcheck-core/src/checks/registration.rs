//! The `registration` check: who registered the name (or holds the address block). RDAP where
//! the TLD offers it (IANA's bootstrap says), and WHOIS following referrals from IANA to the
//! registry and the registrar, both asked at once; RDAP's fields come first, WHOIS fills the
//! gaps, and both raw answers are kept (their first 64 KiB each, `registration::kept`). The registrable domain is found with the public
//! suffix list: `www.bbc.co.uk` asks about `bbc.co.uk`.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::time::Instant;

use crate::check::{Check, CheckError, CheckMeta, Context, Facts};
use crate::rdap::{self, BootstrapError, RdapAnswer};
use crate::registration::Registration;
use crate::report::Finding;
use crate::tls::TlsClientError;
use crate::web::HttpClient;
use crate::whois::parse::fields_for;
use crate::whois::{HopRole, WhoisHop, WhoisOptions, lookup};

crate::finding_codes! {
    /// A WHOIS server on the way failed (named by role and by who referred to it); the others' fields are kept.
    WHOIS_SERVER_PROBLEM = "whois_server_problem", Warning;
    /// The RDAP lookup failed.
    RDAP_PROBLEM = "rdap_problem", Warning;
    /// Neither RDAP nor any WHOIS server answered.
    WHOIS_NO_ANSWER = "whois_no_answer", Warning;
    /// The registration has expired.
    REGISTRATION_EXPIRED = "registration_expired", Failure, Registration;
    /// The registration expires within 30 days.
    REGISTRATION_EXPIRES_SOON = "registration_expires_soon", Warning, Registration;
    /// An EPP status (hold, redemption period, pending delete) takes the name out of the DNS.
    REGISTRATION_ON_HOLD = "registration_on_hold", Failure, Registration;
    /// The registrar the name is registered through.
    REGISTRAR = "registrar", Info;
}

pub static META: CheckMeta = CheckMeta {
    id: "registration",
    title: "Registration",
    summary: "RDAP, and WHOIS from IANA to registry to registrar: registrar, created/updated/expires, name servers, status",
    needs_privileges: false,
    default_timeout: Duration::from_secs(15),
    codes: CODES,
};

/// Expiry this close earns a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;

pub struct RegistrationCheck;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RegistrationReport {
    /// What was asked: the registrable domain, or the address.
    pub query: String,
    /// The fields: RDAP's first, gaps filled from WHOIS (registry, then registrar).
    pub registration: Registration,
    /// The RDAP query and its raw JSON, when the TLD has an RDAP server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdap: Option<RdapAnswer>,
    /// Why RDAP was not asked, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdap_skipped: Option<String>,
    /// Every server asked, in order, with its raw answer.
    pub whois: Vec<WhoisHop>,
}

/// RFC 2606 and RFC 6761 names are never registered.
const SPECIAL_USE: [&str; 7] = [
    "test",
    "example",
    "invalid",
    "localhost",
    "local",
    "onion",
    "home.arpa",
];

/// What to ask WHOIS about, or why there is nothing to ask.
pub fn subject(ctx: &Context) -> Result<String, String> {
    if let Some(ip) = ctx.target.ip() {
        return if is_public(ip) {
            Ok(ip.to_string())
        } else {
            Err(format!(
                "{ip} is a private or reserved address: it has no registration"
            ))
        };
    }
    let host = ctx.target.host.as_str();
    if SPECIAL_USE
        .iter()
        .any(|s| host == *s || host.ends_with(&format!(".{s}")))
    {
        return Err(format!(
            "{host} is a special-use name (RFC 6761): it has no registration"
        ));
    }
    psl::domain_str(host)
        .map(str::to_owned)
        .ok_or_else(|| format!("{host} has no registrable domain under the public suffix list"))
}

/// Addresses that a RIR could have allocated: those in no special-purpose range.
pub fn is_public(ip: IpAddr) -> bool {
    crate::geo::reserved_label(ip).is_none()
}

impl Check for RegistrationCheck {
    const META: &'static CheckMeta = &META;
    type Facts = RegistrationReport;

    async fn run(
        &self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<RegistrationReport, CheckError> {
        let query = subject(ctx).map_err(CheckError::Skipped)?;
        let options = WhoisOptions {
            root: ctx.settings.whois_server.clone(),
            ..WhoisOptions::default()
        };
        let (hops, rdap_outcome) = tokio::join!(
            lookup(ctx.dialer(), &query, &options, deadline),
            ask_rdap(ctx, &query, deadline)
        );
        let mut registration = Registration::default();
        let (rdap, rdap_skipped) = match rdap_outcome {
            Ok(mut answer) => {
                if let Some(raw) = &answer.raw {
                    registration = rdap::fields(raw);
                }
                answer.keep_bounded();
                (Some(answer), None)
            }
            Err(why) => (None, Some(why.to_string())),
        };
        let root_is_iana = ctx
            .settings
            .whois_server
            .eq_ignore_ascii_case(crate::whois::IANA);
        // Reading up to a few megabytes of text is CPU work: off the runtime's threads.
        let (hops, merged) = tokio::task::spawn_blocking({
            let query = query.clone();
            move || {
                let merged = merge(&hops, &query, root_is_iana);
                // Read in full above; kept bounded in the report.
                let mut hops = hops;
                hops.iter_mut().for_each(WhoisHop::keep_bounded);
                (hops, merged)
            }
        })
        .await
        .map_err(|e| CheckError::Failed(format!("reading the WHOIS answers failed: {e}")))?;
        registration.fill_from(merged);
        Ok(RegistrationReport {
            query,
            registration,
            rdap,
            rdap_skipped,
            whois: hops,
        })
    }
}

impl Facts for RegistrationReport {
    fn assess(&self) -> Vec<Finding> {
        assess(self)
    }
}

/// Why RDAP was not asked; said in the report as `rdap_skipped`.
#[derive(Debug, Error)]
enum RdapNotAsked {
    #[error(transparent)]
    TlsClient(#[from] TlsClientError),
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    /// The bootstrap lists no RDAP server for the TLD or the address block.
    #[error("the RDAP bootstrap names no server for {query}")]
    Unlisted { query: String },
}

/// Asks RDAP about a domain, when the bootstrap names a server for its TLD.
async fn ask_rdap(
    ctx: &Context,
    query: &str,
    deadline: Instant,
) -> Result<RdapAnswer, RdapNotAsked> {
    let tls = ctx.tls()?;
    let client = HttpClient {
        dialer: ctx.dialer(),
        tls: &tls,
        user_agent: &ctx.settings.user_agent,
        max_body_bytes: ctx.options.max_body_bytes,
    };
    let base = if let Ok(ip) = query.parse::<IpAddr>() {
        let mut bootstrap: Option<rdap::Bootstrap> = None;
        for source in &ctx.settings.rdap_ip_bootstraps {
            let b = rdap::load_bootstrap(&client, source, deadline).await?;
            match &mut bootstrap {
                Some(all) => all.extend(b),
                None => bootstrap = Some(b),
            }
        }
        bootstrap.and_then(|b| b.base_for_ip(ip))
    } else {
        rdap::load_bootstrap(&client, &ctx.settings.rdap_bootstrap, deadline)
            .await?
            .base_for(query)
    };
    let base = base.ok_or_else(|| RdapNotAsked::Unlisted {
        query: query.to_owned(),
    })?;
    Ok(rdap::lookup(&client, &base, query, deadline).await)
}

/// Every answer but a directory's, the registry's first and later hops filling its gaps; for
/// an address the last hop (the RIR that holds the block) speaks first, since the earlier ones
/// only point onwards. A directory's answer (IANA's, or one like it: see
/// [`crate::whois::parse::onwards`]) describes the TLD or the /8, never the name, and is not
/// read, wherever it stands; a registry given as the root is read, whether or not its
/// registrar's server answered. `root_is_iana` marks the first hop as IANA's for hops whose
/// role is not recorded.
pub fn merge(hops: &[WhoisHop], query: &str, root_is_iana: bool) -> Registration {
    let mut sources: Vec<&WhoisHop> = hops
        .iter()
        .enumerate()
        .filter(|(i, h)| {
            !h.text.is_empty() && h.role != Some(HopRole::Directory) && !(*i == 0 && root_is_iana)
        })
        .map(|(_, h)| h)
        .collect();
    if query.parse::<IpAddr>().is_ok() {
        sources.reverse();
    }
    let mut merged = Registration::default();
    for hop in sources {
        merged.fill_from(fields_for(&hop.text, query));
    }
    merged
}

/// A hop named in words: "the registrar's WHOIS server whois.example.net (referred by
/// whois.nic.example)".
fn hop_in_words(hops: &[WhoisHop], i: usize) -> String {
    let hop = &hops[i];
    let role = match hop.role {
        Some(HopRole::Directory) => "the directory WHOIS server",
        Some(HopRole::Registry) => "the registry's WHOIS server",
        Some(HopRole::Registrar) => "the registrar's WHOIS server",
        None => "the WHOIS server",
    };
    match i.checked_sub(1).and_then(|p| hops.get(p)) {
        Some(before) => format!("{role} {} (referred by {})", hop.server, before.server),
        None => format!("{role} {}", hop.server),
    }
}

pub fn assess(report: &RegistrationReport) -> Vec<Finding> {
    let mut findings = Vec::new();
    // The servers whose answers were read: a failed hop takes nothing from them.
    let read: Vec<&str> = report
        .whois
        .iter()
        .filter(|h| !h.text.is_empty() && h.role != Some(HopRole::Directory))
        .map(|h| h.server.as_str())
        .collect();
    for (i, hop) in report.whois.iter().enumerate() {
        if let Some(e) = &hop.error {
            let kept = if hop.text.is_empty() && !read.is_empty() {
                format!("; the fields from {} are kept", read.join(" and "))
            } else {
                String::new()
            };
            findings.push(Finding::warning(
                &WHOIS_SERVER_PROBLEM,
                format!("{}: {e}{kept}", hop_in_words(&report.whois, i)),
            ));
        }
    }
    let r = &report.registration;
    if let Some(e) = report.rdap.as_ref().and_then(|a| a.error.as_ref()) {
        findings.push(Finding::warning(&RDAP_PROBLEM, e.clone()));
    }
    let rdap_answered = report.rdap.as_ref().is_some_and(RdapAnswer::answered);
    if !rdap_answered && report.whois.iter().all(|h| h.text.is_empty()) {
        findings.push(Finding::warning(
            &WHOIS_NO_ANSWER,
            format!("no WHOIS server answered for {}", report.query),
        ));
        return findings;
    }
    if let Some(expires) = &r.expires
        && let Ok(t) =
            time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
    {
        let now = time::OffsetDateTime::now_utc();
        let days = (t - now).whole_days();
        if t < now {
            findings.push(Finding::failure(
                &REGISTRATION_EXPIRED,
                format!("{} expired on {expires}", report.query),
            ));
        } else if days < EXPIRY_WARNING_DAYS {
            findings.push(Finding::warning(
                &REGISTRATION_EXPIRES_SOON,
                format!("{} expires in {days} day(s), on {expires}", report.query),
            ));
        }
    }
    // EPP status codes (RFC 5731 §2.3) that take a name out of the DNS.
    for s in &r.status {
        // WHOIS writes "clientHold", RDAP "client hold" (RFC 8056).
        let lower: String = s.to_ascii_lowercase().split_whitespace().collect();
        if lower.contains("hold")
            || lower.contains("redemptionperiod")
            || lower.contains("pendingdelete")
        {
            findings.push(Finding::failure(
                &REGISTRATION_ON_HOLD,
                format!(
                    "{} has status {s}: the registry does not publish it",
                    report.query
                ),
            ));
        }
    }
    if let Some(registrar) = &r.registrar {
        findings.push(Finding::info(
            &REGISTRAR,
            format!("registered through {registrar}"),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_addresses_have_no_registration() {
        for ip in [
            "10.1.2.3",
            "127.0.0.1",
            "198.18.4.2",
            "192.0.2.1",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "2001:db8::1",
            "fd00::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    fn hop(server: &str, text: &str) -> WhoisHop {
        WhoisHop {
            server: server.into(),
            query: "example.com".into(),
            time_ms: 1.0,
            bytes: text.len(),
            truncated: false,
            text: text.into(),
            text_truncated: false,
            referral: None,
            role: None,
            error: None,
        }
    }

    #[test]
    fn the_registry_speaks_first_and_the_registrar_fills_gaps() {
        let hops = [
            hop(
                "whois.iana.org",
                "refer: whois.verisign-grs.com\ncreated: 1985-01-01\n",
            ),
            hop(
                "whois.verisign-grs.com",
                "Registrar: Example Registrar\nCreation Date: 1995-08-14T04:00:00Z\n",
            ),
            hop(
                "whois.registrar.example",
                "Registrar: Other Name\nRegistrant Organization: Example Org\n",
            ),
        ];
        let r = merge(&hops, "example.com", true);
        assert_eq!(r.registrar.as_deref(), Some("Example Registrar"));
        assert_eq!(
            r.created.as_deref(),
            Some("1995-08-14T04:00:00Z"),
            "not the TLD's date from IANA"
        );
        assert_eq!(r.registrant_organization.as_deref(), Some("Example Org"));
    }

    #[test]
    fn iana_alone_says_nothing_about_the_name_and_rirs_speak_last_first() {
        let hops = [hop(
            "whois.iana.org",
            "domain: COM\ncreated: 1985-01-01\nnserver: A.GTLD-SERVERS.NET\n",
        )];
        assert_eq!(merge(&hops, "example.com", true), Registration::default());
        assert!(
            merge(&hops, "example.com", false).created.is_some(),
            "a registry given as root is read"
        );
        let hops = [
            hop("whois.iana.org", "refer: whois.arin.net\n"),
            hop(
                "whois.arin.net",
                "NetRange: x\nCountry: NL\nReferralServer: whois://whois.ripe.net\n",
            ),
            hop(
                "whois.ripe.net",
                "inetnum: x\ncountry: DE\norg: ORG-EX1-RIPE\n",
            ),
        ];
        let r = merge(&hops, "192.0.2.1", true);
        assert_eq!(
            r.registrant_country.as_deref(),
            Some("DE"),
            "the RIR that holds the block speaks first"
        );
    }

    #[test]
    fn a_registry_root_is_read_whatever_became_of_its_referral() {
        let registry = WhoisHop {
            referral: Some("whois.registrar.example".into()),
            role: Some(HopRole::Registry),
            ..hop(
                "whois.nic.example",
                "Domain Name: example.com\nRegistrar WHOIS Server: whois.registrar.example\nRegistrar: Example Registrar\nCreation Date: 1995-08-14T04:00:00Z\n",
            )
        };
        let failed = WhoisHop {
            error: Some("cannot find whois.registrar.example: NXDOMAIN".into()),
            role: Some(HopRole::Registrar),
            ..hop("whois.registrar.example", "")
        };
        let hops = [registry, failed];
        let r = merge(&hops, "example.com", false);
        assert_eq!(
            (r.registrar.as_deref(), r.created.as_deref()),
            (Some("Example Registrar"), Some("1995-08-14T04:00:00Z"))
        );
        // A directory is skipped wherever it stands, by its recorded role.
        let directory = WhoisHop {
            role: Some(HopRole::Directory),
            ..hop(
                "whois.directory.example",
                "domain: COM\ncreated: 1985-01-01\n",
            )
        };
        let r = merge(&[hops[0].clone(), directory], "example.com", false);
        assert_eq!(r.created.as_deref(), Some("1995-08-14T04:00:00Z"));
        let report = RegistrationReport {
            query: "example.com".into(),
            registration: r,
            whois: hops.to_vec(),
            rdap: None,
            rdap_skipped: None,
        };
        let problems: Vec<String> = assess(&report)
            .into_iter()
            .filter(|f| f.code == "whois_server_problem")
            .map(|f| f.message)
            .collect();
        assert_eq!(
            problems,
            [
                "the registrar's WHOIS server whois.registrar.example (referred by whois.nic.example): cannot find whois.registrar.example: NXDOMAIN; the fields from whois.nic.example are kept"
            ]
        );
    }

    #[test]
    fn expiry_and_hold_are_judged() {
        let report = |expires: &str, status: &[&str]| RegistrationReport {
            query: "example.com".into(),
            registration: Registration {
                expires: Some(expires.into()),
                status: status.iter().map(|s| (*s).to_owned()).collect(),
                ..Registration::default()
            },
            whois: vec![hop("whois.example", "x")],
            rdap: None,
            rdap_skipped: None,
        };
        let codes =
            |r: &RegistrationReport| assess(r).into_iter().map(|f| f.code).collect::<Vec<_>>();
        assert!(
            codes(&report("2000-01-01T00:00:00Z", &[]))
                .contains(&"registration_expired".to_owned())
        );
        assert!(
            codes(&report("2999-01-01T00:00:00Z", &["clientHold"]))
                .contains(&"registration_on_hold".to_owned())
        );
        assert!(codes(&report("2999-01-01T00:00:00Z", &["ok"])).is_empty());
    }
}
