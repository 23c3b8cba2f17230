//! The stub resolver netcheck asks: one query, one answer, and which server gave it.
//!
//! hickory-resolver answers "what are the records"; a diagnostic tool also needs "which server
//! said so, with which response code, in how long, and was the answer authenticated". Its
//! `Resolver` hides the server and folds SERVFAIL into retries, so this module builds queries
//! with hickory-proto and sends them with hickory-net's UDP/TCP transports, one server at a time,
//! keeping every attempt. The servers come from `--resolver` or from /etc/resolv.conf (parsed by
//! `resolv-conf`, the parser hickory-resolver itself uses).

pub mod records;

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use futures::StreamExt;
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_net::udp::UdpClientStream;
use hickory_net::xfer::DnsHandle;
use hickory_proto::op::{DnsRequest, DnsRequestOptions, Edns, Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::report::millis;
use records::{Record, RecordData, name_text};

/// RFC 9715 / DNS flag day 2020: a payload size that avoids IP fragmentation.
const EDNS_PAYLOAD: u16 = 1232;
/// RFC 1035 §4.2: DNS servers listen on port 53.
pub const PORT: u16 = 53;

/// Where the list of servers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolverSource {
    System,
    Configured,
}

#[derive(Debug, Clone)]
pub struct Resolver {
    pub servers: Vec<SocketAddr>,
    pub source: ResolverSource,
    pub query_timeout: Duration,
    /// Why there are no servers, when /etc/resolv.conf could not be used.
    pub unavailable: Option<String>,
}

