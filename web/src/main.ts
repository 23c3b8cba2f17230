// The page: a target in, the API's event stream out, each check's card filled as it finishes,
// then the diagnosis and the map; or, with regions chosen, a column per region filled as its
// events arrive, then the verdict across them and a route per region on the map. Everything
// comes from the report; the page computes no fact.

import { el } from "./dom";
import { drawMap, drawRegionsMap } from "./map";
import { regionChoice } from "./picker";
import { mapLegend, regionsBanner, RegionsView } from "./regions";
import { diagnosisBanner, finish, startedCard } from "./render";
import { regionRouteOf, routeOf } from "./route";
import { readEvents } from "./sse";
import { serverFeatures, shareBox } from "./share";
import {
  errorOf,
  isRegionsReport,
  type CheckReport,
  type ErrorBody,
  type Event,
  type History,
  type NotStored,
  type RegionEvent,
  type RegionsReport,
  type Report,
  type Stored,
} from "./api";

const form = document.querySelector<HTMLFormElement>("#check")!;
const input = document.querySelector<HTMLInputElement>("#target")!;
const cards = document.querySelector<HTMLElement>("#cards")!;
const verdict = document.querySelector<HTMLElement>("#diagnosis")!;
const map = document.querySelector<SVGSVGElement>("#map")!;
const mapNote = document.querySelector<HTMLElement>("#map-note")!;
const mapLegendList = document.querySelector<HTMLElement>("#map-legend")!;
const historyList = document.querySelector<HTMLElement>("#history")!;

function showRoute(report: Report | null): void {
  const route = report ? routeOf(report) : { places: [], unplaced: 0 };
  drawMap(map, route);
  mapLegendList.replaceChildren();
  mapNote.textContent = report
    ? `${route.places.length} place(s) on the map` +
      (route.unplaced ? `; ${route.unplaced} address(es) on the way have no public location` : "")
    : "";
}

/** Each region's route in its colour, from its agent's place to the target, and the legend. */
function showRegionsRoute(report: RegionsReport): void {
  const routes = report.regions.map((part) => ({ region: part.region, route: regionRouteOf(part) }));
  drawRegionsMap(map, routes);
  mapLegendList.replaceChildren(...mapLegend(routes));
  const unplaced = routes.reduce((n, r) => n + r.route.unplaced, 0);
  mapNote.textContent =
    `${routes.filter((r) => r.route.places.length).length} of ${routes.length} region(s) on the map` +
    (unplaced ? `; ${unplaced} address(es) on the way have no public location` : "");
}

/** The regions this server runs in, when it runs any; asked once, as the page opens. */
const choice = regionChoice(
  document.querySelector<HTMLElement>("#regions")!,
  (new URLSearchParams(location.search).get("regions") ?? "").split(",").filter(Boolean),
);

/** What the server offers beyond runs, asked once. */
const features = serverFeatures();

/** The link, mailto: and (where the server mails) the e-mail form of kept report `id`. */
async function offerShare(id: string, report: Report): Promise<void> {
  const permalink = new URL(`/?report=${encodeURIComponent(id)}`, location.href).href;
  verdict.querySelector(".diagnosis")?.append(shareBox(id, report, permalink, await features));
}

/** The run on screen; a new one stops it, so two streams never write into one page. */
let current: AbortController | null = null;

function failed(code: string, message: string): void {
  verdict.replaceChildren(el("p", { class: "error", "data-error": code }, message));
}

async function run(target: string): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  try {
    const regions = (await choice)?.() ?? [];
    await stream(target, regions, controller.signal);
  } catch (e) {
    if (!controller.signal.aborted) failed("network", `The run stopped: ${e}`);
  }
}

