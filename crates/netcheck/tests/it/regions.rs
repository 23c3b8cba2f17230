//! `netcheck agent`, `netcheck agents` and `netcheck check --regions` as a person runs them:
//! a real broker (Debian's nats-server on loopback), two agent processes, the peers' site.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::{BIN, Peers, http_status_body as get, netcheck, peers, serve};

/// `netcheck agent` for `region` (named REGION-1) on the broker at `nats`, asking `resolver`,
/// trusting `p`'s CA and admitting loopback, with `extra` flags; killed when dropped.
pub(crate) fn agent(
    nats: &str,
    p: &Peers,
    resolver: &str,
    region: &str,
    extra: &[&str],
) -> tokio::process::Child {
    tokio::process::Command::new(BIN)
        .args(["agent", "--nats", nats, "--region", region])
        .args(["--name", &format!("{region}-1")])
        .args(extra)
        .args(["--resolver", resolver, "--ca-file", p.ca()])
        .args(["--allow", "127.0.0.0/8", "--allow", "::1/128"])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// The agents the server at `addr` lists, once `n` of them answer (or after 15 s).
pub(crate) async fn agents_listed(addr: &str, n: usize) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let (status, body) = get(addr, "/api/v1/regions").await;
        assert_eq!(status, 200, "{body}");
        let agents: serde_json::Value = serde_json::from_str(&body).unwrap();
        if agents.as_array().map(Vec::len) == Some(n) || started.elapsed() > Duration::from_secs(15)
        {
            return agents;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `netcheck agents --json` once `n` agents answer (or what answers after 15 s).
async fn agents_up(url: &str, n: usize) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let out = netcheck(&["agents", "--nats", url, "--json"]).await;
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if list.as_array().is_some_and(|a| a.len() == n)
            || started.elapsed() > Duration::from_secs(15)
        {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_agents_and_this_machine_side_by_side_and_an_agent_stops_on_sigterm() {
    let Some(nats) = netcheck_testkit::nats::for_test() else {
        return;
    };
    let p = peers("regions").await;
    let resolver = p.resolver();
    let seoul = agent(
        &nats.url,
        &p,
        &resolver,
        "seoul",
        &["--location", "seoul, test"],
    );
    let _london = agent(
        &nats.url,
        &p,
        &resolver,
        "london",
        &["--location", "london, test"],
    );
    let listed = agents_up(&nats.url, 2).await;
    let names: Vec<&str> = listed
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["agent"]["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["london-1", "seoul-1"], "{listed}");

    let out = netcheck(&[
        "check",
        &p.url("/"),
        "--nats",
        &nats.url,
        "--regions",
        "here,seoul,london,mars",
        "--only",
        "dns,site,tls",
        "--resolver",
        &p.resolver(),
        "--ca-file",
        p.ca(),
        "--json",
    ])
    .await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let regions = report["regions"].as_array().unwrap();
    let outcome = |name: &str| {
        regions
            .iter()
            .find(|r| r["region"] == name)
            .map(|r| r["outcome"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(outcome("here").as_deref(), Some("completed"), "{report}");
    assert_eq!(outcome("seoul").as_deref(), Some("completed"), "{report}");
    assert_eq!(outcome("london").as_deref(), Some("completed"), "{report}");
    assert_eq!(outcome("mars").as_deref(), Some("no_agent"), "{report}");
    for r in regions.iter().filter(|r| r["outcome"] == "completed") {
        assert_eq!(r["report"]["diagnosis"]["reachability"], "reachable", "{r}");
        let status = r["report"]["checks"][1]["data"]["status"].as_u64();
        assert_eq!(status, Some(200), "{r}");
    }
    assert_eq!(
        report["verdict"]["kind"], "inconclusive",
        "mars has no agent"
    );
    assert_eq!(out.status.code(), Some(1));

    // The text face: one line per region, the verdict below.
    let out = netcheck(&[
        "check",
        &p.url("/"),
        "--nats",
        &nats.url,
        "--regions",
        "seoul,london",
        "--only",
        "site",
        "--resolver",
        &p.resolver(),
        "--ca-file",
        p.ca(),
    ])
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("reachable from every region (seoul, london)"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0), "{text}");

    // The server with --nats: regions= through the API, the agents listed.
    let flags: [&std::ffi::OsStr; 4] = [
        "--nats".as_ref(),
        nats.url.as_ref(),
        "--cooldown-secs".as_ref(),
        "0".as_ref(),
    ];
    let (_served, addr) = serve(&p, &flags).await;
    let agents = agents_listed(&addr, 2).await;
    assert_eq!(agents.as_array().map(Vec::len), Some(2), "{agents}");
    let target = p.url("/");
    let (status, body) = get(
        &addr,
        &format!("/api/v1/report?target={target}&only=dns,site&regions=seoul,here,london"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let side: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = side["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["seoul", "here", "london"], "in the order asked");
    assert_eq!(side["verdict"]["kind"], "reachable_everywhere", "{side}");
    let (status, stream) = get(
        &addr,
        &format!("/api/v1/run?target={target}&only=dns&regions=seoul,london"),
    )
    .await;
    assert_eq!(status, 200, "{stream}");
    for region in ["seoul", "london"] {
        assert!(
            stream.contains(&format!("\"region\":\"{region}\"")),
            "{region}'s events are tagged: {stream}"
        );
    }
    assert!(stream.contains("event: regions"), "{stream}");
    let (_plain, plain_addr) = serve(&p, &[]).await;
    let (status, body) = get(
        &plain_addr,
        &format!("/api/v1/report?target={target}&regions=seoul"),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no_regions"), "{body}");

    // SIGTERM: the agent stops taking jobs and ends cleanly.
    let pid = seoul.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(Duration::from_secs(10), seoul.wait_with_output())
        .await
        .expect("the agent did not stop on SIGTERM")
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("agent seoul-1 stopped"));
}

/// A site that answers each request `delay` late: a run long enough to be joined midway.
async fn slow_site(delay: Duration) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = conn.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let _ = conn
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    port
}

/// The `event:` names of a stream's text, in order.
fn event_names(stream: &str) -> Vec<&str> {
    stream
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect()
}

#[tokio::test]
async fn two_servers_stream_one_run_and_either_serves_its_permalink() {
    let Some(nats) = netcheck_testkit::nats::for_test() else {
        return;
    };
    let p = peers("regions-two-servers").await;
    let resolver = p.resolver();
    let _seoul = agent(&nats.url, &p, &resolver, "seoul", &[]);
    let _london = agent(&nats.url, &p, &resolver, "london", &[]);
    assert_eq!(
        agents_up(&nats.url, 2).await.as_array().map(Vec::len),
        Some(2)
    );
    // One store behind both: PostgreSQL as deployed, or one SQLite file when it cannot run.
    let pg = netcheck_testkit::postgres::available()
        .ok()
        .map(|()| netcheck_testkit::postgres::Postgres::start());
    let shared =
        std::env::temp_dir().join(format!("netcheck-shared-{}.sqlite3", std::process::id()));
    let database = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite:{}", shared.display()),
    };
    let flags: [&std::ffi::OsStr; 6] = [
        "--nats".as_ref(),
        nats.url.as_ref(),
        "--cooldown-secs".as_ref(),
        "0".as_ref(),
        "--database-url".as_ref(),
        database.as_ref(),
    ];
    let (mut a, a_addr) = serve(&p, &flags).await;
    let (_b, b_addr) = serve(&p, &flags).await;

    // The run starts on A; its first event names it.
    let port = slow_site(Duration::from_secs(2)).await;
    let mut on_a = tokio::net::TcpStream::connect(&a_addr).await.unwrap();
    let request = format!(
        "GET /api/v1/run?target=http://127.0.0.1:{port}/&only=site&regions=seoul,here,london \
         HTTP/1.1\r\nHost: {a_addr}\r\nConnection: close\r\n\r\n"
    );
    on_a.write_all(request.as_bytes()).await.unwrap();
    let mut lines = BufReader::new(on_a).lines();
    let mut from_a = String::new();
    let id = loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("no run event from A")
            .unwrap()
            .expect("A's stream ended before its run event");
        from_a.push_str(&line);
        from_a.push('\n');
        if let Some(data) = line.strip_prefix("data: ")
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(data)
            && let Some(id) = v["id"].as_str()
        {
            assert_eq!(v["stream"], format!("/api/v1/runs/{id}"), "{v}");
            break id.to_owned();
        }
    };
    // B streams the same run while it goes on, from its first event to its last.
    let joined = Instant::now();
    let (status, from_b) = get(&b_addr, &format!("/api/v1/runs/{id}")).await;
    assert_eq!(status, 200, "{from_b}");
    assert!(
        joined.elapsed() > Duration::from_millis(1000),
        "B's stream ended before the slow site answered: it was not live"
    );
    while let Ok(Some(line)) = lines.next_line().await {
        from_a.push_str(&line);
        from_a.push('\n');
    }
    let names_a = event_names(&from_a);
    let names_b = event_names(&from_b);
    assert_eq!(names_a.first(), Some(&"run"), "{from_a}");
    assert_eq!(names_a, names_b, "A: {from_a}\nB: {from_b}");
    assert_eq!(names_b.last(), Some(&"stored"), "{from_b}");
    for region in ["seoul", "here", "london"] {
        assert!(
            from_b.contains(&format!("\"region\":\"{region}\"")),
            "{region}'s events reach B: {from_b}"
        );
    }
    assert!(from_b.contains("reachable from every region"), "{from_b}");

    // Its id is its permalink, on either server: the regions side by side.
    for addr in [&a_addr, &b_addr] {
        let (status, kept) = get(addr, &format!("/api/v1/reports/{id}")).await;
        assert_eq!(status, 200, "{kept}");
        let kept: serde_json::Value = serde_json::from_str(&kept).unwrap();
        assert_eq!(kept["verdict"]["kind"], "reachable_everywhere", "{kept}");
        assert_eq!(kept["regions"].as_array().map(Vec::len), Some(3), "{kept}");
    }
    // With A gone, B streams the ended run from the store.
    a.child.kill().await.unwrap();
    let (status, again) = get(&b_addr, &format!("/api/v1/runs/{id}")).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(event_names(&again), ["run", "regions", "stored"], "{again}");
    let (status, none) = get(&b_addr, &format!("/api/v1/runs/{}", "0".repeat(32))).await;
    assert_eq!(status, 404, "{none}");
    let (status, bad) = get(&b_addr, "/api/v1/runs/not-an-id").await;
    assert_eq!(status, 400, "{bad}");
    let _ = std::fs::remove_file(&shared);
}
