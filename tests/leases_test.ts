// Our addition (SPEC §5.1, §7 "Leases"): dequeue() leases a message, execute() acknowledges
// it once the outcome is stored, and a dequeued task that is never executed comes back
// when its lease expires. `acks: false` is huey's at-most-once delivery.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sleep } from "../_runtime.ts";
import { executeNext, makeHuey, quietLogs } from "./_helpers.ts";

quietLogs();

function setup(options: { acks?: boolean; leaseTimeout?: number } = {}) {
  const huey = makeHuey({ leaseTimeout: 0.2, ...options });
  const calls: number[] = [];
  const work = huey.task(async function work(n: number, ms?: number) {
    if (ms) await sleep(ms / 1000);
    calls.push(n);
    return n;
  });
  return { huey, work, calls };
}

test("a dequeued task that is never executed is pending again once its lease expires", async () => {
  const { huey, work } = setup();
  const result = await work(1);
  const leased = await huey.dequeue();
  assert.equal(leased?.id, result.id);
  assert.equal(await huey.pendingCount(), 0, "leased messages are not counted");
  assert.deepEqual(await huey.pending(), []);
  assert.equal(await huey.dequeue(), null);
  await sleep(0.5);
  assert.equal(await huey.pendingCount(), 1);
  const again = await huey.dequeue();
  assert.equal(again?.id, result.id);
  assert.equal(await huey.execute(again!), 1);
  assert.equal(await result.get(), 1);
});

test("execute() acknowledges the message, so nothing comes back after the lease time", async () => {
  const { huey, work } = setup();
  await work(1);
  await work.schedule({ args: [2], delay: 60 });
  assert.equal(await executeNext(huey), 1);
  assert.equal(await executeNext(huey), undefined, "moved to the schedule");
  await sleep(0.5);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.dequeue(), null);
  assert.equal(await huey.scheduledCount(), 1);
});

test("a failed task retried by execute() is queued exactly once", async () => {
  const huey = makeHuey({ leaseTimeout: 0.2 });
  const fail = huey.task(function fail() {
    throw new Error("again");
  }, { retries: 1 });
  await fail();
  await executeNext(huey);
  await sleep(0.5);
  assert.equal(await huey.pendingCount(), 1);
});

test("execute() renews the lease of a task that runs longer than the lease", async () => {
  const { huey, work, calls } = setup();
  await work(1, 600);
  const task = await huey.dequeue();
  const running = huey.execute(task!);
  await sleep(0.4);
  assert.equal(await huey.dequeue(), null, "still leased while it runs");
  assert.equal(await running, 1);
  await sleep(0.4);
  assert.equal(await huey.dequeue(), null);
  assert.deepEqual(calls, [1]);
});

test("with acks: false, dequeue() removes the message at once and it never comes back", async () => {
  const { huey, work } = setup({ acks: false });
  await work(1);
  const task = await huey.dequeue();
  assert.ok(task);
  await sleep(0.5);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.dequeue(), null);
  assert.equal(await huey.execute(task), 1);
});

test("a leased task keeps its priority when its lease expires", async () => {
  const { huey, work } = setup();
  await huey.enqueue(work.s(1).withOptions({ priority: 5 }));
  await huey.dequeue();
  await work(2);
  await sleep(0.5);
  const first = await huey.dequeue();
  assert.deepEqual(first?.args, [1]);
  assert.equal(first?.priority, 5);
});

test("flush() drops leased messages too", async () => {
  const { huey, work } = setup();
  await work(1);
  await huey.dequeue();
  await huey.flush();
  await sleep(0.5);
  assert.equal(await huey.dequeue(), null);
});
