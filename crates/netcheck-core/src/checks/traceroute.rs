//! The `traceroute` check: the path to every address of the target, all TTLs probed at once
//! (see netcheck-probe's `trace`).

use std::time::Duration;

use netcheck_probe::trace::trace;
pub use netcheck_probe::trace::{Hop, TraceMode, TraceOptions, TraceResult};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::check::{Check, CheckError, CheckMeta, Context, Facts};
use crate::report::Finding;

crate::finding_codes! {
    /// Tracing an address failed (no socket could be used, say).
    TRACEROUTE_ERROR = "traceroute_error", Warning;
    /// The trace reached the address: how many hops away it is.
    TRACEROUTE_REACHED = "traceroute_reached", Info;
    /// The trace did not reach the address: where the last answer came from.
    TRACEROUTE_UNREACHED = "traceroute_unreached", Warning;
    /// Routers on the way that send no time-exceeded.
    TRACEROUTE_SILENT_HOPS = "traceroute_silent_hops", Info;
    /// A router says the destination is unreachable.
    TRACEROUTE_UNREACHABLE = "traceroute_unreachable", Warning;
    /// The target has more addresses than the run's budget (`--max-addresses`): which were
    /// left out.
    ADDRESSES_LEFT_OUT = "addresses_left_out", Info;
}

pub static META: CheckMeta = CheckMeta {
    id: "traceroute",
    title: "Traceroute",
    summary: "The path to every address, all hops probed at once: per hop the routers, round trips and loss",
    needs_privileges: false,
    default_timeout: Duration::from_secs(10),
    codes: CODES,
};

pub struct TracerouteCheck;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TracerouteReport {
    pub targets: Vec<TraceResult>,
    /// Where each router that answered is, and whose network it is in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<crate::geo::Location>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<String>,
    /// The target's addresses the run's budget left untraced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<std::net::IpAddr>,
}

impl Check for TracerouteCheck {
    const META: &'static CheckMeta = &META;
    type Facts = TracerouteReport;

    async fn run(&self, ctx: &Context, deadline: Instant) -> Result<TracerouteReport, CheckError> {
        let probed = ctx.addresses_to_probe("trace").await?;
        let addresses = probed.addresses;
        let options = TraceOptions {
            mode: ctx.options.trace_mode,
            max_hops: ctx.options.max_hops,
            tcp_port: ctx.target.port,
            // The wait for silent hops never outlives the check: the hops found are kept.
            timeout: TraceOptions::default().timeout.min(
                deadline
                    .saturating_duration_since(Instant::now())
                    .saturating_sub(std::time::Duration::from_millis(100)),
            ),
            ..TraceOptions::default()
        };
        let runs = addresses.iter().map(|a| trace(*a, &options));
        let targets = futures::future::join_all(runs).await;
        let (locations, attribution) = place_hops(ctx, &targets).await;
        Ok(TracerouteReport {
            targets,
            locations,
            attribution,
            left_out: probed.left_out,
        })
    }
}

impl Facts for TracerouteReport {
    fn assess(&self) -> Vec<Finding> {
        assess(self)
    }
}

/// Every distinct router address of the traces, placed; nothing when no database is installed.
async fn place_hops(
    ctx: &Context,
    targets: &[TraceResult],
) -> (Vec<crate::geo::Location>, Vec<String>) {
    let mut seen = Vec::new();
    for hop in targets.iter().flat_map(|t| &t.hops) {
        for a in &hop.addresses {
            if !seen.contains(a) {
                seen.push(*a);
            }
        }
    }
    match ctx.place(seen).await {
        Ok(placed) => (placed.locations, placed.attribution),
        Err(_) => (Vec::new(), Vec::new()),
    }
}

pub fn assess(report: &TracerouteReport) -> Vec<Finding> {
    let mut findings: Vec<Finding> = crate::check::left_out(&ADDRESSES_LEFT_OUT, &report.left_out)
        .into_iter()
        .collect();
    for t in &report.targets {
        if let Some(e) = &t.error {
            findings.push(Finding::warning(
                &TRACEROUTE_ERROR,
                format!("tracing {} failed: {e}", t.address),
            ));
            continue;
        }
        let silent: Vec<String> = t
            .hops
            .iter()
            .filter(|h| h.silent)
            .map(|h| h.ttl.to_string())
            .collect();
        if t.reached {
            findings.push(Finding::info(
                &TRACEROUTE_REACHED,
                format!("{} is {} hop(s) away", t.address, t.hops.len()),
            ));
        } else {
            let last = t.hops.iter().rev().find(|h| !h.silent);
            let at = last
                .map(|h| {
                    format!(
                        "; the last answer came from hop {} ({})",
                        h.ttl,
                        h.addresses
                            .first()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            findings.push(Finding::warning(
                &TRACEROUTE_UNREACHED,
                format!("the trace to {} did not reach it{at}", t.address),
            ));
        }
        if !silent.is_empty() {
            findings.push(Finding::info(
                &TRACEROUTE_SILENT_HOPS,
                format!(
                    "hop(s) {} to {} did not answer (routers that send no time-exceeded)",
                    silent.join(", "),
                    t.address
                ),
            ));
        }
        if let Some(h) = t.hops.iter().find(|h| h.unreachable.is_some()) {
            findings.push(Finding::warning(
                &TRACEROUTE_UNREACHABLE,
                format!(
                    "hop {} says {}",
                    h.ttl,
                    h.unreachable.clone().unwrap_or_default()
                ),
            ));
        }
    }
    findings
}
