//! Command-line flags, each with an environment variable beside it, and their translation into
//! the engine's run options (what is asked) and settings (what this machine brings). Defaults
//! are the engine's own (`netcheck_core::config::defaults`), so `--help` shows what runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use netcheck_core::config::{defaults, read_pem_certificates};
use netcheck_core::dial::HostPort;
use netcheck_core::policy::TargetPolicy;
use netcheck_core::{RunOptions, Settings};
use netcheck_mail::{MailError, Relay, RelayConfig, SmtpSecurity};

#[derive(Debug, Parser)]
#[command(
    name = "netcheck",
    version,
    about = "What does the network say about this site, and why can't I reach it?"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); NETCHECK_LOG takes a filter.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take jobs for a region over NATS and run them here (a vantage point of `check
    /// --regions` and `serve --nats`); SIGTERM finishes the jobs held and stops.
    Agent(Box<AgentArgs>),
    /// List the agents alive now, by region.
    Agents(AgentsArgs),
    /// Check a URL, host name or IP address and print a report.
    ///
    /// Exit status: 0 when the site was reached and is healthy, 1 when the report shows a
    /// failure, 2 for bad input or usage.
    Check(Box<CheckArgs>),
    /// List the checks netcheck runs.
    Checks(ChecksArgs),
    /// Print the JSON Schema of the report and of the events (docs/report.schema.json).
    Schema,
    /// Print the OpenAPI 3.1 document of the HTTP API (docs/openapi.json).
    Openapi,
    /// Serve the HTTP API: GET /api/v1/run?target=… streams each check's result as it
    /// finishes (Server-Sent Events), /api/v1/report answers with the report (docs/api.md).
    Serve(Box<ServeArgs>),
    /// Manage the API keys of `netcheck serve --api-keys`.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Print a new random API key, and the line (its SHA-256) to add to the --api-keys file:
    /// the server keeps only that line, so keep the key or give it to its user now.
    New,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:8080",
        env = "NETCHECK_LISTEN"
    )]
    pub listen: SocketAddr,
    /// Reports run at once; a request beyond that is answered 503.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub max_concurrent: u16,
    /// The built web UI, served at / (scripts/web builds it into web/dist).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "web/dist",
        env = "NETCHECK_WEB_DIR"
    )]
    pub web_dir: PathBuf,
    /// Where reports are kept, for permalinks and history: postgres://user@host/db (several
    /// servers sharing one database), sqlite:PATH, or `none`. Default: a SQLite file under the
    /// XDG data directory ($XDG_DATA_HOME/netcheck/reports.sqlite3, else
    /// ~/.local/share/netcheck/reports.sqlite3).
    #[arg(
        long,
        value_name = "URL",
        env = "NETCHECK_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Days a report is kept; older ones are forgotten.
    #[arg(long, value_name = "DAYS", default_value_t = netcheck_server::store::DEFAULT_KEEP_DAYS, env = "NETCHECK_KEEP_DAYS")]
    pub keep_days: u32,
    /// Keep the query values of stored URLs; by default each is stored as `redacted`
    /// (userinfo, `user:password@`, is never stored).
    #[arg(long, env = "NETCHECK_KEEP_QUERY")]
    pub keep_query: bool,
    /// Let anyone list the stored reports (GET /api/v1/reports); otherwise a report is reached
    /// only through its unguessable permalink.
    #[arg(long, env = "NETCHECK_PUBLIC_HISTORY")]
    pub public_history: bool,
    /// A name this server is reached by (repeatable): requests naming another host are
    /// refused (DNS rebinding). localhost, 127.0.0.1, ::1 and the listen address always are.
    #[arg(
        long,
        value_name = "HOST",
        env = "NETCHECK_ALLOWED_HOST",
        value_delimiter = ','
    )]
    pub allowed_host: Vec<String>,
    /// An origin whose pages may call the API (repeatable, e.g. https://status.example.com):
    /// CORS on every response for it; other sites' requests are refused.
    #[arg(
        long,
        value_name = "ORIGIN",
        env = "NETCHECK_CORS_ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origin: Vec<String>,
    /// Runs one client address may start per minute (after its burst); beyond it, 429.
    #[arg(long, value_name = "N", default_value_t = netcheck_server::abuse::RateLimit::default().per_minute, env = "NETCHECK_RUNS_PER_MINUTE")]
    pub runs_per_minute: u32,
    /// Runs one client address may start at once.
    #[arg(long, value_name = "N", default_value_t = netcheck_server::abuse::RateLimit::default().burst, env = "NETCHECK_RUNS_BURST")]
    pub runs_burst: u32,
    /// Seconds within which one host is reported on once: a request for a host reported more
    /// recently is answered with that report from the store (its age said), or refused (429);
    /// 0 turns the cooldown off.
    #[arg(long, value_name = "SECONDS", default_value_t = netcheck_server::cooldown::DEFAULT_COOLDOWN.as_secs(), env = "NETCHECK_COOLDOWN_SECS")]
    pub cooldown_secs: u64,
    /// A proxy (CIDR, repeatable) whose X-Forwarded-For names the client; from anyone else the
    /// header is ignored.
    #[arg(
        long,
        value_name = "CIDR",
        env = "NETCHECK_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    pub trusted_proxy: Vec<ipnet::IpNet>,
    /// A file of API keys' SHA-256 digests, one a line (`netcheck api-key new` prints a key
    /// and its line): a request with `Authorization: Bearer KEY` for one of them runs at the
    /// key rate; an unknown key is refused (401).
    #[arg(long, value_name = "FILE", env = "NETCHECK_API_KEYS")]
    pub api_keys: Option<PathBuf>,
    /// Runs one API key may start per minute (after its burst).
    #[arg(long, value_name = "N", default_value_t = netcheck_server::abuse::RateLimit::default().key_per_minute, env = "NETCHECK_KEY_RUNS_PER_MINUTE")]
    pub key_runs_per_minute: u32,
    /// Runs one API key may start at once.
    #[arg(long, value_name = "N", default_value_t = netcheck_server::abuse::RateLimit::default().key_burst, env = "NETCHECK_KEY_RUNS_BURST")]
    pub key_runs_burst: u32,
    /// Connections open at once, in all (each client address holds at most 64).
    #[arg(long, value_name = "N", default_value_t = netcheck_server::listen::Limits::default().max_connections)]
    pub max_connections: usize,
    /// This server's address as others reach it, e.g. https://netcheck.example.com/: the
    /// permalinks in mailed reports start with it. Without it, http:// and the request's Host
    /// (one of the allowed hosts).
    #[arg(long, value_name = "URL", env = "NETCHECK_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Reports one client address, and one recipient, may be sent by e-mail an hour.
    #[arg(long, value_name = "N", default_value_t = netcheck_server::share::DEFAULT_PER_HOUR, env = "NETCHECK_SHARES_PER_HOUR")]
    pub shares_per_hour: u32,
    /// The SMTP server through which a kept report may be shared by e-mail (the report page's
    /// form, POST /api/v1/reports/ID/share); no sharing by e-mail without --smtp-server.
    #[command(flatten)]
    pub smtp: SmtpArgs,
    /// The engine's settings for every report served (a request chooses only the target and
    /// the checks).
    #[command(flatten)]
    pub engine: EngineArgs,
    /// With --nats, a request's `regions=` runs in those regions' agents too, side by side.
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Where this server is, in words ("Frankfurt, DE"): the `here` region's place, where its
    /// route starts on the map, as an agent's --location.
    #[arg(long, value_name = "TEXT")]
    pub location: Option<String>,
    /// This server's latitude, for the `here` region's route.
    #[arg(
        long,
        value_name = "DEGREES",
        allow_hyphen_values = true,
        requires = "lon"
    )]
    pub lat: Option<f64>,
    /// This server's longitude.
    #[arg(
        long,
        value_name = "DEGREES",
        allow_hyphen_values = true,
        requires = "lat"
    )]
    pub lon: Option<f64>,
}

