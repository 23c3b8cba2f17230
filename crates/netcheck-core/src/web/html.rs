//! What a page says about itself: its title and meta description, decoded in the charset the
//! server declared (Content-Type), or the page declared (`<meta charset>`), or UTF-8.
//!
//! Parsing is html5ever's (through scraper). The charset prescan is written here because no
//! crate offers the WHATWG "prescan a byte stream" step alone; it is simplified to the two meta
//! forms that occur in practice (HTML §13.2.3.2).

use encoding_rs::Encoding;
use scraper::{Html, Selector};
use serde::{Deserialize, Serialize};

/// Bytes examined for a `<meta charset>` declaration (HTML §13.2.3.2: the first 1024).
const PRESCAN_BYTES: usize = 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PageFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The encoding the body was decoded with.
    pub charset: String,
}

pub fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_none_or(|ct| {
        let ct = ct.to_ascii_lowercase();
        ct.starts_with("text/html") || ct.starts_with("application/xhtml")
    })
}

pub fn charset_of_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        (key.trim().eq_ignore_ascii_case("charset"))
            .then(|| Encoding::for_label(value.trim().trim_matches('"').as_bytes()))?
    })
}

fn prescan_meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(PRESCAN_BYTES)];
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"charset=") {
        let start = from + pos + b"charset=".len();
        let value: Vec<u8> = lower[start..]
            .iter()
            .copied()
            .skip_while(|b| *b == b'"' || *b == b'\'')
            .take_while(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(b))
            .collect();
        if let Some(enc) = Encoding::for_label(&value) {
            return Some(enc);
        }
        from = start;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads title and description from (possibly truncated) HTML.
pub fn page_facts(body: &[u8], content_type: Option<&str>) -> PageFacts {
    let encoding = content_type
        .and_then(charset_of_content_type)
        .or_else(|| Encoding::for_bom(body).map(|(e, _)| e))
        .or_else(|| prescan_meta_charset(body))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(body);
    let doc = Html::parse_document(&text);
    PageFacts {
        title: first_text(&doc, "title"),
        description: meta_content(&doc, "description")
            .or_else(|| meta_property(&doc, "og:description")),
        charset: encoding.name().to_owned(),
    }
}

fn selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

fn clean(s: &str) -> Option<String> {
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
}

fn first_text(doc: &Html, css: &str) -> Option<String> {
    let sel = selector(css)?;
    doc.select(&sel)
        .next()
        .and_then(|e| clean(&e.text().collect::<String>()))
}

fn meta_content(doc: &Html, name: &str) -> Option<String> {
    let sel = selector("meta[name]")?;
    doc.select(&sel)
        .find(|e| {
            e.value()
                .attr("name")
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|e| e.value().attr("content"))
        .and_then(clean)
}

fn meta_property(doc: &Html, property: &str) -> Option<String> {
    let sel = selector("meta[property]")?;
    doc.select(&sel)
        .find(|e| {
            e.value()
                .attr("property")
                .is_some_and(|n| n.eq_ignore_ascii_case(property))
        })
        .and_then(|e| e.value().attr("content"))
        .and_then(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_and_description_are_read_and_tidied() {
        let html = b"<html><head><title>\n  Example   Domain </title>\
            <meta name=\"Description\" content=\"An example.\"></head><body>x</body></html>";
        let facts = page_facts(html, Some("text/html"));
        assert_eq!(facts.title.as_deref(), Some("Example Domain"));
        assert_eq!(facts.description.as_deref(), Some("An example."));
        assert_eq!(facts.charset, "UTF-8");
    }

    #[test]
    fn the_header_charset_wins_then_the_meta_charset() {
        // "Café" in ISO-8859-1 (windows-1252 per WHATWG).
        let latin1 = b"<title>Caf\xe9</title>";
        assert_eq!(
            page_facts(latin1, Some("text/html; charset=ISO-8859-1"))
                .title
                .as_deref(),
            Some("Café")
        );
        let declared = b"<meta charset=\"windows-1252\"><title>Caf\xe9</title>";
        let facts = page_facts(declared, Some("text/html"));
        assert_eq!(
            (facts.title.as_deref(), facts.charset.as_str()),
            (Some("Café"), "windows-1252")
        );
        let http_equiv = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\"><title>\xc7\xd1\xb1\xb9</title>";
        assert_eq!(page_facts(http_equiv, None).title.as_deref(), Some("한국"));
    }

    #[test]
    fn og_description_stands_in_and_missing_parts_are_none() {
        let html = b"<meta property=\"og:description\" content=\"From OG\">";
        let facts = page_facts(html, None);
        assert_eq!(facts.title, None);
        assert_eq!(facts.description.as_deref(), Some("From OG"));
        assert_eq!(
            page_facts(b"", None),
            PageFacts {
                charset: "UTF-8".into(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn truncated_html_still_yields_a_title() {
        let html = b"<html><head><title>Cut</title><meta name=description content=\"half";
        assert_eq!(page_facts(html, None).title.as_deref(), Some("Cut"));
    }
}
