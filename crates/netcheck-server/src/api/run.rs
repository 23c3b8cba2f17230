//! Running a report on request. `GET /api/v1/run?target=…[&only=dns,site]` answers with an
//! event stream (text/event-stream): `started` and `finished` events as the checks start and end
//! (the runner's `Event`, as JSON), then, at the runner's `ended`, one `report` event with the
//! whole report, folded from those same events as a hub would fold a remote run's. `GET
//! /api/v1/report` answers with the report alone, as JSON, when it is done. A client that goes
//! away stops its run: nobody is left to read it.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use netcheck_core::runner::Event;
use netcheck_core::{Registry, Report, ReportBuilder, RunRequest, Target};
use serde::{Deserialize, Serialize};
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use crate::cooldown::Recent;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RunQuery {
    /// A URL, a host name (IDN too), host:port or an IP address.
    target: Option<String>,
    /// Check ids, comma-separated, among those the server runs; all of those when absent.
    only: Option<String>,
    /// Regions to run in at once, comma-separated (`here` is this server): the answer is the
    /// regions side by side. Needs a server started with `--nats`.
    regions: Option<String>,
}

/// A validated request: what to run, and its place among the runs.
struct Plan {
    request: RunRequest,
    permit: OwnedSemaphorePermit,
    /// Empty: a run here, as ever.
    regions: Vec<String>,
}

fn plan(
    state: &AppState,
    query: Result<Query<RunQuery>, QueryRejection>,
) -> Result<Plan, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let text = query.target.ok_or(ApiError::MissingTarget)?;
    let target = Target::parse(&text)?;
    let regions = match &query.regions {
        Some(r) => super::regions::parse(state, r)?,
        None => Vec::new(),
    };
    let mut options = (*state.options).clone();
    if let Some(only) = query.only.filter(|o| !o.trim().is_empty()) {
        let known = state.registry.ids();
        let mut ids = Vec::new();
        for id in only.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if !known.contains(&id) {
                return Err(ApiError::UnknownCheck {
                    id: id.to_owned(),
                    known: known.join(", "),
                });
            }
            // A request narrows the operator's --only, never widens it.
            if !state.options.runs(id) {
                return Err(ApiError::CheckNotOffered {
                    id: id.to_owned(),
                    offered: state.options.checks.join(", "),
                });
            }
            ids.push(id.to_owned());
        }
        if ids.is_empty() {
            return Err(ApiError::BadQuery(format!(
                "only='{only}' names no check; leave it out to run them all"
            )));
        }
        options.checks = ids;
    }
    let permit = state
        .permits
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Busy(state.max_concurrent))?;
    Ok(Plan {
        request: RunRequest::new(target, options),
        permit,
        regions,
    })
}

/// Keeps `report` when the server has a store: where it can be read again, or why it was not
/// kept. A store that fails never costs the caller the report itself.
async fn keep(state: &AppState, report: &Report) -> Option<Result<String, String>> {
    let store = state.store.as_ref()?;
    Some(told(store.save(report).await))
}

/// A save's outcome as the caller is told it: the id, or why not (logged).
fn told(saved: Result<String, crate::store::StoreError>) -> Result<String, String> {
    saved.map_err(|e| {
        tracing::warn!("{e}");
        e.to_string()
    })
}

/// `GET /api/v1/report`: the finished report as JSON; `Location` names its permalink when it
/// was kept. A host reported within the cooldown is answered with that report (`Age`, and
/// `from_store` in the body).
pub async fn report(
    State(state): State<AppState>,
    query: Result<Query<RunQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let plan = plan(&state, query)?;
    // Refused before anything else: a forbidden target is never run, nor remembered.
    let vetted = netcheck_core::runner::vet(plan.request.clone(), state.settings.clone()).await?;
    if !plan.regions.is_empty() {
        refuse_within_cooldown(&state, &plan).await?;
        let report = super::regions::run(&state, plan.request, vetted, &plan.regions, None).await;
        drop(plan.permit);
        let mut headers = HeaderMap::new();
        if let Some(Ok(id)) = keep_regions(&state, &crate::store::new_id(), &report).await
            && let Ok(v) = HeaderValue::from_str(&format!("/api/v1/reports/{id}"))
        {
            headers.insert(header::LOCATION, v);
        }
        return Ok((headers, Json(report)).into_response());
    }
    if let Some(recent) = admit(&state, &plan).await? {
        let mut headers = HeaderMap::new();
        headers.insert(header::AGE, HeaderValue::from(recent.age_s));
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/reports/{}", recent.id)) {
            headers.insert(header::LOCATION, v);
        }
        let note = recent.note(state.cooldown.period());
        let mut body = recent.report;
        if let Some(fields) = body.as_object_mut() {
            fields.insert("from_store".into(), note);
        }
        return Ok((headers, Json(body)).into_response());
    }
    let report = vetted.run(&state.registry, None).await;
    drop(plan.permit);
    let mut headers = HeaderMap::new();
    if let Some(Ok(id)) = keep(&state, &report).await
        && let Ok(v) = HeaderValue::from_str(&format!("/api/v1/reports/{id}"))
    {
        headers.insert(header::LOCATION, v);
    }
    Ok((headers, Json(report)).into_response())
}

