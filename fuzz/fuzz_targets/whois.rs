//! A WHOIS answer as a server sent it: directory or record, the query's record among several,
//! referral and field extraction, date normalisation.
#![no_main]
use netcheck_core::registration::dates::normalise_date;
use netcheck_core::whois::{decode, parse};
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let text = decode("whois.example", bytes, bytes.len() % 2 == 0);
    let _ = parse::referral(&text);
    let _ = parse::fields(&text);
    // The query as a name the answer itself gives (the last word of its first line), so the
    // record picker meets names that match; then a name and an address that match nothing.
    let own = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_default();
    for query in [own, "example.com", "8.8.8.8"] {
        let _ = parse::onwards(&text, query);
        let _ = parse::fields_for(&text, query);
    }
    for line in text.lines().take(64) {
        let _ = normalise_date(line);
    }
});
