//! The first layer of reading WHOIS text: lines into `key: value` pairs, each with the header
//! it stands under and its paragraph, whatever the registry's shape — `Key: value` with or
//! without dot leaders, a bare `Key:` or `[Key]` or a short colon-less line as a header over
//! the lines below it, indented or colon-less lines continuing the key above, JPRS's
//! `[Key]  value`, comments that title an object. What the pairs mean is for `objects.rs` and
//! `fields.rs`.

use super::keys::is_domain_key;

/// One `key: value` of an answer, with where it stood.
#[derive(Debug)]
pub(super) struct Pair {
    /// Lower case, without brackets, dot leaders or trailing colons.
    pub(super) key: String,
    pub(super) value: String,
    /// The header it stands under (`Registrant:`, `[Holder]`, `Tech`), normalised like a key;
    /// headers last until a blank line.
    pub(super) section: Option<String>,
    /// Its paragraph: RPSL-style answers (AFNIC, CZ.NIC, ISNIC) keep one object to a paragraph.
    pub(super) paragraph: usize,
    /// A line of a header's block (`Registrar:` then the name on the next line).
    pub(super) block_item: bool,
}

/// The pairs of a WHOIS text. The shapes read: `Key: value` (with dot leaders too), a bare
/// `Key:` or `[Key]` or a short colon-less line as a header over the lines below it, indented
/// or colon-less lines continuing the key above, JPRS's `[Key]  value`.
pub(super) fn pairs(text: &str) -> Vec<Pair> {
    let all: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut lines: Vec<String> = Vec::with_capacity(all.len());
    // Read backwards so that each comment knows the line after the comments below it.
    let mut next_is_text = false;
    for line in all.iter().rev() {
        let trimmed = line.trim();
        if !is_comment(trimmed) {
            next_is_text = !trimmed.is_empty();
            lines.push((*line).to_owned());
            continue;
        }
        // Hostmaster.ua titles its objects in comments: "% Registrar:" over "% =====".
        let title = trimmed[1..].trim();
        if let Some(title) = title.strip_suffix(':')
            && !title.is_empty()
            && title.len() <= 30
            && next_is_text
        {
            lines.push(format!("[{title}]"));
        }
    }
    lines.reverse();
    let mut out = Vec::new();
    let mut paragraph = 0;
    let mut section: Option<String> = None;
    // Lines read under the current header; a header followed by a blank line (Traficom's
    // "Holder", blank, fields) still governs the next paragraph.
    let mut under_section = 0;
    // The header whose block is open: colon-less lines are its values until a pair comes.
    let mut block: Option<String> = None;
    // The last pair's key: indented colon-less lines continue it (NASK's name servers).
    let mut last_key: Option<String> = None;
    let mut at_start = true;
    for (i, line) in lines.iter().enumerate() {
        let line = line.as_str();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if !at_start {
                paragraph += 1;
            }
            if under_section > 0 {
                section = None;
            }
            block = None;
            last_key = None;
            at_start = true;
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        let first = std::mem::replace(&mut at_start, false);
        let mut push = |key: &str, value: &str, block_item: bool| {
            out.push(Pair {
                key: key.to_owned(),
                value: value.trim().to_owned(),
                section: section.clone(),
                paragraph,
                block_item,
            });
        };
        // nic.lv: "[Holder]" alone on its line.
        if let Some(h) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
            && !h.contains([']', '['])
            && !h.trim().is_empty()
            && h.len() <= MAX_KEY
        {
            section = Some(normalise_key(h));
            under_section = 0;
            block = None;
            continue;
        }
        under_section += 1;
        if let Some((key, value)) = bracketed(trimmed) {
            push(&key, value, false);
            last_key = Some(key);
            block = None;
            continue;
        }
        match split_key(trimmed) {
            Some((key, "")) => {
                let next = lines.get(i + 1).map_or("", String::as_str);
                // A header over lines of its own ("Registrant:" then "name: …", SIDN's
                // "Registrar:" then the name indented), not an empty field before a blank line
                // or before the domain's next field (SIDN's "Abuse Contact:").
                let next_pair = split_key(next.trim());
                let has_block = !next.trim().is_empty()
                    && (next.starts_with([' ', '\t']) && !indented
                        || next_pair.is_none()
                        || first && next_pair.is_some_and(|(k, _)| !is_domain_key(&k)));
                if has_block {
                    section = Some(key.clone());
                    under_section = 0;
                    block = Some(key);
                }
                last_key = None;
            }
            Some((key, value)) => {
                push(&key, value, false);
                last_key = Some(key);
                block = None;
            }
            None => {
                if let Some(key) = &block {
                    push(key, trimmed, true);
                    // CIDR (.gg): "Registered on 30th April 2003 at 00:04:00.000".
                    if let Some((what, when)) = trimmed.split_once(" on ")
                        && !what.contains(' ')
                    {
                        push(&format!("{} on", normalise_key(what)), when, false);
                    }
                } else if let (Some(key), true) = (&last_key, indented) {
                    push(key, trimmed, false);
                } else if !indented && trimmed.chars().count() <= 40 {
                    // Traficom, KazNIC, Norid: "Holder", "Administrative Contact/Agent".
                    section = Some(normalise_key(trimmed));
                    under_section = 0;
                    last_key = None;
                }
            }
        }
    }
    out
}

/// A key or header longer than this is text, not a name: each pair carries its header, so an
/// unbounded one would be copied into every pair after it.
const MAX_KEY: usize = 48;

fn is_comment(line: &str) -> bool {
    line.starts_with('%') || line.starts_with('#') || line.starts_with(">>>")
}

/// `Key: value` with a key of words (no digits: "at 00:04" is a time, not a key) and a value
/// that is not the rest of a URL.
fn split_key(line: &str) -> Option<(String, &str)> {
    let (key, value) = line.split_once(':')?;
    let usable = !key.trim().is_empty()
        && key.len() <= MAX_KEY
        && !key.chars().any(|c| c.is_ascii_digit())
        && !value.starts_with("//");
    usable.then(|| (normalise_key(key), value.trim()))
}

/// JPRS: "[Created on]   2005/05/30", "a. [Domain Name]   X", "[登録年月日]   2010/09/22".
fn bracketed(line: &str) -> Option<(String, &str)> {
    let open = line.find('[')?;
    if open >= 4 {
        return None;
    }
    let (key, value) = line[open + 1..].split_once(']')?;
    (!key.trim().is_empty() && key.len() <= MAX_KEY).then(|| (normalise_key(key), value.trim()))
}

fn normalise_key(key: &str) -> String {
    key.trim()
        .trim_end_matches(':')
        .trim_end_matches('.')
        .trim()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
