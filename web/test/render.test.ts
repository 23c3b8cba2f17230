import { describe, expect, it } from "vitest";
import type { CheckReport } from "../src/api";
import { facts } from "../src/render";

describe("facts", () => {
  it("shows a section of a kind the page has no drawing for as its keys and values", () => {
    // A check this page does not know (added later, or run by a newer agent): kept as it came.
    const check = {
      id: "echo", title: "Echo", status: "ok", duration_ms: 1, findings: [],
      data: { kind: "echo", host: "198.18.0.1", port: 443, seen: ["a", "b"], note: null },
    } as unknown as CheckReport;
    expect(facts(check)).toEqual(["host: 198.18.0.1", "port: 443", 'seen: ["a","b"]']);
  });

  it("still draws the sections it knows", () => {
    const check = {
      id: "ping", title: "Ping", status: "ok", duration_ms: 1, findings: [],
      data: { kind: "ping", targets: [{ address: "192.0.2.1", backend: "icmp_dgram", probes: [], sent: 3, received: 0, loss_percent: 100, duplicates: 0, late: 0 }] },
    } as unknown as CheckReport;
    expect(facts(check)).toEqual(["192.0.2.1: no reply to 3"]);
  });
});
