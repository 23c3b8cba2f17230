//! The `site` check: fetches the target URL, follows redirects (capped, loops detected), and
//! reports the status, each hop with its timings, the final response's headers, title and
//! description, and its security headers.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use url::Url;

use crate::check::{Check, CheckError, CheckMeta, Context, Facts, OriginSeen};
use crate::report::Finding;
use crate::tls::verdict::Verdict;
use crate::web::html::{PageFacts, is_html, read_page};
use crate::web::security::{Hsts, SecurityHeaders};
use crate::web::{Exchange, FetchError, HttpClient, Timings, fetch, redirect_target};

crate::finding_codes! {
    /// The site's host name could not be resolved.
    SITE_DNS = "site_dns", Failure, Name;
    /// The connection to the site was refused.
    SITE_REFUSED = "site_refused", Failure, Connection;
    /// No connection to the site could be made in time.
    SITE_CONNECT_TIMEOUT = "site_connect_timeout", Failure, Connection;
    /// The network says the site's addresses are unreachable.
    SITE_UNREACHABLE = "site_unreachable", Failure, Connection;
    /// The server shares no TLS version or cipher suite with netcheck.
    TLS_NO_COMMON_PROTOCOL = "tls_no_common_protocol", Failure, Tls;
    /// The TLS handshake with the site failed.
    SITE_TLS = "site_tls", Failure, Tls;
    /// The server's answer is not valid HTTP, or the connection broke during it.
    SITE_HTTP_BROKEN = "site_http_broken", Failure, Http;
    /// The check's time ran out during the exchange (after connecting).
    SITE_TIMEOUT = "site_timeout", Failure, Http;
    /// The target policy refuses the site's address: nothing was sent to it.
    SITE_FORBIDDEN = "site_forbidden", Failure, Connection;
    /// A redirect leads to an internal address: the target policy refuses it, so it was not
    /// followed.
    REDIRECT_FORBIDDEN = "redirect_forbidden", Warning, Http;
    /// The redirects loop back to a URL already asked for.
    REDIRECT_LOOP = "redirect_loop", Failure, Http;
    /// More redirects than `--max-redirects`.
    REDIRECT_TOO_MANY = "redirect_too_many", Failure, Http;
    /// A redirect points to a location that cannot be followed.
    REDIRECT_BAD_LOCATION = "redirect_bad_location", Failure, Http;
    /// The answer is a redirect without a usable Location.
    HTTP_REDIRECT_UNFOLLOWED = "http_redirect_unfollowed", Warning, Http;
    /// The server answered 4xx.
    HTTP_CLIENT_ERROR = "http_client_error", Failure, Http;
    /// The server answered 5xx.
    HTTP_SERVER_ERROR = "http_server_error", Failure, Http;
    /// How many redirects led where.
    REDIRECTS = "redirects", Info;
    /// A certificate on the way is not valid; the page was fetched anyway.
    SITE_CERTIFICATE = "site_certificate", Warning, Tls;
    /// A redirect goes from https to plain http.
    REDIRECT_DOWNGRADE = "redirect_downgrade", Warning;
    /// Only the first `--max-body` bytes of the body were read.
    BODY_TRUNCATED = "body_truncated", Info;
    /// No Strict-Transport-Security header on an https answer.
    HSTS_MISSING = "hsts_missing", Warning;
    /// Strict-Transport-Security without a valid max-age.
    HSTS_INVALID = "hsts_invalid", Warning;
    /// HSTS max-age under six months.
    HSTS_SHORT = "hsts_short", Warning;
    /// The site is served over plain http.
    PLAIN_HTTP = "plain_http", Warning;
    /// No Content-Security-Policy header.
    CSP_MISSING = "csp_missing", Info;
    /// Neither X-Frame-Options nor CSP frame-ancestors: the page may be framed.
    FRAMING_UNPROTECTED = "framing_unprotected", Info;
    /// X-Content-Type-Options is set to something other than nosniff.
    XCTO_INVALID = "xcto_invalid", Warning;
    /// No X-Content-Type-Options: nosniff.
    XCTO_MISSING = "xcto_missing", Info;
    /// No Referrer-Policy header.
    REFERRER_POLICY_MISSING = "referrer_policy_missing", Info;
    /// No Permissions-Policy header.
    PERMISSIONS_POLICY_MISSING = "permissions_policy_missing", Info;
    /// A cookie with SameSite=None but without Secure, which browsers reject.
    COOKIE_SAMESITE_NONE_INSECURE = "cookie_samesite_none_insecure", Warning;
    /// A cookie lacks Secure, HttpOnly or SameSite.
    COOKIE_FLAGS = "cookie_flags", Warning;
}

