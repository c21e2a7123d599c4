// Ported from huey's tests/test_api.py (TestQueue, TestHueyAPIs, TestStorageWrappers,
// TestMultipleHuey): the enqueue -> dequeue -> execute workflow, scheduling, the schedule
// and periodic reads, and the queue's introspection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError } from "../errors.ts";
import { crontab } from "../crontab.ts";
import type { HueyOptions } from "../huey.ts";
import { MemoryHuey } from "../mod.ts";
import { SignedSerializer } from "../serializer.ts";
import { Task } from "../task.ts";
import { executeNext, fromNow, makeHuey } from "./_helpers.ts";

function withAdd(huey = makeHuey()) {
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  return { huey, add };
}

test("a call enqueues a task whose result is read once after a worker executes it", async () => {
  const huey = makeHuey();
  const addOne = huey.task(function addOne(n: number) {
    return n + 1;
  });
  const result = await addOne(3);
  assert.equal(await huey.pendingCount(), 1);
  const task = await huey.dequeue();
  assert.ok(task);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.resultCount(), 0);
  assert.equal(result.id, task.id);
  assert.equal(await result.get(), null);
  assert.equal(await huey.execute(task), 4);
  assert.equal(await huey.resultCount(), 1);
  assert.equal(await result.get(), 4);
  result.reset();
  assert.equal(await result.get(), null, "the read was destructive");
  assert.equal(await huey.resultCount(), 0);
});

test("a task scheduled with a delay is queued, then moved to the schedule by a worker", async () => {
  const huey = makeHuey();
  const addOne = huey.task(function addOne(n: number) {
    return n + 1;
  });
  await addOne.schedule({ args: [3], delay: 60 });
  assert.equal(await huey.pendingCount(), 1);
  assert.equal(await huey.scheduledCount(), 0);
  const task = await huey.dequeue();
  assert.ok(task);
  assert.equal(huey.readyToRun(task), false);
  assert.equal(await huey.execute(task), undefined);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.scheduledCount(), 1);
  const [scheduled] = await huey.scheduled();
  assert.equal(scheduled.id, task.id);
  assert.equal(scheduled.eta?.getTime(), task.eta?.getTime());
  assert.ok(huey.readyToRun(task, fromNow(60)));

  const past = await addOne.schedule({ args: [4], eta: new Date(2000, 0, 1) });
  assert.equal(await executeNext(huey), 5);
  assert.equal(await past.get(), 5);
  assert.equal(await huey.scheduledCount(), 1, "the first task stays scheduled");
});

test("schedule() needs an eta or a delay, not both, and a delay of 0 means now", async () => {
  const { huey, add } = withAdd();
  assert.throws(() => add.schedule({ args: [1, 2] }), ConfigurationError);
  assert.throws(
    () => add.schedule({ args: [1, 2], delay: 1, eta: new Date() }),
    ConfigurationError,
  );
  assert.throws(() => add.schedule({ args: [1, 2], delay: Number.NaN }), /delay/);
  const now = await add.schedule({ args: [1, 2], delay: 0 });
  assert.equal(now.task.eta, null);
  assert.equal(await executeNext(huey), 3);
  const past = await add.schedule({ args: [2, 2], delay: -1 });
  assert.ok(past.task.eta && past.task.eta.getTime() < Date.now());
  assert.equal(await executeNext(huey), 4);
  const chosen = await add.schedule({ args: [1, 1], delay: 0, id: "my-id" });
  assert.equal(chosen.id, "my-id");
});

test("readSchedule() takes the tasks due at a time out of the schedule, soonest first, inclusive, and does not enqueue them", async () => {
  const { huey, add } = withAdd();
  const t = new Date(Date.UTC(2030, 0, 1, 12));
  const at = (ms: number) => new Date(t.getTime() + ms);
  const r1 = await add.schedule({ args: [1, 1], eta: at(-1000) });
  const r2 = await add.schedule({ args: [2, 2], eta: t });
  const r3 = await add.schedule({ args: [3, 3], eta: at(1000) });
  for (let i = 0; i < 3; i++) {
    assert.equal(await executeNext(huey, new Date(2000, 0, 1)), undefined);
  }
  assert.equal(await huey.scheduledCount(), 3);
  const due = await huey.readSchedule(t);
  assert.deepEqual(due.map((task) => task.id), [r1.id, r2.id]);
  assert.deepEqual(await huey.readSchedule(t), []);
  assert.equal(await huey.pendingCount(), 0, "huey's read_schedule does not enqueue");
  assert.equal(await huey.scheduledCount(), 1);
  const last = await huey.readSchedule(new Date(Date.UTC(2040, 0)));
  assert.deepEqual(last.map((x) => x.id), [r3.id]);
  for (const task of [...due, ...last]) await huey.enqueue(task); // what huey's scheduler does
  assert.equal(await huey.pendingCount(), 3);
  const later = new Date(Date.UTC(2040, 0));
  const values = [];
  for (let i = 0; i < 3; i++) values.push(await executeNext(huey, later));
  assert.deepEqual(values, [2, 4, 6]);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.scheduledCount(), 0);
  assert.equal(await huey.resultCount(), 3);
});

