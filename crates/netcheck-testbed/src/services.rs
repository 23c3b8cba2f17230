//! The real servers of the server namespace, from Debian's packages: Knot DNS (authoritative,
//! signing two zones), Unbound (a validating resolver, the client's DNS server) and nginx (the
//! sites, one per certificate state; the TLS-scan sites are `scan_sites.rs`'s). Their
//! configuration is written into the run directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netcheck_testkit::pki::{Leaf, TestCa, self_signed};
use time::OffsetDateTime;

use crate::TestbedError;

pub const WEB_V4: &str = "198.18.4.2";
pub const WEB_V6: &str = "2001:db8:4::2";
pub const RESOLVER_V4: &str = "198.18.4.53";
pub const RESOLVER_V6: &str = "2001:db8:4::53";

/// The HTTPS sites: host label, and what its certificate is like.
pub const SITES: [&str; 7] = [
    "valid",
    "expired",
    "future",
    "wronghost",
    "selfsigned",
    "untrusted",
    "incomplete",
];

pub const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>netcheck testbed</title><meta name=\"description\" content=\"A site in the netcheck testbed.\"></head><body>testbed</body></html>";

pub(crate) fn io(what: &str) -> impl Fn(std::io::Error) -> TestbedError + '_ {
    move |e| TestbedError::Command(format!("{what}: {e}"))
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), TestbedError> {
    std::fs::write(path, text).map_err(io(&path.display().to_string()))
}

/// Makes the test CA and one identity per site; writes them under `dir/pki`.
pub fn pki(dir: &Path) -> Result<PathBuf, TestbedError> {
    let pki = dir.join("pki");
    std::fs::create_dir_all(&pki).map_err(io("pki dir"))?;
    let ca = TestCa::new("Testbed");
    let stranger = TestCa::new("Stranger");
    let now = OffsetDateTime::now_utc();
    let days = time::Duration::days;
    let name = |site: &str| format!("{site}.netcheck.test");
    for site in SITES {
        let host = name(site);
        let leaf = Leaf::for_names(&[&host]);
        let identity = match site {
            "expired" => ca.issue(&Leaf {
                not_before: now - days(90),
                not_after: now - days(1),
                ..leaf
            }),
            "future" => ca.issue(&Leaf {
                not_before: now + days(10),
                not_after: now + days(100),
                ..leaf
            }),
            "wronghost" => ca.issue(&Leaf::for_names(&["other.netcheck.test"])),
            "selfsigned" => self_signed(&[&host]),
            "untrusted" => stranger.issue(&leaf),
            "incomplete" => ca.issue(&Leaf {
                send_intermediate: false,
                ca_issuers: Some(format!("http://{WEB_V4}/ca/intermediate.der")),
                ..leaf
            }),
            _ => ca.issue(&leaf),
        };
        write(&pki.join(format!("{site}.pem")), &identity.chain_pem())?;
        write(&pki.join(format!("{site}.key")), &identity.key_pem())?;
    }
    crate::scan_sites::identities(dir, &pki, &ca)?;
    write(&pki.join("root.pem"), &ca.root_pem())?;
    std::fs::write(pki.join("intermediate.der"), ca.intermediate_der().as_ref())
        .map_err(io("intermediate.der"))?;
    Ok(pki)
}

const ZONE_NETCHECK: &str = "$ORIGIN netcheck.test.
$TTL 300
@ SOA ns1 hostmaster 2026112501 3600 600 86400 300
@ NS ns1
@ NS ns2
@ MX 10 mail
@ TXT \"v=spf1 -all\"
@ CAA 0 issue \"ca.netcheck.test\"
ns1 A 198.18.4.2
ns2 A 198.18.4.2
mail A 198.18.4.2
www CNAME web
web A 198.18.4.2
web AAAA 2001:db8:4::2
web MX 10 mail
web TXT \"site=web\"
v4only A 198.18.4.2
refused A 198.18.4.3
refused AAAA 2001:db8:4::3
dropped A 198.18.4.4
lossy A 198.18.4.5
";

fn signed_zone(apex: &str) -> String {
    format!(
        "$ORIGIN {apex}.\n$TTL 300\n@ SOA ns1.netcheck.test. hostmaster.netcheck.test. 2026112501 3600 600 86400 300\n@ NS ns1.netcheck.test.\nwww A 198.18.4.2\n"
    )
}

