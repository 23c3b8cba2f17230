//! `netcheck agent`, `netcheck agents` and `netcheck check --regions` as a person runs them:
//! a real broker (Debian's nats-server on loopback), two agent processes, the peers' site.

use std::time::{Duration, Instant};

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

#[tokio::test]
async fn two_agents_and_this_machine_side_by_side_and_an_agent_stops_on_sigterm() {
    let Some(nats) = netcheck_testkit::nats::for_test() else {
        return;
    };
    let p = peers("regions").await;
    let resolver = p.resolver();
    let agent = |region: &str| {
        let location = format!("{region}, test");
        agent(&nats.url, &p, &resolver, region, &["--location", &location])
    };
    let seoul = agent("seoul");
    let _london = agent("london");
    // Both answer discovery once they are up.
    let started = Instant::now();
    let listed = loop {
        let out = netcheck(&["agents", "--nats", &nats.url, "--json"]).await;
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if list.as_array().is_some_and(|a| a.len() == 2)
            || started.elapsed() > Duration::from_secs(15)
        {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
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
