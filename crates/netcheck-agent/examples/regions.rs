//! Regions against the slowest region alone, on a real broker (nats-server on loopback): three
//! agents in this process, each with its own connection and its own resolver, which sends it
//! to its own copy of the site, answering after 10, 40 and 120 ms. Prints:
//! - a 3-region report's wall time against the slowest region's own report, run by the engine
//!   directly with that region's settings (the reference, same process): goal ≤ 1.1×, plus one
//!   round trip to the broker;
//! - 100 3-region runs at once: how many completed, their p50 and p99 wall time, and the
//!   process's resident memory (agents and hub together).
//!
//! bench/regions.sh runs it: `cargo run --release -p netcheck-agent --example regions [RUNS]`.

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

fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
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
        tokio::spawn(async move { serve(client, config, std::future::pending()).await });
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
        "100 three-region runs at once: {completed} completed in {:.1} s; wall p50 {:.0} ms, p99 {:.0} ms; peak RSS {} MiB (agents and hub in one process)",
        total.as_secs_f64(),
        walls[49],
        walls[98],
        rss_mib()
    );
}