#[derive(Debug, Args)]
pub struct ChecksArgs {
    /// Print docs/checks.md instead of a plain list.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A URL (https://example.com/path), a host name (example.com, 한국.kr), host:port, or an IP address.
    pub target: String,
    /// Print one JSON document instead of the text report.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub mail: MailArgs,
    /// Run the report in these regions at once, side by side (needs --nats): region names
    /// the agents serve, and `here` for this machine's own run.
    #[arg(long, value_name = "REGION", value_delimiter = ',')]
    pub regions: Vec<String>,
    #[command(flatten)]
    pub nats: NatsArgs,
}

/// Reaching the NATS broker the agents take jobs from.
#[derive(Debug, Args)]
pub struct NatsArgs {
    /// The broker: nats://HOST:PORT or tls://HOST:PORT, comma-separated for a cluster.
    #[arg(long = "nats", value_name = "URL", env = "NETCHECK_NATS")]
    pub url: Option<String>,
    /// A NATS .creds file (user JWT and nkey) to authenticate with.
    #[arg(long = "nats-creds", value_name = "FILE", env = "NETCHECK_NATS_CREDS")]
    pub creds: Option<PathBuf>,
    /// A NATS user; its password comes from NETCHECK_NATS_PASSWORD only.
    #[arg(long = "nats-user", value_name = "USER", env = "NETCHECK_NATS_USER")]
    pub user: Option<String>,
    /// The root of netcheck's subjects on the broker.
    #[arg(long = "nats-subject-prefix", value_name = "TOKEN", default_value = netcheck_agent::protocol::DEFAULT_PREFIX)]
    pub subject_prefix: String,
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The region this agent serves (a name the dispatcher asks for: seoul, virginia).
    #[arg(long, value_name = "NAME", env = "NETCHECK_REGION")]
    pub region: String,
    /// This agent's name, unique among the agents; default REGION-<random>.
    #[arg(long, value_name = "NAME", env = "NETCHECK_AGENT_NAME")]
    pub name: Option<String>,
    /// Where it is, in words ("Seoul, KR").
    #[arg(long, value_name = "TEXT")]
    pub location: Option<String>,
    #[arg(long, value_name = "DEGREES", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    #[arg(long, value_name = "DEGREES", allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// Jobs run at once; one more is answered busy.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub max_jobs: u16,
    #[command(flatten)]
    pub nats: NatsArgs,
    /// The engine's settings for every job (a job chooses only its target and checks); the
    /// target policy is public-only, as for serve.
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct AgentsArgs {
    /// One JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub nats: NatsArgs,
}

/// Sending the finished report by e-mail.
#[derive(Debug, Args)]
pub struct MailArgs {
    /// E-mail the report to this address when it is done (repeatable).
    #[arg(long = "mail-to", value_name = "ADDRESS")]
    pub to: Vec<String>,
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

/// The SMTP server that takes netcheck's mail: `check --mail-to`'s, and `serve`'s for sharing
/// a report by e-mail.
#[derive(Debug, Args)]
pub struct SmtpArgs {
    /// The sender; default netcheck@ this host's name.
    #[arg(long = "mail-from", value_name = "ADDRESS", env = "NETCHECK_MAIL_FROM")]
    pub from: Option<String>,
    /// The SMTP server that takes the mail, HOST[:PORT] (port 25 by default). `check` sends to
    /// localhost without it; `serve` offers sharing by e-mail only with it.
    #[arg(long, value_name = "HOST[:PORT]", env = "NETCHECK_SMTP_SERVER")]
    pub smtp_server: Option<String>,
    /// none: plain SMTP; starttls: STARTTLS required; tls: TLS from the first byte (port 465);
    /// opportunistic: STARTTLS when the server offers it.
    #[arg(long, value_enum, default_value_t = SmtpSecurityArg::Opportunistic, env = "NETCHECK_SMTP_SECURITY")]
    pub smtp_security: SmtpSecurityArg,
    /// User name for SMTP authentication; the password comes from NETCHECK_SMTP_PASSWORD only,
    /// and is only sent over TLS (opportunistic then means starttls; none is refused).
    #[arg(long, value_name = "USER", env = "NETCHECK_SMTP_USER")]
    pub smtp_user: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpSecurityArg {
    None,
    Starttls,
    Tls,
    Opportunistic,
}

impl From<SmtpSecurityArg> for SmtpSecurity {
    fn from(s: SmtpSecurityArg) -> Self {
        match s {
            SmtpSecurityArg::None => SmtpSecurity::None,
            SmtpSecurityArg::Starttls => SmtpSecurity::Starttls,
            SmtpSecurityArg::Tls => SmtpSecurity::Tls,
            SmtpSecurityArg::Opportunistic => SmtpSecurity::Opportunistic,
        }
    }
}

impl SmtpArgs {
    /// The relay these flags name, `default_server` when none is given (`None`: no relay),
    /// with the password from NETCHECK_SMTP_PASSWORD.
    pub fn relay(&self, default_server: Option<&str>) -> Result<Option<Relay>, MailError> {
        let Some(server) = self.smtp_server.as_deref().or(default_server) else {
            return Ok(None);
        };
        Relay::new(RelayConfig {
            server: server.to_owned(),
            security: self.smtp_security.into(),
            from: self.from.clone(),
            user: self.smtp_user.clone(),
            password: std::env::var("NETCHECK_SMTP_PASSWORD").ok(),
        })
        .map(Some)
    }
}

impl CheckArgs {
    pub fn config(&self) -> Result<Engine, String> {
        self.engine.config()
    }
}

/// What the engine's flags say: the run's options and this machine's settings.
#[derive(Debug)]
pub struct Engine {
    pub options: RunOptions,
    pub settings: Settings,
}

/// How the engine runs: shared by `check` and `serve`.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// DNS server to ask, ADDR or ADDR:PORT (repeatable, asked in order). Default: /etc/resolv.conf.
    #[arg(
        long = "resolver",
        value_name = "ADDR[:PORT]",
        env = "NETCHECK_RESOLVER",
        value_delimiter = ','
    )]
    pub resolvers: Vec<String>,
    /// Also trust the certificates in this PEM file (a company root, a test CA).
    #[arg(long, value_name = "PEM", env = "NETCHECK_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// Run only these checks (repeatable or comma-separated; see `netcheck checks`).
    #[arg(long = "only", value_name = "CHECK", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Time bound of every check, in seconds, replacing each check's default.
    #[arg(long, value_name = "SECONDS", env = "NETCHECK_TIMEOUT")]
    pub timeout: Option<f64>,
    /// Time bound of one check, CHECK=SECONDS (repeatable), e.g. --check-timeout site=30.
    #[arg(long = "check-timeout", value_name = "CHECK=SECONDS")]
    pub check_timeouts: Vec<String>,
    /// Bound of one DNS query to one server, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::DNS_QUERY_TIMEOUT.as_secs_f64())]
    pub dns_timeout: f64,
    /// Bound of one TCP connect attempt, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::CONNECT_TIMEOUT.as_secs_f64())]
    pub connect_timeout: f64,
    /// Redirects followed before giving up.
    #[arg(long, value_name = "N", default_value_t = defaults::MAX_REDIRECTS)]
    pub max_redirects: usize,
    /// Bytes of a response body read at most.
    #[arg(long, value_name = "BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    pub max_body: usize,
    /// Echo requests sent to each address by the ping check.
    #[arg(long, value_name = "N", default_value_t = defaults::PING_COUNT, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub ping_count: u16,
    /// Seconds between echo requests.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::PING_INTERVAL.as_secs_f64())]
    pub ping_interval: f64,
    /// Traceroute probes: udp (any user), icmp (users admitted by net.ipv4.ping_group_range;
    /// others fall back to udp) or tcp (SYNs to the target's port, any user).
    #[arg(long, value_enum, default_value_t = TraceModeArg::from(defaults::TRACE_MODE))]
    pub trace_mode: TraceModeArg,
    /// The WHOIS server the registration check starts at, HOST[:PORT].
    #[arg(
        long,
        value_name = "HOST[:PORT]",
        default_value = defaults::WHOIS_SERVER,
        env = "NETCHECK_WHOIS_SERVER"
    )]
    pub whois_server: String,
    /// RDAP bootstrap (RFC 9224 dns.json), a FILE or a URL; IANA's is fetched and cached a day.
    #[arg(
        long,
        value_name = "FILE|URL",
        default_value = defaults::RDAP_BOOTSTRAP,
        env = "NETCHECK_RDAP_BOOTSTRAP"
    )]
    pub rdap_bootstrap: String,
    /// RDAP bootstraps for address blocks (RFC 9224 ipv4.json/ipv6.json), FILE or URL,
    /// repeatable. Default: IANA's two, fetched and cached a day.
    #[arg(long = "rdap-ip-bootstrap", value_name = "FILE|URL")]
    pub rdap_ip_bootstraps: Vec<String>,
    /// City database, MaxMind format (DB-IP lite or GeoLite2 City), repeatable. Default: the
    /// databases scripts/geodata installed.
    #[arg(long = "geoip-city", value_name = "FILE")]
    pub geoip_city: Vec<std::path::PathBuf>,
    /// ASN table: ip-location-db CSV ranges or a GeoLite2-ASN .mmdb, repeatable.
    #[arg(long = "geoip-asn", value_name = "FILE")]
    pub geoip_asn: Vec<std::path::PathBuf>,
    /// Your own places for address blocks, over the databases, private ranges included: CSV
    /// lines of cidr,city,country,latitude,longitude,network (an intranet, a lab).
    #[arg(long, value_name = "FILE", env = "NETCHECK_LOCATIONS")]
    pub locations: Option<std::path::PathBuf>,
    /// Highest TTL the traceroute probes.
    #[arg(long, value_name = "N", default_value_t = defaults::MAX_HOPS, value_parser = clap::value_parser!(u8).range(1..=64))]
    pub max_hops: u8,
    /// Connections the TLS scan keeps open at once at most.
    #[arg(long, value_name = "N", default_value_t = defaults::TLS_SCAN_CONNECTIONS as u16, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub tls_scan_connections: u16,
    /// Addresses of one host probed at most (ping, trace, connection attempts); the report
    /// names those left out.
    #[arg(long, value_name = "N", default_value_t = defaults::MAX_ADDRESSES as u16, value_parser = clap::value_parser!(u16).range(1..=256), env = "NETCHECK_MAX_ADDRESSES")]
    pub max_addresses: u16,
    /// Touch public unicast addresses only: refuse a target, redirect, AIA URL, RDAP URL or
    /// WHOIS referral that is (or resolves to) a private, loopback, link-local or other
    /// special-purpose address, however it is spelled. Always on for `serve`.
    #[arg(long)]
    pub public_only: bool,
    /// With the public-only policy, admit this block too (CIDR, repeatable): an intranet
    /// deployment, a lab.
    #[arg(
        long = "allow",
        value_name = "CIDR",
        env = "NETCHECK_ALLOW",
        value_delimiter = ','
    )]
    pub allow: Vec<ipnet::IpNet>,
    /// With the public-only policy, admit the private-use ranges (10/8, 172.16/12,
    /// 192.168/16, 100.64/10, fc00::/7); loopback, link-local and metadata addresses stay
    /// refused unless given with --allow.
    #[arg(long, env = "NETCHECK_ALLOW_PRIVATE")]
    pub allow_private: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TraceModeArg {
    Udp,
    Icmp,
    Tcp,
}