pub static META: CheckMeta = CheckMeta {
    id: "site",
    title: "Site",
    summary: "HTTP status, redirect chain, title and description, headers, security headers, phase timings",
    needs_privileges: false,
    default_timeout: Duration::from_secs(15),
    codes: CODES,
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
    const META: &'static CheckMeta = &META;
    type Facts = SiteReport;

    async fn run(&self, ctx: &Context, deadline: Instant) -> Result<SiteReport, CheckError> {
        let failed = |e: String| {
            ctx.publish_origin(None);
            CheckError::Failed(e)
        };
        let tls = ctx.tls().map_err(|e| failed(e.to_string()))?;
        let url = Url::parse(&ctx.target.url).map_err(|e| failed(e.to_string()))?;
        let client = HttpClient {
            dialer: ctx.dialer(),
            tls: &tls,
            user_agent: &ctx.settings.user_agent,
            max_body_bytes: ctx.options.max_body_bytes,
        };
        let (report, origin) = follow(&client, ctx.options.max_redirects, url, deadline).await;
        ctx.publish_origin(origin);
        Ok(report)
    }
}

impl Facts for SiteReport {
    fn assess(&self) -> Vec<Finding> {
        assess(self)
    }

    /// The chain stopped because the check's time ran out.
    fn timed_out(&self) -> bool {
        matches!(self.error(), Some(FetchError::Timeout { .. }))
    }
}

