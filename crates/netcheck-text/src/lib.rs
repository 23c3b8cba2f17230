//! The text report: a [`Report`] as a person reads it top to bottom, in a terminal (coloured
//! where the terminal takes colour) or in a mail (plain). Used by the CLI's `check` and by every
//! mail netcheck sends, so both read the same.
//!
//! Much of a report is what remote peers said: page titles, headers, certificate names, WHOIS
//! fields, DNS TXT records. Before anything is drawn, every string of the report is made
//! harmless ([`clean`]): a terminal escape or a line break in a peer's answer is shown as an
//! escape, never obeyed. Measuring is the engine's; this crate only draws.

mod clean;
mod render;

use console::style;
use netcheck_core::{Report, Status};

pub use clean::{clean, clean_str, is_unsafe};

/// The report for a terminal: coloured when `console` says colour is on.
pub fn report(r: &Report) -> String {
    match clean(r) {
        Ok(r) => render::report(&r),
        Err(json) => json,
    }
}

/// The report without colour, for a mail or a file.
pub fn plain(r: &Report) -> String {
    console::strip_ansi_codes(&report(r)).into_owned()
}

/// A one-character status mark, coloured where colour is on.
pub fn mark(status: Status) -> String {
    match status {
        Status::Ok => style("✓").green().to_string(),
        Status::Warning => style("!").yellow().to_string(),
        Status::Failed => style("✗").red().to_string(),
        Status::TimedOut => style("⧗").red().to_string(),
        Status::Skipped => style("-").dim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_core::report::CheckReport;

    /// A report whose check's error and diagnosis carry what a hostile peer might send.
    fn hostile() -> Report {
        let target = netcheck_core::Target::parse("www.example.test").unwrap();
        let mut report =
            netcheck_core::ReportBuilder::new(target).report(&netcheck_core::checks::registry());
        report.diagnosis.summary = "fine\u{1b}]8;;https://evil.test\u{7}click\n✓ all good".into();
        report.checks.push(CheckReport {
            id: "site".into(),
            title: "Site".into(),
            status: Status::Failed,
            duration_ms: 1.0,
            error: Some("HTTP/1.1 200 \u{1b}[2J\u{1b}[H".into()),
            findings: Vec::new(),
            data: None,
        });
        report
    }

    #[test]
    fn a_peers_escapes_and_line_breaks_are_shown_as_escapes() {
        let text = plain(&hostile());
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("HTTP/1.1 200 \\u{1b}[2J\\u{1b}[H"), "{text}");
        assert!(
            text.contains("fine\\u{1b}]8;;https://evil.test\\u{7}click\\u{a}✓ all good"),
            "{text}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("✓ all good")),
            "no forged line: {text}"
        );
    }

    #[test]
    fn colour_is_ours_alone_and_plain_has_none() {
        console::set_colors_enabled(true);
        let coloured = report(&hostile());
        assert!(coloured.contains("\u{1b}["), "our own colours: {coloured}");
        assert!(!coloured.contains("\u{1b}[2J"), "{coloured}");
        assert!(!plain(&hostile()).contains('\u{1b}'));
    }
}
