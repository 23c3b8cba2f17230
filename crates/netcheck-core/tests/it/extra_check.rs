//! A check added by a test, as a new check is added: this one file, and one line that registers
//! it (`Registry::default().with(EchoCheck)`). Nothing else in netcheck knows of it, and nothing
//! else needs to: the runner runs it beside the built-in checks, its facts travel as JSON under
//! its id, its codes carry their stage into the diagnosis and their rows into docs/checks.md,
//! and the runner's events fold into the very report the runner returns.

use std::time::Duration;

use netcheck_core::check::{Check, CheckError, CheckMeta, Context, Facts};
use netcheck_core::diagnosis::{Reachability, Stage};
use netcheck_core::report::{Finding, IntoSection};
use netcheck_core::{Registry, ReportBuilder, RunOptions, RunRequest, Section, Settings, Target};
use serde::Serialize;
use tokio::time::Instant;

use crate::{Setup, check, run_with};

netcheck_core::finding_codes! {
    /// The target, said back.
    ECHO = "echo", Info;
    /// The target asked to be refused: a connection problem, as far as the diagnosis knows.
    ECHO_REFUSED = "echo_refused", Failure, Connection;
}

pub static META: CheckMeta = CheckMeta {
    id: "echo",
    title: "Echo",
    summary: "Says the target's host and port back",
    needs_privileges: false,
    default_timeout: Duration::from_secs(1),
    codes: CODES,
};

pub struct EchoCheck;

#[derive(Debug, Serialize)]
pub struct Echoed {
    host: String,
    port: u16,
}

impl IntoSection for Echoed {}

impl Facts for Echoed {
    fn assess(&self) -> Vec<Finding> {
        if self.host.starts_with("refuse.") {
            vec![Finding::failure(
                &ECHO_REFUSED,
                format!("{} asked to be refused", self.host),
            )]
        } else {
            vec![Finding::info(&ECHO, format!("{}:{}", self.host, self.port))]
        }
    }
}

impl Check for EchoCheck {
    const META: &'static CheckMeta = &META;
    type Facts = Echoed;

    async fn run(&self, ctx: &Context, _deadline: Instant) -> Result<Echoed, CheckError> {
        Ok(Echoed {
            host: ctx.target.host.clone(),
            port: ctx.target.port,
        })
    }
}

fn only(ids: &[&str]) -> Setup {
    Setup {
        options: RunOptions {
            checks: ids.iter().map(|id| (*id).to_owned()).collect(),
            ..RunOptions::default()
        },
        ..Setup::default()
    }
}

#[tokio::test]
async fn a_check_added_in_one_file_runs_beside_the_built_in_ones() {
    let registry = Registry::default().with(EchoCheck);
    let report = run_with("198.18.0.1", only(&["dns", "echo"]), &registry).await;
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["dns", "echo"], "in registration order");
    let echo = check(&report, "echo");
    assert_eq!(echo.status, netcheck_core::Status::Ok, "{echo:#?}");
    assert_eq!(echo.findings[0].code, "echo");
    assert_eq!(echo.findings[0].message, "198.18.0.1:443");
    let data = serde_json::to_value(&echo.data).unwrap();
    assert_eq!(
        data,
        serde_json::json!({"kind": "echo", "host": "198.18.0.1", "port": 443})
    );
    // Read back by anyone (a face, a hub), the section is kept as it came.
    let json = serde_json::to_value(&report).unwrap();
    let read: netcheck_core::Report = serde_json::from_value(json.clone()).unwrap();
    assert!(matches!(
        read.check("echo").and_then(|c| c.data.as_ref()),
        Some(Section::Unknown(_))
    ));
    assert_eq!(serde_json::to_value(&read).unwrap(), json);
    // Not registered, not run: the built-in registry has no such check.
    let report = run_with("198.18.0.1", only(&["dns", "echo"]), &Registry::default()).await;
    assert!(report.check("echo").is_none());
}

#[tokio::test]
async fn an_added_checks_codes_carry_their_stage_into_the_diagnosis_and_the_docs() {
    let registry = Registry::default().with(EchoCheck);
    let report = run_with("refuse.example", only(&["echo"]), &registry).await;
    let d = &report.diagnosis;
    assert_eq!(d.reachability, Reachability::Unreachable, "{d:#?}");
    assert_eq!(
        d.summary,
        "refuse.example cannot be reached: refuse.example asked to be refused"
    );
    assert_eq!(
        d.problems
            .iter()
            .map(|p| (p.stage, p.check.as_str()))
            .collect::<Vec<_>>(),
        [(Stage::Connection, "echo")]
    );
    let docs = registry.markdown();
    assert!(docs.contains("| `echo` | Echo | Says the target's host and port back | no | 1 s |"));
    assert!(docs.contains(
        "| `echo_refused` | failure | connection | The target asked to be refused: a connection problem, as far as the diagnosis knows. |"
    ));
}

#[tokio::test]
async fn the_runners_events_alone_fold_into_the_report_it_returns() {
    let registry = Registry::default().with(EchoCheck);
    let target = Target::parse("198.18.0.1").unwrap();
    let request = RunRequest::new(
        target.clone(),
        RunOptions {
            checks: vec!["dns".into(), "echo".into(), "registration".into()],
            ..RunOptions::default()
        },
    );
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let report = netcheck_core::run(request, Settings::default().into(), &registry, Some(tx))
        .await
        .expect("an open policy refuses nothing");
    // As a hub would: events received as JSON, folded with the same code.
    let mut fold = ReportBuilder::new(target);
    let mut names = Vec::new();
    while let Some(event) = events.recv().await {
        let json = serde_json::to_value(&event).unwrap();
        names.push(json["event"].as_str().unwrap().to_owned());
        fold.apply(&serde_json::from_value(json).unwrap());
    }
    assert_eq!(names.last().map(String::as_str), Some("ended"), "{names:?}");
    assert_eq!(names.iter().filter(|n| *n == "started").count(), 3);
    assert!(fold.is_ended());
    assert_eq!(
        serde_json::to_value(fold.report(&registry)).unwrap(),
        serde_json::to_value(&report).unwrap()
    );
}
