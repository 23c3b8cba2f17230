//! The `netcheck` binary: parses the command line, runs the engine, and hands the events and the
//! report to a renderer. It measures nothing itself.

mod cli;
mod progress;
mod regions;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use netcheck_core::{ReportBuilder, RunRequest};

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match cli.command {
        Command::Check(args) => check(*args),
        Command::Agent(args) => match (runtime(), &args.nats.url) {
            (_, None) => {
                eprintln!("netcheck: agent needs --nats URL");
                ExitCode::from(2)
            }
            (Some(rt), Some(_)) => regions::agent(&args, &rt),
            (None, _) => ExitCode::FAILURE,
        },
        Command::Agents(args) => match (runtime(), &args.nats.url) {
            (_, None) => {
                eprintln!("netcheck: agents needs --nats URL");
                ExitCode::from(2)
            }
            (Some(rt), Some(_)) => regions::agents(&args, &rt),
            (None, _) => ExitCode::FAILURE,
        },
        Command::Serve(args) => serve(*args),
        Command::ApiKey(cli::ApiKeyCommand::New) => match netcheck_server::keys::new_key() {
            Ok(new) => {
                let text = format!(
                    "API key (give it to its user; the server keeps only the line below):\n  {}\nLine for the --api-keys file:\n  {}\n",
                    new.key, new.line
                );
                if write_stdout(&text) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(e) => {
                eprintln!("netcheck: no random bytes for a key: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Schema => print_json(&netcheck_core::report::json_schema()),
        Command::Openapi => print_json(&netcheck_server::openapi()),
        Command::Checks(args) => {
            let text = if args.markdown {
                netcheck_core::checks::registry().markdown()
            } else {
                netcheck_core::checks::registry()
                    .iter()
                    .map(|check| {
                        let m = check.meta();
                        let timeout = format!("{}s", m.default_timeout.as_secs());
                        format!("{:<12} {timeout:<5} {}\n", m.id, m.summary)
                    })
                    .collect()
            };
            if write_stdout(&text) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn check(args: cli::CheckArgs) -> ExitCode {
    let target = match netcheck_core::Target::parse(&args.target) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = match args.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let mail = match mail_settings(&args.mail) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    if !args.regions.is_empty() {
        if args.nats.url.is_none() && args.regions.iter().any(|r| r != regions::HERE) {
            eprintln!("netcheck: --regions needs --nats URL (the broker the agents listen on)");
            return ExitCode::from(2);
        }
        return regions::check(
            target,
            engine,
            &args.nats,
            &args.regions,
            args.json,
            &runtime,
        );
    }
    let registry = netcheck_core::checks::registry();
    let color = console::colors_enabled_stderr()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    console::set_colors_enabled(color);
    console::set_colors_enabled_stderr(color);
    let report = runtime.block_on(async {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mode = if args.json {
            progress::Mode::Silent
        } else if std::io::stderr().is_terminal() {
            progress::Mode::Spinners
        } else {
            progress::Mode::Lines
        };
        // The report is the one the events make, folded as they are drawn: what a face shows
        // is what the events said.
        let drawer = tokio::spawn(progress::draw(rx, mode, ReportBuilder::new(target.clone())));
        let request = RunRequest::new(target, engine.options);
        let settings = Arc::new(engine.settings);
        let ran = netcheck_core::run(request, settings, &registry, Some(tx)).await?;
        Ok::<_, netcheck_core::dial::Denial>(match drawer.await {
            Ok(fold) => fold.report(&registry),
            Err(_) => ran,
        })
    });
    // The text faces clean every string a peer chose (netcheck_text); the JSON keeps them as
    // they came, escaped by serde_json.
    let report = match report {
        Ok(r) => r,
        Err(denial) => {
            eprintln!(
                "netcheck: {}",
                netcheck_text::clean_str(&denial.to_string())
            );
            return ExitCode::from(2);
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => {
                if !write_stdout(&format!("{json}\n")) {
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                eprintln!("netcheck: cannot write the report as JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else if !write_stdout(&netcheck_text::report(&report)) {
        return ExitCode::FAILURE;
    }
    if let Some((relay, to)) = &mail {
        // The mail's body is the text report, without the terminal's colours.
        let sent = match netcheck_mail::Letter::of(&report, None) {
            Ok(letter) => runtime.block_on(relay.send(&letter, to)),
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => eprintln!(
                "netcheck: the report was mailed to {}",
                args.mail.to.join(", ")
            ),
            Err(e) => {
                eprintln!("netcheck: the report could not be mailed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if report.is_healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The relay and the recipients of `--mail-to`, checked before anything runs; `None` without
/// a `--mail-to`. `check` sends to an SMTP server on localhost unless told otherwise.
fn mail_settings(
    args: &cli::MailArgs,
) -> Result<Option<(netcheck_mail::Relay, Vec<lettre::message::Mailbox>)>, netcheck_mail::MailError>
{
    if args.to.is_empty() {
        return Ok(None);
    }
    let to = args
        .to
        .iter()
        .map(|t| netcheck_mail::mailbox("--mail-to", t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(args.smtp.relay(Some("localhost"))?.map(|relay| (relay, to)))
}

fn serve(args: cli::ServeArgs) -> ExitCode {
    let cli::Engine { options, settings } = match args.engine.public_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let share = match args.smtp.relay(None) {
        Ok(relay) => relay.map(|relay| netcheck_server::share::ShareConfig {
            relay,
            public_url: args.public_url.clone(),
            per_hour: args.shares_per_hour,
        }),
        Err(e) => {
            eprintln!("netcheck: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let retention = netcheck_server::store::Retention {
        keep: std::time::Duration::from_secs(u64::from(args.keep_days) * 86_400),
        keep_query: args.keep_query,
    };
    // No flag: the embedded store under the XDG data directory; `none`: no store at all.
    let opened = match args.database_url.as_deref() {
        Some("none") => None,
        Some(url) => Some(runtime.block_on(netcheck_server::store::Store::open(url, retention))),
        None => Some(runtime.block_on(netcheck_server::store::Store::open_default(retention))),
    };
    let store = match opened {
        Some(Ok(s)) => {
            eprintln!(
                "netcheck: keeping reports ({}) for {} days",
                s.kind(),
                args.keep_days
            );
            Some(std::sync::Arc::new(s))
        }
        Some(Err(e)) => {
            eprintln!("netcheck: {e}");
            return ExitCode::FAILURE;
        }
        None => None,
    };
    if let Some(share) = &share {
        if store.is_some() {
            eprintln!(
                "netcheck: sharing reports by e-mail through {}",
                share.relay.server()
            );
        } else {
            eprintln!("netcheck: no sharing by e-mail: it needs the reports kept (--database-url)");
        }
    }
    let hub = match &args.nats.url {
        None => None,
        Some(_) => match runtime.block_on(regions::hub(&args.nats)) {
            Ok(hub) => Some(hub),
            Err(e) => {
                eprintln!("netcheck: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let keys = match &args.api_keys {
        None => Arc::default(),
        Some(path) => match netcheck_server::keys::ApiKeys::load(path) {
            Ok(keys) => Arc::new(keys),
            Err(e) => {
                eprintln!("netcheck: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let config = netcheck_server::ServerConfig {
        options,
        settings,
        max_concurrent: usize::from(args.max_concurrent),
        web_dir: Some(args.web_dir.clone()),
        store,
        public_history: args.public_history,
        allowed: netcheck_server::guard::Allowed {
            origins: args.cors_origin.clone(),
            ..netcheck_server::guard::Allowed::for_listener(args.listen, &args.allowed_host)
        },
        limits: netcheck_server::listen::Limits {
            max_connections: args.max_connections,
            ..Default::default()
        },
        rate: netcheck_server::abuse::RateLimit {
            per_minute: args.runs_per_minute,
            burst: args.runs_burst,
            trusted_proxies: args.trusted_proxy.clone(),
            keys,
            key_per_minute: args.key_runs_per_minute,
            key_burst: args.key_runs_burst,
        },
        share,
        cooldown: std::time::Duration::from_secs(args.cooldown_secs),
        hub,
        here: (args.location.is_some() || args.lat.is_some()).then(|| netcheck_agent::AgentInfo {
            name: netcheck_agent::HERE.into(),
            region: netcheck_agent::HERE.into(),
            location: args.location.clone(),
            latitude: args.lat,
            longitude: args.lon,
            netcheck_version: env!("CARGO_PKG_VERSION").to_owned(),
        }),
    };
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let local = listener.local_addr()?;
        eprintln!("netcheck: serving the API on http://{local}/api/v1/");
        netcheck_server::serve(listener, config).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netcheck: cannot serve on {}: {e}", args.listen);
            ExitCode::FAILURE
        }
    }
}

/// `value` on stdout, pretty-printed, as docs/ keeps it.
fn print_json(value: &serde_json::Value) -> ExitCode {
    match serde_json::to_string_pretty(value) {
        Ok(text) if write_stdout(&format!("{text}\n")) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("netcheck: cannot start the async runtime: {e}");
            None
        }
    }
}

/// Writes to stdout without panicking: `print!` panics when the reader has gone away
/// (`netcheck check x --json | head -1`). A closed pipe is not an error worth a message.
fn write_stdout(text: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => true,
        Err(e) => {
            eprintln!("netcheck: cannot write the report: {e}");
            false
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("NETCHECK_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("netcheck={level},netcheck_core={level}"))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
