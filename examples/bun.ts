/**
 * Bun: a producer and a consumer in one process. The consumer runs greenlet
 * workers (async loops in this process's event loop, the worker type for
 * I/O-bound tasks), the script enqueues tasks, waits for their results, then
 * stops the consumer.
 *
 * Run it:               bun examples/bun.ts
 * (it also runs as-is:  node examples/bun.ts, deno run -A examples/bun.ts)
 *
 * Outside this repository, import from "@huey/huey" instead of "../mod.ts".
 *
 * @module
 */
import process from "node:process";
import { SqliteHuey } from "../mod.ts";

/** The Huey: a SQLite file (HUEY_DB, default `bun-example.db`). */
export const huey = new SqliteHuey("bun-example", {
  filename: process.env.HUEY_DB ?? "bun-example.db",
});

/** An I/O-bound task: it waits, as a fetch or a query would. */
export const slowSquare = huey.task(async function slowSquare(n: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  return n * n;
});

/** A quick task. */
export const add = huey.task(function add(a: number, b: number): number {
  return a + b;
});

if (import.meta.main) {
  const stop = new AbortController();
  const consumer = huey.createConsumer({ workerType: "greenlet", workers: 8 });
  const running = consumer.run({ signal: stop.signal });

  const squares = await slowSquare.map([1, 2, 3, 4, 5, 6, 7, 8]);
  const sum = await add(40, 2);
  // Eight 200 ms tasks on eight greenlets: they wait side by side.
  console.log("squares:", await squares.get({ blocking: true, timeout: 10 }));
  console.log("sum:", await sum.get({ blocking: true, timeout: 10 }));

  stop.abort(); // a graceful stop: running tasks finish first
  await running;
  await huey.close();
}
