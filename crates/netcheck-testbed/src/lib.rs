//! The testbed: a small internet in network namespaces on this machine, with real servers, for
//! netcheck's end-to-end tests, benchmarks and demos. See docs/testbed.md for the topology.
//!
//! `Testbed::up` builds it under a prefix unique to the run; dropping the `Testbed` (also while
//! a test panics) stops the servers and the delay line and deletes every namespace. Needs root,
//! iproute2, nftables, ethtool, knot, unbound, nginx and the openssl CLI (scripts/setup installs
//! them).

pub mod delay;
pub mod scan_sites;
pub mod services;
pub mod topology;
pub mod vantage;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use delay::DelayLine;
use scan_sites::ScanSite;
use services::Service;
use topology::Names;
use vantage::Vantage;

#[derive(Debug, thiserror::Error)]
pub enum TestbedError {
    /// The testbed cannot run here (not root, a tool missing): tests report themselves skipped.
    #[error("the testbed cannot run here: {0}")]
    Unavailable(String),
    /// A step of building it failed.
    #[error("building the testbed failed: {0}")]
    Command(String),
}

#[derive(Debug, Clone)]
pub struct Options {
    /// One-way delay of the r1–r2 link; a round trip through the testbed costs twice this.
    pub one_way_delay: Duration,
    /// Loss on the path to the lossy host (198.18.4.5), in percent.
    pub loss_percent: u8,
    /// Names start with this; a fresh one is made when `None`.
    pub prefix: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            one_way_delay: Duration::from_millis(20),
            loss_percent: 20,
            prefix: None,
        }
    }
}

/// What tests need to know about a running testbed.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub prefix: String,
    pub client_ns: String,
    pub resolver: String,
    pub resolver_v6: String,
    pub web: String,
    pub web_v6: String,
    pub refused: String,
    pub dropped: String,
    pub lossy: String,
    /// The TLS-scan sites (`scan_sites.rs`), each on its own addresses.
    pub scan_sites: Vec<ScanSite>,
    /// Routers on the way, in order, as traceroute sees them (`None`: the silent hop).
    pub hops: Vec<Option<String>>,
    /// The vantage points the regions' agents run from (`vantage.rs`).
    pub vantage: Vec<Vantage>,
    /// The namespace of the NATS broker, and its URL (the broker runs only while
    /// `vantage::Regions` is held).
    pub nats_ns: String,
    pub nats_url: String,
    pub one_way_delay_ms: u64,
    pub ca_file: PathBuf,
    pub run_dir: PathBuf,
}

pub struct Testbed {
    pub layout: Layout,
    names: Names,
    services: Vec<Service>,
    delay: Option<DelayLine>,
}

/// Whether this machine can run the testbed; the reason when not.
pub fn available() -> Result<(), TestbedError> {
    // The effective uid, third field of the Uid: line (proc(5)).
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_owned))
        });
    if uid.as_deref() != Some("0") {
        return Err(TestbedError::Unavailable(
            "it needs root (network namespaces)".into(),
        ));
    }
    for tool in [
        "ip", "nft", "ethtool", "knotd", "kdig", "unbound", "nginx", "openssl",
    ] {
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
        if !found {
            return Err(TestbedError::Unavailable(format!(
                "'{tool}' is not installed (run scripts/setup)"
            )));
        }
    }
    Ok(())
}

fn fresh_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mix = (std::process::id() ^ nanos.rotate_left(7)) & 0xfffff;
    format!("nc{mix:05x}")
}

