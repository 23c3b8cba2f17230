//! netcheck's regions: the same report from several places at once. Agents
//! ([`agent::serve`]) take jobs over NATS and run the engine where they are; the hub
//! ([`hub::Hub`]) sends one run to several regions and folds each region's events into its
//! report with the engine's own fold, then judges them side by side ([`regions`]). NATS is
//! the distributed engine (queue groups, no-responders, reconnection); the core never links
//! it. What travels, and on which subjects, is [`protocol`].

pub mod agent;
pub mod compare;
pub mod connect;
pub mod hub;
pub mod protocol;
pub mod regions;
pub mod runs;

pub use compare::Difference;
pub use hub::{HERE, Hub, RegionEvent, run_regions};
pub use protocol::{AgentInfo, Presence, Subjects};
pub use regions::{Outcome, RegionReport, RegionsReport, Verdict, VerdictKind};
