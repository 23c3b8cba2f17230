//! RDAP JSON and bootstrap files as a server sent them.
#![no_main]
use netcheck_core::rdap;
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(b) = rdap::Bootstrap::parse(bytes) {
        let _ = b.base_for("www.example.co.uk");
        let _ = b.base_for_ip("192.0.2.1".parse().unwrap());
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let _ = rdap::fields(&v);
    }
});