test("readPeriodic() returns new tasks of the matching periodic tasks in registration order", async () => {
  const huey = makeHuey();
  huey.periodicTask(crontab({ minute: "*/15", hour: "9-17" }), function work() {});
  huey.periodicTask(crontab({ minute: "0", hour: "21" }), function sleep() {});
  huey.periodicTask(crontab({ minute: "0-30" }), function firstHalf() {});
  const at = (h: number, m: number) => new Date(Date.UTC(2011, 0, 1, h, m));
  const names = async (h: number, m: number) =>
    (await huey.readPeriodic(at(h, m))).map((task) => task.name);
  assert.deepEqual(await names(0, 0), ["firstHalf"]);
  assert.deepEqual(await names(23, 59), []);
  assert.deepEqual(await names(9, 0), ["work", "firstHalf"]);
  assert.deepEqual(await names(9, 45), ["work"]);
  assert.deepEqual(await names(9, 46), []);
  assert.deepEqual(await names(21, 0), ["sleep", "firstHalf"]);
  assert.deepEqual(await names(21, 30), ["firstHalf"]);
  assert.deepEqual(await names(21, 31), []);
  const [a] = await huey.readPeriodic(at(0, 0));
  const [b] = await huey.readPeriodic(at(0, 0));
  assert.notEqual(a.id, b.id, "each read builds new tasks");
});

test("readPeriodic() matches in local time when the Huey has utc: false", async () => {
  const huey = makeHuey({ utc: false });
  huey.periodicTask(crontab({ hour: "9", minute: "0" }), function nineLocal() {});
  const [nine] = await huey.readPeriodic(new Date(2011, 0, 1, 9, 0));
  assert.equal(nine?.name, "nineLocal");
  assert.deepEqual(await huey.readPeriodic(new Date(2011, 0, 1, 10, 0)), []);
});

test("periodic tasks registered while a task runs appear in readPeriodic()", async () => {
  const huey = makeHuey();
  const register = huey.task(function register(name: string, every: string) {
    huey.periodicTask(crontab({ minute: every }), () => name, { name });
  });
  await register("every5", "*/5");
  await register("every10", "*/10");
  await executeNext(huey);
  await executeNext(huey);
  const names = async (m: number) =>
    (await huey.readPeriodic(new Date(Date.UTC(2000, 0, 1, 0, m)))).map((task) => task.name);
  assert.deepEqual(await names(0), ["every5", "every10"]);
  assert.deepEqual(await names(5), ["every5"]);
  assert.deepEqual(await names(6), []);
});

test("calling a periodic task enqueues it, but its result is never stored", async () => {
  const huey = makeHuey();
  const periodic = huey.periodicTask(crontab(), function answer() {
    return 123;
  });
  const result = await periodic();
  assert.equal(await huey.pendingCount(), 1);
  assert.equal(await executeNext(huey), 123);
  assert.equal(await result.get(), null);
  assert.equal(await huey.resultCount(), 0);
});

test("pending(), scheduled() and allResults() show the queue, the schedule and the results", async () => {
  const { huey, add } = withAdd();
  const r1 = await add(1, 2);
  const r2 = await add.schedule({ args: [2, 3], delay: 60 });
  const r3 = await add(3, 4);
  assert.deepEqual((await huey.pending()).map((task) => task.id), [r1.id, r2.id, r3.id]);
  await executeNext(huey);
  await executeNext(huey);
  assert.deepEqual((await huey.pending()).map((task) => task.id), [r3.id]);
  assert.deepEqual((await huey.scheduled()).map((task) => task.id), [r2.id]);
  assert.deepEqual([...(await huey.allResults()).keys()], [r1.id]);
  assert.ok((await huey.allResults()).get(r1.id) instanceof Uint8Array);
});

test("pending() and scheduled() with a limit return exactly that many, first in line first", async () => {
  const { huey, add } = withAdd();
  const queued = [];
  for (let i = 0; i < 5; i++) queued.push((await add(i, i)).id);
  const scheduled = [];
  for (let i = 4; i >= 1; i--) {
    scheduled.unshift(
      (await add.schedule({ args: [i, 0], eta: new Date(Date.UTC(2030, 0, i)) })).id,
    );
  }
  assert.deepEqual((await huey.pending({ limit: 2 })).map((task) => task.id), queued.slice(0, 2));
  assert.equal((await huey.pending({ limit: 100 })).length, 9);
  for (let i = 0; i < 9; i++) await executeNext(huey);
  assert.equal(await huey.scheduledCount(), 4);
  assert.deepEqual(
    (await huey.scheduled({ limit: 3 })).map((task) => task.id),
    scheduled.slice(0, 3),
  );
  assert.equal((await huey.pending({ limit: 0 })).length, 0);
});

