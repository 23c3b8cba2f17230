//! Reading WHOIS text: whether it is a directory's answer or a record, which of its records is
//! the one asked about, where it refers next, and the fields a person asks about (registrar,
//! dates, name servers, status, DNSSEC, registrant organisation and country).
//!
//! There is no WHOIS format: each registry has its own. This reader knows the shapes in use —
//! `Key: value` lines (ICANN's 2013 RAA format, AFNIC, RU-CENTER, registro.br, auDA), indented
//! blocks under a bare `Key:` (Nominet), `[Key]  value` (JPRS), `Key  : value` with a space
//! (KISA) — and maps the many names of each field to one. Untrusted input: it never panics and
//! has a fuzz target (fuzz/fuzz_targets/whois.rs).

use std::collections::HashMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
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

/// One `key: value` of an answer, with where it stood.
#[derive(Debug)]
struct Pair {
    /// Lower case, without brackets, dot leaders or trailing colons.
    key: String,
    value: String,
    /// The header it stands under (`Registrant:`, `[Holder]`, `Tech`), normalised like a key;
    /// headers last until a blank line.
    section: Option<String>,
    /// Its paragraph: RPSL-style answers (AFNIC, CZ.NIC, ISNIC) keep one object to a paragraph.
    paragraph: usize,
    /// A line of a header's block (`Registrar:` then the name on the next line).
    block_item: bool,
}

/// The pairs of a WHOIS text. The shapes read: `Key: value` (with dot leaders too), a bare
/// `Key:` or `[Key]` or a short colon-less line as a header over the lines below it, indented
/// or colon-less lines continuing the key above, JPRS's `[Key]  value`.
fn pairs(text: &str) -> Vec<Pair> {
    let all: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut lines: Vec<String> = Vec::with_capacity(all.len());
    // Read backwards so that each comment knows the line after the comments below it.
    let mut next_is_text = false;
    for line in all.iter().rev() {
        let trimmed = line.trim();
        if !is_comment(trimmed) {
            next_is_text = !trimmed.is_empty();
            lines.push((*line).to_owned());
            continue;
        }
        // Hostmaster.ua titles its objects in comments: "% Registrar:" over "% =====".
        let title = trimmed[1..].trim();
        if let Some(title) = title.strip_suffix(':')
            && !title.is_empty()
            && title.len() <= 30
            && next_is_text
        {
            lines.push(format!("[{title}]"));
        }
    }
    lines.reverse();
    let mut out = Vec::new();
    let mut paragraph = 0;
    let mut section: Option<String> = None;
    // Lines read under the current header; a header followed by a blank line (Traficom's
    // "Holder", blank, fields) still governs the next paragraph.
    let mut under_section = 0;
    // The header whose block is open: colon-less lines are its values until a pair comes.
    let mut block: Option<String> = None;
    // The last pair's key: indented colon-less lines continue it (NASK's name servers).
    let mut last_key: Option<String> = None;
    let mut at_start = true;
    for (i, line) in lines.iter().enumerate() {
        let line = line.as_str();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if !at_start {
                paragraph += 1;
            }
            if under_section > 0 {
                section = None;
            }
            block = None;
            last_key = None;
            at_start = true;
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        let first = std::mem::replace(&mut at_start, false);
        let mut push = |key: &str, value: &str, block_item: bool| {
            out.push(Pair {
                key: key.to_owned(),
                value: value.trim().to_owned(),
                section: section.clone(),
                paragraph,
                block_item,
            });
        };
        // nic.lv: "[Holder]" alone on its line.
        if let Some(h) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
            && !h.contains([']', '['])
            && !h.trim().is_empty()
            && h.len() <= MAX_KEY
        {
            section = Some(normalise_key(h));
            under_section = 0;
            block = None;
            continue;
        }
        under_section += 1;
        if let Some((key, value)) = bracketed(trimmed) {
            push(&key, value, false);
            last_key = Some(key);
            block = None;
            continue;
        }
        match split_key(trimmed) {
            Some((key, "")) => {
                let next = lines.get(i + 1).map_or("", String::as_str);
                // A header over lines of its own ("Registrant:" then "name: …", SIDN's
                // "Registrar:" then the name indented), not an empty field before a blank line
                // or before the domain's next field (SIDN's "Abuse Contact:").
                let next_pair = split_key(next.trim());
                let has_block = !next.trim().is_empty()
                    && (next.starts_with([' ', '\t']) && !indented
                        || next_pair.is_none()
                        || first && next_pair.is_some_and(|(k, _)| !is_domain_key(&k)));
                if has_block {
                    section = Some(key.clone());
                    under_section = 0;
                    block = Some(key);
                }
                last_key = None;
            }
            Some((key, value)) => {
                push(&key, value, false);
                last_key = Some(key);
                block = None;
            }
            None => {
                if let Some(key) = &block {
                    push(key, trimmed, true);
                    // CIDR (.gg): "Registered on 30th April 2003 at 00:04:00.000".
                    if let Some((what, when)) = trimmed.split_once(" on ")
                        && !what.contains(' ')
                    {
                        push(&format!("{} on", normalise_key(what)), when, false);
                    }
                } else if let (Some(key), true) = (&last_key, indented) {
                    push(key, trimmed, false);
                } else if !indented && trimmed.chars().count() <= 40 {
                    // Traficom, KazNIC, Norid: "Holder", "Administrative Contact/Agent".
                    section = Some(normalise_key(trimmed));
                    under_section = 0;
                    last_key = None;
                }
            }
        }
    }
    out
}

