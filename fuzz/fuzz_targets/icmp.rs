//! ICMP messages as the network delivers them to a raw socket: echo replies and errors quoting
//! our requests, IPv4 (with its IP header) and IPv6.
#![no_main]
use netcheck_probe::icmp;
libfuzzer_sys::fuzz_target!(|data: (bool, &[u8])| {
    let (v6, bytes) = data;
    let bytes = if v6 { Some(bytes) } else { icmp::strip_ipv4_header(bytes) };
    if let Some(b) = bytes {
        let _ = icmp::echo_reply(v6, b);
        let _ = icmp::quoted_echo(v6, b);
    }
});
