//! Reading WHOIS text: where it refers next, and the fields a person asks about (registrar,
//! dates, name servers, status, DNSSEC, registrant organisation and country).
//!
//! There is no WHOIS format: each registry has its own. This reader knows the shapes in use —
//! `Key: value` lines (ICANN's 2013 RAA format, AFNIC, RU-CENTER, registro.br, auDA), indented
//! blocks under a bare `Key:` (Nominet), `[Key]  value` (JPRS), `Key  : value` with a space
//! (KISA) — and maps the many names of each field to one. Untrusted input: it never panics and
//! has a fuzz target (fuzz/fuzz_targets/whois.rs).

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The fields netcheck reports, normalised: dates in UTC, RFC 3339; names lower case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Registration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registrar: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name_servers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registrant_organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registrant_country: Option<String>,
}

impl Registration {
    /// Fills what `self` lacks from `other` (a later hop adds to an earlier one, never erases).
    pub fn fill_from(&mut self, other: Registration) {
        let take = |mine: &mut Option<String>, theirs: Option<String>| {
            if mine.is_none() {
                *mine = theirs;
            }
        };
        take(&mut self.registrar, other.registrar);
        take(&mut self.created, other.created);
        take(&mut self.updated, other.updated);
        take(&mut self.expires, other.expires);
        take(&mut self.dnssec, other.dnssec);
        take(
            &mut self.registrant_organization,
            other.registrant_organization,
        );
        take(&mut self.registrant_country, other.registrant_country);
        if self.name_servers.is_empty() {
            self.name_servers = other.name_servers;
        }
        if self.status.is_empty() {
            self.status = other.status;
        }
    }
}

/// `key`/`value` pairs of a WHOIS text, values of bare-key blocks included, keys lower case
/// without brackets or trailing dots.
fn pairs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let trimmed = line.trim();
        if trimmed.is_empty()
            || trimmed.starts_with('%')
            || trimmed.starts_with('#')
            || trimmed.starts_with(">>>")
        {
            block = None;
            continue;
        }
        // JPRS: "[Created on]   2005/05/30"; the "a. [Domain Name]" form too.
        if let Some(rest) = trimmed.split_once('[').map(|(_, r)| r)
            && let Some((key, value)) = rest.split_once(']')
            && !key.is_empty()
            && trimmed.find('[').is_some_and(|i| i < 4)
        {
            out.push((normalise_key(key), value.trim().to_owned()));
            block = None;
            continue;
        }
        match trimmed.split_once(':') {
            // "http://..." after the colon is a value, not a key.
            Some((key, value))
                if !key.is_empty() && key.len() <= 48 && !value.starts_with("//") =>
            {
                let key = normalise_key(key);
                let value = value.trim();
                if value.is_empty() {
                    block = Some(key);
                } else {
                    out.push((key, value.to_owned()));
                    if !indented {
                        block = None;
                    }
                }
            }
            _ => {
                if let (Some(key), true) = (&block, indented) {
                    out.push((key.clone(), trimmed.to_owned()));
                }
            }
        }
    }
    out
}

