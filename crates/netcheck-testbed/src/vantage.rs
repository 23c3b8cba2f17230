//! The regions' side of the testbed: three vantage points at different distances from the
//! servers, and a NATS broker in a namespace of its own, so that `netcheck agent` and `netcheck
//! check --regions` run end to end over the testbed's links. The namespaces, links, routes and
//! the blocked vantage point's firewall are `topology.rs`'s; this file says what each vantage
//! point is (where it sits, what its trace to the web server must be) and starts, on demand,
//! the broker and one agent per vantage point ([`Regions::start`]), stopped when dropped.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::services::{self, Service};
use crate::topology::Names;
use crate::{Testbed, TestbedError};

/// The broker's address, on link 8 behind r3.
pub const NATS_V4: &str = "198.18.8.2";
pub const NATS_PORT: u16 = 4222;

/// A place an agent runs from.
#[derive(Debug, Clone, Serialize)]
pub struct Vantage {
    /// The region its agent serves; also the role of its namespace.
    pub region: String,
    pub ns: String,
    pub address: String,
    pub address_v6: String,
    /// Where it is, in words (the agent's `--location`).
    pub location: String,
    /// Routers on the way to the web server (IPv4), as traceroute sees them (`None`: the
    /// silent hop), the server last.
    pub hops: Vec<Option<String>>,
    /// The same over IPv6.
    pub hops_v6: Vec<Option<String>>,
    /// Whether its path crosses the delay line (each round trip then costs 2 × the delay).
    pub behind_delay_line: bool,
    /// What its own firewall drops, in words, when it drops something.
    pub blocks: Option<String>,
}

/// The hop list from link `link`'s router to the web server, for one family.
fn hops(link: u8, behind_delay_line: bool, v6: bool) -> Vec<Option<String>> {
    let host = |link: u8, host: u8| {
        if v6 {
            format!("2001:db8:{link}::{host}")
        } else {
            format!("198.18.{link}.{host}")
        }
    };
    let mut hops = vec![Some(host(link, 1))];
    if behind_delay_line {
        // r2 is silent; r3 answers from its link-3 address.
        hops.extend([None, Some(host(3, 2))]);
    }
    hops.push(Some(host(4, 2)));
    hops
}

/// The three vantage points: `far` behind the delay line as the client is, `near` beside the
/// servers (on r3, no delay, two hops), `blocked` behind the delay line with the web server's
/// ports 80 and 443 dropped by its own firewall.
pub fn vantage_points(names: &Names) -> Vec<Vantage> {
    [
        ("far", 5, true, "behind the delay line, off r1", None),
        ("near", 6, false, "beside the servers, off r3", None),
        (
            "blocked",
            7,
            true,
            "behind the delay line, off r1, firewalled",
            Some(format!(
                "TCP to {} and {} ports 80 and 443, dropped",
                services::WEB_V4,
                services::WEB_V6
            )),
        ),
    ]
    .into_iter()
    .map(|(role, link, behind, location, blocks)| Vantage {
        region: role.to_owned(),
        ns: names.ns(role),
        address: format!("198.18.{link}.2"),
        address_v6: format!("2001:db8:{link}::2"),
        location: location.to_owned(),
        hops: hops(link, behind, false),
        hops_v6: hops(link, behind, true),
        behind_delay_line: behind,
        blocks,
    })
    .collect()
}

/// The broker and one agent per vantage point; dropping it stops them all.
pub struct Regions {
    /// Where the broker listens: give it to `--nats`.
    pub nats_url: String,
    agents: Vec<Service>,
    broker: Option<Service>,
}

impl Drop for Regions {
    fn drop(&mut self) {
        // The agents before their broker, so none of them is left reconnecting.
        self.agents.clear();
        self.broker.take();
    }
}

impl Regions {
    /// Starts nats-server in the `nats` namespace and `netcheck agent` (the binary at
    /// `netcheck`) in each vantage point's, and waits until every agent answers discovery.
    pub fn start(testbed: &Testbed, netcheck: &Path) -> Result<Regions, TestbedError> {
        netcheck_testkit::nats::available().map_err(TestbedError::Unavailable)?;
        let layout = &testbed.layout;
        let dir = layout.run_dir.join("regions");
        std::fs::create_dir_all(&dir)
            .map_err(|e| TestbedError::Command(format!("{}: {e}", dir.display())))?;
        let port = NATS_PORT.to_string();
        let broker = services::spawn(
            "nats-server",
            &layout.nats_ns,
            netcheck_testkit::nats::BIN,
            &["-a", NATS_V4, "-p", &port],
            &dir.join("nats.log"),
        )?;
        services::wait_for(
            &layout.nats_ns,
            "nats-server",
            &[
                "bash",
                "-c",
                &format!("exec 3<>/dev/tcp/{NATS_V4}/{NATS_PORT}"),
            ],
            Duration::from_secs(10),
        )?;
        let mut regions = Regions {
            nats_url: layout.nats_url.clone(),
            agents: Vec::new(),
            broker: Some(broker),
        };
        let bin = netcheck.to_string_lossy();
        let ca = layout.ca_file.to_string_lossy();
        for v in &layout.vantage {
            let name = format!("{}-1", v.region);
            let agent = services::spawn(
                "netcheck agent",
                &v.ns,
                &bin,
                &[
                    "agent",
                    "--nats",
                    &regions.nats_url,
                    "--region",
                    &v.region,
                    "--name",
                    &name,
                    "--location",
                    &v.location,
                    "--ca-file",
                    &ca,
                    // The testbed's addresses are special-purpose ones; an agent is
                    // public-only, so they are admitted by name.
                    "--allow",
                    "198.18.0.0/15",
                    "--allow",
                    "2001:db8::/32",
                ],
                &dir.join(format!("agent-{}.log", v.region)),
            )?;
            regions.agents.push(agent);
        }
        regions.wait_for_agents(testbed, netcheck, Duration::from_secs(20))?;
        Ok(regions)
    }

    /// Asks `netcheck agents` (in the broker's namespace) until every vantage point's agent
    /// answers, for at most `bound`.
    fn wait_for_agents(
        &self,
        testbed: &Testbed,
        netcheck: &Path,
        bound: Duration,
    ) -> Result<(), TestbedError> {
        let layout = &testbed.layout;
        let started = Instant::now();
        let mut seen = 0;
        while started.elapsed() < bound {
            let listed = Command::new("ip")
                .args(["netns", "exec", &layout.nats_ns])
                .arg(netcheck)
                .args(["agents", "--nats", &self.nats_url, "--json"])
                .output()
                .ok()
                .and_then(|o| serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout).ok());
            seen = listed.map_or(0, |l| l.len());
            if seen == layout.vantage.len() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(TestbedError::Command(format!(
            "{seen} of {} agents answered within {} s (logs in {})",
            layout.vantage.len(),
            bound.as_secs(),
            layout.run_dir.join("regions").display()
        )))
    }
}
