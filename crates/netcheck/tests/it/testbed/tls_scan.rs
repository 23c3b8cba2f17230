//! The TLS scan end to end in the testbed: on every TLS-scan site (`legacy`, `tls13`, `dhe`,
//! `serverorder`, `clientorder`, `stapled`; see the testbed's `scan_sites.rs`) and on `valid`,
//! `netcheck check --only tls,tls_scan` from the client must list exactly the (version, suite)
//! pairs sslscan finds there, and the versions testssl.sh says are offered; and each site must
//! show what it was built for (old versions and a capped grade, TLS 1.3 alone, 1024-bit DH,
//! the server's order or the client's, a stapled OCSP response).
//!
//! netcheck scans every site first, all at once and on an otherwise quiet path, so that its
//! own time bounds are not spent waiting for the CPU; then sslscan and testssl.sh run, every
//! site and both tools at once (testssl.sh takes tens of seconds a site on the 40 ms path).
//! Without sslscan or testssl the agreement with it is skipped, said so, unless
//! NETCHECK_REQUIRE_SSLSCAN=1 or NETCHECK_REQUIRE_TESTSSL=1 asks for it (CI sets both).

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Instant;

use netcheck_testbed::Layout;
use netcheck_testbed::scan_sites::SERVER_ORDER;
use netcheck_testkit::sslscan::{Pairs, accepted_pairs};
use serde_json::Value;

use super::{Outcome, check};
use crate::BIN;

/// A site to scan: its name and the IPv4 address the reference tools are sent to.
struct Site {
    label: String,
    address: String,
}

impl Site {
    fn host(&self) -> String {
        format!("{}.netcheck.test", self.label)
    }
}

fn sites(layout: &Layout) -> Vec<Site> {
    let mut sites = vec![Site {
        label: "valid".into(),
        address: layout.web.clone(),
    }];
    sites.extend(layout.scan_sites.iter().map(|s| Site {
        label: s.label.into(),
        address: s.v4.into(),
    }));
    sites
}

/// `program args` in the client namespace: its stdout, or why it could not run.
fn in_client(layout: &Layout, program: &str, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("ip")
        .args(["netns", "exec", &layout.client_ns, program])
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    Ok(out.stdout)
}

/// netcheck's report on the site, `--only site,tls,tls_scan` (the site's answer gives the
/// scan its HSTS).
fn netcheck_scan(layout: &Layout, site: &Site) -> Result<Value, String> {
    let ca = layout.ca_file.to_string_lossy();
    let target = format!("https://{}/", site.host());
    let stdout = in_client(
        layout,
        BIN,
        &[
            "check",
            &target,
            "--only",
            "site,tls,tls_scan",
            "--json",
            "--ca-file",
            &ca,
        ],
    )?;
    serde_json::from_slice(&stdout).map_err(|e| {
        format!(
            "{}: netcheck's output is not JSON ({e}): {}",
            site.label,
            String::from_utf8_lossy(&stdout)
        )
    })
}

