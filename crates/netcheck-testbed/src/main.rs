//! `testbed up` builds the testbed and holds it until interrupted (Ctrl-C, SIGTERM), printing
//! its layout as JSON (the TLS-scan sites' names and addresses among it); with `--agents NETCHECK` it also starts the NATS broker and one
//! `netcheck agent` (that binary) per vantage point (scripts/regions). `testbed down` removes
//! every testbed left on the machine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use netcheck_testbed::vantage::Regions;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("up") => up(&args[1..]),
        Some("down") => {
            for prefix in netcheck_testbed::down_all() {
                eprintln!("removed testbed {prefix}");
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: testbed up [--delay-ms N] [--loss-percent N] [--agents NETCHECK] | testbed down"
            );
            ExitCode::from(2)
        }
    }
}

fn up(args: &[String]) -> ExitCode {
    let mut options = netcheck_testbed::Options::default();
    let mut agents: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next();
        let number = value.and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), number) {
            ("--delay-ms", Some(ms)) => options.one_way_delay = Duration::from_millis(ms),
            ("--loss-percent", Some(p)) if p <= 100 => options.loss_percent = p as u8,
            ("--agents", _) if value.is_some() => agents = value.map(PathBuf::from),
            _ => {
                eprintln!(
                    "testbed up: bad flag {flag} (--delay-ms N, --loss-percent 0..100, --agents NETCHECK)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let testbed = match netcheck_testbed::Testbed::up(options) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("testbed: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Dropped before the testbed: the agents and the broker stop, then the namespaces go.
    let regions = match agents.as_deref().map(|bin| Regions::start(&testbed, bin)) {
        Some(Err(e)) => {
            eprintln!("testbed: {e}");
            return ExitCode::FAILURE;
        }
        Some(Ok(r)) => Some(r),
        None => None,
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&testbed.layout).unwrap_or_default()
    );
    let layout = &testbed.layout;
    let ca = layout.ca_file.display();
    eprintln!(
        "testbed {} is up; try: ip netns exec {} netcheck check https://valid.netcheck.test --ca-file {ca}",
        layout.prefix, layout.client_ns,
    );
    let scan_sites: Vec<String> = layout.scan_sites.iter().map(|s| s.host()).collect();
    eprintln!(
        "the TLS-scan sites ({}): ip netns exec {} netcheck check https://legacy.netcheck.test --only tls,tls_scan --ca-file {ca}",
        scan_sites.join(", "),
        layout.client_ns,
    );
    if let (Some(regions), Some(bin)) = (&regions, &agents) {
        let bin = bin.display();
        let names: Vec<&str> = layout.vantage.iter().map(|v| v.region.as_str()).collect();
        eprintln!(
            "\nthe broker is at {url} (namespace {nats}); agents of {regions_list} are listening.\n\
             from the client, the regions side by side:\n  \
             ip netns exec {client} {bin} check https://valid.netcheck.test --ca-file {ca} \\\n      \
             --nats {url} --regions here,{list} --only dns,site,ping,traceroute\n\
             who is there:\n  ip netns exec {client} {bin} agents --nats {url}\n\
             the web UI and API with regions (http://198.18.1.2:8080/ inside the client; regions= on the API):\n  \
             ip netns exec {client} {bin} serve --listen 198.18.1.2:8080 --nats {url} \\\n      \
             --allow 198.18.0.0/15 --allow 2001:db8::/32 --ca-file {ca}",
            url = regions.nats_url,
            nats = layout.nats_ns,
            regions_list = names.join(", "),
            client = layout.client_ns,
            list = names.join(","),
        );
    }
    eprintln!("Ctrl-C tears it down.");
    wait_for_signal();
    drop(regions);
    drop(testbed);
    eprintln!("testbed down");
    ExitCode::SUCCESS
}

/// Blocks until SIGINT or SIGTERM.
fn wait_for_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        Ok(mut signals) => {
            let _ = signals.forever().next();
        }
        Err(e) => eprintln!("testbed: cannot wait for signals ({e}); tearing down now"),
    }
}
