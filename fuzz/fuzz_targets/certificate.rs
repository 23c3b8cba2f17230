//! Certificate bytes as a server sent them in its chain.
#![no_main]
libfuzzer_sys::fuzz_target!(|der: &[u8]| {
    if let Ok(info) = netcheck_core::tls::certificate::CertificateInfo::parse(der, 1_800_000_000) {
        let _ = info.common_name();
    }
});
