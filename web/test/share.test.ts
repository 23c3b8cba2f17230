import { describe, expect, it } from "vitest";
import type { Report } from "../src/api";
import { mailtoHref, shareOutcome, subjectOf } from "../src/share";

const report = {
  target: { input: "example.com" },
  diagnosis: { reachability: "reachable", summary: "example.com is reachable: HTTP 200 & more", problems: [] },
} as unknown as Report;

describe("sharing without the server's mail", () => {
  it("opens the reader's mail program with the diagnosis and the link, each encoded", () => {
    const href = mailtoHref(report, "https://netcheck.example/?report=ab12");
    expect(href.startsWith("mailto:?subject=")).toBe(true);
    const query = new URLSearchParams(href.slice("mailto:?".length));
    expect(query.get("subject")).toBe("netcheck: example.com is reachable: HTTP 200 & more");
    expect(query.get("body")).toBe("example.com is reachable: HTTP 200 & more\n\nThe report: https://netcheck.example/?report=ab12\n");
    expect(subjectOf(report)).toBe(query.get("subject"));
  });
});

describe("the server's answer to a share", () => {
  it("is sent on 200 and the server's own words otherwise", () => {
    expect(shareOutcome(200, { sent: true, permalink: "x" })).toEqual({ sent: true, code: "sent", text: "Sent." });
    const limited = { error: { code: "rate_limited", message: "this address has been sent too many reports: try again in 700 s" } };
    expect(shareOutcome(429, limited)).toEqual({ sent: false, code: "rate_limited", text: limited.error.message });
    expect(shareOutcome(502, null)).toEqual({ sent: false, code: "http", text: "the server answered 502" });
  });
});
