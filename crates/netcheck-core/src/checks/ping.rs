//! The `ping` check: echo requests to every address of the target, concurrently, with the best
//! back-end this process may use (see netcheck-probe's `ping`).

use std::time::Duration;

use netcheck_probe::ping::ping;
pub use netcheck_probe::ping::{PingBackend, PingOptions, PingResult, backend_name};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::check::{Check, CheckError, CheckMeta, Context, Facts};
use crate::report::Finding;

crate::finding_codes! {
    /// No address answered a single probe (a warning when another address does).
    PING_NO_REPLY = "ping_no_reply", Failure, Loss;
    /// Some probes to an address went unanswered.
    PING_LOSS = "ping_loss", Warning, Loss;
    /// Every probe answered: the round trips.
    PING_OK = "ping_ok", Info;
    /// No ICMP socket could be used: round trips were timed with TCP connects.
    PING_TCP_FALLBACK = "ping_tcp_fallback", Info;
    /// An address answered some probes more than once.
    PING_DUPLICATES = "ping_duplicates", Warning;
    /// The target has more addresses than the run's budget (`--max-addresses`): which were
    /// left out.
    ADDRESSES_LEFT_OUT = "addresses_left_out", Info;
}

pub static META: CheckMeta = CheckMeta {
    id: "ping",
    title: "Ping",
    summary: "Echo requests to every address: each round trip, min/avg/max/mdev, loss; no root needed where Linux allows",
    needs_privileges: false,
    default_timeout: Duration::from_secs(10),
    codes: CODES,
};

pub struct PingCheck;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PingReport {
    pub targets: Vec<PingResult>,
    /// The target's addresses the run's budget left unpinged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<std::net::IpAddr>,
}

impl Check for PingCheck {
    const META: &'static CheckMeta = &META;
    type Facts = PingReport;

    async fn run(&self, ctx: &Context, deadline: Instant) -> Result<PingReport, CheckError> {
        let options = PingOptions {
            count: ctx.options.ping_count,
            interval: ctx.options.ping_interval,
            tcp_port: ctx.target.port,
            // Stop short of the check's deadline, so the probes sent are reported.
            until: Some(deadline - std::time::Duration::from_millis(50)),
            ..PingOptions::default()
        };
        let probed = ctx.addresses_to_probe("ping").await?;
        let addresses = probed.addresses;
        let runs = addresses.iter().map(|a| ping(*a, &options));
        Ok(PingReport {
            targets: futures::future::join_all(runs).await,
            left_out: probed.left_out,
        })
    }
}

impl Facts for PingReport {
    fn assess(&self) -> Vec<Finding> {
        assess(self)
    }
}

pub fn assess(report: &PingReport) -> Vec<Finding> {
    let mut findings: Vec<Finding> = crate::check::left_out(&ADDRESSES_LEFT_OUT, &report.left_out)
        .into_iter()
        .collect();
    let dead = report.targets.iter().filter(|t| t.received == 0).count();
    for t in &report.targets {
        let how = backend_name(t.backend);
        if t.received == 0 {
            let severity = if dead == report.targets.len() {
                Finding::failure
            } else {
                Finding::warning
            };
            findings.push(severity(
                &PING_NO_REPLY,
                format!("no reply from {} to {} probes ({how})", t.address, t.sent),
            ));
        } else if t.loss_percent > 0.0 {
            findings.push(Finding::warning(
                &PING_LOSS,
                format!(
                    "{:.0}% loss to {} ({} of {} probes answered)",
                    t.loss_percent, t.address, t.received, t.sent
                ),
            ));
        } else if let (Some(min), Some(avg), Some(max)) = (t.min_ms, t.avg_ms, t.max_ms) {
            findings.push(Finding::info(
                &PING_OK,
                format!(
                    "{}: {min:.1}/{avg:.1}/{max:.1} ms min/avg/max ({how})",
                    t.address
                ),
            ));
        }
        if t.backend == PingBackend::TcpConnect && t.received > 0 {
            findings.push(Finding::info(
                &PING_TCP_FALLBACK,
                format!("no ICMP socket could be used ({}): round trips to {} were timed with TCP connects", t.fallbacks.join("; "), t.address),
            ));
        }
        if t.duplicates > 0 {
            findings.push(Finding::warning(
                &PING_DUPLICATES,
                format!("{} duplicate replies from {}", t.duplicates, t.address),
            ));
        }
    }
    findings
}
