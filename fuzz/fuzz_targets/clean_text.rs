//! A remote peer's string on its way to a terminal or a mail (netcheck-text's `clean_str`): any
//! text comes out with no control character or bidirectional override left in it, and cleaning
//! it again changes nothing (the escapes it writes are printable ASCII).
#![no_main]
libfuzzer_sys::fuzz_target!(|input: &str| {
    let clean = netcheck_text::clean_str(input);
    assert!(
        !clean.chars().any(netcheck_text::is_unsafe),
        "{input:?} -> {clean:?}"
    );
    assert_eq!(netcheck_text::clean_str(&clean), clean);
});
