import { describe, expect, it } from "vitest";
import type { Report } from "../src/api";
import { routeOf } from "../src/route";

// A report reduced to what the route reads: a trace with a private first hop, two public
// routers and a silent hop, and the target's location. Coordinates made up for the test.
const report = {
  checks: [
    {
      id: "traceroute", title: "Traceroute", status: "ok", duration_ms: 90, findings: [],
      data: {
        kind: "traceroute",
        targets: [{
          address: "203.0.113.9", mode: "udp", backend: "udp_error_queue", reached: true, probes_sent: 15, duration_ms: 80,
          hops: [
            { ttl: 1, addresses: ["192.168.1.1"], rtts_ms: [1], loss_percent: 0, silent: false },
            { ttl: 2, addresses: ["198.51.100.1"], rtts_ms: [5], loss_percent: 0, silent: false },
            { ttl: 3, addresses: [], rtts_ms: [null], loss_percent: 100, silent: true },
            { ttl: 4, addresses: ["203.0.113.9"], rtts_ms: [40], loss_percent: 0, silent: false },
          ],
        }],
        locations: [
          { address: "192.168.1.1", reserved: "private (RFC 1918)" },
          { address: "198.51.100.1", city: "Frankfurt", country_code: "DE", latitude: 50.1, longitude: 8.7 },
          { address: "203.0.113.9", city: "Seoul", country_code: "KR", latitude: 37.6, longitude: 127.0 },
        ],
      },
    },
    {
      id: "location", title: "Location", status: "ok", duration_ms: 3, findings: [],
      data: { kind: "location", locations: [{ address: "203.0.113.9", city: "Seoul", country_code: "KR", latitude: 37.6, longitude: 127.0 }], attribution: [], problems: [] },
    },
  ],
} as unknown as Report;

describe("routeOf", () => {
  it("puts the located hops in order and leaves out the unlocated ones", () => {
    const route = routeOf(report);
    expect(route.places.map((p) => [p.hop, p.address])).toEqual([
      [2, "198.51.100.1"],
      [4, "203.0.113.9"],
    ]);
    expect(route.places[1]?.label).toBe("hop 4 203.0.113.9 Seoul, KR");
    expect(route.unplaced).toBe(1);
  });

  it("adds the target when the trace did not reach it", () => {
    const partial = structuredClone(report);
    const trace = partial.checks[0]!.data as { targets: { hops: unknown[] }[] };
    trace.targets[0]!.hops.length = 2;
    const route = routeOf(partial);
    expect(route.places.map((p) => p.label)).toEqual(["hop 2 198.51.100.1 Frankfurt, DE", "target 203.0.113.9 Seoul, KR"]);
  });
});
