//! Geolocation and ASN, with databases made in the test by MaxMind's own writer
//! (MaxMind::DB::Writer, Debian's libmaxmind-db-writer-perl), and with the real data where
//! scripts/geodata installed it.

use std::path::{Path, PathBuf};
use std::process::Command;

use netcheck_core::Status;
use netcheck_core::checks::location::LocationReport;
use netcheck_core::report::Section;

use crate::{check, run};

/// Writes an mmdb with one network and one record, `fields` as Perl hash entries and `types`
/// the MaxMind type of each key.
fn write_mmdb(path: &Path, database_type: &str, network: &str, record: &str, types: &str) {
    let script = format!(
        r#"use MaxMind::DB::Writer::Tree;
my %types = ({types});
my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version => 6, record_size => 24, database_type => '{database_type}',
  languages => ['en'], description => {{ en => 'netcheck test' }},
  map_key_type_callback => sub {{ $types{{ $_[0] }} }}, alias_ipv6_to_ipv4 => 1);
$tree->insert_network('{network}', {{ {record} }});
open my $fh, '>:raw', $ARGV[0] or die $!;
$tree->write_tree($fh);
"#
    );
    let status = Command::new("perl")
        .arg("-e")
        .arg(&script)
        .arg(path)
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "perl MaxMind::DB::Writer failed (is libmaxmind-db-writer-perl installed? scripts/setup installs it)"
    );
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("netcheck-geo-{}-{name}", std::process::id()))
}

fn data(report: &netcheck_core::Report) -> &LocationReport {
    match &check(report, "location").data {
        Some(Section::Location(l)) => l,
        other => panic!("no location data: {other:?}"),
    }
}

fn config(city: Vec<PathBuf>, asn: Vec<PathBuf>) -> crate::Setup {
    crate::Setup {
        options: netcheck_core::RunOptions {
            checks: vec!["location".into()],
            ..Default::default()
        },
        settings: netcheck_core::Settings {
            geoip_city: city,
            geoip_asn: asn,
            ..Default::default()
        },
    }
}

#[tokio::test]
async fn a_dbip_shaped_database_and_an_asn_table_place_an_address() {
    let city = temp("dbip-city-test.mmdb");
    write_mmdb(
        &city,
        "DBIP-City-Lite-test",
        "8.8.8.0/24",
        "city => 'Mountain View', state1 => 'California', country_code => 'US', latitude => 37.4056, longitude => -122.0775",
        "city => 'utf8_string', state1 => 'utf8_string', country_code => 'utf8_string', latitude => 'float', longitude => 'float'",
    );
    let asn = temp("asn.csv");
    std::fs::write(
        &asn,
        "8.8.8.0,8.8.8.255,15169,Google LLC\n1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n",
    )
    .unwrap();
    let report = run("8.8.8.8", config(vec![city.clone()], vec![asn.clone()])).await;
    let l = &data(&report).locations[0];
    assert_eq!(
        (
            l.city.as_deref(),
            l.region.as_deref(),
            l.country_code.as_deref()
        ),
        (Some("Mountain View"), Some("California"), Some("US"))
    );
    // DB-IP's coordinates are 32-bit floats: compare at that precision.
    assert!(
        (l.latitude.unwrap() - 37.4056).abs() < 1e-4
            && (l.longitude.unwrap() + 122.0775).abs() < 1e-4,
        "{l:?}"
    );
    assert_eq!(
        (l.asn, l.as_organization.as_deref()),
        (Some(15169), Some("Google LLC"))
    );
    assert!(
        data(&report)
            .attribution
            .iter()
            .any(|a| a.contains("DB-IP")),
        "DB-IP data carries its attribution"
    );
    // An address the database does not hold is said to be unknown, not placed anywhere.
    let report = run("9.9.9.9", config(vec![city.clone()], vec![asn.clone()])).await;
    assert_eq!(data(&report).locations[0].country_code, None);
    let _ = std::fs::remove_file(city);
    let _ = std::fs::remove_file(asn);
}

