//! Registration data as netcheck reports it: who registered a name (or holds an address block),
//! when, with which name servers and status. Both protocols that give it fill the same
//! [`Registration`]: RDAP from its JSON (`rdap/`), WHOIS from its text (`whois::parse`); the
//! registration check merges them, RDAP first. The registries' ways of writing a date, which
//! both need, are read by [`dates`]; how much of their raw answers a report keeps is [`kept`]'s.

pub mod dates;
pub mod kept;

use serde::{Deserialize, Serialize};

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
