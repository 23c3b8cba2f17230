// The page: a target in, the API's event stream out, each check's card filled as it finishes,
// then the diagnosis and the map. Everything comes from the report; the page computes no fact.

import { drawMap } from "./map";
import { diagnosisBanner, el, finish, startedCard } from "./render";
import { routeOf } from "./route";
import { readEvents } from "./sse";
import type { CheckReport, Report } from "./generated/report";

const form = document.querySelector<HTMLFormElement>("#check")!;
const input = document.querySelector<HTMLInputElement>("#target")!;
const cards = document.querySelector<HTMLElement>("#cards")!;
const verdict = document.querySelector<HTMLElement>("#diagnosis")!;
const map = document.querySelector<SVGSVGElement>("#map")!;
const mapNote = document.querySelector<HTMLElement>("#map-note")!;
const historyList = document.querySelector<HTMLElement>("#history")!;

function showRoute(report: Report | null): void {
  const route = report ? routeOf(report) : { places: [], unplaced: 0 };
  drawMap(map, route);
  mapNote.textContent = report
    ? `${route.places.length} place(s) on the map` +
      (route.unplaced ? `; ${route.unplaced} address(es) on the way have no public location` : "")
    : "";
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
    await stream(target, controller.signal);
  } catch (e) {
    if (!controller.signal.aborted) failed("network", `The run stopped: ${e}`);
  }
}

async function stream(target: string, signal: AbortSignal): Promise<void> {
  historyList.replaceChildren();
  cards.replaceChildren();
  verdict.replaceChildren();
  verdict.className = "";
  showRoute(null);
  const url = `/api/v1/run?target=${encodeURIComponent(target)}`;
  history.replaceState(null, "", `?target=${encodeURIComponent(target)}`);
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (e) {
    if (!signal.aborted) failed("network", `The netcheck server cannot be reached: ${e}`);
    return;
  }
  if (!response.ok || !response.body) {
    const body = await response.json().catch(() => null);
    const message = body?.error?.message ?? `the server answered ${response.status}`;
    verdict.replaceChildren(el("p", { class: "error", "data-error": body?.error?.code ?? "http" }, message));
    return;
  }
  const byId = new Map<string, HTMLElement>();
  let reported = false;
  let fromStore: { age_s: number; cooldown_s: number } | null = null;
  await readEvents(response.body, (event) => {
    if (signal.aborted) return;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      data = { error: { message: event.data } };
    }
    if (event.name === "started") {
      const card = startedCard(data.id, data.title);
      byId.set(data.id, card);
      cards.append(card);
    } else if (event.name === "finished") {
      const check = data.check as CheckReport;
      const card = byId.get(check.id) ?? startedCard(check.id, check.title);
      if (!card.isConnected) cards.append(card);
      finish(card, check);
    } else if (event.name === "from_store") {
      fromStore = data;
    } else if (event.name === "report") {
      reported = true;
      const report = data as Report;
      verdict.replaceChildren(diagnosisBanner(report));
      if (fromStore) {
        verdict.querySelector(".diagnosis")?.append(
          el("p", { class: "note", "data-from-store": String(fromStore.age_s) }, `From a report made ${fromStore.age_s} s ago: this server checks a host at most once every ${fromStore.cooldown_s} s.`),
        );
      }
      showRoute(report);
    } else if (event.name === "stored") {
      verdict.querySelector(".diagnosis")?.append(
        el("p", { class: "permalink" }, "Permalink: ", el("a", { href: data.permalink, "data-permalink": data.id }, new URL(data.permalink, location.href).href)),
      );
      void showHistory(target);
    } else if (event.name === "not_stored") {
      verdict.querySelector(".diagnosis")?.append(el("p", { class: "note", "data-not-stored": "" }, `Not kept: ${data.message}`));
    } else if (event.name === "error") {
      failed("internal", data?.error?.message ?? event.data);
    }
  });
  if (!reported && !signal.aborted && !verdict.querySelector("[data-error]")) {
    failed("ended", "The run ended before its report arrived: the server stopped or the connection broke.");
  }
}

/** A kept report, shown as it was: no new run. */
async function showStored(id: string): Promise<void> {
  cards.replaceChildren();
  const response = await fetch(`/api/v1/reports/${encodeURIComponent(id)}`);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    verdict.replaceChildren(el("p", { class: "error", "data-error": body?.error?.code ?? "http" }, body?.error?.message ?? `the server answered ${response.status}`));
    return;
  }
  const report = body as Report;
  input.value = report.target.input;
  verdict.replaceChildren(diagnosisBanner(report));
  verdict.querySelector(".diagnosis")?.append(el("p", { class: "note", "data-stored-at": report.started_at }, `Kept report of ${report.started_at}`));
  for (const check of report.checks) {
    const card = startedCard(check.id, check.title);
    cards.append(card);
    finish(card, check);
  }
  showRoute(report);
  void showHistory(report.target.input);
}

/** The target's earlier reports, when the server keeps them. */
async function showHistory(target: string): Promise<void> {
  const response = await fetch(`/api/v1/reports?target=${encodeURIComponent(target)}&limit=10`).catch(() => null);
  if (!response?.ok) {
    historyList.replaceChildren();
    return;
  }
  const { reports } = (await response.json()) as { reports: { id: string; created_at: string; reachability: string; summary: string }[] };
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
