// Our addition (SPEC §5.1, §7 "Leases"): dequeue() leases a message, execute() acknowledges
// it once the outcome is stored, and a dequeued task that is never executed comes back
// when its lease expires. `acks: false` is huey's at-most-once delivery.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "../_runtime.ts";
import { Huey } from "../huey.ts";
import { SqliteHuey } from "../mod.ts";
import { READ_AHEAD_FRESH_MS } from "../revoke.ts";
import { SIGNAL_COMPLETE } from "../signals.ts";
import { WORKER } from "../worker_side.ts";
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

test("with prefetch, storing a task's outcome leases the next message, and the next dequeue() takes it", async () => {
  const { huey, work, calls } = setup({ leaseTimeout: 30 });
  for (const n of [1, 2, 3]) await work(n);
  const loop = new AbortController();
  const first = await huey[WORKER].dequeue(loop.signal);
  assert.equal(await huey.pendingCount(), 2);
  assert.equal(await huey.execute(first!), 1);
  assert.equal(await huey.pendingCount(), 1, "message 2 is leased ahead");
  const second = await huey[WORKER].dequeue(loop.signal);
  assert.deepEqual(second?.args, [2]);
  assert.equal(await huey.execute(second!), 2);
  assert.equal(await huey.pendingCount(), 0, "message 3 is leased ahead");
  loop.abort();
  await waitUntil(async () => (await huey.pendingCount()) === 1);
  assert.deepEqual((await huey.pending()).map((task) => task.args), [[3]], "it went back");
  assert.deepEqual(calls, [1, 2]);
});

test("a worker's loop takes a message leased ahead once it has arrived, without waiting", async () => {
  const { huey, work } = setup({ leaseTimeout: 30 });
  for (const n of [1, 2]) await work(n);
  const loop = new AbortController();
  const worker = huey[WORKER];
  assert.equal(worker.takeReady(loop.signal), undefined, "nothing is leased ahead yet");
  assert.equal(await huey.execute((await worker.dequeue(loop.signal))!), 1);
  let second = worker.takeReady(loop.signal);
  for (let i = 0; i < 500 && second === undefined; i++) {
    await sleep(0.01); // until the lease made with the first task's outcome has answered
    second = worker.takeReady(loop.signal);
  }
  assert.deepEqual(second?.args, [2]);
  assert.equal(huey[WORKER].receiptOf(second!) !== undefined, true, "its lease goes with it");
  assert.equal(worker.takeReady(loop.signal), undefined, "handed out once");
  assert.equal(await huey.execute(second!), 2);
  loop.abort();
});

test("without prefetch, execute() leases nothing ahead", async () => {
  const { huey, work } = setup({ leaseTimeout: 30 });
  for (const n of [1, 2]) await work(n);
  const loop = new AbortController();
  assert.equal(await huey.execute((await huey.dequeue({ signal: loop.signal }))!), 1);
  assert.equal(await huey.pendingCount(), 1);
});

test("a message leased ahead is still checked for revocation when it runs", async () => {
  const { huey, work, calls } = setup({ leaseTimeout: 30 });
  await work(1);
  const revoked = await work(2);
  const loop = new AbortController();
  await huey.execute((await huey[WORKER].dequeue(loop.signal))!);
  await revoked.revoke();
  const next = await huey[WORKER].dequeue(loop.signal);
  assert.equal(next?.id, revoked.id);
  assert.equal(await huey.execute(next!), undefined);
  assert.deepEqual(calls, [1]);
});

test("a revocation written by another Huey after a message was leased ahead stops it once the early read is stale", async () => {
  const { huey, work, calls } = setup({ leaseTimeout: 30 });
  const elsewhere = new Huey("elsewhere", { storage: huey.storage });
  await work(1);
  const revoked = await work(2);
  const loop = new AbortController();
  await huey.execute((await huey[WORKER].dequeue(loop.signal))!);
  await elsewhere.revokeById(revoked.id);
  await sleep((READ_AHEAD_FRESH_MS + 10) / 1000);
  const next = await huey[WORKER].dequeue(loop.signal);
  assert.equal(next?.id, revoked.id);
  assert.equal(await huey.execute(next!), undefined);
  assert.deepEqual(calls, [1]);
});

