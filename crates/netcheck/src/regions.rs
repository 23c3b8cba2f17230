//! The regions' faces on the command line: `netcheck agent` (a vantage point that takes jobs
//! over NATS), `netcheck agents` (who is alive now), and `netcheck check --nats URL --regions
//! a,b,here` (one target from several places, side by side; `here` is this machine's own
//! engine, run at the same time, which is what "just me?" compares against).

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use netcheck_agent::agent::{AgentConfig, serve};
use netcheck_agent::connect::{Credentials, connect};
use netcheck_agent::{AgentInfo, Hub, RegionsReport, Subjects};
use netcheck_core::{RunRequest, Target};
use netcheck_text::clean_str;

use crate::cli::{AgentArgs, AgentsArgs, Engine, NatsArgs};

pub use netcheck_agent::HERE;

fn credentials(args: &NatsArgs) -> Result<Credentials, String> {
    match (&args.creds, &args.user) {
        (Some(_), Some(_)) => Err("give --nats-creds or --nats-user, not both".into()),
        (Some(path), None) => Ok(Credentials::File(path.clone())),
        (None, Some(user)) => {
            let password = std::env::var("NETCHECK_NATS_PASSWORD").map_err(|_| {
                "--nats-user needs its password in NETCHECK_NATS_PASSWORD".to_owned()
            })?;
            Ok(Credentials::User {
                user: user.clone(),
                password,
            })
        }
        (None, None) => Ok(Credentials::None),
    }
}

/// The hub `serve --nats` dispatches with.
pub async fn hub(args: &NatsArgs) -> Result<Hub, String> {
    let credentials = credentials(args)?;
    let url = args.url.as_deref().unwrap_or_default();
    let client = connect(url, &credentials, "netcheck-serve").await?;
    eprintln!("netcheck: regions through the NATS broker at {url}");
    Ok(Hub::new(client, Subjects::new(&args.subject_prefix)))
}