impl Resolver {
    pub fn new(configured: &[SocketAddr], query_timeout: Duration) -> Resolver {
        if !configured.is_empty() {
            return Resolver {
                servers: configured.to_vec(),
                source: ResolverSource::Configured,
                query_timeout,
                unavailable: None,
            };
        }
        let (servers, unavailable) = match system_servers() {
            Ok(s) if s.is_empty() => (s, Some("/etc/resolv.conf lists no nameserver".to_owned())),
            Ok(s) => (s, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        Resolver {
            servers,
            source: ResolverSource::System,
            query_timeout,
            unavailable,
        }
    }

    /// Asks for `name`/`rtype`, trying each server in turn until one gives a decisive answer
    /// (records, no data, or NXDOMAIN). SERVFAIL, REFUSED and silence move on to the next server.
    pub async fn query(&self, name: &str, rtype: RecordType, checking_disabled: bool) -> Lookup {
        let started = Instant::now();
        let mut lookup = Lookup::new(name, rtype);
        let qname = match Name::from_str(name).map(|n| n.to_lowercase()) {
            Ok(mut n) => {
                n.set_fqdn(true);
                n
            }
            Err(e) => {
                lookup.outcome = Outcome::Error;
                lookup.error = Some(format!("'{name}' is not a DNS name: {e}"));
                return lookup;
            }
        };
        if self.servers.is_empty() {
            lookup.outcome = Outcome::Error;
            lookup.error = Some(
                self.unavailable
                    .clone()
                    .unwrap_or_else(|| "no DNS server to ask".into()),
            );
            return lookup;
        }
        for server in &self.servers {
            let attempt_started = Instant::now();
            let result = self
                .exchange(*server, &qname, rtype, checking_disabled)
                .await;
            let elapsed = attempt_started.elapsed();
            let (outcome, error) = match &result {
                Ok(msg) => (Outcome::of(msg, rtype), None),
                Err(e) => (e.outcome(), Some(e.to_string())),
            };
            lookup.attempts.push(Attempt {
                server: *server,
                outcome,
                time_ms: millis(elapsed),
                error: error.clone(),
            });
            lookup.outcome = outcome;
            lookup.error = error;
            if let Ok(msg) = result {
                lookup.absorb(&msg, *server, rtype);
                lookup.time_ms = millis(elapsed);
            }
            if outcome.is_decisive() {
                break;
            }
        }
        if !lookup.outcome.is_decisive() {
            lookup.resolver = None;
            // Report the most telling failure, with its own words.
            if let Some(worst) = lookup
                .attempts
                .iter()
                .max_by_key(|a| a.outcome.blame_rank())
            {
                lookup.outcome = worst.outcome;
                lookup.error = worst.error.clone();
            }
            lookup.time_ms = millis(started.elapsed());
        }
        lookup
    }

    /// A and AAAA for the target, asked at the same time.
    pub async fn lookup_addresses(&self, host: &str) -> AddressLookup {
        let started = Instant::now();
        let (a, aaaa) = tokio::join!(
            self.query(host, RecordType::A, false),
            self.query(host, RecordType::AAAA, false)
        );
        let addresses = a.addresses().chain(aaaa.addresses()).collect();
        AddressLookup {
            addresses,
            a: Some(a),
            aaaa: Some(aaaa),
            time_ms: millis(started.elapsed()),
        }
    }

    async fn exchange(
        &self,
        server: SocketAddr,
        name: &Name,
        rtype: RecordType,
        checking_disabled: bool,
    ) -> Result<Message, ExchangeError> {
        let request = build_request(name, rtype, checking_disabled);
        let provider = TokioRuntimeProvider::new();
        // hickory's own bound is set past ours so that silence is always reported by our
        // timeout (as a timeout) rather than by the transport closing the stream.
        let transport_bound = self.query_timeout * 2;
        let udp = UdpClientStream::builder(server, provider.clone())
            .with_timeout(Some(transport_bound))
            .with_max_retries(0)
            .exchange();
        let response = first_response(&udp, request.clone(), self.query_timeout).await?;
        if !response.metadata.truncation {
            return Ok(response);
        }
        // RFC 7766 §5: a truncated UDP answer is retried over TCP.
        let connect = TcpClientStream::exchange(server, None, transport_bound, None, provider);
        let tcp = tokio::time::timeout(self.query_timeout, connect)
            .await
            .map_err(|_| ExchangeError::Timeout)?
            .map_err(|e| ExchangeError::Network(e.to_string()))?;
        first_response(&tcp, request, self.query_timeout).await
    }
}

fn build_request(name: &Name, rtype: RecordType, checking_disabled: bool) -> DnsRequest {
    let mut message = Message::query();
    message.add_query(Query::query(name.clone(), rtype));
    message.metadata.recursion_desired = true;
    // RFC 6840 §5.7: AD in a query asks a validating resolver to report validation in AD.
    message.metadata.authentic_data = true;
    // RFC 4035 §3.2.2: CD asks for the data even when validation fails (how bogus is told apart).
    message.metadata.checking_disabled = checking_disabled;
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD).set_dnssec_ok(true);
    message.set_edns(edns);
    let mut options = DnsRequestOptions::default();
    options.use_edns = true;
    options.edns_set_dnssec_ok = true;
    options.edns_payload_len = EDNS_PAYLOAD;
    DnsRequest::new(message, options)
}

async fn first_response<H: DnsHandle>(
    handle: &H,
    request: DnsRequest,
    bound: Duration,
) -> Result<Message, ExchangeError> {
    let mut responses = handle.send(request);
    match tokio::time::timeout(bound, responses.next()).await {
        Err(_) => Err(ExchangeError::Timeout),
        Ok(None) => Err(ExchangeError::Network(
            "the server closed the exchange without an answer".into(),
        )),
        Ok(Some(Ok(response))) => Ok(response.into_message()),
        Ok(Some(Err(e))) => Err(ExchangeError::classify(e)),
    }
}

#[derive(Debug, thiserror::Error)]
enum ExchangeError {
    #[error("no answer within the query timeout")]
    Timeout,
    #[error("{0}")]
    Network(String),
}

impl ExchangeError {
    fn classify(e: hickory_net::NetError) -> ExchangeError {
        let text = e.to_string();
        if matches!(e, hickory_net::NetError::Timeout) || text.contains("timed out") {
            ExchangeError::Timeout
        } else {
            ExchangeError::Network(text)
        }
    }

    fn outcome(&self) -> Outcome {
        match self {
            ExchangeError::Timeout => Outcome::Timeout,
            ExchangeError::Network(_) => Outcome::Error,
        }
    }
}

/// How one lookup ended, in DNS terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// NOERROR with records of the asked type (possibly behind a CNAME chain).
    Answer,
    /// NOERROR without records of the asked type (RFC 2308 §2.2 "NODATA").
    NoData,
    /// The name does not exist (RCODE 3).
    NxDomain,
    /// The server failed to answer (RCODE 2): broken delegation, or DNSSEC validation failed.
    ServFail,
    /// The server refused to answer us (RCODE 5).
    Refused,
    /// No answer within the query timeout.
    Timeout,
    /// Anything else: network errors, malformed answers, other RCODEs.
    Error,
}

