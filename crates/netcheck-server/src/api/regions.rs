//! Regions through the API, when the server was started with `--nats`: `regions=a,b,here` on
//! `/api/v1/run` and `/api/v1/report` runs the report in those regions at once (agents over
//! NATS, `here` this server's own engine) and answers with them side by side; `GET
//! /api/v1/regions` lists the agents alive now. The target is vetted here first, as for any
//! run, and again by each agent after its own lookup.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use netcheck_agent::{Presence, RegionEvent, RegionsReport};
use netcheck_core::runner::Vetted;
use netcheck_core::{Event, RunRequest};
use tokio::sync::mpsc::UnboundedSender;

use crate::{ApiError, AppState};

pub use netcheck_agent::HERE;

/// The regions a request names, checked: known to need a hub, at most 16, no repeats.
pub fn parse(state: &AppState, text: &str) -> Result<Vec<String>, ApiError> {
    let mut regions: Vec<String> = Vec::new();
    for r in text.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        if !netcheck_agent::protocol::valid_token(r) {
            return Err(ApiError::BadQuery(format!(
                "'{r}' is not a region name (letters, digits, - and _)"
            )));
        }
        if !regions.iter().any(|x| x == r) {
            regions.push(r.to_owned());
        }
    }
    if regions.len() > 16 {
        return Err(ApiError::BadQuery("at most 16 regions at once".into()));
    }
    if regions.iter().any(|r| r != HERE) && state.hub.is_none() {
        return Err(ApiError::NoRegions);
    }
    Ok(regions)
}

/// Runs `vetted` here (when `regions` has `here`) and `request` in the other regions at once;
/// each event goes to `events` tagged with its region.
pub async fn run(
    state: &AppState,
    request: RunRequest,
    vetted: Vetted,
    regions: &[String],
    events: Option<UnboundedSender<RegionEvent>>,
) -> RegionsReport {
    let mut side = netcheck_agent::run_regions(
        state.hub.as_deref(),
        request,
        Some(Ok(vetted)),
        &state.registry,
        regions,
        events,
    )
    .await;
    // This server's place, when the operator gave it: where `here`'s route starts.
    for part in side.regions.iter_mut().filter(|p| p.region == HERE) {
        part.agent = state.here.as_deref().cloned();
    }
    side
}

/// One region's event on the stream: its `event:` name, and the engine's event with its region
/// beside it.
pub fn event_data(e: &RegionEvent) -> (&'static str, serde_json::Value) {
    let name = match &e.event {
        Event::Started { .. } => "started",
        Event::Finished { .. } => "finished",
        Event::Ended { .. } => "ended",
    };
    let mut data = serde_json::to_value(&e.event).unwrap_or_default();
    if let Some(fields) = data.as_object_mut() {
        fields.insert("region".into(), e.region.clone().into());
    }
    (name, data)
}

/// `GET /api/v1/regions`: the agents that answer now, by region.
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let hub = state.hub.as_ref().ok_or(ApiError::NoRegions)?;
    let agents: Vec<Presence> = hub
        .agents(Duration::from_millis(750))
        .await
        .map_err(ApiError::Internal)?;
    Ok(Json(agents).into_response())
}
