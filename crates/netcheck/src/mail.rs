//! Sending a finished report by e-mail over SMTP (lettre): the diagnosis as the subject, the text
//! report as the body, the JSON report attached, so the mail reads well and a program can still
//! take the facts from it. The addresses are checked before anything runs; the whole exchange
//! is bounded in time. The password comes only from the environment, never from the command
//! line (where `ps` shows it) and never into a log line, and it is only ever sent over TLS.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use netcheck_core::Report;
use netcheck_core::dial::HostPort;

use crate::cli::{MailArgs, SmtpSecurity};

/// One connection attempt may take this long (lettre bounds connects only)…
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// …and the whole exchange, lookup to the server's last answer, this long.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Subjects longer than this are cut (mail clients show a line).
const SUBJECT_MAX: usize = 160;

#[derive(Debug)]
pub struct Mail {
    to: Vec<Mailbox>,
    from: Mailbox,
    host: String,
    port: u16,
    security: SmtpSecurity,
    credentials: Option<Credentials>,
}

/// The mail settings from the flags, checked; `None` when no `--mail-to` was given.
pub fn settings(args: &MailArgs) -> Result<Option<Mail>, String> {
    if args.to.is_empty() {
        return Ok(None);
    }
    let mailbox = |flag: &str, text: &str| {
        text.parse::<Mailbox>()
            .map_err(|e| format!("{flag} '{text}' is not an e-mail address: {e}"))
    };
    let to = args
        .to
        .iter()
        .map(|t| mailbox("--mail-to", t))
        .collect::<Result<Vec<_>, _>>()?;
    let from = match &args.from {
        Some(f) => mailbox("--mail-from", f)?,
        None => {
            let host = lettre::transport::smtp::extension::ClientId::default().to_string();
            let host = host.trim_matches(|c| c == '[' || c == ']');
            mailbox("--mail-from", &format!("netcheck <netcheck@{host}>"))
                .or_else(|_| mailbox("--mail-from", "netcheck <netcheck@localhost>"))?
        }
    };
    let (host, port) = host_port(&args.smtp_server, args.smtp_security)?;
    let credentials = match (&args.smtp_user, std::env::var("NETCHECK_SMTP_PASSWORD")) {
        (Some(user), Ok(password)) => Some(Credentials::new(user.clone(), password)),
        (Some(_), Err(_)) => {
            return Err("--smtp-user needs the password in NETCHECK_SMTP_PASSWORD".into());
        }
        (None, _) => None,
    };
    // A password never crosses the network in clear: with credentials, STARTTLS is required
    // (an opportunistic upgrade can be stripped from the server's answer on the way).
    let security = match (args.smtp_security, credentials.is_some()) {
        (SmtpSecurity::None, true) => {
            return Err(
                "--smtp-user would send a password in clear: use --smtp-security starttls or tls"
                    .into(),
            );
        }
        (SmtpSecurity::Opportunistic, true) => SmtpSecurity::Starttls,
        (s, _) => s,
    };
    Ok(Some(Mail {
        to,
        from,
        host,
        port,
        security,
        credentials,
    }))
}

/// `HOST`, `HOST:PORT`, `[IPV6]`, `[IPV6]:PORT` or a bare IPv6 address (the [`HostPort`]
/// reader); the port defaults to 465 for TLS from the first byte (RFC 8314 §3.3), 25 otherwise.
fn host_port(server: &str, security: SmtpSecurity) -> Result<(String, u16), String> {
    let default = if security == SmtpSecurity::Tls {
        465
    } else {
        25
    };
    HostPort::parse(server, default)
        .map(|relay| (relay.host.to_string(), relay.port))
        .map_err(|e| format!("--smtp-server takes HOST[:PORT], not '{server}': {e}"))
}

/// The subject: the diagnosis, on one line.
pub fn subject(report: &Report) -> String {
    let summary = report.diagnosis.summary.replace(['\r', '\n'], " ");
    let mut subject = format!("netcheck: {summary}");
    if subject.chars().count() > SUBJECT_MAX {
        subject = subject.chars().take(SUBJECT_MAX - 1).collect::<String>() + "…";
    }
    subject
}

/// Sends `report` (already rendered as `text`) to every recipient.
pub async fn send(mail: &Mail, report: &Report, text: String) -> Result<(), String> {
    let json = serde_json::to_vec_pretty(report).map_err(|e| e.to_string())?;
    let mut builder = Message::builder()
        .from(mail.from.clone())
        .subject(subject(report));
    for to in &mail.to {
        builder = builder.to(to.clone());
    }
    let message = builder
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(text))
                .singlepart(Attachment::new("netcheck-report.json".into()).body(
                    json,
                    ContentType::parse("application/json").map_err(|e| e.to_string())?,
                )),
        )
        .map_err(|e| format!("the mail could not be built: {e}"))?;
    let tls = |host: &str| TlsParameters::new(host.to_owned()).map_err(|e| e.to_string());
    let security = match mail.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::Starttls => Tls::Required(tls(&mail.host)?),
        SmtpSecurity::Tls => Tls::Wrapper(tls(&mail.host)?),
        SmtpSecurity::Opportunistic => Tls::Opportunistic(tls(&mail.host)?),
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.host)
        .port(mail.port)
        .tls(security)
        .timeout(Some(SMTP_TIMEOUT));
    if let Some(c) = &mail.credentials {
        transport = transport.credentials(c.clone());
    }
    let sent = tokio::time::timeout(SEND_TIMEOUT, transport.build().send(message)).await;
    match sent {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "{}:{} did not take the mail: {e}",
            mail.host, mail.port
        )),
        Err(_) => Err(format!(
            "{}:{} did not finish taking the mail within {} s",
            mail.host,
            mail.port,
            SEND_TIMEOUT.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_servers_are_read_with_or_without_port_and_brackets() {
        let s = SmtpSecurity::None;
        let ok = |text: &str| host_port(text, s).unwrap();
        assert_eq!(ok("mail.example"), ("mail.example".into(), 25));
        assert_eq!(ok("mail.example:587"), ("mail.example".into(), 587));
        assert_eq!(ok("[::1]"), ("::1".into(), 25));
        assert_eq!(ok("[::1]:2525"), ("::1".into(), 2525));
        assert_eq!(ok("::1"), ("::1".into(), 25));
        assert_eq!(host_port("mail.example", SmtpSecurity::Tls).unwrap().1, 465);
        for bad in [
            "",
            "[::1",
            "[::1]x",
            "mail.example:notaport",
            "mail.example:70000",
        ] {
            assert!(host_port(bad, s).is_err(), "{bad}");
        }
    }
}