/// A key or header longer than this is text, not a name: each pair carries its header, so an
/// unbounded one would be copied into every pair after it.
const MAX_KEY: usize = 48;

fn is_comment(line: &str) -> bool {
    line.starts_with('%') || line.starts_with('#') || line.starts_with(">>>")
}

/// `Key: value` with a key of words (no digits: "at 00:04" is a time, not a key) and a value
/// that is not the rest of a URL.
fn split_key(line: &str) -> Option<(String, &str)> {
    let (key, value) = line.split_once(':')?;
    let usable = !key.trim().is_empty()
        && key.len() <= MAX_KEY
        && !key.chars().any(|c| c.is_ascii_digit())
        && !value.starts_with("//");
    usable.then(|| (normalise_key(key), value.trim()))
}

/// JPRS: "[Created on]   2005/05/30", "a. [Domain Name]   X", "[登録年月日]   2010/09/22".
fn bracketed(line: &str) -> Option<(String, &str)> {
    let open = line.find('[')?;
    if open >= 4 {
        return None;
    }
    let (key, value) = line[open + 1..].split_once(']')?;
    (!key.trim().is_empty() && key.len() <= MAX_KEY).then(|| (normalise_key(key), value.trim()))
}

fn normalise_key(key: &str) -> String {
    key.trim()
        .trim_end_matches(':')
        .trim_end_matches('.')
        .trim()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

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

/// Whose words a pair is: the domain's own, or those of a contact it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Domain,
    Registrant,
    Registrar,
    /// Admin, tech, billing and other contacts, and RPSL objects: their dates, countries and
    /// states are not the domain's.
    Other,
    /// Notes about the database itself ("[Whois] Updated: …").
    Meta,
}

fn scope_of_header(header: &str) -> Scope {
    let has = |words: &[&str]| words.iter().any(|w| header.contains(w));
    if has(&["whois", "disclaimer", "copyright", "terms"]) {
        Scope::Meta
    } else if has(&["admin", "tech", "billing", "zone", "abuse", "reseller"]) {
        Scope::Other
    } else if has(&[
        "registrant",
        "holder",
        "owner",
        "organization using",
        "登録者",
    ]) {
        Scope::Registrant
    } else if header.contains("registrar") {
        Scope::Registrar
    } else if header.contains("contact") {
        Scope::Other
    } else {
        Scope::Domain
    }
}

/// The paragraphs of an RPSL-style answer: which one is the domain's, which describe other
/// things, and the objects by handle. Built once, indexed, so that no pair is looked up by
/// scanning the others (answers run to a megabyte).
struct Objects<'a> {
    domain: Option<usize>,
    /// Each paragraph's pairs, as a range of indices into the pairs.
    spans: Vec<std::ops::Range<usize>>,
    /// Paragraphs that describe something other than the domain.
    other: Vec<bool>,
    /// Paragraphs with ARIN's `OrgName`, whose `Country` is the holder's.
    arin_org: Vec<bool>,
    /// Objects by their lower-case handle (`nic-hdl:`, `contact:`).
    by_handle: HashMap<String, usize>,
    /// Paragraphs headed `registrar: HANDLE`, by lower-case handle.
    registrars: HashMap<String, usize>,
    pairs: &'a [Pair],
}