/// Follows the redirects from `start`; with the report, what the chain showed of the target
/// host's https origin (`None` when no https answer came from it).
async fn follow(
    client: &HttpClient<'_>,
    max_redirects: usize,
    start: Url,
    deadline: Instant,
) -> (SiteReport, Option<OriginSeen>) {
    let started = Instant::now();
    let mut hops: Vec<Exchange> = Vec::new();
    let mut url = start.clone();
    let mut problem = None;
    let mut last_response = None;
    let mut origin_hsts = None;
    loop {
        let (mut exchange, response) = fetch(client, &url, deadline).await;
        if let Some(r) = response.as_ref().filter(|_| {
            origin_hsts.is_none() && url.scheme() == "https" && url.host() == start.host()
        }) {
            origin_hsts = Some(Hsts::from_headers(&r.headers));
        }
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
    let page = if last.is_some_and(|h| h.status.is_some())
        && is_html(content_type)
        && !response.body.is_empty()
    {
        read_page(response.body.clone(), content_type.map(str::to_owned)).await
    } else {
        None
    };
    let mut timings = hops.first().map(|h| h.timings.clone()).unwrap_or_default();
    timings.total_ms = crate::report::millis(started.elapsed());
    // RFC 6797 §7.2 and the preload list: the http:// URL's own answer sends to https on the
    // same host.
    let http_upgrades = (start.scheme() == "http")
        .then(|| hops.first().filter(|h| h.status.is_some()))
        .flatten()
        .map(|h| {
            h.location
                .as_deref()
                .and_then(|location| start.join(location).ok())
                .is_some_and(|to| to.scheme() == "https" && to.host() == start.host())
        });
    let origin = (origin_hsts.is_some() || http_upgrades.is_some()).then(|| OriginSeen {
        https_answered: origin_hsts.is_some(),
        hsts: origin_hsts.flatten(),
        http_upgrades,
    });
    let report = SiteReport {
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
    };
    (report, origin)
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
    if let (Some(FetchError::Forbidden { message }), true) = (report.error(), report.hops.len() > 1)
    {
        let url = report
            .hops
            .last()
            .map(|h| h.url.as_str())
            .unwrap_or_default();
        findings.push(Finding::warning(
            &REDIRECT_FORBIDDEN,
            format!("the redirect to {url} was not followed: {message}"),
        ));
    } else if let Some(e) = report.error() {
        let code = match e {
            FetchError::Forbidden { .. } => &SITE_FORBIDDEN,
            FetchError::Dns { .. } => &SITE_DNS,
            FetchError::Refused { .. } => &SITE_REFUSED,
            FetchError::ConnectTimeout { .. } => &SITE_CONNECT_TIMEOUT,
            FetchError::Unreachable { .. } => &SITE_UNREACHABLE,
            FetchError::Tls {
                no_common_protocol: true,
                ..
            } => &TLS_NO_COMMON_PROTOCOL,
            FetchError::Tls { .. } => &SITE_TLS,
            FetchError::Http { .. } => &SITE_HTTP_BROKEN,
            FetchError::Timeout { phase, .. } if phase == "connect" => &SITE_CONNECT_TIMEOUT,
            FetchError::Timeout { .. } => &SITE_TIMEOUT,
        };
        findings.push(Finding::failure(code, e.message().to_owned()));
    }
    match &report.redirect_problem {
        Some(RedirectProblem::Loop { url }) => findings.push(Finding::failure(
            &REDIRECT_LOOP,
            format!("the redirects loop back to {url}"),
        )),
        Some(RedirectProblem::TooMany { limit }) => findings.push(Finding::failure(
            &REDIRECT_TOO_MANY,
            format!("more than {limit} redirects; gave up"),
        )),
        Some(RedirectProblem::BadLocation { location }) => findings.push(Finding::failure(
            &REDIRECT_BAD_LOCATION,
            format!("a redirect points to an unusable location: {location}"),
        )),
        None => {}
    }
    if let Some(status) = report.status.filter(|_| report.redirect_problem.is_none()) {
        match status {
            200..=299 => {}
            300..=399 => findings.push(Finding::warning(
                &HTTP_REDIRECT_UNFOLLOWED,
                format!("the answer is a {status} redirect without a usable Location"),
            )),
            400..=499 => findings.push(Finding::failure(
                &HTTP_CLIENT_ERROR,
                format!("the server answered {status} {}", reason(status)),
            )),
            _ => findings.push(Finding::failure(
                &HTTP_SERVER_ERROR,
                format!("the server answered {status} {}", reason(status)),
            )),
        }
    }
    if report.hops.len() > 1 && report.redirect_problem.is_none() {
        findings.push(Finding::info(
            &REDIRECTS,
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
                &SITE_CERTIFICATE,
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
            &REDIRECT_DOWNGRADE,
            "a redirect goes from https to plain http",
        ));
    }
    if report.body_truncated {
        findings.push(Finding::info(
            &BODY_TRUNCATED,
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
            None => findings.push(Finding::warning(&HSTS_MISSING, "no Strict-Transport-Security header: browsers may be downgraded to http")),
            Some(h) => match h.max_age {
                None => findings.push(Finding::warning(&HSTS_INVALID, format!("Strict-Transport-Security has no valid max-age: {}", h.raw))),
                Some(age) if age < HSTS_MIN_MAX_AGE => findings.push(Finding::warning(
                    &HSTS_SHORT,
                    format!("HSTS max-age is {age} s; at least {HSTS_MIN_MAX_AGE} s (six months) is recommended"),
                )),
                Some(_) => {}
            },
        }
    } else {
        findings.push(Finding::warning(
            &PLAIN_HTTP,
            "the site is served over plain http: nothing is encrypted",
        ));
    }
    if s.content_security_policy.is_none() {
        findings.push(Finding::info(
            &CSP_MISSING,
            "no Content-Security-Policy header",
        ));
    }
    if s.x_frame_options.is_none() && !s.csp_has_frame_ancestors() {
        findings.push(Finding::info(&FRAMING_UNPROTECTED, "neither X-Frame-Options nor CSP frame-ancestors: the page may be framed (clickjacking)"));
    }
    match s.x_content_type_options.as_deref() {
        Some(v) if v.eq_ignore_ascii_case("nosniff") => {}
        Some(v) => findings.push(Finding::warning(
            &XCTO_INVALID,
            format!("X-Content-Type-Options is '{v}'; only 'nosniff' is meaningful"),
        )),
        None => findings.push(Finding::info(
            &XCTO_MISSING,
            "no X-Content-Type-Options: nosniff",
        )),
    }
    if s.referrer_policy.is_none() {
        findings.push(Finding::info(
            &REFERRER_POLICY_MISSING,
            "no Referrer-Policy header",
        ));
    }
    if s.permissions_policy.is_none() {
        findings.push(Finding::info(
            &PERMISSIONS_POLICY_MISSING,
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
                &COOKIE_SAMESITE_NONE_INSECURE,
                format!(
                    "cookie '{}' has SameSite=None without Secure: browsers reject it",
                    c.name
                ),
            ));
        }
        if !missing.is_empty() {
            findings.push(Finding::warning(
                &COOKIE_FLAGS,
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
