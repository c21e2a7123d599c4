/**
 * The demo app: a few tasks on the embedded SQLite default.
 *
 * Start a consumer:     deno run -A consumer.ts examples/app.ts -w 2
 *                       node consumer.ts examples/app.ts -w 2
 * Or the whole demo:    npm run demo
 *
 * @module
 */
import process from "node:process";
import { crontab, SqliteHuey, type Task } from "../mod.ts";

/** The Huey: a SQLite file (HUEY_DEMO_DB, default `demo.db`). */
export const huey = new SqliteHuey("demo", { filename: process.env.HUEY_DEMO_DB ?? "demo.db" });

/** A plain task. */
export const add = huey.task(function add(a: number, b: number): number {
  return a + b;
});

/** Fails on its first two attempts, then succeeds: retries at work. */
export const flaky = huey.task(function flaky(n: number, task: Task): number {
  if (task.retries > 0) throw new Error(`flaky failure (${task.retries} retries left)`);
  return n * 10;
}, { retries: 2, retryDelay: 1, context: true });

/** An async task that takes a while. */
export const slowSquare = huey.task(async function slowSquare(n: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return n * n;
});

/** Runs at every minute (and when the consumer starts). */
export const heartbeat = huey.periodicTask(crontab(), function heartbeat(): void {
  console.log(`heartbeat at ${new Date().toISOString()}`);
});

huey.onStartup(function announce() {
  console.log("worker ready");
});
