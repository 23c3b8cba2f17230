//! Security headers as facts: what the response declared, parsed far enough to be judged
//! (HSTS max-age, cookie attributes). The judgement itself is in the site check's `assess`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SecurityHeaders {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict_transport_security: Option<Hsts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_security_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_frame_options: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_content_type_options: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_policy: Option<String>,
    pub cookies: Vec<Cookie>,
}

/// RFC 6797 §6.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hsts {
    pub raw: String,
    /// Seconds; `None` when the directive is missing or not a number (the header is then invalid).
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    pub preload: bool,
}

/// One Set-Cookie, its attributes only: the value is never kept (it may be a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cookie {
    pub name: String,
    pub secure: bool,
    pub http_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_site: Option<String>,
}

impl SecurityHeaders {
    pub fn from_headers(headers: &http::HeaderMap) -> SecurityHeaders {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_owned())
        };
        SecurityHeaders {
            strict_transport_security: Hsts::from_headers(headers),
            content_security_policy: text("content-security-policy"),
            x_frame_options: text("x-frame-options"),
            x_content_type_options: text("x-content-type-options"),
            referrer_policy: text("referrer-policy"),
            permissions_policy: text("permissions-policy"),
            cookies: headers
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(Cookie::parse)
                .collect(),
        }
    }

    /// CSP's frame-ancestors directive protects against framing as X-Frame-Options does.
    pub fn csp_has_frame_ancestors(&self) -> bool {
        self.content_security_policy.as_deref().is_some_and(|csp| {
            csp.split(';')
                .any(|d| d.trim().to_ascii_lowercase().starts_with("frame-ancestors"))
        })
    }
}

impl Hsts {
    /// The Strict-Transport-Security header of a response, if it has one.
    pub fn from_headers(headers: &http::HeaderMap) -> Option<Hsts> {
        let raw = headers
            .get(http::header::STRICT_TRANSPORT_SECURITY)?
            .to_str()
            .ok()?;
        Some(Hsts::parse(raw.trim()))
    }

    pub fn parse(raw: &str) -> Hsts {
        let mut hsts = Hsts {
            raw: raw.to_owned(),
            max_age: None,
            include_subdomains: false,
            preload: false,
        };
        for directive in raw.split(';').map(str::trim) {
            let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "max-age" => hsts.max_age = value.trim().trim_matches('"').parse().ok(),
                "includesubdomains" => hsts.include_subdomains = true,
                "preload" => hsts.preload = true,
                _ => {}
            }
        }
        hsts
    }
}

impl Cookie {
    /// RFC 6265 §5.2, attributes only.
    pub fn parse(header: &str) -> Option<Cookie> {
        let mut parts = header.split(';');
        let (name, _value) = parts.next()?.split_once('=')?;
        let mut cookie = Cookie {
            name: name.trim().to_owned(),
            secure: false,
            http_only: false,
            same_site: None,
        };
        for attr in parts {
            let (key, value) = attr.split_once('=').unwrap_or((attr, ""));
            match key.trim().to_ascii_lowercase().as_str() {
                "secure" => cookie.secure = true,
                "httponly" => cookie.http_only = true,
                "samesite" => cookie.same_site = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        Some(cookie)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_directives_are_read_case_insensitively() {
        let h = Hsts::parse("max-age=\"31536000\"; IncludeSubDomains; preload");
        assert_eq!(
            (h.max_age, h.include_subdomains, h.preload),
            (Some(31_536_000), true, true)
        );
        assert_eq!(Hsts::parse("includeSubDomains").max_age, None);
    }

    #[test]
    fn cookies_keep_their_attributes_not_their_values() {
        let c = Cookie::parse("sid=secret; Path=/; Secure; HttpOnly; SameSite=Lax").unwrap();
        assert_eq!(
            c,
            Cookie {
                name: "sid".into(),
                secure: true,
                http_only: true,
                same_site: Some("Lax".into())
            }
        );
        assert!(!format!("{c:?}").contains("secret"));
        assert_eq!(Cookie::parse("garbage"), None);
    }

    #[test]
    fn frame_ancestors_counts_as_framing_protection() {
        let s = SecurityHeaders {
            content_security_policy: Some("default-src 'self'; frame-ancestors 'none'".into()),
            ..Default::default()
        };
        assert!(s.csp_has_frame_ancestors());
        assert!(!SecurityHeaders::default().csp_has_frame_ancestors());
    }
}
