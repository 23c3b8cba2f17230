//! The last layer: the fields a person asks about (registrar, dates, name servers, status,
//! DNSSEC, registrant organisation and country), read from the pairs of the domain's own
//! words and the objects its handles name. A name is ranked as it is found (an organisation
//! over a person, a name over a handle), so the order of an answer's lines does not decide.

use super::keys::{DateField, date_field, is_name_server_key, is_registrant_key};
use super::lines::{Pair, pairs};
use super::objects::{Objects, Scope};
use super::record;
use crate::registration::Registration;
use crate::registration::dates::normalise_date;

/// A name found, ranked: an organisation beats a person's or role's name, which beats a
/// handle where handles are allowed at all. The first of the best rank wins.
#[derive(Default)]
struct Best {
    found: Option<(u8, String)>,
    handles: bool,
}

impl Best {
    fn offer(&mut self, rank: u8, value: &str) {
        let value = value.trim();
        if value.is_empty() || withheld(value) {
            return;
        }
        let rank = match (is_handle(value), self.handles) {
            (true, false) => return,
            (true, true) => rank.saturating_add(10),
            (false, _) => rank,
        };
        if self.found.as_ref().is_none_or(|(r, _)| rank < *r) {
            self.found = Some((rank, value.to_owned()));
        }
    }

    fn best(self) -> Option<String> {
        self.found.map(|(_, v)| v)
    }
}

/// At most this many name servers or statuses are kept (a domain has a handful; a hostile
/// answer could list thousands).
const MAX_LIST: usize = 32;

