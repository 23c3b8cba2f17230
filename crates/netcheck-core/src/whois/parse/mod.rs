//! Reading WHOIS text: whether it is a directory's answer or a record, which of its records is
//! the one asked about, where it refers next, and the fields a person asks about (registrar,
//! dates, name servers, status, DNSSEC, registrant organisation and country).
//!
//! There is no WHOIS format: each registry has its own. This reader knows the shapes in use —
//! `Key: value` lines (ICANN's 2013 RAA format, AFNIC, RU-CENTER, registro.br, auDA), indented
//! blocks under a bare `Key:` (Nominet), `[Key]  value` (JPRS), `Key  : value` with a space
//! (KISA) — and maps the many names of each field to one. Untrusted input: it never panics and
//! has a fuzz target (fuzz/fuzz_targets/whois.rs).
//!
//! It reads in layers, a file each: `lines.rs` turns text into pairs, each with its header and
//! paragraph; `objects.rs` says whose words a pair is; `keys.rs` knows the names of each field;
//! `fields.rs` reads the fields. This file picks the query's record among several and the
//! referral. Dates are read by [`crate::registration::dates`], which RDAP shares.

mod fields;
mod keys;
mod lines;
mod objects;

use std::net::IpAddr;

pub use crate::registration::Registration;
pub use fields::{fields, fields_for};
use lines::{Pair, pairs};

/// The next server this answer points to: IANA's `refer:`/`whois:`, a thin registry's
/// `Registrar WHOIS Server:`, a RIR's `ReferralServer: whois://…` (rwhois is not followed).
/// Of an answer with several records this is the first record's; [`onwards`] reads the
/// query's.
pub fn referral(text: &str) -> Option<String> {
    referral_in(&pairs(text))
}

/// What an answer means for the chain, read for the query it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onwards {
    /// The next server, as the query's record (or the directory) names it.
    pub referral: Option<String>,
    /// The answer is a directory's, not a record: see [`onwards`].
    pub directory: bool,
}

/// Where an answer about `query` sends the chain, and whether it is a directory's answer:
/// IANA's, about the TLD (`domain: COM`) or the address block, pointing on with `refer:`. Its
/// dates, name servers and status are the TLD's, never the name's. Decided by what the answer
/// says, not by where it stands in the chain: a registry's record names the query itself.
pub fn onwards(text: &str, query: &str) -> Onwards {
    let pairs = pairs(text);
    let refers = pairs
        .iter()
        .any(|p| p.section.is_none() && p.key == "refer" && !p.value.is_empty());
    let names_query = pairs
        .iter()
        .any(|p| opens_record(p) && same_name(&p.value, query));
    Onwards {
        referral: referral_in(record(&pairs, query)),
        directory: refers && !names_query,
    }
}

/// Keys that open a record. Verisign, asked without "=", lists every record whose name starts
/// with the query: host records (`Server Name:`) and look-alike domains
/// (`Domain Name: EXAMPLE.COM.EXAMPLE.NET`) beside the domain's own.
fn opens_record(pair: &Pair) -> bool {
    pair.section.is_none()
        && !pair.block_item
        && !pair.value.is_empty()
        && matches!(pair.key.as_str(), "domain name" | "domain" | "server name")
}

/// The name a record opens with: `EXAMPLE.COM`, `example.com.`, `bücher.de (IDN)`.
fn record_name(written: &str) -> &str {
    written
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
}

/// Whether a record's name is `query` (any case, a trailing dot, or in Unicode).
fn same_name(written: &str, query: &str) -> bool {
    let written = record_name(written);
    let query = query.trim_end_matches('.');
    written.eq_ignore_ascii_case(query)
        || (!written.is_ascii()
            && idna::domain_to_ascii(written).is_ok_and(|a| a.eq_ignore_ascii_case(query)))
}

/// The pairs of the record about `query`. An answer that names one record (or none, or the
/// same name each time) is read whole; of several, the query's record is read, from its first
/// line to the next record's; when none is the query's (only look-alikes), only what stands
/// before the records. An address's answer is read whole: its objects are not look-alikes.
fn record<'p>(pairs: &'p [Pair], query: &str) -> &'p [Pair] {
    if query.parse::<IpAddr>().is_ok() {
        return pairs;
    }
    let opens: Vec<usize> = (0..pairs.len())
        .filter(|&i| opens_record(&pairs[i]))
        .collect();
    let Some(&first) = opens.first() else {
        return pairs;
    };
    if opens
        .iter()
        .all(|&i| same_name(&pairs[i].value, record_name(&pairs[first].value)))
    {
        return pairs;
    }
    let Some(k) = opens
        .iter()
        .position(|&i| same_name(&pairs[i].value, query))
    else {
        return &pairs[..first];
    };
    // The record runs to the next record of another name (its name may be repeated in it).
    let end = opens[k..]
        .iter()
        .find(|&&i| !same_name(&pairs[i].value, query))
        .copied()
        .unwrap_or(pairs.len());
    &pairs[opens[k]..end]
}

