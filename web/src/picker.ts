// Choosing where a run goes: a server started with --nats lists the agents alive at
// GET /api/v1/regions, and the page offers their regions, and `here` (the server itself), as
// checkboxes, all ticked unless the page's address named some. A server without regions
// answers 404 `no_regions`: nothing is shown and the run is the single one it always was.

import type { Presence } from "./api";
import { el } from "./dom";

/** The regions alive, `here` first, then by name; each with where its agents say they are. */
export function regionsAlive(agents: Presence[]): { region: string; where: string }[] {
  const where = new Map<string, Set<string>>();
  for (const { agent } of agents) {
    const places = where.get(agent.region) ?? new Set<string>();
    if (agent.location) places.add(agent.location);
    where.set(agent.region, places);
  }
  where.delete("here");
  const names = [...where.keys()].sort();
  return [
    { region: "here", where: "this server" },
    ...names.map((region) => ({ region, where: [...(where.get(region) ?? [])].join(", ") })),
  ];
}

/** The regions ticked, in the order shown. */
export type Chosen = () => string[];

/**
 * Asks the server for its regions and fills `box` with them, ticking those of `wanted` (all
 * when it is empty); null, `box` left hidden, when the server runs no regions.
 */
export async function regionChoice(box: HTMLElement, wanted: string[]): Promise<Chosen | null> {
  const response = await fetch("/api/v1/regions").catch(() => null);
  if (!response?.ok) return null;
  const agents = (await response.json().catch(() => null)) as Presence[] | null;
  if (!Array.isArray(agents)) return null;
  const boxes = regionsAlive(agents).map(({ region, where }) => {
    const tick = el("input", { type: "checkbox", name: "region", value: region, "data-region-choice": region });
    tick.checked = wanted.length === 0 || wanted.includes(region);
    return { tick, label: el("label", { title: where }, tick, ` ${region}`, ...(where ? [" ", el("small", {}, where)] : [])) };
  });
  box.replaceChildren(el("span", {}, "Run in"), ...boxes.map((b) => b.label));
  box.hidden = false;
  return () => boxes.filter((b) => b.tick.checked).map((b) => b.tick.value);
}
