// Ported from huey's tests/test_immediate.py: immediate mode runs each call at once in the
// caller, on a fresh in-memory storage unless immediateUseMemory is false.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Huey } from "../huey.ts";
import { MemoryHuey } from "../mod.ts";
import { TaskError } from "../errors.ts";
import { ResultGroup } from "../result.ts";
import type { Storage } from "../storage/base.ts";
import type { Task } from "../task.ts";
import { executeNext, fromNow, makeHuey, quietLogs, single } from "./_helpers.ts";

quietLogs();

function setup(options = {}) {
  const huey = makeHuey({ immediate: true, ...options });
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const fail = huey.task(function fail() {
    throw new Error("immediate failure");
  });
  return { huey, add, fail };
}

/** A storage whose every operation rejects: immediate mode must never touch it. */
function brokenStorage(): Storage {
  const fields: Record<string, unknown> = { name: "broken", blocking: false, priority: true };
  return new Proxy(fields, {
    get(target, property) {
      if (typeof property !== "string" || property === "then") return undefined;
      if (property in target) return target[property];
      return () => Promise.reject(new Error(`the live storage was used (${property})`));
    },
  }) as unknown as Storage;
}

test("in immediate mode a call runs at once and its result is ready", async () => {
  const { huey, add, fail } = setup();
  const result = await add(2, 2);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.resultCount(), 1);
  assert.equal(await result.get(), 4);
  assert.equal(await huey.resultCount(), 0);
  const failed = await fail();
  await assert.rejects(() => failed.get(), TaskError);
});

test("in immediate mode a pipeline and its error handlers run inside the enqueue", async () => {
  const { huey, add, fail } = setup();
  const group = await huey.enqueue(add.s(3, 4).chain(add, 5).chain(add, 6).chain(add, 7));
  assert.ok(group instanceof ResultGroup);
  assert.deepEqual(await group.get(), [7, 12, 18, 25]);
  const errors: string[] = [];
  const handler = huey.task(function handler(error: Error) {
    errors.push(error.message);
  });
  await huey.enqueue(fail.s().onError(handler));
  assert.deepEqual(errors, ["immediate failure"]);
});

test("in immediate mode a retried task runs again at once, inside the call", async () => {
  const { huey } = setup();
  let calls = 0;
  const flaky = huey.task(function flaky() {
    calls++;
    throw new Error(`call ${calls}`);
  }, { retries: 2 });
  const result = await flaky();
  assert.equal(calls, 3);
  await assert.rejects(() => result.get(), (error: TaskError) => {
    assert.equal(error.metadata.retries, 0);
    assert.match(error.message, /call 3/);
    return true;
  });
});

test("in immediate mode a scheduled task goes to the schedule and never runs", async () => {
  const { huey, add } = setup();
  const result = await add.schedule({ args: [1, 2], delay: 10 });
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.resultCount(), 0);
  assert.equal(await huey.scheduledCount(), 1);
  assert.equal(await result.get(), null);
});

test("in immediate mode reschedule() runs the copy at once and leaves the original scheduled", async () => {
  const { huey } = setup();
  const ran: string[] = [];
  const track = huey.task(function track(task: Task) {
    ran.push(task.id);
    return 1;
  }, { context: true });
  const result = await track.schedule({ delay: 60 });
  const copy = single(await result.reschedule());
  assert.deepEqual(ran, [copy.id]);
  assert.equal(await copy.get(), 1);
  assert.ok(await result.isRevoked());
  assert.equal(await huey.resultCount(), 1, "the original's revoke key");
  assert.equal(await huey.scheduledCount(), 1);
});

test("in immediate mode revoke() and restore() work", async () => {
  const { add } = setup();
  await add.revoke();
  assert.equal(await (await add(1, 2)).get(), null);
  assert.equal(await add.restore(), true);
  assert.equal(await (await add(2, 3)).get(), 5);
});

test("switching immediate off enqueues on the real storage; back on uses a fresh memory storage", async () => {
  const { huey, add } = setup();
  const memory = huey.storage;
  await add(1, 1);
  huey.immediate = false;
  assert.equal(huey.immediate, false);
  assert.notEqual(huey.storage, memory);
  const result = await add(1, 2);
  assert.equal(await huey.pendingCount(), 1);
  assert.equal(await huey.resultCount(), 0);
  assert.equal(await executeNext(huey), 3);
  assert.equal(await result.get(), 3);
  await add(5, 5);
  huey.immediate = true;
  const fresh = huey.storage;
  assert.notEqual(fresh, memory);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.resultCount(), 0);
  assert.equal(await (await add(2, 2)).get(), 4);
  huey.immediate = true;
  assert.equal(huey.storage, fresh, "setting the same value keeps the storage");
});

test("map() enqueues one call per item and resolves to a ResultGroup", async () => {
  const { huey } = setup();
  const inc = huey.task(function inc(n: number) {
    return n + 1;
  });
  const group = await inc.map([0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(await group.get(), [1, 2, 3, 4, 5, 6, 7, 8]);
  const pairs = await huey.task(function pair(a: number, b: number) {
    return a * b;
  }).map([[2, 3], [4, 5]]);
  assert.deepEqual(await pairs.get(), [6, 20], "an array item is spread as the arguments");
});

test("immediate mode never touches the live storage (immediateUseMemory defaults to true)", async () => {
  const huey = new Huey("broken", { storage: brokenStorage(), immediate: true });
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  assert.equal(await (await add(1, 2)).get(), 3);
  await add.revoke();
  assert.equal(await add.restore(), true);
  const eta = fromNow(60);
  const scheduled = await add.schedule({ args: [1, 1], eta });
  assert.deepEqual(await huey.readSchedule(new Date(eta.getTime() - 1000)), []);
  const due = await huey.readSchedule(eta);
  assert.deepEqual(due.map((task) => task.id), [scheduled.id]);

  huey.immediate = false;
  await assert.rejects(() => add(1, 2), /live storage was used/);
  huey.immediate = true;
  assert.equal(await (await add(2, 2)).get(), 4);
});

test("with immediateUseMemory: false, immediate mode uses the live storage", async () => {
  const huey = new Huey("live", {
    storage: brokenStorage(),
    immediate: true,
    immediateUseMemory: false,
  });
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  await assert.rejects(() => add(1, 2), /live storage was used/);
  const memory = new MemoryHuey("live-memory", { immediate: true, immediateUseMemory: false });
  const storage = memory.storage;
  const echo = memory.task(function echo(n: number) {
    return n;
  });
  assert.equal(await (await echo(9)).get(), 9);
  assert.equal(memory.storage, storage);
});
