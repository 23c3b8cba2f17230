//! A server's first flight as the TLS hello codec reads it: records, handshake messages split
//! or packed any way, alerts. Besides never panicking, the answer must not depend on how the
//! bytes were chunked by the network.
#![no_main]
use netcheck_probe::tls::{FlightDecoder, Until, decode_server_flight};
libfuzzer_sys::fuzz_target!(|data: (u8, bool, &[u8])| {
    let (chunk, hello_only, bytes) = data;
    let until = if hello_only { Until::ServerHello } else { Until::ServerHelloDone };
    let whole = decode_server_flight(bytes, until);
    let mut decoder = FlightDecoder::new(until);
    let mut fed = Ok(false);
    for piece in bytes.chunks(usize::from(chunk).max(1)) {
        fed = decoder.feed(piece);
        if !matches!(fed, Ok(false)) {
            break;
        }
    }
    let chunked = fed.and_then(|_| decoder.finish());
    match (&whole, &chunked) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(std::mem::discriminant(a), std::mem::discriminant(b)),
        _ => panic!("whole {whole:?} but chunked {chunked:?}"),
    }
});
