//! Framing of a server's first flight as bytes arrive: records (RFC 5246 §6.2.1), handshake
//! messages split across records or packed several to a record (RFC 5246 §6.2.1, §7.4), alerts
//! between them. Pure and incremental: feed it what a socket read returned, in any chunks, and
//! it answers the same. Untrusted bytes: every length is checked, the total is bounded, nothing
//! panics (fuzzed by fuzz/fuzz_targets/tls_server_flight.rs). What each message means is
//! `flight.rs`'s job; the socket is `exchange.rs`'s.

use tls_parser::TlsHandshakeType;

use super::alert::Alert;
use super::error::HelloError;
use super::flight::{
    self, FlightEnd, ServerFlight, Until, certificates, from_server_hello, key_exchange,
    signature_scheme,
};
use super::version::ProtocolVersion;

/// The most a first flight may take: a long chain of big RSA certificates with a stapled OCSP
/// response stays well below it.
pub const MAX_FLIGHT_BYTES: usize = 256 * 1024;

/// RFC 5246 §6.2.3: no record is longer than 2^14 + 2048 bytes.
const MAX_RECORD: usize = (1 << 14) + 2048;

/// Reads one first flight from the bytes fed to it.
#[derive(Debug)]
pub struct FlightDecoder {
    until: Until,
    limit: usize,
    /// Bytes accepted so far (at most `limit`).
    received: usize,
    /// More than `limit` bytes were offered.
    overflow: bool,
    /// Received bytes not yet framed into records.
    records: Vec<u8>,
    framed_any: bool,
    /// Handshake bytes not yet framed into messages.
    handshake: Vec<u8>,
    /// Warnings that came before the ServerHello.
    warnings: Vec<Alert>,
    flight: Option<ServerFlight>,
    done: bool,
}

impl FlightDecoder {
    pub fn new(until: Until) -> FlightDecoder {
        FlightDecoder::with_limit(until, MAX_FLIGHT_BYTES)
    }

    pub fn with_limit(until: Until, limit: usize) -> FlightDecoder {
        FlightDecoder {
            until,
            limit,
            received: 0,
            overflow: false,
            records: Vec::new(),
            framed_any: false,
            handshake: Vec::new(),
            warnings: Vec::new(),
            flight: None,
            done: false,
        }
    }

