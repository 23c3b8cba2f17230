//! Remote strings made harmless before they are drawn. A peer's answer may carry a terminal
//! escape (`ESC [ 2 J` clears the screen, OSC 8 forges a link, OSC 52 writes the clipboard), a
//! line break that forges a line of the report (`\n✓ example.com is reachable`), or a
//! bidirectional override that shows text in another order than it is (CVE-2021-42574). Each
//! such character is written as its escape, `\u{1b}`, so the reader sees that it was there.
//!
//! The whole report is cleaned at once, through its JSON form, so that a string added to the
//! report later is cleaned too without anyone remembering to.

use netcheck_core::Report;
use serde_json::Value;

/// Whether `c` must not reach a terminal or a mail as itself: C0 and C1 controls and DEL
/// (Unicode's Cc, line breaks included), and the bidirectional marks, embeddings, overrides
/// and isolates (Unicode UAX #9).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as its escape.
pub fn clean_str(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if is_unsafe(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

fn clean_value(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(clean) = clean_str(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean_value),
        Value::Object(fields) => {
            let taken = std::mem::take(fields);
            for (key, mut v) in taken {
                clean_value(&mut v);
                fields.insert(clean_str(&key).into_owned(), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `report` with every string in it cleaned. Should the report not survive the trip through
/// JSON, the error is its cleaned JSON, pretty-printed: still the facts, still harmless (JSON
/// escapes every control character itself).
pub fn clean(report: &Report) -> Result<Report, String> {
    let mut value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    clean_value(&mut value);
    serde_json::from_value(value.clone())
        .map_err(|_| serde_json::to_string_pretty(&value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_breaks_and_overrides_are_shown_not_obeyed() {
        assert_eq!(clean_str("plain Ünïcode ✓"), "plain Ünïcode ✓");
        assert_eq!(clean_str("\u{1b}[2Jgone"), "\\u{1b}[2Jgone");
        assert_eq!(clean_str("a\nb\r\tc"), "a\\u{a}b\\u{d}\\u{9}c");
        assert_eq!(clean_str("\u{9b}31m"), "\\u{9b}31m", "C1 CSI");
        assert_eq!(clean_str("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(clean_str("del\u{7f}"), "del\\u{7f}");
    }

    #[test]
    fn every_string_of_a_report_is_cleaned_keys_too() {
        let mut v = serde_json::json!({
            "a": ["ok", "\u{1b}]52;c;AAAA\u{7}"],
            "b": { "x-\u{1b}": "\u{1b}[31mred" },
            "n": 1
        });
        clean_value(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "a": ["ok", "\\u{1b}]52;c;AAAA\\u{7}"],
                "b": { "x-\\u{1b}": "\\u{1b}[31mred" },
                "n": 1
            })
        );
    }
}
