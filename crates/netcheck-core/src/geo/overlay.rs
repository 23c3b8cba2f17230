//! A location overlay (`--locations FILE`): the operator's own places for address blocks,
//! which win over the databases and also place private and reserved ranges, which no database
//! knows. It puts an intranet's routers on the map, and the testbed's 198.18.0.0/15 hosts.
//!
//! The file is CSV, one block a line, `#` starting a comment:
//!
//! ```text
//! cidr,city,country,latitude,longitude,network
//! 198.18.1.0/24,Seoul,KR,37.57,126.98,Testbed Seoul
//! ```
//!
//! `country` is an ISO 3166-1 alpha-2 code (two capitals) or a country's name; `network` names
//! the network's owner, as an ASN organisation would. The most specific block that holds an
//! address places it.

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;

use super::Location;

/// Where the operator says a block is.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub block: IpNet,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub network: Option<String>,
}

/// The operator's places, most specific block first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlay {
    places: Vec<Place>,
}

fn field(record: &csv::StringRecord, i: usize) -> Option<String> {
    record
        .get(i)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Overlay {
    /// Reads the overlay file at `path`.
    pub fn read(path: &Path) -> Result<Overlay, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Overlay::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads overlay text; an error names the line.
    pub fn parse(text: &str) -> Result<Overlay, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut places = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let record = record.map_err(|e| format!("line {}: {e}", n + 1))?;
            let line = record.position().map_or(n as u64 + 1, |p| p.line());
            let Some(cidr) = field(&record, 0) else {
                continue;
            };
            if cidr == "cidr" {
                continue;
            }
            let block: IpNet = cidr
                .parse()
                .or_else(|_| cidr.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("line {line}: '{cidr}' is not an address block (CIDR)"))?;
            let number = |i: usize, what: &str, bound: f64| -> Result<Option<f64>, String> {
                match field(&record, i) {
                    None => Ok(None),
                    Some(v) => match v.parse::<f64>() {
                        Ok(x) if x.abs() <= bound => Ok(Some(x)),
                        _ => Err(format!("line {line}: '{v}' is not a {what}")),
                    },
                }
            };
            places.push(Place {
                block: block.trunc(),
                city: field(&record, 1),
                country: field(&record, 2),
                latitude: number(3, "latitude (-90 to 90)", 90.0)?,
                longitude: number(4, "longitude (-180 to 180)", 180.0)?,
                network: field(&record, 5),
            });
        }
        places.sort_by_key(|p| std::cmp::Reverse(p.block.prefix_len()));
        Ok(Overlay { places })
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The most specific place that holds `address`.
    pub fn find(&self, address: IpAddr) -> Option<&Place> {
        self.places.iter().find(|p| p.block.contains(&address))
    }

    /// Puts `location` where the overlay says, when it says: its fields replace the databases'.
    pub fn apply(&self, location: &mut Location) {
        let Some(place) = self.find(location.address) else {
            return;
        };
        if place.city.is_some() {
            location.city = place.city.clone();
            location.region = None;
        }
        if let Some(country) = &place.country {
            let code = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
            if code {
                location.country_code = Some(country.clone());
                location.country = None;
            } else {
                location.country = Some(country.clone());
                location.country_code = None;
            }
        }
        if place.latitude.is_some() && place.longitude.is_some() {
            location.latitude = place.latitude;
            location.longitude = place.longitude;
        }
        if place.network.is_some() {
            location.as_organization = place.network.clone();
            location.asn = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_block_places_an_address_private_ones_included() {
        let overlay = Overlay::parse(
            "# the lab\ncidr,city,country,latitude,longitude,network\n\
             10.0.0.0/8,Anywhere,NL,52.37,4.90,Corp\n\
             10.1.2.0/24, Seoul ,KR,37.57,126.98,Corp Seoul\n\
             198.18.0.1,Testbed,Atlantis,,,\n",
        )
        .unwrap();
        let mut loc = Location::unknown("10.1.2.3".parse().unwrap());
        loc.reserved = Some("private (RFC 1918)".into());
        overlay.apply(&mut loc);
        assert_eq!(loc.city.as_deref(), Some("Seoul"));
        assert_eq!(loc.country_code.as_deref(), Some("KR"));
        assert_eq!((loc.latitude, loc.longitude), (Some(37.57), Some(126.98)));
        assert_eq!(loc.as_organization.as_deref(), Some("Corp Seoul"));
        let mut other = Location::unknown("10.9.9.9".parse().unwrap());
        overlay.apply(&mut other);
        assert_eq!(other.city.as_deref(), Some("Anywhere"));
        let mut named = Location::unknown("198.18.0.1".parse().unwrap());
        overlay.apply(&mut named);
        assert_eq!(named.country.as_deref(), Some("Atlantis"));
        assert_eq!(named.latitude, None);
        let mut outside = Location::unknown("8.8.8.8".parse().unwrap());
        overlay.apply(&mut outside);
        assert_eq!(outside, Location::unknown("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn a_bad_line_is_named() {
        let e = Overlay::parse("10.0.0.0/8,a,b,1,2,c\nnot-a-block,x\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("not-a-block"), "{e}");
        let e = Overlay::parse("10.0.0.0/8,a,b,95,2,c\n").unwrap_err();
        assert!(e.contains("latitude"), "{e}");
    }
}
