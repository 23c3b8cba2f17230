//! A page body as a server sent it, with an arbitrary Content-Type.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: (&[u8], Option<&str>)| {
    let (body, content_type) = data;
    let _ = netcheck_core::web::html::page_facts(body, content_type);
});