fn referral_in(pairs: &[Pair]) -> Option<String> {
    pairs.iter().find_map(|p| {
        let value = p.value.trim();
        let host = match p.key.as_str() {
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
    fn a_directory_answer_is_told_from_a_record_by_what_it_names() {
        let iana = "% IANA WHOIS server\nrefer:        whois.verisign-grs.com\n\ndomain:       COM\norganisation: VeriSign Global Registry Services\nnserver:      A.GTLD-SERVERS.NET\ncreated:      1985-01-01\n";
        assert_eq!(
            onwards(iana, "example.com"),
            Onwards {
                referral: Some("whois.verisign-grs.com".into()),
                directory: true
            }
        );
        let block = "refer:        whois.arin.net\n\ninetnum:      8.0.0.0 - 8.255.255.255\norganisation: ARIN\n";
        assert!(onwards(block, "8.8.8.8").directory, "IANA's /8");
        // A registry's record, even one that points on with IANA's key.
        for (record, query) in [
            (
                "   Domain Name: EXAMPLE.COM\n   Registrar WHOIS Server: whois.registrar.example\n",
                "example.com",
            ),
            (
                "domain:   example.com.\nrefer:    whois.registrar.example\n",
                "example.com",
            ),
            (
                "Domain Name: bücher.de\nrefer: whois.registrar.example\n",
                "xn--bcher-kva.de",
            ),
        ] {
            assert_eq!(
                onwards(record, query),
                Onwards {
                    referral: Some("whois.registrar.example".into()),
                    directory: false
                },
                "{record}"
            );
        }
        assert!(
            !onwards("domain: COM\ncreated: 1985-01-01\n", "example.com").directory,
            "no referral: a registry's answer, not a directory's"
        );
    }

    /// Verisign asked without "=": a host record and look-alike domains around the domain's
    /// own record. Written in that format for this test (example names), not captured.
    const VERISIGN_MULTI_RECORD: &str = "Whois Server Version 2.0\n\nDomain names in the .com and .net domains can now be registered\nwith many different competing registrars.\n\n   Server Name: EXAMPLE.COM.NS.EXAMPLE.NET\n   IP Address: 192.0.2.10\n   Registrar: Host Record Registrar Ltd\n   Registrar WHOIS Server: whois.host-record.example\n\n   Domain Name: EXAMPLE.COM.LOOKALIKE.EXAMPLE.NET\n   Registrar: Look-Alike Registrar Inc.\n   Registrar WHOIS Server: whois.lookalike.example\n   Name Server: NS1.LOOKALIKE.EXAMPLE.NET\n   Domain Status: clientHold https://icann.org/epp#clientHold\n   Creation Date: 2019-01-01T00:00:00Z\n\n   Domain Name: EXAMPLE.COM\n   Registrar WHOIS Server: whois.registrar.example\n   Updated Date: 2024-08-14T07:01:34Z\n   Creation Date: 1995-08-14T04:00:00Z\n   Registry Expiry Date: 2999-08-13T04:00:00Z\n   Registrar: Example Registrar, Inc.\n   Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited\n   Name Server: A.IANA-SERVERS.NET\n   DNSSEC: signedDelegation\n\n   Domain Name: EXAMPLE.COM.ZZ.EXAMPLE.ORG\n   Registrar: After Registrar LLC\n   Name Server: NS1.ZZ.EXAMPLE.ORG\n   DNSSEC: unsigned\n\n>>> Last update of whois database: 2024-11-25T00:00:00Z <<<\n";

    #[test]
    fn of_several_records_the_query_s_own_is_read() {
        assert_eq!(
            fields_for(VERISIGN_MULTI_RECORD, "example.com"),
            Registration {
                registrar: Some("Example Registrar, Inc.".into()),
                created: Some("1995-08-14T04:00:00Z".into()),
                updated: Some("2024-08-14T07:01:34Z".into()),
                expires: Some("2999-08-13T04:00:00Z".into()),
                name_servers: vec!["a.iana-servers.net".into()],
                status: vec!["clientTransferProhibited".into()],
                dnssec: Some("signedDelegation".into()),
                ..Registration::default()
            }
        );
        assert_eq!(
            onwards(VERISIGN_MULTI_RECORD, "EXAMPLE.COM.")
                .referral
                .as_deref(),
            Some("whois.registrar.example")
        );
        // The look-alike is a record of its own, read when it is the query.
        assert_eq!(
            fields_for(VERISIGN_MULTI_RECORD, "example.com.zz.example.org").registrar,
            Some("After Registrar LLC".into())
        );
        // Only look-alikes: none of them is the name asked about.
        assert_eq!(
            fields_for(VERISIGN_MULTI_RECORD, "example.net"),
            Registration::default()
        );
        assert_eq!(onwards(VERISIGN_MULTI_RECORD, "example.net").referral, None);
        // One record, or its name repeated, is read whole as before.
        let one = "Domain Name: EXAMPLE.COM\nRegistrar: Example Registrar\ndomain: example.com\nCreation Date: 1995-08-14T04:00:00Z\n";
        assert_eq!(fields_for(one, "example.com"), fields(one));
        assert_eq!(
            fields_for(one, "other.com"),
            fields(one),
            "a single record is not second-guessed"
        );
    }
}
