//! Remote strings made safe to print. A report is full of text that peers chose: page titles,
//! certificate subjects, WHOIS answers, error messages quoting a server. Printed raw to a
//! terminal, an escape sequence among them could retitle the window, rewrite what was printed
//! before, or worse; in a mail it could hide lines. JSON output needs none of this (serde_json
//! escapes control characters); every text face (the CLI's report and progress lines, the
//! mail body) prints through here.
//!
//! Each control character other than newline and tab becomes visible instead of acting: a C0
//! control is shown as its Unicode control picture (ESC as `␛`), DEL and the C1 controls
//! (which some terminals read as CSI) as U+FFFD. Bidirectional overrides (U+202A–U+202E,
//! U+2066–U+2069), which reorder what is shown (CVE-2021-42574), are shown as U+FFFD too.

use std::borrow::Cow;

use serde_json::Value;

use crate::report::Report;

fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character but newline and tab made visible.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\0'..='\u{1f}' if unsafe_char(c) => {
                    char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')
                }
                c if unsafe_char(c) => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}

/// One line of `s`: `text`, with newlines and tabs shown as spaces too.
pub fn line(s: &str) -> String {
    text(s).replace(['\n', '\t'], " ")
}

/// `report` with every string in it (every field, every check's data) made safe to print.
/// A report that cannot take the round trip through JSON (none can fail, but the fold of a
/// foreign region's events is not ours to trust) is given back as it was, each finding's text
/// and each error still cleaned.
pub fn report(report: &Report) -> Report {
    let cleaned = serde_json::to_value(report).ok().and_then(|mut v| {
        clean_value(&mut v);
        serde_json::from_value::<Report>(v).ok()
    });
    cleaned.unwrap_or_else(|| {
        let mut r = report.clone();
        for check in &mut r.checks {
            check.error = check.error.as_deref().map(|e| text(e).into_owned());
            for f in &mut check.findings {
                f.message = text(&f.message).into_owned();
            }
        }
        r
    })
}

fn clean_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Cow::Owned(clean) = text(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean_value),
        Value::Object(map) => map.values_mut().for_each(clean_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_newlines_stay() {
        assert_eq!(
            text("a\u{1b}]0;pwned\u{7}b\nc\td"),
            "a\u{241b}]0;pwned\u{2407}b\nc\td"
        );
        assert_eq!(text("\u{9b}31m\u{7f}"), "\u{fffd}31m\u{fffd}");
        assert_eq!(text("abc\u{202e}fed"), "abc\u{fffd}fed");
        assert!(matches!(text("plain, 한국"), Cow::Borrowed(_)));
        assert_eq!(line("two\nlines\r"), "two lines\u{240d}");
    }

    #[test]
    fn every_string_of_a_report_is_cleaned() {
        let target = crate::Target::parse("example.com").unwrap();
        let mut r = crate::ReportBuilder::new(target).report(&crate::checks::registry());
        r.target.input = "x\u{1b}[2Jy".into();
        let cleaned = report(&r);
        assert_eq!(cleaned.target.input, "x\u{241b}[2Jy");
        let json = serde_json::to_string(&cleaned).unwrap();
        assert!(!json.contains("\\u001b"), "{json}");
    }
}
