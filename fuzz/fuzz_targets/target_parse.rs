//! What a person types: any string must give a target or a clear error, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: &str| {
    let _ = netcheck_core::Target::parse(input);
});
