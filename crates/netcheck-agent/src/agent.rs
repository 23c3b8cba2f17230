//! `netcheck agent`: one vantage point. It dials out to NATS, joins its region's queue group,
//! and runs each job it takes with the engine and its own settings (resolvers, trust anchors,
//! geodata, and the target policy, judged after its own lookup, on the addresses it then
//! connects to). Each event goes out as it happens, with a heartbeat every second in between,
//! so the hub can tell a slow check from a dead agent. A job whose broker connection broke and
//! came back while it ran (a cluster node gone, the agent moved to another) ends with
//! `interrupted`: what was sent in between may be lost. A job beyond `max_jobs` is answered
//! "busy" at once; on shutdown the agent leaves the queue group, finishes what it holds and
//! flushes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::Client;
use futures::StreamExt;
use netcheck_core::{Registry, Settings};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::connect::connects;
use crate::protocol::{AgentInfo, Job, Message, Presence, QUEUE_GROUP, Reply, Subjects};

/// Between two messages of a running job, at most this long.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// What an agent is and how much it takes on.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub info: AgentInfo,
    /// This machine's settings, for every job.
    pub settings: Arc<Settings>,
    /// Jobs run at once; one more is answered "busy".
    pub max_jobs: usize,
    pub subjects: Subjects,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("cannot subscribe to {subject}: {why}")]
    Subscribe { subject: String, why: String },
}

/// Takes jobs until `shutdown` resolves, then stops taking them, finishes those it holds, and
/// returns.
pub async fn serve(
    client: Client,
    config: AgentConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), AgentError> {
    let subject = config.subjects.jobs(&config.info.region);
    let mut jobs = client
        .queue_subscribe(subject.clone(), QUEUE_GROUP.to_owned())
        .await
        .map_err(|e| AgentError::Subscribe {
            subject: subject.clone(),
            why: e.to_string(),
        })?;
    let discover = config.subjects.discover();
    let mut discovery =
        client
            .subscribe(discover.clone())
            .await
            .map_err(|e| AgentError::Subscribe {
                subject: discover,
                why: e.to_string(),
            })?;
    let config = Arc::new(config);
    let registry = Arc::new(netcheck_core::checks::registry());
    let permits = Arc::new(Semaphore::new(config.max_jobs));
    let mut running = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = running.join_next(), if !running.is_empty() => {}
            Some(asked) = discovery.next() => {
                let presence = Presence {
                    agent: config.info.clone(),
                    jobs: config.max_jobs - permits.available_permits(),
                    max_jobs: config.max_jobs,
                };
                if let (Some(reply_to), Ok(bytes)) = (asked.reply, serde_json::to_vec(&presence)) {
                    let _ = client.publish(reply_to, bytes.into()).await;
                }
            }
            next = jobs.next() => {
                let Some(message) = next else { break };
                let Some(reply_to) = message.reply.clone() else { continue };
                let answer = |reply: Reply| {
                    let client = client.clone();
                    let reply_to = reply_to.clone();
                    async move {
                        if let Ok(bytes) = serde_json::to_vec(&reply) {
                            let _ = client.publish(reply_to, bytes.into()).await;
                        }
                    }
                };
                let info = config.info.clone();
                let job: Job = match serde_json::from_slice(&message.payload) {
                    Ok(job) => job,
                    Err(e) => {
                        answer(Reply::Rejected { agent: info, why: format!("not a job: {e}") }).await;
                        continue;
                    }
                };
                if !crate::protocol::valid_token(&job.id) {
                    answer(Reply::Rejected { agent: info, why: "the job id is not a subject token".into() }).await;
                    continue;
                }
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    answer(Reply::Busy { agent: info }).await;
                    continue;
                };
                answer(Reply::Accepted { agent: info }).await;
                let (client, config, registry) = (client.clone(), config.clone(), registry.clone());
                running.spawn(async move {
                    run_job(&client, &config, &registry, job).await;
                    drop(permit);
                });
            }
        }
    }
    // Take no new job: out of the queue group, the region's other agents get them.
    let _ = jobs.unsubscribe().await;
    let _ = discovery.unsubscribe().await;
    while running.join_next().await.is_some() {}
    let _ = client.flush().await;
    Ok(())
}

async fn publish(client: &Client, subject: &str, message: &Message) {
    if let Ok(bytes) = serde_json::to_vec(message) {
        let _ = client.publish(subject.to_owned(), bytes.into()).await;
    }
}

/// One job's results subject on one broker connection. Each message goes out only while the
/// connection is the one the job began on: after a break (and a reconnect, maybe to another
/// node) what went out in between may be lost, so `Interrupted` goes in its place.
struct Results<'a> {
    client: &'a Client,
    subject: String,
    agent: &'a str,
    connects: u64,
}

impl<'a> Results<'a> {
    fn new(client: &'a Client, subject: String, agent: &'a str) -> Results<'a> {
        Results {
            client,
            subject,
            agent,
            connects: connects(client),
        }
    }

    /// Publishes `message`; false, after saying `Interrupted` instead, when the connection has
    /// broken since the job began: the job is over.
    async fn send(&self, message: &Message) -> bool {
        if connects(self.client) != self.connects {
            let why = format!(
                "the connection of agent {} to the broker broke during the run",
                self.agent
            );
            publish(self.client, &self.subject, &Message::Interrupted { why }).await;
            return false;
        }
        publish(self.client, &self.subject, message).await;
        true
    }
}

/// Runs one job, publishing as it goes. The heartbeat is part of this future, not a task of
/// its own, so an agent that stops (or a job that is dropped) stops beating with it; it ends
/// the job when the connection broke meanwhile.
async fn run_job(client: &Client, config: &AgentConfig, registry: &Registry, job: Job) {
    let results = Results::new(
        client,
        config.subjects.results(&job.id, &config.info.name),
        &config.info.name,
    );
    let heartbeat = async {
        let mut tick = tokio::time::interval(HEARTBEAT);
        loop {
            tick.tick().await;
            if !results.send(&Message::Heartbeat).await {
                return;
            }
        }
    };
    let work = async {
        match netcheck_core::runner::vet(job.request, config.settings.clone()).await {
            Err(denial) => {
                let why = denial.to_string();
                results.send(&Message::Refused { why }).await;
            }
            Ok(vetted) => {
                let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
                let run = vetted.run(registry, Some(tx));
                let forward = async {
                    while let Some(event) = events.recv().await {
                        if !results.send(&Message::Event { event }).await {
                            return;
                        }
                    }
                };
                let _ = tokio::join!(run, forward);
            }
        }
    };
    tokio::select! {
        () = work => {}
        () = heartbeat => {}
    }
    let _ = client.flush().await;
}
