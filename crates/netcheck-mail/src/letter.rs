//! The one message netcheck sends about a report. Its subject and body are the report's own
//! words, cleaned of what a remote peer could hide in them; the caller adds only the permalink,
//! which the server makes from its own public address.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use netcheck_core::Report;

use crate::MailError;

/// Subjects longer than this are cut (mail clients show a line).
const SUBJECT_MAX: usize = 160;

/// A report's message, before it is addressed.
#[derive(Debug, Clone)]
pub struct Letter {
    subject: String,
    body: String,
    json: Vec<u8>,
}

/// The subject: the diagnosis, cleaned, on one line.
pub fn subject(report: &Report) -> String {
    let summary = netcheck_text::clean_str(&report.diagnosis.summary).into_owned();
    let mut subject = format!("netcheck: {summary}");
    if subject.chars().count() > SUBJECT_MAX {
        subject = subject.chars().take(SUBJECT_MAX - 1).collect::<String>() + "…";
    }
    subject
}

impl Letter {
    /// `report`'s message; `permalink`, where the report is kept, opens the body.
    pub fn of(report: &Report, permalink: Option<&str>) -> Result<Letter, MailError> {
        let mut body = String::new();
        if let Some(link) = permalink {
            body.push_str(&format!("The report: {link}\n"));
        }
        body.push_str(&netcheck_text::plain(report));
        Ok(Letter {
            subject: subject(report),
            body,
            json: serde_json::to_vec_pretty(report).map_err(|e| MailError::Build(e.to_string()))?,
        })
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    /// The message from `from` to every one of `to`.
    pub(crate) fn message(&self, from: &Mailbox, to: &[Mailbox]) -> Result<Message, MailError> {
        let mut builder = Message::builder()
            .from(from.clone())
            .subject(self.subject.clone());
        for to in to {
            builder = builder.to(to.clone());
        }
        let json =
            ContentType::parse("application/json").map_err(|e| MailError::Build(e.to_string()))?;
        builder
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(self.body.clone()))
                    .singlepart(
                        Attachment::new("netcheck-report.json".into())
                            .body(self.json.clone(), json),
                    ),
            )
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(summary: &str) -> Report {
        let target = netcheck_core::Target::parse("www.example.test").unwrap();
        let mut report =
            netcheck_core::ReportBuilder::new(target).report(&netcheck_core::checks::registry());
        report.diagnosis.summary = summary.into();
        report
    }

    #[test]
    fn the_subject_is_the_cleaned_diagnosis_on_one_cut_line() {
        let letter = Letter::of(&report("up\r\nBcc: x@example.test"), None).unwrap();
        assert_eq!(
            letter.subject(),
            "netcheck: up\\u{d}\\u{a}Bcc: x@example.test"
        );
        let long = Letter::of(&report(&"a".repeat(400)), None).unwrap();
        assert_eq!(long.subject().chars().count(), SUBJECT_MAX);
        assert!(long.subject().ends_with('…'));
    }

    #[test]
    fn the_body_opens_with_the_permalink_then_the_text_report() {
        let link = "https://netcheck.example.test/?report=0123";
        let letter = Letter::of(&report("fine"), Some(link)).unwrap();
        let (first, rest) = letter.body().split_once('\n').unwrap();
        assert_eq!(first, format!("The report: {link}"));
        assert!(
            rest.contains("www.example.test") && rest.contains("fine"),
            "{rest}"
        );
        let without = Letter::of(&report("fine"), None).unwrap();
        assert!(!without.body().contains("The report:"));
    }
}