impl From<netcheck_core::checks::traceroute::TraceMode> for TraceModeArg {
    fn from(mode: netcheck_core::checks::traceroute::TraceMode) -> Self {
        use netcheck_core::checks::traceroute::TraceMode;
        match mode {
            TraceMode::Udp => TraceModeArg::Udp,
            TraceMode::Icmp => TraceModeArg::Icmp,
            TraceMode::Tcp => TraceModeArg::Tcp,
        }
    }
}

impl From<TraceModeArg> for netcheck_core::checks::traceroute::TraceMode {
    fn from(mode: TraceModeArg) -> Self {
        match mode {
            TraceModeArg::Udp => Self::Udp,
            TraceModeArg::Icmp => Self::Icmp,
            TraceModeArg::Tcp => Self::Tcp,
        }
    }
}

impl EngineArgs {
    /// The target policy the flags say; `public_service` (the server) is public-only always.
    fn policy(&self, public_service: bool) -> Result<TargetPolicy, String> {
        if !(self.public_only || public_service) {
            if self.allow_private || !self.allow.is_empty() {
                return Err(
                    "--allow and --allow-private widen --public-only: give --public-only too"
                        .into(),
                );
            }
            return Ok(TargetPolicy::open());
        }
        let mut policy = TargetPolicy::public_only();
        if self.allow_private {
            policy = policy.allow_private();
        }
        Ok(self
            .allow
            .iter()
            .fold(policy, |policy, net| policy.allow(*net)))
    }