impl<'a> Objects<'a> {
    fn new(pairs: &'a [Pair]) -> Self {
        let count = pairs.last().map_or(0, |p| p.paragraph + 1);
        let mut spans = vec![0..0; count];
        for (i, p) in pairs.iter().enumerate() {
            let span = &mut spans[p.paragraph];
            if span.start == span.end {
                *span = i..i + 1;
            } else {
                span.end = i + 1;
            }
        }
        let top = |p: &&Pair| p.section.is_none();
        let domain = pairs
            .iter()
            .filter(top)
            // An address's block (RIPE's inetnum, ARIN's NetRange) stands in for the domain.
            .find(|p| {
                matches!(
                    p.key.as_str(),
                    "domain" | "domain name" | "inetnum" | "inet6num" | "netrange"
                )
            })
            .map(|p| p.paragraph);
        let mut objects = Objects {
            domain,
            other: vec![false; count],
            arin_org: vec![false; count],
            by_handle: HashMap::new(),
            registrars: HashMap::new(),
            spans,
            pairs,
        };
        for paragraph in 0..count {
            let span = objects.spans[paragraph].clone();
            let own = &pairs[span];
            objects.arin_org[paragraph] = own.iter().any(|p| p.key == "orgname");
            // The first key of a paragraph says what it is.
            let Some(first) = own.iter().find(top) else {
                continue;
            };
            if first.key == "registrar" {
                objects
                    .registrars
                    .entry(first.value.to_lowercase())
                    .or_insert(paragraph);
            }
            let object = domain.is_some_and(|d| d != paragraph)
                && matches!(
                    first.key.as_str(),
                    "nic-hdl" | "contact" | "role" | "person" | "registrar" | "nsset" | "keyset"
                );
            if object {
                objects.other[paragraph] = true;
                for p in own.iter().filter(top) {
                    if matches!(p.key.as_str(), "nic-hdl" | "contact") {
                        objects
                            .by_handle
                            .entry(p.value.to_lowercase())
                            .or_insert(paragraph);
                    }
                }
            }
        }
        objects
    }

    fn scope(&self, pair: &Pair) -> Scope {
        match &pair.section {
            Some(header) => scope_of_header(header),
            None if self.other[pair.paragraph] => Scope::Other,
            None => Scope::Domain,
        }
    }

    /// The pairs of the object `handle` names.
    fn object(&self, handle: &str) -> Option<&'a [Pair]> {
        let paragraph = *self.by_handle.get(&handle.to_lowercase())?;
        Some(&self.pairs[self.spans[paragraph].clone()])
    }

    /// The name in the object a registrar's handle heads, other than in `paragraph`.
    fn registrar_name(&self, handle: &str, paragraph: usize) -> Option<&'a str> {
        let object = *self.registrars.get(&handle.to_lowercase())?;
        if object == paragraph {
            return None;
        }
        self.pairs[self.spans[object].clone()]
            .iter()
            .find(|p| matches!(p.key.as_str(), "organization" | "organisation" | "org"))
            .map(|p| p.value.as_str())
    }
}

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

enum DateField {
    Created,
    Updated,
    Expires,
}

/// The many names registries give the three dates.
fn date_field(key: &str) -> Option<DateField> {
    Some(match key {
        "creation date"
        | "created"
        | "created on"
        | "created date"
        | "registered on"
        | "registered date"
        | "domain registration date"
        | "registered"
        | "registration date"
        | "domain created"
        | "record created"
        | "domain record activated"
        | "登録年月日" => DateField::Created,
        "updated date"
        | "last updated"
        | "changed"
        | "last-update"
        | "last modified"
        | "last updated date"
        | "last update"
        | "modified"
        | "updated"
        | "last updated on"
        | "domain record last updated"
        | "最終更新" => DateField::Updated,
        "registry expiry date"
        | "registrar registration expiration date"
        | "expiry date"
        | "expiration date"
        | "expires"
        | "expires on"
        | "expire"
        | "paid-till"
        | "renewal date"
        | "expire date"
        | "record expires"
        | "domain expires"
        | "有効期限" => DateField::Expires,
        _ => return None,
    })
}

fn is_name_server_key(key: &str) -> bool {
    matches!(
        key,
        "name server"
            | "nserver"
            | "name servers"
            | "host name"
            | "nameserver"
            | "nameservers"
            | "domain nameservers"
            | "primary server"
            | "secondary server"
    )
}

/// A key that is the domain's own, never the first line under a contact's header.
fn is_domain_key(key: &str) -> bool {
    date_field(key).is_some()
        || is_name_server_key(key)
        || matches!(key, "domain status" | "status" | "dnssec" | "domain name")
}

