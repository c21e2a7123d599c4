/**
 * The consumer's heartbeat (issue 13 item 2, SPEC §10) in the test's own
 * process: greenlet workers on a memory Huey put the record every
 * health-check interval (replacing the last one), list the tasks they run,
 * let it expire after three intervals, and remove it when they stop. The
 * subprocess tests (thread and process workers, SIGKILL) are in
 * stats_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hostname } from "node:os";
import process from "node:process";
import { test } from "node:test";
import { Huey, MemoryHuey, MemoryStorage } from "../../mod.ts";
import { quietLogs } from "../_helpers.ts";
import { waitFor, withTimeout } from "./_consumer.ts";

quietLogs();
const FAST = { initialDelay: 0.01, maxDelay: 0.05 } as const;

test("a consumer's heartbeat lists it, its workers and what they run, and a stop removes it", async () => {
  const huey = new MemoryHuey("heartbeat-running");
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const wait = huey.task(async function wait(): Promise<string> {
    await released;
    return "done";
  });
  const consumer = huey.createConsumer({
    ...FAST,
    workerType: "greenlet",
    workers: 2,
    healthCheckInterval: 0.05,
  });
  const running = consumer.run();
  try {
    const result = await wait();
    const busy = await waitFor(async () => {
      const { consumers } = await huey.stats();
      return consumers[0]?.running.length === 1 && consumers[0];
    }, "the consumer's heartbeat to list the running task");
    assert.equal(busy.id, `${hostname()}:${process.pid}`);
    assert.equal(busy.host, hostname());
    assert.equal(busy.pid, process.pid);
    assert.equal(busy.workers, 2);
    assert.equal(busy.workerType, "greenlet");
    const [task] = busy.running;
    assert.equal(task.name, "wait");
    assert.ok(task.worker === "Worker-1" || task.worker === "Worker-2", task.worker);
    assert.equal((await huey.stats()).running, 1);
    // Put again every interval: one record, seen later.
    await waitFor(async () => {
      const { consumers } = await huey.stats();
      return consumers.length === 1 && consumers[0].lastSeen > busy.lastSeen;
    }, "a newer heartbeat in the place of the first");
    assert.equal((await huey.stats()).consumers[0].startedAt.getTime(), busy.startedAt.getTime());
    release();
    assert.equal(await result.get({ blocking: true, timeout: 30 }), "done");
    await waitFor(async () => {
      const { consumers } = await huey.stats();
      return consumers.length === 1 && consumers[0].running.length === 0;
    }, "a heartbeat without the finished task");
  } finally {
    release();
    await consumer.stop();
    await withTimeout(running, "the consumer to stop");
  }
  assert.deepEqual((await huey.stats()).consumers, []);
  assert.equal(await huey.storage.deleteHeartbeat(`${hostname()}:${process.pid}`), false);
});

test("a consumer's heartbeat expires three health-check intervals after it was put", async () => {
  let now = Date.now();
  const storage = new MemoryStorage("heartbeat-expiry", { clock: () => now });
  const huey = new Huey("heartbeat-expiry", { storage });
  huey.task(function idle(): void {});
  // A long interval: the consumer puts its record once, at start, within this test.
  const consumer = huey.createConsumer({
    ...FAST,
    workerType: "greenlet",
    healthCheckInterval: 20,
  });
  const running = consumer.run();
  try {
    await waitFor(async () => (await huey.stats()).consumers.length === 1, "the first heartbeat");
    now += 59_000;
    assert.equal((await huey.stats()).consumers.length, 1, "alive until three intervals passed");
    now += 2_000;
    assert.deepEqual((await huey.stats()).consumers, [], "gone three intervals after");
  } finally {
    await consumer.stop();
    await withTimeout(running, "the consumer to stop");
  }
});