/// The cooldown for a run in several regions: a host reported within it is refused (a stored
/// report is of one place, not of the regions asked).
async fn refuse_within_cooldown(state: &AppState, plan: &Plan) -> Result<(), ApiError> {
    match admit(state, plan).await? {
        None => Ok(()),
        Some(recent) => {
            let period = state.cooldown.period().as_secs();
            Err(ApiError::CoolingDown {
                host: plan.request.target.host.clone(),
                started_s: recent.age_s,
                cooldown_s: period,
                retry_after_s: period.saturating_sub(recent.age_s).max(1),
            })
        }
    }
}

/// The cooldown's word on a planned run: `None` to run it, or the recent report to answer with.
async fn admit(state: &AppState, plan: &Plan) -> Result<Option<Recent>, ApiError> {
    state
        .cooldown
        .admit(state.store.as_deref(), &plan.request, &state.registry)
        .await
}

/// A recent report as a stream: `from_store` (its id and age), each check's `finished`, the
/// `report`, and `stored` with its permalink, as a run's stream would end.
fn recent_events(recent: Recent, state: &AppState) -> Vec<Result<SseEvent, Infallible>> {
    let note = recent.note(state.cooldown.period());
    let mut events = vec![json_event("from_store", &note)];
    for check in recent.report["checks"].as_array().into_iter().flatten() {
        events.push(json_event(
            "finished",
            &serde_json::json!({ "event": "finished", "check": check }),
        ));
    }
    events.push(json_event("report", &recent.report));
    events.push(json_event("stored", &note));
    events.into_iter().map(Ok).collect()
}

