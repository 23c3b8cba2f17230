//! `testbed up` builds the testbed and holds it until interrupted (Ctrl-C, SIGTERM), printing
//! its layout as JSON; `testbed down` removes every testbed left on the machine.

use std::process::ExitCode;
use std::time::Duration;

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
            eprintln!("usage: testbed up [--delay-ms N] [--loss-percent N] | testbed down");
            ExitCode::from(2)
        }
    }
}

fn up(args: &[String]) -> ExitCode {
    let mut options = netcheck_testbed::Options::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--delay-ms", Some(ms)) => options.one_way_delay = Duration::from_millis(ms),
            ("--loss-percent", Some(p)) if p <= 100 => options.loss_percent = p as u8,
            _ => {
                eprintln!("testbed up: bad flag {flag} (--delay-ms N, --loss-percent 0..100)");
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
    println!(
        "{}",
        serde_json::to_string_pretty(&testbed.layout).unwrap_or_default()
    );
    eprintln!(
        "testbed {} is up; try: ip netns exec {} netcheck check https://valid.netcheck.test --ca-file {}\nCtrl-C tears it down.",
        testbed.layout.prefix,
        testbed.layout.client_ns,
        testbed.layout.ca_file.display()
    );
    wait_for_signal();
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
