// The route drawn on the map: the traceroute's routers in hop order, then the target, each
// where the location data puts it. Addresses without coordinates (private ranges, addresses the
// database does not know) are left out of the line but counted, so the map can say so. A
// region's route starts where its agent says it is.

import type { RegionReport, Report } from "./api";

export interface Place {
  /** The address; for a region's starting point, the agent's name. */
  address: string;
  label: string;
  latitude: number;
  longitude: number;
  /** The hop number, absent for the target itself and for an agent. */
  hop?: number;
  /** Set on a region's starting point: where its agent is, not an address on the way. */
  agent?: true;
}

export interface Route {
  places: Place[];
  /** Addresses on the way that have no coordinates. */
  unplaced: number;
}

type Located = { address: string; latitude?: number | null; longitude?: number | null; city?: string | null; country_code?: string | null; reserved?: string | null };

function where(l: Located): string {
  return [l.city, l.country_code].filter(Boolean).join(", ") || l.reserved || "";
}

export function routeOf(report: Report): Route {
  const located = new Map<string, Located>();
  let hops: { ttl: number; address: string }[] = [];
  let targets: string[] = [];
  for (const check of report.checks) {
    const data = check.data;
    if (!data) continue;
    if (data.kind === "traceroute") {
      for (const l of data.locations ?? []) located.set(l.address, l);
      const trace = data.targets[0];
      if (trace) {
        hops = trace.hops.flatMap((h) => (h.addresses[0] ? [{ ttl: h.ttl, address: h.addresses[0] }] : []));
      }
    } else if (data.kind === "location") {
      for (const l of data.locations) located.set(l.address, l);
      targets = data.locations.map((l) => l.address);
    }
  }
  const places: Place[] = [];
  let unplaced = 0;
  const add = (address: string, hop?: number) => {
    const l = located.get(address);
    if (l && typeof l.latitude === "number" && typeof l.longitude === "number") {
      const label = `${hop === undefined ? "target" : `hop ${hop}`} ${address} ${where(l)}`.trim();
      places.push({ address, label, latitude: l.latitude, longitude: l.longitude, ...(hop === undefined ? {} : { hop }) });
    } else {
      unplaced += 1;
    }
  };
  for (const h of hops) add(h.address, h.ttl);
  const last = hops.at(-1)?.address;
  for (const t of targets.slice(0, 1)) if (t !== last) add(t);
  return { places, unplaced };
}

/** Region `part`'s route: its agent's place when the agent gave one, then its report's route. */
export function regionRouteOf(part: RegionReport): Route {
  const route = part.report ? routeOf(part.report) : { places: [], unplaced: 0 };
  const a = part.agent;
  if (a && typeof a.latitude === "number" && typeof a.longitude === "number") {
    const label = `${part.region} ${a.location ?? a.name}`;
    route.places.unshift({ address: a.name, label, latitude: a.latitude, longitude: a.longitude, agent: true });
  }
  return route;
}
