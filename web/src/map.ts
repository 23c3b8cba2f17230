// A world map of the route, drawn offline: country shapes from Natural Earth (the world-atlas
// package, 1:110m, public domain) projected with d3-geo into an SVG. No tiles are fetched; the
// page works where netcheck runs, internet or not. One report's route, or one route per region,
// each in its colour.

import { geoNaturalEarth1, geoPath, type GeoProjection } from "d3-geo";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countries110m from "world-atlas/countries-110m.json";

import type { Place, Route } from "./route";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 960;
const HEIGHT = 500;

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  return e;
}

/** Draws the countries into `svg`, replacing what was there; the projection they were drawn in. */
function drawWorld(svg: SVGSVGElement): GeoProjection {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  const projection = geoNaturalEarth1().fitSize([WIDTH, HEIGHT], { type: "Sphere" });
  const path = geoPath(projection);
  const topology = countries110m as unknown as Topology<{ countries: GeometryCollection }>;
  const land = feature(topology, topology.objects.countries);
  const countries = element("g", { class: "countries" });
  for (const country of land.features) {
    countries.append(element("path", { d: path(country) ?? "", class: "country" }));
  }
  svg.append(element("path", { d: path({ type: "Sphere" }) ?? "", class: "sphere" }), countries);
  return projection;
}

/** The labels on a map so far, as boxes, so that the next one clears them. */
type Labels = { left: number; right: number; top: number; bottom: number }[];

/** Where a label of `text` goes beside the point (x, y): above it, else lower until it is clear. */
function clearSpot(labels: Labels, x: number, y: number, text: string, toTheLeft: boolean): number {
  // 11 px text (style.css .label): about 6.5 px a character, 13 px a line.
  const width = text.length * 6.5;
  const [left, right] = toTheLeft ? [x - width, x] : [x, x + width];
  let base = y;
  while (labels.some((b) => left < b.right && right > b.left && base - 11 < b.bottom && base + 2 > b.top)) base += 13;
  labels.push({ left, right, top: base - 11, bottom: base + 2 });
  return base;
}

/** `route`'s line and places (of `radius`, an agent's 5) into `into`; a label beside each place `labelled` picks. */
function drawRoute(into: SVGElement, projection: GeoProjection, route: Route, labels: Labels, labelled: (p: Place, i: number) => string | null, radius = 4): void {
  if (route.places.length > 1) {
    // Great-circle segments, as packets (roughly) travel.
    const line = {
      type: "LineString" as const,
      coordinates: route.places.map((p) => [p.longitude, p.latitude]),
    };
    into.append(element("path", { d: geoPath(projection)(line) ?? "", class: "route" }));
  }
  route.places.forEach((p, i) => {
    const xy = projection([p.longitude, p.latitude]);
    if (!xy) return;
    const dot = element("circle", {
      cx: xy[0].toFixed(1),
      cy: xy[1].toFixed(1),
      r: String(p.agent ? 5 : radius),
      class: p.agent ? "place agent" : p.hop === undefined ? "place target" : "place hop",
      "data-address": p.address,
    });
    const title = element("title", {});
    title.textContent = p.label;
    dot.append(title);
    into.append(dot);
    const text = labelled(p, i);
    if (text !== null) {
      // An agent's name to the left of it, so that it clears the route's line and the target.
      const x = p.agent ? xy[0] - 6 : xy[0] + 6;
      const y = clearSpot(labels, x, xy[1] - 6, text, p.agent === true);
      const label = element("text", { x: x.toFixed(1), y: y.toFixed(1), class: "label", ...(p.agent ? { "text-anchor": "end" } : {}) });
      label.textContent = text;
      into.append(label);
    }
  });
}

/** Draws the countries and the route into `svg`, replacing what was there. */
export function drawMap(svg: SVGSVGElement, route: Route): void {
  const projection = drawWorld(svg);
  const last = route.places.length - 1;
  drawRoute(svg, projection, route, [], (p, i) => (i === last || p.hop === undefined ? p.label : null));
}

/** How many colours the regions' routes take in turn (`.c0` … in style.css). */
export const COLOURS = 8;

/**
 * Draws the countries and each region's route in its own colour (`.c0`, `.c1`, … by its place
 * in `routes`), replacing what was there. A region's agent is labelled with the region's name,
 * each route's end once however many regions reached it. Where routes meet, the earlier
 * region's dot is the wider ring beneath, so that every region's stays in sight.
 */
export function drawRegionsMap(svg: SVGSVGElement, routes: { region: string; route: Route }[]): void {
  const projection = drawWorld(svg);
  const named = new Set<string>();
  const labels: Labels = [];
  routes.forEach(({ region, route }, i) => {
    const group = element("g", { class: `region-route c${i % COLOURS}`, "data-region": region });
    svg.append(group);
    const last = route.places.length - 1;
    drawRoute(group, projection, route, labels, (p, i) => {
      if (p.agent) return region;
      if ((i !== last && p.hop !== undefined) || named.has(p.address)) return null;
      named.add(p.address);
      return p.label;
    }, 4 + 2 * (routes.length - 1 - i));
  });
}
