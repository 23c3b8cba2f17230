//! A run's stream on the bus, so that any server can stream any run (N servers behind a load
//! balancer, a client that reconnects to another one, a second viewer of a permalink while the
//! run still goes on).
//!
//! The server that runs it (the *origin*) publishes each event of its stream on
//! `{prefix}.runs.{run}.events`, numbered from 1, with a heartbeat (number 0) every second, and
//! answers `{prefix}.runs.{run}.replay` with every event sent so far, for the run and
//! [`LINGER`] after it. A *follower* subscribes to the events first, then asks for the replay,
//! and gives the replay, then each live event numbered after the last replayed one, until the
//! last. No answer to the replay (NATS no-responders) means the run is not going on anywhere: the
//! follower says so, and the caller looks in the shared store. A follower whose origin falls
//! silent for [`Follower::lost_after`] ends with an `error` event.
//!
//! A NATS message has a bound (the broker's `max_payload`, 1 MiB by default) and a report made
//! of hostile pages may be large: the replay comes in parts of at most half of it, asked for
//! from a given event on, and an event larger than that travels as its name alone, marked
//! [`Frame::too_big`], for the follower to read from the store (a run's `regions` is kept
//! before it is sent).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::Client;
use async_nats::client::RequestErrorKind;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::protocol::Subjects;

/// How long the origin still answers a replay after the run's last event: a follower that
/// arrives later reads the run from the store.
pub const LINGER: Duration = Duration::from_secs(30);

/// How often the origin says it is still there.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// One event of a run's stream: its `event:` name and its `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// 1, 2, … in the order sent; 0 is a heartbeat, never given to a reader.
    pub seq: u64,
    pub event: String,
    pub data: Value,
    /// The stream's last event.
    #[serde(default)]
    pub last: bool,
    /// Its `data` was too large for one message and was left out (read it from the store).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub too_big: bool,
}

impl Frame {
    /// The frame as one message of at most `limit` bytes: whole, or its name alone.
    fn encode(&self, limit: usize) -> Vec<u8> {
        let whole = serde_json::to_vec(self).unwrap_or_default();
        if whole.len() <= limit {
            return whole;
        }
        serde_json::to_vec(&Frame {
            data: Value::Null,
            too_big: true,
            ..self.clone()
        })
        .unwrap_or_default()
    }
}

/// A follower's question: the events from `from` on.
#[derive(Debug, Serialize, Deserialize)]
struct Ask {
    from: u64,
}

/// One part of a replay: events from the one asked, as many as fit; `more` when the origin had
/// others then.
#[derive(Debug, Serialize, Deserialize)]
struct Part {
    frames: Vec<Value>,
    more: bool,
}

/// The most one message of ours holds: half the broker's bound, so a part's envelope fits.
fn limit(client: &Client) -> usize {
    (client.server_info().max_payload / 2).max(4096)
}

/// The origin's side: publishes the run's events and answers replays.
#[derive(Debug)]
pub struct Origin {
    client: Client,
    subject: String,
    sent: Arc<Mutex<Vec<Frame>>>,
    replies: JoinHandle<()>,
    heartbeat: JoinHandle<()>,
    ended: bool,
}

impl Origin {
    /// Starts answering for `run` on `client`.
    pub async fn open(client: Client, subjects: &Subjects, run: &str) -> Result<Origin, String> {
        let subject = subjects.run_events(run);
        let mut asks = client
            .subscribe(subjects.run_replay(run))
            .await
            .map_err(|e| format!("cannot subscribe: {e}"))?;
        // Subscribed before the first event, so no follower finds nobody while the run goes on.
        client
            .flush()
            .await
            .map_err(|e| format!("the broker: {e}"))?;
        let sent: Arc<Mutex<Vec<Frame>>> = Arc::default();
        let replies = tokio::spawn({
            let (client, sent) = (client.clone(), sent.clone());
            async move {
                while let Some(ask) = asks.next().await {
                    let Some(reply) = ask.reply else { continue };
                    let from = serde_json::from_slice::<Ask>(&ask.payload).map_or(1, |a| a.from);
                    let budget = limit(&client);
                    let part = {
                        let sent = sent.lock().unwrap_or_else(PoisonError::into_inner);
                        let mut frames = Vec::new();
                        let mut size = 0;
                        let mut more = false;
                        for f in sent.iter().filter(|f| f.seq >= from) {
                            let body = f.encode(budget);
                            if !frames.is_empty() && size + body.len() > budget {
                                more = true;
                                break;
                            }
                            size += body.len();
                            frames.push(serde_json::from_slice(&body).unwrap_or_default());
                        }
                        Part { frames, more }
                    };
                    if let Ok(body) = serde_json::to_vec(&part) {
                        let _ = client.publish(reply, body.into()).await;
                    }
                }
            }
        });
        let heartbeat = tokio::spawn({
            let (client, subject) = (client.clone(), subject.clone());
            async move {
                let beat = serde_json::to_vec(&Frame {
                    seq: 0,
                    event: String::new(),
                    data: Value::Null,
                    last: false,
                    too_big: false,
                })
                .unwrap_or_default();
                loop {
                    tokio::time::sleep(HEARTBEAT).await;
                    let _ = client.publish(subject.clone(), beat.clone().into()).await;
                }
            }
        });
        Ok(Origin {
            client,
            subject,
            sent,
            replies,
            heartbeat,
            ended: false,
        })
    }

