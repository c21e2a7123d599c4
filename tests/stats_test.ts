// huey.stats() (issue 13 item 2, SPEC §10): the counts, the consumers' heartbeats, and per task
// name what the kept events say happened, since the oldest kept event and over the last 5 minutes.
// Events are written to a memory storage directly here; tests/consumer/stats_test.ts runs consumers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeHeartbeat } from "../heartbeat.ts";
import { outcomesOf } from "../stats.ts";
import { fromNow, makeHuey } from "./_helpers.ts";
import { event, publish } from "./_events.ts";

test("stats() counts each task's outcomes from its events", async () => {
  const huey = makeHuey();
  await publish(huey, [
    event("enqueued", "add"),
    event("executing", "add"),
    event("complete", "add", { duration: 0.5 }),
    event("complete", "add", { id: "add-2", duration: 1.5 }),
    // A failure with a retry left (a retrying follows), then the last run fails for good.
    event("error", "flaky", { retries: 1, duration: 0.25, error: "boom" }),
    event("retrying", "flaky", { retries: 1 }),
    event("error", "flaky", { retries: 0, duration: 0.75, error: "boom" }),
    event("timeout", "slow", { retries: 0, duration: 2 }),
    event("timeout", "slow", { id: "slow-2", retries: 2, duration: 2 }),
    event("revoked", "add", { id: "add-3" }),
    event("expired", "add", { id: "add-4" }),
    event("rate-limited", "limited", { retries: 1 }),
    event("rate-limited", "limited", { id: "limited-2", retries: 0 }),
    event("consumer-started", "", { id: "" }),
  ]);
  const { tasks } = await huey.stats();
  assert.deepEqual(Object.keys(tasks), ["add", "flaky", "limited", "slow"]);
  assert.deepEqual(tasks.add, {
    completed: 2,
    failed: 0,
    retried: 0,
    revoked: 1,
    expired: 1,
    rateLimited: 0,
    duration: { p50: 0.5, p95: 1.5, max: 1.5 },
  });
  assert.equal(tasks.flaky.retried, 1);
  assert.equal(tasks.flaky.failed, 1);
  assert.deepEqual(tasks.flaky.duration, { p50: 0.25, p95: 0.75, max: 0.75 });
  assert.equal(tasks.slow.failed, 1);
  assert.equal(tasks.slow.retried, 1);
  assert.equal(tasks.limited.rateLimited, 2);
  assert.equal(tasks.limited.failed, 1, "a rate-limited task with no retry left failed for good");
  assert.deepEqual(tasks.limited.duration, { p50: null, p95: null, max: null });
});

test("an error counts as retried when a retry follows and as failed when none does", () => {
  assert.deepEqual(outcomesOf({ type: "error", retries: 2 }), ["retried"]);
  assert.deepEqual(outcomesOf({ type: "error", retries: 0 }), ["failed"]);
  assert.deepEqual(outcomesOf({ type: "locked", retries: 0 }), ["failed"]);
  assert.deepEqual(outcomesOf({ type: "retrying", retries: 1 }), []);
  assert.deepEqual(outcomesOf({ type: "canceled", retries: 0 }), []);
});

test("stats() takes the median and 95th percentile by nearest rank", async () => {
  const huey = makeHuey();
  const runs = Array.from(
    { length: 100 },
    (_, index) => event("complete", "step", { id: `step-${index}`, duration: index + 1 }),
  );
  await publish(huey, runs.reverse());
  const { duration } = (await huey.stats()).tasks.step;
  assert.deepEqual(duration, { p50: 50, p95: 95, max: 100 });
});

test("stats() reads every kept event, page after page", async () => {
  const huey = makeHuey();
  const runs = Array.from(
    { length: 2_500 },
    (_, index) => event("complete", "add", { id: `add-${index}`, duration: 0.001 }),
  );
  await publish(huey, runs);
  assert.equal((await huey.stats()).tasks.add.completed, 2_500);
});

test("stats() also counts the last five minutes, and tells when the oldest kept event happened", async () => {
  const huey = makeHuey();
  const old = fromNow(-600);
  await publish(huey, [
    event("complete", "add", { at: old, duration: 1 }),
    event("complete", "old", { at: fromNow(-301), duration: 1 }),
    event("error", "add", { id: "add-2", at: fromNow(-30), duration: 2 }),
  ]);
  const before = Date.now();
  const stats = await huey.stats();
  assert.equal(stats.oldestEvent?.getTime(), old.getTime());
  assert.equal(stats.tasks.add.completed, 1);
  assert.equal(stats.tasks.add.failed, 1);
  assert.ok(stats.recent.since.getTime() >= before - 300_000);
  assert.deepEqual(Object.keys(stats.recent.tasks), ["add"]);
  assert.equal(stats.recent.tasks.add.completed, 0);
  assert.equal(stats.recent.tasks.add.failed, 1);
  assert.deepEqual(stats.recent.tasks.add.duration, { p50: 2, p95: 2, max: 2 });
});

test("stats() of an empty storage: zero counts, no consumers, no events", async () => {
  const stats = await makeHuey().stats();
  assert.deepEqual({ ...stats, recent: { ...stats.recent, since: null } }, {
    pending: 0,
    scheduled: 0,
    running: 0,
    results: 0,
    deadLetters: 0,
    failures: 0,
    consumers: [],
    oldestEvent: null,
    tasks: {},
    recent: { since: null, tasks: {} },
  });
});

test("stats() counts the queue, the schedule, the results, the dead letters and the failures", async () => {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const boom = huey.task(function boom(): never {
    throw new Error("boom");
  });
  await add(1, 2);
  await boom();
  await huey.execute((await huey.dequeue())!); // a result
  await huey.execute((await huey.dequeue())!); // boom: its error result and a failure record
  await add.schedule({ args: [5, 6], delay: 3600 });
  await huey.execute((await huey.dequeue())!); // not due: it goes to the schedule
  await add(3, 4);
  await huey.put("mine", 1);
  await huey.storage.addDeadLetter(new Uint8Array([1, 2, 3]), "not a message");
  const stats = await huey.stats();
  assert.equal(stats.pending, 1);
  assert.equal(stats.scheduled, 1);
  assert.equal(stats.results, 3);
  assert.equal(stats.deadLetters, 1);
  assert.equal(stats.failures, 1);
});

test("stats() lists the consumers' heartbeats with their running tasks, and sums those", async () => {
  const huey = makeHuey();
  const startedAt = new Date(Date.now() - 60_000);
  const running = (id: string) => ({ id, name: "slow", startedAt, worker: "Worker-1" });
  const lastSeen = new Date();
  const consumer = (pid: number, tasks: string[]) => ({
    id: `host:${pid}`,
    host: "host",
    pid,
    workers: 2,
    workerType: "process",
    startedAt,
    lastSeen,
    running: tasks.map(running),
  });
  await huey.storage.putHeartbeat("host:2", encodeHeartbeat(consumer(2, ["a", "b"])), 30);
  await huey.storage.putHeartbeat("host:1", encodeHeartbeat(consumer(1, ["c"])), 30);
  await huey.storage.putHeartbeat("junk", new TextEncoder().encode("not json"), 30);
  const stats = await huey.stats();
  assert.equal(stats.running, 3);
  assert.deepEqual(stats.consumers.map((each) => each.id), ["host:1", "host:2"]);
  assert.deepEqual(stats.consumers[1], consumer(2, ["a", "b"]));
  assert.ok(stats.consumers[1].lastSeen instanceof Date);
});
