//! netcheck's engine: a target becomes a plan of checks, the checks run concurrently, and each
//! ends in a section of the [`report::Report`]. No printing happens here; the faces (CLI, server)
//! render the report and the [`runner::Event`]s that the runner emits as checks start and end,
//! and fold those events into the report with [`event::ReportBuilder`] as the runner does.

pub mod check;
pub mod checks;
pub mod config;
pub mod diagnosis;
pub mod dial;
pub mod dns;
pub mod event;
pub mod finding;
pub mod geo;
pub mod policy;
pub mod rdap;
pub mod registration;
pub mod registry;
pub mod report;
pub mod runner;
pub mod target;
pub mod tls;
pub mod web;
pub mod whois;

pub use check::{Check, CheckError, CheckMeta, Context, Facts};
pub use config::{RunOptions, RunRequest, Settings};
pub use event::{Event, ReportBuilder};
pub use registry::Registry;
pub use report::{CheckReport, Report, Section, Status};
pub use runner::run;
pub use target::{Target, TargetError};
