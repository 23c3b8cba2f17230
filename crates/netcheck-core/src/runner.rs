//! The runner: every selected check at once, each under its own time bound, each emitting an
//! event when it starts and when it ends. One check failing or timing out never stops another.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use tracing::Instrument;

use crate::check::{Check, CheckError, Context};
use crate::checks::registry;
use crate::config::Config;
use crate::dns::Resolver;
use crate::report::{
    CheckReport, Finding, Report, SCHEMA_VERSION, Section, Severity, Status, millis, status_of,
};
use crate::target::Target;

/// Time a check gets after its deadline to hand in what it has before it is cancelled.
const GRACE: Duration = Duration::from_millis(250);

/// What the faces draw progress from; the server streams the same events.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started { id: String, title: String },
    Finished { check: Box<CheckReport> },
}

/// Runs the checks of `config.only` (all when empty) against `target`.
pub async fn run(target: Target, config: Config, events: Option<UnboundedSender<Event>>) -> Report {
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let started = Instant::now();
    let resolver = Resolver::new(&config.resolvers, config.dns_query_timeout);
    let config = Arc::new(config);
    let checks: Vec<Box<dyn Check>> = registry()
        .into_iter()
        .filter(|c| config.only.is_empty() || config.only.iter().any(|id| id == c.meta().id))
        .collect();
    let ctx = Context::new(target.clone(), config.clone(), resolver);
    let runs = checks
        .iter()
        .map(|check| run_one(check.as_ref(), &ctx, events.as_ref()));
    let reports = futures::future::join_all(runs).await;
    let status = reports
        .iter()
        .map(|r| r.status)
        .max()
        .unwrap_or(Status::Skipped);
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        netcheck_version: env!("CARGO_PKG_VERSION").to_owned(),
        target,
        started_at,
        duration_ms: millis(started.elapsed()),
        status,
        diagnosis: Default::default(),
        checks: reports,
    };
    report.diagnosis = crate::diagnosis::diagnose(&report);
    report
}

async fn run_one(
    check: &dyn Check,
    ctx: &Context,
    events: Option<&UnboundedSender<Event>>,
) -> CheckReport {
    let meta = check.meta();
    let emit = |e: Event| {
        if let Some(tx) = events {
            // A face that stopped listening does not stop the run.
            let _ = tx.send(e);
        }
    };
    emit(Event::Started {
        id: meta.id.to_owned(),
        title: meta.title.to_owned(),
    });
    let bound = ctx.config.timeout_for(meta.id, meta.default_timeout);
    let started = Instant::now();
    let deadline = started + bound;
    let span = tracing::info_span!("check", id = meta.id);
    let outcome = tokio::time::timeout_at(deadline + GRACE, check.run(ctx, deadline))
        .instrument(span)
        .await;
    let duration_ms = millis(started.elapsed());
    let report = match outcome {
        Err(_) => CheckReport {
            id: meta.id.to_owned(),
            title: meta.title.to_owned(),
            status: Status::TimedOut,
            duration_ms,
            error: Some(format!("no result within {} s", bound.as_secs_f64())),
            findings: Vec::new(),
            data: None,
        },
        Ok(Err(e)) => {
            let status = match e {
                CheckError::Skipped(_) => Status::Skipped,
                CheckError::Failed(_) => Status::Failed,
            };
            CheckReport {
                id: meta.id.to_owned(),
                title: meta.title.to_owned(),
                status,
                duration_ms,
                error: Some(e.to_string()),
                findings: Vec::new(),
                data: None,
            }
        }
        Ok(Ok(section)) => judged(meta.id, meta.title, duration_ms, section),
    };
    emit(Event::Finished {
        check: Box::new(report.clone()),
    });
    report
}

/// Builds a check's report from its facts: findings, status and error all come from `assess`.
pub fn judged(id: &str, title: &str, duration_ms: f64, section: Section) -> CheckReport {
    let findings = section.assess();
    let mut status = status_of(&findings);
    if status == Status::Failed && section_timed_out(&section) {
        status = Status::TimedOut;
    }
    let error = findings
        .iter()
        .find(|f| f.severity == Severity::Failure)
        .map(|f: &Finding| f.message.clone());
    CheckReport {
        id: id.to_owned(),
        title: title.to_owned(),
        status,
        duration_ms,
        error,
        findings,
        data: Some(section),
    }
}

fn section_timed_out(section: &Section) -> bool {
    match section {
        Section::Dns(d) => crate::checks::dns::timed_out(d),
        Section::Site(s) => crate::checks::site::timed_out(s),
        Section::Tls(t) => crate::checks::tls::timed_out(t),
        Section::Ping(_)
        | Section::Traceroute(_)
        | Section::Registration(_)
        | Section::Location(_) => false,
    }
}