test("the counts follow the queue, the schedule and the key/value store, and flush() empties them", async () => {
  const { huey, add } = withAdd();
  await add(1, 1);
  await add.schedule({ args: [1, 2], delay: 60 });
  await huey.put("mine", "value");
  assert.equal(await huey.pendingCount(), 2);
  assert.equal(await huey.resultCount(), 1);
  await executeNext(huey);
  await executeNext(huey);
  assert.equal(await huey.scheduledCount(), 1);
  assert.equal(await huey.resultCount(), 2);
  await huey.storage.addDeadLetter(new Uint8Array([1]), "junk");
  await huey.flush();
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.scheduledCount(), 0);
  assert.equal(await huey.resultCount(), 0);
  assert.deepEqual(await huey.deadLetters(), []);
});

test("huey.result(id) reads a task's result by id, destructively unless preserved", async () => {
  const { huey, add } = withAdd();
  const result = await add(2, 3);
  assert.equal(await huey.result(result.id), null);
  await executeNext(huey);
  assert.equal(await huey.result(result.id, { preserve: true }), 5);
  assert.equal(await huey.result(result.id), 5);
  assert.equal(await huey.result(result.id), null);
  assert.equal(await huey.result("no-such-id"), null);
});

test("serializeTask() and deserializeTask() round-trip tasks, periodic ones and pipelines", async () => {
  for (const serializer of [undefined, new SignedSerializer({ secret: "test secret" })]) {
    const { huey, add } = withAdd(makeHuey({ serializer }));
    huey.periodicTask(crontab(), function tick() {});
    const task = add.s(1, 2).withOptions({ eta: new Date(Date.UTC(2030, 0)), priority: 3 })
      .chain(add, 3).onError(add, 0);
    const copy = huey.deserializeTask(huey.serializeTask(task));
    assert.ok(copy instanceof Task);
    assert.deepEqual(copy.toData(), task.toData());
    const [periodic] = await huey.readPeriodic(new Date());
    assert.deepEqual(
      huey.deserializeTask(huey.serializeTask(periodic)).toData(),
      periodic.toData(),
    );
  }
});

test("one function registered on two Hueys enqueues to their separate queues", async () => {
  const first = makeHuey();
  const second = makeHuey();
  function double(n: number) {
    return n * 2;
  }
  const a = first.task(double);
  const b = second.task(double, { retries: 1 });
  await a(1);
  await b(2);
  await b(3);
  assert.equal(await first.pendingCount(), 1);
  assert.equal(await second.pendingCount(), 2);
  assert.equal(await executeNext(first), 2);
  assert.equal(await executeNext(second), 4);
  assert.equal(b.s(1).retries, 1);
  assert.equal(a.s(1).retries, 0);
});

test("a Huey needs a storage and a sound name and leaseTimeout", async () => {
  const { Huey } = await import("../huey.ts");
  const { ConfigurationError } = await import("../errors.ts");
  assert.throws(() => new Huey("x"), ConfigurationError);
  assert.throws(() => new MemoryHuey(""), { name: "ConfigurationError", message: /'name'.*""/ });
  assert.throws(() => new MemoryHuey("x", { leaseTimeout: 0 }), /leaseTimeout/);
  assert.throws(() => new MemoryHuey("x", { leaseTimeout: Number.NaN }), ConfigurationError);
  const bad = (options: object) => () => new MemoryHuey("x", options as HueyOptions);
  assert.throws(bad({ results: "no" }), {
    message: /Option 'results' must be a boolean, got "no"/,
  });
  assert.throws(bad({ acks: 0 }), { name: "ConfigurationError", message: /'acks'.*0/ });
  assert.throws(bad({ serializer: {} }), { name: "ConfigurationError", message: /'serializer'/ });
  assert.throws(bad({ maxMessageBytes: 0 }), { message: /'maxMessageBytes'.*>= 1, got 0/ });
  const huey = new MemoryHuey();
  assert.equal(huey.name, "huey");
  assert.equal(huey.storage.name, "huey");
  await huey.close();
});

test("await using closes the Huey and its storage", async () => {
  let huey: MemoryHuey;
  {
    await using scoped = makeHuey();
    huey = scoped;
    await scoped.put("k", 1);
  }
  await assert.rejects(() => huey.put("k", 2), /closed/);
});