fn is_registrant_key(section: Option<&str>) -> bool {
    matches!(
        section,
        Some("registrant" | "holder" | "owner" | "domain holder" | "registrant name")
    )
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

/// A piece of a date as written: a run of digits, of letters, or one other character.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Number(u32, usize),
    Word(&'a str),
    Mark(char),
}

fn tokens(value: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        let run = |f: fn(char) -> bool| rest.find(|c: char| !f(c)).unwrap_or(rest.len());
        let len = if c.is_ascii_digit() {
            let n = run(|c| c.is_ascii_digit());
            // Nine digits or more is no part of a date; saturate rather than overflow.
            out.push(Token::Number(rest[..n].parse().unwrap_or(u32::MAX), n));
            n
        } else if c.is_alphabetic() {
            let n = run(char::is_alphabetic);
            out.push(Token::Word(&rest[..n]));
            n
        } else {
            if !c.is_whitespace() {
                out.push(Token::Mark(c));
            }
            c.len_utf8()
        };
        rest = &rest[len..];
    }
    out
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// 1 to 12 for "Jun", "June", "Sept", "SEPTEMBER"; `None` for other words.
fn month(word: &str) -> Option<u32> {
    let lower = word.to_lowercase();
    let index = MONTHS
        .iter()
        .position(|m| lower.len() >= 3 && m.starts_with(lower.as_str()))?;
    Some(index as u32 + 1)
}

/// Offsets of the zone names registries print. CST is China's: CNNIC is the one that writes
/// it, and its dates are marked so by the caller.
fn zone(word: &str) -> Option<i32> {
    Some(match word.to_ascii_uppercase().as_str() {
        "Z" | "UTC" | "GMT" | "UT" => 0,
        "CET" => 60,
        "CEST" | "EET" => 120,
        "EEST" | "MSK" => 180,
        "CST" => 480,
        "JST" | "KST" => 540,
        "AEST" => 600,
        "AEDT" => 660,
        "BRT" | "CLST" => -180,
        "CLT" | "EDT" => -240,
        "EST" => -300,
        "PDT" => -420,
        "PST" => -480,
        _ => return None,
    })
}

/// A WHOIS date in any of the registries' forms, as RFC 3339 UTC; `None` when unreadable.
///
/// Written here rather than taken from a crate: the date-guessing crates (dateparser,
/// chrono's formats) know the common forms but not the registries' — "2007. 03. 02." (KISA),
/// "19990221 #36387" (registro.br), "30th April 2003 at 00:04:00.000" (CIDR), "2.6.2020"
/// (Traficom), "2002-12-04 00:00:00+02" (Hostmaster.ua), "(GMT+0:00)" (KazNIC). The text is
/// read as numbers, words and marks: a time is `h:m[:s[.f]]`, an offset follows it, a word is
/// a month or a zone, and the other numbers are the date, year first or last.
pub fn normalise_date(value: &str) -> Option<String> {
    let value = value.trim();
    if value.len() > 64 {
        return None;
    }
    // registro.br: "19990221 #36387" (the number after # is a ticket).
    let value = value.split(" #").next().unwrap_or(value);
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return format(t);
    }
    let tokens = tokens(value);
    let mut numbers: Vec<(u32, usize)> = Vec::new();
    let mut month_word = None;
    let mut time: Option<(u32, u32, u32)> = None;
    let mut offset_minutes: Option<i32> = None;
    // An offset written as a number wins over a zone's name ("GMT+0:00").
    let mut signed = false;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            Token::Number(h, _)
                if time.is_none() && tokens.get(i + 1) == Some(&Token::Mark(':')) =>
            {
                let Some(Token::Number(m, _)) = tokens.get(i + 2) else {
                    return None;
                };
                let mut s = 0;
                i += 3;
                if tokens.get(i) == Some(&Token::Mark(':'))
                    && let Some(Token::Number(sec, _)) = tokens.get(i + 1)
                {
                    s = *sec;
                    i += 2;
                }
                // Fractions of a second are dropped.
                if tokens.get(i) == Some(&Token::Mark('.'))
                    && matches!(tokens.get(i + 1), Some(Token::Number(..)))
                {
                    i += 2;
                }
                time = Some((h, *m, s));
                continue;
            }
            Token::Mark(sign @ ('+' | '-')) if time.is_some() && !signed => {
                signed = true;
                // "+03:00", "-0700", "+02", "GMT+0:00".
                let Some(Token::Number(n, digits)) = tokens.get(i + 1) else {
                    return None;
                };
                let (hours, mut minutes) = if *digits == 4 {
                    (n / 100, n % 100)
                } else {
                    (*n, 0)
                };
                i += 2;
                if tokens.get(i) == Some(&Token::Mark(':'))
                    && let Some(Token::Number(m, _)) = tokens.get(i + 1)
                {
                    minutes = *m;
                    i += 2;
                }
                if hours > 14 || minutes > 59 {
                    return None;
                }
                let total = (hours * 60 + minutes) as i32;
                offset_minutes = Some(if sign == '-' { -total } else { total });
                continue;
            }
            Token::Number(n, digits) => numbers.push((n, digits)),
            Token::Word(w) => {
                if let Some(m) = month(w) {
                    month_word = Some(m);
                } else if let Some(z) = zone(w)
                    && offset_minutes.is_none()
                {
                    offset_minutes = Some(z);
                }
            }
            Token::Mark(_) => {}
        }
        i += 1;
    }
    let (year, month, day) = match (month_word, numbers.as_slice()) {
        (None, [(n, 8)]) => (n / 10000, n / 100 % 100, n % 100),
        (Some(month), [(a, _), (b, _)]) => {
            let (year, day) = if *a > 31 { (*a, *b) } else { (*b, *a) };
            (year, month, day)
        }
        (None, [(y, 4), (m, _), (d, _)]) => (*y, *m, *d),
        (None, [(d, _), (m, _), (y, 4)]) if *m <= 12 => (*y, *m, *d),
        // 06/13/2008: month first when the middle number cannot be a month.
        (None, [(m, _), (d, _), (y, 4)]) => (*y, *m, *d),
        _ => return None,
    };
    // No domain was registered before 1985; "0001-01-01" is a registry's empty value.
    if !(1985..=9999).contains(&year) {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let (h, m, s) = time.unwrap_or((0, 0, 0));
    let clock = time::Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    let offset = UtcOffset::from_whole_seconds(offset_minutes.unwrap_or(0) * 60).ok()?;
    format(PrimitiveDateTime::new(date, clock).assume_offset(offset))
}

