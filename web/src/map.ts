// A world map of the route, drawn offline: country shapes from Natural Earth (the world-atlas
// package, 1:110m, public domain) projected with d3-geo into an SVG. No tiles are fetched; the
// page works where netcheck runs, internet or not.

import { geoNaturalEarth1, geoPath } from "d3-geo";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countries110m from "world-atlas/countries-110m.json";

import type { Route } from "./route";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 960;
const HEIGHT = 500;

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  return e;
}

/** Draws the countries and the route into `svg`, replacing what was there. */
export function drawMap(svg: SVGSVGElement, route: Route): void {
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
  if (route.places.length > 1) {
    // Great-circle segments, as packets (roughly) travel.
    const line = {
      type: "LineString" as const,
      coordinates: route.places.map((p) => [p.longitude, p.latitude]),
    };
    svg.append(element("path", { d: path(line) ?? "", class: "route" }));
  }
  route.places.forEach((p, i) => {
    const xy = projection([p.longitude, p.latitude]);
    if (!xy) return;
    const dot = element("circle", {
      cx: xy[0].toFixed(1),
      cy: xy[1].toFixed(1),
      r: "4",
      class: p.hop === undefined ? "place target" : "place hop",
      "data-address": p.address,
    });
    const title = element("title", {});
    title.textContent = p.label;
    dot.append(title);
    svg.append(dot);
    if (i === route.places.length - 1 || p.hop === undefined) {
      const label = element("text", { x: (xy[0] + 6).toFixed(1), y: (xy[1] - 6).toFixed(1), class: "label" });
      label.textContent = p.label;
      svg.append(label);
    }
  });
}
