//! The TLS hello codec against real bytes: a captured flight, loopback peers that misbehave on
//! purpose, and OpenSSL's `s_server` configured the ways rustls refuses.

mod fixture;
mod openssl;
mod peers;

use std::path::PathBuf;

/// Hex as the fixtures hold it, whitespace ignored.
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// A fixture of tests/fixtures/tls (see its README for where each came from).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name);
    hex(&std::fs::read_to_string(&path).expect("fixture"))
}
