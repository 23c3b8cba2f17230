//! The registry: the checks a run may use, in report order, each with its facts' type erased in
//! one place. As crates.io's `JobRegistry::register::<J>()` boxes a typed job's future once, a
//! [`Check`] is written with its own facts type and an `async fn run`; [`Registry::with`] turns
//! it into something the runner can hold beside the others, judging its facts while their type
//! is still known.
//!
//! The built-in checks are [`crate::checks::registry`], which is also `Registry::default()`. A
//! test (or, later, an agent with checks of its own) registers more on a registry of its own and
//! hands that to the runner. The CLI's help, the API's list of checks and docs/checks.md are
//! generated from what is registered, finding codes included.

use std::fmt::Write;

use futures::future::BoxFuture;
use tokio::time::Instant;

use crate::check::{Check, CheckError, CheckMeta, Context, Facts};
use crate::diagnosis::Stage;
use crate::finding::{Code, worst_first};
use crate::report::Finding;
use crate::report::{IntoSection, Section};

/// The checks a run may use, in the order their sections appear in a report.
pub struct Registry {
    checks: Vec<RegisteredCheck>,
}

/// One registered check: its metadata, and its run with the facts judged and made a section.
pub struct RegisteredCheck {
    check: Box<dyn Erased>,
}

/// A check's facts, judged while their type was known.
pub struct Judged {
    pub section: Section,
    /// Worst first.
    pub findings: Vec<Finding>,
    pub timed_out: bool,
}

impl Judged {
    /// Judges facts of `kind` (the check's id) and makes them a section.
    pub fn of<F: Facts + IntoSection>(kind: &str, facts: F) -> Judged {
        let mut findings = facts.assess();
        worst_first(&mut findings);
        Judged {
            timed_out: facts.timed_out(),
            findings,
            section: facts.into_section(kind),
        }
    }

    /// Judges a section that already lost its facts' type (read back from JSON, say).
    pub fn from_section(section: Section) -> Judged {
        Judged {
            findings: section.assess(),
            timed_out: section.timed_out(),
            section,
        }
    }
}

/// The one place where a check's future is boxed.
trait Erased: Send + Sync {
    fn meta(&self) -> &'static CheckMeta;
    fn run<'a>(
        &'a self,
        ctx: &'a Context,
        deadline: Instant,
    ) -> BoxFuture<'a, Result<Judged, CheckError>>;
}

impl<C: Check> Erased for C {
    fn meta(&self) -> &'static CheckMeta {
        C::META
    }

    fn run<'a>(
        &'a self,
        ctx: &'a Context,
        deadline: Instant,
    ) -> BoxFuture<'a, Result<Judged, CheckError>> {
        Box::pin(async move {
            let facts = Check::run(self, ctx, deadline).await?;
            let judged = Judged::of(C::META.id, facts);
            debug_assert!(
                judged
                    .findings
                    .iter()
                    .all(|f| C::META.code(&f.code).is_some()),
                "{} raised a code its CODES do not declare: {:?}",
                C::META.id,
                judged.findings
            );
            Ok(judged)
        })
    }
}

impl RegisteredCheck {
    pub fn meta(&self) -> &'static CheckMeta {
        self.check.meta()
    }

    /// Gathers the check's facts and judges them. Must finish by `deadline`.
    pub fn run<'a>(
        &'a self,
        ctx: &'a Context,
        deadline: Instant,
    ) -> BoxFuture<'a, Result<Judged, CheckError>> {
        self.check.run(ctx, deadline)
    }
}

impl Registry {
    /// A registry without any check.
    pub fn empty() -> Self {
        Registry { checks: Vec::new() }
    }

    /// Adds `check` after those registered; one with the same id is replaced in its place.
    pub fn with<C: Check>(mut self, check: C) -> Self {
        let entry = RegisteredCheck {
            check: Box::new(check),
        };
        match self.checks.iter_mut().find(|c| c.meta().id == C::META.id) {
            Some(slot) => *slot = entry,
            None => self.checks.push(entry),
        }
        self
    }