/// `netcheck agent`: takes its region's jobs until SIGTERM or Ctrl-C, then finishes them.
pub fn agent(args: &AgentArgs, runtime: &tokio::runtime::Runtime) -> ExitCode {
    let Engine { settings, .. } = match args.engine.public_config() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let name = args.name.clone().unwrap_or_else(|| {
        format!(
            "{}-{}",
            args.region,
            uuid_like(std::process::id(), &args.region)
        )
    });
    for (what, token) in [("--region", &args.region), ("--name", &name)] {
        if !netcheck_agent::protocol::valid_token(token) {
            eprintln!("netcheck: {what} '{token}' may hold only letters, digits, - and _");
            return ExitCode::from(2);
        }
    }
    let credentials = match credentials(&args.nats) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let config = AgentConfig {
        info: AgentInfo {
            name: name.clone(),
            region: args.region.clone(),
            location: args.location.clone(),
            latitude: args.lat,
            longitude: args.lon,
            netcheck_version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        settings: Arc::new(settings),
        max_jobs: usize::from(args.max_jobs),
        subjects: Subjects::new(&args.nats.subject_prefix),
    };
    let served = runtime.block_on(async {
        let url = args.nats.url.as_deref().unwrap_or_default();
        let client = connect(url, &credentials, &name).await?;
        eprintln!(
            "netcheck: agent {name} takes jobs for region {} from {url}",
            args.region
        );
        serve(client, config, shutdown())
            .await
            .map_err(|e| e.to_string())
    });
    match served {
        Ok(()) => {
            eprintln!("netcheck: agent {name} stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("netcheck: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A short suffix that tells two agents of one region apart.
fn uuid_like(pid: u32, region: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{:06x}", (pid ^ nanos ^ region.len() as u32) & 0xff_ffff)
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// `netcheck agents`: every agent that answers now.
pub fn agents(args: &AgentsArgs, runtime: &tokio::runtime::Runtime) -> ExitCode {
    let listed = runtime.block_on(async {
        let credentials = credentials(&args.nats)?;
        let url = args.nats.url.as_deref().unwrap_or_default();
        let client = connect(url, &credentials, "netcheck-agents").await?;
        Hub::new(client, Subjects::new(&args.nats.subject_prefix))
            .agents(Duration::from_millis(750))
            .await
    });
    match listed {
        Ok(found) if args.json => match serde_json::to_string_pretty(&found) {
            Ok(json) => exit_writing(&format!("{json}\n")),
            Err(_) => ExitCode::FAILURE,
        },
        Ok(found) => {
            let mut out = String::new();
            if found.is_empty() {
                out.push_str("no agent answered\n");
            }
            for p in &found {
                // What an agent says of itself is a peer's text: cleaned before it is drawn.
                let _ = writeln!(
                    out,
                    "{:<12} {:<24} {}/{} jobs  {}",
                    clean_str(&p.agent.region),
                    clean_str(&p.agent.name),
                    p.jobs,
                    p.max_jobs,
                    clean_str(p.agent.location.as_deref().unwrap_or(""))
                );
            }
            exit_writing(&out)
        }
        Err(e) => {
            eprintln!("netcheck: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `netcheck check TARGET --nats URL --regions …`: the regions side by side.
pub fn check(
    target: Target,
    engine: Engine,
    nats: &NatsArgs,
    regions: &[String],
    json: bool,
    runtime: &tokio::runtime::Runtime,
) -> ExitCode {
    let credentials = match credentials(nats) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let remote = regions.iter().any(|r| r != HERE);
    let here = regions.iter().any(|r| r == HERE);
    let request = RunRequest::new(target, engine.options);
    let settings = Arc::new(engine.settings);
    let report = runtime.block_on(async {
        let hub = match &nats.url {
            Some(url) if remote => Some(Hub::new(
                connect(url, &credentials, "netcheck-check").await?,
                Subjects::new(&nats.subject_prefix),
            )),
            _ => None,
        };
        let vetted = match here {
            true => Some(netcheck_core::runner::vet(request.clone(), settings).await),
            false => None,
        };
        let registry = netcheck_core::checks::registry();
        Ok::<_, String>(
            netcheck_agent::run_regions(hub.as_ref(), request, vetted, &registry, regions, None)
                .await,
        )
    });
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::FAILURE;
        }
    };
    let written = if json {
        serde_json::to_string_pretty(&report)
            .map(|j| crate::write_stdout(&format!("{j}\n")))
            .unwrap_or(false)
    } else {
        crate::write_stdout(&side_by_side(&report))
    };
    if !written {
        return ExitCode::FAILURE;
    }
    match report.verdict.kind {
        netcheck_agent::VerdictKind::ReachableEverywhere => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

/// The regions as a table: outcome, reachability, the time to first byte, and why.
fn side_by_side(report: &RegionsReport) -> String {
    let mut out = format!(
        "\nnetcheck {} from {} region(s)\n",
        report.target.url,
        report.regions.len()
    );
    for r in &report.regions {
        let reach = r
            .report
            .as_ref()
            .map(|x| format!("{:?}", x.diagnosis.reachability).to_lowercase())
            .unwrap_or_else(|| "-".into());
        let place = r
            .agent
            .as_ref()
            .map(|a| {
                format!(
                    "{}{}",
                    clean_str(&a.name),
                    a.location
                        .as_deref()
                        .map(|l| format!(", {}", clean_str(l)))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "this machine".into());
        let _ = writeln!(
            out,
            "  {:<12} {:<12} {:<12} {}  ({place})",
            r.region,
            r.outcome.as_str(),
            reach,
            clean_str(&r.reason)
        );
    }
    for d in &report.differences {
        let values: Vec<String> = d
            .values
            .iter()
            .map(|(region, v)| format!("{region} {}", clean_str(v)))
            .collect();
        let _ = writeln!(out, "  differs: {}: {}", d.fact, values.join("; "));
    }
    let _ = writeln!(out, "\n{}", clean_str(&report.verdict.summary));
    out
}

fn exit_writing(text: &str) -> ExitCode {
    if crate::write_stdout(text) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
