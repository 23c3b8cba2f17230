//! Namespaces, links, addresses and routes of the testbed, made with iproute2 and nftables.
//!
//! ```text
//!  client ──link1── r1 ══link2 (delay line)══ r2 (silent) ──link3── r3 ──link4── server
//!   far ───link5───┤                                                 ├──link6── near
//!   blocked ─link7─┘                                                 └──link8── nats
//! ```
//! Link N uses 198.18.N.0/24 and 2001:db8:N::/64; the left end is .1/::1, the right end .2/::2,
//! except link 1 where the client is .2. The server also holds .3 (nothing listens: connections
//! are refused), .4 (everything dropped), .5 (a lossy path), .6 to .11 (the TLS-scan sites,
//! `scan_sites.rs`) and .53 (the resolver). The vantage
//! points (`far`, `near`, `blocked`, see `vantage.rs`) and the broker's namespace (`nats`) hang
//! off r1 and r3; `blocked` drops its own TCP to the web server's ports 80 and 443.

use std::process::Command;

use crate::TestbedError;

/// Runs a command to completion; a failure carries its stderr.
pub fn run(program: &str, args: &[&str]) -> Result<(), TestbedError> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| TestbedError::Command(format!("{program}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(TestbedError::Command(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Runs a command inside namespace `ns`.
pub fn in_ns(ns: &str, program: &str, args: &[&str]) -> Result<(), TestbedError> {
    let mut all = vec!["netns", "exec", ns, program];
    all.extend_from_slice(args);
    run("ip", &all)
}

pub struct Names {
    pub prefix: String,
}

impl Names {
    pub fn ns(&self, role: &str) -> String {
        format!("{}-{role}", self.prefix)
    }
    /// Interface names stay under IFNAMSIZ (15): the prefix is 7 characters.
    pub fn veth(&self, tag: &str) -> String {
        format!("{}{tag}", self.prefix)
    }
}

pub const ROLES: [&str; 10] = [
    "client", "r1", "dl", "r2", "r3", "server", "far", "near", "blocked", "nats",
];

/// The namespaces that are hosts at the edge (not routers, not the delay line, not the
/// server): each gets the testbed's resolver in its resolv.conf.
pub const EDGE_HOSTS: [&str; 5] = ["client", "far", "near", "blocked", "nats"];

pub fn build(names: &Names, loss_percent: u8) -> Result<(), TestbedError> {
    for role in ROLES {
        let ns = names.ns(role);
        run("ip", &["netns", "add", &ns])?;
        in_ns(&ns, "ip", &["link", "set", "lo", "up"])?;
        for (key, value) in [
            ("net.ipv6.conf.all.accept_dad", "0"),
            ("net.ipv6.conf.default.accept_dad", "0"),
        ] {
            in_ns(&ns, "sysctl", &["-qw", &format!("{key}={value}")])?;
        }
        // The hosts (client and server) keep Linux's default ICMP limits, as the servers
        // netcheck meets do: a burst of 6 errors per peer then one a second (IPv6: scaled by
        // the route's prefix), and a host-wide 50 burst, 1000 a second. The routers stand for
        // the internet's core, whose ICMP budget one tracer does not exhaust: unlimited, so
        // that every scenario's hop list is the topology's.
        if role.starts_with('r') {
            for (key, value) in [
                ("net.ipv4.icmp_ratelimit", "0"),
                ("net.ipv6.icmp.ratelimit", "0"),
                ("net.ipv4.icmp_msgs_per_sec", "1000000"),
                ("net.ipv4.icmp_msgs_burst", "1000000"),
            ] {
                in_ns(&ns, "sysctl", &["-qw", &format!("{key}={value}")])?;
            }
        }
        if role.starts_with('r') {
            in_ns(&ns, "sysctl", &["-qw", "net.ipv4.ip_forward=1"])?;
            in_ns(&ns, "sysctl", &["-qw", "net.ipv6.conf.all.forwarding=1"])?;
        }
    }
    // (link number, left role, right role, left veth tag, right veth tag)
    let links = [
        (1, "client", "r1", "c1", "r1a"),
        (3, "r2", "r3", "r2b", "r3a"),
        (4, "r3", "server", "r3b", "s4"),
        (5, "r1", "far", "r1c", "v5"),
        (6, "r3", "near", "r3c", "v6"),
        (7, "r1", "blocked", "r1d", "v7"),
        (8, "r3", "nats", "r3d", "v8"),
    ];
    for (n, left, right, ltag, rtag) in links {
        veth(names, left, ltag, right, rtag)?;
        let (l_host, r_host) = if n == 1 { (2, 1) } else { (1, 2) };
        address(names, left, ltag, n, l_host)?;
        address(names, right, rtag, n, r_host)?;
    }
    // Link 2 passes through the delay-line namespace: r1 ── dl ── r2.
    veth(names, "r1", "r1b", "dl", "d1")?;
    veth(names, "dl", "d2", "r2", "r2a")?;
    address(names, "r1", "r1b", 2, 1)?;
    address(names, "r2", "r2a", 2, 2)?;
    // Frames copied through AF_PACKET must carry complete checksums and fit the MTU.
    for (role, tag) in [("r1", "r1b"), ("dl", "d1"), ("dl", "d2"), ("r2", "r2a")] {
        in_ns(
            &names.ns(role),
            "ethtool",
            &[
                "-K",
                &names.veth(tag),
                "tx",
                "off",
                "tso",
                "off",
                "gso",
                "off",
                "gro",
                "off",
            ],
        )?;
    }
    let mut extras: Vec<(String, String)> = [3, 4, 5, 53]
        .iter()
        .map(|n| (format!("198.18.4.{n}"), format!("2001:db8:4::{n}")))
        .collect();
    extras.extend(
        crate::scan_sites::SCAN_SITES
            .iter()
            .map(|s| (s.v4.to_owned(), s.v6.to_owned())),
    );
    for (v4, v6) in extras {
        in_ns(
            &names.ns("server"),
            "ip",
            &["addr", "add", &format!("{v4}/24"), "dev", &names.veth("s4")],
        )?;
        in_ns(
            &names.ns("server"),
            "ip",
            &[
                "-6",
                "addr",
                "add",
                &format!("{v6}/64"),
                "dev",
                &names.veth("s4"),
                "nodad",
            ],
        )?;
    }
    routes(names)?;
    filters(names, loss_percent)
}

fn veth(
    names: &Names,
    left: &str,
    ltag: &str,
    right: &str,
    rtag: &str,
) -> Result<(), TestbedError> {
    let (lns, rns) = (names.ns(left), names.ns(right));
    let (lif, rif) = (names.veth(ltag), names.veth(rtag));
    run(
        "ip",
        &[
            "link", "add", &lif, "netns", &lns, "type", "veth", "peer", "name", &rif, "netns", &rns,
        ],
    )?;
    in_ns(&lns, "ip", &["link", "set", &lif, "up"])?;
    in_ns(&rns, "ip", &["link", "set", &rif, "up"])
}

fn address(names: &Names, role: &str, tag: &str, link: u8, host: u8) -> Result<(), TestbedError> {
    let ns = names.ns(role);
    let dev = names.veth(tag);
    in_ns(
        &ns,
        "ip",
        &[
            "addr",
            "add",
            &format!("198.18.{link}.{host}/24"),
            "dev",
            &dev,
        ],
    )?;
    in_ns(
        &ns,
        "ip",
        &[
            "-6",
            "addr",
            "add",
            &format!("2001:db8:{link}::{host}/64"),
            "dev",
            &dev,
            "nodad",
        ],
    )
}

fn route(names: &Names, role: &str, to: &str, via: &str) -> Result<(), TestbedError> {
    let family = if via.contains(':') { "-6" } else { "-4" };
    in_ns(
        &names.ns(role),
        "ip",
        &[family, "route", "add", to, "via", via],
    )
}

fn routes(names: &Names) -> Result<(), TestbedError> {
    route(names, "client", "default", "198.18.1.1")?;
    route(names, "client", "default", "2001:db8:1::1")?;
    // A host at the end of link N goes out through the router at .1 of that link.
    for (host, link) in [("far", 5), ("near", 6), ("blocked", 7), ("nats", 8)] {
        route(names, host, "default", &format!("198.18.{link}.1"))?;
        route(names, host, "default", &format!("2001:db8:{link}::1"))?;
    }
    route(names, "r1", "default", "198.18.2.2")?;
    route(names, "r1", "default", "2001:db8:2::2")?;
    // Links 1, 5 and 7 hang off r1; everything else is behind r3.
    for link in [1, 5, 7] {
        route(names, "r2", &format!("198.18.{link}.0/24"), "198.18.2.1")?;
        route(
            names,
            "r2",
            &format!("2001:db8:{link}::/64"),
            "2001:db8:2::1",
        )?;
    }
    route(names, "r2", "default", "198.18.3.2")?;
    route(names, "r2", "default", "2001:db8:3::2")?;
    route(names, "r3", "default", "198.18.3.1")?;
    route(names, "r3", "default", "2001:db8:3::1")?;
    route(names, "server", "default", "198.18.4.1")?;
    route(names, "server", "default", "2001:db8:4::1")
}

fn nft(ns: &str, ruleset: &str) -> Result<(), TestbedError> {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| TestbedError::Command(format!("nft: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(ruleset.as_bytes())
            .map_err(|e| TestbedError::Command(format!("nft: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| TestbedError::Command(format!("nft: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(TestbedError::Command(format!(
            "nft in {ns}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn filters(names: &Names, loss_percent: u8) -> Result<(), TestbedError> {
    // r2 is a silent hop: it forwards, but never says "time exceeded".
    nft(
        &names.ns("r2"),
        "table inet testbed {\n chain output { type filter hook output priority 0;\n  icmp type time-exceeded drop\n  icmpv6 type time-exceeded drop\n }\n}\n",
    )?;
    // On the server: .4 drops everything, .5 loses `loss_percent` of what arrives.
    nft(
        &names.ns("server"),
        &format!(
            "table inet testbed {{\n chain input {{ type filter hook input priority 0;\n  ip daddr 198.18.4.4 drop\n  ip6 daddr 2001:db8:4::4 drop\n  ip daddr 198.18.4.5 numgen random mod 100 < {loss_percent} drop\n  ip6 daddr 2001:db8:4::5 numgen random mod 100 < {loss_percent} drop\n }}\n}}\n"
        ),
    )?;
    // The blocked vantage point: a firewall of its own drops its TCP to the web server's
    // sites (ports 80 and 443), as a censor or a corporate proxy would; DNS, ping and
    // traceroute still pass, so the cause is told in the site check's words.
    nft(
        &names.ns("blocked"),
        &format!(
            "table inet testbed {{\n chain output {{ type filter hook output priority 0;\n  ip daddr {web} tcp dport {{ 80, 443 }} drop\n  ip6 daddr {web6} tcp dport {{ 80, 443 }} drop\n }}\n}}\n",
            web = crate::services::WEB_V4,
            web6 = crate::services::WEB_V6,
        ),
    )
}

/// Deletes every namespace of the run; kills what still runs in them first.
pub fn teardown(names: &Names) {
    for role in ROLES.iter().rev() {
        let ns = names.ns(role);
        if let Ok(out) = Command::new("ip").args(["netns", "pids", &ns]).output() {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).output();
            }
        }
        let _ = Command::new("ip").args(["netns", "del", &ns]).output();
    }
    for host in EDGE_HOSTS {
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", names.ns(host)));
    }
}
