//! What differs between regions: the facts that tell a GeoDNS answer, a CDN node, a block or a
//! slow path apart. Read from each completed region's report: its A/AAAA answers, the
//! certificate served (SHA-256 of the leaf), the HTTP status, connect and first-byte times,
//! ping loss, and the last hop the trace reached. A fact is named only when regions disagree on
//! it; times only when the slowest region is at least twice the fastest and 50 ms slower, since
//! times always differ a little.

use netcheck_core::Report;
use netcheck_core::report::Section;
use serde::{Deserialize, Serialize};

use crate::regions::{Outcome, RegionReport};

/// One fact on which regions disagree, and each region's value of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Difference {
    /// `addresses`, `certificate`, `status`, `connect_ms`, `first_byte_ms`, `loss`, `last_hop`.
    pub fact: String,
    /// `(region, value)`, in the regions' order.
    pub values: Vec<(String, String)>,
}

fn section<'a>(report: &'a Report, id: &str) -> Option<&'a Section> {
    report.check(id).and_then(|c| c.data.as_ref())
}

fn addresses(r: &Report) -> Option<String> {
    let Some(Section::Dns(d)) = section(r, "dns") else {
        return None;
    };
    let mut list: Vec<String> = d.addresses.iter().map(ToString::to_string).collect();
    list.sort();
    Some(if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    })
}

fn certificate(r: &Report) -> Option<String> {
    let Some(Section::Tls(t)) = section(r, "tls") else {
        return None;
    };
    t.chain.first().map(|leaf| leaf.sha256_fingerprint.clone())
}

fn status(r: &Report) -> Option<String> {
    let Some(Section::Site(s)) = section(r, "site") else {
        return None;
    };
    Some(match (s.status, s.error()) {
        (Some(code), _) => code.to_string(),
        (None, Some(e)) => format!("no answer: {}", e.message()),
        (None, None) => "no answer".into(),
    })
}

fn site_time(r: &Report, first_byte: bool) -> Option<f64> {
    let Some(Section::Site(s)) = section(r, "site") else {
        return None;
    };
    if first_byte {
        s.timings.first_byte_ms
    } else {
        s.timings.connect_ms
    }
}

fn loss(r: &Report) -> Option<String> {
    let Some(Section::Ping(p)) = section(r, "ping") else {
        return None;
    };
    if p.targets.is_empty() {
        return None;
    }
    let mean = p.targets.iter().map(|t| t.loss_percent).sum::<f64>() / p.targets.len() as f64;
    Some(format!("{mean:.0}%"))
}

fn last_hop(r: &Report) -> Option<String> {
    let Some(Section::Traceroute(t)) = section(r, "traceroute") else {
        return None;
    };
    let trace = t.targets.first()?;
    let last = trace.hops.iter().rev().find(|h| !h.addresses.is_empty());
    Some(match (last, trace.reached) {
        (Some(h), true) => format!("reached at hop {}", h.ttl),
        (Some(h), false) => format!(
            "stops at hop {} ({})",
            h.ttl,
            h.addresses
                .first()
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        (None, _) => "no hop answered".into(),
    })
}

/// Reads one fact of a report, in words.
type Reader = fn(&Report) -> Option<String>;

/// Every fact on which the completed regions disagree.
pub fn differences(regions: &[RegionReport]) -> Vec<Difference> {
    let done: Vec<(&str, &Report)> = regions
        .iter()
        .filter(|r| r.outcome == Outcome::Completed)
        .filter_map(|r| r.report.as_ref().map(|rep| (r.region.as_str(), rep)))
        .collect();
    let mut out = Vec::new();
    let facts: [(&str, Reader); 5] = [
        ("addresses", addresses),
        ("certificate", certificate),
        ("status", status),
        ("loss", loss),
        ("last_hop", last_hop),
    ];
    for (fact, read) in facts {
        let values: Vec<(String, String)> = done
            .iter()
            .filter_map(|(region, r)| read(r).map(|v| ((*region).to_owned(), v)))
            .collect();
        if values.len() >= 2 && values.iter().any(|(_, v)| *v != values[0].1) {
            out.push(Difference {
                fact: fact.into(),
                values,
            });
        }
    }
    for (fact, first_byte) in [("connect_ms", false), ("first_byte_ms", true)] {
        let times: Vec<(String, f64)> = done
            .iter()
            .filter_map(|(region, r)| site_time(r, first_byte).map(|t| ((*region).to_owned(), t)))
            .collect();
        let min = times.iter().map(|(_, t)| *t).fold(f64::INFINITY, f64::min);
        let max = times.iter().map(|(_, t)| *t).fold(0.0, f64::max);
        if times.len() >= 2 && max >= 2.0 * min && max - min >= 50.0 {
            out.push(Difference {
                fact: fact.into(),
                values: times
                    .into_iter()
                    .map(|(region, t)| (region, format!("{t:.0}")))
                    .collect(),
            });
        }
    }
    out
}
