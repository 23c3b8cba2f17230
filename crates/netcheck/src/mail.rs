//! Sending a finished report by e-mail over SMTP (lettre): the diagnosis as the subject, the text
//! report as the body, the JSON report attached, so the mail reads well and a program can still
//! take the facts from it. The addresses are checked before anything runs; every SMTP exchange
//! is bounded in time. The password comes only from the environment, never from the command
//! line (where `ps` shows it) and never into a log line.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use netcheck_core::Report;

use crate::cli::{MailArgs, SmtpSecurity};

/// No SMTP exchange may take longer than this.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
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
    let (host, port) = match args.smtp_server.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => (
            h.trim_matches(|c| c == '[' || c == ']').to_owned(),
            p.parse::<u16>().map_err(|_| {
                format!(
                    "--smtp-server takes HOST[:PORT], not '{}'",
                    args.smtp_server
                )
            })?,
        ),
        _ => (
            args.smtp_server.clone(),
            if args.smtp_security == SmtpSecurity::Tls {
                465
            } else {
                25
            },
        ),
    };
    let credentials = match (&args.smtp_user, std::env::var("NETCHECK_SMTP_PASSWORD")) {
        (Some(user), Ok(password)) => Some(Credentials::new(user.clone(), password)),
        (Some(_), Err(_)) => {
            return Err("--smtp-user needs the password in NETCHECK_SMTP_PASSWORD".into());
        }
        (None, _) => None,
    };
    Ok(Some(Mail {
        to,
        from,
        host,
        port,
        security: args.smtp_security,
        credentials,
    }))
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
    transport
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| format!("{}:{} did not take the mail: {e}", mail.host, mail.port))
}
