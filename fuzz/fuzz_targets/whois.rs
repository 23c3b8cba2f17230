//! A WHOIS answer as a server sent it: referral and field extraction, date normalisation.
#![no_main]
use netcheck_core::whois::{decode, parse};
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let text = decode("whois.example", bytes, bytes.len() % 2 == 0);
    let _ = parse::referral(&text);
    let _ = parse::fields(&text);
    for line in text.lines().take(64) {
        let _ = parse::normalise_date(line);
    }
});
