// The regions side by side (a run with `regions=`): the verdict across them on top, with what
// they disagree on, then a column per region with the facts a person compares — outcome, agent,
// status, A/AAAA answers, timings, certificate, hops (each with its best round trip). Each column fills as its region's events
// arrive (folded by region, as the single run's cards are) and is drawn again, whole, from the
// `regions` event. The verdict and the differences are the server's; nothing is judged here.
// Every string from a report is set as text (`el`), never as HTML.

import type { CheckReport, Difference, RegionEvent, RegionOutcome, RegionReport, RegionsReport } from "./api";
import { COLOURS } from "./map";
import { el } from "./dom";
import type { Route } from "./route";

/** One fact of a region's column; `fact` names it as `differences` does, when it can differ. */
export interface RegionFact {
  label: string;
  value: string;
  fact?: string;
}

const ms = (v: number | null | undefined): string => (typeof v === "number" ? `${v.toFixed(1)} ms` : "—");

/** The facts of a region's column, from the checks it has reported so far. */
export function regionFacts(checks: CheckReport[]): RegionFact[] {
  const out: RegionFact[] = [];
  for (const check of checks) {
    const d = check.data;
    if (!d) continue;
    if (d.kind === "site") {
      const status = d.status ? String(d.status) : `no answer${check.error ? `: ${check.error}` : ""}`;
      out.push(
        { label: "status", value: status, fact: "status" },
        { label: "connect", value: ms(d.timings.connect_ms), fact: "connect_ms" },
        { label: "TLS", value: ms(d.timings.tls_ms) },
        { label: "first byte", value: ms(d.timings.first_byte_ms), fact: "first_byte_ms" },
      );
    } else if (d.kind === "dns") {
      for (const type of ["A", "AAAA"]) {
        const lookup = d.lookups.find((l) => l.record_type === type && l.name === d.name);
        if (!lookup) continue;
        const addresses = lookup.records.flatMap((r) => (r.type === "A" || r.type === "AAAA" ? [r.address] : []));
        out.push({ label: type, value: addresses.join("\n") || `none (${lookup.outcome.replace("_", " ")})`, fact: "addresses" });
      }
    } else if (d.kind === "tls") {
      const leaf = d.chain[0];
      if (leaf) out.push({ label: "certificate", value: `${leaf.subject}\nsha256 ${leaf.sha256_fingerprint}`, fact: "certificate" });
      if (d.verdict) out.push({ label: "verdict", value: `${d.verdict.replaceAll("_", " ")}${d.verdict_detail ? ` — ${d.verdict_detail}` : ""}` });
    } else if (d.kind === "ping") {
      out.push({ label: "loss", value: d.targets.map((t) => `${t.address} ${t.loss_percent.toFixed(0)}%`).join("\n"), fact: "loss" });
    } else if (d.kind === "traceroute") {
      const trace = d.targets[0];
      if (trace) out.push({ label: "hops", value: trace.hops.map(hopLine).join("\n") || "none", fact: "last_hop" });
    }
  }
  return out;
}

/** A hop in a column: its first router and its best round trip (the card has them all). */
function hopLine(h: { ttl: number; addresses: string[]; rtts_ms: (number | null)[]; silent: boolean }): string {
  const rtts = h.rtts_ms.filter((r): r is number => typeof r === "number");
  if (h.silent || !h.addresses[0]) return `${h.ttl} *`;
  return `${h.ttl} ${h.addresses[0]}${h.addresses.length > 1 ? ` +${h.addresses.length - 1}` : ""}${rtts.length ? ` ${Math.min(...rtts).toFixed(2)}\u00a0ms` : " *"}`;
}

const FACT_WORDS: Record<string, string> = {
  addresses: "A/AAAA answers",
  certificate: "certificate",
  status: "status",
  connect_ms: "connect time",
  first_byte_ms: "first byte time",
  loss: "loss",
  last_hop: "last hop",
};

/** A difference in words: `status: here 200 · seoul 503`. */
export function differenceLine(d: Difference): string {
  return `${FACT_WORDS[d.fact] ?? d.fact}: ${d.values.map(([region, value]) => `${region} ${value}`).join(" · ")}`;
}

const VERDICT_WORDS: Record<RegionsReport["verdict"]["kind"], [string, string]> = {
  reachable_everywhere: ["Reachable everywhere", "reachable"],
  down_everywhere: ["Down everywhere", "unreachable"],
  down_from_some: ["Down from some regions", "degraded"],
  inconclusive: ["Inconclusive", "unknown"],
};

