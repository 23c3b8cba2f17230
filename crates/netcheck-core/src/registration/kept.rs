//! How much of a raw answer a report keeps. The fields are read from the whole answer (as much
//! as was read: 1 MiB of WHOIS text, 1 MiB of RDAP JSON); the report, which is stored, streamed
//! and e-mailed, keeps the first 64 KiB of each raw text, once, and says when it kept less.

/// Bytes of one raw answer (a WHOIS server's text, an RDAP server's JSON) a report keeps.
/// Registries' answers are a few kilobytes; only a flood or a hostile server reaches this.
pub const KEPT_BYTES: usize = 64 * 1024;

/// Cuts `text` to at most [`KEPT_BYTES`], at a character boundary; true if anything was cut.
pub fn cut(text: &mut String) -> bool {
    if text.len() <= KEPT_BYTES {
        return false;
    }
    let end = (0..=KEPT_BYTES)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text.truncate(end);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_at_a_character_boundary_and_a_short_one_is_left() {
        let mut short = "abc".to_owned();
        assert!(!cut(&mut short));
        assert_eq!(short, "abc");
        // "é" is two bytes: KEPT_BYTES - 1 ASCII bytes then é straddles the bound.
        let mut long = format!("{}é{}", "a".repeat(KEPT_BYTES - 1), "b".repeat(10));
        assert!(cut(&mut long));
        assert_eq!(long.len(), KEPT_BYTES - 1);
        assert!(long.chars().all(|c| c == 'a'));
    }
}
