//! A DNS answer as a server sent it: decoded by hickory-proto, turned into report records.
#![no_main]
use netcheck_core::dns::records::Record;
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(msg) = hickory_proto::op::Message::from_vec(bytes) {
        for r in msg.all_sections() {
            let _ = Record::from_wire(r).value_text();
        }
    }
});