/// The accepted (version, code point) pairs of a tls_scan section.
fn netcheck_pairs(scan: &Value) -> Pairs {
    accepted_versions(scan)
        .iter()
        .flat_map(|p| {
            p["suites"].as_array().into_iter().flatten().map(|s| {
                (
                    p["version"].as_str().unwrap_or_default().to_owned(),
                    s["code"].as_str().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect()
}

fn accepted_versions(scan: &Value) -> Vec<&Value> {
    scan["protocols"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["accepted"] == true)
        .collect()
}

fn versions(scan: &Value) -> BTreeSet<String> {
    accepted_versions(scan)
        .iter()
        .filter_map(|p| p["version"].as_str().map(str::to_owned))
        .collect()
}

fn protocol<'a>(scan: &'a Value, version: &str) -> &'a Value {
    scan["protocols"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["version"] == version))
        .unwrap_or(&Value::Null)
}

/// Whether a reference tool is required here (CI) rather than skipped when missing.
fn required(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v == "1")
}

fn installed(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// sslscan's accepted (version, code point) pairs, from its XML, as the loopback agreement
/// test reads them (`netcheck_testkit::sslscan`). Its
/// socket timeout is raised from 3 s to 10 s: it runs beside a dozen other scanners on two
/// cores, and an answer it gave up on would read as a suite refused.
fn sslscan(layout: &Layout, site: &Site) -> Result<Pairs, String> {
    let sni = format!("--sni-name={}", site.host());
    let target = format!("{}:443", site.address);
    let stdout = in_client(
        layout,
        "sslscan",
        &["--no-colour", "--xml=-", "--timeout=10", &sni, &target],
    )?;
    let xml = String::from_utf8_lossy(&stdout);
    let found = accepted_pairs(&xml);
    if found.is_empty() && !xml.contains("<ssltest") {
        return Err(format!("{}: sslscan printed no XML: {xml}", site.label));
    }
    Ok(found)
}

/// The versions testssl.sh's protocol check (`-p`) says are offered, in netcheck's names;
/// SSLv2, which netcheck does not try, is left out.
fn testssl(
    layout: &Layout,
    site: &Site,
    dir: &std::path::Path,
) -> Result<BTreeSet<String>, String> {
    let json = dir.join(format!("testssl-{}.json", site.label));
    let _ = std::fs::remove_file(&json);
    let json_arg = json.to_string_lossy();
    let target = format!("https://{}/", site.host());
    in_client(
        layout,
        "testssl",
        &[
            "--quiet",
            "--color",
            "0",
            "--warnings",
            "off",
            "--nodns",
            "min",
            "--ip",
            &site.address,
            "-p",
            "--jsonfile",
            &json_arg,
            &target,
        ],
    )?;
    let text = std::fs::read_to_string(&json)
        .map_err(|e| format!("{}: testssl wrote no JSON file ({e})", site.label))?;
    let entries: Vec<Value> = serde_json::from_str(&text)
        .map_err(|e| format!("{}: testssl's JSON ({e}): {text}", site.label))?;
    let names = [
        ("SSLv3", "SSL 3.0"),
        ("TLS1", "TLS 1.0"),
        ("TLS1_1", "TLS 1.1"),
        ("TLS1_2", "TLS 1.2"),
        ("TLS1_3", "TLS 1.3"),
    ];
    let mut seen = 0;
    let mut offered = BTreeSet::new();
    for e in &entries {
        let Some((_, ours)) = names.iter().find(|(id, _)| e["id"] == *id) else {
            continue;
        };
        seen += 1;
        // "offered", "offered (OK)", "offered (deprecated)"; "not offered", "not offered
        // and downgraded to a weaker protocol".
        if e["finding"]
            .as_str()
            .is_some_and(|f| f.starts_with("offered"))
        {
            offered.insert((*ours).to_owned());
        }
    }
    if seen != names.len() {
        return Err(format!(
            "{}: testssl told {seen} of {} versions: {text}",
            site.label,
            names.len()
        ));
    }
    Ok(offered)
}

/// What each site was built for.
fn site_facts(label: &str, section: &Value, scan: &Value) -> Result<(), String> {
    let found = codes_of(section);
    let has = |code: &str| found.iter().any(|c| c == code);
    let vs = versions(scan);
    let only = |list: &[&str]| vs == list.iter().map(|v| (*v).to_owned()).collect();
    match label {
        "legacy" => {
            if !only(&["TLS 1.0", "TLS 1.1"]) {
                return Err(format!("accepts {vs:?}, not TLS 1.0 and 1.1 alone"));
            }
            for code in ["grade_cap_old_tls", "grade_cap_no_tls12"] {
                if !has(code) {
                    return Err(format!("no {code} finding: {found:?}"));
                }
            }
        }
        "tls13" if !only(&["TLS 1.3"]) => {
            return Err(format!("accepts {vs:?}, not TLS 1.3 alone"));
        }
        "dhe" => {
            let suites = protocol(scan, "TLS 1.2")["suites"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let bits: BTreeSet<String> = suites.iter().map(|s| s["dh_bits"].to_string()).collect();
            if suites.is_empty() || bits != BTreeSet::from(["1024".to_owned()]) {
                return Err(format!(
                    "DH sizes {bits:?} over {} suites, not 1024",
                    suites.len()
                ));
            }
            if !has("grade_cap_weak_dh") {
                return Err(format!("no grade_cap_weak_dh finding: {found:?}"));
            }
        }
        "serverorder" => {
            let tls12 = protocol(scan, "TLS 1.2");
            let order: Vec<&str> = tls12["suites"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["code"].as_str())
                .collect();
            let configured: Vec<&str> = SERVER_ORDER.iter().map(|(_, code)| *code).collect();
            if tls12["order"] != "server" || order != configured {
                return Err(format!(
                    "order {} {order:?}, configured (server) {configured:?}",
                    tls12["order"]
                ));
            }
        }
        "clientorder" => {
            let tls12 = protocol(scan, "TLS 1.2");
            if tls12["order"] != "client" || !has("tls_client_order") {
                return Err(format!("order {}, findings {found:?}", tls12["order"]));
            }
        }
        "stapled" | "valid" => {
            let stapled = &scan["extensions"]["ocsp_stapling"];
            if *stapled != (label == "stapled") {
                return Err(format!("ocsp_stapling {stapled}"));
            }
        }
        _ => {}
    }
    signatures_fit_the_key(label, scan)?;
    if label == "valid" {
        // nginx sends `max-age=63072000; includeSubDomains` on valid.netcheck.test: a year
        // and subdomains, but no preload directive, and a subdomain of netcheck.test.
        let preload = &scan["hsts_preload"];
        let unmet = preload["unmet"].to_string();
        if preload["ready"] != false
            || preload["header"] != "max-age=63072000; includeSubDomains"
            || !unmet.contains("the preload directive")
            || !unmet.contains("is a subdomain")
            || unmet.contains("max-age")
            || unmet.contains("includeSubDomains")
        {
            return Err(format!("hsts_preload {preload}"));
        }
        if !has("hsts_preload_not_ready") {
            return Err(format!("no hsts_preload_not_ready finding: {found:?}"));
        }
    }
    if has("tls_scan_cut_short") {
        return Err(format!("the scan was cut short: {found:?}"));
    }
    Ok(())
}

/// The signature algorithms found are those of the site's key: ECDSA for the P-256 sites,
/// RSA for the RSA ones, none for `legacy` (TLS 1.0 and 1.1 name no algorithm).
fn signatures_fit_the_key(label: &str, scan: &Value) -> Result<(), String> {
    let names: Vec<&str> = scan["signature_algorithms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let fits = match label {
        "legacy" => names.is_empty(),
        "valid" | "stapled" | "tls13" => {
            names.contains(&"ecdsa_secp256r1_sha256")
                && names.iter().all(|n| n.starts_with("ecdsa"))
        }
        _ => names.contains(&"rsa_pss_rsae_sha256") && names.iter().all(|n| n.starts_with("rsa")),
    };
    if fits {
        Ok(())
    } else {
        Err(format!("signature algorithms {names:?}"))
    }
}

fn codes_of(section: &Value) -> Vec<String> {
    section["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str().map(str::to_owned))
        .collect()
}

/// What the reference tools said of one site, or why they could not say it.
struct References {
    sslscan: Option<Result<Pairs, String>>,
    testssl: Option<Result<BTreeSet<String>, String>>,
}

/// A thread's result; a panic in it (none is expected) as a failure in words.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T, String>>) -> Result<T, String> {
    handle
        .join()
        .unwrap_or_else(|_| Err("a thread of the scenario panicked".into()))
}

fn references(layout: &Layout, sites: &[Site]) -> Vec<References> {
    let dir = std::env::temp_dir().join(format!("netcheck-tb-testssl-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let use_sslscan = installed("sslscan");
    let use_testssl = installed("testssl");
    let found = std::thread::scope(|s| {
        let running: Vec<_> = sites
            .iter()
            .map(|site| {
                let sslscan = use_sslscan.then(|| s.spawn(|| sslscan(layout, site)));
                let testssl = use_testssl.then(|| s.spawn(|| testssl(layout, site, &dir)));
                (sslscan, testssl)
            })
            .collect();
        running
            .into_iter()
            .map(|(a, b)| References {
                sslscan: a.map(joined),
                testssl: b.map(joined),
            })
            .collect()
    });
    let _ = std::fs::remove_dir_all(&dir);
    found
}

pub(super) fn tls_scan_agrees_with_sslscan_and_testssl_on_every_site(
    tb: &netcheck_testbed::Testbed,
) -> Outcome {
    let layout = &tb.layout;
    for (tool, variable) in [
        ("sslscan", "NETCHECK_REQUIRE_SSLSCAN"),
        ("testssl", "NETCHECK_REQUIRE_TESTSSL"),
    ] {
        if !installed(tool) {
            if required(variable) {
                return Err(format!("{variable}=1 but {tool} is not installed"));
            }
            eprintln!("skipped the agreement with {tool}: not installed (scripts/setup)");
        }
    }
    let sites = sites(layout);
    let started = Instant::now();
    let reports: Vec<Result<Value, String>> = std::thread::scope(|s| {
        let running: Vec<_> = sites
            .iter()
            .map(|site| s.spawn(|| netcheck_scan(layout, site)))
            .collect();
        running.into_iter().map(joined).collect()
    });
    let netcheck_took = started.elapsed();
    let started = Instant::now();
    let theirs = references(layout, &sites);
    eprintln!(
        "tls_scan in the testbed: netcheck {:.1} s for {} sites at once, then sslscan and testssl {:.1} s",
        netcheck_took.as_secs_f64(),
        sites.len(),
        started.elapsed().as_secs_f64()
    );
    let mut failures = Vec::new();
    for ((site, report), theirs) in sites.iter().zip(reports).zip(theirs) {
        let label = &site.label;
        let report = match report {
            Ok(r) => r,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let section = check(&report, "tls_scan");
        let scan = &section["data"];
        if scan.is_null() {
            failures.push(format!("{label}: no tls_scan facts: {section}"));
            continue;
        }
        if let Err(e) = site_facts(label, section, scan) {
            failures.push(format!("{label}: {e}"));
        }
        let ours = netcheck_pairs(scan);
        let told = |n: Option<usize>| n.map_or("-".to_owned(), |n| n.to_string());
        eprintln!(
            "  {label}: netcheck {} pairs over {:?} in {} ms; sslscan {}; testssl {:?}",
            ours.len(),
            versions(scan),
            scan["duration_ms"],
            told(
                theirs
                    .sslscan
                    .as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map(|p| p.len())
            ),
            theirs.testssl.as_ref().and_then(|r| r.as_ref().ok()),
        );
        match theirs.sslscan {
            Some(Ok(pairs)) if pairs != ours => failures.push(format!(
                "{label}: netcheck and sslscan disagree; only netcheck's: {:?}; only sslscan's: {:?}",
                ours.difference(&pairs).collect::<Vec<_>>(),
                pairs.difference(&ours).collect::<Vec<_>>()
            )),
            Some(Err(e)) => failures.push(e),
            _ => {}
        }
        let our_versions = versions(scan);
        match theirs.testssl {
            Some(Ok(offered)) if offered != our_versions => failures.push(format!(
                "{label}: netcheck accepts {our_versions:?}, testssl says {offered:?} are offered"
            )),
            Some(Err(e)) => failures.push(e),
            _ => {}
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n  "))
    }
}
