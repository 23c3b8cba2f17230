//! The SMTP server that takes netcheck's mail, as the flags name it (`--smtp-server`,
//! `--smtp-security`, `--smtp-user`, `--mail-from`), checked before anything runs, and the one
//! bounded exchange with it.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use netcheck_core::dial::HostPort;

use crate::{Letter, MailError, mailbox};

/// One connection attempt may take this long (lettre bounds connects only)…
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// …and the whole exchange, lookup to the server's last answer, this long.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// How the exchange with the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP.
    None,
    /// STARTTLS, required (RFC 3207).
    Starttls,
    /// TLS from the first byte (RFC 8314 §3.3).
    Tls,
    /// STARTTLS when the server offers it.
    Opportunistic,
}

/// The relay as configured, before it is checked.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// `HOST`, `HOST:PORT`, `[IPV6]:PORT`.
    pub server: String,
    pub security: SmtpSecurity,
    /// The sender; `netcheck <netcheck@`this host's name`>` when absent.
    pub from: Option<String>,
    pub user: Option<String>,
    /// From the environment (NETCHECK_SMTP_PASSWORD), never from a flag.
    pub password: Option<String>,
}

/// A checked relay: where the mail goes, how, and from whom.
#[derive(Clone)]
pub struct Relay {
    from: Mailbox,
    host: String,
    port: u16,
    security: SmtpSecurity,
    credentials: Option<Credentials>,
}

/// Without the credentials: a `Debug` of the server's state must not carry a password.
impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("from", &self.from)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("authenticated", &self.credentials.is_some())
            .finish()
    }
}

impl Relay {
    pub fn new(config: RelayConfig) -> Result<Relay, MailError> {
        let from = match &config.from {
            Some(f) => mailbox("--mail-from", f)?,
            None => {
                let host = lettre::transport::smtp::extension::ClientId::default().to_string();
                let host = host.trim_matches(|c| c == '[' || c == ']');
                mailbox("--mail-from", &format!("netcheck <netcheck@{host}>"))
                    .or_else(|_| mailbox("--mail-from", "netcheck <netcheck@localhost>"))?
            }
        };
        let (host, port) = host_port(&config.server, config.security)?;
        let credentials = match (config.user, config.password) {
            (Some(user), Some(password)) => Some(Credentials::new(user, password)),
            (Some(_), None) => return Err(MailError::NoPassword),
            (None, _) => None,
        };
        // A password never crosses the network in clear: with credentials, STARTTLS is required
        // (an opportunistic upgrade can be stripped from the server's answer on the way).
        let security = match (config.security, credentials.is_some()) {
            (SmtpSecurity::None, true) => return Err(MailError::PasswordInClear),
            (SmtpSecurity::Opportunistic, true) => SmtpSecurity::Starttls,
            (s, _) => s,
        };
        Ok(Relay {
            from,
            host,
            port,
            security,
            credentials,
        })
    }

    /// `HOST:PORT` of the relay, for messages.
    pub fn server(&self) -> String {
        HostPort::parse(&self.host, self.port)
            .map(|hp| hp.to_string())
            .unwrap_or_else(|_| format!("{}:{}", self.host, self.port))
    }

    /// Sends `letter` to every one of `to`, within [`SEND_TIMEOUT`].
    pub async fn send(&self, letter: &Letter, to: &[Mailbox]) -> Result<(), MailError> {
        let message = letter.message(&self.from, to)?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| MailError::Build(e.to_string()))
        };
        let security = match self.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::Starttls => Tls::Required(tls(&self.host)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls(&self.host)?),
            SmtpSecurity::Opportunistic => Tls::Opportunistic(tls(&self.host)?),
        };
        let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(security)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(c) = &self.credentials {
            transport = transport.credentials(c.clone());
        }
        let sent = tokio::time::timeout(SEND_TIMEOUT, transport.build().send(message)).await;
        match sent {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(MailError::Refused {
                server: self.server(),
                why: e.to_string(),
            }),
            Err(_) => Err(MailError::TimedOut {
                server: self.server(),
                secs: SEND_TIMEOUT.as_secs(),
            }),
        }
    }
}

/// `HOST`, `HOST:PORT`, `[IPV6]`, `[IPV6]:PORT` or a bare IPv6 address (the [`HostPort`]
/// reader); the port defaults to 465 for TLS from the first byte (RFC 8314 §3.3), 25 otherwise.
fn host_port(server: &str, security: SmtpSecurity) -> Result<(String, u16), MailError> {
    let default = if security == SmtpSecurity::Tls {
        465
    } else {
        25
    };
    HostPort::parse(server, default)
        .map(|relay| (relay.host.to_string(), relay.port))
        .map_err(|e| MailError::BadServer {
            server: server.to_owned(),
            why: e.to_string(),
        })
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

    #[test]
    fn a_password_is_never_sent_in_clear_nor_shown() {
        let config = |security| RelayConfig {
            server: "mail.example".into(),
            security,
            from: Some("netcheck@example.test".into()),
            user: Some("ops".into()),
            password: Some("secret".into()),
        };
        assert!(matches!(
            Relay::new(config(SmtpSecurity::None)),
            Err(MailError::PasswordInClear)
        ));
        let relay = Relay::new(config(SmtpSecurity::Opportunistic)).unwrap();
        assert_eq!(relay.security, SmtpSecurity::Starttls);
        assert!(!format!("{relay:?}").contains("secret"));
    }
}
