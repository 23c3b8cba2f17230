//! A small authoritative-style DNS server on UDP and TCP, built on hickory-proto's message
//! types. hickory-server's in-memory zones answer correctly but cannot be told to misbehave;
//! netcheck needs SERVFAIL, REFUSED, silence, truncation and the AD bit on demand, per name,
//! and a rebinding name whose A answer changes after the first query. An answer too large for
//! the client's UDP payload (512 bytes, or its EDNS size) is sent truncated, as RFC 1035 §4.2.1
//! says, so the client retries over TCP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

/// How the server treats queries for one name (and the names below it for `Silent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer from the zone.
    Normal,
    ServFail,
    Refused,
    /// Never answer: the client times out.
    Silent,
    /// SERVFAIL unless the query sets CD, as a validating resolver does for a bogus zone.
    BogusUnlessCd,
    /// Answer with AD set, as a validating resolver does for a secure zone.
    Authenticated,
    /// Answer over UDP with TC set and no records; the full answer only over TCP.
    TruncateUdp,
    /// Never answer queries of this type; answer the others from the zone.
    SilentFor(RecordType),
}

#[derive(Debug, Default, Clone)]
pub struct Zone {
    records: Vec<Record>,
    behaviours: HashMap<Name, Behaviour>,
    rebinding: HashMap<Name, Rebinding>,
}

/// A name whose A query is answered with `first` once, with `then` ever after: a DNS
/// rebinding attack (public first, so a check passes; internal next, for the connection).
#[derive(Debug, Clone)]
struct Rebinding {
    first: std::net::Ipv4Addr,
    then: std::net::Ipv4Addr,
    asked: Arc<AtomicUsize>,
}

fn name(s: &str) -> Name {
    let mut n = Name::from_str(s).unwrap_or_else(|e| panic!("bad test name {s}: {e}"));
    n.set_fqdn(true);
    n
}

impl Zone {
    pub fn new() -> Zone {
        Zone::default()
    }

    /// Adds a record, e.g. `zone.add("a.test", 300, RData::A("198.18.0.1".parse().unwrap()))`.
    pub fn add(mut self, owner: &str, ttl: u32, data: RData) -> Zone {
        self.records
            .push(Record::from_rdata(name(owner), ttl, data));
        self
    }

    /// `owner`'s A query is answered `first` the first time and `then` every time after (TTL 0).
    pub fn rebind(
        mut self,
        owner: &str,
        first: std::net::Ipv4Addr,
        then: std::net::Ipv4Addr,
    ) -> Zone {
        self.rebinding.insert(
            name(owner),
            Rebinding {
                first,
                then,
                asked: Arc::new(AtomicUsize::new(0)),
            },
        );
        self
    }

    pub fn behave(mut self, owner: &str, behaviour: Behaviour) -> Zone {
        self.behaviours.insert(name(owner), behaviour);
        self
    }

    fn behaviour(&self, qname: &Name) -> Behaviour {
        self.behaviours
            .get(qname)
            .copied()
            .unwrap_or(Behaviour::Normal)
    }

    /// The SOA whose owner is the closest enclosing zone apex of `qname`.
    fn soa_for(&self, qname: &Name) -> Option<&Record> {
        self.records
            .iter()
            .filter(|r| r.record_type() == RecordType::SOA && r.name.zone_of(qname))
            .max_by_key(|r| r.name.num_labels())
    }

    fn answer(&self, query: &Message, over_tcp: bool) -> Option<Message> {
        let q = query.queries.first()?;
        let qname = q.name.to_lowercase();
        let mut response = Message::response(query.metadata.id, query.metadata.op_code);
        response.metadata.message_type = MessageType::Response;
        response.metadata.recursion_desired = query.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.metadata.checking_disabled = query.metadata.checking_disabled;
        response.add_query(q.clone());
        match self.behaviour(&qname) {
            Behaviour::Silent => return None,
            Behaviour::SilentFor(rtype) if rtype == q.query_type => return None,
            Behaviour::ServFail => return Some(with_rcode(response, ResponseCode::ServFail)),
            Behaviour::Refused => return Some(with_rcode(response, ResponseCode::Refused)),
            Behaviour::BogusUnlessCd if !query.metadata.checking_disabled => {
                return Some(with_rcode(response, ResponseCode::ServFail));
            }
            Behaviour::TruncateUdp if !over_tcp => {
                response.metadata.truncation = true;
                return Some(response);
            }
            Behaviour::Authenticated => response.metadata.authentic_data = true,
            _ => {}
        }
        if let Some(r) = self.rebinding.get(&qname) {
            if q.query_type == RecordType::A {
                let ip = match r.asked.fetch_add(1, Ordering::SeqCst) {
                    0 => r.first,
                    _ => r.then,
                };
                response.add_answer(Record::from_rdata(
                    qname.clone(),
                    0,
                    RData::A(hickory_proto::rr::rdata::A(ip)),
                ));
            }
            return Some(response);
        }
        let mut current = qname.clone();
        for _ in 0..8 {
            let exact: Vec<&Record> = self
                .records
                .iter()
                .filter(|r| r.name == current && r.record_type() == q.query_type)
                .collect();
            if !exact.is_empty() {
                response.add_answers(exact.into_iter().cloned());
                return Some(response);
            }
            let cname = self
                .records
                .iter()
                .find(|r| r.name == current && r.record_type() == RecordType::CNAME);
            match cname {
                Some(c) => {
                    response.add_answer(c.clone());
                    let RData::CNAME(target) = &c.data else { break };
                    current = target.0.to_lowercase();
                }
                None => break,
            }
        }
        let exists = self
            .records
            .iter()
            .any(|r| r.name == current || current.zone_of(&r.name));
        if let Some(soa) = self.soa_for(&current) {
            response.add_authority(soa.clone());
        }
        if !exists {
            response.metadata.response_code = ResponseCode::NXDomain;
        }
        Some(response)
    }
}