/** The run of `target`, in `regions` side by side when there are any, shown as it streams. */
async function stream(target: string, regions: string[], signal: AbortSignal): Promise<void> {
  historyList.replaceChildren();
  cards.replaceChildren();
  verdict.replaceChildren();
  verdict.className = "";
  showRoute(null);
  const query = `?target=${encodeURIComponent(target)}` + (regions.length ? `&regions=${encodeURIComponent(regions.join(","))}` : "");
  const url = `/api/v1/run${query}`;
  history.replaceState(null, "", query);
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (e) {
    if (!signal.aborted) failed("network", `The netcheck server cannot be reached: ${e}`);
    return;
  }
  if (!response.ok || !response.body) {
    const { code, message } = errorOf(response.status, await response.json().catch(() => null));
    failed(code, message);
    return;
  }
  const byId = new Map<string, HTMLElement>();
  const live = regions.length ? new RegionsView(cards, regions) : null;
  if (live) verdict.replaceChildren(el("p", { class: "note", "data-regions-running": "" }, `Running in ${regions.join(", ")}…`));
  let reported: Report | null = null;
  let sideBySide: RegionsReport | null = null;
  let fromStore: { age_s: number; cooldown_s: number } | null = null;
  await readEvents(response.body, (event) => {
    if (signal.aborted) return;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      data = { error: { message: event.data } };
    }
    if (live && (event.name === "started" || event.name === "finished" || event.name === "ended")) {
      live.event(data as RegionEvent);
    } else if (event.name === "regions") {
      sideBySide = data as RegionsReport;
      live?.done(sideBySide);
      verdict.replaceChildren(regionsBanner(sideBySide));
      showRegionsRoute(sideBySide);
    } else if (event.name === "started") {
      const started = data as Extract<Event, { event: "started" }>;
      const card = startedCard(started.id, started.title);
      byId.set(started.id, card);
      cards.append(card);
    } else if (event.name === "finished") {
      const check = (data as Extract<Event, { event: "finished" }>).check as CheckReport;
      const card = byId.get(check.id) ?? startedCard(check.id, check.title);
      if (!card.isConnected) cards.append(card);
      finish(card, check);
    } else if (event.name === "from_store") {
      fromStore = data;
    } else if (event.name === "report") {
      const report = data as Report;
      reported = report;
      verdict.replaceChildren(diagnosisBanner(report));
      if (fromStore) {
        verdict.querySelector(".diagnosis")?.append(
          el("p", { class: "note", "data-from-store": String(fromStore.age_s) }, `From a report made ${fromStore.age_s} s ago: this server checks a host at most once every ${fromStore.cooldown_s} s.`),
        );
      }
      showRoute(report);
    } else if (event.name === "stored") {
      const stored = data as Stored;
      verdict.querySelector(".diagnosis")?.append(
        el("p", { class: "permalink" }, "Permalink: ", el("a", { href: stored.permalink, "data-permalink": stored.id }, new URL(stored.permalink, location.href).href)),
      );
      if (reported) void offerShare(stored.id, reported);
      void showHistory(target);
    } else if (event.name === "not_stored") {
      verdict.querySelector(".diagnosis")?.append(el("p", { class: "note", "data-not-stored": "" }, `Not kept: ${(data as NotStored).message}`));
    } else if (event.name === "error") {
      failed("internal", (data as Partial<ErrorBody>)?.error?.message ?? event.data);
    }
  });
  // Events this page does not know (a newer server's, such as a run's `run` id) pass by.
  if (!reported && !sideBySide && !signal.aborted && !verdict.querySelector("[data-error]")) {
    failed("ended", "The run ended before its report arrived: the server stopped or the connection broke.");
  }
}

/** A kept report, shown as it was: no new run. */
async function showStored(id: string): Promise<void> {
  cards.replaceChildren();
  const response = await fetch(`/api/v1/reports/${encodeURIComponent(id)}`);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const { code, message } = errorOf(response.status, body);
    failed(code, message);
    return;
  }
  if (isRegionsReport(body as Report | RegionsReport)) {
    showStoredRegions(body as RegionsReport);
    return;
  }
  const report = body as Report;
  input.value = report.target.input;
  verdict.replaceChildren(diagnosisBanner(report));
  verdict.querySelector(".diagnosis")?.append(el("p", { class: "note", "data-stored-at": report.started_at }, `Kept report of ${report.started_at}`));
  void offerShare(id, report);
  for (const check of report.checks) {
    const card = startedCard(check.id, check.title);
    cards.append(card);
    finish(card, check);
  }
  showRoute(report);
  void showHistory(report.target.input);
}

/** A kept run of several regions, shown as it was. */
function showStoredRegions(report: RegionsReport): void {
  input.value = report.target.input;
  verdict.replaceChildren(regionsBanner(report));
  verdict.querySelector(".diagnosis")?.append(el("p", { class: "note", "data-stored-regions": "" }, "Kept report of several regions"));
  new RegionsView(cards, []).done(report);
  showRegionsRoute(report);
  void showHistory(report.target.input);
}

/** The target's earlier reports, when the server keeps them. */
async function showHistory(target: string): Promise<void> {
  // A server that does not list its reports would answer 403: not asked.
  if (!(await features).public_history) {
    historyList.replaceChildren();
    return;
  }
  const response = await fetch(`/api/v1/reports?target=${encodeURIComponent(target)}&limit=10`).catch(() => null);
  if (!response?.ok) {
    historyList.replaceChildren();
    return;
  }
  const { reports } = (await response.json()) as History;
  historyList.replaceChildren(
    ...(reports.length ? [el("h2", {}, "History")] : []),
    ...reports.map((r) => el("p", { class: `past ${r.reachability}` }, el("a", { href: `/?report=${r.id}`, "data-history": r.id }, r.created_at), ` ${r.reachability} · ${r.summary}`)),
  );
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const target = input.value.trim();
  if (target) void run(target);
});

showRoute(null);
const query = new URLSearchParams(location.search);
const stored = query.get("report");
const initial = query.get("target");
if (stored) {
  void showStored(stored);
} else if (initial) {
  input.value = initial;
  // A link from another site fills the form but does not run: a page elsewhere must not make
  // this server probe targets of its choosing in a visitor's name. Our own links run.
  const fromHere = document.referrer !== "" && new URL(document.referrer).origin === location.origin;
  if (fromHere) {
    void run(initial);
  } else {
    verdict.replaceChildren(el("p", { class: "note", "data-waiting": "" }, `Press Check to run the checks on ${initial}.`));
  }
}
