// Unique tasks (issue 12 item 5; BullMQ's deduplication, absent from huey): a unique task's id
// is derived from its name and arguments, a caller-set id is unique too, and while a task of
// that id is pending, scheduled or running, enqueueing it again enqueues nothing and resolves to
// the same Result. The marker goes when the task is done for good (before its outcome is stored),
// stays through retries; 20 concurrent producers enqueue exactly one message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { crontab } from "../mod.ts";
import { MemoryStorage } from "../storage/memory.ts";
import type { EnqueueOnceOptions, FinishOptions, OnceItem } from "../storage/base.ts";
import { markerTtl, UNIQUE_GRACE, uniqueId } from "../unique.ts";
import { executeNext, fromNow, makeHuey, quietLogs, single } from "./_helpers.ts";
import { sharedStores } from "./_shared_hueys.ts";

quietLogs();
const stores = sharedStores("unique");

test("unique must be a boolean, and is refused on periodic tasks", async () => {
  await using huey = makeHuey();
  assert.throws(
    () => huey.task(function a() {}, { unique: "yes" as unknown as boolean }),
    { name: "ConfigurationError", message: /'unique'/ },
  );
  const periodic = { unique: true } as Parameters<typeof huey.periodicTask>[2];
  assert.throws(() => huey.periodicTask(crontab(), function b() {}, periodic), {
    name: "ConfigurationError",
    message: /'unique'.*periodic/,
  });
});

test("a unique task's id is the SHA-256 of its name and arguments, whatever the key order", () => {
  const id = uniqueId("send", [{ to: "a", cc: ["b"] }, 1]);
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(uniqueId("send", [{ cc: ["b"], to: "a" }, 1]), id);
  assert.notEqual(uniqueId("send", [{ to: "a", cc: ["b"] }, 2]), id);
  assert.notEqual(uniqueId("mail", [{ to: "a", cc: ["b"] }, 1]), id);
  assert.notEqual(uniqueId("send", [new Date(0)]), uniqueId("send", ["1970-01-01T00:00:00.000Z"]));
});

test("enqueueing a unique task while it is pending enqueues nothing and gives the same Result", async () => {
  await using huey = makeHuey();
  const send = huey.task(function send(to: string) {
    return `sent ${to}`;
  }, { unique: true });
  const first = await send("a");
  const again = await send("a");
  const other = await send("b");
  assert.equal(again.id, first.id);
  assert.notEqual(other.id, first.id);
  assert.equal(await huey.pendingCount(), 2);
  await executeNext(huey);
  assert.equal(await again.get(), "sent a");
});

test("20 concurrent calls of a unique task enqueue one message", async () => {
  await using huey = makeHuey();
  const sync = huey.task(function sync(account: number) {
    return account;
  }, { unique: true });
  const results = await Promise.all(Array.from({ length: 20 }, () => sync(7)));
  assert.equal(new Set(results.map((result) => result.id)).size, 1);
  assert.equal(await huey.pendingCount(), 1);
});

test("once a unique task is done for good (success, failure, revoked) it may be enqueued again", async () => {
  await using huey = makeHuey();
  let fail = false;
  const job = huey.task(function job() {
    if (fail) throw new Error("boom");
    return 1;
  }, { unique: true });
  await job();
  await executeNext(huey);
  await job();
  assert.equal(await huey.pendingCount(), 1, "enqueued again after its success");
  fail = true;
  await executeNext(huey);
  const third = await job();
  assert.equal(await huey.pendingCount(), 1, "enqueued again after its failure");
  await third.revoke();
  await executeNext(huey);
  await job();
  assert.equal(await huey.pendingCount(), 1, "enqueued again after it was revoked");
});

test("a unique task that will be retried keeps its id blocked until the retry is done", async () => {
  await using huey = makeHuey();
  let runs = 0;
  const flaky = huey.task(function flaky() {
    runs += 1;
    if (runs === 1) throw new Error("first attempt fails");
    return runs;
  }, { unique: true, retries: 1 });
  const result = await flaky();
  await executeNext(huey);
  assert.equal(await huey.pendingCount(), 1, "the retry is queued");
  await flaky();
  assert.equal(await huey.pendingCount(), 1, "the retry keeps the id");
  await executeNext(huey);
  result.reset();
  assert.equal(await result.get(), 2);
  await flaky();
  assert.equal(await huey.pendingCount(), 1);
});

