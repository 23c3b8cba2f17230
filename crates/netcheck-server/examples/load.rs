//! The server under load: N reports in flight at once (each held ~3 s by a slow loopback site)
//! while a stored report is read through its permalink, again and again. Prints the permalink
//! read's p50 and p99 with no load (the reference, same process) and under load, their ratio,
//! and the process's resident memory before, at the peak, and per report in flight.
//! bench/server.sh runs it with the default store (SQLite) and with PostgreSQL.
//!
//!     cargo run --release -p netcheck-server --example load -- [sqlite|postgres] [IN_FLIGHT]

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use netcheck_core::policy::TargetPolicy;
use netcheck_core::{RunOptions, Settings};
use netcheck_server::ServerConfig;
use netcheck_server::store::{Retention, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long the slow site holds each request before it answers.
const HOLD: Duration = Duration::from_secs(3);
const READS: usize = 400;

/// A site that answers every request after `HOLD`: what keeps a report in flight.
async fn slow_site() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = stream.read(&mut buf).await;
                let fast = buf.starts_with(b"GET /fast");
                if !fast {
                    tokio::time::sleep(HOLD).await;
                }
                let body = "<title>slow</title>";
                let _ = stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    addr
}

async fn get(server: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(server).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Permalink reads one after another: `READS` of them, or, with `until`, as many as fit until
/// it is set; their p50, p99 and count.
async fn reads(
    server: SocketAddr,
    path: &str,
    until: Option<Arc<std::sync::atomic::AtomicBool>>,
) -> (f64, f64, usize) {
    let mut times = Vec::with_capacity(READS);
    loop {
        let done = match &until {
            Some(flag) => flag.load(std::sync::atomic::Ordering::SeqCst),
            None => times.len() >= READS,
        };
        if done {
            break;
        }
        let started = Instant::now();
        let (status, answer) = get(server, path).await;
        assert_eq!(status, 200, "{answer}");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    (at(0.50), at(0.99), times.len())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "sqlite".into());
    let in_flight: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("netcheck-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pg = (kind == "postgres").then(netcheck_testkit::postgres::Postgres::start);
    let url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite:{}", dir.join("reports.sqlite3").display()),
    };
    let store = Store::open(&url, Retention::default()).await.unwrap();
    let site = slow_site().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let config = ServerConfig {
        options: RunOptions {
            checks: vec!["site".into()],
            ..RunOptions::default()
        },
        settings: Settings {
            policy: TargetPolicy::public_only().allow("127.0.0.1/32".parse().unwrap()),
            ..Settings::default()
        },
        max_concurrent: in_flight + 10,
        web_dir: None,
        store: Some(Arc::new(store)),
        public_history: false,
        allowed: netcheck_server::guard::Allowed::for_listener(server, &[]),
        limits: netcheck_server::listen::Limits {
            max_per_client: in_flight * 2 + 64,
            ..Default::default()
        },
        rate: netcheck_server::abuse::RateLimit {
            per_minute: 1_000_000,
            burst: 1_000_000,
            ..Default::default()
        },
        share: None,
        // Every report of the load is of one host: the cooldown would answer them from the store.
        cooldown: Duration::ZERO,
        hub: None,
        here: None,
    };
    tokio::spawn(netcheck_server::serve(listener, config));

    // One report kept, to be read through its permalink.
    let (status, answer) = get(server, &format!("/api/v1/report?target=http://{site}/fast")).await;
    assert_eq!(status, 200, "{answer}");
    let permalink = answer
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .expect("the report was kept")
        .trim()
        .to_owned();
    let (idle_p50, idle_p99, _) = reads(server, &permalink, None).await;
    let rss_idle = rss_kib("VmRSS:");

    // The reads go on from the first report started to the last one answered (and kept):
    // the starts, the wait, and the burst of 500 reports finishing and being stored at once.
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = tokio::spawn({
        let (permalink, finished) = (permalink.clone(), finished.clone());
        async move { reads(server, &permalink, Some(finished)).await }
    });
    let load: Vec<_> = (0..in_flight)
        .map(|i| {
            tokio::spawn(async move {
                get(
                    server,
                    &format!("/api/v1/report?target=http://{site}/slow/{i}"),
                )
                .await
            })
        })
        .collect();
    tokio::time::sleep(HOLD / 2).await;
    let rss_load = rss_kib("VmRSS:");
    let mut ok = 0;
    for l in load {
        if l.await.map(|(s, _)| s == 200).unwrap_or(false) {
            ok += 1;
        }
    }
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
    let (load_p50, load_p99, loaded_reads) = reader.await.unwrap();
    let rss_peak = rss_kib("VmHWM:");
    println!(
        "store {kind}: {in_flight} reports in flight ({ok} answered 200, each held {} s); permalink reads: {READS} idle, {loaded_reads} under load",
        HOLD.as_secs()
    );
    println!(
        "{:<38} {:>9} {:>9} {:>7}",
        "permalink read", "p50 ms", "p99 ms", "ratio"
    );
    println!(
        "{:<38} {:>9.2} {:>9.2} {:>7}",
        "idle (reference)", idle_p50, idle_p99, "1.0"
    );
    println!(
        "{:<38} {:>9.2} {:>9.2} {:>7.1}",
        format!("with {in_flight} reports in flight"),
        load_p50,
        load_p99,
        load_p99 / idle_p99
    );
    println!(
        "resident memory: {} MiB idle, {} MiB under load, peak {} MiB; {:.0} KiB per report in flight",
        rss_idle / 1024,
        rss_load / 1024,
        rss_peak / 1024,
        (rss_peak.saturating_sub(rss_idle)) as f64 / in_flight as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
    drop(pg);
}
