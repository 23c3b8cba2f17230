// Server-Sent Events read from a fetch() body. EventSource would be shorter, but it hides the
// body of an error answer (400 with {"error": …}), and a person who typed a bad URL should read
// why. The format: blocks separated by a blank line, `event:` and `data:` lines in each
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).

export interface ServerEvent {
  name: string;
  data: string;
}

/** Splits what has arrived into complete events; returns them and the unfinished rest. */
export function parseEvents(buffer: string): { events: ServerEvent[]; rest: string } {
  const events: ServerEvent[] = [];
  const text = buffer.replace(/\r\n?/g, "\n");
  let start = 0;
  for (;;) {
    const end = text.indexOf("\n\n", start);
    if (end < 0) break;
    const block = text.slice(start, end);
    start = end + 2;
    let name = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // a comment: the server's keep-alive
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) events.push({ name, data: data.join("\n") });
  }
  return { events, rest: text.slice(start) };
}

/** Calls `onEvent` for each event of the stream as it arrives. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ServerEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const { events, rest } = parseEvents(buffer + decoder.decode(value, { stream: true }));
    buffer = rest;
    events.forEach(onEvent);
  }
}
