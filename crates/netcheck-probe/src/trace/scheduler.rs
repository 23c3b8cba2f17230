//! When probes leave and how long to wait for them: one scheduler for every back-end, over a
//! `ProbeSocket` that only sends a named probe and hands back answers (trippy's
//! `Strategy::run<N: Network>` is the model). The back-ends know packets; this file knows time.
//!
//! - **A window of TTLs at once.** TTLs up to `window` past the farthest router that has
//!   answered are in flight together, TTL by TTL with every probe of a TTL together: a short
//!   path is one round trip, a long one slides the window as routers answer.
//! - **Nothing past the destination.** Once it has answered, no TTL beyond its distance is sent.
//!   A destination's ICMP errors are rate-limited (Linux: a burst of 6 per peer, then one per
//!   `icmp_ratelimit`; a host-wide `icmp_msgs_burst` shared by IPv4 and IPv6): each probe sent
//!   past it spends that budget for nothing, and a dual-stack trace spends it twice.
//! - **Missing answers are asked again.** When the wait ends with the destination's answers
//!   missing (or no answer from past the last router at all), the missing probes are sent again,
//!   up to `retries` times at doubling intervals, instead of giving up after one wait: a rate
//!   limit refills (a traceroute(8) run at the same moment spends the same per-peer budget).
//! - **The wait adapts.** Until the destination answers, the trace may last `timeout`; after
//!   it, silent hops get twice the farthest round trip seen (at least `min_wait`).

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

use super::TraceOptions;

/// What one answer said about one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    TimeExceeded,
    Destination,
    Unreachable(u8),
}

/// An answer as a back-end reads it: to the probe `(ttl, id)` it names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Received {
    pub ttl: u8,
    pub id: u8,
    pub from: IpAddr,
    /// When it arrived.
    pub at: Instant,
    pub answer: Answer,
}

/// An answer matched to the probe slot it fills.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub ttl: u8,
    /// The slot, `0..probes_per_hop`; a probe sent again fills the slot it stands for.
    pub probe: u8,
    pub from: IpAddr,
    pub rtt: Duration,
    pub answer: Answer,
}

/// A back-end's sockets. `send` puts one probe on the wire, named by its TTL and an id that
/// the answer will quote; `recv` waits for the next answer to any probe, or `None` once
/// `deadline` has passed. Answers to probes the scheduler never sent may be returned: they are
/// ignored.
pub(crate) trait ProbeSocket {
    fn send(&mut self, ttl: u8, id: u8) -> impl Future<Output = io::Result<()>>;
    fn recv(&mut self, deadline: Instant) -> impl Future<Output = Option<Received>>;
}

/// How many distinct probe ids one TTL may use: its slots, times the sends of each (the first
/// and the retries), kept under 256 so that an id fits in a byte.
pub(crate) fn id_count(options: &TraceOptions) -> u8 {
    let per_hop = options.probes_per_hop.max(1);
    per_hop * options.retries.saturating_add(1).min(u8::MAX / per_hop)
}

/// Runs a trace over `socket`: the replies, one per probe slot answered, and the probes sent.
pub(crate) async fn schedule<S: ProbeSocket>(
    socket: &mut S,
    options: &TraceOptions,
) -> io::Result<(Vec<Reply>, u32)> {
    let mut run = Run::new(options);
    loop {
        let limit = run.send_limit();
        if run.top < limit {
            for ttl in run.top + 1..=limit {
                for slot in 0..run.per_hop {
                    run.send(socket, ttl, slot, 0).await?;
                }
            }
            run.top = limit;
        }
        let Some((deadline, on_expiry)) = run.next_deadline() else {
            break;
        };
        if let Some(received) = socket.recv(deadline).await {
            run.record(received);
            continue;
        }
        match on_expiry {
            Expiry::Stop => break,
            Expiry::Retry(probes) => {
                run.attempt += 1;
                let attempt = run.attempt;
                for (ttl, slot) in probes {
                    run.send(socket, ttl, slot, attempt).await?;
                }
            }
        }
    }
    Ok((run.replies, run.sent.len() as u32))
}

