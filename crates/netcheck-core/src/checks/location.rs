//! The `location` check: where each address of the target is (city, region, country,
//! coordinates) and whose network it is in (AS number and organisation). The traceroute check
//! places its hops with the same databases.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::check::{Check, CheckError, CheckMeta, Context, Facts};
use crate::geo::Location;
use crate::report::Finding;

crate::finding_codes! {
    /// A geolocation or ASN database could not be read.
    GEO_DATABASE_PROBLEM = "geo_database_problem", Warning;
    /// Where an address is and whose network it is in.
    LOCATION = "location", Info;
}

pub static META: CheckMeta = CheckMeta {
    id: "location",
    title: "Location",
    summary: "City, region, country, coordinates and network owner (ASN) of every address",
    needs_privileges: false,
    default_timeout: Duration::from_secs(10),
    codes: CODES,
};

pub struct LocationCheck;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LocationReport {
    pub locations: Vec<Location>,
    /// What the data's licences ask to be shown with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<String>,
    /// Databases that could not be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl Check for LocationCheck {
    const META: &'static CheckMeta = &META;
    type Facts = LocationReport;

    async fn run(&self, ctx: &Context, _deadline: Instant) -> Result<LocationReport, CheckError> {
        // Placing sends nothing: every vetted address is placed, the budget's left-outs too.
        let probed = ctx.addresses_to_probe("locate").await?;
        let addresses = [probed.addresses, probed.left_out].concat();
        let placed = ctx.place(addresses).await.map_err(CheckError::Skipped)?;
        Ok(LocationReport {
            locations: placed.locations,
            attribution: placed.attribution,
            problems: placed.problems,
        })
    }
}

impl Facts for LocationReport {
    fn assess(&self) -> Vec<Finding> {
        assess(self)
    }
}

pub fn assess(report: &LocationReport) -> Vec<Finding> {
    let mut findings = Vec::new();
    for p in &report.problems {
        findings.push(Finding::warning(&GEO_DATABASE_PROBLEM, p.clone()));
    }
    for l in &report.locations {
        let message = match (&l.reserved, &l.country_code) {
            (Some(label), _) => format!("{} is {label}: it has no public location", l.address),
            (None, Some(cc)) => {
                let place = [l.city.as_deref(), l.region.as_deref(), Some(cc.as_str())]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                let owner = l
                    .asn
                    .map(|n| format!(", AS{n} {}", l.as_organization.clone().unwrap_or_default()))
                    .unwrap_or_default();
                format!("{}: {place}{owner}", l.address)
            }
            (None, None) => match l.asn {
                Some(n) => format!(
                    "{}: AS{n} {} (no location in the database)",
                    l.address,
                    l.as_organization.clone().unwrap_or_default()
                ),
                None => format!("{}: not in the geolocation database", l.address),
            },
        };
        findings.push(Finding::info(&LOCATION, message));
    }
    findings
}
