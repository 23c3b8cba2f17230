//! The `Check` trait: one kind of measurement, with the metadata that the CLI's help, the
//! API's list of checks and docs/checks.md are generated from, and the [`Facts`] it gathers.
//!
//! A check's `run` does the I/O and returns its own typed facts; judging them is
//! [`Facts::assess`]'s job, a pure function, so verdicts are testable without a network. The
//! registry ([`crate::registry`]) erases the facts' type, once for every check: a check is
//! written as a plain `async fn` and knows nothing of boxing. Its finding codes are declared
//! in its file with [`crate::finding_codes!`] and listed in its metadata.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::config::{RunOptions, Settings};
use crate::dial::Dialer;
use crate::dns::{AddressLookup, Resolver};
use crate::finding::Code;
use crate::geo::{GeoDb, Placed};
use crate::report::{Finding, IntoSection};
use crate::target::Target;
use crate::tls::verdict::Verdict;
use crate::tls::{TlsClient, TlsClientError};

/// What a check says about itself.
#[derive(Debug, Clone, Copy)]
pub struct CheckMeta {
    /// Stable identifier used in JSON, on the command line and in the API.
    pub id: &'static str,
    pub title: &'static str,
    /// One line for help texts.
    pub summary: &'static str,
    /// Whether the check needs root or CAP_NET_RAW to do its best.
    pub needs_privileges: bool,
    pub default_timeout: Duration,
    /// Every finding code the check raises (its `CODES`, from [`crate::finding_codes!`]).
    pub codes: &'static [&'static Code],
}

impl CheckMeta {
    /// The declaration of one of the check's codes.
    pub fn code(&self, name: &str) -> Option<&'static Code> {
        self.codes.iter().copied().find(|c| c.name == name)
    }
}

/// One kind of measurement. `run` gathers typed facts; the facts judge themselves.
pub trait Check: Send + Sync + 'static {
    const META: &'static CheckMeta;
    /// The facts `run` gathers. A new check's facts need only `impl IntoSection for X {}`
    /// besides their `Facts`: they travel as JSON under the check's id.
    type Facts: Facts + IntoSection;

    /// Gathers facts. Must finish by `deadline`; the runner cancels it shortly after.
    fn run(
        &self,
        ctx: &Context,
        deadline: Instant,
    ) -> impl Future<Output = Result<Self::Facts, CheckError>> + Send;
}

/// A check's facts, judged: what the report's [`Section`](crate::report::Section) delegates to
/// for each kind.
pub trait Facts: Send + Sync + 'static {
    /// Turns facts into findings. Pure: no I/O, so every verdict is testable from fixtures.
    fn assess(&self) -> Vec<Finding>;

    /// True when the facts show that the check's time ran out: a failure then reads "timed
    /// out".
    fn timed_out(&self) -> bool {
        false
    }
}

/// Why a check produced no facts at all. Failures of the thing measured (a refused connection,
/// NXDOMAIN) are facts, not errors: they go in the section and become findings.
#[derive(Debug, Clone, Error)]
pub enum CheckError {
    #[error("{0}")]
    Skipped(String),
    #[error("{0}")]
    Failed(String),
}

/// The target's addresses a probing check may use, and those the address budget left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Probed {
    pub addresses: Vec<IpAddr>,
    pub left_out: Vec<IpAddr>,
}

/// The finding that names the addresses a budget left out, when it left any.
pub fn left_out(code: &'static Code, addresses: &[IpAddr]) -> Option<Finding> {
    if addresses.is_empty() {
        return None;
    }
    let shown: Vec<String> = addresses.iter().take(5).map(IpAddr::to_string).collect();
    let more = addresses.len().saturating_sub(shown.len());
    let list = if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    };
    Some(Finding::info(
        code,
        format!(
            "{} address(es) left out by the budget of addresses probed: {list}",
            addresses.len()
        ),
    ))
}

/// The `tls` check's verdict on the chain, as it publishes it for the checks that grade the
/// server (`tls_scan`), so that the chain is judged once per run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainVerdict {
    pub verdict: Verdict,
    pub detail: String,
}

/// What the `site` check saw of the target's own https origin, as it publishes it for the
/// checks that grade the server (`tls_scan`: HSTS for A+ and preload readiness).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginSeen {
    /// An https answer came from the target's host.
    pub https_answered: bool,
    /// The Strict-Transport-Security header of the first https answer from the target's host
    /// (a redirect's own header counts, as the preload list asks); `None` without the header.
    pub hsts: Option<crate::web::security::Hsts>,
    /// For an http:// target: whether its first answer redirected to https on the same host.
    pub http_upgrades: Option<bool>,
}

/// A fact one check of a run posts for the others: `None` until that check has ended, then
/// what it posted (itself `None` when it had nothing to say).
struct Posted<T>(tokio::sync::watch::Sender<Option<Option<T>>>);

impl<T: Clone> Posted<T> {
    fn new() -> Self {
        Posted(tokio::sync::watch::Sender::new(None))
    }

    fn post(&self, fact: Option<T>) {
        self.0.send_replace(Some(fact));
    }

    /// Waits until `until` at most; the outer `None`: nothing was posted by then.
    async fn wait(&self, until: Instant) -> Option<Option<T>> {
        let mut seen = self.0.subscribe();
        let posted = tokio::time::timeout_at(until, seen.wait_for(Option::is_some)).await;
        match posted {
            Ok(Ok(v)) => v.clone(),
            _ => None,
        }
    }
}

