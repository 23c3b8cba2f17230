import { describe, expect, it } from "vitest";
import { isRegionsReport, type CheckReport, type Presence, type RegionReport, type Report } from "../src/api";
import { regionsAlive } from "../src/picker";
import { differenceLine, regionFacts } from "../src/regions";
import { regionRouteOf } from "../src/route";

// A region's checks reduced to what its column reads. Values made up for the test.
const checks = [
  {
    id: "dns", title: "DNS", status: "ok", duration_ms: 2, findings: [],
    data: {
      kind: "dns", name: "shop.example", addresses: ["192.0.2.7"], resolvers: [], resolver_source: "system", cname_chain: [],
      dnssec: { status: "insecure" },
      lookups: [
        { name: "shop.example", record_type: "A", outcome: "answer", records: [{ name: "shop.example", ttl: 60, type: "A", address: "192.0.2.7" }], attempts: [], cname_chain: [], authenticated: false, signed: false, time_ms: 1 },
        { name: "shop.example", record_type: "AAAA", outcome: "no_data", records: [], attempts: [], cname_chain: [], authenticated: false, signed: false, time_ms: 1 },
        { name: "example", record_type: "A", outcome: "answer", records: [{ name: "example", ttl: 60, type: "A", address: "198.51.100.1" }], attempts: [], cname_chain: [], authenticated: false, signed: false, time_ms: 1 },
      ],
    },
  },
  {
    id: "site", title: "Site", status: "failed", duration_ms: 9, findings: [], error: "connection refused",
    data: { kind: "site", url: "https://shop.example/", final_url: "https://shop.example/", status: null, hops: [], headers: [], body_bytes: 0, body_truncated: false, security: {}, timings: { connect_ms: 12.34, total_ms: 20 } },
  },
  {
    id: "traceroute", title: "Traceroute", status: "ok", duration_ms: 9, findings: [],
    data: { kind: "traceroute", targets: [{ address: "192.0.2.7", hops: [{ ttl: 1, addresses: ["10.0.0.1"], rtts_ms: [0.5, null], loss_percent: 50, silent: false }, { ttl: 2, addresses: [], rtts_ms: [null], loss_percent: 100, silent: true }] }] },
  },
] as unknown as CheckReport[];

describe("a region's column", () => {
  it("shows the answers, the status, the timings and the hops a person compares", () => {
    expect(regionFacts(checks)).toEqual([
      { label: "A", value: "192.0.2.7", fact: "addresses" },
      { label: "AAAA", value: "none (no data)", fact: "addresses" },
      { label: "status", value: "no answer: connection refused", fact: "status" },
      { label: "connect", value: "12.3 ms", fact: "connect_ms" },
      { label: "TLS", value: "—" },
      { label: "first byte", value: "—", fact: "first_byte_ms" },
      { label: "hops", value: "1 10.0.0.1 0.50\u00a0ms\n2 *", fact: "last_hop" },
    ]);
  });

  it("has nothing to show before any check has finished", () => {
    expect(regionFacts([])).toEqual([]);
  });
});

describe("what the regions disagree on", () => {
  it("is said in words, each region with its value", () => {
    expect(differenceLine({ fact: "addresses", values: [["here", "192.0.2.7"], ["seoul", "203.0.113.9"]] })).toBe("A/AAAA answers: here 192.0.2.7 · seoul 203.0.113.9");
    expect(differenceLine({ fact: "a_new_fact", values: [["here", "x"]] })).toBe("a_new_fact: here x");
  });
});

describe("the regions offered", () => {
  it("are here first, then each region once, by name, with where its agents are", () => {
    const agent = (name: string, region: string, location?: string) => ({ agent: { name, region, location, netcheck_version: "0.1.0" }, jobs: 0, max_jobs: 8 });
    const alive = regionsAlive([agent("seoul-1", "seoul", "Seoul, KR"), agent("london-1", "london", "London, GB"), agent("seoul-2", "seoul", "Seoul, KR"), agent("x", "here")] as Presence[]);
    expect(alive).toEqual([
      { region: "here", where: "this server" },
      { region: "london", where: "London, GB" },
      { region: "seoul", where: "Seoul, KR" },
    ]);
  });
});

describe("a region's route", () => {
  const report = {
    checks: [{ id: "location", title: "Location", status: "ok", duration_ms: 1, findings: [], data: { kind: "location", locations: [{ address: "192.0.2.7", city: "Frankfurt", country_code: "DE", latitude: 50.1, longitude: 8.7 }], attribution: [], problems: [] } }],
  } as unknown as Report;

  it("starts where its agent is, then goes to the target", () => {
    const part = { region: "seoul", outcome: "completed", reason: "", report, agent: { name: "seoul-1", region: "seoul", location: "Seoul, KR", latitude: 37.6, longitude: 127, netcheck_version: "0.1.0" } } as RegionReport;
    expect(regionRouteOf(part).places.map((p) => [p.agent ?? false, p.label])).toEqual([
      [true, "seoul Seoul, KR"],
      [false, "target 192.0.2.7 Frankfurt, DE"],
    ]);
  });

  it("is the report's own route where the agent gave no place, and empty without a report", () => {
    expect(regionRouteOf({ region: "here", outcome: "completed", reason: "", report } as RegionReport).places).toHaveLength(1);
    expect(regionRouteOf({ region: "mars", outcome: "no_agent", reason: "no agent serves mars" } as RegionReport).places).toEqual([]);
  });
});

describe("a kept report", () => {
  it("is told apart as several regions by its regions and its verdict", () => {
    expect(isRegionsReport({ target: {}, regions: [], verdict: { kind: "inconclusive", summary: "" } } as never)).toBe(true);
    expect(isRegionsReport({ target: {}, checks: [] } as never)).toBe(false);
  });
});