/// A run in several regions as a stream: `run` (its id, which is also its permalink's, and
/// where any server streams it), each region's events as they arrive (the engine's, with
/// `region` beside them), `regions` (the regions side by side), then `stored` or `not_stored`.
/// With a hub, each event also goes on the bus (`netcheck_agent::runs`) for the other servers.
/// A client that goes away stops the run: nobody is left to read it here, and the followers
/// are told.
fn regions_stream(
    state: AppState,
    plan: Plan,
    vetted: netcheck_core::runner::Vetted,
) -> impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static {
    let (tx, events) = tokio::sync::mpsc::unbounded_channel::<(String, serde_json::Value)>();
    let task = tokio::spawn(async move {
        let _permit = plan.permit;
        let id = crate::store::new_id();
        let mut origin = match &state.hub {
            Some(hub) => {
                let (client, subjects) = hub.client();
                netcheck_agent::runs::Origin::open(client.clone(), subjects, &id)
                    .await
                    .inspect_err(|e| tracing::warn!("the run's stream stays on this server: {e}"))
                    .ok()
            }
            None => None,
        };
        let mut send = async |name: &str, data: serde_json::Value, last: bool| {
            if let Some(o) = origin.as_mut() {
                o.send(name, data.clone(), last).await;
            }
            let _ = tx.send((name.to_owned(), data));
        };
        send("run", serde_json::json!(RunStarted::new(&id)), false).await;
        let (region_tx, mut region_events) = tokio::sync::mpsc::unbounded_channel();
        let run = super::regions::run(&state, plan.request, vetted, &plan.regions, Some(region_tx));
        // The run's senders are gone when it returns: the forwarding ends with its last event.
        let forward = async {
            while let Some(e) = region_events.recv().await {
                let (name, data) = super::regions::event_data(&e);
                send(name, data, false).await;
            }
        };
        let (report, ()) = tokio::join!(run, forward);
        let kept = keep_regions(&state, &id, &report).await;
        let stored = kept.is_some();
        send(
            "regions",
            serde_json::to_value(&report).unwrap_or_default(),
            !stored,
        )
        .await;
        match kept {
            Some(Ok(id)) => send("stored", serde_json::json!(Stored::new(id)), true).await,
            Some(Err(message)) => {
                send("not_stored", serde_json::json!(NotStored { message }), true).await
            }
            None => {}
        }
    });
    struct Abort(JoinHandle<()>);
    impl Drop for Abort {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    futures::stream::unfold((events, Abort(task)), |(mut events, task)| async move {
        let (name, data) = events.recv().await?;
        Some((Ok(json_event(&name, &data)), (events, task)))
    })
}

/// Keeps a run in several regions under its run's id, when the server has a store.
async fn keep_regions(
    state: &AppState,
    id: &str,
    report: &netcheck_agent::RegionsReport,
) -> Option<Result<String, String>> {
    let store = state.store.as_ref()?;
    Some(told(store.save_regions(id, report).await))
}

/// `GET /api/v1/runs/{id}`: a run in several regions, streamed by whichever server is asked:
/// its events from the first while any server runs it (over the bus), else, once it is kept,
/// its `regions` and `stored` from the store.
pub async fn follow(
    State(state): State<AppState>,
    axum::extract::Path(super::reports::ReportId { id }): axum::extract::Path<
        super::reports::ReportId,
    >,
) -> Result<Response, ApiError> {
    if !crate::store::is_id(&id) {
        return Err(ApiError::BadId(id));
    }
    if let Some(hub) = &state.hub {
        let (client, subjects) = hub.client();
        let follower = netcheck_agent::runs::Follower::new(client.clone(), subjects.clone());
        if let Some(frames) = follower.follow(&id).await.map_err(ApiError::Internal)? {
            let (store, id) = (state.store.clone(), id.clone());
            let events = frames.filter_map(move |f| {
                let (store, id) = (store.clone(), id.clone());
                async move {
                    if !f.too_big {
                        return Some(Ok(json_event(&f.event, &f.data)));
                    }
                    // Too large for the bus: the regions are read where they were kept before
                    // they were sent; a region's event that large is left out (the regions
                    // carry it).
                    if f.event != "regions" {
                        return None;
                    }
                    let kept = match store {
                        Some(store) => store.load(&id).await.ok().flatten(),
                        None => None,
                    };
                    Some(Ok(match kept {
                        Some(regions) => json_event("regions", &regions),
                        None => json_event(
                            "error",
                            &ApiError::Internal("the run's regions cannot be read".into()).body(),
                        ),
                    }))
                }
            });
            return Ok(sse(events));
        }
    }
    let store = state.store.as_ref().ok_or(ApiError::NotFound(id.clone()))?;
    let kept = store
        .load(&id)
        .await?
        .ok_or(ApiError::NotFound(id.clone()))?;
    if kept.get("regions").is_none() {
        // A single report is read at /api/v1/reports/{id}.
        return Err(ApiError::NotFound(id));
    }
    let events = [
        Ok(json_event("run", &RunStarted::new(&id))),
        Ok(json_event("regions", &kept)),
        Ok(json_event("stored", &Stored::new(id))),
    ];
    Ok(sse(futures::stream::iter(events)))
}

/// The run behind one stream; aborted when the stream is dropped (the client went away).
struct Running {
    events: UnboundedReceiver<Event>,
    task: Option<JoinHandle<Report>>,
    /// The report as the events so far make it.
    fold: ReportBuilder,
    registry: Arc<Registry>,
    /// Whether the report went out.
    reported: bool,
    /// The finished report, still to be kept once it has gone out.
    to_keep: Option<Report>,
    state: AppState,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl Running {
    /// The `report` event, and the report to keep when the server keeps them.
    fn report(&mut self, report: Report) -> SseEvent {
        self.reported = true;
        let event = json_event("report", &report);
        if self.state.store.is_some() {
            self.to_keep = Some(report);
        }
        event
    }
}

/// `GET /api/v1/run`: the events as they happen, then the report; a recent report's events
/// when the host is within its cooldown.
pub async fn stream(
    State(state): State<AppState>,
    query: Result<Query<RunQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let plan = plan(&state, query)?;
    // Refused before the stream starts, so the refusal is a 403 and not an event; before the
    // cooldown, so a forbidden target is never remembered as run.
    let vetted = netcheck_core::runner::vet(plan.request.clone(), state.settings.clone()).await?;
    if !plan.regions.is_empty() {
        refuse_within_cooldown(&state, &plan).await?;
        return Ok(sse(regions_stream(state, plan, vetted)));
    }
    if let Some(recent) = admit(&state, &plan).await? {
        let events = futures::stream::iter(recent_events(recent, &state));
        return Ok(sse(events));
    }
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let fold = ReportBuilder::new(plan.request.target.clone());
    let task = tokio::spawn({
        let registry = state.registry.clone();
        let permit = plan.permit;
        async move {
            let _permit = permit;
            vetted.run(&registry, Some(tx)).await
        }
    });
    let running = Running {
        events,
        task: Some(task),
        fold,
        registry: state.registry.clone(),
        reported: false,
        to_keep: None,
        state,
    };
    let stream = futures::stream::unfold(running, |mut running| async move {
        if let Some(report) = running.to_keep.take() {
            // Kept by a task of its own, so a client that leaves now does not lose it.
            let state = running.state.clone();
            let kept = tokio::spawn(async move { keep(&state, &report).await }).await;
            let event = match kept {
                Ok(Some(Ok(id))) => json_event("stored", &Stored::new(id)),
                Ok(Some(Err(message))) => json_event("not_stored", &NotStored { message }),
                Ok(None) => return None,
                Err(e) => json_event(
                    "not_stored",
                    &NotStored {
                        message: e.to_string(),
                    },
                ),
            };
            return Some((Ok::<_, Infallible>(event), running));
        }
        if let Some(event) = running.events.recv().await {
            running.fold.apply(&event);
            let sent = match &event {
                Event::Started { .. } => json_event("started", &event),
                Event::Finished { .. } => json_event("finished", &event),
                // The stream's last word is the report those events make.
                Event::Ended { .. } => {
                    let report = running.fold.report(&running.registry);
                    running.report(report)
                }
            };
            return Some((Ok(sent), running));
        }
        // The runner dropped its sender: it is done (or the run died).
        let task = running.task.take()?;
        if running.reported {
            return None;
        }
        let event = match task.await {
            // A run that returned without its last event: its own report.
            Ok(report) => running.report(report),
            Err(e) => json_event("error", &ApiError::Internal(e.to_string()).body()),
        };
        Some((Ok(event), running))
    });
    Ok(sse(stream))
}

fn sse(stream: impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static) -> Response {
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The `stored` event: where the report was kept.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Stored {
    pub id: String,
    /// `/api/v1/reports/ID`
    pub api: String,
    /// `/?report=ID`, the web UI's page of the kept report.
    pub permalink: String,
}

impl Stored {
    fn new(id: String) -> Stored {
        Stored {
            api: format!("/api/v1/reports/{id}"),
            permalink: format!("/?report={id}"),
            id,
        }
    }
}

/// The `run` event, first on a run in several regions: its id, and where any server streams it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RunStarted {
    /// Also the id it is kept under when it ends.
    pub id: String,
    /// `/api/v1/runs/ID`: this run's stream, from any server of the deployment.
    pub stream: String,
}

impl RunStarted {
    fn new(id: &str) -> RunStarted {
        RunStarted {
            id: id.to_owned(),
            stream: format!("/api/v1/runs/{id}"),
        }
    }
}

/// The `not_stored` event: why the report was not kept (it was sent all the same).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NotStored {
    pub message: String,
}

/// The `data` of one event of the stream, by its `event:` name: `started` and `finished` (the
/// runner's events), `report`, then `stored` or `not_stored`; `error` only if the run broke.
/// With `regions=`: each region's events with `region` beside them, then `regions`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum StreamData {
    Event(Event),
    RegionEvent(RegionEventData),
    Report(Box<Report>),
    Regions(Box<netcheck_agent::RegionsReport>),
    Run(RunStarted),
    Stored(Stored),
    NotStored(NotStored),
    Error(crate::error::ErrorBody),
}