fn with_rcode(mut m: Message, rcode: ResponseCode) -> Message {
    m.metadata.response_code = rcode;
    m
}

/// A running server; stops when dropped.
pub struct DnsServer {
    pub addr: SocketAddr,
    queries: Arc<Mutex<Vec<(String, RecordType)>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl DnsServer {
    /// Serves `zone` on UDP and TCP on the same loopback port.
    pub async fn start(zone: Zone) -> DnsServer {
        let zone = Arc::new(zone);
        let queries = Arc::new(Mutex::new(Vec::new()));
        // Port 0 for UDP, then the same port for TCP; retried in the rare case it is taken.
        for _ in 0..20 {
            let udp = UdpSocket::bind("127.0.0.1:0")
                .await
                .unwrap_or_else(|e| panic!("bind udp: {e}"));
            let addr = udp.local_addr().unwrap_or_else(|e| panic!("udp addr: {e}"));
            let Ok(tcp) = TcpListener::bind(addr).await else {
                continue;
            };
            let udp_task = tokio::spawn(serve_udp(udp, zone.clone(), queries.clone()));
            let tcp_task = tokio::spawn(serve_tcp(tcp, zone.clone(), queries.clone()));
            return DnsServer {
                addr,
                queries,
                tasks: vec![udp_task, tcp_task],
            };
        }
        panic!("could not bind a DNS server on loopback")
    }

    /// Every question asked so far, in order.
    pub fn queries(&self) -> Vec<(String, RecordType)> {
        self.queries.lock().map(|q| q.clone()).unwrap_or_default()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn log(queries: &Mutex<Vec<(String, RecordType)>>, msg: &Message) {
    if let (Some(q), Ok(mut log)) = (msg.queries.first(), queries.lock()) {
        log.push((q.name.to_ascii(), q.query_type));
    }
}

async fn serve_udp(
    socket: UdpSocket,
    zone: Arc<Zone>,
    queries: Arc<Mutex<Vec<(String, RecordType)>>>,
) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let Ok(query) = Message::from_vec(&buf[..len]) else {
            continue;
        };
        log(&queries, &query);
        if let Some(mut response) = zone.answer(&query, false)
            && let Ok(mut bytes) = response.to_vec()
        {
            if bytes.len() > usize::from(query.max_payload()) {
                response.answers.clear();
                response.authorities.clear();
                response.additionals.clear();
                response.metadata.truncation = true;
                let Ok(short) = response.to_vec() else {
                    continue;
                };
                bytes = short;
            }
            let _ = socket.send_to(&bytes, peer).await;
        }
    }
}

async fn serve_tcp(
    listener: TcpListener,
    zone: Arc<Zone>,
    queries: Arc<Mutex<Vec<(String, RecordType)>>>,
) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let zone = zone.clone();
        let queries = queries.clone();
        tokio::spawn(async move {
            // RFC 1035 §4.2.2: each message is preceded by its two-byte length.
            loop {
                let Ok(len) = stream.read_u16().await else {
                    return;
                };
                let mut buf = vec![0u8; usize::from(len)];
                if stream.read_exact(&mut buf).await.is_err() {
                    return;
                }
                let Ok(query) = Message::from_vec(&buf) else {
                    return;
                };
                log(&queries, &query);
                let Some(response) = zone.answer(&query, true) else {
                    continue;
                };
                let Ok(bytes) = response.to_vec() else { return };
                let Ok(len) = u16::try_from(bytes.len()) else {
                    return;
                };
                if stream.write_u16(len).await.is_err() || stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        });
    }
}