/// A child process that is killed when dropped.
pub struct Service {
    pub name: &'static str,
    child: Child,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn spawn(
    name: &'static str,
    ns: &str,
    program: &str,
    args: &[&str],
    log: &Path,
) -> Result<Service, TestbedError> {
    spawn_with_env(name, ns, program, args, &[], log)
}

/// `spawn`, with variables added to the environment (`ip netns exec` passes it on).
pub fn spawn_with_env(
    name: &'static str,
    ns: &str,
    program: &str,
    args: &[&str],
    env: &[(&str, &Path)],
    log: &Path,
) -> Result<Service, TestbedError> {
    let log = std::fs::File::create(log).map_err(io("log"))?;
    let err = log.try_clone().map_err(io("log"))?;
    let child = Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(io(program))?;
    Ok(Service { name, child })
}

/// Waits until `probe` succeeds in namespace `ns`, for at most `bound`.
pub fn wait_for(ns: &str, what: &str, probe: &[&str], bound: Duration) -> Result<(), TestbedError> {
    let start = Instant::now();
    while start.elapsed() < bound {
        let ok = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(probe)
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(TestbedError::Command(format!(
        "{what} did not come up within {} s",
        bound.as_secs()
    )))
}

pub fn knot(ns: &str, dir: &Path) -> Result<Service, TestbedError> {
    let kd = dir.join("knot");
    std::fs::create_dir_all(kd.join("zones")).map_err(io("knot dir"))?;
    std::fs::create_dir_all(kd.join("db")).map_err(io("knot db dir"))?;
    let mut zone = ZONE_NETCHECK.to_owned();
    for site in SITES {
        zone.push_str(&format!("{site} A {WEB_V4}\n{site} AAAA {WEB_V6}\n"));
    }
    for site in crate::scan_sites::SCAN_SITES {
        let (label, v4, v6) = (site.label, site.v4, site.v6);
        zone.push_str(&format!("{label} A {v4}\n{label} AAAA {v6}\n"));
    }
    write(&kd.join("zones/netcheck.test.zone"), &zone)?;
    write(
        &kd.join("zones/secure.test.zone"),
        &signed_zone("secure.test"),
    )?;
    write(
        &kd.join("zones/bogus.test.zone"),
        &signed_zone("bogus.test"),
    )?;
    let d = kd.display();
    let conf = format!(
        "server:\n  rundir: {d}\n  listen: [ {WEB_V4}@53, {WEB_V6}@53 ]\n\
         database:\n  storage: {d}/db\n\
         log:\n  - target: stderr\n    any: info\n\
         policy:\n  - id: testbed\n    algorithm: ecdsap256sha256\n    nsec3: off\n\
         template:\n  - id: default\n    storage: {d}/zones\n    file: \"%s.zone\"\n\
         zone:\n  - domain: netcheck.test\n  - domain: secure.test\n    dnssec-signing: on\n    dnssec-policy: testbed\n  - domain: bogus.test\n    dnssec-signing: on\n    dnssec-policy: testbed\n"
    );
    write(&kd.join("knot.conf"), &conf)?;
    let conf_path = kd.join("knot.conf");
    let service = spawn(
        "knot",
        ns,
        "knotd",
        &["-c", &conf_path.to_string_lossy()],
        &kd.join("knot.log"),
    )?;
    wait_for(
        ns,
        "knot",
        &[
            "kdig",
            &format!("@{WEB_V4}"),
            "+timeout=1",
            "+retry=0",
            "secure.test",
            "DNSKEY",
        ],
        Duration::from_secs(10),
    )?;
    Ok(service)
}

/// The KSK of `zone` as a DNSKEY trust-anchor line, read from the running knot.
fn dnskey_anchor(ns: &str, zone: &str) -> Result<String, TestbedError> {
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "kdig",
            &format!("@{WEB_V4}"),
            "+short",
            zone,
            "DNSKEY",
        ])
        .output()
        .map_err(io("kdig"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let ksk = text
        .lines()
        .find(|l| l.starts_with("257 "))
        .ok_or_else(|| TestbedError::Command(format!("{zone} has no KSK yet: {text}")))?;
    Ok(format!("{zone}. DNSKEY {ksk}"))
}

pub fn unbound(ns: &str, dir: &Path) -> Result<Service, TestbedError> {
    let ud = dir.join("unbound");
    std::fs::create_dir_all(&ud).map_err(io("unbound dir"))?;
    let secure = dnskey_anchor(ns, "secure.test")?;
    // bogus.test is signed, but the anchor given for it is another key: validation must fail.
    let wrong = dnskey_anchor(ns, "secure.test")?.replace("secure.test.", "bogus.test.");
    let d = ud.display();
    let mut conf = format!(
        "server:\n  interface: {RESOLVER_V4}\n  interface: {RESOLVER_V6}\n  port: 53\n  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n\
         directory: \"{d}\"\n  pidfile: \"{d}/unbound.pid\"\n  use-syslog: no\n  verbosity: 1\n\
         access-control: 198.18.0.0/15 allow\n  access-control: 2001:db8::/32 allow\n  do-not-query-localhost: no\n\
         module-config: \"validator iterator\"\n  trust-anchor: \"{secure}\"\n  trust-anchor: \"{wrong}\"\n\
         domain-insecure: \"netcheck.test\"\n  local-zone: \"test.\" nodefault\n  qname-minimisation: no\n  val-log-level: 2\n  cache-max-ttl: 0\n  cache-max-negative-ttl: 0\n"
    );
    for zone in ["netcheck.test", "secure.test", "bogus.test"] {
        conf.push_str(&format!(
            "stub-zone:\n  name: \"{zone}\"\n  stub-addr: {WEB_V4}\n"
        ));
    }
    conf.push_str("remote-control:\n  control-enable: no\n");
    write(&ud.join("unbound.conf"), &conf)?;
    let conf_path = ud.join("unbound.conf");
    let service = spawn(
        "unbound",
        ns,
        "unbound",
        &["-d", "-c", &conf_path.to_string_lossy()],
        &ud.join("unbound.log"),
    )?;
    wait_for(
        ns,
        "unbound",
        &[
            "kdig",
            &format!("@{RESOLVER_V4}"),
            "+timeout=1",
            "+retry=0",
            "web.netcheck.test",
            "A",
        ],
        Duration::from_secs(10),
    )?;
    Ok(service)
}

pub fn nginx(ns: &str, dir: &Path, pki: &Path) -> Result<Service, TestbedError> {
    let nd = dir.join("nginx");
    std::fs::create_dir_all(&nd).map_err(io("nginx dir"))?;
    write(&nd.join("index.html"), PAGE)?;
    let (d, p) = (nd.display(), pki.display());
    let headers = "add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains\" always;\n    \
        add_header Content-Security-Policy \"default-src 'self'\" always;\n    \
        add_header X-Frame-Options DENY always;\n    add_header X-Content-Type-Options nosniff always;\n    \
        add_header Referrer-Policy no-referrer always;\n    add_header Permissions-Policy \"camera=()\" always;";
    let mut sites = String::new();
    for site in SITES {
        sites.push_str(&format!(
            "  server {{\n    listen {WEB_V4}:443 ssl http2;\n    listen [{WEB_V6}]:443 ssl http2;\n    server_name {site}.netcheck.test;\n    \
             ssl_certificate {p}/{site}.pem;\n    ssl_certificate_key {p}/{site}.key;\n    root {d};\n    {headers}\n    \
             location = / {{ try_files /index.html =404; }}\n    location = /status/503 {{ return 503; }}\n    \
             location = /redirect {{ return 302 /; }}\n  }}\n"
        ));
    }
    let http = format!(
        "  default_type text/html;\n  tcp_nodelay on;\n\
         types {{ text/html html; application/pkix-cert der; }}\n\
         server {{\n    listen {WEB_V4}:80 default_server;\n    listen [{WEB_V6}]:80 default_server;\n    root {d};\n    \
         location = / {{ try_files /index.html =404; }}\n    location /ca/ {{ alias {p}/; }}\n    \
         location = /redirect {{ return 301 https://valid.netcheck.test/; }}\n    location = /loop {{ return 301 /loop2; }}\n    \
         location = /loop2 {{ return 301 /loop; }}\n    location = /status/503 {{ return 503; }}\n  }}\n{sites}"
    );
    run_nginx("nginx", ns, &nd, &http, &[], WEB_V4)
}

/// Writes `dir/nginx.conf` (one worker in the foreground, its files under `dir`, then `http`
/// with `http` in it), starts nginx on it in `ns` with `env` added, and waits until
/// `listening`:443 accepts.
pub(crate) fn run_nginx(
    name: &'static str,
    ns: &str,
    dir: &Path,
    http: &str,
    env: &[(&str, &Path)],
    listening: &str,
) -> Result<Service, TestbedError> {
    let d = dir.display();
    let conf = format!(
        "daemon off;\nuser root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{http}}}\n"
    );
    let conf_path = dir.join("nginx.conf");
    write(&conf_path, &conf)?;
    let service = spawn_with_env(
        name,
        ns,
        "nginx",
        &[
            "-c",
            &conf_path.to_string_lossy(),
            "-p",
            &dir.to_string_lossy(),
        ],
        env,
        &dir.join("nginx.log"),
    )?;
    wait_for(
        ns,
        name,
        &["bash", "-c", &format!("exec 3<>/dev/tcp/{listening}/443")],
        Duration::from_secs(10),
    )?;
    Ok(service)
}