/// What every check of one run shares: the target, the run's options (what the caller chose),
/// the settings of the machine it runs on, the resolver, and the dialer through which every
/// connection goes, which looks the target's addresses up once for all checks that need them.
pub struct Context {
    pub target: Target,
    pub options: RunOptions,
    pub settings: Arc<Settings>,
    pub resolver: Resolver,
    dialer: Dialer,
    geo: OnceCell<Arc<GeoDb>>,
    tls: std::sync::OnceLock<Result<Arc<TlsClient>, TlsClientError>>,
    /// The `tls` check's verdict, if it reached one.
    chain: Posted<ChainVerdict>,
    /// What the `site` check saw of the https origin.
    origin: Posted<OriginSeen>,
}

impl Context {
    pub fn new(
        target: Target,
        options: RunOptions,
        settings: Arc<Settings>,
        resolver: Resolver,
    ) -> Self {
        let mut dialer = Dialer::new(resolver.clone(), options.connect_timeout, &target.host)
            .with_budget(settings.max_addresses);
        if !settings.policy.is_open() {
            dialer = dialer.gated(Arc::new(settings.policy.clone()));
        }
        Context {
            target,
            options,
            settings,
            resolver,
            dialer,
            geo: OnceCell::new(),
            tls: std::sync::OnceLock::new(),
            chain: Posted::new(),
            origin: Posted::new(),
        }
    }

    /// The target's addresses for a check that probes them (ping, trace): the vetted ones,
    /// at most the settings' budget of them. Skipped, with the DNS failure or the policy's
    /// refusal in words, when there are none to probe.
    pub async fn addresses_to_probe(&self, what: &str) -> Result<Probed, CheckError> {
        let lookup = self.target_addresses().await;
        if let Some(why) = lookup.failure() {
            return Err(CheckError::Skipped(format!("no address to {what}: {why}")));
        }
        self.dialer
            .vet_target(self.target.port)
            .await
            .map_err(|denial| CheckError::Skipped(format!("not probed: {denial}")))?;
        let (addresses, left_out) =
            crate::dial::budget(&lookup.addresses, self.settings.max_addresses);
        Ok(Probed {
            addresses,
            left_out,
        })
    }

    /// The one door out: every connection a check makes goes through it.
    pub fn dialer(&self) -> &Dialer {
        &self.dialer
    }

    /// The TLS client (trust anchors parsed once) that every check of the run shares.
    pub fn tls(&self) -> Result<Arc<TlsClient>, TlsClientError> {
        self.tls
            .get_or_init(|| TlsClient::new(&self.settings.extra_roots).map(Arc::new))
            .clone()
    }

    /// Called by the `tls` check when it ends: its verdict on the chain, or `None` when it
    /// reached none (no connection, no certificate).
    pub fn publish_chain_verdict(&self, verdict: Option<ChainVerdict>) {
        self.chain.post(verdict);
    }

    /// The `tls` check's verdict on the chain, waiting for it until `until` at most. The outer
    /// `None`: it had not ended by then (or does not run).
    pub async fn chain_verdict(&self, until: Instant) -> Option<Option<ChainVerdict>> {
        self.chain.wait(until).await
    }

    /// Called by the `site` check when it ends: what it saw of the https origin, or `None`
    /// when it got no answer from it.
    pub fn publish_origin(&self, seen: Option<OriginSeen>) {
        self.origin.post(seen);
    }

    /// What the `site` check saw of the https origin, waiting for it until `until` at most.
    /// The outer `None`: it had not ended by then (or does not run).
    pub async fn origin(&self, until: Instant) -> Option<Option<OriginSeen>> {
        self.origin.wait(until).await
    }

    /// Places `addresses` with the run's geolocation and ASN databases, found once per run and
    /// each read on first use, once per process, on a blocking thread (they are large files). Reserved ranges
    /// are named without any database. An error says why there is no database to use.
    pub async fn place(&self, addresses: Vec<IpAddr>) -> Result<Placed, String> {
        let geo = if addresses
            .iter()
            .all(|a| crate::geo::reserved_label(*a).is_some())
        {
            Arc::new(GeoDb::open(&[], &[]))
        } else {
            self.geo
                .get_or_init(|| async {
                    let (mut city, mut asn) = (
                        self.settings.geoip_city.clone(),
                        self.settings.geoip_asn.clone(),
                    );
                    if city.is_empty() && asn.is_empty() {
                        (city, asn) = crate::geo::default_files();
                    }
                    Arc::new(GeoDb::open(&city, &asn))
                })
                .await
                .clone()
        };
        let overlay = self.settings.locations.clone();
        // An address the operator's overlay places needs no database.
        let public = addresses
            .iter()
            .any(|a| crate::geo::reserved_label(*a).is_none() && overlay.find(*a).is_none());
        if public && geo.is_empty() {
            let mut why = "no geolocation database is installed: run scripts/geodata, or give --geoip-city and --geoip-asn".to_owned();
            if !geo.missing().is_empty() {
                why = format!("{why} ({})", geo.missing().join("; "));
            }
            return Err(why);
        }
        tokio::task::spawn_blocking(move || {
            let mut placed = geo.place(&addresses);
            placed
                .locations
                .iter_mut()
                .for_each(|loc| overlay.apply(loc));
            placed
        })
        .await
        .map_err(|e| format!("placing the addresses failed: {e}"))
    }

    /// The target's A and AAAA answers (or its IP literal). The first caller does the lookup;
    /// every other check waits for that same answer instead of asking again.
    pub async fn target_addresses(&self) -> &AddressLookup {
        self.dialer.target_lookup().await
    }
}
