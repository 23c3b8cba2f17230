//! The hub: sends one run to several regions at once and folds each region's events into its
//! report with the same [`ReportBuilder`] the local runner uses, so a region's report is
//! today's report, unchanged. Each region ends on its own: with its report, at once when no
//! agent serves it (NATS no-responders) or every agent is busy, or when its agent falls silent
//! for [`Hub::lost_after`] (a heartbeat comes every second), keeping what it had sent, or
//! `interrupted` when the hub's connection to the broker breaks, or the agent's does (it says
//! so once reconnected). The run ends when the last region ends, never at a global timeout.

use std::time::Duration;

use async_nats::Client;
use async_nats::client::RequestErrorKind;
use futures::StreamExt;
use netcheck_core::dial::Denial;
use netcheck_core::runner::Vetted;
use netcheck_core::{Event, Registry, ReportBuilder, RunRequest};
use tokio::sync::mpsc::UnboundedSender;

use crate::connect::connects;
use crate::protocol::{Job, Message, Presence, Reply, Subjects};
use crate::regions::{Outcome, RegionReport, RegionsReport};

/// The region name of this machine's own run: what "just me?" compares against.
pub const HERE: &str = "here";

/// How often a waiting region looks at the broker connection.
const WAKE: Duration = Duration::from_millis(250);

/// Sends runs to regions over one NATS connection.
#[derive(Debug, Clone)]
pub struct Hub {
    client: Client,
    subjects: Subjects,
    /// Silence after which an agent that accepted a job is lost.
    pub lost_after: Duration,
    /// How long a region's agents have to take a job.
    pub answer_within: Duration,
}

/// One region's event, as it arrives.
#[derive(Debug, Clone)]
pub struct RegionEvent {
    pub region: String,
    pub event: Event,
}

impl Hub {
    pub fn new(client: Client, subjects: Subjects) -> Hub {
        Hub {
            client,
            subjects,
            lost_after: Duration::from_secs(4),
            answer_within: Duration::from_secs(5),
        }
    }

    /// The connection and subjects this hub uses, for a run's stream ([`crate::runs`]).
    pub fn client(&self) -> (&Client, &Subjects) {
        (&self.client, &self.subjects)
    }

    /// The agents alive now: every one that answers discovery within `wait`, by region.
    pub async fn agents(&self, wait: Duration) -> Result<Vec<Presence>, String> {
        let inbox = self.client.new_inbox();
        let mut answers = self
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(|e| format!("cannot subscribe: {e}"))?;
        self.client
            .publish_with_reply(self.subjects.discover(), inbox, bytes::Bytes::new())
            .await
            .map_err(|e| format!("cannot ask: {e}"))?;
        let mut found = Vec::new();
        let until = tokio::time::Instant::now() + wait;
        while let Ok(Some(m)) = tokio::time::timeout_at(until, answers.next()).await {
            if let Ok(p) = serde_json::from_slice::<Presence>(&m.payload) {
                found.push(p);
            }
        }
        found.sort_by(|a, b| {
            (&a.agent.region, &a.agent.name).cmp(&(&b.agent.region, &b.agent.name))
        });
        Ok(found)
    }

    /// Runs `request` in every one of `regions` at once; `events`, when given, gets each
    /// region's events as they arrive.
    pub async fn run(
        &self,
        request: RunRequest,
        regions: &[String],
        events: Option<UnboundedSender<RegionEvent>>,
    ) -> RegionsReport {
        let registry = netcheck_core::checks::registry();
        let parts = futures::future::join_all(
            regions
                .iter()
                .map(|region| self.region(&request, region, &registry, events.clone())),
        )
        .await;
        RegionsReport::new(request.target, parts)
    }

