//! The web UI end to end: `netcheck serve` with the built UI, real peers behind it, and headless
//! Chromium (through web/e2e/*.mjs) typing a target as a person would; with a real broker and
//! agents, the regions side by side. Needs Chromium, Node.js and a built UI (scripts/setup,
//! scripts/web), and nats-server for the regions; skips without them unless
//! NETCHECK_REQUIRE_BROWSER=1 (set in .ci/run), which makes their absence fail (and
//! NETCHECK_REQUIRE_NATS=1 for the broker).

use std::path::{Path, PathBuf};

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::A;
use netcheck_testkit::dns::{DnsServer, Zone};
use netcheck_testkit::smtp::{self, Smtp};

use crate::regions::{agent, agents_listed};
use crate::{kept_report, peers, serve};

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Why the test cannot run here, if it cannot.
fn missing() -> Option<String> {
    let web = web_dir();
    let chromium =
        std::env::var("NETCHECK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    [
        (web.join("dist/index.html"), "the built UI (scripts/web)"),
        (
            web.join("node_modules/playwright-core"),
            "web/node_modules (scripts/web)",
        ),
        (PathBuf::from(&chromium), "Chromium (scripts/setup)"),
    ]
    .into_iter()
    .find(|(path, _)| !path.exists())
    .map(|(path, what)| format!("{what} is missing: {}", path.display()))
}