test("an id set by the caller is unique too: withOptions({ id }) and schedule({ id })", async () => {
  await using huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const first = single(await huey.enqueue(add.s(1, 2).withOptions({ id: "nightly" })));
  const second = single(await huey.enqueue(add.s(5, 5).withOptions({ id: "nightly" })));
  assert.equal(second.id, "nightly");
  assert.equal(await huey.pendingCount(), 1);
  await executeNext(huey);
  assert.equal(await first.get(), 3);
  // A scheduled unique task goes to the schedule, and blocks its id there.
  await add.schedule({ args: [1, 1], delay: 3600, id: "later" });
  await add.schedule({ args: [2, 2], delay: 60, id: "later" });
  assert.equal(await huey.pendingCount(), 0);
  const scheduled = await huey.scheduled();
  assert.deepEqual(scheduled.map((task) => [task.id, task.args]), [["later", [1, 1]]]);
  // Plain calls are not unique.
  await add(1, 1);
  await add(1, 1);
  assert.equal(await huey.pendingCount(), 2);
});

test("map() of a unique task enqueues each distinct call once", async () => {
  await using huey = makeHuey();
  const square = huey.task(function square(n: number) {
    return n * n;
  }, { unique: true });
  const group = await square.map([1, 2, 1, 3, 2]);
  assert.equal(group.length, 5);
  assert.equal(await huey.pendingCount(), 3);
});

test("a unique message that goes to the dead letters frees its id", async () => {
  await using huey = makeHuey();
  const register = () => huey.task(function gone() {}, { unique: true });
  const gone = register();
  await gone();
  gone.unregister();
  assert.equal(await huey.dequeue(), null);
  assert.equal((await huey.deadLetters()).length, 1);
  const again = register();
  await again();
  assert.equal(await huey.pendingCount(), 1);
});

/** A memory storage that records the order of the calls that matter here. */
class Recording extends MemoryStorage {
  calls: string[] = [];
  override enqueue(data: Uint8Array, priority?: number): Promise<void> {
    this.calls.push("enqueue");
    return super.enqueue(data, priority);
  }
  override enqueueOnce(
    marker: string,
    items: readonly OnceItem[],
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    this.calls.push(`enqueueOnce ttl=${options.ttl}`);
    return super.enqueueOnce(marker, items, options);
  }
  override deleteMarker(marker: string): Promise<boolean> {
    this.calls.push("deleteMarker");
    return super.deleteMarker(marker);
  }
  override finish(receipt: string | null, options: FinishOptions): Promise<void> {
    this.calls.push("finish");
    return super.finish(receipt, options);
  }
  override ack(receipt: string): Promise<void> {
    this.calls.push("ack");
    return super.ack(receipt);
  }
}

test("the marker is removed before the outcome is stored and acknowledged", async () => {
  const storage = new Recording("order");
  await using huey = makeHuey({ storage });
  const job = huey.task(function job() {
    return 1;
  }, { unique: true, timeout: 10 });
  await job();
  await executeNext(huey);
  assert.deepEqual(storage.calls, [
    `enqueueOnce ttl=${10 + UNIQUE_GRACE}`,
    "deleteMarker",
    "finish",
  ]);
});

test("tasks that are not unique pay nothing: no marker is set or removed", async () => {
  const storage = new Recording("plain");
  await using huey = makeHuey({ storage });
  const job = huey.task(function job() {
    return 1;
  });
  await job();
  await executeNext(huey);
  assert.deepEqual(storage.calls, ["enqueue", "finish"]);
});

test("a marker lives until the eta, plus the timeout, plus UNIQUE_GRACE", () => {
  const now = Date.now();
  assert.equal(markerTtl(undefined, null, now), UNIQUE_GRACE);
  assert.equal(markerTtl(now + 86_400_000, null, now), 86_400 + UNIQUE_GRACE);
  assert.equal(markerTtl(now + 1_500, 30, now), 2 + 30 + UNIQUE_GRACE);
  assert.equal(markerTtl(fromNow(-60).getTime(), null, now), UNIQUE_GRACE);
});

for (const { kind, skip, make } of stores) {
  test(`${kind}: 20 producers enqueue the same unique task at once: one message`, {
    skip,
  }, async () => {
    const name = `race-${crypto.randomUUID()}`;
    const hueys = Array.from({ length: 20 }, () => make(name));
    try {
      const wrappers = hueys.map((huey) =>
        huey.task(function charge(order: string) {
          return order;
        }, { unique: true })
      );
      const results = await Promise.all(wrappers.map((charge) => charge("order-1")));
      assert.equal(new Set(results.map((result) => result.id)).size, 1);
      assert.equal(await hueys[0].pendingCount(), 1);
      // Done for good on one consumer: any producer may enqueue it again.
      await executeNext(hueys[1]);
      assert.equal(await results[5].get({ preserve: true }), "order-1");
      await wrappers[19]("order-1");
      assert.equal(await hueys[0].pendingCount(), 1);
    } finally {
      await Promise.all(hueys.map((huey) => huey.close()));
    }
  });
}
