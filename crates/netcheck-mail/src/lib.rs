//! A finished report by e-mail, over SMTP (lettre). One message, the same from every face: the
//! diagnosis as the subject, the text report (`netcheck-text`, remote strings cleaned) as the
//! body, under the report's permalink when it has one, and the JSON report attached, so the
//! mail reads well and a program can still take the facts from it. Nothing in it is written by
//! whoever asked for the mail.
//!
//! The CLI's `check --mail-to` and the server's share (`POST /api/v1/reports/{id}/share`) both
//! send through a [`Relay`], built from the same flags. The password comes from the caller (the
//! binary reads it from the environment only), never goes into a log line or a `Debug`, and is
//! only ever sent over TLS. Every exchange is bounded in time.

mod letter;
mod relay;

pub use letter::{Letter, subject};
pub use relay::{Relay, RelayConfig, SmtpSecurity};

/// What went wrong, in the words of the flag or the exchange at fault.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{flag} '{text}' is not an e-mail address: {why}")]
    NotAnAddress {
        flag: &'static str,
        text: String,
        why: String,
    },
    #[error("--smtp-server takes HOST[:PORT], not '{server}': {why}")]
    BadServer { server: String, why: String },
    #[error("--smtp-user needs the password in NETCHECK_SMTP_PASSWORD")]
    NoPassword,
    #[error("--smtp-user would send a password in clear: use --smtp-security starttls or tls")]
    PasswordInClear,
    #[error("the mail could not be built: {0}")]
    Build(String),
    #[error("{server} did not take the mail: {why}")]
    Refused { server: String, why: String },
    #[error("{server} did not finish taking the mail within {secs} s")]
    TimedOut { server: String, secs: u64 },
}

/// An address as a person writes it for `--mail-to` or `--mail-from`: `ops@example.com` or
/// `Ops <ops@example.com>`.
pub fn mailbox(flag: &'static str, text: &str) -> Result<lettre::message::Mailbox, MailError> {
    text.parse()
        .map_err(|e: lettre::address::AddressError| MailError::NotAnAddress {
            flag,
            text: text.to_owned(),
            why: e.to_string(),
        })
}

/// The longest address SMTP carries (RFC 5321 §4.5.3.1.3: a path of 256 octets, brackets
/// included).
pub const ADDRESS_MAX: usize = 254;

/// One bare address, `ops@example.com`, for a recipient someone else names (the server's
/// share): no display name, which would be their words in our mail, and no list.
pub fn recipient(text: &str) -> Result<lettre::message::Mailbox, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no address was given".into());
    }
    if text.len() > ADDRESS_MAX {
        return Err(format!(
            "an address has at most {ADDRESS_MAX} characters, this one {}",
            text.len()
        ));
    }
    if text.contains([',', ';', '<', '>', '"']) || text.chars().any(char::is_whitespace) {
        return Err(
            "one bare address is wanted, like name@example.com, not a list or a name".into(),
        );
    }
    text.parse::<lettre::Address>()
        .map(|a| lettre::message::Mailbox::new(None, a))
        .map_err(|e| format!("it is not an e-mail address ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_is_one_bare_address() {
        assert_eq!(
            recipient(" ops@example.test ").unwrap().to_string(),
            "ops@example.test"
        );
        for bad in [
            "",
            "ops",
            "ops@",
            "@example.test",
            "Ops <ops@example.test>",
            "a@example.test, b@example.test",
            "a@example.test;b@example.test",
            "a b@example.test",
            "ops@example.test\r\nBcc: x@example.test",
        ] {
            assert!(recipient(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.test", "a".repeat(300));
        assert!(recipient(&long).unwrap_err().contains("at most 254"));
    }
}