impl Testbed {
    pub fn up(options: Options) -> Result<Testbed, TestbedError> {
        available()?;
        let prefix = options.prefix.clone().unwrap_or_else(fresh_prefix);
        let names = Names {
            prefix: prefix.clone(),
        };
        let run_dir = std::env::temp_dir().join(format!("netcheck-testbed-{prefix}"));
        let mut testbed = Testbed {
            layout: Layout {
                prefix: prefix.clone(),
                client_ns: names.ns("client"),
                resolver: services::RESOLVER_V4.into(),
                resolver_v6: services::RESOLVER_V6.into(),
                web: services::WEB_V4.into(),
                web_v6: services::WEB_V6.into(),
                refused: "198.18.4.3".into(),
                dropped: "198.18.4.4".into(),
                lossy: "198.18.4.5".into(),
                scan_sites: scan_sites::SCAN_SITES.to_vec(),
                hops: vec![
                    Some("198.18.1.1".into()),
                    None,
                    Some("198.18.3.2".into()),
                    Some("198.18.4.2".into()),
                ],
                vantage: vantage::vantage_points(&names),
                nats_ns: names.ns("nats"),
                nats_url: format!("nats://{}:{}", vantage::NATS_V4, vantage::NATS_PORT),
                one_way_delay_ms: options.one_way_delay.as_millis() as u64,
                ca_file: run_dir.join("pki/root.pem"),
                run_dir: run_dir.clone(),
            },
            names,
            services: Vec::new(),
            delay: None,
        };
        // From here on, Drop cleans up whatever was built if a step fails.
        std::fs::create_dir_all(&run_dir)
            .map_err(|e| TestbedError::Command(format!("{}: {e}", run_dir.display())))?;
        topology::build(&testbed.names, options.loss_percent)?;
        testbed.delay = Some(DelayLine::start(
            &testbed.names.ns("dl"),
            &testbed.names.veth("d1"),
            &testbed.names.veth("d2"),
            options.one_way_delay,
        )?);
        let server = testbed.names.ns("server");
        let pki = services::pki(&run_dir)?;
        testbed.services.push(services::knot(&server, &run_dir)?);
        testbed.services.push(services::unbound(&server, &run_dir)?);
        testbed
            .services
            .push(services::nginx(&server, &run_dir, &pki)?);
        testbed
            .services
            .push(scan_sites::nginx(&server, &run_dir, &pki)?);
        // `ip netns exec` gives the client and the vantage points this resolv.conf: the
        // "system" resolver is Unbound.
        for host in topology::EDGE_HOSTS {
            let etc = PathBuf::from(format!("/etc/netns/{}", testbed.names.ns(host)));
            std::fs::create_dir_all(&etc)
                .map_err(|e| TestbedError::Command(format!("{}: {e}", etc.display())))?;
            std::fs::write(
                etc.join("resolv.conf"),
                format!("nameserver {}\n", services::RESOLVER_V4),
            )
            .map_err(|e| TestbedError::Command(format!("resolv.conf: {e}")))?;
        }
        // First packets across a link wait for ARP/NDP over the delay line; pay that now, so
        // that what netcheck measures afterwards is the path, not neighbour discovery.
        let mut hosts = vec![testbed.layout.client_ns.clone()];
        hosts.extend(testbed.layout.vantage.iter().map(|v| v.ns.clone()));
        for ns in &hosts {
            for target in [
                services::WEB_V4,
                services::WEB_V6,
                services::RESOLVER_V4,
                services::RESOLVER_V6,
            ] {
                let _ = testbed
                    .in_namespace(ns, "ping")
                    .args(["-c", "1", "-W", "2", target])
                    .output();
            }
        }
        Ok(testbed)
    }

    /// A command that runs `program` in the client namespace.
    pub fn client(&self, program: &str) -> Command {
        self.in_namespace(&self.layout.client_ns, program)
    }

    /// A command that runs `program` in namespace `ns` (a vantage point's, say).
    pub fn in_namespace(&self, ns: &str, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, program]);
        cmd
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        if std::env::var_os("NETCHECK_TESTBED_KEEP").is_some() {
            eprintln!(
                "testbed: keeping {} for inspection (NETCHECK_TESTBED_KEEP)",
                self.layout.prefix
            );
            return;
        }
        self.services.clear();
        self.delay.take();
        topology::teardown(&self.names);
        let _ = std::fs::remove_dir_all(&self.layout.run_dir);
    }
}

/// Removes every testbed namespace left on this machine (after a crash or a kill -9).
pub fn down_all() -> Vec<String> {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let mut prefixes: Vec<String> = out
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|ns| ns.split_once('-').map(|(p, _)| p.to_owned()))
        .filter(|p| p.len() == 7 && p.starts_with("nc"))
        .collect();
    prefixes.sort();
    prefixes.dedup();
    for prefix in &prefixes {
        topology::teardown(&Names {
            prefix: prefix.clone(),
        });
        let _ = std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("netcheck-testbed-{prefix}")),
        );
    }
    prefixes
}