    /// Bytes accepted so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Takes the next bytes the server sent. `Ok(true)` once the flight has ended; bytes after
    /// its end are ignored. Only the first `limit` bytes are ever looked at, so the answer does
    /// not depend on how the bytes were chunked.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<bool, HelloError> {
        if self.done {
            return Ok(true);
        }
        let room = self.limit - self.received;
        let taken = &bytes[..bytes.len().min(room)];
        self.overflow |= bytes.len() > room;
        self.received += taken.len();
        self.records.extend_from_slice(taken);
        self.frame_records()?;
        if !self.done && self.overflow {
            return Err(HelloError::TooLarge { limit: self.limit });
        }
        Ok(self.done)
    }

    /// The flight, once `feed` said it ended; `Closed` when the bytes stopped before that.
    pub fn finish(self) -> Result<ServerFlight, HelloError> {
        match self.flight {
            Some(flight) if self.done => Ok(flight),
            _ => Err(HelloError::Closed {
                received: self.received,
            }),
        }
    }

    fn frame_records(&mut self) -> Result<(), HelloError> {
        let mut buffer = std::mem::take(&mut self.records);
        let mut at = 0;
        let result = loop {
            if self.done {
                break Ok(());
            }
            let rest = &buffer[at..];
            // Every SSL 3.0 and TLS record has a type from 20 to 24 and a major version of 3;
            // checked on the first bytes already, so a banner of another protocol fails fast.
            let bad_type = rest.first().is_some_and(|k| !(20..=24).contains(k));
            if bad_type || rest.get(1).is_some_and(|&major| major != 3) {
                // Before any record, the buffer holds the very first bytes the server sent.
                if !self.framed_any {
                    break Err(HelloError::NotTls {
                        start: buffer[..buffer.len().min(16)].to_vec(),
                    });
                }
                break Err(HelloError::Malformed {
                    what: "record header",
                });
            }
            let Some(header) = rest.get(..5) else {
                break Ok(());
            };
            let kind = header[0];
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            if len > MAX_RECORD {
                break Err(HelloError::Malformed {
                    what: "record length",
                });
            }
            let Some(fragment) = rest.get(5..5 + len) else {
                break Ok(());
            };
            at += 5 + len;
            self.framed_any = true;
            if let Err(e) = self.record(kind, fragment) {
                break Err(e);
            }
        };
        buffer.drain(..at);
        self.records = buffer;
        result
    }

    fn record(&mut self, kind: u8, fragment: &[u8]) -> Result<(), HelloError> {
        match kind {
            22 => {
                self.handshake.extend_from_slice(fragment);
                self.frame_messages()
            }
            21 => self.alerts(fragment),
            20 => Err(HelloError::Unexpected {
                what: "a ChangeCipherSpec".into(),
            }),
            23 => Err(HelloError::Unexpected {
                what: "application data".into(),
            }),
            // Heartbeat (RFC 6520): not part of the handshake, harmless to skip.
            _ => Ok(()),
        }
    }

    fn alerts(&mut self, fragment: &[u8]) -> Result<(), HelloError> {
        for pair in fragment.chunks(2) {
            let Ok((_, tls_parser::TlsMessage::Alert(a))) =
                tls_parser::parse_tls_message_alert(pair)
            else {
                return Err(HelloError::Malformed { what: "alert" });
            };
            let alert = Alert::from(&a);
            if !alert.ends_handshake() {
                match &mut self.flight {
                    Some(f) => f.warnings.push(alert),
                    None => self.warnings.push(alert),
                }
                continue;
            }
            let Some(flight) = &mut self.flight else {
                return Err(HelloError::Alert(alert));
            };
            flight.end = FlightEnd::Alert(alert);
            self.done = true;
            return Ok(());
        }
        Ok(())
    }

    fn frame_messages(&mut self) -> Result<(), HelloError> {
        let mut buffer = std::mem::take(&mut self.handshake);
        let mut at = 0;
        let result = loop {
            if self.done {
                break Ok(());
            }
            let rest = &buffer[at..];
            let Some(header) = rest.get(..4) else {
                break Ok(());
            };
            let len =
                usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3]);
            if len > self.limit {
                break Err(HelloError::TooLarge { limit: self.limit });
            }
            let Some(message) = rest.get(..4 + len) else {
                break Ok(());
            };
            at += 4 + len;
            if let Err(e) = self.message(message) {
                break Err(e);
            }
        };
        buffer.drain(..at);
        self.handshake = buffer;
        result
    }

    fn message(&mut self, bytes: &[u8]) -> Result<(), HelloError> {
        let kind = bytes[0];
        // RFC 5246 §7.4.1.1: a HelloRequest during a handshake is ignored.
        if kind == u8::from(TlsHandshakeType::HelloRequest) {
            return Ok(());
        }
        let Some(flight) = &mut self.flight else {
            if kind != u8::from(TlsHandshakeType::ServerHello) {
                return Err(unexpected(kind, "before the ServerHello"));
            }
            let message = flight::parse_message(bytes, "ServerHello")?;
            let (mut flight, ended) = from_server_hello(message, self.until)?;
            flight.warnings = std::mem::take(&mut self.warnings);
            self.flight = Some(flight);
            self.done = ended;
            return Ok(());
        };
        match TlsHandshakeType(kind) {
            TlsHandshakeType::Certificate => {
                let message = flight::parse_message(bytes, "Certificate")?;
                flight.certificates = certificates(&message).unwrap_or_default();
            }
            TlsHandshakeType::ServerKeyExchange => {
                let message = flight::parse_message(bytes, "ServerKeyExchange")?;
                flight.key_exchange = key_exchange(&message, flight.suite);
                if flight.version == ProtocolVersion::TLS_1_2 {
                    flight.signature_scheme = signature_scheme(&message, flight.suite);
                }
            }
            TlsHandshakeType::CertificateStatus => flight.ocsp_stapled = true,
            TlsHandshakeType::CertificateRequest => flight.certificate_requested = true,
            TlsHandshakeType::ServerDone => {
                flight.end = FlightEnd::ServerHelloDone;
                self.done = true;
            }
            _ => return Err(unexpected(kind, "in the first flight")),
        }
        Ok(())
    }
}

