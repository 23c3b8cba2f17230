//! Regions against the slowest region alone, on a real broker (nats-server on loopback): three
//! agents in this process, each with its own connection and its own resolver, which sends it
//! to its own copy of the site, answering after 10, 40 and 120 ms. Prints:
//! - a 3-region report's wall time against the slowest region's own report, run by the engine
//!   directly with that region's settings (the reference, same process): goal ≤ 1.1×, plus one
//!   round trip to the broker;
//! - 100 3-region runs at once through the hub in this process: how many completed, their p50
//!   and p99 wall time;
//! - 100 3-region runs at once through one `netcheck serve --nats` (`GET /api/v1/report?…
//!   &regions=…`), with three `netcheck agent` processes (the binary NETCHECK_BIN names): how
//!   many completed, p50 and p99, and the peak resident memory of the server and of each agent,
//!   apart.
//!
//! bench/regions.sh runs it: `NETCHECK_BIN=target/release/netcheck cargo run --release -p
//! netcheck-agent --example regions [RUNS]`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::A;
use netcheck_agent::agent::{AgentConfig, serve};
use netcheck_agent::{AgentInfo, Hub, Outcome, Subjects};
use netcheck_core::{RunOptions, RunRequest, Settings, Target};
use netcheck_testkit::dns::{DnsServer, Zone};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A site answering every request after `delay`, on 127.0.0.`last` and `port` (0: any).
async fn site(last: u8, port: u16, delay: Duration) -> u16 {
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::new(127, 0, 0, last), port))
        .await
        .unwrap_or_else(|e| panic!("127.0.0.{last}:{port}: {e}"));
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = stream.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    port
}

