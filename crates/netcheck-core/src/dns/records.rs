//! DNS records as the report shows them: typed, serialisable, independent of hickory's types.

use hickory_proto::rr::{RData, Record as WireRecord};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Record {
    /// Owner name, absolute, without the trailing dot.
    pub name: String,
    pub ttl: u32,
    #[serde(flatten)]
    pub data: RecordData,
}

/// The record types netcheck reads; anything else is kept as presentation text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum RecordData {
    A {
        address: std::net::Ipv4Addr,
    },
    Aaaa {
        address: std::net::Ipv6Addr,
    },
    Cname {
        target: String,
    },
    Mx {
        preference: u16,
        exchange: String,
    },
    Ns {
        name: String,
    },
    Txt {
        text: String,
    },
    Soa {
        mname: String,
        rname: String,
        serial: u32,
        refresh: i32,
        retry: i32,
        expire: i32,
        minimum: u32,
    },
    Caa {
        critical: bool,
        tag: String,
        value: String,
    },
    Other {
        rtype: String,
        text: String,
    },
}

/// Presentation form of a name: lower case, no trailing dot (the root stays ".").
pub fn name_text(name: &hickory_proto::rr::Name) -> String {
    let s = name.to_ascii().to_ascii_lowercase();
    match s.strip_suffix('.') {
        Some("") | None => s,
        Some(stripped) => stripped.to_owned(),
    }
}

impl Record {
    pub fn from_wire(record: &WireRecord) -> Record {
        let data = match &record.data {
            RData::A(a) => RecordData::A { address: a.0 },
            RData::AAAA(a) => RecordData::Aaaa { address: a.0 },
            RData::CNAME(c) => RecordData::Cname {
                target: name_text(&c.0),
            },
            RData::MX(mx) => RecordData::Mx {
                preference: mx.preference,
                exchange: name_text(&mx.exchange),
            },
            RData::NS(ns) => RecordData::Ns {
                name: name_text(&ns.0),
            },
            RData::TXT(txt) => RecordData::Txt {
                // RFC 7208 §3.3: character-strings of one TXT record are joined without spaces.
                text: txt
                    .txt_data
                    .iter()
                    .map(|s| String::from_utf8_lossy(s))
                    .collect(),
            },
            RData::SOA(soa) => RecordData::Soa {
                mname: name_text(&soa.mname),
                rname: name_text(&soa.rname),
                serial: soa.serial,
                refresh: soa.refresh,
                retry: soa.retry,
                expire: soa.expire,
                minimum: soa.minimum,
            },
            RData::CAA(caa) => RecordData::Caa {
                critical: caa.issuer_critical,
                tag: caa.tag.clone(),
                value: String::from_utf8_lossy(&caa.value).into_owned(),
            },
            other => RecordData::Other {
                rtype: record.record_type().to_string(),
                text: other.to_string(),
            },
        };
        Record {
            name: name_text(&record.name),
            ttl: record.ttl,
            data,
        }
    }

    /// The record's value in zone-file presentation, for text output.
    pub fn value_text(&self) -> String {
        match &self.data {
            RecordData::A { address } => address.to_string(),
            RecordData::Aaaa { address } => address.to_string(),
            RecordData::Cname { target } => target.clone(),
            RecordData::Mx {
                preference,
                exchange,
            } => format!("{preference} {exchange}"),
            RecordData::Ns { name } => name.clone(),
            RecordData::Txt { text } => format!("{text:?}"),
            RecordData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => {
                format!("{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}")
            }
            RecordData::Caa {
                critical,
                tag,
                value,
            } => format!("{} {tag} {value:?}", u8::from(*critical) * 128),
            RecordData::Other { text, .. } => text.clone(),
        }
    }
}