/// Whether a browser test skips (true) or must fail because NETCHECK_REQUIRE_BROWSER=1.
fn skip(test: &str) -> bool {
    let Some(why) = missing() else {
        return false;
    };
    assert!(
        std::env::var("NETCHECK_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "NETCHECK_REQUIRE_BROWSER=1 but {why}"
    );
    eprintln!("SKIPPED {test}: {why}");
    true
}

/// What web/e2e/`script` printed, run with `args` and `env`: its one JSON line, the script
/// having succeeded.
async fn driven(
    script: &str,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &str)],
) -> serde_json::Value {
    let out = tokio::process::Command::new("node")
        .arg(web_dir().join("e2e").join(script))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

#[tokio::test]
async fn a_person_checks_a_site_in_the_browser() {
    if skip("a_person_checks_a_site_in_the_browser") {
        return;
    }
    let p = peers("web").await;
    let dist = web_dir().join("dist");
    // The permalink and the history are seen too: kept in the default store (SQLite), or,
    // with root, in a real PostgreSQL behind the server.
    let pg = netcheck_testkit::postgres::available()
        .ok()
        .map(|()| netcheck_testkit::postgres::Postgres::start());
    let mut flags: Vec<&std::ffi::OsStr> = vec![
        "--web-dir".as_ref(),
        dist.as_os_str(),
        "--public-history".as_ref(),
    ];
    if let Some(pg) = &pg {
        flags.push("--database-url".as_ref());
        flags.push(pg.url.as_ref());
    }
    let (_server, addr) = serve(&p, &flags).await;
    let base = format!("http://{addr}/");
    let screenshot = std::env::temp_dir().join(format!("netcheck-web-{}.png", std::process::id()));
    let target = p.url("/");
    let seen = driven(
        "check.mjs",
        &[base.as_ref(), target.as_ref(), screenshot.as_os_str()],
        &[("NETCHECK_E2E_PERMALINK", "1")],
    )
    .await;
    assert_eq!(seen["reachability"], "reachable", "{seen:#}");
    assert!(
        seen["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("www.netcheck.test is reachable: HTTP 200 from ")),
        "{seen:#}"
    );
    let cards: Vec<(String, String)> = seen["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ids: Vec<&str> = cards.iter().map(|(id, _)| id.as_str()).collect();
    let registry: Vec<&str> = netcheck_core::checks::registry()
        .iter()
        .map(|c| c.meta().id)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    let mut expected = registry.clone();
    expected.sort_unstable();
    assert_eq!(sorted, expected, "one card per check: {cards:?}");
    assert!(cards.iter().all(|(_, s)| s != "running"), "{cards:?}");
    // The TLS scan's card: its grade, large, and a table of suites for each version accepted,
    // as the section has them (the card's own JSON view), in the order the server chose them.
    let scan = &seen["tlsScan"];
    let data = &scan["data"];
    assert!(
        ["A+", "A", "B", "C", "D", "E", "F", "T"].contains(&scan["letter"].as_str().unwrap_or("")),
        "a grade is shown: {scan:#}"
    );
    assert_eq!(scan["letter"], data["letter"], "{scan:#}");
    assert_eq!(scan["caps"], data["caps"], "every cap, in words: {scan:#}");
    assert_eq!(scan["protocols"], data["protocols"], "{scan:#}");
    assert_eq!(
        scan["protocols"].as_array().map(Vec::len),
        Some(5),
        "SSL 3.0 to TLS 1.3, accepted or not: {scan:#}"
    );
    assert_eq!(scan["suites"], data["suites"], "{scan:#}");
    let tls13 = scan["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["version"] == "TLS 1.3")
        .unwrap_or_else(|| panic!("the site speaks TLS 1.3: {scan:#}"));
    assert!(
        tls13["codes"].as_array().is_some_and(
            |c| !c.is_empty() && c.iter().all(|c| c.as_str().unwrap().starts_with("0x13"))
        ),
        "{scan:#}"
    );
    for (table, caption) in scan["suites"]
        .as_array()
        .unwrap()
        .iter()
        .zip(scan["captions"].as_array().unwrap())
    {
        let caption = caption.as_str().unwrap();
        assert!(
            caption.starts_with(table["version"].as_str().unwrap()),
            "{scan:#}"
        );
        match table["order"].as_str().unwrap() {
            "server" => assert!(caption.contains("the server's order"), "{scan:#}"),
            "client" => assert!(caption.contains("the client's order"), "{scan:#}"),
            _ => {}
        }
    }
    assert!(
        scan["extensions"].as_array().is_some_and(|e| e.len() >= 10
            && e.iter().all(|x| {
                let x = x.as_str().unwrap();
                x.ends_with(": yes") || x.ends_with(": no") || x.ends_with(": unknown")
            })),
        "{scan:#}"
    );
    assert_eq!(scan["gradeVisible"], true, "{scan:#}");
    assert_eq!(scan["suitesVisible"], true, "{scan:#}");
    let scan_shot = PathBuf::from(scan["screenshot"].as_str().unwrap());
    assert!(std::fs::metadata(&scan_shot).is_ok_and(|m| m.len() > 2_000));
    // The world is drawn from data shipped with the page; loopback has no place on it.
    assert!(seen["countries"].as_u64().unwrap() >= 150, "{seen:#}");
    assert_eq!(seen["places"], 0);
    assert!(
        seen["mapNote"]
            .as_str()
            .unwrap()
            .contains("no public location"),
        "{seen:#}"
    );
    assert!(
        seen["url"].as_str().unwrap().starts_with("?target="),
        "a shareable address: {seen:#}"
    );
    // Checked again within the cooldown: the kept report, its age said, every card drawn.
    let again = &seen["again"];
    assert_eq!(again["summary"], seen["summary"], "{seen:#}");
    assert_eq!(
        again["cards"].as_u64(),
        Some(registry.len() as u64),
        "{seen:#}"
    );
    assert!(again["age"].as_u64().is_some_and(|a| a < 60), "{seen:#}");
    assert!(
        again["note"].as_str().unwrap().contains("once every 60 s"),
        "{seen:#}"
    );
    if pg.is_some() {
        let kept = &seen["permalink"];
        assert_eq!(
            kept["summary"], seen["summary"],
            "the permalink shows the same report: {seen:#}"
        );
        assert_eq!(
            kept["cards"].as_u64(),
            Some(registry.len() as u64),
            "{seen:#}"
        );
        assert!(kept["history"].as_u64().is_some_and(|n| n >= 1), "{seen:#}");
        assert_eq!(kept["target"], p.url("/"), "{seen:#}");
    }
    assert_eq!(seen["bad"]["code"], "bad_target", "{seen:#}");
    assert!(
        seen["bad"]["text"]
            .as_str()
            .unwrap()
            .contains("exa mple.com"),
        "{seen:#}"
    );
    // A link from another site fills the form; nothing runs until a person clicks.
    assert_eq!(seen["foreign"]["filled"], p.url("/"), "{seen:#}");
    assert_eq!(seen["foreign"]["cards"], 0, "{seen:#}");
    // No script error, and no Content-Security-Policy violation (Chromium logs those as
    // console errors) under the server's strict policy.
    assert_eq!(seen["errors"], serde_json::json!([]), "no script errors");
    assert_eq!(
        seen["offsite"],
        serde_json::json!([]),
        "the page asks nothing of other hosts"
    );
    assert!(std::fs::metadata(&screenshot).is_ok_and(|m| m.len() > 10_000));
    if std::env::var_os("NETCHECK_KEEP_SCREENSHOT").is_none() {
        let _ = std::fs::remove_file(&screenshot);
        let _ = std::fs::remove_file(&scan_shot);
    }
}

/// What web/e2e/share.mjs saw on kept report `id`'s page, having sent it to `address` if given.
async fn share_page(base: &str, id: &str, address: Option<&str>) -> serde_json::Value {
    let mut args: Vec<&std::ffi::OsStr> = vec![base.as_ref(), id.as_ref()];
    args.extend(address.map(std::ffi::OsStr::new));
    let seen = driven("share.mjs", &args, &[]).await;
    // Whether or not the server mails: the copy button, and a mailto: link with the diagnosis
    // and the permalink; no script error.
    assert_eq!(seen["copy"], 1, "{seen:#}");
    let mailto = seen["mailto"].as_str().unwrap_or_default();
    assert!(
        mailto.starts_with("mailto:?subject=netcheck%3A%20")
            && mailto.contains(&format!("report%3D{id}")),
        "{seen:#}"
    );
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen:#}");
    seen
}

#[tokio::test]
async fn a_person_mails_a_kept_report_from_its_page_and_without_smtp_there_is_no_form() {
    let test = "a_person_mails_a_kept_report_from_its_page_and_without_smtp_there_is_no_form";
    if skip(test) || smtp::skip(test) {
        return;
    }
    let p = peers("web-share").await;
    let smtp = Smtp::start().await;
    let dist = web_dir().join("dist");
    let relay = smtp.server();
    let flags: Vec<&std::ffi::OsStr> = vec![
        "--web-dir".as_ref(),
        dist.as_os_str(),
        "--smtp-server".as_ref(),
        relay.as_ref(),
        "--smtp-security".as_ref(),
        "none".as_ref(),
        "--mail-from".as_ref(),
        "netcheck@example.test".as_ref(),
    ];
    let (_server, addr) = serve(&p, &flags).await;
    let id = kept_report(&p, &addr).await;
    let base = format!("http://{addr}/");
    let seen = share_page(&base, &id, Some("ops@example.test")).await;
    assert_eq!(seen["form"], 1, "{seen:#}");
    assert_eq!(seen["sent"]["sent"], true, "{seen:#}");
    let mails = smtp.received();
    let [mail] = mails.as_array().unwrap().as_slice() else {
        panic!("one mail expected: {mails:#}");
    };
    assert_eq!(mail["to"], "ops@example.test");
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("netcheck: www.netcheck.test resolves to 127.0.0.1"),
        "{mail:#}"
    );
    // No --public-url: the link is made from the Host the page was reached by, one the
    // server answers for.
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("The report: http://{addr}/?report={id}\n")),
        "{text}"
    );

    // The same page from a server without a relay: the link and mailto:, no form.
    let (_plain, addr) = serve(&p, &["--web-dir".as_ref(), dist.as_os_str()]).await;
    let id = kept_report(&p, &addr).await;
    let seen = share_page(&format!("http://{addr}/"), &id, None).await;
    assert_eq!(seen["form"], 0, "{seen:#}");
}

/// Three regions (this server, and agents in Seoul and London on a real broker) offered,
/// chosen, run and shown side by side, London's resolver giving a GeoDNS-like answer where
/// nothing listens: the verdict naming London, a column per region with the answer that
/// differs marked, the differences, and a route per region on the map from its agent's place
/// to its target (placed by a --locations overlay, as loopback has no public place); then the
/// run's permalink (its `stored` event) and the kept run drawn there.
/// Screenshots at a desktop's and a phone's width, and of the map.
#[tokio::test]
async fn a_person_sees_a_site_down_from_one_of_three_regions_side_by_side_and_on_the_map() {
    let test = "a_person_sees_a_site_down_from_one_of_three_regions_side_by_side_and_on_the_map";
    if skip(test) || !netcheck_testkit::nats::usable() {
        return;
    }
    let nats = netcheck_testkit::nats::NatsServer::start();
    let p = peers("web-regions").await;
    let elsewhere =
        DnsServer::start(Zone::new().add("www.netcheck.test", 60, RData::A(A::new(127, 0, 0, 3))))
            .await;
    let dir = std::env::temp_dir().join(format!("netcheck-web-regions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let overlay = dir.join("locations.csv");
    std::fs::write(
        &overlay,
        "127.0.0.0/8,Frankfurt,DE,50.11,8.68,Loopback Net\n127.0.0.3/32,Paris,FR,48.86,2.35,Elsewhere Net\n",
    )
    .unwrap();
    let places = overlay.to_str().unwrap();
    let place = |location, lat, lon| {
        [
            "--location",
            location,
            "--lat",
            lat,
            "--lon",
            lon,
            "--locations",
            places,
        ]
    };
    let _seoul = agent(
        &nats.url,
        &p,
        &p.resolver(),
        "seoul",
        &place("Seoul, KR <i>x</i>", "37.57", "126.98"),
    );
    let london = elsewhere.addr.to_string();
    let _london = agent(
        &nats.url,
        &p,
        &london,
        "london",
        &place("London, GB", "51.51", "-0.13"),
    );
    let dist = web_dir().join("dist");
    // This server's own place: where `here`'s route starts.
    let flags: [&std::ffi::OsStr; 14] = [
        "--location".as_ref(),
        "Frankfurt, DE".as_ref(),
        "--lat".as_ref(),
        "50.11".as_ref(),
        "--lon".as_ref(),
        "8.68".as_ref(),
        "--web-dir".as_ref(),
        dist.as_os_str(),
        "--nats".as_ref(),
        nats.url.as_ref(),
        "--cooldown-secs".as_ref(),
        "0".as_ref(),
        "--locations".as_ref(),
        overlay.as_os_str(),
    ];
    let (_server, addr) = serve(&p, &flags).await;
    let agents = agents_listed(&addr, 2).await;
    assert_eq!(agents.as_array().map(Vec::len), Some(2), "{agents}");
    let base = format!("http://{addr}/");
    let target = p.url("/");
    let seen = driven(
        "regions.mjs",
        &[
            base.as_ref(),
            target.as_ref(),
            "here,london,seoul".as_ref(),
            dir.as_os_str(),
        ],
        &[],
    )
    .await;
    println!("{test}: screenshots {}", seen["screenshots"]);

    // All three offered, all ticked; the address says which were run.
    let offered: Vec<(&str, bool)> = seen["choice"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["region"].as_str().unwrap(), c["checked"] == true))
        .collect();
    assert_eq!(
        offered,
        [("here", true), ("london", true), ("seoul", true)],
        "{seen:#}"
    );
    assert!(
        seen["url"]
            .as_str()
            .unwrap()
            .ends_with("&regions=here%2Clondon%2Cseoul"),
        "{seen:#}"
    );
    assert_eq!(seen["verdict"], "down_from_some", "{seen:#}");
    assert!(
        seen["summary"]
            .as_str()
            .is_some_and(|s| s.ends_with("down from london, reachable from here, seoul")),
        "{seen:#}"
    );
    assert_eq!(seen["downFrom"], "Down from: london", "{seen:#}");
    assert!(
        seen["differences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "addresses"),
        "{seen:#}"
    );

    let columns = seen["columns"].as_array().unwrap();
    let column = |region: &str| {
        columns
            .iter()
            .find(|c| c["region"] == region)
            .unwrap_or_else(|| panic!("no column for {region}: {seen:#}"))
    };
    let regions: Vec<&str> = columns
        .iter()
        .map(|c| c["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["here", "london", "seoul"], "{seen:#}");
    assert!(
        columns.iter().all(|c| c["outcome"] == "completed"),
        "{seen:#}"
    );
    for region in ["here", "seoul"] {
        let c = column(region);
        assert_eq!(c["facts"]["status"], "200", "{c:#}");
        assert_eq!(c["facts"]["A"], "127.0.0.1", "{c:#}");
        assert!(
            c["facts"]["certificate"]
                .as_str()
                .unwrap()
                .contains("sha256 "),
            "{c:#}"
        );
    }
    let down = column("london");
    assert_eq!(down["facts"]["A"], "127.0.0.3", "{down:#}");
    assert!(
        down["facts"]["status"]
            .as_str()
            .unwrap()
            .starts_with("no answer"),
        "{down:#}"
    );
    assert!(
        down["differs"].as_array().unwrap().iter().any(|d| d == "A"),
        "{down:#}"
    );
    assert!(
        column("seoul")["agent"]
            .as_str()
            .unwrap()
            .starts_with("seoul-1 · Seoul, KR <i>x</i>"),
        "{seen:#}"
    );
    assert!(
        column("here")["agent"]
            .as_str()
            .unwrap()
            .starts_with("this server · Frankfurt, DE"),
        "{seen:#}"
    );
    assert_eq!(seen["markup"], 0, "an agent's words are text: {seen:#}");
    // Filled as the events came: a region seen running before the end.
    let states: Vec<&str> = seen["states"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(states.iter().any(|s| s.contains(":running:")), "{states:?}");

    // A route per region, each agent's a line from its place, and a legend entry each.
    let routes = seen["routes"].as_array().unwrap();
    let drawn: Vec<(&str, u64, u64)> = routes
        .iter()
        .map(|r| {
            let count = |k: &str| r[k].as_u64().unwrap();
            (
                r["region"].as_str().unwrap(),
                count("lines"),
                count("agents"),
            )
        })
        .collect();
    assert_eq!(
        drawn,
        [("here", 1, 1), ("london", 1, 1), ("seoul", 1, 1)],
        "{seen:#}"
    );
    assert!(
        routes.iter().all(|r| r["places"].as_u64() >= Some(1)),
        "{seen:#}"
    );
    assert_eq!(
        seen["legend"],
        serde_json::json!(["here", "london", "seoul"]),
        "{seen:#}"
    );
    assert_eq!(
        seen["overflow"], 0,
        "nothing wider than a phone's screen: {seen:#}"
    );
    // Kept: the permalink shown, the kept run drawn the same.
    let kept = &seen["kept"];
    assert_eq!(kept["verdict"], "down_from_some", "{seen:#}");
    assert_eq!(
        kept["columns"],
        serde_json::json!(["here:completed", "london:completed", "seoul:completed"]),
        "{seen:#}"
    );
    assert_eq!(kept["routes"], 3, "{seen:#}");
    assert_eq!(kept["target"], target, "{seen:#}");
    assert_eq!(seen["errors"], serde_json::json!([]), "no script errors");
    assert_eq!(
        seen["offsite"],
        serde_json::json!([]),
        "the page asks nothing of other hosts"
    );
    if std::env::var_os("NETCHECK_KEEP_SCREENSHOT").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
