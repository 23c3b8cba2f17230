import { describe, expect, it } from "vitest";
import { parseEvents } from "../src/sse";

describe("parseEvents", () => {
  it("splits complete events and keeps the unfinished rest", () => {
    const { events, rest } = parseEvents(
      'event: started\ndata: {"id":"dns"}\n\n: keep-alive\n\nevent: finished\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: rep',
    );
    expect(events).toEqual([
      { name: "started", data: '{"id":"dns"}' },
      { name: "finished", data: '{"a":\n1}' },
    ]);
    expect(rest).toBe("event: rep");
  });

  it("names an event without an event line 'message' and skips blocks without data", () => {
    expect(parseEvents("data:x\n\nevent: empty\n\n").events).toEqual([{ name: "message", data: "x" }]);
  });
});
