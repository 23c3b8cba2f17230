//! One target seen from several regions: each region's full report (today's model,
//! unchanged) with the agent that made it, and a verdict across them that answers "down for
//! everyone, or just here?". A region whose agent was lost, busy or absent says so, and is
//! never read as a site that is down.

use netcheck_core::Report;
use netcheck_core::Target;
use netcheck_core::diagnosis::Reachability;
use serde::{Deserialize, Serialize};

use crate::compare::Difference;
use crate::protocol::AgentInfo;

/// How a region's part of the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The agent ran every check and sent the report's events to the end.
    Completed,
    /// No agent serves the region (NATS had no responder).
    NoAgent,
    /// Every agent of the region holds as many jobs as it takes, or is shutting down.
    Busy,
    /// The agent accepted the job and then went silent: killed, or cut off.
    AgentLost,
    /// The hub's or the agent's connection to the broker broke while the region ran (a
    /// broker restart, a cluster node gone): some of its messages may be lost.
    Interrupted,
    /// The agent's target policy refused the target.
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::NoAgent => "no agent",
            Outcome::Busy => "busy",
            Outcome::AgentLost => "agent lost",
            Outcome::Interrupted => "interrupted",
            Outcome::Refused => "refused",
        }
    }
}

/// One region's part.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RegionReport {
    pub region: String,
    pub outcome: Outcome,
    /// The agent that took the job, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentInfo>,
    /// The report its events make: whole when completed, what had arrived when the agent was
    /// lost or the broker went away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// The region's answer in words.
    pub reason: String,
}

/// The answer across regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    ReachableEverywhere,
    DownEverywhere,
    /// Reachable from some regions and not from others (named in the words).
    DownFromSome,
    /// Too few regions completed to say (agents lost, busy or absent).
    Inconclusive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verdict {
    pub kind: VerdictKind,
    /// Regions from which the site could not be reached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub down_from: Vec<String>,
    pub summary: String,
}

/// The target seen from every region asked.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RegionsReport {
    pub target: Target,
    pub regions: Vec<RegionReport>,
    pub verdict: Verdict,
    /// What the completed regions disagree on (`compare.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
}

impl RegionsReport {
    pub fn new(target: Target, regions: Vec<RegionReport>) -> RegionsReport {
        let verdict = verdict(&regions);
        let differences = crate::compare::differences(&regions);
        RegionsReport {
            target,
            regions,
            verdict,
            differences,
        }
    }
}

/// Whether a completed region reached the site: degraded still answers.
fn reached(report: &Report) -> Option<bool> {
    match report.diagnosis.reachability {
        Reachability::Reachable | Reachability::Degraded => Some(true),
        Reachability::Unreachable => Some(false),
        Reachability::Unknown => None,
    }
}

/// The verdict across `regions`: only completed regions with an answer count, so an agent that
/// was lost or busy never makes a site "down".
pub fn verdict(regions: &[RegionReport]) -> Verdict {
    let mut up = Vec::new();
    let mut down = Vec::new();
    let mut unsure = Vec::new();
    for r in regions {
        match (r.outcome, r.report.as_ref().and_then(reached)) {
            (Outcome::Completed, Some(true)) => up.push(r.region.clone()),
            (Outcome::Completed, Some(false)) => down.push(r.region.clone()),
            _ => unsure.push(format!("{} ({})", r.region, r.outcome.as_str())),
        }
    }
    let unsure_words = if unsure.is_empty() {
        String::new()
    } else {
        format!("; no answer from {}", unsure.join(", "))
    };
    let (kind, summary) = match (up.is_empty(), down.is_empty()) {
        (false, false) => (
            VerdictKind::DownFromSome,
            format!(
                "down from {}, reachable from {}{unsure_words}",
                down.join(", "),
                up.join(", ")
            ),
        ),
        (false, true) if unsure.is_empty() => (
            VerdictKind::ReachableEverywhere,
            format!("reachable from every region ({})", up.join(", ")),
        ),
        (true, false) if unsure.is_empty() => (
            VerdictKind::DownEverywhere,
            format!("down from every region ({})", down.join(", ")),
        ),
        (false, true) => (
            VerdictKind::Inconclusive,
            format!("reachable from {}{unsure_words}", up.join(", ")),
        ),
        (true, false) => (
            VerdictKind::Inconclusive,
            format!("down from {}{unsure_words}", down.join(", ")),
        ),
        (true, true) => (
            VerdictKind::Inconclusive,
            format!("no region could tell{unsure_words}"),
        ),
    };
    Verdict {
        kind,
        down_from: down,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(name: &str, outcome: Outcome, reachability: Option<Reachability>) -> RegionReport {
        let report = reachability.map(|r| {
            let target = Target::parse("example.com").unwrap_or_else(|e| panic!("{e}"));
            let mut report = netcheck_core::ReportBuilder::new(target)
                .report(&netcheck_core::Registry::default());
            report.diagnosis.reachability = r;
            report
        });
        RegionReport {
            region: name.into(),
            outcome,
            agent: None,
            report,
            reason: String::new(),
        }
    }

    #[test]
    fn a_lost_or_busy_agent_is_never_a_down_site() {
        use Outcome::*;
        use Reachability::*;
        let v = verdict(&[
            region("seoul", Completed, Some(Reachable)),
            region("virginia", Completed, Some(Degraded)),
        ]);
        assert_eq!(v.kind, VerdictKind::ReachableEverywhere);
        let v = verdict(&[
            region("seoul", Completed, Some(Unreachable)),
            region("virginia", Completed, Some(Reachable)),
            region("london", AgentLost, Some(Unreachable)),
        ]);
        assert_eq!(v.kind, VerdictKind::DownFromSome);
        assert_eq!(v.down_from, ["seoul"]);
        assert_eq!(
            v.summary,
            "down from seoul, reachable from virginia; no answer from london (agent lost)"
        );
        let v = verdict(&[
            region("seoul", Completed, Some(Unreachable)),
            region("london", Busy, None),
        ]);
        assert_eq!(v.kind, VerdictKind::Inconclusive);
        let v = verdict(&[
            region("seoul", NoAgent, None),
            region("london", AgentLost, None),
        ]);
        assert_eq!(v.kind, VerdictKind::Inconclusive);
        assert!(v.down_from.is_empty());
        let v = verdict(&[
            region("seoul", Completed, Some(Unreachable)),
            region("london", Completed, Some(Unreachable)),
        ]);
        assert_eq!(v.kind, VerdictKind::DownEverywhere);
    }
}