    async fn region(
        &self,
        request: &RunRequest,
        region: &str,
        registry: &Registry,
        events: Option<UnboundedSender<RegionEvent>>,
    ) -> RegionReport {
        let part = |outcome, reason: String| RegionReport {
            region: region.to_owned(),
            outcome,
            agent: None,
            report: None,
            reason,
        };
        if !crate::protocol::valid_token(region) {
            return part(
                Outcome::NoAgent,
                format!("'{region}' is not a region name (letters, digits, - and _)"),
            );
        }
        let job = Job {
            id: uuid::Uuid::new_v4().simple().to_string(),
            request: request.clone(),
        };
        let Ok(payload) = serde_json::to_vec(&job) else {
            return part(Outcome::Interrupted, "the job could not be written".into());
        };
        // Subscribed before the job goes out: nothing the agent says can come too early.
        let mut results = match self
            .client
            .subscribe(self.subjects.all_results(&job.id))
            .await
        {
            Ok(s) => s,
            Err(e) => return part(Outcome::Interrupted, format!("cannot subscribe: {e}")),
        };
        let began = connects(&self.client);
        let asked = tokio::time::timeout(
            self.answer_within,
            self.client
                .request(self.subjects.jobs(region), payload.into()),
        )
        .await;
        let reply = match asked {
            Err(_) => {
                return part(
                    Outcome::NoAgent,
                    format!(
                        "no agent of {region} took the job within {} s",
                        self.answer_within.as_secs()
                    ),
                );
            }
            Ok(Err(e)) if e.kind() == RequestErrorKind::NoResponders => {
                return part(Outcome::NoAgent, format!("no agent serves {region}"));
            }
            Ok(Err(e)) if e.kind() == RequestErrorKind::TimedOut => {
                return part(Outcome::NoAgent, format!("no agent of {region} answered"));
            }
            Ok(Err(e)) => return part(Outcome::Interrupted, format!("the broker: {e}")),
            Ok(Ok(m)) => serde_json::from_slice::<Reply>(&m.payload),
        };
        let agent = match reply {
            Ok(Reply::Accepted { agent }) => agent,
            Ok(Reply::Busy { agent }) => {
                return RegionReport {
                    agent: Some(agent.clone()),
                    ..part(
                        Outcome::Busy,
                        format!("agent {} holds as many jobs as it takes", agent.name),
                    )
                };
            }
            Ok(Reply::Rejected { agent, why }) => {
                return RegionReport {
                    agent: Some(agent.clone()),
                    ..part(
                        Outcome::Interrupted,
                        format!("agent {} rejected the job: {why}", agent.name),
                    )
                };
            }
            Err(e) => {
                return part(
                    Outcome::Interrupted,
                    format!("the agent's answer cannot be read: {e}"),
                );
            }
        };
        let mut fold = ReportBuilder::new(request.target.clone());
        let mut started = false;
        let ended = |fold: &ReportBuilder, started: bool, outcome, reason: String| RegionReport {
            agent: Some(agent.clone()),
            report: started.then(|| fold.report(registry)),
            ..part(outcome, reason)
        };
        let mut heard = tokio::time::Instant::now();
        loop {
            // Woken every quarter second: a broker connection that broke and came back may have
            // dropped some of the region's messages, so the region is interrupted, at once.
            let next = tokio::time::timeout(WAKE, results.next()).await;
            let reconnected = connects(&self.client) != began;
            let connected =
                self.client.connection_state() == async_nats::connection::State::Connected;
            if reconnected {
                return ended(
                    &fold,
                    started,
                    Outcome::Interrupted,
                    "the connection to the broker broke during the run".into(),
                );
            }
            let message = match next {
                Ok(Some(message)) => message,
                Ok(None) => {
                    return ended(
                        &fold,
                        started,
                        Outcome::Interrupted,
                        "the connection to the broker closed".into(),
                    );
                }
                Err(_) if heard.elapsed() < self.lost_after => continue,
                Err(_) if !connected => {
                    return ended(
                        &fold,
                        started,
                        Outcome::Interrupted,
                        "the broker cannot be reached".into(),
                    );
                }
                Err(_) => {
                    return ended(
                        &fold,
                        started,
                        Outcome::AgentLost,
                        format!(
                            "agent {} went silent for {} s",
                            agent.name,
                            self.lost_after.as_secs()
                        ),
                    );
                }
            };
            heard = tokio::time::Instant::now();
            // Only the agent that accepted the job speaks for the region.
            if self.subjects.agent_of(&job.id, message.subject.as_str()) != Some(&agent.name) {
                tracing::warn!(subject = %message.subject, "a result from another agent, ignored");
                continue;
            }
            match serde_json::from_slice::<Message>(&message.payload) {
                Ok(Message::Heartbeat) => {}
                Ok(Message::Refused { why }) => {
                    return ended(&fold, started, Outcome::Refused, why);
                }
                Ok(Message::Interrupted { why }) => {
                    return ended(&fold, started, Outcome::Interrupted, why);
                }
                Ok(Message::Event { event }) => {
                    started = true;
                    fold.apply(&event);
                    let last = matches!(event, Event::Ended { .. });
                    if let Some(tx) = &events {
                        let _ = tx.send(RegionEvent {
                            region: region.to_owned(),
                            event,
                        });
                    }
                    if last {
                        let report = fold.report(registry);
                        let reason = report.diagnosis.summary.clone();
                        return RegionReport {
                            agent: Some(agent.clone()),
                            report: Some(report),
                            ..part(Outcome::Completed, reason)
                        };
                    }
                }
                Err(e) => tracing::warn!("a result that cannot be read: {e}"),
            }
        }
    }
}

