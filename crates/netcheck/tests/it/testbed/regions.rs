//! Regions end to end in the testbed: the broker in its own namespace, one `netcheck agent` in
//! each vantage point's (far behind the delay line, near beside the servers, blocked behind a
//! firewall of its own), and `netcheck check --nats … --regions …` run from the client as the
//! hub. Each region's report must show its own path, and a site blocked from one region must
//! be named as down from that region alone. The scenarios run on the shared testbed, after the
//! others.

use netcheck_testbed::Testbed;
use netcheck_testbed::vantage::{Regions, Vantage};
use serde_json::Value;

use super::{Outcome, Scenario, check, expect, hop_list, median, netcheck, ping_rtts};
use crate::BIN;

/// The broker and the agents, when this machine has nats-server; `None` (said as skipped)
/// when not, a panic when NETCHECK_REQUIRE_NATS=1 asks for it.
pub(super) fn start(tb: &Testbed) -> Option<Regions> {
    if !netcheck_testkit::nats::usable() {
        return None;
    }
    Some(Regions::start(tb, BIN.as_ref()).unwrap_or_else(|e| panic!("{e}")))
}

pub(super) const SCENARIOS: [(&str, Scenario); 2] = [
    (
        "each_region_traces_its_own_path",
        each_region_traces_its_own_path,
    ),
    (
        "a_site_blocked_from_one_region_is_named_in_the_verdict",
        a_site_blocked_from_one_region_is_named_in_the_verdict,
    ),
];

/// `netcheck check TARGET` from the client, as the hub of every vantage point's region.
fn in_every_region(tb: &Testbed, target: &str, extra: &[&str]) -> (i32, Value) {
    let regions: Vec<&str> = tb
        .layout
        .vantage
        .iter()
        .map(|v| v.region.as_str())
        .collect();
    let regions = regions.join(",");
    let mut args = vec!["--nats", tb.layout.nats_url.as_str(), "--regions", &regions];
    args.extend_from_slice(extra);
    netcheck(tb, target, &args)
}

/// The region's part of a regions report; an error naming it when it did not complete.
fn completed<'a>(report: &'a Value, region: &str) -> Result<&'a Value, String> {
    let part = report["regions"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["region"] == region))
        .ok_or_else(|| format!("{region}: not in the report: {report}"))?;
    expect(part["outcome"] == "completed", || {
        format!("{region}: {} ({})", part["outcome"], part["reason"])
    })?;
    Ok(part)
}

/// Every round trip of the trace to `address`, hop by hop (`None`: no answer).
fn hop_rtts(report: &Value, address: &str) -> Vec<Vec<f64>> {
    check(report, "traceroute")["data"]["targets"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["address"] == address))
        .and_then(|t| t["hops"].as_array())
        .map(|hops| {
            hops.iter()
                .map(|h| {
                    h["rtts_ms"]
                        .as_array()
                        .map(|r| r.iter().filter_map(Value::as_f64).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The vantage point's trace and pings against its place in the topology: the hop list, and
/// round trips at least the delay line's two crossings past it, well below the delay when the
/// path has none.
fn matches_its_path(tb: &Testbed, v: &Vantage, report: &Value) -> Outcome {
    let one_way = tb.layout.one_way_delay_ms as f64;
    let rtt = 2.0 * one_way;
    for (address, expected) in [(&tb.layout.web, &v.hops), (&tb.layout.web_v6, &v.hops_v6)] {
        let hops = hop_list(report, address);
        expect(hops.as_ref() == Some(expected), || {
            format!(
                "{}: hops to {address} {hops:?}, topology {expected:?}",
                v.region
            )
        })?;
        for (i, rtts) in hop_rtts(report, address).iter().enumerate() {
            // Behind the delay line, the first router is before it and the silent one says
            // nothing; r3 and the server are past it.
            let (past_the_line, before_it) = if v.behind_delay_line {
                (i >= 2, i == 0)
            } else {
                (false, true)
            };
            let ok = rtts
                .iter()
                .all(|&t| (!past_the_line || t >= rtt) && (!before_it || t < one_way));
            expect(ok && (expected[i].is_none() || !rtts.is_empty()), || {
                format!(
                    "{}: hop {} to {address} round trips {rtts:?} (delay line {rtt} ms, past it: {past_the_line})",
                    v.region,
                    i + 1
                )
            })?;
        }
        let pings = ping_rtts(report, address);
        let m = median(pings.clone());
        let ok = if v.behind_delay_line {
            m >= rtt
        } else {
            m < one_way / 4.0
        };
        expect(pings.len() == 5 && ok, || {
            format!("{}: pings to {address} {pings:?} (median {m} ms)", v.region)
        })?;
    }
    Ok(())
}

fn each_region_traces_its_own_path(tb: &Testbed) -> Outcome {
    let (_, report) = in_every_region(
        tb,
        "web.netcheck.test",
        &[
            "--only",
            "ping,traceroute",
            "--ping-count",
            "5",
            "--ping-interval",
            "0.2",
        ],
    );
    for v in &tb.layout.vantage {
        let part = completed(&report, &v.region)?;
        expect(part["agent"]["name"] == format!("{}-1", v.region), || {
            format!("{}: answered by {}", v.region, part["agent"])
        })?;
        matches_its_path(tb, v, &part["report"])?;
    }
    Ok(())
}

fn a_site_blocked_from_one_region_is_named_in_the_verdict(tb: &Testbed) -> Outcome {
    let (code, report) = in_every_region(
        tb,
        "https://valid.netcheck.test/",
        &["--only", "dns,site", "--connect-timeout", "2"],
    );
    let verdict = &report["verdict"];
    expect(
        code == 1
            && verdict["kind"] == "down_from_some"
            && verdict["down_from"] == serde_json::json!(["blocked"])
            && verdict["summary"] == "down from blocked, reachable from far, near",
        || format!("exit {code}, verdict {verdict}"),
    )?;
    for v in &tb.layout.vantage {
        let part = completed(&report, &v.region)?;
        let reason = part["reason"].as_str().unwrap_or_default();
        let said = if v.blocks.is_some() {
            // The region says why in words: the connections its firewall drops time out,
            // over both families, while its DNS answers.
            reason.starts_with(
                "valid.netcheck.test cannot be reached: no answer to the connection attempt",
            ) && reason.contains("[2001:db8:4::2]:443 timed out")
                && reason.contains("198.18.4.2:443 timed out")
                && check(&part["report"], "dns")["status"] == "ok"
        } else {
            reason.starts_with("valid.netcheck.test is reachable: HTTP 200")
        };
        expect(said, || format!("{}: {reason}", v.region))?;
    }
    let status = report["differences"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["fact"] == "status"));
    expect(
        status.is_some_and(|s| s.to_string().contains("no answer")),
        || {
            format!(
                "the status is not named as what differs: {}",
                report["differences"]
            )
        },
    )
}
