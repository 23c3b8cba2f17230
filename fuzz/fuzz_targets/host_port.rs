//! `HOST[:PORT]` as a person types it or a WHOIS referral names it: any text gives a host and
//! port or a typed error, never a panic; and what is read, written back, reads the same.
#![no_main]
use netcheck_core::dial::HostPort;
libfuzzer_sys::fuzz_target!(|input: &str| {
    let Ok(read) = HostPort::parse(input, 43) else {
        return;
    };
    let written = read.to_string();
    // The port is written, so the default no longer matters.
    assert_eq!(HostPort::parse(&written, 7).as_ref(), Ok(&read), "{input:?} -> {written}");
});
