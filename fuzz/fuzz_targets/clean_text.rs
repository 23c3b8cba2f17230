//! A remote peer's string on its way to a terminal or a mail (netcheck-text's `clean_str`): any
//! text comes out with no control character or bidirectional override left in it, and cleaning
//! it again changes nothing (the escapes it writes are printable ASCII).
#![no_main]
libfuzzer_sys::fuzz_target!(|input: &str| {
    let clean = netcheck_text::clean_str(input);
    assert!(
        !clean.chars().any(|c| c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
        "{input:?} -> {clean:?}"
    );
    assert_eq!(netcheck_text::clean_str(&clean), clean);
});
