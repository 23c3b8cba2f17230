//! The routes: `/api/v1/…` and `/healthz`, each declared with its documentation (aide), so the
//! OpenAPI document (`openapi.rs`) lists exactly what is routed. One small file per concern.

mod checks;
mod config;
mod openapi;
mod regions;
mod reports;
mod run;
mod share;

use std::sync::Arc;

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};
use axum::{Extension, Json, Router};

use crate::AppState;
use crate::error::ErrorCode as E;

pub use openapi::document as openapi;

pub fn routes(state: AppState) -> Router {
    let mut unused = aide::openapi::OpenApi::default();
    let doc = Arc::new(openapi::document());
    documented_with(state.can_share(), Some(state.limiter.clone()))
        .finish_api(&mut unused)
        .layer(Extension(doc))
        .with_state(state)
}

/// Every route and its documentation; the share only when `share`.
fn documented(share: bool) -> ApiRouter<AppState> {
    documented_with(share, None)
}

fn documented_with(
    share: bool,
    limiter: Option<Arc<crate::abuse::Limiter>>,
) -> ApiRouter<AppState> {
    // What makes the server probe something is limited per client.
    let mut runs = ApiRouter::new()
        .api_route(
            "/api/v1/run",
            get_with(run::stream, |op| {
                run::stream_docs(op)
                    .summary("Run the checks, streaming each as it ends")
                    .with(|op| {
                        openapi::errors(
                            op,
                            &[E::MissingTarget, E::BadQuery, E::BadTarget, E::ForbiddenTarget, E::UnknownCheck, E::CheckNotOffered, E::NoRegions, E::Busy, E::RateLimited, E::CoolingDown, E::BadApiKey],
                        )
                    })
            }),
        )
        .api_route(
            "/api/v1/report",
            get_with(run::report, |op| {
                op.summary("Run the checks and answer with the report")
                    .response_with::<200, Json<run::ReportAnswer>, _>(|r| {
                        r.description("The report; `Location` names its permalink's API address when it was kept. With `regions=`, the regions side by side.")
                    })
                    .with(|op| {
                        openapi::errors(
                            op,
                            &[E::MissingTarget, E::BadQuery, E::BadTarget, E::ForbiddenTarget, E::UnknownCheck, E::CheckNotOffered, E::NoRegions, E::Busy, E::RateLimited, E::CoolingDown, E::BadApiKey],
                        )
                    })
            }),
        );
    if let Some(limiter) = limiter {
        runs = runs.route_layer(axum::middleware::from_fn_with_state(
            limiter,
            crate::abuse::per_client,
        ));
    }
    let mut router = ApiRouter::new();
    if share {
        router = router.api_route(
            "/api/v1/reports/{id}/share",
            post_with(share::share, |op| {
                op.summary("Mail a kept report to one address")
                    .description(
                        "Only where the server has an SMTP relay and a store (GET /api/v1/config \
                         says `share_by_mail`); 404 elsewhere. 5 an hour per client address and \
                         per recipient.",
                    )
                    .with(|op| {
                        openapi::errors(
                            op,
                            &[
                                E::BadId,
                                E::BadBody,
                                E::BadRecipient,
                                E::NotFound,
                                E::RateLimited,
                                E::MailFailed,
                                E::StorageUnavailable,
                                E::Internal,
                            ],
                        )
                    })
            }),
        );
    }
    router
        .api_route(
            "/api/v1/config",
            get_with(config::features, |op| {
                op.summary("What this server offers beyond runs")
            }),
        )
        .api_route(
            "/api/v1/checks",
            get_with(checks::list, |op| op.summary("The checks, in report order")),
        )
        .api_route(
            "/api/v1/regions",
            get_with(regions::list, |op| {
                op.summary("The agents alive now, by region (with --nats)")
                    .response_with::<200, Json<Vec<netcheck_agent::Presence>>, _>(|r| {
                        r.description("Every agent that answered discovery within 750 ms.")
                    })
                    .with(|op| openapi::errors(op, &[E::NoRegions, E::Internal]))
            }),
        )
        .api_route(
            "/api/v1/runs/{id}",
            get_with(run::follow, |op| {
                run::stream_docs(op)
                    .summary("Stream a run in several regions, from any server")
                    .description(
                        "The events of a run started with `regions=` (its `run` event names this \
                         address), from the first, on whichever server of the deployment is \
                         asked: live while any server runs it (they share the NATS broker), \
                         then from the store (`run`, `regions`, `stored`).",
                    )
                    .with(|op| {
                        openapi::errors(
                            op,
                            &[E::BadId, E::NotFound, E::StorageUnavailable, E::Internal],
                        )
                    })
            }),
        )
        .api_route(
            "/api/v1/schema",
            get_with(checks::schema, |op| {
                op.summary("The JSON Schema of the report and of the events")
            }),
        )
        .api_route(
            "/api/v1/openapi.json",
            get_with(openapi::serve, |op| op.summary("This document")),
        )
        .merge(runs)
        .api_route(
            "/api/v1/reports",
            get_with(reports::history, |op| {
                op.summary("The kept reports, newest first (with --public-history)")
                    .with(|op| {
                        openapi::errors(
                            op,
                            &[
                                E::NoStorage,
                                E::HistoryNotPublic,
                                E::BadQuery,
                                E::BadTarget,
                                E::StorageUnavailable,
                            ],
                        )
                    })
            }),
        )
        .api_route(
            "/api/v1/reports/{id}",
            get_with(reports::one, |op| {
                op.summary("A kept report, as it was stored (the permalink's data)")
                    .with(|op| {
                        openapi::errors(
                            op,
                            &[E::NoStorage, E::BadId, E::NotFound, E::StorageUnavailable],
                        )
                    })
            }),
        )
        .api_route(
            "/healthz",
            get_with(
                || async { "ok\n" },
                |op| op.summary("`ok` while the server runs"),
            ),
        )
}