    /// The checks in report order.
    pub fn iter(&self) -> impl Iterator<Item = &RegisteredCheck> {
        self.checks.iter()
    }

    pub fn get(&self, id: &str) -> Option<&RegisteredCheck> {
        self.checks.iter().find(|c| c.meta().id == id)
    }

    /// Every check's id, in report order.
    pub fn ids(&self) -> Vec<&'static str> {
        self.checks.iter().map(|c| c.meta().id).collect()
    }

    /// The declaration of a finding code raised by the check `id`.
    pub fn code(&self, id: &str, code: &str) -> Option<&'static Code> {
        self.get(id)?.meta().code(code)
    }

    /// The stage a finding of the check `id` speaks of: what the diagnosis sorts problems by.
    /// None for a code that does not bear on reaching the site, or that nobody here declares.
    pub fn stage_of(&self, id: &str, code: &str) -> Option<Stage> {
        self.code(id, code)?.stage
    }

    /// docs/checks.md (`netcheck checks --markdown`).
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "# Checks\n\nGenerated by `netcheck checks --markdown` from each check's own metadata; do not edit by hand.\n\n\
             | id | title | what it reports | needs privileges | default timeout |\n|---|---|---|---|---|\n",
        );
        for m in self.iter().map(RegisteredCheck::meta) {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} s |",
                m.id,
                m.title,
                m.summary,
                if m.needs_privileges { "yes" } else { "no" },
                m.default_timeout.as_secs()
            );
        }
        out.push_str(
            "\n## Finding codes\n\nEach check declares the codes it raises, in its own file, with the worst severity it \
             raises them with and the stage of the way to the site they speak of. The diagnosis orders the problems \
             by stage (registration, name, route, connection, TLS, HTTP, loss) and names the first failure as the \
             cause; a code without a stage does not bear on reaching the site. Some codes are raised below their \
             severity in a lesser case: a ping without reply is a warning when another address answers, and the TLS \
             check's findings about an http:// target's https origin are at most warnings.\n",
        );
        for m in self.iter().map(RegisteredCheck::meta) {
            let _ = write!(
                out,
                "\n### `{}`\n\n| code | severity | stage | meaning |\n|---|---|---|---|\n",
                m.id
            );
            for c in m.codes {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    c.name,
                    c.severity.as_str(),
                    c.stage.map(Stage::as_str).unwrap_or("—"),
                    c.meaning.trim()
                );
            }
        }
        out
    }
}

impl Default for Registry {
    /// The built-in checks.
    fn default() -> Self {
        crate::checks::registry()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_and_lower_case() {
        let ids = Registry::default().ids();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert!(
            ids.iter()
                .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
    }

    #[test]
    fn every_check_declares_its_codes_once_each_in_snake_case_with_a_meaning() {
        for check in Registry::default().iter() {
            let m = check.meta();
            assert!(!m.codes.is_empty(), "{} declares no code", m.id);
            let mut names: Vec<&str> = m.codes.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                m.codes.len(),
                "{}: a code declared twice",
                m.id
            );
            for c in m.codes {
                assert!(
                    c.name
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                    "{}: {}",
                    m.id,
                    c.name
                );
                assert!(
                    !c.meaning.trim().is_empty(),
                    "{}: {} has no meaning",
                    m.id,
                    c.name
                );
                assert!(
                    c.stage.is_none() || c.severity > crate::report::Severity::Info,
                    "{}: {} has a stage but is only a note",
                    m.id,
                    c.name
                );
            }
        }
    }

    #[test]
    fn a_check_registered_again_replaces_the_first_in_its_place() {
        let ids = Registry::default().with(crate::checks::dns::DnsCheck).ids();
        assert_eq!(ids, Registry::default().ids());
    }
}