/// Runs `request` in `regions` at once: [`HERE`] on this machine's engine (`here`, the request
/// vetted by this machine's policy, or its refusal), every other region through `hub`. Each
/// event goes to `events` tagged with its region; the parts come back in the order asked. A
/// region asked without a hub has no agent.
pub async fn run_regions(
    hub: Option<&Hub>,
    request: RunRequest,
    here: Option<Result<Vetted, Denial>>,
    registry: &Registry,
    regions: &[String],
    events: Option<UnboundedSender<RegionEvent>>,
) -> RegionsReport {
    let remote: Vec<String> = regions.iter().filter(|r| *r != HERE).cloned().collect();
    let local = async {
        let vetted = match here.filter(|_| regions.iter().any(|r| r == HERE))? {
            Ok(v) => v,
            Err(denial) => {
                return Some(RegionReport {
                    region: HERE.into(),
                    outcome: Outcome::Refused,
                    agent: None,
                    report: None,
                    reason: denial.to_string(),
                });
            }
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
        let forward = async {
            while let Some(event) = rx.recv().await {
                if let Some(out) = &events {
                    let _ = out.send(RegionEvent {
                        region: HERE.into(),
                        event,
                    });
                }
            }
        };
        let (report, ()) = tokio::join!(vetted.run(registry, Some(tx)), forward);
        Some(RegionReport {
            region: HERE.into(),
            outcome: Outcome::Completed,
            agent: None,
            reason: report.diagnosis.summary.clone(),
            report: Some(report),
        })
    };
    let remote_run = async {
        match hub {
            _ if remote.is_empty() => Vec::new(),
            Some(hub) => {
                hub.run(request.clone(), &remote, events.clone())
                    .await
                    .regions
            }
            None => remote
                .iter()
                .map(|region| RegionReport {
                    region: region.clone(),
                    outcome: Outcome::NoAgent,
                    agent: None,
                    report: None,
                    reason: "no broker to reach its agents".into(),
                })
                .collect(),
        }
    };
    let (local, mut others) = tokio::join!(local, remote_run);
    let mut parts: Vec<RegionReport> = local.into_iter().collect();
    parts.append(&mut others);
    parts.sort_by_key(|p| regions.iter().position(|r| *r == p.region));
    RegionsReport::new(request.target, parts)
}