/// The peak resident memory of process `pid` ("self" for this one), in MiB.
fn rss_mib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    netcheck_testkit::nats::available().unwrap_or_else(|e| panic!("{e}"));
    let nats = netcheck_testkit::nats::NatsServer::start();
    // One port for the three copies of the site: the target URL is the same in every region.
    let delays = [10, 40, 120];
    let port = site(1, 0, Duration::from_millis(delays[0])).await;
    let mut settings = Vec::new();
    for (i, delay) in delays.iter().enumerate() {
        let last = 1 + i as u8;
        if i > 0 {
            site(last, port, Duration::from_millis(*delay)).await;
        }
        let dns = DnsServer::start(Zone::new().add(
            "www.bench.test",
            60,
            RData::A(A::new(127, 0, 0, last)),
        ))
        .await;
        settings.push((
            dns,
            Arc::new(Settings {
                policy: netcheck_core::policy::TargetPolicy::public_only()
                    .allow("127.0.0.0/8".parse().unwrap()),
                ..Settings::default()
            }),
        ));
    }
    let regions: Vec<String> = ["near", "middle", "far"].map(String::from).to_vec();
    let mut stops = Vec::new();
    for (i, region) in regions.iter().enumerate() {
        let client = async_nats::connect(&nats.url).await.unwrap();
        let mut s = (*settings[i].1).clone();
        s.resolvers = vec![settings[i].0.addr];
        let config = AgentConfig {
            info: AgentInfo {
                name: format!("{region}-1"),
                region: region.clone(),
                location: None,
                latitude: None,
                longitude: None,
                netcheck_version: "bench".into(),
            },
            settings: Arc::new(s),
            max_jobs: 200,
            subjects: Subjects::default(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stops.push(stop);
        tokio::spawn(async move {
            serve(client, config, async {
                let _ = stopped.await;
            })
            .await
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hub = Hub::new(
        async_nats::connect(&nats.url).await.unwrap(),
        Subjects::default(),
    );
    let request = RunRequest::new(
        Target::parse(&format!("http://www.bench.test:{port}/")).unwrap(),
        RunOptions {
            checks: vec!["dns".into(), "site".into()],
            ..RunOptions::default()
        },
    );
    let registry = netcheck_core::checks::registry();
    let far = {
        let mut s = (*settings[2].1).clone();
        s.resolvers = vec![settings[2].0.addr];
        Arc::new(s)
    };
    // Warm both paths once.
    let _ = netcheck_core::run(request.clone(), far.clone(), &registry, None).await;
    let _ = hub.run(request.clone(), &regions, None).await;
    let mut alone = Vec::new();
    let mut three = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let _ = netcheck_core::run(request.clone(), far.clone(), &registry, None).await;
        alone.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let r = hub.run(request.clone(), &regions, None).await;
        three.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(
            r.regions.iter().all(|x| x.outcome == Outcome::Completed),
            "{:?}",
            r.verdict
        );
    }
    println!("{runs} runs, checks dns and site; the regions' sites answer after {delays:?} ms");
    println!("{:<44} {:>9} {:>7}", "", "mean ms", "ratio");
    println!(
        "{:<44} {:>9.1} {:>7}",
        "the slowest region alone (engine, reference)",
        mean(&alone),
        "1.0"
    );
    println!(
        "{:<44} {:>9.1} {:>7.2}",
        "three regions at once (hub, agents, broker)",
        mean(&three),
        mean(&three) / mean(&alone)
    );

    let t = Instant::now();
    let all = futures::future::join_all((0..100).map(|_| {
        let (hub, request, regions) = (hub.clone(), request.clone(), regions.clone());
        async move {
            let started = Instant::now();
            let r = hub.run(request, &regions, None).await;
            (
                r.regions.iter().all(|x| x.outcome == Outcome::Completed),
                started.elapsed().as_secs_f64() * 1000.0,
            )
        }
    }))
    .await;
    let total = t.elapsed();
    let completed = all.iter().filter(|(ok, _)| *ok).count();
    let mut walls: Vec<f64> = all.iter().map(|(_, w)| *w).collect();
    walls.sort_by(f64::total_cmp);
    println!(
        "100 three-region runs at once, hub in process: {completed} completed in {:.1} s; wall p50 {:.0} ms, p99 {:.0} ms; peak RSS {} MiB (agents and hub in one process)",
        total.as_secs_f64(),
        walls[49],
        walls[98],
        rss_mib("self")
    );

    // The same through one server and three agent processes, each measured apart.
    for stop in stops {
        let _ = stop.send(());
    }
    let Ok(bin) = std::env::var("NETCHECK_BIN") else {
        println!("through one server: skipped (NETCHECK_BIN names no netcheck binary)");
        return;
    };
    let mut agents = Vec::new();
    for (i, region) in regions.iter().enumerate() {
        let resolver = settings[i].0.addr.to_string();
        agents.push(
            tokio::process::Command::new(&bin)
                .args(["agent", "--nats", &nats.url, "--region", region])
                .args(["--name", &format!("{region}-p"), "--max-jobs", "200"])
                .args(["--resolver", &resolver, "--allow", "127.0.0.0/8"])
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap(),
        );
    }
    // The server vets each target with its own lookup first: the far region's resolver.
    let (server, addr) = server(&bin, &nats.url, &settings[2].0.addr.to_string()).await;
    // The in-process agents have left, the processes have joined.
    let joined = Instant::now();
    while hub.agents(Duration::from_millis(300)).await.unwrap().len() != 3 {
        assert!(
            joined.elapsed() < Duration::from_secs(20),
            "the agents did not join"
        );
    }
    let path = format!(
        "/api/v1/report?target=http://www.bench.test:{port}/&only=dns,site&regions=near,middle,far"
    );
    let _ = get(&addr, &path, 10).await;
    let t = Instant::now();
    let all = futures::future::join_all((0..100u8).map(|i| {
        let (addr, path) = (addr.clone(), path.clone());
        async move {
            let started = Instant::now();
            // From four client addresses: the server holds at most 64 connections of one.
            let answer = get(&addr, &path, 10 + i % 4).await;
            let ok = answer.starts_with("HTTP/1.1 200")
                && answer.matches("\"outcome\":\"completed\"").count() == 3;
            (ok, started.elapsed().as_secs_f64() * 1000.0)
        }
    }))
    .await;
    let total = t.elapsed();
    let completed = all.iter().filter(|(ok, _)| *ok).count();
    let mut walls: Vec<f64> = all.iter().map(|(_, w)| *w).collect();
    walls.sort_by(f64::total_cmp);
    let agent_rss: Vec<String> = agents
        .iter()
        .zip(&regions)
        .map(|(a, r)| format!("{r} {}", rss_mib(&a.id().unwrap().to_string())))
        .collect();
    println!(
        "100 three-region runs at once, through one server: {completed} completed in {:.1} s; wall p50 {:.0} ms, p99 {:.0} ms; peak RSS: server {} MiB, agents {} MiB",
        total.as_secs_f64(),
        walls[49],
        walls[98],
        rss_mib(&server.id().unwrap().to_string()),
        agent_rss.join(", ")
    );
}

/// `netcheck serve --nats URL` for the bench: no store, no cooldown, room for 200 runs from one
/// client; the process and the address it serves on.
async fn server(bin: &str, nats: &str, resolver: &str) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--nats", nats])
        .args(["--allow", "127.0.0.0/8", "--database-url", "none"])
        .args(["--resolver", resolver])
        .args(["--cooldown-secs", "0", "--max-concurrent", "200"])
        .args(["--runs-per-minute", "100000", "--runs-burst", "1000"])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next_line().await.unwrap().expect("serve ended");
        if let Some(addr) = line
            .strip_prefix("netcheck: serving the API on http://")
            .and_then(|rest| rest.strip_suffix("/api/v1/"))
        {
            break addr.to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

/// `GET path` of the server at `addr`, from 127.0.0.`from`: the whole answer as text.
async fn get(addr: &str, path: &str, from: u8) -> String {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind((std::net::Ipv4Addr::new(127, 0, 0, from), 0).into())
        .unwrap();
    let mut stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    answer
}
