//! What a page says about itself: its title and meta description, decoded in the charset the
//! server declared (Content-Type), or the page declared (`<meta charset>`), or UTF-8.
//!
//! Reading is html5ever's tokenizer alone, streamed, with no tree: a DOM of a hostile page
//! (400,000 nested `<div>`) costs minutes of a worker, and title and description live in the
//! head, which the tokenizer reaches first. This module does the one thing the tree builder would
//! have told the tokenizer, which text state an element's content is read in. The charset
//! prescan is written here because no crate offers the WHATWG "prescan a byte stream" step
//! alone; it is simplified to the two meta forms that occur in practice (HTML §13.2.3.2).

use std::cell::{Cell, RefCell};

use encoding_rs::Encoding;
use html5ever::TokenizerResult;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use serde::{Deserialize, Serialize};

/// Bytes examined for a `<meta charset>` declaration (HTML §13.2.3.2: the first 1024).
const PRESCAN_BYTES: usize = 1024;

/// Decoded text (UTF-8 bytes) tokenized at most looking for the head's end: well past any real
/// head, however much inline script and style it carries before its title.
pub const HEAD_SCAN_BYTES: usize = 1024 * 1024;

/// Body bytes decoded and fed to the tokenizer at a time.
const CHUNK_BYTES: usize = 16 * 1024;

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

/// Reads title and description from (possibly truncated) HTML. Only the head is read: the
/// tokenizer stops once it has both, at the head's end, or after [`HEAD_SCAN_BYTES`] of text,
/// so a hostile body (deep nesting, megabytes of markup) costs no more than its first bytes.
/// Synchronous and CPU-bound: async callers use [`read_page`].
pub fn page_facts(body: &[u8], content_type: Option<&str>) -> PageFacts {
    let encoding = content_type
        .and_then(charset_of_content_type)
        .or_else(|| Encoding::for_bom(body).map(|(e, _)| e))
        .or_else(|| prescan_meta_charset(body))
        .unwrap_or(encoding_rs::UTF_8);
    let head = read_head(encoding, body);
    PageFacts {
        title: head.title.as_deref().and_then(clean),
        description: head.description.or(head.og_description),
        charset: encoding.name().to_owned(),
    }
}

/// [`page_facts`] on the blocking pool, off the async runtime's threads. `None` only if the
/// reading thread died.
pub async fn read_page(body: bytes::Bytes, content_type: Option<String>) -> Option<PageFacts> {
    tokio::task::spawn_blocking(move || page_facts(&body, content_type.as_deref()))
        .await
        .ok()
}

/// Decodes `body` a chunk at a time (BOM sniffing as `Encoding::decode`) and tokenizes until
/// the head is read.
fn read_head(encoding: &'static Encoding, body: &[u8]) -> Head {
    let mut decoder = encoding.new_decoder();
    let input = BufferQueue::default();
    let tokenizer = Tokenizer::new(HeadSink::default(), TokenizerOpts::default());
    let mut scanned = 0;
    let mut chunks = body.chunks(CHUNK_BYTES).peekable();
    let mut stopped = false;
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        let capacity = decoder
            .max_utf8_buffer_length(chunk.len())
            .unwrap_or(chunk.len().saturating_mul(3));
        let mut text = String::with_capacity(capacity);
        let _ = decoder.decode_to_string(chunk, &mut text, last);
        scanned += text.len();
        input.push_back(StrTendril::from(text));
        if let TokenizerResult::Script(()) = tokenizer.feed(&input) {
            stopped = true;
            break;
        }
        if scanned >= HEAD_SCAN_BYTES {
            break;
        }
    }
    if !stopped {
        // The tokenizer may not be paused while it ends (html5ever treats that as unreachable).
        tokenizer.sink.ending.set(true);
        tokenizer.end();
    }
    tokenizer.sink.head.take()
}

/// What the head said so far. The first `<title>` and the first description meta count, as a
/// DOM's first match would.
#[derive(Debug, Default)]
struct Head {
    title: Option<String>,
    in_title: bool,
    title_done: bool,
    description_seen: bool,
    description: Option<String>,
    og_description: Option<String>,
    ended: bool,
}

#[derive(Debug, Default)]
struct HeadSink {
    head: RefCell<Head>,
    ending: Cell<bool>,
}

/// Elements the tree builder keeps in the head ("in head" insertion mode, HTML §13.2.6.4.4);
/// any other start tag opens the body.
const HEAD_ELEMENTS: &[&str] = &[
    "html", "head", "base", "basefont", "bgsound", "link", "meta", "title", "noscript", "noframes",
    "style", "script", "template",
];

impl TokenSink for HeadSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut head = self.head.borrow_mut();
        let next = match token {
            Token::TagToken(tag) => head.tag(&tag),
            Token::CharacterTokens(text) if head.in_title => {
                if let Some(title) = head.title.as_mut() {
                    title.push_str(&text);
                }
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        };
        // Pausing the tokenizer (its "script" result) is how a sink says it has read enough.
        if !self.ending.get() && (head.ended || (head.title_done && head.description_seen)) {
            return TokenSinkResult::Script(());
        }
        next
    }
}

