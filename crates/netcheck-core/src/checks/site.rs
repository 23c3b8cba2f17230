//! The `site` check: fetches the target URL, follows redirects (capped, loops detected), and
//! reports the status, each hop with its timings, the final response's headers, title and
//! description, and its security headers.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use url::Url;

use crate::check::{Check, CheckError, CheckMeta, Context};
use crate::report::{Finding, Section};
use crate::tls::verdict::Verdict;
use crate::web::html::{PageFacts, is_html, page_facts};
use crate::web::security::SecurityHeaders;
use crate::web::{Exchange, FetchError, HttpClient, Timings, fetch, redirect_target};

pub static META: CheckMeta = CheckMeta {
    id: "site",
    title: "Site",
    summary: "HTTP status, redirect chain, title and description, headers, security headers, phase timings",
    needs_privileges: false,
    default_timeout: Duration::from_secs(15),
};

/// Six months, the HSTS max-age below which browsers' preload lists and most audits complain.
const HSTS_MIN_MAX_AGE: u64 = 15_768_000;

pub struct SiteCheck;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SiteReport {
    /// The first URL asked for.
    pub url: String,
    /// The URL whose answer is reported: the end of the redirect chain.
    pub final_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Every request made, the first one first.
    pub hops: Vec<Exchange>,
    /// Why the chain stopped early, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_problem: Option<RedirectProblem>,
    /// Phases of the first request; `total_ms` covers the whole chain.
    pub timings: Timings,
    /// Response headers of the final answer, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub security: SecurityHeaders,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageFacts>,
    /// Bytes of the final body read (at most the configured cap).
    pub body_bytes: usize,
    pub body_truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RedirectProblem {
    Loop { url: String },
    TooMany { limit: usize },
    BadLocation { location: String },
}

impl SiteReport {
    pub fn error(&self) -> Option<&FetchError> {
        self.hops.last().and_then(|h| h.error.as_ref())
    }
}

impl Check for SiteCheck {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run<'a>(
        &'a self,
        ctx: &'a Context,
        deadline: Instant,
    ) -> BoxFuture<'a, Result<Section, CheckError>> {
        async move {
            let tls = ctx.tls().map_err(|e| CheckError::Failed(e.to_string()))?;
            let url = Url::parse(&ctx.target.url).map_err(|e| CheckError::Failed(e.to_string()))?;
            let client = HttpClient {
                dialer: ctx.dialer(),
                tls: &tls,
                user_agent: &ctx.config.user_agent,
                max_body_bytes: ctx.config.max_body_bytes,
            };
            let max_redirects = ctx.config.max_redirects;
            Ok(Section::Site(
                follow(&client, max_redirects, url, deadline).await,
            ))
        }
        .boxed()
    }
}