    /// The engine as `check` runs it.
    pub fn config(&self) -> Result<Engine, String> {
        self.engine(false)
    }

    /// The engine as a public service (`serve`) runs it: the target policy is public-only.
    pub fn public_config(&self) -> Result<Engine, String> {
        self.engine(true)
    }

    fn engine(&self, public_service: bool) -> Result<Engine, String> {
        let registry = netcheck_core::checks::registry();
        let known = registry.ids();
        let resolvers = self
            .resolvers
            .iter()
            .map(|r| parse_resolver(r))
            .collect::<Result<_, _>>()?;
        let mut options = RunOptions {
            dns_query_timeout: seconds("--dns-timeout", self.dns_timeout)?,
            connect_timeout: seconds("--connect-timeout", self.connect_timeout)?,
            max_redirects: self.max_redirects,
            max_body_bytes: self.max_body,
            ping_count: self.ping_count,
            ping_interval: seconds("--ping-interval", self.ping_interval)?,
            trace_mode: self.trace_mode.into(),
            max_hops: self.max_hops,
            tls_scan_connections: usize::from(self.tls_scan_connections),
            ..RunOptions::default()
        };
        for id in &self.only {
            if !known.contains(&id.as_str()) {
                return Err(format!(
                    "unknown check '{id}'; the checks are: {}",
                    known.join(", ")
                ));
            }
        }
        options.checks = self.only.clone();
        if let Some(t) = self.timeout {
            let t = seconds("--timeout", t)?;
            for id in &known {
                options.check_timeouts.insert((*id).to_owned(), t);
            }
        }
        for spec in &self.check_timeouts {
            let (id, secs) = spec
                .split_once('=')
                .ok_or_else(|| format!("--check-timeout takes CHECK=SECONDS, not '{spec}'"))?;
            if !known.contains(&id) {
                return Err(format!(
                    "unknown check '{id}' in --check-timeout; the checks are: {}",
                    known.join(", ")
                ));
            }
            let secs: f64 = secs
                .parse()
                .map_err(|_| format!("'{secs}' is not a number of seconds"))?;
            options
                .check_timeouts
                .insert(id.to_owned(), seconds("--check-timeout", secs)?);
        }
        let mut settings = Settings {
            resolvers,
            whois_server: whois_server(&self.whois_server)?,
            rdap_bootstrap: self.rdap_bootstrap.clone(),
            geoip_city: self.geoip_city.clone(),
            geoip_asn: self.geoip_asn.clone(),
            policy: self.policy(public_service)?,
            max_addresses: usize::from(self.max_addresses),
            ..Settings::default()
        };
        if !self.rdap_ip_bootstraps.is_empty() {
            settings.rdap_ip_bootstraps = self.rdap_ip_bootstraps.clone();
        }
        if let Some(path) = &self.ca_file {
            settings.extra_roots = read_pem_certificates(path)?;
        }
        if let Some(path) = &self.locations {
            settings.locations =
                std::sync::Arc::new(netcheck_core::geo::overlay::Overlay::read(path)?);
        }
        Ok(Engine { options, settings })
    }
}

fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    if !(value.is_finite() && value > 0.0 && value <= 3600.0) {
        return Err(format!(
            "{flag} takes a number of seconds above 0 and at most 3600, not {value}"
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

/// `198.18.0.2`, `198.18.0.2:5353`, `2001:db8::2`, `[2001:db8::2]:5353`: read as every
/// `HOST[:PORT]` is ([`HostPort`]), port 53 by default, and the host must be an address.
pub fn parse_resolver(s: &str) -> Result<SocketAddr, String> {
    let bad = |why: String| {
        format!(
            "--resolver takes an IP address with an optional port, not '{}': {why}",
            s.trim()
        )
    };
    let resolver = HostPort::parse(s, netcheck_core::dns::PORT).map_err(|e| bad(e.to_string()))?;
    resolver
        .socket_addr()
        .ok_or_else(|| bad("a resolver is named by its address, not looked up".into()))
}

/// The `--whois-server` as given, once it is known to name a server: a bad port is an error
/// here rather than a failed first hop.
fn whois_server(s: &str) -> Result<String, String> {
    HostPort::parse(s, netcheck_core::whois::PORT)
        .map(|_| s.to_owned())
        .map_err(|e| format!("--whois-server takes HOST[:PORT], not '{s}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolvers_take_an_optional_port() {
        assert_eq!(
            parse_resolver("198.18.0.2").unwrap(),
            "198.18.0.2:53".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("198.18.0.2:5353").unwrap(),
            "198.18.0.2:5353".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("2001:db8::2").unwrap(),
            "[2001:db8::2]:53".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("[2001:db8::2]:5353").unwrap(),
            "[2001:db8::2]:5353".parse().unwrap()
        );
        assert!(
            parse_resolver("dns.example")
                .unwrap_err()
                .contains("IP address")
        );
    }

    #[test]
    fn a_bad_port_is_refused_not_replaced_by_the_default() {
        assert!(
            parse_resolver("198.18.0.2:70000")
                .unwrap_err()
                .contains("1 to 65535")
        );
        assert!(parse_resolver("[2001:db8::2]:x").is_err());
        let cli = Cli::parse_from([
            "netcheck",
            "check",
            "a.test",
            "--whois-server",
            "whois.test:4x",
        ]);
        let Command::Check(args) = cli.command else {
            panic!("not a check")
        };
        assert!(args.config().unwrap_err().contains("--whois-server"));
        let cli = Cli::parse_from([
            "netcheck",
            "check",
            "a.test",
            "--whois-server",
            "[::1]:4343",
        ]);
        let Command::Check(args) = cli.command else {
            panic!("not a check")
        };
        assert_eq!(
            args.config().unwrap().settings.whois_server,
            "[::1]:4343",
            "kept as given"
        );
    }

    #[test]
    fn timeouts_and_check_names_are_validated() {
        let cli = Cli::parse_from([
            "netcheck",
            "check",
            "a.test",
            "--check-timeout",
            "site=0.5",
            "--only",
            "dns,site",
        ]);
        let Command::Check(args) = cli.command else {
            panic!("not a check")
        };
        let config = args.config().unwrap();
        assert_eq!(
            config.options.check_timeouts["site"],
            Duration::from_millis(500)
        );
        assert_eq!(config.options.checks, ["dns", "site"]);
        let cli = Cli::parse_from(["netcheck", "check", "a.test", "--only", "nope"]);
        let Command::Check(args) = cli.command else {
            panic!("not a check")
        };
        assert!(args.config().unwrap_err().contains("unknown check 'nope'"));
        let cli = Cli::parse_from(["netcheck", "check", "a.test", "--timeout", "0"]);
        let Command::Check(args) = cli.command else {
            panic!("not a check")
        };
        assert!(args.config().is_err());
    }

    #[test]
    fn flags_left_out_give_the_engines_own_defaults() {
        let cli = Cli::parse_from(["netcheck", "check", "a.test"]);
        let Command::Check(args) = cli.command else {
            panic!("not a check")
        };
        let Engine { options, settings } = args.config().unwrap();
        assert_eq!(options, RunOptions::default());
        let defaults = Settings::default();
        assert_eq!(
            (
                settings.whois_server,
                settings.rdap_bootstrap,
                settings.rdap_ip_bootstraps,
                settings.user_agent
            ),
            (
                defaults.whois_server,
                defaults.rdap_bootstrap,
                defaults.rdap_ip_bootstraps,
                defaults.user_agent
            )
        );
    }
}