    /// Publishes the next event; `last` ends the stream.
    pub async fn send(&mut self, event: &str, data: Value, last: bool) {
        let frame = {
            let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
            let frame = Frame {
                seq: sent.len() as u64 + 1,
                event: event.to_owned(),
                data,
                last,
                too_big: false,
            };
            sent.push(frame.clone());
            frame
        };
        self.ended |= last;
        let body = frame.encode(limit(&self.client));
        // A broker that is away loses the live copy; the replay still has it.
        let _ = self.client.publish(self.subject.clone(), body.into()).await;
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.heartbeat.abort();
        let replies = self.replies.abort_handle();
        if !self.ended {
            // Stopped before its end (its client went away): the followers are told so.
            let mut last = Frame {
                seq: 0,
                event: "error".into(),
                data: serde_json::json!({
                    "error": "run_stopped",
                    "message": "the run was stopped before its end",
                }),
                last: true,
                too_big: false,
            };
            {
                let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
                last.seq = sent.len() as u64 + 1;
                sent.push(last.clone());
            }
            let (client, subject) = (self.client.clone(), self.subject.clone());
            let body = last.encode(usize::MAX);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = client.publish(subject, body.into()).await;
                });
            }
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(LINGER).await;
                replies.abort();
            });
        } else {
            replies.abort();
        }
    }
}

/// A follower's side: the run's events as any server can read them.
#[derive(Debug, Clone)]
pub struct Follower {
    client: Client,
    subjects: Subjects,
    /// Silence from the origin after which the stream ends with an `error`.
    pub lost_after: Duration,
}

impl Follower {
    pub fn new(client: Client, subjects: Subjects) -> Follower {
        Follower {
            client,
            subjects,
            lost_after: Duration::from_secs(5),
        }
    }

    /// The run's events, from its first: `None` when no server runs it now (it ended more than
    /// [`LINGER`] ago, or never was).
    pub async fn follow(
        &self,
        run: &str,
    ) -> Result<Option<impl futures::Stream<Item = Frame> + Send + 'static>, String> {
        let live = self
            .client
            .subscribe(self.subjects.run_events(run))
            .await
            .map_err(|e| format!("cannot subscribe: {e}"))?;
        self.client
            .flush()
            .await
            .map_err(|e| format!("the broker: {e}"))?;
        let mut replay: Vec<Frame> = Vec::new();
        loop {
            let from = replay.last().map_or(1, |f| f.seq + 1);
            let ask = serde_json::to_vec(&Ask { from }).unwrap_or_default();
            let asked = self
                .client
                .request(self.subjects.run_replay(run), ask.into())
                .await;
            let part: Part = match asked {
                Ok(m) => serde_json::from_slice(&m.payload)
                    .map_err(|e| format!("the run's replay cannot be read: {e}"))?,
                Err(e) if e.kind() == RequestErrorKind::NoResponders && replay.is_empty() => {
                    return Ok(None);
                }
                Err(e) => return Err(format!("the broker: {e}")),
            };
            let before = replay.len();
            replay.extend(
                part.frames
                    .into_iter()
                    .filter_map(|f| serde_json::from_value::<Frame>(f).ok()),
            );
            if !part.more || replay.len() == before {
                break;
            }
        }
        let seen = replay.last().map_or(0, |f| f.seq);
        let done = replay.last().is_some_and(|f| f.last);
        let lost_after = self.lost_after;
        let tail = futures::stream::unfold(
            (live, seen, done),
            move |(mut live, mut seen, done)| async move {
                if done {
                    return None;
                }
                loop {
                    match tokio::time::timeout(lost_after, live.next()).await {
                        Ok(Some(m)) => match serde_json::from_slice::<Frame>(&m.payload) {
                            Ok(f) if f.seq > seen => {
                                seen = f.seq;
                                let last = f.last;
                                return Some((f, (live, seen, last)));
                            }
                            // A heartbeat, or an event the replay had.
                            _ => continue,
                        },
                        Ok(None) | Err(_) => {
                            let lost = Frame {
                                seq: seen + 1,
                                event: "error".into(),
                                data: serde_json::json!({
                                    "error": "run_lost",
                                    "message": "the server running it fell silent",
                                }),
                                last: true,
                                too_big: false,
                            };
                            return Some((lost, (live, seen, true)));
                        }
                    }
                }
            },
        );
        Ok(Some(futures::stream::iter(replay).chain(tail)))
    }
}
