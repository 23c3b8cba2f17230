//! The runner: every selected check at once, each under its own time bound, each emitting an
//! event when it starts and when it ends, and one event when all have ended. One check failing
//! or timing out never stops another. The report is the fold of those events
//! ([`ReportBuilder`]), the same fold every face and a hub use.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use tracing::Instrument;

use crate::check::{CheckError, Context};
use crate::config::{RunRequest, Settings};
use crate::dial::Denial;
use crate::dns::Resolver;
use crate::registry::{Judged, RegisteredCheck, Registry};
use crate::report::{CheckReport, Report, Section, Severity, Status, millis, status_of};

pub use crate::event::{Event, ReportBuilder};

/// Time a check gets after its deadline to hand in what it has before it is cancelled.
const GRACE: Duration = Duration::from_millis(250);

/// A run whose target the policy has vetted: its context holds the target's lookup, which
/// every check then uses (the addresses vetted are the addresses probed).
pub struct Vetted {
    ctx: Context,
    started_at: String,
    started: Instant,
}

impl std::fmt::Debug for Vetted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vetted")
            .field("target", &self.ctx.target.host)
            .finish()
    }
}

/// Judges the target of `request` by this machine's policy before anything is sent to it: by
/// its name, then by every address its one lookup finds. An open policy looks nothing up here.
/// A target that does not resolve is not refused: the DNS check reports why.
pub async fn vet(request: RunRequest, settings: Arc<Settings>) -> Result<Vetted, Denial> {
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let started = Instant::now();
    let RunRequest { target, options } = request;
    let resolver = Resolver::new(&settings.resolvers, options.dns_query_timeout);
    let policy = settings.policy.clone();
    let ctx = Context::new(target, options, settings, resolver);
    if !policy.is_open() {
        ctx.dialer().vet_target(ctx.target.port).await?;
    }
    Ok(Vetted {
        ctx,
        started_at,
        started,
    })
}

impl Vetted {
    /// Runs the checks of the request (all of `registry`'s when it names none). `events`, when
    /// given, receives every event as it happens.
    pub async fn run(self, registry: &Registry, events: Option<UnboundedSender<Event>>) -> Report {
        let Vetted {
            ctx,
            started_at,
            started,
        } = self;
        let plan: Vec<&RegisteredCheck> = registry
            .iter()
            .filter(|c| ctx.options.runs(c.meta().id))
            .collect();
        let fold = Mutex::new(ReportBuilder::new(ctx.target.clone()));
        let emit = |e: Event| {
            fold.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .apply(&e);
            if let Some(tx) = &events {
                // A face that stopped listening does not stop the run.
                let _ = tx.send(e);
            }
        };
        futures::future::join_all(plan.iter().map(|check| run_one(check, &ctx, &emit))).await;
        emit(Event::Ended {
            started_at,
            duration_ms: millis(started.elapsed()),
            netcheck_version: env!("CARGO_PKG_VERSION").to_owned(),
        });
        fold.into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .report(registry)
    }
}

/// Vets the target of `request` with this machine's `settings` ([`vet`]), then runs its checks
/// ([`Vetted::run`]); the policy's refusal when it refuses the target.
pub async fn run(
    request: RunRequest,
    settings: Arc<Settings>,
    registry: &Registry,
    events: Option<UnboundedSender<Event>>,
) -> Result<Report, Denial> {
    Ok(vet(request, settings).await?.run(registry, events).await)
}

async fn run_one(check: &RegisteredCheck, ctx: &Context, emit: &impl Fn(Event)) {
    let meta = check.meta();
    emit(Event::Started {
        id: meta.id.to_owned(),
        title: meta.title.to_owned(),
    });
    let bound = ctx.options.timeout_for(meta.id, meta.default_timeout);
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
        Ok(Ok(judged)) => report_of(meta.id, meta.title, duration_ms, judged),
    };
    emit(Event::Finished {
        check: Box::new(report),
    });
}

/// Builds a check's report from its facts: findings, status and error all come from `assess`.
pub fn judged(id: &str, title: &str, duration_ms: f64, section: Section) -> CheckReport {
    report_of(id, title, duration_ms, Judged::from_section(section))
}

fn report_of(id: &str, title: &str, duration_ms: f64, judged: Judged) -> CheckReport {
    let Judged {
        section,
        findings,
        timed_out,
    } = judged;
    let mut status = status_of(&findings);
    if status == Status::Failed && timed_out {
        status = Status::TimedOut;
    }
    let error = findings
        .iter()
        .find(|f| f.severity == Severity::Failure)
        .map(|f| f.message.clone());
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