/** The verdict across the regions, its `down_from` named, and the differences. */
export function regionsBanner(report: RegionsReport): HTMLElement {
  const v = report.verdict;
  const [words, tone] = VERDICT_WORDS[v.kind] ?? [v.kind, "unknown"];
  const banner = el(
    "section",
    { class: `diagnosis ${tone}`, "data-diagnosis": tone, "data-regions-verdict": v.kind },
    el("p", { class: "summary" }, el("span", { class: "badge" }, words), " ", v.summary),
  );
  if (v.down_from?.length) banner.append(el("p", { "data-down-from": v.down_from.join(",") }, `Down from: ${v.down_from.join(", ")}`));
  const differences = report.differences ?? [];
  if (differences.length) {
    banner.append(
      el("p", { class: "note" }, "Where the regions differ:"),
      el("ul", { class: "differences" }, ...differences.map((d) => el("li", { "data-difference": d.fact }, differenceLine(d)))),
    );
  }
  banner.append(el("p", { class: "note" }, `${report.regions.length} region(s) · ${report.target.input}`));
  return banner;
}

/** What a column shows of its region: what has arrived, and how it ended once it has. */
interface Column {
  region: string;
  outcome: RegionOutcome | "waiting" | "running";
  reason?: string;
  agent?: RegionReport["agent"];
  checks: CheckReport[];
  running: { id: string; title: string }[];
}

function column(c: Column, colour: number, differing: Set<string>): HTMLElement {
  // `here` is the server itself; its `agent`, when the operator gave its place, says where.
  const who = c.region === "here" ? "this server" : c.agent?.name;
  const agent = c.agent
    ? [who, c.agent.location].filter(Boolean).join(" · ") + ` · netcheck ${c.agent.netcheck_version}`
    : c.region === "here" ? "this server" : "";
  const facts = regionFacts(c.checks);
  const states = [
    ...c.checks.map((k) => el("li", { class: k.status, "data-check": k.id, "data-status": k.status }, `${k.id} ${k.status.replace("_", " ")}`)),
    ...c.running.map((k) => el("li", { class: "running", "data-check": k.id, "data-status": "running" }, `${k.id} …`)),
  ];
  return el(
    "section",
    { class: `region c${colour % COLOURS} ${c.outcome}`, "data-region": c.region, "data-outcome": c.outcome },
    el("h2", {}, el("span", { class: "swatch" }), ` ${c.region} `, el("span", { class: "badge" }, c.outcome.replaceAll("_", " "))),
    ...(c.reason ? [el("p", { class: "reason" }, c.reason)] : []),
    ...(agent ? [el("p", { class: "note agent" }, agent)] : []),
    ...(states.length ? [el("ul", { class: "checks" }, ...states)] : []),
    el(
      "dl",
      { class: "region-facts" },
      ...facts.flatMap((f) => {
        const differs: Record<string, string> = f.fact !== undefined && differing.has(f.fact) ? { "data-differs": "" } : {};
        return [el("dt", differs, f.label), el("dd", differs, f.value)];
      }),
    ),
  );
}

/** The regions' columns in `into`, filled live by `event` and drawn whole by `done`. */
export class RegionsView {
  private columns = new Map<string, Column>();

  constructor(private into: HTMLElement, regions: string[]) {
    for (const region of regions) this.columns.set(region, { region, outcome: "waiting", checks: [], running: [] });
    this.draw(new Set());
  }

  /** A region's `started`, `finished` or `ended` event. */
  event(e: RegionEvent): void {
    let c = this.columns.get(e.region);
    if (!c) {
      c = { region: e.region, outcome: "waiting", checks: [], running: [] };
      this.columns.set(e.region, c);
    }
    if (e.event === "started") {
      c.outcome = "running";
      c.running.push({ id: e.id, title: e.title });
    } else if (e.event === "finished") {
      c.outcome = "running";
      c.running = c.running.filter((k) => k.id !== e.check.id);
      c.checks = [...c.checks.filter((k) => k.id !== e.check.id), e.check];
    }
    this.draw(new Set());
  }

  /** The regions side by side, as the server made them. */
  done(report: RegionsReport): void {
    this.columns.clear();
    for (const part of report.regions) {
      this.columns.set(part.region, {
        region: part.region,
        outcome: part.outcome,
        reason: part.reason,
        agent: part.agent,
        checks: part.report?.checks ?? [],
        running: [],
      });
    }
    this.draw(new Set((report.differences ?? []).map((d) => d.fact)));
  }

  private draw(differing: Set<string>): void {
    this.into.replaceChildren(el("div", { class: "regions" }, ...[...this.columns.values()].map((c, i) => column(c, i, differing))));
  }
}

/** The map's legend: each region's colour, and how much of its route has a place. */
export function mapLegend(routes: { region: string; route: Route }[]): HTMLElement[] {
  return routes.map(({ region, route }, i) =>
    el(
      "li",
      { class: `c${i % COLOURS}`, "data-legend": region },
      el("span", { class: "swatch" }),
      ` ${region} `,
      el("small", {}, route.places.length ? `${route.places.length} place(s)` : "no place on the map"),
    ),
  );
}
