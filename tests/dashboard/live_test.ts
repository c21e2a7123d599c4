// The dashboard's live updates (issue 14, SPEC §10): `events` streams server-sent events whose
// data is the overview's snapshot; counts, chart and new events arrive without a reload, and
// the stream ends when the client goes away.
import { test } from "node:test";
import assert from "node:assert/strict";
import { quietLogs } from "../_helpers.ts";
import { setup } from "./_dashboard.ts";

quietLogs();

/** Reads `event: update` messages off a server-sent events body. */
function updates(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next(): Promise<
      { counts: Record<string, number>; chart: { completed: number[] }; events: { type: string }[] }
    > {
      while (true) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (/^event: update$/m.test(message) && data) return JSON.parse(data);
          continue;
        }
        const { done, value } = await reader.read();
        if (done) throw new Error("the stream ended");
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

test("events streams the counts, then each change and the new events, until the client leaves", async () => {
  const { add, get, publish } = setup({ refreshInterval: 0.05 });
  await add(1, 2);
  const leave = new AbortController();
  const response = await get("/events", { signal: leave.signal });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const stream = updates(response.body!);
  const first = await stream.next();
  assert.equal(first.counts.pending, 1);
  assert.deepEqual(first.events, []);
  await add(3, 4);
  await publish([{
    type: "complete",
    id: "t",
    name: "add",
    retries: 0,
    at: new Date(),
    consumer: "h:1",
    worker: "1",
  }]);
  let update = await stream.next();
  while (update.counts.pending !== 2 || update.events.length === 0) update = await stream.next();
  assert.equal(update.events[0].type, "complete");
  assert.equal(update.chart.completed.at(-1), 1);
  await stream.cancel();
  leave.abort();
});
