//! Registration dates as registries write them, read into RFC 3339 UTC. WHOIS servers write
//! dates in every form there is; RDAP (RFC 9083 §4.5) writes RFC 3339, which is read first.
//! Untrusted input: it never panics, and the WHOIS fuzz target feeds it every line of an
//! answer (fuzz/fuzz_targets/whois.rs).

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A piece of a date as written: a run of digits, of letters, or one other character.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Number(u32, usize),
    Word(&'a str),
    Mark(char),
}

fn tokens(value: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        let run = |f: fn(char) -> bool| rest.find(|c: char| !f(c)).unwrap_or(rest.len());
        let len = if c.is_ascii_digit() {
            let n = run(|c| c.is_ascii_digit());
            // Nine digits or more is no part of a date; saturate rather than overflow.
            out.push(Token::Number(rest[..n].parse().unwrap_or(u32::MAX), n));
            n
        } else if c.is_alphabetic() {
            let n = run(char::is_alphabetic);
            out.push(Token::Word(&rest[..n]));
            n
        } else {
            if !c.is_whitespace() {
                out.push(Token::Mark(c));
            }
            c.len_utf8()
        };
        rest = &rest[len..];
    }
    out
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// 1 to 12 for "Jun", "June", "Sept", "SEPTEMBER"; `None` for other words.
fn month(word: &str) -> Option<u32> {
    let lower = word.to_lowercase();
    let index = MONTHS
        .iter()
        .position(|m| lower.len() >= 3 && m.starts_with(lower.as_str()))?;
    Some(index as u32 + 1)
}

/// Offsets of the zone names registries print. CST is China's: CNNIC is the one that writes
/// it, and its dates are marked so by the caller.
fn zone(word: &str) -> Option<i32> {
    Some(match word.to_ascii_uppercase().as_str() {
        "Z" | "UTC" | "GMT" | "UT" => 0,
        "CET" => 60,
        "CEST" | "EET" => 120,
        "EEST" | "MSK" => 180,
        "CST" => 480,
        "JST" | "KST" => 540,
        "AEST" => 600,
        "AEDT" => 660,
        "BRT" | "CLST" => -180,
        "CLT" | "EDT" => -240,
        "EST" => -300,
        "PDT" => -420,
        "PST" => -480,
        _ => return None,
    })
}

/// A registration date in any of the registries' forms (WHOIS's many, RDAP's RFC 3339), as
/// RFC 3339 UTC; `None` when unreadable.
///
/// Written here rather than taken from a crate: the date-guessing crates (dateparser,
/// chrono's formats) know the common forms but not the registries' — "2007. 03. 02." (KISA),
/// "19990221 #36387" (registro.br), "30th April 2003 at 00:04:00.000" (CIDR), "2.6.2020"
/// (Traficom), "2002-12-04 00:00:00+02" (Hostmaster.ua), "(GMT+0:00)" (KazNIC). The text is
/// read as numbers, words and marks: a time is `h:m[:s[.f]]`, an offset follows it, a word is
/// a month or a zone, and the other numbers are the date, year first or last.
pub fn normalise_date(value: &str) -> Option<String> {
    let value = value.trim();
    if value.len() > 64 {
        return None;
    }
    // registro.br: "19990221 #36387" (the number after # is a ticket).
    let value = value.split(" #").next().unwrap_or(value);
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return format(t);
    }
    let tokens = tokens(value);
    let mut numbers: Vec<(u32, usize)> = Vec::new();
    let mut month_word = None;
    let mut time: Option<(u32, u32, u32)> = None;
    let mut offset_minutes: Option<i32> = None;
    // An offset written as a number wins over a zone's name ("GMT+0:00").
    let mut signed = false;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            Token::Number(h, _)
                if time.is_none() && tokens.get(i + 1) == Some(&Token::Mark(':')) =>
            {
                let Some(Token::Number(m, _)) = tokens.get(i + 2) else {
                    return None;
                };
                let mut s = 0;
                i += 3;
                if tokens.get(i) == Some(&Token::Mark(':'))
                    && let Some(Token::Number(sec, _)) = tokens.get(i + 1)
                {
                    s = *sec;
                    i += 2;
                }
                // Fractions of a second are dropped.
                if tokens.get(i) == Some(&Token::Mark('.'))
                    && matches!(tokens.get(i + 1), Some(Token::Number(..)))
                {
                    i += 2;
                }
                time = Some((h, *m, s));
                continue;
            }
            Token::Mark(sign @ ('+' | '-')) if time.is_some() && !signed => {
                signed = true;
                // "+03:00", "-0700", "+02", "GMT+0:00".
                let Some(Token::Number(n, digits)) = tokens.get(i + 1) else {
                    return None;
                };
                let (hours, mut minutes) = if *digits == 4 {
                    (n / 100, n % 100)
                } else {
                    (*n, 0)
                };
                i += 2;
                if tokens.get(i) == Some(&Token::Mark(':'))
                    && let Some(Token::Number(m, _)) = tokens.get(i + 1)
                {
                    minutes = *m;
                    i += 2;
                }
                if hours > 14 || minutes > 59 {
                    return None;
                }
                let total = (hours * 60 + minutes) as i32;
                offset_minutes = Some(if sign == '-' { -total } else { total });
                continue;
            }
            Token::Number(n, digits) => numbers.push((n, digits)),
            Token::Word(w) => {
                if let Some(m) = month(w) {
                    month_word = Some(m);
                } else if let Some(z) = zone(w)
                    && offset_minutes.is_none()
                {
                    offset_minutes = Some(z);
                }
            }
            Token::Mark(_) => {}
        }
        i += 1;
    }
    let (year, month, day) = match (month_word, numbers.as_slice()) {
        (None, [(n, 8)]) => (n / 10000, n / 100 % 100, n % 100),
        (Some(month), [(a, _), (b, _)]) => {
            let (year, day) = if *a > 31 { (*a, *b) } else { (*b, *a) };
            (year, month, day)
        }
        (None, [(y, 4), (m, _), (d, _)]) => (*y, *m, *d),
        (None, [(d, _), (m, _), (y, 4)]) if *m <= 12 => (*y, *m, *d),
        // 06/13/2008: month first when the middle number cannot be a month.
        (None, [(m, _), (d, _), (y, 4)]) => (*y, *m, *d),
        _ => return None,
    };
    // No domain was registered before 1985; "0001-01-01" is a registry's empty value.
    if !(1985..=9999).contains(&year) {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let (h, m, s) = time.unwrap_or((0, 0, 0));
    let clock = time::Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    let offset = UtcOffset::from_whole_seconds(offset_minutes.unwrap_or(0) * 60).ok()?;
    format(PrimitiveDateTime::new(date, clock).assume_offset(offset))
}

