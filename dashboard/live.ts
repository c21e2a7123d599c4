/**
 * The live updates: `events`, a stream of server-sent events that sends
 * the overview's {@linkcode Snapshot} (counts, consumers, chart, the events
 * added to the log since the last one) every refresh interval when it
 * changed, and a comment every 15 seconds otherwise (so that proxies keep
 * the connection). It stops when the client goes away.
 *
 * @module
 */
import { sleep } from "../_runtime.ts";
import { getLogger } from "../logger.ts";
import type { Storage } from "../storage/base.ts";
import { readSnapshot } from "./overview.ts";
import { ThroughputFollower } from "./throughput.ts";

const logger = getLogger("huey.dashboard");
const encoder = new TextEncoder();
/** Seconds between keep-alive comments. */
const KEEP_ALIVE = 15;

/**
 * The `events` response: `event: update` messages whose data is a
 * {@linkcode Snapshot} in JSON.
 *
 * @param storage Where the counts and the event log are.
 * @param interval Seconds between reads.
 * @param signal Ends the stream (the request's: the client went away).
 */
export function liveUpdates(
  storage: Storage,
  interval: number,
  signal: AbortSignal,
): ReadableStream {
  const stop = new AbortController();
  const stopped = AbortSignal.any([signal, stop.signal]);
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const follower = new ThroughputFollower(storage);
      const send = (text: string): void => controller.enqueue(encoder.encode(text));
      send(`retry: ${Math.round(interval * 1000) + 1000}\n\n`);
      let last = "";
      let quiet = 0;
      let first = true;
      while (!stopped.aborted) {
        try {
          const snapshot = await readSnapshot(storage, follower);
          // The first read takes every kept event: the page shows the newest already.
          const update = JSON.stringify(first ? { ...snapshot, events: [] } : snapshot);
          first = false;
          const comparable = JSON.stringify({ ...snapshot, events: [] });
          if (comparable !== last || snapshot.events.length > 0) {
            send(`event: update\ndata: ${update}\n\n`);
            last = comparable;
            quiet = 0;
          } else if ((quiet += interval) >= KEEP_ALIVE) {
            send(": keep-alive\n\n");
            quiet = 0;
          }
        } catch (error) {
          if (stopped.aborted) break;
          logger.warning(`The dashboard could not read the storage: ${(error as Error).message}`);
        }
        await sleep(interval, stopped);
      }
      try {
        controller.close();
      } catch {
        // Cancelled already.
      }
    },
    cancel() {
      stop.abort();
    },
  });
}