fn format(t: OffsetDateTime) -> Option<String> {
    // `to_offset` panics past year 9999; a hostile date must not.
    let utc = t.checked_to_offset(UtcOffset::UTC)?;
    if utc.year() < 1985 {
        return None;
    }
    utc.format(&Rfc3339).ok()
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
    fn registry_date_forms() {
        for (written, utc) in [
            ("2019-09-09T08:39:04-0700", "2019-09-09T15:39:04Z"),
            ("2002-12-04 00:00:00+02", "2002-12-03T22:00:00Z"),
            ("2010-07-04 04:34:46 +03:00", "2010-07-04T01:34:46Z"),
            ("1999-06-07 13:01:43 (GMT+0:00)", "1999-06-07T13:01:43Z"),
            ("2002-10-22 17:48:23 CLST", "2002-10-22T20:48:23Z"),
            ("2019-11-01 12:21:37.677445", "2019-11-01T12:21:37Z"),
            ("30.6.2006 00:00:00", "2006-06-30T00:00:00Z"),
            ("2002.09.19 13:00:00", "2002-09-19T13:00:00Z"),
            ("Tue Dec 12 2000", "2000-12-12T00:00:00Z"),
            ("January 18 2000", "2000-01-18T00:00:00Z"),
            ("21-March-2002", "2002-03-21T00:00:00Z"),
            ("30th April 2003 at 00:04:00.000", "2003-04-30T00:04:00Z"),
            ("06/13/2008", "2008-06-13T00:00:00Z"),
            ("2007. 03. 02.", "2007-03-02T00:00:00Z"),
            ("19990221 #36387", "1999-02-21T00:00:00Z"),
        ] {
            assert_eq!(normalise_date(written).as_deref(), Some(utc), "{written}");
        }
    }

    #[test]
    fn impossible_or_placeholder_dates_are_none_not_panics() {
        for written in [
            "0001-01-01T00:00:00Z",
            "1970-01-01",
            "2021-02-30",
            "2021-13-45",
            "25:61:00 2021-01-01",
            "2021-01-01 10:00:00 +99:00",
            "99999999999999999999-01-01",
            "2021-01-01 10:",
            "日本 2021 年",
            "Marchéé 1 2020 ñ",
            "1 2 3 4 5 6 7",
            ":::::+-+-",
        ] {
            assert_eq!(normalise_date(written), None, "{written}");
        }
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
