//! Which addresses a dial may touch. Every connection the [`Dialer`](super::Dialer) makes
//! passes its candidate addresses through its [`Gate`] first, after the name is looked up and
//! before any socket is opened, so a rule about where netcheck may connect is written once and
//! holds for every hop: a redirect, an AIA fetch, an RDAP server, a WHOIS referral.
//!
//! A refusal is a typed [`Denial`], never a silent skip, so that a check can report it.
//! hickory's `AccessControlSet` is the model. This file holds the plain gates: one that admits
//! everything ([`Open`]), and WHOIS's rule for a chain that starts on the internet
//! ([`InternetOnly`]); the target policy (public unicast only,
//! [`TargetPolicy`](crate::policy::TargetPolicy)) is one more, set on the run's dialer.

use std::fmt::Debug;
use std::net::IpAddr;
use std::sync::Arc;

use thiserror::Error;

/// Decides which of the addresses found for a host may be dialled.
pub trait Gate: Send + Sync + Debug {
    /// Whether `host` may be looked up at all, judged by its name alone (before any DNS
    /// query): `localhost`, say, which a system resolver answers without asking DNS.
    fn admit_name(&self, _host: &str) -> Result<(), Denial> {
        Ok(())
    }

    /// The addresses of `host` (looked up, or its literal) that may be dialled on `port`, in
    /// the order given; a [`Denial`] when none may.
    fn admit(&self, host: &str, port: u16, addresses: Vec<IpAddr>) -> Result<Vec<IpAddr>, Denial>;
}

/// Why a gate refused a destination.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Denial {
    /// Every address of the host is private or reserved (RFC 6890), and this dial may only
    /// reach the internet.
    #[error("{host} resolves only to private or reserved addresses")]
    OnlyReserved {
        host: String,
        addresses: Vec<IpAddr>,
    },
    /// The target policy refuses the host: one of its addresses, or its name.
    #[error("{host} is not checked here: {refusal}; only public addresses may be checked")]
    Forbidden {
        host: String,
        refusal: crate::policy::Refusal,
    },
}

/// Admits every address: the run's gate when its policy is open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Open;

impl Gate for Open {
    fn admit(&self, _: &str, _: u16, addresses: Vec<IpAddr>) -> Result<Vec<IpAddr>, Denial> {
        Ok(addresses)
    }
}

/// WHOIS's rule for a chain that starts on the internet: a server whose every address is
/// private or reserved is not asked, so a hostile WHOIS server cannot refer netcheck to the
/// hosts behind it. A host with a public address is admitted with all of its addresses, as
/// before this gate existed; vetting each address is the target policy's work.
#[derive(Debug, Clone, Copy, Default)]
pub struct InternetOnly;

impl Gate for InternetOnly {
    fn admit(&self, host: &str, _: u16, addresses: Vec<IpAddr>) -> Result<Vec<IpAddr>, Denial> {
        if addresses
            .iter()
            .all(|ip| crate::geo::reserved_label(*ip).is_some())
        {
            return Err(Denial::OnlyReserved {
                host: host.to_owned(),
                addresses,
            });
        }
        Ok(addresses)
    }
}

/// Two gates, both of which must admit: the run's, then one a protocol adds for its own hops.
#[derive(Debug, Clone)]
pub(super) struct Both(pub(super) Arc<dyn Gate>, pub(super) Arc<dyn Gate>);

impl Gate for Both {
    fn admit_name(&self, host: &str) -> Result<(), Denial> {
        self.0.admit_name(host)?;
        self.1.admit_name(host)
    }

    fn admit(&self, host: &str, port: u16, addresses: Vec<IpAddr>) -> Result<Vec<IpAddr>, Denial> {
        let first = self.0.admit(host, port, addresses)?;
        self.1.admit(host, port, first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn internet_only_refuses_a_host_with_only_reserved_addresses() {
        let inside = ips(&["10.0.0.5", "::1"]);
        assert_eq!(
            InternetOnly.admit("whois.example", 43, inside.clone()),
            Err(Denial::OnlyReserved {
                host: "whois.example".into(),
                addresses: inside
            })
        );
        let mixed = ips(&["10.0.0.5", "8.8.8.8"]);
        assert_eq!(
            InternetOnly.admit("whois.example", 43, mixed.clone()),
            Ok(mixed)
        );
        assert_eq!(
            Open.admit("localhost", 43, ips(&["127.0.0.1"])),
            Ok(ips(&["127.0.0.1"]))
        );
    }

    #[test]
    fn both_gates_must_admit() {
        let both = Both(Arc::new(Open), Arc::new(InternetOnly));
        assert!(both.admit("x", 43, ips(&["127.0.0.1"])).is_err());
        assert!(both.admit("x", 43, ips(&["8.8.8.8"])).is_ok());
        assert!(
            Denial::OnlyReserved {
                host: "whois.example".into(),
                addresses: vec![]
            }
            .to_string()
            .contains("private or reserved")
        );
    }
}