/// What to do when a wait ends with nothing more.
#[derive(Debug, PartialEq)]
enum Expiry {
    Stop,
    /// Send these (TTL, slot) probes again.
    Retry(Vec<(u8, u8)>),
}

struct Run<'a> {
    options: &'a TraceOptions,
    per_hop: u8,
    /// Sends of one slot at most: the first and `retries` more, ids kept under 256.
    attempts: u8,
    attempt: u8,
    started: Instant,
    last_send: Instant,
    /// The highest TTL sent.
    top: u8,
    sent: HashMap<(u8, u8), Instant>,
    replies: Vec<Reply>,
}

impl<'a> Run<'a> {
    fn new(options: &'a TraceOptions) -> Run<'a> {
        let per_hop = options.probes_per_hop.max(1);
        let now = Instant::now();
        Run {
            options,
            per_hop,
            attempts: id_count(options) / per_hop,
            attempt: 0,
            started: now,
            last_send: now,
            top: 0,
            sent: HashMap::new(),
            replies: Vec::new(),
        }
    }

    async fn send<S: ProbeSocket>(
        &mut self,
        socket: &mut S,
        ttl: u8,
        slot: u8,
        attempt: u8,
    ) -> io::Result<()> {
        let id = attempt * self.per_hop + slot;
        let at = Instant::now();
        socket.send(ttl, id).await?;
        self.sent.insert((ttl, id), at);
        self.last_send = at;
        Ok(())
    }

    fn record(&mut self, r: Received) {
        let Some(sent_at) = self.sent.get(&(r.ttl, r.id)) else {
            return;
        };
        let slot = r.id % self.per_hop;
        if self
            .replies
            .iter()
            .any(|x| x.ttl == r.ttl && x.probe == slot)
        {
            return;
        }
        self.replies.push(Reply {
            ttl: r.ttl,
            probe: slot,
            from: r.from,
            rtt: r.at.saturating_duration_since(*sent_at),
            answer: r.answer,
        });
    }

    /// The nearest TTL whose answer did not say "time exceeded": the destination, or where
    /// the path ends.
    fn end(&self) -> Option<u8> {
        self.replies
            .iter()
            .filter(|r| r.answer != Answer::TimeExceeded)
            .map(|r| r.ttl)
            .min()
    }

    /// The farthest TTL a router answered from.
    fn farthest_router(&self) -> u8 {
        self.replies
            .iter()
            .filter(|r| r.answer == Answer::TimeExceeded)
            .map(|r| r.ttl)
            .max()
            .unwrap_or(0)
    }

    /// The highest TTL that may be in flight now.
    fn send_limit(&self) -> u8 {
        match self.end() {
            Some(end) => end.min(self.options.max_hops),
            None => self
                .farthest_router()
                .saturating_add(self.options.window.max(1))
                .min(self.options.max_hops),
        }
    }

    fn answered(&self, ttl: u8, slot: u8) -> bool {
        self.replies.iter().any(|r| r.ttl == ttl && r.probe == slot)
    }

    /// When the current wait ends, and what to do then; `None` when nothing is outstanding.
    fn next_deadline(&self) -> Option<(Instant, Expiry)> {
        let give_up = self.started + self.options.timeout;
        let retry_left = self.attempt + 1 < self.attempts;
        let farthest = self.replies.iter().map(|r| r.rtt).max();
        // Twice the farthest round trip, doubled after each round sent again: a destination
        // whose per-peer budget another tracer spent refills by one answer a second (IPv4;
        // IPv6 scales that down by the route's prefix length), so the asking spreads out
        // until `timeout`.
        let silent_wait = (farthest.unwrap_or_default() * 2).max(self.options.min_wait);
        // Waits run from the last probe that can still be answered usefully: once the
        // destination is known, probes the window sent past it do not count.
        let from = match self.end() {
            Some(end) => self
                .sent
                .iter()
                .filter(|((ttl, _), _)| *ttl <= end)
                .map(|(_, at)| *at)
                .max()
                .unwrap_or(self.last_send),
            None => self.last_send,
        };
        let retry_at = (from + silent_wait * (1u32 << self.attempt.min(8))).min(give_up);
        let silent_until = (from + silent_wait).min(give_up);
        match self.end() {
            Some(end) => {
                let missing_below =
                    (1..end).any(|ttl| (0..self.per_hop).any(|slot| !self.answered(ttl, slot)));
                // The destination's missing answers, and the silent TTLs just before it: when
                // its answers to nearer probes were rate-limited away, it first answers from
                // farther off, and those silent TTLs are where it really is.
                let last_router = self
                    .replies
                    .iter()
                    .filter(|r| r.answer == Answer::TimeExceeded && r.ttl < end)
                    .map(|r| r.ttl)
                    .max()
                    .unwrap_or(0);
                let silent_before = (last_router + 1..end)
                    .filter(|ttl| !self.replies.iter().any(|r| r.ttl == *ttl))
                    .flat_map(|ttl| (0..self.per_hop).map(move |slot| (ttl, slot)));
                let missing_at_end: Vec<(u8, u8)> = silent_before
                    .chain(
                        (0..self.per_hop)
                            .filter(|slot| !self.answered(end, *slot))
                            .map(|slot| (end, slot)),
                    )
                    .collect();
                if !missing_below && missing_at_end.is_empty() {
                    return None;
                }
                if !missing_at_end.is_empty() && retry_left && retry_at < give_up {
                    Some((retry_at, Expiry::Retry(missing_at_end)))
                } else {
                    // Nothing more to ask: the last probes sent get the silent hops' wait.
                    Some((silent_until, Expiry::Stop))
                }
            }
            // Nothing from the destination yet. Once some router has answered, a silence past
            // it of twice the farthest round trip may be lost answers: ask the TTLs just past
            // the last router again (all their slots, nearest first), and keep waiting until
            // `timeout` in any case.
            None if farthest.is_some() && retry_left => {
                let deadline = retry_at;
                if deadline >= give_up {
                    return Some((give_up, Expiry::Stop));
                }
                let first = self.farthest_router() + 1;
                let last = self.top.min(first.saturating_add(2));
                let again: Vec<(u8, u8)> = (first..=last)
                    .flat_map(|ttl| (0..self.per_hop).map(move |slot| (ttl, slot)))
                    .collect();
                Some((deadline, Expiry::Retry(again)))
            }
            None => Some((give_up, Expiry::Stop)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use super::*;

    /// One hop of a simulated path.
    #[derive(Clone, Copy)]
    enum Node {
        Router { rtt_ms: u64 },
        Silent,
        Destination { rtt_ms: u64 },
    }

    /// A path in memory: probes are answered by the node their TTL reaches, at send time plus
    /// its round trip; the destination answers through a token bucket like Linux's per-peer
    /// ICMP limit (`burst` answers, then one per `refill`).
    struct FakeNetwork {
        path: Vec<Node>,
        tokens: f64,
        burst: f64,
        refill: Duration,
        last_refill: Instant,
        in_flight: BinaryHeap<Reverse<(Instant, u8, u8)>>,
        sent: Vec<(u8, u8)>,
        sent_at: Vec<Instant>,
        started: Instant,
    }

    impl FakeNetwork {
        fn new(path: Vec<Node>, burst: f64, refill: Duration) -> FakeNetwork {
            FakeNetwork {
                path,
                tokens: burst,
                burst,
                refill,
                last_refill: Instant::now(),
                in_flight: BinaryHeap::new(),
                sent: Vec::new(),
                sent_at: Vec::new(),
                started: Instant::now(),
            }
        }

        fn node(&self, ttl: u8) -> Node {
            let d = self.path.len();
            self.path[usize::from(ttl).min(d) - 1]
        }
    }

    const DEST: &str = "198.18.4.2";

    impl ProbeSocket for FakeNetwork {
        async fn send(&mut self, ttl: u8, id: u8) -> io::Result<()> {
            self.sent.push((ttl, id));
            let now = Instant::now();
            self.sent_at.push(now);
            let node = self.node(ttl);
            let rtt = match node {
                Node::Router { rtt_ms } => Some(rtt_ms),
                Node::Silent => None,
                Node::Destination { rtt_ms } => {
                    let elapsed = now - self.last_refill;
                    self.tokens = (self.tokens + elapsed.as_secs_f64() / self.refill.as_secs_f64())
                        .min(self.burst);
                    self.last_refill = now;
                    if self.tokens >= 1.0 {
                        self.tokens -= 1.0;
                        Some(rtt_ms)
                    } else {
                        None
                    }
                }
            };
            if let Some(ms) = rtt {
                self.in_flight
                    .push(Reverse((now + Duration::from_millis(ms), ttl, id)));
            }
            Ok(())
        }

        async fn recv(&mut self, deadline: Instant) -> Option<Received> {
            match self.in_flight.peek() {
                Some(Reverse((at, _, _))) if *at <= deadline => {
                    let Reverse((at, ttl, id)) = self.in_flight.pop()?;
                    tokio::time::sleep_until(at).await;
                    let (from, answer) = match self.node(ttl) {
                        Node::Destination { .. } => (DEST.to_owned(), Answer::Destination),
                        _ => (format!("198.18.{ttl}.1"), Answer::TimeExceeded),
                    };
                    Some(Received {
                        ttl,
                        id,
                        from: from.parse().ok()?,
                        at,
                        answer,
                    })
                }
                _ => {
                    tokio::time::sleep_until(deadline).await;
                    None
                }
            }
        }
    }

    /// The testbed's path: a router, a silent hop behind a 40 ms delay line, a router, the
    /// server.
    fn testbed_path() -> Vec<Node> {
        vec![
            Node::Router { rtt_ms: 1 },
            Node::Silent,
            Node::Router { rtt_ms: 40 },
            Node::Destination { rtt_ms: 41 },
        ]
    }

    fn options() -> TraceOptions {
        TraceOptions::default()
    }

    async fn trace(net: &mut FakeNetwork) -> (Vec<Reply>, Duration) {
        let started = Instant::now();
        let (replies, _) = schedule(net, &options()).await.unwrap();
        (replies, started.elapsed())
    }

    /// Answers from the destination at its own distance (those past it are not hops).
    fn destination_slots(replies: &[Reply]) -> usize {
        let answers = || replies.iter().filter(|r| r.answer == Answer::Destination);
        let Some(d) = answers().map(|r| r.ttl).min() else {
            return 0;
        };
        answers().filter(|r| r.ttl == d).count()
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_path_is_one_round_trip_plus_the_silent_hop_wait() {
        let mut net = FakeNetwork::new(testbed_path(), 6.0, Duration::from_secs(1));
        let (replies, took) = trace(&mut net).await;
        assert_eq!(destination_slots(&replies), 3, "{replies:?}");
        // 41 ms to the destination; the silent hop's wait, twice the farthest round trip, runs
        // from when its probes left (at once), not from the probes the window sent past the
        // destination when r3 answered.
        assert_eq!(took, Duration::from_millis(82));
        // The window's probes (TTL 1 to 9 at once, 10 and 11 when r3 answered), and nothing
        // after the destination answered at 41 ms.
        assert_eq!(net.sent.len(), 3 * 11, "{:?}", net.sent);
        assert!(
            net.sent_at
                .iter()
                .all(|at| *at - net.started <= Duration::from_millis(40)),
            "{:?}",
            net.sent
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_sent_past_the_destination_once_it_answered() {
        // A long path: the window slides as routers answer, and stops at the destination.
        let mut path: Vec<Node> = (1..20).map(|t| Node::Router { rtt_ms: 5 * t }).collect();
        path.push(Node::Destination { rtt_ms: 100 });
        let mut net = FakeNetwork::new(path, 6.0, Duration::from_secs(1));
        let (replies, took) = trace(&mut net).await;
        assert_eq!(destination_slots(&replies), 3, "{replies:?}");
        let beyond = net.sent.iter().filter(|(ttl, _)| *ttl > 20).count();
        assert!(beyond <= 3 * 8, "{beyond} probes past the destination");
        assert!(took < Duration::from_millis(400), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limited_destination_is_asked_again() {
        // The destination's budget is spent (by the other family's trace, say): it answers
        // again only after 100 ms. One wait and "not reached" would be wrong.
        let mut net = FakeNetwork::new(testbed_path(), 6.0, Duration::from_millis(100));
        net.tokens = -0.5;
        let (replies, took) = trace(&mut net).await;
        assert_eq!(destination_slots(&replies), 3, "{replies:?}");
        assert!(took < Duration::from_secs(1), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_destination_whose_budget_another_tracer_spent_is_reached_within_the_timeout() {
        // Empty bucket, one answer a second (IPv4's default icmp_ratelimit).
        let mut net = FakeNetwork::new(testbed_path(), 6.0, Duration::from_secs(1));
        net.tokens = 0.0;
        let (replies, took) = trace(&mut net).await;
        assert!(destination_slots(&replies) >= 1, "{replies:?}");
        assert!(took <= options().timeout, "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_round_sent_again_gets_the_short_wait_not_the_doubled_one() {
        // One answer comes back for the last round; the trace ends a short wait later, not at
        // the timeout.
        let mut net = FakeNetwork::new(testbed_path(), 6.0, Duration::from_secs(1));
        net.tokens = 0.0;
        let (replies, took) = trace(&mut net).await;
        assert!(destination_slots(&replies) >= 1, "{replies:?}");
        let last_send = *net.sent_at.iter().max().unwrap() - net.started;
        assert!(
            took <= last_send + Duration::from_millis(82),
            "{took:?} after the last send at {last_send:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_destination_first_heard_from_farther_off_is_found_at_its_distance() {
        // Its budget is empty when the first probes reach it and refills fast: the first
        // answer comes to a probe the window sent later, from TTL 10. The silent TTLs between
        // the last router and there are asked again, and the destination is at 4.
        let mut net = FakeNetwork::new(testbed_path(), 6.0, Duration::from_millis(20));
        net.tokens = -0.1;
        let (replies, _) = trace(&mut net).await;
        let first = replies
            .iter()
            .filter(|r| r.answer == Answer::Destination)
            .map(|r| r.ttl)
            .min();
        assert_eq!(first, Some(4), "{replies:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_destination_that_never_answers_ends_at_the_timeout() {
        let mut path = testbed_path();
        path[3] = Node::Silent;
        let mut net = FakeNetwork::new(path, 6.0, Duration::from_secs(1));
        let (replies, took) = trace(&mut net).await;
        assert_eq!(destination_slots(&replies), 0);
        assert_eq!(took, options().timeout);
        // Ids past the first three are probes sent again: rounds of three TTLs, spaced out so
        // that they all fit in the timeout.
        let retried = net.sent.iter().filter(|(_, id)| *id >= 3).count();
        let rounds = usize::from(options().retries);
        assert!(
            retried > 0 && retried <= rounds * 3 * 3,
            "{retried}: {:?}",
            net.sent
        );
    }

    #[tokio::test(start_paused = true)]
    async fn answers_to_unknown_probes_are_ignored() {
        let opts = options();
        let mut run = Run::new(&opts);
        run.record(Received {
            ttl: 3,
            id: 0,
            from: DEST.parse().unwrap(),
            at: Instant::now(),
            answer: Answer::Destination,
        });
        assert!(run.replies.is_empty());
    }
}
