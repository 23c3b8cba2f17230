//! The address a caller of the server's share names (netcheck-mail's `recipient`): any text is
//! one bare address or a reason, never a panic, and an address taken is one, written back
//! without a name, a list or white space.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: &str| {
    let Ok(mailbox) = netcheck_mail::recipient(input) else {
        return;
    };
    let written = mailbox.to_string();
    assert!(mailbox.name.is_none(), "{input:?}");
    assert!(
        !written.contains([',', ';', '<', '>']) && !written.chars().any(char::is_whitespace),
        "{input:?} -> {written:?}"
    );
    assert_eq!(
        netcheck_mail::recipient(&written).map(|m| m.to_string()),
        Ok(written)
    );
});