fn unexpected(kind: u8, place: &str) -> HelloError {
    HelloError::Unexpected {
        what: format!("a {:?} message {place}", TlsHandshakeType(kind)),
    }
}

/// A whole first flight from bytes already received, as a fixture or a fuzzer holds them.
pub fn decode_server_flight(bytes: &[u8], until: Until) -> Result<ServerFlight, HelloError> {
    let mut decoder = FlightDecoder::new(until);
    decoder.feed(bytes)?;
    decoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::{KeyExchange, ProtocolVersion};

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// ServerHello, TLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, with renegotiation_info and
    /// extended_master_secret.
    const SERVER_HELLO: &str = "02000031 0303
        1111111111111111111111111111111111111111111111111111111111111111
        00 c02f 00 0009 ff01000100 00170000";
    /// Certificate with two (tiny, not X.509) entries.
    const CERTIFICATE: &str = "0b000013 000010 000005 3003020101 000005 3003020102";
    /// ServerKeyExchange: named_curve x25519, a 32-byte point, a signature.
    const SERVER_KEY_EXCHANGE: &str = "0c00002a 03 001d 20
        2222222222222222222222222222222222222222222222222222222222222222
        0401 0002 aabb";
    const SERVER_HELLO_DONE: &str = "0e000000";

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 3, 3];
        r.extend((body.len() as u16).to_be_bytes());
        r.extend(body);
        r
    }

    fn messages() -> Vec<u8> {
        [
            SERVER_HELLO,
            CERTIFICATE,
            SERVER_KEY_EXCHANGE,
            SERVER_HELLO_DONE,
        ]
        .iter()
        .flat_map(|m| hex(m))
        .collect()
    }

    fn full_flight() -> ServerFlight {
        decode_server_flight(&record(22, &messages()), Until::ServerHelloDone).unwrap()
    }

    #[test]
    fn a_flight_in_one_record_reads_to_server_hello_done() {
        let f = full_flight();
        assert_eq!(f.version, ProtocolVersion::TLS_1_2);
        assert_eq!(f.suite, 0xc02f);
        assert_eq!(f.suite_name, Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        assert!(f.extensions.renegotiation_info && f.extensions.extended_master_secret);
        assert_eq!(f.certificates, [hex("3003020101"), hex("3003020102")]);
        assert_eq!(
            f.key_exchange,
            Some(KeyExchange::Ecdh {
                group: 29,
                group_name: Some("x25519")
            })
        );
        assert_eq!(
            f.signature_scheme,
            Some(0x0401),
            "rsa_pkcs1_sha256 signed it"
        );
        assert_eq!(f.end, FlightEnd::ServerHelloDone);
        assert!(f.chain_in_the_clear());
    }

    #[test]
    fn messages_split_across_records_and_bytes_arriving_one_by_one_read_the_same() {
        // Each record carries 7 bytes of handshake, so every message straddles records.
        let wire: Vec<u8> = messages().chunks(7).flat_map(|c| record(22, c)).collect();
        let mut decoder = FlightDecoder::new(Until::ServerHelloDone);
        let mut ended_at = None;
        for (i, b) in wire.iter().enumerate() {
            if decoder.feed(std::slice::from_ref(b)).unwrap() {
                ended_at = Some(i);
                break;
            }
        }
        assert_eq!(ended_at, Some(wire.len() - 1));
        assert_eq!(decoder.finish().unwrap(), full_flight());
    }

    #[test]
    fn a_fatal_alert_instead_of_a_server_hello_is_a_refusal() {
        let e = decode_server_flight(&record(21, &[2, 40]), Until::ServerHelloDone).unwrap_err();
        let HelloError::Alert(a) = e else {
            panic!("{e:?}")
        };
        assert_eq!(a.to_string(), "fatal handshake_failure (40)");
    }

    #[test]
    fn a_warning_before_the_server_hello_is_noted_and_the_flight_goes_on() {
        let mut wire = record(21, &[1, 112]);
        wire.extend(record(22, &messages()));
        let f = decode_server_flight(&wire, Until::ServerHelloDone).unwrap();
        assert_eq!(f.warnings.len(), 1);
        assert_eq!(f.warnings[0].description_name(), Some("unrecognized_name"));
        assert_eq!(f.end, FlightEnd::ServerHelloDone);
    }

    #[test]
    fn a_fatal_alert_after_the_certificate_keeps_the_chain() {
        let mut wire = record(22, &[hex(SERVER_HELLO), hex(CERTIFICATE)].concat());
        wire.extend(record(21, &[2, 71]));
        let f = decode_server_flight(&wire, Until::ServerHelloDone).unwrap();
        assert_eq!(f.certificates.len(), 2);
        let FlightEnd::Alert(a) = f.end else {
            panic!("{:?}", f.end)
        };
        assert_eq!(a.description_name(), Some("insufficient_security"));
    }

    #[test]
    fn a_tls13_answer_is_reported_as_encrypted_not_as_an_error() {
        // ServerHello with legacy_version 0x0303, supported_versions 0x0304 and an x25519
        // key_share, then the middlebox ChangeCipherSpec and encrypted records.
        let hello = hex("02000056 0303
            3333333333333333333333333333333333333333333333333333333333333333
            00 1301 00 002e 002b00020304 00330024 001d0020
            4444444444444444444444444444444444444444444444444444444444444444");
        let mut wire = record(22, &hello);
        wire.extend(record(20, &[1]));
        wire.extend(record(23, &[0x55; 40]));
        let f = decode_server_flight(&wire, Until::ServerHelloDone).unwrap();
        assert_eq!(f.version, ProtocolVersion::TLS_1_3);
        assert_eq!(f.suite_name, Some("TLS_AES_128_GCM_SHA256"));
        assert_eq!(f.extensions.key_share_group, Some(29));
        assert_eq!(f.end, FlightEnd::Encrypted);
        assert!(f.certificates.is_empty() && !f.chain_in_the_clear());
    }

    #[test]
    fn a_hello_retry_request_says_which_group_the_server_wants() {
        let hrr = hex("02000039 0303
            CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C
            00 1302 00 0011 002b00020304 00330002 0017 ff01000100");
        let f = decode_server_flight(&record(22, &hrr), Until::ServerHelloDone).unwrap();
        assert_eq!(f.end, FlightEnd::HelloRetryRequest);
        assert_eq!(f.version, ProtocolVersion::TLS_1_3);
        assert_eq!(f.extensions.key_share_group, Some(23));
    }

    #[test]
    fn until_server_hello_stops_before_the_certificate() {
        let f = decode_server_flight(&record(22, &messages()), Until::ServerHello).unwrap();
        assert_eq!(f.end, FlightEnd::ServerHello);
        assert!(f.certificates.is_empty());
        assert_eq!(f.suite, 0xc02f);
    }

    #[test]
    fn another_protocols_banner_is_not_tls() {
        for banner in [
            "HTTP/1.1 400 Bad Request\r\n",
            "SSH-2.0-OpenSSH_9.6\r\n",
            "220 ",
        ] {
            let e = decode_server_flight(banner.as_bytes(), Until::ServerHelloDone).unwrap_err();
            let HelloError::NotTls { start } = &e else {
                panic!("{banner}: {e:?}")
            };
            assert!(banner.as_bytes().starts_with(start));
            assert!(e.to_string().contains(&banner[..3]), "{e}");
        }
    }

    #[test]
    fn a_flight_past_the_limit_is_too_large() {
        // A Certificate that claims 16 MiB is refused as soon as its header arrives.
        let mut wire = record(22, &hex(SERVER_HELLO));
        wire.extend(record(22, &hex("0bffffff")));
        let e = decode_server_flight(&wire, Until::ServerHelloDone).unwrap_err();
        assert!(matches!(
            e,
            HelloError::TooLarge {
                limit: MAX_FLIGHT_BYTES
            }
        ));
        // Endless records of a long message stop at the limit.
        let mut decoder = FlightDecoder::with_limit(Until::ServerHelloDone, 1000);
        decoder.feed(&record(22, &hex(SERVER_HELLO))).unwrap();
        decoder.feed(&record(22, &hex("0b000300"))).unwrap();
        let e = loop {
            if let Err(e) = decoder.feed(&record(22, &[0; 100])) {
                break e;
            }
        };
        assert!(matches!(e, HelloError::TooLarge { limit: 1000 }));
    }

    #[test]
    fn bytes_that_stop_early_are_a_closed_connection() {
        let wire = record(22, &messages());
        let e = decode_server_flight(&wire[..wire.len() - 2], Until::ServerHelloDone).unwrap_err();
        assert!(matches!(e, HelloError::Closed { received } if received == wire.len() - 2));
    }

    #[test]
    fn messages_out_of_place_are_unexpected() {
        let e = decode_server_flight(&record(22, &hex(CERTIFICATE)), Until::ServerHelloDone)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("Certificate message before the ServerHello"),
            "{e}"
        );
        let mut wire = record(22, &hex(SERVER_HELLO));
        wire.extend(record(20, &[1]));
        let e = decode_server_flight(&wire, Until::ServerHelloDone).unwrap_err();
        assert!(matches!(e, HelloError::Unexpected { .. }), "{e:?}");
    }

    #[test]
    fn dh_and_export_rsa_parameters_report_their_size() {
        // TLS_DHE_RSA_WITH_AES_128_CBC_SHA with a 1024-bit prime, generator 2, a 1-byte Ys.
        let mut ske = vec![0x0c, 0, 0, 0];
        ske.extend([0x00, 0x80, 0x80]);
        ske.extend([0; 127]);
        ske.extend([0x00, 0x01, 0x02, 0x00, 0x01, 0x05]);
        let len = (ske.len() - 4) as u8;
        ske[3] = len;
        let mut hello = hex(SERVER_HELLO);
        hello[39..41].copy_from_slice(&[0x00, 0x33]);
        let wire = record(22, &[hello.clone(), ske, hex(SERVER_HELLO_DONE)].concat());
        let f = decode_server_flight(&wire, Until::ServerHelloDone).unwrap();
        assert_eq!(f.key_exchange, Some(KeyExchange::Dh { prime_bits: 1024 }));
        // TLS_RSA_EXPORT_WITH_RC4_40_MD5 with a 512-bit temporary key.
        hello[39..41].copy_from_slice(&[0x00, 0x03]);
        let mut ske = vec![0x0c, 0, 0, 69, 0x00, 0x40, 0xc0];
        ske.extend([0; 63]);
        ske.extend([0x00, 0x01, 0x03]);
        let wire = record(22, &[hello, ske, hex(SERVER_HELLO_DONE)].concat());
        let f = decode_server_flight(&wire, Until::ServerHelloDone).unwrap();
        assert_eq!(f.key_exchange, Some(KeyExchange::Rsa { modulus_bits: 512 }));
    }

    /// Every single-byte change and every truncation of a good flight decodes to something,
    /// never a panic (the fuzz target goes further).
    #[test]
    fn damaged_flights_never_panic() {
        let wire = record(22, &messages());
        for i in 0..wire.len() {
            for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut w = wire.clone();
                w[i] = v;
                let _ = decode_server_flight(&w, Until::ServerHelloDone);
            }
            let _ = decode_server_flight(&wire[..i], Until::ServerHelloDone);
        }
    }
}
