//! The second layer: whose words each pair is. RPSL-style answers (AFNIC, CZ.NIC, ISNIC,
//! NIC.ar, the RIRs) keep one object to a paragraph — the domain, its holder, contacts, a
//! registrar, an nsset — found here by their first key and indexed by handle, so that a
//! holder's handle leads to its object without scanning the answer again; headers
//! (`Registrant:`, `[Holder]`, `Tech`) scope the pairs under them.

use std::collections::HashMap;

use super::lines::Pair;

/// Whose words a pair is: the domain's own, or those of a contact it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
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
pub(super) struct Objects<'a> {
    pub(super) domain: Option<usize>,
    /// Each paragraph's pairs, as a range of indices into the pairs.
    spans: Vec<std::ops::Range<usize>>,
    /// Paragraphs that describe something other than the domain.
    other: Vec<bool>,
    /// Paragraphs with ARIN's `OrgName`, whose `Country` is the holder's.
    pub(super) arin_org: Vec<bool>,
    /// Objects by their lower-case handle (`nic-hdl:`, `contact:`).
    by_handle: HashMap<String, usize>,
    /// Paragraphs headed `registrar: HANDLE`, by lower-case handle.
    registrars: HashMap<String, usize>,
    pairs: &'a [Pair],
}

impl<'a> Objects<'a> {
    pub(super) fn new(pairs: &'a [Pair]) -> Self {
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

    pub(super) fn scope(&self, pair: &Pair) -> Scope {
        match &pair.section {
            Some(header) => scope_of_header(header),
            None if self.other[pair.paragraph] => Scope::Other,
            None => Scope::Domain,
        }
    }

    /// The pairs of the object `handle` names.
    pub(super) fn object(&self, handle: &str) -> Option<&'a [Pair]> {
        let paragraph = *self.by_handle.get(&handle.to_lowercase())?;
        Some(&self.pairs[self.spans[paragraph].clone()])
    }

    /// The name in the object a registrar's handle heads, other than in `paragraph`.
    pub(super) fn registrar_name(&self, handle: &str, paragraph: usize) -> Option<&'a str> {
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