/// One region's event on the stream: the engine's event, and the region it came from.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[allow(dead_code)]
pub struct RegionEventData {
    pub region: String,
    #[serde(flatten)]
    pub event: Event,
}

/// What `/api/v1/report` answers: the report, or with `regions=` the regions side by side.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ReportAnswer {
    Report(Box<Report>),
    Regions(Box<netcheck_agent::RegionsReport>),
}

/// The stream's 200: `text/event-stream`, each event's data one of [`StreamData`].
pub fn stream_docs(
    mut op: aide::transform::TransformOperation<'_>,
) -> aide::transform::TransformOperation<'_> {
    let schema = aide::generate::in_context(|ctx| ctx.schema.subschema_for::<StreamData>());
    let responses = op
        .inner_mut()
        .responses
        .get_or_insert_with(Default::default);
    responses.responses.insert(
        aide::openapi::StatusCode::Code(200),
        aide::openapi::ReferenceOr::Item(super::openapi::response(
            "Server-Sent Events: `started` and `finished` as the checks run, then `report`, \
             then `stored` or `not_stored`; with `regions=`, each region's `started`, \
             `finished` and `ended` (with `region`), then `regions`. Each event's `data` is \
             JSON."
                .into(),
            "text/event-stream",
            schema,
        )),
    );
    op
}

fn json_event(name: &str, data: &impl serde::Serialize) -> SseEvent {
    SseEvent::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|e| {
            let body = ApiError::Internal(e.to_string()).body();
            SseEvent::default().event("error").data(body.to_string())
        })
}
