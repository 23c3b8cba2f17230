//! The runner's events, and the fold that turns them into a report.
//!
//! A run says what happens as it happens: a check `started`, a check `finished` (with its whole
//! section), and last, `ended`. [`ReportBuilder`] folds those events into the report's status,
//! its diagnosis and the report itself, as trippy's `State::update_from_round` folds rounds of
//! probes. Everyone who builds a report builds it this way: the runner, the CLI while it draws
//! its progress, the server while it streams; and later a hub, from the events a remote agent
//! sends, with the same code. The events alone are enough, with the target the run was asked
//! for and the registry that reads the findings' codes.

use serde::{Deserialize, Serialize};

use crate::registry::Registry;
use crate::report::{CheckReport, Report, SCHEMA_VERSION, Status};
use crate::target::Target;

/// What the faces draw progress from; the server streams the same events.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        id: String,
        title: String,
    },
    Finished {
        check: Box<CheckReport>,
    },
    /// The last event of a run: every check has finished.
    Ended {
        /// When the run started, RFC 3339, UTC.
        started_at: String,
        duration_ms: f64,
        /// The version that ran the checks.
        netcheck_version: String,
    },
}

/// A report in the making, from a run's events.
#[derive(Debug, Clone)]
pub struct ReportBuilder {
    target: Target,
    /// Every check that started, in the order it started (the plan's order), and its section
    /// once it finished.
    checks: Vec<(String, Option<CheckReport>)>,
    ended: Option<Ended>,
}

#[derive(Debug, Clone)]
struct Ended {
    started_at: String,
    duration_ms: f64,
    netcheck_version: String,
}

impl ReportBuilder {
    pub fn new(target: Target) -> Self {
        ReportBuilder {
            target,
            checks: Vec::new(),
            ended: None,
        }
    }

    /// Takes in one event. A check keeps the place where it started; one that finishes without
    /// having started (a stream joined late) goes last.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Started { id, .. } => {
                if !self.checks.iter().any(|(c, _)| c == id) {
                    self.checks.push((id.clone(), None));
                }
            }
            Event::Finished { check } => match self.checks.iter_mut().find(|(c, _)| *c == check.id)
            {
                Some((_, slot)) => *slot = Some((**check).clone()),
                None => self
                    .checks
                    .push((check.id.clone(), Some((**check).clone()))),
            },
            Event::Ended {
                started_at,
                duration_ms,
                netcheck_version,
            } => {
                self.ended = Some(Ended {
                    started_at: started_at.clone(),
                    duration_ms: *duration_ms,
                    netcheck_version: netcheck_version.clone(),
                })
            }
        }
    }

    /// True once the run's last event came.
    pub fn is_ended(&self) -> bool {
        self.ended.is_some()
    }

    /// The sections of the checks that finished, in report order.
    pub fn finished(&self) -> impl Iterator<Item = &CheckReport> {
        self.checks.iter().filter_map(|(_, c)| c.as_ref())
    }

    /// The worst status among the checks that finished; skipped when none did.
    pub fn status(&self) -> Status {
        self.finished()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Skipped)
    }

    /// The report, diagnosed with the codes `registry` declares. Before `ended` it is the
    /// report so far: the checks that finished, without a start time or a duration.
    pub fn report(&self, registry: &Registry) -> Report {
        let (started_at, duration_ms, netcheck_version) = match &self.ended {
            Some(e) => (
                e.started_at.clone(),
                e.duration_ms,
                e.netcheck_version.clone(),
            ),
            None => (String::new(), 0.0, env!("CARGO_PKG_VERSION").to_owned()),
        };
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            netcheck_version,
            target: self.target.clone(),
            started_at,
            duration_ms,
            status: self.status(),
            diagnosis: Default::default(),
            checks: self.finished().cloned().collect(),
        };
        report.diagnosis = crate::diagnosis::diagnose_with(&report, registry);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn finished(id: &str, status: Status) -> Event {
        Event::Finished {
            check: Box::new(CheckReport {
                id: id.into(),
                title: id.to_uppercase(),
                status,
                duration_ms: 1.0,
                error: None,
                findings: Vec::new(),
                data: None,
            }),
        }
    }

    fn started(id: &str) -> Event {
        Event::Started {
            id: id.into(),
            title: id.to_uppercase(),
        }
    }

    #[test]
    fn checks_keep_the_order_they_started_in_whatever_order_they_finish() {
        let mut fold = ReportBuilder::new(Target::parse("example.com").unwrap());
        for e in [
            started("dns"),
            started("site"),
            finished("site", Status::Warning),
            finished("late", Status::Ok),
            finished("dns", Status::Ok),
        ] {
            fold.apply(&e);
        }
        assert_eq!(fold.status(), Status::Warning);
        assert!(!fold.is_ended());
        let registry = Registry::default();
        let ids: Vec<String> = fold
            .report(&registry)
            .checks
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["dns", "site", "late"]);
        fold.apply(&Event::Ended {
            started_at: "2026-11-26T00:00:00Z".into(),
            duration_ms: 12.5,
            netcheck_version: "9.9.9".into(),
        });
        let report = fold.report(&registry);
        assert!(fold.is_ended());
        assert_eq!(
            (
                report.started_at.as_str(),
                report.duration_ms,
                report.netcheck_version.as_str()
            ),
            ("2026-11-26T00:00:00Z", 12.5, "9.9.9")
        );
    }

    #[test]
    fn a_check_that_started_but_did_not_finish_is_not_in_the_report() {
        let mut fold = ReportBuilder::new(Target::parse("example.com").unwrap());
        fold.apply(&started("dns"));
        assert_eq!(fold.status(), Status::Skipped);
        assert!(fold.report(&Registry::default()).checks.is_empty());
    }
}