#[tokio::test]
async fn runs_one_after_another_and_at_once_share_one_read_of_a_database() {
    let city = temp("dbip-city-shared.mmdb");
    write_mmdb(
        &city,
        "DBIP-City-Lite-test",
        "1.1.1.0/24",
        "country_code => 'AU'",
        "country_code => 'utf8_string'",
    );
    assert_eq!(netcheck_core::geo::times_read(&city), 0);
    let setup = || config(vec![city.clone()], vec![]);
    let first = run("1.1.1.1", setup()).await;
    let (second, third) = tokio::join!(run("1.1.1.1", setup()), run("1.1.1.2", setup()));
    for report in [&first, &second, &third] {
        assert_eq!(
            data(report).locations[0].country_code.as_deref(),
            Some("AU")
        );
    }
    assert_eq!(netcheck_core::geo::times_read(&city), 1);
    // A file rewritten on disk (here of another size) is another file: the next run reads it.
    write_mmdb(
        &city,
        "DBIP-City-Lite-test",
        "1.1.1.0/24",
        "country_code => 'NZ', city => 'Wellington'",
        "country_code => 'utf8_string', city => 'utf8_string'",
    );
    let after = run("1.1.1.1", setup()).await;
    assert_eq!(
        data(&after).locations[0].country_code.as_deref(),
        Some("NZ")
    );
    assert_eq!(netcheck_core::geo::times_read(&city), 2);
    let _ = std::fs::remove_file(city);
}

#[tokio::test]
async fn a_geolite2_shaped_database_is_read_too() {
    let city = temp("geolite2-city-test.mmdb");
    write_mmdb(
        &city,
        "GeoLite2-City",
        "1.1.1.0/24",
        "city => { names => { en => 'Sydney' } }, subdivisions => [ { names => { en => 'New South Wales' } } ], country => { iso_code => 'AU', names => { en => 'Australia' } }, location => { latitude => -33.8688, longitude => 151.209 }",
        "city => 'map', names => 'map', en => 'utf8_string', subdivisions => ['array', 'map'], country => 'map', iso_code => 'utf8_string', location => 'map', latitude => 'double', longitude => 'double'",
    );
    let report = run("1.1.1.1", config(vec![city.clone()], vec![])).await;
    let l = &data(&report).locations[0];
    assert_eq!(
        (
            l.city.as_deref(),
            l.country.as_deref(),
            l.country_code.as_deref()
        ),
        (Some("Sydney"), Some("Australia"), Some("AU"))
    );
    assert!(
        data(&report).attribution.is_empty(),
        "no DB-IP data, no DB-IP attribution"
    );
    let _ = std::fs::remove_file(city);
}

#[tokio::test]
async fn private_and_reserved_addresses_are_labelled_not_looked_up() {
    let report = run("198.18.0.1", config(vec![], vec![])).await;
    let l = &data(&report).locations[0];
    assert_eq!(l.reserved.as_deref(), Some("benchmarking (RFC 2544)"));
    assert_eq!(l.country_code, None);
    // A public address without any database: the check says how to get one.
    let report = run(
        "8.8.8.8",
        config(vec![PathBuf::from("/nonexistent/city.mmdb")], vec![]),
    )
    .await;
    let loc = check(&report, "location");
    assert_eq!(loc.status, Status::Skipped);
    assert!(
        loc.error
            .as_deref()
            .is_some_and(|e| e.contains("scripts/geodata") && e.contains("/nonexistent/city.mmdb")),
        "{:?}",
        loc.error
    );
}

#[tokio::test]
async fn the_installed_data_knows_famous_addresses() {
    let (city, asn) = netcheck_core::geo::default_files();
    if city.is_empty() || asn.is_empty() {
        if std::env::var("NETCHECK_REQUIRE_GEODATA").is_ok_and(|v| v == "1") {
            panic!(
                "NETCHECK_REQUIRE_GEODATA=1 but scripts/geodata has not installed the databases"
            );
        }
        eprintln!(
            "SKIPPED the_installed_data_knows_famous_addresses: run scripts/geodata to install the data"
        );
        return;
    }
    let report = run("8.8.8.8", config(vec![], vec![])).await;
    let l = &data(&report).locations[0];
    assert_eq!(l.country_code.as_deref(), Some("US"), "{l:?}");
    assert_eq!(l.asn, Some(15169), "{l:?}");
    let report = run("1.1.1.1", config(vec![], vec![])).await;
    assert_eq!(data(&report).locations[0].asn, Some(13335));
    let report = run("2606:4700:4700::1111", config(vec![], vec![])).await;
    assert_eq!(data(&report).locations[0].asn, Some(13335), "IPv6 too");
}