fn normalise_key(key: &str) -> String {
    key.trim()
        .trim_end_matches('.')
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The next server this answer points to: IANA's `refer:`/`whois:`, a thin registry's
/// `Registrar WHOIS Server:`, a RIR's `ReferralServer: whois://…` (rwhois is not followed).
pub fn referral(text: &str) -> Option<String> {
    pairs(text).into_iter().find_map(|(key, value)| {
        let value = value.trim();
        let host = match key.as_str() {
            "refer" | "whois" | "registrar whois server" => value,
            "referralserver" => value.strip_prefix("whois://")?,
            _ => return None,
        };
        let host = host
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/');
        let valid = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
        valid.then(|| host.to_ascii_lowercase())
    })
}

/// The registration fields of one WHOIS answer.
pub fn fields(text: &str) -> Registration {
    let mut r = Registration::default();
    for (key, value) in pairs(text) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.as_str() {
            "registrar" | "registrar name" | "sponsoring registrar" | "authorized agency"
                if r.registrar.is_none() =>
            {
                // Nominet: "Name [Tag = X]"; KISA: "Name(http://...)".
                let name = value.split(" [Tag").next().unwrap_or(value);
                let name = name.split("(http").next().unwrap_or(name).trim();
                r.registrar = Some(name.to_owned());
            }
            "creation date"
            | "created"
            | "created on"
            | "registered on"
            | "registered date"
            | "domain registration date"
            | "registered"
            | "registration date" => set_date(&mut r.created, value),
            // CNNIC writes Beijing time without saying so.
            "registration time" => set_date(&mut r.created, &format!("{value} (CST)")),
            "expiration time" => set_date(&mut r.expires, &format!("{value} (CST)")),
            "updated date" | "last updated" | "changed" | "last-update" | "last modified"
            | "last updated date" | "last update" | "modified" => set_date(&mut r.updated, value),
            "registry expiry date"
            | "registrar registration expiration date"
            | "expiry date"
            | "expiration date"
            | "expires"
            | "expires on"
            | "paid-till"
            | "renewal date"
            | "expire date" => set_date(&mut r.expires, value),
            "name server" | "nserver" | "name servers" | "host name" | "nameserver"
            | "nameservers" => {
                // "ns1.example.com 192.0.2.1" and "ns1.example.com." both name ns1.example.com.
                if let Some(ns) = value.split_whitespace().next() {
                    let ns = ns.trim_end_matches('.').to_ascii_lowercase();
                    if ns.contains('.') && !r.name_servers.contains(&ns) {
                        r.name_servers.push(ns);
                    }
                }
            }
            "domain status" | "status" | "state" => {
                for s in value.split(',') {
                    // ICANN format: "clientTransferProhibited https://icann.org/epp#...".
                    let s = s.split_whitespace().next().unwrap_or("").to_owned();
                    if !s.is_empty() && !r.status.contains(&s) {
                        r.status.push(s);
                    }
                }
            }
            "dnssec" if r.dnssec.is_none() => r.dnssec = Some(value.to_owned()),
            "registrant organization"
            | "registrant organisation"
            | "org"
            | "owner"
            | "registrant"
                if r.registrant_organization.is_none()
                    && !value.to_ascii_lowercase().contains("redacted")
                    && !is_handle(value) =>
            {
                r.registrant_organization = Some(value.to_owned());
            }
            "registrant country" | "country"
                if r.registrant_country.is_none() && value.len() <= 64 =>
            {
                r.registrant_country = Some(value.to_owned());
            }
            _ => {}
        }
    }
    r
}

/// A registry object handle (`ORG-EXA1-RIPE`, `EXAMPLE-AP`), not a name.
fn is_handle(value: &str) -> bool {
    !value.contains(' ')
        && value.contains('-')
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

fn set_date(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = normalise_date(value);
    }
}

/// A WHOIS date in any of the registries' forms, as RFC 3339 UTC; `None` when unreadable.
pub fn normalise_date(value: &str) -> Option<String> {
    let value = value.trim();
    // JPRS marks Japan time: "2023/06/01 01:05:04 (JST)".
    let (value, offset) = if let Some(v) = value.strip_suffix("(JST)") {
        (v.trim(), UtcOffset::from_hms(9, 0, 0).ok()?)
    } else if let Some(v) = value.strip_suffix("(CST)") {
        (v.trim(), UtcOffset::from_hms(8, 0, 0).ok()?)
    } else {
        (value, UtcOffset::UTC)
    };
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return format(t);
    }
    // registro.br: "19990221 #36387"; KISA: "2007. 03. 02."
    let first = value.split(" #").next().unwrap_or(value).trim();
    let compact: String = first.chars().filter(|c| !c.is_whitespace()).collect();
    let kisa = compact.trim_end_matches('.').replace('.', "-");
    let date_only = [
        format_description!("[year]-[month]-[day]"),
        format_description!("[year]/[month]/[day]"),
        format_description!("[day]-[month repr:short case_sensitive:false]-[year]"),
        format_description!("[day].[month].[year]"),
        format_description!("[year][month][day]"),
    ];
    for candidate in [first, compact.as_str(), kisa.as_str()] {
        for f in &date_only {
            if let Ok(d) = Date::parse(candidate, f) {
                return format(d.midnight().assume_offset(offset));
            }
        }
    }
    let date_time = [
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]/[month]/[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC"),
    ];
    for f in &date_time {
        if let Ok(t) = PrimitiveDateTime::parse(first, f) {
            return format(t.assume_offset(offset));
        }
    }
    None
}