/// The names an answer gives, each ranked as it is found.
#[derive(Default)]
struct Found {
    registrant: Best,
    registrar: Best,
    country: Best,
    /// Handles already followed.
    seen: std::collections::HashSet<(&'static str, String)>,
}

/// The registration fields of one WHOIS answer, for a caller that has no query: of an answer
/// with several records, they are all read as one. [`fields_for`] reads the query's.
pub fn fields(text: &str) -> Registration {
    fields_in(&pairs(text))
}

/// The registration fields that one WHOIS answer gives for `query`: in an answer that lists
/// several records, those of the record whose name is the query.
pub fn fields_for(text: &str, query: &str) -> Registration {
    let pairs = pairs(text);
    fields_in(record(&pairs, query))
}

fn fields_in(pairs: &[Pair]) -> Registration {
    let objects = Objects::new(pairs);
    let mut r = Registration::default();
    let mut found = Found {
        registrar: Best {
            handles: true,
            ..Best::default()
        },
        ..Found::default()
    };
    for pair in pairs {
        let (key, value) = (pair.key.as_str(), pair.value.as_str());
        if value.is_empty() {
            continue;
        }
        match objects.scope(pair) {
            Scope::Registrant => match key {
                "organization"
                | "organisation"
                | "org"
                | "organization name"
                | "registrant organization"
                | "registrant organisation" => found.registrant.offer(0, value),
                "name" | "contact" | "role" | "person" | "registrant name" | "registrant"
                | "organization-loc" => found.registrant.offer(1, value),
                _ if pair.block_item && is_registrant_key(pair.section.as_deref()) => {
                    found.registrant.offer(1, value)
                }
                "country" | "registrant country" | "country code" | "country-loc" => {
                    found.country.offer(0, value)
                }
                _ => {}
            },
            Scope::Registrar => match key {
                "organization" | "organisation" | "org" => found.registrar.offer(0, value),
                "name" | "registrar name" => found.registrar.offer(1, value),
                "registrar" => found.registrar.offer(2, value),
                _ if pair.block_item
                    && matches!(
                        pair.section.as_deref(),
                        Some("registrar" | "sponsoring registrar")
                    ) =>
                {
                    found.registrar.offer(1, value)
                }
                _ => {}
            },
            // CZ.NIC's name servers stand in an nsset object of their own.
            Scope::Other if pair.section.is_none() && is_name_server_key(key) => {
                domain_field(&mut r, &objects, pair, &mut found)
            }
            Scope::Other | Scope::Meta => {}
            Scope::Domain => domain_field(&mut r, &objects, pair, &mut found),
        }
        // ARIN gives the holder's country in its Org paragraph.
        let in_domain_paragraph = pair.section.is_none()
            && (Some(pair.paragraph) == objects.domain || objects.arin_org[pair.paragraph]);
        if key == "country" && in_domain_paragraph {
            // registro.br puts the holder's country in the domain object.
            found.country.offer(1, value);
        }
        if matches!(key, "registrant country" | "registrant country code")
            && objects.scope(pair) == Scope::Domain
        {
            found.country.offer(0, value);
        }
    }
    r.registrar = found.registrar.best().as_deref().and_then(registrar_name);
    r.registrant_organization = found.registrant.best();
    r.registrant_country = found.country.best();
    r
}

/// A field of the domain itself.
fn domain_field(r: &mut Registration, objects: &Objects, pair: &Pair, found: &mut Found) {
    let (key, value) = (pair.key.as_str(), pair.value.as_str());
    match key {
        "registrar"
        | "registrar name"
        | "sponsoring registrar"
        | "authorized agency"
        | "account name"
        | "current registar"
        | "current registrar" => {
            // Each value is weighed once: an answer repeating a line thousands of times must
            // not make the work grow with the square of its length.
            if !found.seen.insert(("registrar", value.to_lowercase())) {
                return;
            }
            // A registrar's handle may head an object of its own that gives its name.
            match objects.registrar_name(value, pair.paragraph) {
                Some(name) => found.registrar.offer(0, name),
                None => found.registrar.offer(1, value),
            }
        }
        "registrant organization"
        | "registrant organisation"
        | "registrant contact organisation"
        | "registrant contact organization"
        | "org"
        | "owner"
        | "domain holder"
        | "org-name"
        | "orgname" => found.registrant.offer(0, value),
        "registrant" | "holder" | "holder-c" | "登録者名" => {
            if !found.seen.insert(("registrant", value.to_lowercase())) {
                return;
            }
            // A handle names an object in another paragraph (AFNIC, CZ.NIC, ISNIC, NIC.ar).
            match objects.object(value) {
                Some(object) => {
                    for p in object {
                        match p.key.as_str() {
                            "org" | "organization" | "organisation" => {
                                found.registrant.offer(0, &p.value)
                            }
                            "role" | "name" | "person" => found.registrant.offer(1, &p.value),
                            "country" => found.country.offer(0, &p.value),
                            "contact" if !p.value.eq_ignore_ascii_case(value) => {
                                found.registrant.offer(1, &p.value)
                            }
                            _ => {}
                        }
                    }
                }
                None => found.registrant.offer(0, value),
            }
        }
        "registrant name" | "registrant contact name" => found.registrant.offer(2, value),
        // CNNIC writes Beijing time without saying so.
        "registration time" => set_date(&mut r.created, &format!("{value} (CST)")),
        "expiration time" => set_date(&mut r.expires, &format!("{value} (CST)")),
        _ if is_name_server_key(key) => {
            // "ns1.example.com 192.0.2.1", "ns1.example.com.", "ns1.example.com [OK]".
            if let Some(ns) = value.split_whitespace().next() {
                let ns = ns.trim_end_matches('.').to_ascii_lowercase();
                let hostname = ns.contains('.')
                    && ns
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_');
                if hostname && r.name_servers.len() < MAX_LIST && !r.name_servers.contains(&ns) {
                    r.name_servers.push(ns);
                }
            }
        }
        "domain status" | "status" | "state" | "状態" | "flags" | "registration status" => {
            for s in value.split(',') {
                // "clientTransferProhibited https://icann.org/epp#…", "ok (https://…)".
                let s = s.split(" http").next().unwrap_or(s);
                let s = s.split(" (http").next().unwrap_or(s).trim();
                if !s.is_empty() && r.status.len() < MAX_LIST && !r.status.iter().any(|t| t == s) {
                    r.status.push(s.to_owned());
                }
            }
        }
        "dnssec" if r.dnssec.is_none() => r.dnssec = Some(value.to_owned()),
        _ => match date_field(key) {
            Some(DateField::Created) => set_date(&mut r.created, value),
            Some(DateField::Updated) => set_date(&mut r.updated, value),
            Some(DateField::Expires) => set_date(&mut r.expires, value),
            None => {}
        },
    }
}

/// Nominet: "Name [Tag = X]"; KISA, CIDR: "Name(http://…)", "Name (http://…)".
fn registrar_name(value: &str) -> Option<String> {
    let name = value.split(" [Tag").next().unwrap_or(value);
    let name = name.split("(http").next().unwrap_or(name).trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// A registry object handle (`ORG-EXA1-RIPE`, `CL62533-007244`, `G830057`), not a name.
fn is_handle(value: &str) -> bool {
    !value.contains(' ')
        && value.chars().any(|c| c.is_ascii_digit() || c == '-')
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// What a registry writes in place of data it does not publish.
fn withheld(value: &str) -> bool {
    let v = value.to_lowercase();
    [
        "redacted",
        "not disclosed",
        "not shown",
        "withheld",
        "data protected",
        "non-public",
    ]
    .iter()
    .any(|w| v.contains(w))
        || v == "n/a"
}

fn set_date(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = normalise_date(value);
    }
}

#[cfg(test)]
mod tests {
    //! The texts below are written in each registry's format for these tests (shortened, with
    //! example names); they are not captured answers.
    use super::*;

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
    fn contacts_dates_and_states_are_not_the_domains() {
        // The shapes of .ee and .tk answers: a section per contact, the same keys in each.
        let r = fields(
            "Domain:\nname:       example.ee\nregistered: 2010-07-04 04:34:46 +03:00\n\nRegistrant:\nname:       Example OU\ncountry:    EE\nchanged:    2019-10-07 17:50:09 +03:00\n\nAdministrative contact:\nname:       Admin Person\ncountry:    FI\n\nRegistrar:\nname:       Example Registrar AS\n",
        );
        assert_eq!(r.created.as_deref(), Some("2010-07-04T01:34:46Z"));
        assert_eq!(
            r.updated, None,
            "the holder's change date is not the domain's"
        );
        assert_eq!(r.registrant_organization.as_deref(), Some("Example OU"));
        assert_eq!(r.registrant_country.as_deref(), Some("EE"));
        assert_eq!(r.registrar.as_deref(), Some("Example Registrar AS"));
        let tk = fields(
            "   Domain name:\n      EXAMPLE.TK is Active\n\n   Owner contact:\n      Organization: Example Inc.\n      State:        Nevada\n      Country:      U.S.A.\n\n   Admin contact:\n      Organization: Other Inc.\n",
        );
        assert!(tk.status.is_empty(), "{:?}", tk.status);
        assert_eq!(tk.registrant_organization.as_deref(), Some("Example Inc."));
    }

    #[test]
    fn an_overlong_header_or_key_is_text_not_a_name() {
        // A 60 KB "[registrant…]" line would scope everything after it (and be copied into
        // every pair); as text it governs nothing.
        let header = format!("[{}]\n", "registrant".repeat(6000));
        let text = format!(
            "{header}registrar: Example Registrar\n[{}] 2001/01/01\n",
            "created".repeat(9000)
        );
        let r = fields(&text);
        assert_eq!(r.registrar.as_deref(), Some("Example Registrar"));
        assert_eq!(r.created, None);
        // A handle repeated thousands of times is followed once, with the same result.
        let mut text = String::from("domain: example.fr\n");
        text.push_str(&"holder-c: EX1-FRNIC\n".repeat(5000));
        text.push_str("\nnic-hdl: EX1-FRNIC\ncontact: Example SAS\ncountry: FR\n");
        let r = fields(&text);
        assert_eq!(
            (
                r.registrant_organization.as_deref(),
                r.registrant_country.as_deref()
            ),
            (Some("Example SAS"), Some("FR"))
        );
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
