//! A first flight OpenSSL really sent, decoded from its bytes.

use netcheck_probe::tls::{
    FlightDecoder, FlightEnd, KeyExchange, ProtocolVersion, Until, decode_server_flight,
};

use super::fixture;

const FLIGHT: &str = "openssl-3.0-tls12-ecdhe-ecdsa.flight.hex";
const CERT: &str = "openssl-3.0-tls12-ecdhe-ecdsa.cert.hex";

#[test]
fn a_captured_openssl_flight_yields_its_certificate_suite_and_curve() {
    let f = decode_server_flight(&fixture(FLIGHT), Until::ServerHelloDone).unwrap();
    assert_eq!(f.version, ProtocolVersion::TLS_1_2);
    assert_eq!(f.suite, 0xc02b);
    assert_eq!(
        f.suite_name,
        Some("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
    );
    assert_eq!(f.certificates, [fixture(CERT)]);
    assert_eq!(
        f.key_exchange,
        Some(KeyExchange::Ecdh {
            group: 29,
            group_name: Some("x25519")
        })
    );
    assert!(f.extensions.renegotiation_info);
    assert!(f.extensions.extended_master_secret);
    assert_eq!(f.end, FlightEnd::ServerHelloDone);
}

#[test]
fn the_captured_flight_reads_the_same_in_any_chunking() {
    let wire = fixture(FLIGHT);
    let whole = decode_server_flight(&wire, Until::ServerHelloDone).unwrap();
    for size in 1..=40 {
        let mut decoder = FlightDecoder::new(Until::ServerHelloDone);
        for chunk in wire.chunks(size) {
            if decoder.feed(chunk).unwrap() {
                break;
            }
        }
        assert_eq!(decoder.finish().unwrap(), whole, "chunks of {size}");
    }
}

/// The fuzz target's property on damaged copies of the captured flight: each decodes to the
/// same answer whole and chunked, and none panics.
#[test]
fn damaged_copies_of_the_captured_flight_read_the_same_whole_and_chunked() {
    let wire = fixture(FLIGHT);
    // A small xorshift generator: reproducible damage without a dependency.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let mut w = wire.clone();
        for _ in 0..=(next() % 4) {
            let at = (next() as usize) % w.len();
            match next() % 3 {
                0 => w[at] = next() as u8,
                1 => w.truncate(at),
                _ => w.insert(at, next() as u8),
            }
            if w.is_empty() {
                break;
            }
        }
        let whole = decode_server_flight(&w, Until::ServerHelloDone);
        let size = 1 + (next() as usize) % 64;
        let mut decoder = FlightDecoder::new(Until::ServerHelloDone);
        let mut fed = Ok(false);
        for piece in w.chunks(size) {
            fed = decoder.feed(piece);
            if !matches!(fed, Ok(false)) {
                break;
            }
        }
        let chunked = fed.and_then(|_| decoder.finish());
        match (&whole, &chunked) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(a), Err(b)) => assert_eq!(
                std::mem::discriminant(a),
                std::mem::discriminant(b),
                "{a:?} / {b:?}"
            ),
            _ => panic!("whole {whole:?} but chunks of {size} {chunked:?}"),
        }
    }
}
