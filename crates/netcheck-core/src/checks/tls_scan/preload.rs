//! HSTS preload readiness: the requirements hstspreload.org states for a domain to enter the
//! browsers' preload list, judged from what the `site` check saw of the https origin and the
//! `tls` check's verdict. What one report cannot see (every subdomain over https, the http://
//! redirect when the target was https) is said as unchecked rather than guessed. Pure.

use super::{HSTS_PRELOAD_NOT_READY, HSTS_PRELOAD_READY, HstsPreload, TlsScanReport};
use crate::check::OriginSeen;
use crate::report::Finding;
use crate::tls::verdict::Verdict;

/// hstspreload.org: max-age of at least one year (31536000 seconds).
pub const PRELOAD_MAX_AGE: u64 = 31_536_000;

pub fn judge(report: &TlsScanReport, origin: &OriginSeen) -> HstsPreload {
    let mut unmet = Vec::new();
    let mut unchecked = vec!["that every subdomain is served over https".to_owned()];
    match report.chain_verdict.as_ref().map(|c| c.verdict) {
        Some(Verdict::Valid) => {}
        Some(_) => unmet.push("a valid certificate".to_owned()),
        None => unchecked.push("a valid certificate (no verdict on the chain)".to_owned()),
    }
    match origin.http_upgrades {
        Some(true) => {}
        Some(false) => unmet.push("http:// redirecting to https:// on the same host".to_owned()),
        None => unchecked.push("http:// redirecting to https:// (the target was https)".to_owned()),
    }
    let host = report.server_name.trim_end_matches('.');
    if host.parse::<std::net::IpAddr>().is_ok() {
        unmet.push("a domain name (the list holds no addresses)".to_owned());
    } else if psl::domain_str(host).is_some_and(|domain| !domain.eq_ignore_ascii_case(host)) {
        unmet.push(format!(
            "the registrable domain itself ({host} is a subdomain; its parent is what is submitted)",
        ));
    }
    match &origin.hsts {
        None if !origin.https_answered => unmet.push("an https answer from the host".to_owned()),
        None => unmet.push("a Strict-Transport-Security header on the https answer".to_owned()),
        Some(h) => {
            match h.max_age {
                Some(age) if age >= PRELOAD_MAX_AGE => {}
                Some(age) => unmet.push(format!(
                    "max-age of at least {PRELOAD_MAX_AGE} s (one year); it is {age} s"
                )),
                None => unmet.push("a valid max-age".to_owned()),
            }
            if !h.include_subdomains {
                unmet.push("the includeSubDomains directive".to_owned());
            }
            if !h.preload {
                unmet.push("the preload directive".to_owned());
            }
        }
    }
    HstsPreload {
        ready: unmet.is_empty(),
        header: origin.hsts.as_ref().map(|h| h.raw.clone()),
        max_age: origin.hsts.as_ref().and_then(|h| h.max_age),
        unmet,
        unchecked,
    }
}

pub fn finding(p: &HstsPreload) -> Finding {
    if p.ready {
        Finding::info(
            &HSTS_PRELOAD_READY,
            format!(
                "ready for the HSTS preload list as far as one report shows (not checked: {})",
                p.unchecked.join("; ")
            ),
        )
    } else {
        Finding::info(
            &HSTS_PRELOAD_NOT_READY,
            format!(
                "not ready for the HSTS preload list: needs {}",
                p.unmet.join("; ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::tls_scan::ChainSeen;
    use crate::web::security::Hsts;

    fn report(host: &str, verdict: Option<Verdict>) -> TlsScanReport {
        let mut r = TlsScanReport::new(host, 443, false);
        r.chain_verdict = verdict.map(|verdict| ChainSeen {
            verdict,
            detail: String::new(),
        });
        r
    }

    fn origin(header: Option<&str>, http_upgrades: Option<bool>) -> OriginSeen {
        OriginSeen {
            https_answered: true,
            hsts: header.map(Hsts::parse),
            http_upgrades,
        }
    }

    #[test]
    fn a_registrable_domain_with_a_year_subdomains_and_preload_is_ready() {
        let r = report("example.com", Some(Verdict::Valid));
        let o = origin(
            Some("max-age=63072000; includeSubDomains; preload"),
            Some(true),
        );
        let p = judge(&r, &o);
        assert!(p.ready, "{p:?}");
        assert_eq!(p.max_age, Some(63_072_000));
        assert_eq!(p.unchecked.len(), 1, "{:?}", p.unchecked);
        assert_eq!(finding(&p).code, "hsts_preload_ready");
    }

    #[test]
    fn each_missing_requirement_is_said() {
        let r = report("www.example.com", Some(Verdict::Expired));
        let p = judge(&r, &origin(Some("max-age=86400"), Some(false)));
        assert!(!p.ready);
        let words = p.unmet.join(" | ");
        for part in [
            "a valid certificate",
            "same host",
            "www.example.com is a subdomain",
            "it is 86400 s",
            "includeSubDomains",
            "preload directive",
        ] {
            assert!(words.contains(part), "{part}: {words}");
        }
        assert_eq!(finding(&p).code, "hsts_preload_not_ready");
    }

    #[test]
    fn no_header_and_unknowns_are_told_apart() {
        let r = report("example.com", None);
        let p = judge(&r, &origin(None, None));
        assert_eq!(
            p.unmet,
            ["a Strict-Transport-Security header on the https answer"]
        );
        assert_eq!(p.unchecked.len(), 3, "{:?}", p.unchecked);
        let unanswered = OriginSeen {
            https_answered: false,
            hsts: None,
            http_upgrades: Some(true),
        };
        assert_eq!(
            judge(&r, &unanswered).unmet,
            ["an https answer from the host"]
        );
    }
}
