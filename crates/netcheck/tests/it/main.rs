//! The binary as a person uses it: exit codes, --json, live lines, NO_COLOR, generated docs.
//! Each test starts real peers from netcheck-testkit on loopback and runs `netcheck` against them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abuse;
mod mail;
mod regions;
mod testbed;
mod web;

use std::path::PathBuf;
use std::process::Output;

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::A;
use netcheck_testkit::dns::{DnsServer, Zone};
use netcheck_testkit::pki::{Leaf, TestCa};
use netcheck_testkit::web::WebServer;

const BIN: &str = env!("CARGO_BIN_EXE_netcheck");

async fn netcheck(args: &[impl AsRef<std::ffi::OsStr>]) -> Output {
    tokio::process::Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("NETCHECK_RESOLVER")
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

struct Peers {
    dns: DnsServer,
    https: WebServer,
    ca_file: PathBuf,
}

impl Drop for Peers {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

async fn peers(tag: &str) -> Peers {
    let zone = Zone::new().add("www.netcheck.test", 60, RData::A(A::new(127, 0, 0, 1)));
    let dns = DnsServer::start(zone).await;
    let ca = TestCa::new("CLI");
    let https = WebServer::https(&ca.issue(&Leaf::for_names(&["www.netcheck.test"]))).await;
    let ca_file =
        std::env::temp_dir().join(format!("netcheck-cli-{tag}-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca.root_pem()).unwrap();
    Peers {
        dns,
        https,
        ca_file,
    }
}

impl Peers {
    fn url(&self, path: &str) -> String {
        format!("https://www.netcheck.test:{}{path}", self.https.port())
    }
    fn resolver(&self) -> String {
        self.dns.addr.to_string()
    }
    fn ca(&self) -> &str {
        self.ca_file.to_str().unwrap()
    }
    /// `check` of the peers' site, asking their resolver and trusting their CA, with `extra`.
    fn check_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            "check".to_owned(),
            self.url("/"),
            "--resolver".to_owned(),
            self.resolver(),
            "--ca-file".to_owned(),
            self.ca().to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }
}

#[tokio::test]
async fn bad_input_exits_2_with_a_clear_message() {
    let long = "a".repeat(3000);
    for (input, words) in [
        ("http://[", "not a valid URL"),
        ("exa mple.com", "white space"),
        ("ftp://x", "unsupported scheme 'ftp'"),
        ("", "empty"),
        (long.as_str(), "3000 characters"),
        ("com", "bare top-level domain"),
        ("example.com:99999", "port"),
    ] {
        let out = netcheck(&["check", input]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input:?}: {stderr}");
        assert!(
            stderr.contains(words),
            "{input:?}: expected {words:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{input:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = netcheck(&["check"]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing target is a usage error"
    );
    let out = netcheck(&["check", "a.test", "--resolver", "not-an-ip"]).await;
    assert_eq!(out.status.code(), Some(2));
    let out = netcheck(&["check", "a.test", "--ca-file", "/nonexistent/ca.pem"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/ca.pem"));
}

#[tokio::test]
async fn json_output_is_one_document_and_a_healthy_site_exits_0() {
    let p = peers("json").await;
    let out = netcheck(&[
        "check",
        &p.url("/"),
        "--json",
        "--resolver",
        &p.resolver(),
        "--ca-file",
        p.ca(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["target"]["host"], "www.netcheck.test");
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "dns",
            "site",
            "tls",
            "tls_scan",
            "ping",
            "traceroute",
            "registration",
            "location"
        ]
    );
    assert_eq!(report["checks"][1]["data"]["kind"], "site");
    assert_eq!(
        report["checks"][1]["data"]["page"]["title"],
        "netcheck test page"
    );
    assert_eq!(report["checks"][2]["data"]["verdict"], "valid");
    assert!(
        stderr.trim().is_empty(),
        "--json prints no progress: {stderr}"
    );
}

#[tokio::test]
async fn text_output_has_live_lines_then_a_report_without_colour_under_no_color() {
    let p = peers("text").await;
    let out = netcheck(&[
        "check",
        &p.url("/"),
        "--resolver",
        &p.resolver(),
        "--ca-file",
        p.ca(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    for line in ["dns   started", "site  started", "tls   started"] {
        assert!(stderr.contains(line), "missing {line:?} in {stderr}");
    }
    assert!(
        stderr.lines().any(|l| l.starts_with("site  ok (")),
        "{stderr}"
    );
    assert!(stdout.contains("netcheck test page"), "{stdout}");
    assert!(stdout.contains("verdict: valid"), "{stdout}");
    assert!(stdout.contains(" is reachable: HTTP 200 from "), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "NO_COLOR must remove escape codes"
    );
}

#[tokio::test]
async fn a_failing_site_exits_1() {
    let p = peers("fail").await;
    let out = netcheck(&[
        "check",
        &p.url("/status/503"),
        "--resolver",
        &p.resolver(),
        "--ca-file",
        p.ca(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("503 Service Unavailable"));
    // An untrusted certificate is a failure too, though the page is fetched.
    let out = netcheck(&["check", &p.url("/"), "--resolver", &p.resolver()]).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("verdict: untrusted root"), "{stdout}");
    assert!(stdout.contains("netcheck test page"), "{stdout}");
}

/// What `netcheck ARGS` prints is docs/`file` as committed; the text of the file.
fn assert_docs_generated(args: &[&str], file: &str) -> String {
    let generated = std::process::Command::new(BIN).args(args).output().unwrap();
    let path = format!("{}/../../docs/{file}", env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&generated.stdout),
        docs,
        "regenerate with: netcheck {} > docs/{file}",
        args.join(" ")
    );
    docs
}

#[test]
fn docs_checks_md_is_what_the_registry_generates() {
    assert_docs_generated(&["checks", "--markdown"], "checks.md");
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // `netcheck check … --json | head -1`: the pipe closes before the report is written.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = std::process::Command::new(BIN)
        .args([
            "check",
            &format!("http://{closed}/"),
            "--only",
            "site",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the site is down: 1, not a crash code"
    );
}

#[test]
fn docs_report_schema_is_what_the_types_generate() {
    let docs = assert_docs_generated(&["schema"], "report.schema.json");
    // And a real report validates against its own schema's required fields.
    let schema: serde_json::Value = serde_json::from_str(&docs).unwrap();
    let required = schema["report"]["required"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        required.iter().any(|r| r == "checks") && required.iter().any(|r| r == "target"),
        "{required:?}"
    );
}

#[test]
fn docs_openapi_is_what_the_routes_generate() {
    // web/src/api.gen.ts is generated from it in turn (npm run gen; npm test checks it).
    let docs = assert_docs_generated(&["openapi"], "openapi.json");
    let doc: serde_json::Value = serde_json::from_str(&docs).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

/// A running `netcheck serve`: killed, and its data directory removed, when dropped.
pub struct Served {
    pub child: tokio::process::Child,
    data: std::path::PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// `netcheck serve` on a free loopback port, asking `p`'s resolver and trusting its CA, with
/// `extra` flags and a data directory of its own (XDG_DATA_HOME: where the default store
/// lives); the server and the address it prints. Its stderr is read to the end, so that
/// nothing it says later meets a closed pipe.
async fn serve(p: &Peers, extra: &[&std::ffi::OsStr]) -> (Served, String) {
    serve_as(p, true, extra).await
}

/// [`serve`], admitting loopback (where the peers are) or, without `allow_loopback`, with the
/// public service's policy as it is deployed.
async fn serve_as(p: &Peers, allow_loopback: bool, extra: &[&std::ffi::OsStr]) -> (Served, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    // The peers listen on loopback, which a public service refuses.
    let allow: &[&str] = if allow_loopback {
        &["--allow", "127.0.0.0/8", "--allow", "::1/128"]
    } else {
        &[]
    };
    static SERVED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SERVED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let data = std::env::temp_dir().join(format!("netcheck-serve-{}-{n}", std::process::id()));
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--resolver",
            &p.resolver(),
            "--ca-file",
            p.ca(),
        ])
        .args(allow)
        .args(extra)
        .env("XDG_DATA_HOME", &data)
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(addr) = line
                .strip_prefix("netcheck: serving the API on http://")
                .and_then(|rest| rest.strip_suffix("/api/v1/"))
            {
                return addr.to_owned();
            }
        }
        panic!("serve ended without saying where it serves")
    })
    .await
    .expect("serve did not say where it serves within 20 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (Served { child, data }, addr)
}

/// `GET path` of the server at `addr`, the whole answer as text (status line, headers, body).
async fn http_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

/// [`http_get`]'s answer as its status and its body.
async fn http_status_body(addr: &str, path: &str) -> (u16, String) {
    let answer = http_get(addr, path).await;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A report of `p`'s site (DNS only) kept by the server at `addr`: its id.
async fn kept_report(p: &Peers, addr: &str) -> String {
    let answer = http_get(
        addr,
        &format!("/api/v1/report?target={}&only=dns", p.url("/")),
    )
    .await;
    answer
        .lines()
        .find_map(|l| l.strip_prefix("location: /api/v1/reports/"))
        .unwrap_or_else(|| panic!("no permalink: {answer}"))
        .trim()
        .to_owned()
}

/// The README's run command: `netcheck serve` with no flag for a store keeps its reports in a
/// SQLite file under the XDG data directory, and each report has a permalink.
#[tokio::test]
async fn serve_keeps_reports_with_no_setup_in_sqlite_under_the_data_directory() {
    let p = peers("serve-store").await;
    let (served, addr) = serve(&p, &[]).await;
    let get = |path: String| {
        let addr = addr.clone();
        async move { http_get(&addr, &path).await }
    };
    let answer = get(format!("/api/v1/report?target={}&only=dns", p.url("/"))).await;
    let location = answer
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("no permalink: {answer}"))
        .to_owned();
    let kept = get(location.clone()).await;
    assert!(kept.starts_with("HTTP/1.1 200"), "{location}: {kept}");
    assert!(kept.contains("\"schema_version\""), "{kept}");
    assert!(
        served.data.join("netcheck/reports.sqlite3").is_file(),
        "no store in {}",
        served.data.display()
    );
    // And its history is not listed to anyone without --public-history.
    let history = get("/api/v1/reports".into()).await;
    assert!(history.starts_with("HTTP/1.1 403"), "{history}");
}

#[tokio::test]
async fn serve_answers_the_api_on_the_address_it_prints() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let p = peers("serve").await;
    let (_child, addr) = serve(&p, &[]).await;
    let addr = addr.as_str();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /api/v1/report?target={}&only=dns,site,tls HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
        p.url("/")
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let report: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(report["diagnosis"]["reachability"], "reachable", "{report}");
}

/// `netcheck api-key new` prints a key and its line; `serve --api-keys` with that line runs the
/// key's requests past the anonymous limit, and refuses a file that is not digests.
#[tokio::test]
async fn a_new_api_key_runs_past_the_anonymous_limit_of_the_server_given_its_line() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let made = netcheck(&["api-key", "new"]).await;
    assert!(made.status.success());
    let out = String::from_utf8(made.stdout).unwrap();
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let (key, line) = (lines[1], lines[3]);
    assert!(key.starts_with("nck_") && line.len() == 64, "{out}");
    let p = peers("api-key").await;
    let file = std::env::temp_dir().join(format!("netcheck-cli-keys-{}", std::process::id()));
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let (_served, addr) = serve(
        &p,
        &[
            "--api-keys".as_ref(),
            file.as_os_str(),
            "--runs-burst".as_ref(),
            "1".as_ref(),
            "--runs-per-minute".as_ref(),
            "1".as_ref(),
        ],
    )
    .await;
    let status = |auth: Option<String>| {
        let addr = addr.clone();
        async move {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let auth = auth
                .map(|a| format!("Authorization: {a}\r\n"))
                .unwrap_or_default();
            let request = format!(
                "GET /api/v1/report?target=www.netcheck.test&only=dns HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            answer.split(' ').nth(1).unwrap_or("").to_owned()
        }
    };
    // The cooldown does not come into it: each answer is the server's, a run or a stored one.
    assert_eq!(status(None).await, "200");
    assert_eq!(status(None).await, "429");
    assert_eq!(status(Some(format!("Bearer {key}"))).await, "200");
    assert_eq!(status(Some(format!("Bearer {line}"))).await, "401");

    std::fs::write(&file, format!("{key}\n")).unwrap();
    let refused = tokio::process::Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "none",
            "--api-keys",
        ])
        .arg(&file)
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("line 1") && said.contains("SHA-256"),
        "{said}"
    );
}

#[tokio::test]
async fn a_location_overlay_places_private_and_reserved_addresses() {
    let file = std::env::temp_dir().join(format!("netcheck-locations-{}.csv", std::process::id()));
    std::fs::write(
        &file,
        "# cidr,city,country,latitude,longitude,network\n127.0.0.0/8,Loopville,KR,37.5,127.0,Loopback Net\n",
    )
    .unwrap();
    let out = netcheck(&[
        "check",
        "127.0.0.1",
        "--only",
        "location",
        "--json",
        "--locations",
        file.to_str().unwrap(),
    ])
    .await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let place = &report["checks"][0]["data"]["locations"][0];
    assert_eq!(place["city"], "Loopville", "{report}");
    assert_eq!(place["country_code"], "KR");
    assert_eq!(place["latitude"], 37.5);
    assert_eq!(place["as_organization"], "Loopback Net");
    std::fs::write(&file, "127.0.0.0/8,Loopville,KR,37.5,500,x\n").unwrap();
    let out = netcheck(&["check", "127.0.0.1", "--locations", file.to_str().unwrap()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 1") && stderr.contains("longitude"),
        "{stderr}"
    );
    let _ = std::fs::remove_file(&file);
}
