//! netcheck-probe's integration tests: one binary, a module per area, real peers on loopback.
// Test helpers outside #[test] functions may panic on their own setup failures; clippy's
// allow-unwrap-in-tests does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tls;
