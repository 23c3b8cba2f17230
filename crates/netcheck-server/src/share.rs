//! Sharing a kept report by e-mail (`POST /api/v1/reports/{id}/share`), when the operator gave
//! the server an SMTP relay. What is sent is fixed: the report's own message (netcheck-mail's
//! `Letter`), opened by its permalink on this server's public address. The caller chooses the
//! recipient and nothing else, so the server cannot be made to carry someone's words.
//!
//! A public server must not become a way to flood someone's mailbox: each client address and
//! each recipient may be sent `per_hour` reports an hour (governor's keyed GCRA, as the runs'
//! limit in `abuse`), answered 429 with `Retry-After`. Recipients are neither stored nor
//! logged: the recipients' limiter is keyed by a hash of the address under a key drawn at
//! start, and the address lives only as long as its request.

use std::hash::BuildHasher;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use netcheck_mail::Relay;

use crate::ApiError;

/// Reports one client, or one recipient, may be sent an hour.
pub const DEFAULT_PER_HOUR: u32 = 5;

/// What sharing by e-mail runs with.
#[derive(Debug, Clone)]
pub struct ShareConfig {
    /// The SMTP server that takes the mail, and the sender.
    pub relay: Relay,
    /// This server's address as the recipients reach it (`--public-url`), which the
    /// permalink starts with; without it, `http://` and the request's Host, once checked
    /// against the allowed hosts.
    pub public_url: Option<url::Url>,
    /// Mails per client address, and per recipient, an hour.
    pub per_hour: u32,
}

/// Clients and recipients remembered before the idle ones are forgotten.
const REMEMBERED: usize = 100_000;

pub struct Sharing {
    pub relay: Relay,
    public_url: Option<url::Url>,
    /// Whether a request's Host was checked against the server's own names (`guard`): only
    /// then may a permalink be made from it.
    host_checked: bool,
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_recipient: DefaultKeyedRateLimiter<u64>,
    /// The key of the recipients' hash, drawn at start.
    hasher: std::hash::RandomState,
}

impl std::fmt::Debug for Sharing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharing")
            .field("relay", &self.relay)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Sharing {
    pub fn new(config: ShareConfig, host_checked: bool) -> Sharing {
        let n = NonZeroU32::new(config.per_hour.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_hour(n).allow_burst(n);
        // A base URL is a directory: `https://example.com/netcheck` means `…/netcheck/`.
        let public_url = config.public_url.map(|mut u| {
            if !u.path().ends_with('/') {
                u.set_path(&format!("{}/", u.path()));
            }
            u
        });
        Sharing {
            relay: config.relay,
            public_url,
            host_checked,
            per_client: RateLimiter::keyed(quota),
            per_recipient: RateLimiter::keyed(quota),
            hasher: std::hash::RandomState::new(),
        }
    }

    /// The permalink of report `id`, for someone who is not on this request's connection.
    pub fn permalink(&self, id: &str, host: Option<&str>) -> Result<String, ApiError> {
        let base = match (&self.public_url, host) {
            (Some(base), _) => base.clone(),
            (None, Some(host)) if self.host_checked => url::Url::parse(&format!("http://{host}/"))
                .map_err(|e| ApiError::Internal(format!("no permalink from Host {host}: {e}")))?,
            _ => {
                return Err(ApiError::Internal(
                    "this server does not know its public address: start it with --public-url"
                        .into(),
                ));
            }
        };
        base.join(&format!("?report={id}"))
            .map(String::from)
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    /// Takes one mail from `client`'s allowance (when the request came over a socket) and one
    /// from `recipient`'s, or says how long to wait.
    pub fn admit(&self, client: Option<IpAddr>, recipient: &str) -> Result<(), ApiError> {
        if self.per_client.len() > REMEMBERED {
            self.per_client.retain_recent();
        }
        if self.per_recipient.len() > REMEMBERED {
            self.per_recipient.retain_recent();
        }
        if let Some(client) = client
            && let Err(not_until) = self.per_client.check_key(&client)
        {
            let seconds = crate::abuse::seconds_until(&not_until);
            return Err(ApiError::RateLimited {
                message: format!(
                    "{client} has shared too many reports by e-mail: try again in {seconds} s"
                ),
                retry_after: seconds,
            });
        }
        let key = self.hasher.hash_one(recipient.to_ascii_lowercase());
        if let Err(not_until) = self.per_recipient.check_key(&key) {
            let seconds = crate::abuse::seconds_until(&not_until);
            return Err(ApiError::RateLimited {
                message: format!(
                    "this address has been sent too many reports: try again in {seconds} s"
                ),
                retry_after: seconds,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sharing(public_url: Option<&str>, host_checked: bool) -> Sharing {
        let relay = Relay::new(netcheck_mail::RelayConfig {
            server: "127.0.0.1:25".into(),
            security: netcheck_mail::SmtpSecurity::None,
            from: Some("netcheck@example.test".into()),
            user: None,
            password: None,
        })
        .unwrap();
        let config = ShareConfig {
            relay,
            public_url: public_url.map(|u| u.parse().unwrap()),
            per_hour: DEFAULT_PER_HOUR,
        };
        Sharing::new(config, host_checked)
    }

    #[test]
    fn the_permalink_starts_with_the_public_url_or_a_checked_host() {
        let id = "0123456789abcdef0123456789abcdef";
        let s = sharing(Some("https://example.test/netcheck"), false);
        assert_eq!(
            s.permalink(id, Some("evil.test")).unwrap(),
            format!("https://example.test/netcheck/?report={id}")
        );
        let s = sharing(None, true);
        assert_eq!(
            s.permalink(id, Some("localhost:8080")).unwrap(),
            format!("http://localhost:8080/?report={id}")
        );
        // A Host nobody checked is anyone's: no link is made from it.
        let s = sharing(None, false);
        assert!(
            s.permalink(id, Some("evil.test"))
                .unwrap_err()
                .to_string()
                .contains("--public-url")
        );
    }
}