fn format(t: OffsetDateTime) -> Option<String> {
    // `to_offset` panics past year 9999; a hostile date must not.
    t.checked_to_offset(UtcOffset::UTC)?.format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    //! The texts below are written in each registry's format for these tests (shortened, with
    //! example names); they are not captured answers.
    use super::*;

    #[test]
    fn iana_thin_registry_and_rir_referrals_are_followed() {
        assert_eq!(
            referral("domain:       COM\n\nrefer:        whois.verisign-grs.com\n").as_deref(),
            Some("whois.verisign-grs.com")
        );
        assert_eq!(
            referral(
                "   Domain Name: EXAMPLE.COM\n   Registrar WHOIS Server: whois.registrar.example\n"
            )
            .as_deref(),
            Some("whois.registrar.example")
        );
        assert_eq!(
            referral("ReferralServer:  whois://whois.ripe.net\n").as_deref(),
            Some("whois.ripe.net")
        );
        assert_eq!(
            referral("ReferralServer:  rwhois://rwhois.example.net:4321\n"),
            None
        );
        assert_eq!(referral("Registrar WHOIS Server: \n"), None);
        assert_eq!(referral("refer: not a host!\n"), None);
    }

    #[test]
    fn icann_format() {
        let text = "   Domain Name: EXAMPLE.COM\n   Registrar: Example Registrar, Inc.\n   Updated Date: 2024-08-14T07:01:34Z\n   Creation Date: 1995-08-14T04:00:00Z\n   Registry Expiry Date: 2025-08-13T04:00:00Z\n   Domain Status: clientDeleteProhibited https://icann.org/epp#clientDeleteProhibited\n   Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited\n   Name Server: A.IANA-SERVERS.NET\n   Name Server: B.IANA-SERVERS.NET\n   DNSSEC: signedDelegation\nRegistrant Organization: Example Org\nRegistrant Country: US\n>>> Last update of whois database: 2024-11-25T00:00:00Z <<<\n";
        let r = fields(text);
        assert_eq!(r.registrar.as_deref(), Some("Example Registrar, Inc."));
        assert_eq!(r.created.as_deref(), Some("1995-08-14T04:00:00Z"));
        assert_eq!(r.updated.as_deref(), Some("2024-08-14T07:01:34Z"));
        assert_eq!(r.expires.as_deref(), Some("2025-08-13T04:00:00Z"));
        assert_eq!(
            r.status,
            ["clientDeleteProhibited", "clientTransferProhibited"]
        );
        assert_eq!(r.name_servers, ["a.iana-servers.net", "b.iana-servers.net"]);
        assert_eq!(r.dnssec.as_deref(), Some("signedDelegation"));
        assert_eq!(
            (
                r.registrant_organization.as_deref(),
                r.registrant_country.as_deref()
            ),
            (Some("Example Org"), Some("US"))
        );
    }

    #[test]
    fn nominet_blocks() {
        let text = "    Domain name:\n        example.co.uk\n\n    Registrar:\n        Example Registrar Ltd [Tag = EXAMPLE]\n        URL: https://registrar.example\n\n    Relevant dates:\n        Registered on: 11-Aug-1997\n        Expiry date:  11-Aug-2026\n        Last updated:  10-Jul-2024\n\n    Registration status:\n        Registered until expiry date.\n\n    Name servers:\n        ns1.example.net\n        ns2.example.net   192.0.2.53\n\n";
        let r = fields(text);
        assert_eq!(r.registrar.as_deref(), Some("Example Registrar Ltd"));
        assert_eq!(r.created.as_deref(), Some("1997-08-11T00:00:00Z"));
        assert_eq!(r.expires.as_deref(), Some("2026-08-11T00:00:00Z"));
        assert_eq!(r.updated.as_deref(), Some("2024-07-10T00:00:00Z"));
        assert_eq!(r.name_servers, ["ns1.example.net", "ns2.example.net"]);
    }

    #[test]
    fn denic_jprs_kisa_afnic_registro_br_ripn_auda_formats() {
        let de = fields(
            "Domain: example.de\nNserver: ns1.example.net\nNserver: ns2.example.net\nStatus: connect\nChanged: 2018-03-12T21:44:25+01:00\n",
        );
        assert_eq!(
            (de.status.as_slice(), de.updated.as_deref()),
            (&["connect".to_owned()][..], Some("2018-03-12T20:44:25Z"))
        );
        let jp = fields(
            "a. [Domain Name]                EXAMPLE.JP\np. [Name Server]                ns1.example.jp\n[Created on]                    2005/05/30\n[Expires on]                    2026/05/31\n[Last Updated]                  2024/06/01 01:05:04 (JST)\n[Status]                        Active\n",
        );
        assert_eq!(jp.created.as_deref(), Some("2005-05-30T00:00:00Z"));
        assert_eq!(
            jp.updated.as_deref(),
            Some("2024-05-31T16:05:04Z"),
            "JST is UTC+9"
        );
        assert_eq!(jp.name_servers, ["ns1.example.jp"]);
        let kr = fields(
            "Domain Name                 : example.kr\nRegistered Date             : 2007. 03. 02.\nLast Updated Date           : 2023. 02. 27.\nExpiration Date             : 2026. 03. 02.\nAuthorized Agency           : Example Agency(http://agency.example)\n\nPrimary Name Server\n   Host Name                : ns1.example.kr\n",
        );
        assert_eq!(kr.created.as_deref(), Some("2007-03-02T00:00:00Z"));
        assert_eq!(kr.registrar.as_deref(), Some("Example Agency"));
        assert_eq!(kr.name_servers, ["ns1.example.kr"]);
        let fr = fields(
            "domain:      example.fr\nstatus:      ACTIVE\nregistrar:   EXAMPLE REGISTRAR\nExpiry Date: 2026-12-01T00:00:00Z\ncreated:     2000-07-27T00:00:00Z\nlast-update: 2024-11-30T10:00:00Z\nnserver:     ns1.example.fr\n",
        );
        assert_eq!(
            (fr.registrar.as_deref(), fr.updated.as_deref()),
            (Some("EXAMPLE REGISTRAR"), Some("2024-11-30T10:00:00Z"))
        );
        let br = fields(
            "domain:      example.com.br\nowner:       Example Ltda\ncountry:     BR\nnserver:     ns1.example.com\ncreated:     19990221 #36387\nchanged:     20230314\nexpires:     20260221\nstatus:      published\n",
        );
        assert_eq!(
            (br.created.as_deref(), br.expires.as_deref()),
            (Some("1999-02-21T00:00:00Z"), Some("2026-02-21T00:00:00Z"))
        );
        assert_eq!(
            (
                br.registrant_organization.as_deref(),
                br.registrant_country.as_deref()
            ),
            (Some("Example Ltda"), Some("BR"))
        );
        let ru = fields(
            "domain:        EXAMPLE.RU\nnserver:       ns1.example.ru.\nstate:         REGISTERED, DELEGATED, VERIFIED\norg:           Example LLC\nregistrar:     RU-CENTER-RU\ncreated:       2004-03-03T21:00:00Z\npaid-till:     2026-03-04T21:00:00Z\nfree-date:     2026-04-05\n",
        );
        assert_eq!(ru.status, ["REGISTERED", "DELEGATED", "VERIFIED"]);
        assert_eq!(
            ru.expires.as_deref(),
            Some("2026-03-04T21:00:00Z"),
            "free-date is not the expiry"
        );
        assert_eq!(ru.name_servers, ["ns1.example.ru"]);
        let au = fields(
            "Domain Name: example.com.au\nLast Modified: 2024-01-05T01:23:45Z\nRegistrar Name: Example Registrar Pty Ltd\nStatus: serverRenewProhibited https://identitydigital.au/get-au/whois-status-codes#serverRenewProhibited\nRegistrant: Example Pty Ltd\nName Server: ns1.example.com.au\nDNSSEC: unsigned\n",
        );
        assert_eq!(
            (au.registrar.as_deref(), au.dnssec.as_deref()),
            (Some("Example Registrar Pty Ltd"), Some("unsigned"))
        );
        assert_eq!(au.status, ["serverRenewProhibited"]);
    }

    #[test]
    fn unreadable_dates_and_garbage_are_skipped() {
        assert_eq!(
            normalise_date("9999-12-31T23:59:59-01:00"),
            None,
            "past year 9999: no panic"
        );
        assert_eq!(
            normalise_date("2003-03-10 19:05:35 (CST)").as_deref(),
            Some("2003-03-10T11:05:35Z")
        );
        assert_eq!(
            fields("org: ORG-EXA1-RIPE\n").registrant_organization,
            None,
            "a handle is not a name"
        );
        assert_eq!(normalise_date("not a date"), None);
        assert_eq!(normalise_date("before 2001"), None);
        assert_eq!(fields("\u{0}\u{1}:::\n[]\n   :\n"), Registration::default());
    }

    #[test]
    fn later_hops_fill_gaps_without_erasing() {
        let mut registry =
            fields("Registrar: From Registry\nCreation Date: 2000-01-01T00:00:00Z\n");
        registry.fill_from(fields(
            "Registrar: From Registrar\nRegistrant Organization: Org\n",
        ));
        assert_eq!(registry.registrar.as_deref(), Some("From Registry"));
        assert_eq!(registry.registrant_organization.as_deref(), Some("Org"));
    }
}