impl Outcome {
    fn of(msg: &Message, rtype: RecordType) -> Outcome {
        match msg.metadata.response_code {
            ResponseCode::NoError if msg.answers.iter().any(|r| r.record_type() == rtype) => {
                Outcome::Answer
            }
            ResponseCode::NoError => Outcome::NoData,
            ResponseCode::NXDomain => Outcome::NxDomain,
            ResponseCode::ServFail => Outcome::ServFail,
            ResponseCode::Refused => Outcome::Refused,
            _ => Outcome::Error,
        }
    }

    /// An answer that another server would not change.
    pub fn is_decisive(self) -> bool {
        matches!(self, Outcome::Answer | Outcome::NoData | Outcome::NxDomain)
    }

    /// How much an outcome says about why a name cannot be used: NXDOMAIN (the name does not
    /// exist) says most, an answer nothing.
    pub fn failure_rank(self) -> u8 {
        match self {
            Outcome::NxDomain => 6,
            Outcome::ServFail => 5,
            Outcome::Refused => 4,
            Outcome::Timeout => 3,
            Outcome::Error => 2,
            Outcome::NoData => 1,
            Outcome::Answer => 0,
        }
    }

    /// When every server failed, the most telling failure is reported.
    fn blame_rank(self) -> u8 {
        match self {
            Outcome::ServFail => 4,
            Outcome::Refused => 3,
            Outcome::Error => 2,
            Outcome::Timeout => 1,
            _ => 0,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Answer => "answer",
            Outcome::NoData => "no records of this type",
            Outcome::NxDomain => "NXDOMAIN: the name does not exist",
            Outcome::ServFail => "SERVFAIL: the resolver could not get an answer",
            Outcome::Refused => "REFUSED: the server will not answer this query",
            Outcome::Timeout => "no answer: the query timed out",
            Outcome::Error => "error",
        }
    }
}

/// One query sent to one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attempt {
    pub server: SocketAddr,
    pub outcome: Outcome,
    pub time_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One lookup of one name and type, with the answer of the server that decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Lookup {
    pub name: String,
    pub record_type: String,
    pub outcome: Outcome,
    /// The server whose answer this is; absent when none gave a decisive answer.
    pub resolver: Option<SocketAddr>,
    /// Time of the answering exchange (or of all attempts, when none answered).
    pub time_ms: f64,
    /// Records of the asked type.
    pub records: Vec<Record>,
    /// CNAME records followed to reach them, in order.
    pub cname_chain: Vec<Record>,
    /// The resolver set AD: it validated the answer with DNSSEC (RFC 4035 §3.2.3).
    pub authenticated: bool,
    /// The answer carried RRSIG records: the zone is signed.
    pub signed: bool,
    /// The zone the answer came from, when the server named it (the SOA of a negative answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    pub attempts: Vec<Attempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Lookup {
    pub fn new(name: &str, rtype: RecordType) -> Lookup {
        Lookup {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            record_type: rtype.to_string(),
            outcome: Outcome::Error,
            resolver: None,
            time_ms: 0.0,
            records: Vec::new(),
            cname_chain: Vec::new(),
            authenticated: false,
            signed: false,
            zone: None,
            attempts: Vec::new(),
            error: None,
        }
    }

    fn absorb(&mut self, msg: &Message, server: SocketAddr, rtype: RecordType) {
        self.resolver = Some(server);
        self.authenticated = msg.metadata.authentic_data;
        // Negative answers carry their signatures in the authority section (RFC 4035 §3.1.3).
        self.signed = msg
            .answers
            .iter()
            .chain(&msg.authorities)
            .any(|r| r.record_type() == RecordType::RRSIG);
        self.records = msg
            .answers
            .iter()
            .filter(|r| r.record_type() == rtype)
            .map(Record::from_wire)
            .collect();
        self.cname_chain = follow_cnames(&self.name, msg);
        self.zone = msg
            .authorities
            .iter()
            .find(|r| r.record_type() == RecordType::SOA)
            .or_else(|| {
                msg.answers
                    .iter()
                    .find(|r| r.record_type() == RecordType::SOA)
            })
            .map(|r| name_text(&r.name));
    }

    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.records.iter().filter_map(|r| match r.data {
            RecordData::A { address } => Some(IpAddr::V4(address)),
            RecordData::Aaaa { address } => Some(IpAddr::V6(address)),
            _ => None,
        })
    }
}