fn format(t: OffsetDateTime) -> Option<String> {
    // `to_offset` panics past year 9999; a hostile date must not.
    let utc = t.checked_to_offset(UtcOffset::UTC)?;
    if utc.year() < 1985 {
        return None;
    }
    utc.format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_date_forms() {
        for (written, utc) in [
            ("2019-09-09T08:39:04-0700", "2019-09-09T15:39:04Z"),
            ("2002-12-04 00:00:00+02", "2002-12-03T22:00:00Z"),
            ("2010-07-04 04:34:46 +03:00", "2010-07-04T01:34:46Z"),
            ("1999-06-07 13:01:43 (GMT+0:00)", "1999-06-07T13:01:43Z"),
            ("2002-10-22 17:48:23 CLST", "2002-10-22T20:48:23Z"),
            ("2019-11-01 12:21:37.677445", "2019-11-01T12:21:37Z"),
            ("30.6.2006 00:00:00", "2006-06-30T00:00:00Z"),
            ("2002.09.19 13:00:00", "2002-09-19T13:00:00Z"),
            ("Tue Dec 12 2000", "2000-12-12T00:00:00Z"),
            ("January 18 2000", "2000-01-18T00:00:00Z"),
            ("21-March-2002", "2002-03-21T00:00:00Z"),
            ("30th April 2003 at 00:04:00.000", "2003-04-30T00:04:00Z"),
            ("06/13/2008", "2008-06-13T00:00:00Z"),
            ("2007. 03. 02.", "2007-03-02T00:00:00Z"),
            ("19990221 #36387", "1999-02-21T00:00:00Z"),
        ] {
            assert_eq!(normalise_date(written).as_deref(), Some(utc), "{written}");
        }
    }

    #[test]
    fn impossible_or_placeholder_dates_are_none_not_panics() {
        for written in [
            "0001-01-01T00:00:00Z",
            "1970-01-01",
            "2021-02-30",
            "2021-13-45",
            "25:61:00 2021-01-01",
            "2021-01-01 10:00:00 +99:00",
            "99999999999999999999-01-01",
            "2021-01-01 10:",
            "日本 2021 年",
            "Marchéé 1 2020 ñ",
            "1 2 3 4 5 6 7",
            ":::::+-+-",
        ] {
            assert_eq!(normalise_date(written), None, "{written}");
        }
    }
}
