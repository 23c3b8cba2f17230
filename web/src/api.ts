// The page's side of the API: the types of the server's OpenAPI document (api.gen.ts, generated
// from docs/openapi.json) under the names the page uses, and the reading of an error answer.
// Nothing here is written by hand that the document already says.

import type { components, paths } from "./api.gen";

type Schemas = components["schemas"];

/** The report, and its parts the page draws. */
export type Report = Schemas["Report"];
export type CheckReport = Schemas["CheckReport"];
/** The `tls_scan` section: the versions and suites a server accepts, and their grade. */
export type TlsScanReport = Schemas["TlsScanReport"];
export type ProtocolScan = Schemas["ProtocolScan"];
export type SuiteSeen = Schemas["SuiteSeen"];
export type ExtensionsSeen = Schemas["ExtensionsSeen"];
/** The runner's events (`started`, `finished`, `ended`), the stream's first events' data. */
export type Event = Schemas["Event"];
export type ServerFeatures = Schemas["ServerFeatures"];
export type ShareRequest = Schemas["ShareRequest"];
export type Shared = Schemas["Shared"];
export type ErrorBody = Schemas["ErrorBody"];
export type ErrorCode = Schemas["ErrorCode"];
export type History = paths["/api/v1/reports"]["get"]["responses"][200]["content"]["application/json"];
/** The `stored` and `not_stored` events' data. */
export type Stored = Schemas["Stored"];
export type NotStored = Schemas["NotStored"];

/** A run in several regions (`regions=`): the regions side by side, and their parts. */
export type RegionsReport = Schemas["RegionsReport"];
export type RegionReport = Schemas["RegionReport"];
export type RegionOutcome = Schemas["Outcome2"];
export type RegionsVerdict = Schemas["Verdict2"];
export type Difference = Schemas["Difference"];
export type AgentInfo = Schemas["AgentInfo"];
/** A region's `started`, `finished` or `ended` event: the runner's, with `region` beside it. */
export type RegionEvent = Schemas["RegionEventData"];
/** An agent that answers now (`GET /api/v1/regions`). */
export type Presence = Schemas["Presence"];

/** Whether a kept report (`GET /api/v1/reports/ID`) is of several regions rather than one. */
export function isRegionsReport(body: Report | RegionsReport): body is RegionsReport {
  return Array.isArray((body as Partial<RegionsReport>).regions) && typeof (body as Partial<RegionsReport>).verdict === "object";
}

/** The code and the words of a failed answer, whatever came back. */
export function errorOf(status: number, body: unknown): { code: ErrorCode | "http"; message: string } {
  const error = (body as Partial<ErrorBody> | null)?.error;
  return error?.code && error.message ? { code: error.code, message: error.message } : { code: "http", message: `the server answered ${status}` };
}