impl Head {
    /// Takes in one tag; says which text state the tokenizer enters after it, as the tree
    /// builder would tell it (HTML §13.2.6.4.4: title is RCDATA, style and noscript raw text,
    /// script its own).
    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if tag.kind == TagKind::EndTag {
            match name {
                "title" if self.in_title => {
                    self.in_title = false;
                    self.title_done = true;
                }
                "head" | "body" | "html" => self.ended = true,
                _ => {}
            }
            return TokenSinkResult::Continue;
        }
        match name {
            "title" => {
                if self.title.is_none() {
                    self.title = Some(String::new());
                    self.in_title = true;
                }
                TokenSinkResult::RawData(RawKind::Rcdata)
            }
            "meta" => {
                self.meta(tag);
                TokenSinkResult::Continue
            }
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "noscript" | "noframes" => TokenSinkResult::RawData(RawKind::Rawtext),
            _ if HEAD_ELEMENTS.contains(&name) => TokenSinkResult::Continue,
            _ => {
                self.ended = true;
                TokenSinkResult::Continue
            }
        }
    }

    fn meta(&mut self, tag: &Tag) {
        let attr = |key: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == key)
                .map(|a| &*a.value)
        };
        let content = || attr("content").and_then(clean);
        if !self.description_seen
            && attr("name").is_some_and(|n| n.eq_ignore_ascii_case("description"))
        {
            self.description_seen = true;
            self.description = content();
        }
        if self.og_description.is_none()
            && attr("property").is_some_and(|p| p.eq_ignore_ascii_case("og:description"))
        {
            self.og_description = content();
        }
    }
}

fn clean(s: &str) -> Option<String> {
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
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

    #[test]
    fn entities_are_decoded_and_markup_in_a_title_is_text() {
        let html = b"<title>Fish &amp; Chips &lt;b&gt; <b>bold</b>&#x2014;&eacute;</title>\
            <meta name=description content=\"caf&eacute; &quot;ok&quot;\">";
        let facts = page_facts(html, None);
        assert_eq!(
            facts.title.as_deref(),
            Some("Fish & Chips <b> <b>bold</b>\u{2014}\u{e9}")
        );
        assert_eq!(facts.description.as_deref(), Some("caf\u{e9} \"ok\""));
    }

    #[test]
    fn a_title_inside_a_script_style_or_comment_is_not_the_title() {
        let html = b"<head><script>document.write('<title>no</title>')</script>\
            <style>/* <title>no</title> */</style><!-- <title>no</title> -->\
            <noscript><meta name=description content=no></noscript>\
            <title>yes</title><meta name=description content=yes></head>";
        let facts = page_facts(html, None);
        assert_eq!(facts.title.as_deref(), Some("yes"));
        assert_eq!(facts.description.as_deref(), Some("yes"));
    }

    #[test]
    fn the_description_meta_wins_over_og_wherever_it_stands_in_the_head() {
        let html = b"<title>t</title><meta property=og:description content=og>\
            <meta name=description content=plain>";
        assert_eq!(page_facts(html, None).description.as_deref(), Some("plain"));
    }

    #[test]
    fn only_the_head_is_read() {
        // The body opens at its first element that has no place in a head.
        let html = b"<html><head><meta charset=utf-8></head><body>\
            <title>in body</title><meta name=description content=\"in body\">";
        assert_eq!(page_facts(html, None).title, None);
        let implied = b"<title>kept</title><div><meta name=description content=\"in body\">";
        let facts = page_facts(implied, None);
        assert_eq!(facts.title.as_deref(), Some("kept"));
        assert_eq!(facts.description, None);
    }

    #[test]
    fn a_head_longer_than_the_scan_bound_is_read_no_further() {
        let mut html = b"<head><!--".to_vec();
        html.resize(HEAD_SCAN_BYTES + CHUNK_BYTES, b'x');
        html.extend_from_slice(b"--><title>too late</title>");
        assert_eq!(page_facts(&html, None).title, None);
    }

    #[test]
    fn a_deeply_nested_page_yields_its_title() {
        let mut html = b"<html><head><title>Deep</title></head><body>".to_vec();
        for _ in 0..400_000 {
            html.extend_from_slice(b"<div>");
        }
        let facts = page_facts(&html, Some("text/html"));
        assert_eq!(facts.title.as_deref(), Some("Deep"));
        // Without a description the head's end stops the reading; so does a body with no end.
        let mut no_head_end = b"<title>Deep</title>".to_vec();
        no_head_end.extend(std::iter::repeat_n(b"<div>".as_slice(), 400_000).flatten());
        assert_eq!(
            page_facts(&no_head_end, None).title.as_deref(),
            Some("Deep")
        );
    }

    #[test]
    fn a_page_that_ends_inside_its_title_keeps_what_it_had() {
        assert_eq!(
            page_facts(b"<title>Half a ti", None).title.as_deref(),
            Some("Half a ti")
        );
        assert_eq!(
            page_facts(b"<title>x</title><meta name=description content=d", None)
                .title
                .as_deref(),
            Some("x")
        );
    }

    #[test]
    fn a_utf16_page_with_a_bom_is_decoded_in_chunks() {
        let text = format!("<title>{}\u{e9}</title>", "a".repeat(CHUNK_BYTES));
        let mut body = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            body.extend_from_slice(&unit.to_le_bytes());
        }
        let facts = page_facts(&body, None);
        assert_eq!(facts.charset, "UTF-16LE");
        assert_eq!(facts.title.map(|t| t.len()), Some(CHUNK_BYTES + 2));
    }
}
