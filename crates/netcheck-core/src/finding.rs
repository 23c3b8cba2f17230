//! Findings and their codes. A finding is a judgement about a check's facts ("HSTS is missing",
//! "the certificate expired 3 days ago"); its code is declared once, beside the check that
//! raises it, with the worst severity it is raised with and the stage of the way to the site it
//! speaks of (as ripgrep's flags carry their category). The diagnosis reads the stage from
//! there, and docs/checks.md lists every code from there.
//!
//! A [`Finding`] can only be made from a declared [`Code`], and [`finding_codes!`](crate::finding_codes) declares a code
//! and lists it in the check's `CODES` in one step, so a check cannot raise a code that its
//! metadata does not name. Severities are checked when findings are made (in debug builds, so
//! every test that raises one checks it).

use crate::diagnosis::Stage;
use crate::report::{Finding, Severity};

/// A finding code as its check declares it (with [`finding_codes!`](crate::finding_codes)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The code in the report, e.g. `dns_nxdomain`.
    pub name: &'static str,
    /// The worst severity it is raised with. Some are raised lower in a lesser case: a ping
    /// without reply is a warning when another address answers, and every TLS finding about an
    /// http:// target's https origin is at most a warning.
    pub severity: Severity,
    /// The stage of the way to the site it speaks of, when it bears on reaching the site (a
    /// missing security header does not). The diagnosis reads the problems from these.
    pub stage: Option<Stage>,
    /// One line for docs/checks.md: what it means.
    pub meaning: &'static str,
}

/// Findings worst first, in the order raised within a severity: the order of the report.
pub fn worst_first(findings: &mut [Finding]) {
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
}

/// Declares a check's finding codes: each a `pub static` [`Code`] (its doc comment is its
/// meaning in docs/checks.md), and `CODES`, the list of them all that the check's
/// [`CheckMeta`](crate::check::CheckMeta) carries.
///
/// ```
/// netcheck_core::finding_codes! {
///     /// The name does not exist.
///     DNS_NXDOMAIN = "dns_nxdomain", Failure, Name;
///     /// No CAA record: any certificate authority may issue.
///     CAA_MISSING = "caa_missing", Info;
/// }
/// assert_eq!(CODES.len(), 2);
/// assert_eq!(DNS_NXDOMAIN.stage, Some(netcheck_core::diagnosis::Stage::Name));
/// ```
#[macro_export]
macro_rules! finding_codes {
    (@stage) => { None };
    (@stage $stage:ident) => { Some($crate::diagnosis::Stage::$stage) };
    ($($(#[doc = $doc:literal])+ $name:ident = $code:literal, $severity:ident $(, $stage:ident)?;)+) => {
        $(
            $(#[doc = $doc])+
            pub static $name: $crate::finding::Code = $crate::finding::Code {
                name: $code,
                severity: $crate::report::Severity::$severity,
                stage: $crate::finding_codes!(@stage $($stage)?),
                meaning: concat!($($doc),+),
            };
        )+
        /// Every finding code this check raises, as declared above.
        pub static CODES: &[&$crate::finding::Code] = &[$(&$name),+];
    };
}