/// Orders the CNAME records of an answer from the queried name onwards (RFC 1034 §3.6.2),
/// stopping at a loop.
fn follow_cnames(start: &str, msg: &Message) -> Vec<Record> {
    let cnames: Vec<Record> = msg
        .answers
        .iter()
        .filter(|r| r.record_type() == RecordType::CNAME)
        .map(Record::from_wire)
        .collect();
    let mut chain = Vec::new();
    let mut current = start.to_owned();
    while let Some(link) = cnames.iter().find(|r| r.name == current) {
        if chain.iter().any(|r: &Record| r.name == link.name) {
            break;
        }
        let RecordData::Cname { target } = &link.data else {
            break;
        };
        current = target.clone();
        chain.push(link.clone());
    }
    chain
}

/// The target's addresses, shared by every check that connects to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AddressLookup {
    pub addresses: Vec<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<Lookup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aaaa: Option<Lookup>,
    pub time_ms: f64,
}

impl AddressLookup {
    pub fn literal(ip: IpAddr) -> AddressLookup {
        AddressLookup {
            addresses: vec![ip],
            a: None,
            aaaa: None,
            time_ms: 0.0,
        }
    }

    /// Why there are no addresses, in words, when there are none.
    pub fn failure(&self) -> Option<String> {
        if !self.addresses.is_empty() {
            return None;
        }
        let a = self.a.as_ref()?;
        let aaaa = self.aaaa.as_ref();
        let outcome = match aaaa {
            Some(l) if l.outcome.failure_rank() > a.outcome.failure_rank() => l,
            _ => a,
        };
        Some(match outcome.outcome {
            Outcome::NoData | Outcome::Answer => format!("{} has no A or AAAA records", a.name),
            o => format!(
                "{}: {}",
                a.name,
                outcome
                    .error
                    .clone()
                    .unwrap_or_else(|| o.describe().to_owned())
            ),
        })
    }
}

fn system_servers() -> Result<Vec<SocketAddr>, String> {
    let text = std::fs::read("/etc/resolv.conf")
        .map_err(|e| format!("cannot read /etc/resolv.conf: {e}"))?;
    servers_from(&text).map_err(|e| format!("cannot parse /etc/resolv.conf: {e}"))
}

/// The name servers of a resolv.conf, port 53; a link-local IPv6 server keeps its scope
/// (`fe80::1%eth0`), without which it cannot be reached.
fn servers_from(text: &[u8]) -> Result<Vec<SocketAddr>, String> {
    let conf = resolv_conf::Config::parse(text).map_err(|e| e.to_string())?;
    Ok(conf
        .nameservers
        .iter()
        .map(|ns| match ns {
            resolv_conf::ScopedIp::V6(ip, Some(scope)) => SocketAddr::V6(
                std::net::SocketAddrV6::new(*ip, PORT, 0, scope_index(scope).unwrap_or(0)),
            ),
            other => SocketAddr::new(IpAddr::from(other.clone()), PORT),
        })
        .collect())
}

/// An interface's index from its number or its name (read from sysfs: no FFI needed).
fn scope_index(scope: &str) -> Option<u32> {
    if let Ok(n) = scope.parse() {
        return Some(n);
    }
    let plain = scope
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !scope.starts_with('.');
    if !plain {
        return None;
    }
    std::fs::read_to_string(format!("/sys/class/net/{scope}/ifindex"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_servers_keep_a_link_local_scope() {
        let text = b"search example.net\nnameserver 192.0.2.53\nnameserver fe80::1%lo\nnameserver fe80::2%7\nnameserver 2001:db8::53\n";
        let servers = servers_from(text).unwrap();
        let scopes: Vec<u32> = servers
            .iter()
            .map(|s| match s {
                SocketAddr::V6(v6) => v6.scope_id(),
                SocketAddr::V4(_) => 0,
            })
            .collect();
        // lo is interface 1 in every network namespace.
        assert_eq!(scopes, [0, 1, 7, 0]);
        assert!(servers.iter().all(|s| s.port() == 53));
        assert_eq!(scope_index("../../etc"), None);
        assert_eq!(scope_index("no-such-interface0"), None);
    }
}