test("a restore by this Huey after a message was leased ahead lets it run", async () => {
  const { huey, work, calls } = setup({ leaseTimeout: 30 });
  await work(1);
  const restored = await work(2);
  await restored.revoke();
  const loop = new AbortController();
  await huey.execute((await huey[WORKER].dequeue(loop.signal))!);
  await restored.restore();
  const next = await huey[WORKER].dequeue(loop.signal);
  assert.equal(await huey.execute(next!), 2);
  assert.deepEqual(calls, [1, 2]);
});

test("a message leased ahead goes back to the queue when its Huey closes", async () => {
  const folder = mkdtempSync(join(tmpdir(), "huey-leases-"));
  const filename = join(folder, "huey.db");
  const worker = new SqliteHuey("ahead", { filename, leaseTimeout: 30 });
  const producer = new SqliteHuey("ahead", { filename });
  try {
    worker.task(function add(a: number) {
      return a + 1;
    });
    const add = producer.task(function add(a: number) {
      return a + 1;
    });
    await add(1);
    await add(2);
    assert.equal(await worker.execute((await worker[WORKER].dequeue())!), 2);
    assert.equal(await producer.pendingCount(), 0, "message 2 is leased ahead");
    await worker.close();
    assert.equal(await producer.pendingCount(), 1);
  } finally {
    await worker.close();
    await producer.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

/** Polls `done` for up to 5 s. */
async function waitUntil(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await done()); i++) await sleep(0.01);
  assert.ok(await done(), "the condition never held");
}

test("a worker's execute() says when only the storing of the outcome remains, and resolves once it is stored", async () => {
  const { huey, work } = setup({ leaseTimeout: 30 });
  const result = await work(7);
  const events: string[] = [];
  const task = (await huey.dequeue())!;
  const execution = huey[WORKER].execute(task, undefined, () => events.push("storing")).then(
    (value) => events.push(`resolved ${value}`),
  );
  await execution;
  assert.deepEqual(events, ["storing", "resolved 7"]);
  assert.equal(await result.get(), 7);
  assert.equal(await huey.pendingCount(), 0);
});

test("a worker's execute() does not say so when a hook, a listener or a next stage follows the outcome", async () => {
  const cases: [string, (huey: Huey) => void][] = [
    ["post-execute hook", (huey) => huey.postExecute(function after() {})],
    ["complete listener", (huey) => huey.signal(function done() {}, SIGNAL_COMPLETE)],
  ];
  for (const [what, add] of cases) {
    const { huey, work } = setup({ leaseTimeout: 30 });
    add(huey);
    await work(1);
    let told = false;
    await huey[WORKER].execute((await huey.dequeue())!, undefined, () => (told = true));
    assert.equal(told, false, what);
  }
  const { huey, work } = setup({ leaseTimeout: 30 });
  await huey.enqueue(work.s(1).chain(work, 2));
  let told = false;
  await huey[WORKER].execute((await huey.dequeue())!, undefined, () => (told = true));
  assert.equal(told, false, "next stage");
});

test("a loop of fast tasks has several messages leased ahead, and they go back when it stops", async () => {
  const { huey, work, calls } = setup({ leaseTimeout: 30 });
  await work.map(Array.from({ length: 2000 }, (_, n) => [n]));
  const loop = new AbortController();
  let ahead = 0;
  while (ahead <= 1 && calls.length < 1900) {
    await huey.execute((await huey[WORKER].dequeue(loop.signal))!);
    ahead = 2000 - calls.length - await huey.pendingCount();
  }
  assert.ok(ahead > 1, "more than one message is leased ahead");
  loop.abort();
  await waitUntil(async () => (await huey.pendingCount()) === 2000 - calls.length);
  const next = await huey.dequeue();
  assert.deepEqual(next?.args, [calls.length], "they went back in order");
});

test("a loop of slow tasks has one message leased ahead at most", async () => {
  const { huey, work } = setup({ leaseTimeout: 30 });
  for (let n = 0; n < 6; n++) await work(n, 30);
  const loop = new AbortController();
  for (let n = 0; n < 3; n++) {
    await huey.execute((await huey[WORKER].dequeue(loop.signal))!);
    assert.equal(await huey.pendingCount(), 6 - n - 2, `after task ${n}`);
  }
  loop.abort();
});