async fn follow(
    client: &HttpClient<'_>,
    max_redirects: usize,
    start: Url,
    deadline: Instant,
) -> SiteReport {
    let started = Instant::now();
    let mut hops: Vec<Exchange> = Vec::new();
    let mut url = start.clone();
    let mut problem = None;
    let mut last_response = None;
    loop {
        let (mut exchange, response) = fetch(client, &url, deadline).await;
        // A host already looked up for an earlier hop is not looked up again.
        if hops.iter().any(|h| {
            Url::parse(&h.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                == url.host_str().map(str::to_owned)
        }) {
            exchange.timings.dns_ms = None;
        }
        let next = redirect_target(&url, &exchange);
        hops.push(exchange);
        last_response = response.or(last_response.take()).filter(|_| next.is_none());
        let Some(next) = next else { break };
        match next {
            Err(unusable) => {
                problem = Some(RedirectProblem::BadLocation {
                    location: unusable.location,
                });
                break;
            }
            Ok(next) if hops.iter().any(|h| h.url == next.as_str()) => {
                problem = Some(RedirectProblem::Loop {
                    url: next.to_string(),
                });
                break;
            }
            Ok(_) if hops.len() > max_redirects => {
                problem = Some(RedirectProblem::TooMany {
                    limit: max_redirects,
                });
                break;
            }
            Ok(next) => url = next,
        }
    }
    let last = hops.last();
    let response = last_response.unwrap_or_default();
    let content_type = response
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let page = (last.is_some_and(|h| h.status.is_some())
        && is_html(content_type)
        && !response.body.is_empty())
    .then(|| page_facts(&response.body, content_type));
    let mut timings = hops.first().map(|h| h.timings.clone()).unwrap_or_default();
    timings.total_ms = crate::report::millis(started.elapsed());
    SiteReport {
        url: start.to_string(),
        final_url: last
            .map(|h| h.url.clone())
            .unwrap_or_else(|| start.to_string()),
        status: last.and_then(|h| h.status),
        redirect_problem: problem,
        timings,
        headers: response
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    redact(k, &String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect(),
        security: SecurityHeaders::from_headers(&response.headers),
        page,
        body_bytes: response.body.len(),
        body_truncated: response.truncated,
        hops,
    }
}

/// Reports are stored and shared: a cookie's value (often a session token) is replaced, its
/// name and attributes kept.
fn redact(name: &http::HeaderName, value: &str) -> String {
    if name != http::header::SET_COOKIE {
        return value.to_owned();
    }
    match value.split_once('=') {
        Some((cookie, rest)) => {
            let attributes = rest
                .split_once(';')
                .map(|(_, a)| format!(";{a}"))
                .unwrap_or_default();
            format!("{cookie}=<redacted>{attributes}")
        }
        None => value.to_owned(),
    }
}

/// Judges the facts of a site report.
pub fn assess(report: &SiteReport) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(e) = report.error() {
        let code = match e {
            FetchError::Dns { .. } => "site_dns",
            FetchError::Refused { .. } => "site_refused",
            FetchError::ConnectTimeout { .. } => "site_connect_timeout",
            FetchError::Unreachable { .. } => "site_unreachable",
            FetchError::Tls {
                no_common_protocol: true,
                ..
            } => "tls_no_common_protocol",
            FetchError::Tls { .. } => "site_tls",
            FetchError::Http { .. } => "site_http_broken",
            FetchError::Timeout { phase, .. } if phase == "connect" => "site_connect_timeout",
            FetchError::Timeout { .. } => "site_timeout",
        };
        findings.push(Finding::failure(code, e.message().to_owned()));
    }
    match &report.redirect_problem {
        Some(RedirectProblem::Loop { url }) => findings.push(Finding::failure(
            "redirect_loop",
            format!("the redirects loop back to {url}"),
        )),
        Some(RedirectProblem::TooMany { limit }) => findings.push(Finding::failure(
            "redirect_too_many",
            format!("more than {limit} redirects; gave up"),
        )),
        Some(RedirectProblem::BadLocation { location }) => findings.push(Finding::failure(
            "redirect_bad_location",
            format!("a redirect points to an unusable location: {location}"),
        )),
        None => {}
    }
    if let Some(status) = report.status.filter(|_| report.redirect_problem.is_none()) {
        match status {
            200..=299 => {}
            300..=399 => findings.push(Finding::warning(
                "http_redirect_unfollowed",
                format!("the answer is a {status} redirect without a usable Location"),
            )),
            400..=499 => findings.push(Finding::failure(
                "http_client_error",
                format!("the server answered {status} {}", reason(status)),
            )),
            _ => findings.push(Finding::failure(
                "http_server_error",
                format!("the server answered {status} {}", reason(status)),
            )),
        }
    }
    if report.hops.len() > 1 && report.redirect_problem.is_none() {
        findings.push(Finding::info(
            "redirects",
            format!(
                "{} redirect(s) to {}",
                report.hops.len() - 1,
                report.final_url
            ),
        ));
    }
    for hop in &report.hops {
        if let Some(tls) = hop.tls.as_ref().filter(|t| t.verdict != Verdict::Valid) {
            findings.push(Finding::warning(
                "site_certificate",
                format!(
                    "{}: certificate {} ({}); the page was fetched anyway",
                    hop.url,
                    tls.verdict.as_str(),
                    tls.verdict_detail
                ),
            ));
        }
    }
    if report.hops.len() > 1
        && report
            .hops
            .windows(2)
            .any(|w| w[0].url.starts_with("https:") && w[1].url.starts_with("http:"))
    {
        findings.push(Finding::warning(
            "redirect_downgrade",
            "a redirect goes from https to plain http",
        ));
    }
    if report.body_truncated {
        findings.push(Finding::info(
            "body_truncated",
            format!(
                "only the first {} bytes of the body were read",
                report.body_bytes
            ),
        ));
    }
    // Headers are judged on a final answer only, not on a redirect the chain was cut at.
    if report.status.is_some() && report.redirect_problem.is_none() {
        assess_security(report, &mut findings);
    }
    findings
}

fn assess_security(report: &SiteReport, findings: &mut Vec<Finding>) {
    let s = &report.security;
    let https = report.final_url.starts_with("https:");
    if https {
        match &s.strict_transport_security {
            None => findings.push(Finding::warning("hsts_missing", "no Strict-Transport-Security header: browsers may be downgraded to http")),
            Some(h) => match h.max_age {
                None => findings.push(Finding::warning("hsts_invalid", format!("Strict-Transport-Security has no valid max-age: {}", h.raw))),
                Some(age) if age < HSTS_MIN_MAX_AGE => findings.push(Finding::warning(
                    "hsts_short",
                    format!("HSTS max-age is {age} s; at least {HSTS_MIN_MAX_AGE} s (six months) is recommended"),
                )),
                Some(_) => {}
            },
        }
    } else {
        findings.push(Finding::warning(
            "plain_http",
            "the site is served over plain http: nothing is encrypted",
        ));
    }
    if s.content_security_policy.is_none() {
        findings.push(Finding::info(
            "csp_missing",
            "no Content-Security-Policy header",
        ));
    }
    if s.x_frame_options.is_none() && !s.csp_has_frame_ancestors() {
        findings.push(Finding::info("framing_unprotected", "neither X-Frame-Options nor CSP frame-ancestors: the page may be framed (clickjacking)"));
    }
    match s.x_content_type_options.as_deref() {
        Some(v) if v.eq_ignore_ascii_case("nosniff") => {}
        Some(v) => findings.push(Finding::warning(
            "xcto_invalid",
            format!("X-Content-Type-Options is '{v}'; only 'nosniff' is meaningful"),
        )),
        None => findings.push(Finding::info(
            "xcto_missing",
            "no X-Content-Type-Options: nosniff",
        )),
    }
    if s.referrer_policy.is_none() {
        findings.push(Finding::info(
            "referrer_policy_missing",
            "no Referrer-Policy header",
        ));
    }
    if s.permissions_policy.is_none() {
        findings.push(Finding::info(
            "permissions_policy_missing",
            "no Permissions-Policy header",
        ));
    }
    for c in &s.cookies {
        let mut missing = Vec::new();
        if https && !c.secure {
            missing.push("Secure");
        }
        if !c.http_only {
            missing.push("HttpOnly");
        }
        if c.same_site.is_none() {
            missing.push("SameSite");
        }
        if c.same_site
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("none"))
            && !c.secure
        {
            findings.push(Finding::warning(
                "cookie_samesite_none_insecure",
                format!(
                    "cookie '{}' has SameSite=None without Secure: browsers reject it",
                    c.name
                ),
            ));
        }
        if !missing.is_empty() {
            findings.push(Finding::warning(
                "cookie_flags",
                format!("cookie '{}' lacks {}", c.name, missing.join(", ")),
            ));
        }
    }
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// True when the chain stopped because the check's time ran out.
pub fn timed_out(report: &SiteReport) -> bool {
    matches!(report.error(), Some(FetchError::Timeout { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::security::{Cookie, Hsts};

    fn report(status: u16, url: &str) -> SiteReport {
        SiteReport {
            url: url.into(),
            final_url: url.into(),
            status: Some(status),
            hops: vec![],
            redirect_problem: None,
            timings: Timings::default(),
            headers: vec![],
            security: SecurityHeaders::default(),
            page: None,
            body_bytes: 0,
            body_truncated: false,
        }
    }

    fn codes(r: &SiteReport) -> Vec<String> {
        assess(r).into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_server_error_is_a_failure_and_a_200_is_not() {
        assert!(codes(&report(503, "https://a.test/")).contains(&"http_server_error".to_string()));
        assert!(codes(&report(404, "https://a.test/")).contains(&"http_client_error".to_string()));
        let ok = assess(&report(200, "https://a.test/"));
        assert!(
            ok.iter()
                .all(|f| f.severity != crate::report::Severity::Failure),
            "{ok:?}"
        );
    }

    #[test]
    fn security_headers_are_judged() {
        let mut r = report(200, "https://a.test/");
        assert!(codes(&r).contains(&"hsts_missing".to_string()));
        r.security.strict_transport_security = Some(Hsts::parse("max-age=300"));
        assert!(codes(&r).contains(&"hsts_short".to_string()));
        r.security.strict_transport_security =
            Some(Hsts::parse("max-age=63072000; includeSubDomains"));
        r.security.x_frame_options = Some("DENY".into());
        r.security.x_content_type_options = Some("nosniff".into());
        r.security.content_security_policy = Some("default-src 'self'".into());
        r.security.referrer_policy = Some("no-referrer".into());
        r.security.permissions_policy = Some("camera=()".into());
        assert!(assess(&r).is_empty(), "{:?}", assess(&r));
        r.security.cookies.push(Cookie {
            name: "sid".into(),
            secure: false,
            http_only: true,
            same_site: None,
        });
        let findings = assess(&r);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].message.contains("Secure, SameSite"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn plain_http_is_flagged_and_hsts_is_not_asked_for() {
        let c = codes(&report(200, "http://a.test/"));
        assert!(c.contains(&"plain_http".to_string()));
        assert!(!c.contains(&"hsts_missing".to_string()));
    }

    #[test]
    fn redirect_problems_are_failures() {
        let mut r = report(301, "https://a.test/");
        r.redirect_problem = Some(RedirectProblem::Loop {
            url: "https://a.test/".into(),
        });
        assert!(codes(&r).contains(&"redirect_loop".to_string()));
        assert!(!codes(&r).contains(&"http_redirect_unfollowed".to_string()));
    }

    #[test]
    fn cookie_values_are_redacted_but_attributes_kept() {
        let v = redact(&http::header::SET_COOKIE, "sid=s3cr3t; Path=/; Secure");
        assert_eq!(v, "sid=<redacted>; Path=/; Secure");
        assert_eq!(redact(&http::header::SET_COOKIE, "a=b"), "a=<redacted>");
        assert_eq!(redact(&http::header::SERVER, "nginx"), "nginx");
    }

    #[test]
    fn relative_locations_resolve_against_the_request() {
        let base = Url::parse("https://a.test/x/y").unwrap();
        let mut e = Exchange {
            url: base.to_string(),
            remote_address: None,
            connect_attempts: vec![],
            tls: None,
            http_version: None,
            status: Some(302),
            location: Some("../z".into()),
            timings: Timings::default(),
            error: None,
        };
        assert_eq!(
            redirect_target(&base, &e).unwrap().unwrap().as_str(),
            "https://a.test/z"
        );
        e.location = Some("ftp://a.test/".into());
        assert!(redirect_target(&base, &e).unwrap().is_err());
        e.status = Some(200);
        assert!(redirect_target(&base, &e).is_none());
    }
}
