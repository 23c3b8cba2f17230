//! What travels over NATS between the hub and the agents, and on which subjects. Everything is
//! JSON; a job carries a [`RunRequest`] (what a caller may choose), never the settings of the
//! machine that runs it, so an agent runs each job with its own resolvers, anchors and policy.
//!
//! - `{prefix}.jobs.{region}`: a job, sent as a NATS request. The region's agents share a queue
//!   group, so one of them takes it and answers at once ([`Reply`]): accepted, or busy. No agent
//!   at all is NATS's no-responders answer, immediate.
//! - `{prefix}.results.{job}.{agent}`: what the accepting agent says while it runs the job
//!   ([`Message`]): each event of the engine as it happens, heartbeats in between, the
//!   policy's refusal, or that its own broker connection broke mid-job (some of what it sent
//!   may be lost, so the job ends there). The agent's name is in the subject, so the NATS permissions that give an
//!   agent its own subjects (docs/deploy.md) make a result unforgeable by another agent, and the
//!   hub takes results only from the agent that accepted the job.
//! - `{prefix}.discover`: every agent answers with its [`Presence`] (`netcheck agents`).
//! - `{prefix}.runs.{run}.events` and `.replay`: between the servers only, a run's stream, so
//!   that any server can stream any run (`runs.rs`).

use netcheck_core::{Event, RunRequest};
use serde::{Deserialize, Serialize};

/// The subject tree's root, unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "netcheck";

/// The queue group a region's agents share.
pub const QUEUE_GROUP: &str = "agents";

/// Subjects under one prefix.
#[derive(Debug, Clone)]
pub struct Subjects {
    prefix: String,
}

impl Default for Subjects {
    fn default() -> Self {
        Subjects::new(DEFAULT_PREFIX)
    }
}

impl Subjects {
    pub fn new(prefix: &str) -> Subjects {
        Subjects {
            prefix: prefix.to_owned(),
        }
    }

    pub fn jobs(&self, region: &str) -> String {
        format!("{}.jobs.{region}", self.prefix)
    }

    pub fn results(&self, job: &str, agent: &str) -> String {
        format!("{}.results.{job}.{agent}", self.prefix)
    }

    /// Where every agent answers who it is (no queue group: all of them answer).
    pub fn discover(&self) -> String {
        format!("{}.discover", self.prefix)
    }

    /// Every agent's results for `job`.
    pub fn all_results(&self, job: &str) -> String {
        format!("{}.results.{job}.*", self.prefix)
    }

    /// Where the server that runs `run` publishes its stream's events (`runs.rs`).
    pub fn run_events(&self, run: &str) -> String {
        format!("{}.runs.{run}.events", self.prefix)
    }

    /// Where the server that runs `run` answers with the events sent so far.
    pub fn run_replay(&self, run: &str) -> String {
        format!("{}.runs.{run}.replay", self.prefix)
    }

    /// The agent a results subject names, if it is one of `job`'s.
    pub fn agent_of<'a>(&self, job: &str, subject: &'a str) -> Option<&'a str> {
        subject.strip_prefix(&format!("{}.results.{job}.", self.prefix))
    }
}

/// Whether `name` can be one token of a subject (a region, an agent): letters, digits, `-` and
/// `_`, at most 64 of them.
pub fn valid_token(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Who runs a region's job, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentInfo {
    /// Unique among the agents (a subject token).
    pub name: String,
    pub region: String,
    /// Where it is, in words ("Seoul, KR").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    pub netcheck_version: String,
}

/// An agent's answer to discovery: who it is and how busy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Presence {
    pub agent: AgentInfo,
    pub jobs: usize,
    pub max_jobs: usize,
}

/// A job: one run, for one region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// Unique per run (a subject token); every region of a run shares it.
    pub id: String,
    pub request: RunRequest,
}

/// An agent's answer to a job, at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Accepted {
        agent: AgentInfo,
    },
    /// It holds as many jobs as it takes.
    Busy {
        agent: AgentInfo,
    },
    /// The job cannot be read.
    Rejected {
        agent: AgentInfo,
        why: String,
    },
}

/// What an accepting agent publishes while it runs the job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum Message {
    /// One of the engine's events, as it happened; `ended` is the last.
    Event { event: Event },
    /// Still running (sent every second between events).
    Heartbeat,
    /// The agent's target policy refuses the target, after its own lookup.
    Refused { why: String },
    /// The agent's connection to the broker broke and came back (another node of a cluster,
    /// say) while it ran the job: messages it sent meanwhile may be lost, so it stops here
    /// rather than let the hub build a report with holes.
    Interrupted { why: String },
}
