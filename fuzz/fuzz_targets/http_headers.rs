//! Security headers and cookies as a server sent them.
#![no_main]
use netcheck_core::web::security::{Cookie, Hsts};
libfuzzer_sys::fuzz_target!(|value: &str| {
    let _ = Hsts::parse(value);
    let _ = Cookie::parse(value);
});
