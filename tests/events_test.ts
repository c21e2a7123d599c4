// Events across processes (SPEC §10, issue 13): what a consumer publishes, and huey.events().
import { test } from "node:test";
import { setImmediate } from "node:timers";
import assert from "node:assert/strict";
import { CancelExecution, ConfigurationError, RetryTask } from "../errors.ts";
import { decodeEvent, type HueyEvent } from "../event.ts";
import { eventCount, expandEventLines, pairsLine } from "../storage/_event_lines.ts";
import { type EventSegment, mergeEvents, PublishedEvents } from "../storage/_event_check.ts";
import type { Huey } from "../huey.ts";
import { MemoryHuey } from "../mod.ts";
import type { EventsToAdd, FinishOptions } from "../storage/base.ts";
import type { Task } from "../task.ts";
import { WORKER } from "../worker_side.ts";
import { executeNext, fromNow, makeHuey, quietLogs, single } from "./_helpers.ts";

const logs = quietLogs();
const CONSUMER = "test-host:4242";

/** Publishes this Huey's signals as a consumer's worker would. */
function publishing(huey: Huey, worker = "Worker-1"): void {
  huey[WORKER].events.start(CONSUMER, worker);
}

/** Every kept event of the log, decoded. */
async function logged(huey: Huey): Promise<HueyEvent[]> {
  await huey[WORKER].events.stop(); // flushes
  const stored = await huey.storage.readEvents({ limit: 10_000 });
  return stored.map(({ seq, data }) => decodeEvent(seq, data));
}

/** Polls until `check` holds (bounded). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function typesOf(events: readonly { type: string; id: string }[], id?: string): string[] {
  return events.filter((event) => id === undefined || event.id === id).map((event) => event.type);
}

/** One step of a consumer's worker named Worker-1: dequeue, then execute. */
async function workerStep(huey: Huey): Promise<void> {
  const task = await huey[WORKER].dequeue();
  assert.ok(task, "expected a task in the queue");
  await huey[WORKER].execute(task, undefined, undefined, "Worker-1");
}

test("a consumer's worker publishes every signal of a task's life with its fields", async () => {
  const huey = makeHuey();
  let calls = 0;
  const run = huey.task(async function run(mode: string, task: Task) {
    calls++;
    if (mode === "error") throw new Error("boom");
    if (mode === "retry") throw new RetryTask({ delay: 60 });
    if (mode === "cancel") throw new CancelExecution();
    if (mode === "progress") await task.progress({ half: true });
    if (mode === "slow") await new Promise((resolve) => setTimeout(resolve, 200));
    return mode;
  }, { context: true });
  const timed = huey.task(async function timed() {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }, { timeout: 0.05 });
  publishing(huey, "");
  const ok = await run("progress");
  await workerStep(huey);
  const failed = await run("error");
  await workerStep(huey);
  const retried = await run("retry");
  await workerStep(huey);
  const canceled = await run("cancel");
  await workerStep(huey);
  const late = await run.schedule({ args: ["ok"], delay: 60 });
  await workerStep(huey);
  const revoked = await run("revoked");
  await revoked.revoke();
  await workerStep(huey);
  const expired = single(await huey.enqueue(run.s("x").withOptions({ expires: new Date(0) })));
  await workerStep(huey);
  const timedOut = await timed();
  await workerStep(huey);
  const events = await logged(huey);

  assert.deepEqual(typesOf(events, ok.id), ["executing", "progress", "complete"]);
  const [executing, progress, complete] = events.filter((event) => event.id === ok.id);
  for (const event of [executing, progress, complete]) {
    assert.equal(event.name, "run");
    assert.equal(event.consumer, CONSUMER);
    assert.equal(event.worker, "Worker-1");
    assert.equal(event.retries, 0);
    assert.ok(Date.now() - event.at.getTime() < 60_000, "at is when it happened");
  }
  assert.deepEqual(progress.progress, { half: true });
  assert.ok(complete.duration! >= 0, "complete says how long the task ran");
  assert.equal(executing.duration, undefined);

  assert.deepEqual(typesOf(events, failed.id), ["executing", "error"]);
  const error = events.find((event) => event.id === failed.id && event.type === "error")!;
  assert.equal(error.error, "boom");
  assert.match(error.traceback!, /boom/);
  assert.ok(error.duration! >= 0);

  assert.deepEqual(typesOf(events, retried.id), ["executing", "retrying", "scheduled"]);
  const scheduled = events.find((event) => event.id === retried.id && event.type === "scheduled")!;
  assert.ok(scheduled.eta!.getTime() > Date.now() + 50_000, "a scheduled event carries the eta");

  assert.deepEqual(typesOf(events, canceled.id), ["executing", "canceled"]);
  assert.deepEqual(typesOf(events, late.id), ["scheduled"]);
  assert.deepEqual(typesOf(events, revoked.id), ["revoked"]);
  assert.deepEqual(typesOf(events, expired.id), ["expired"]);
  assert.deepEqual(typesOf(events, timedOut.id), ["executing", "timeout"]);
  const timeout = events.find((event) => event.type === "timeout")!;
  assert.match(timeout.error!, /timeout/i);
  assert.ok(timeout.duration! > 0);
  assert.equal(calls, 4, "published events change nothing of the runs");
});

test("the outcome's event goes to the storage with the outcome (finish), not in a call of its own", async () => {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const finished: EventsToAdd[] = [];
  const added: EventsToAdd[] = [];
  const storage = huey.storage;
  const finish = storage.finish!.bind(storage);
  const addEvents = storage.addEvents.bind(storage);
  storage.finish = (receipt: string | null, options: FinishOptions) => {
    if (options.events) finished.push(options.events);
    return finish(receipt, options);
  };
  storage.addEvents = (events: EventsToAdd) => {
    added.push(events);
    return addEvents(events);
  };
  publishing(huey);
  const result = await add(1, 2);
  await executeNext(huey);
  const events = await logged(huey);
  assert.deepEqual(typesOf(events), ["executing", "complete"]);
  const types = (batches: EventsToAdd[]): string[] =>
    batches.flatMap((batch) =>
      expandEventLines([...batch.items]).map((item) => JSON.parse(item).type)
    );
  assert.deepEqual(types(finished), ["executing", "complete"], "both rode in the finish step");
  assert.deepEqual(finished.map((batch) => batch.items.length), [1], "as one pairs line");
  assert.deepEqual(types(added), []);
  assert.equal(finished[0].maxLength, 10_000);
  assert.equal(await result.get(), 3);
});

test("a task that runs longer than a turn has its executing event stored while it runs", async () => {
  const huey = makeHuey();
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const slow = huey.task(async function slow() {
    await released;
    return "done";
  });
  publishing(huey);
  const result = await slow();
  const running = executeNext(huey);
  await until(async () => (await huey.storage.readEvents({ limit: 10 })).length > 0, "an event");
  const stored = await huey.storage.readEvents({ limit: 10 });
  assert.deepEqual(typesOf(stored.map(({ seq, data }) => decodeEvent(seq, data))), ["executing"]);
  release();
  await running;
  const events = await logged(huey);
  assert.deepEqual(typesOf(events, result.id), ["executing", "complete"]);
  assert.ok(events[1].at.getTime() >= events[0].at.getTime());
  assert.ok(events[1].duration! > 0);
});

test("pairs lines: expanded into executing and complete, counted as two a run, cut by a cap", () => {
  const pair = pairsLine("h:1", {
    at: 900,
    runs: ["t1", 'a "quoted" name', 1, "2", 100, 500_000, 500],
  });
  const [executing, complete] = expandEventLines([pair]).map((text, index) =>
    decodeEvent(`${index}`, text)
  );
  assert.deepEqual(
    { ...executing, at: executing.at.getTime() },
    {
      seq: "0",
      type: "executing",
      id: "t1",
      name: 'a "quoted" name',
      retries: 1,
      at: 1000,
      consumer: "h:1",
      worker: "2",
    },
  );
  assert.deepEqual(
    { ...complete, at: complete.at.getTime() },
    {
      seq: "1",
      type: "complete",
      id: "t1",
      name: 'a "quoted" name',
      retries: 1,
      at: 1500,
      consumer: "h:1",
      worker: "2",
      duration: 0.5,
    },
  );
  const lines = ["a", pair, "b"];
  assert.equal(expandEventLines(["a", "b"]).length, 2);
  assert.equal(eventCount(lines), 4);
  assert.deepEqual(mergeEvents([{ items: lines, maxLength: 10 }]), {
    items: lines,
    count: 4,
    keep: 10,
  });
  const cut = mergeEvents([{ items: lines, maxLength: 2 }]);
  assert.deepEqual(cut.items.map((line) => line[0] === "{" ? JSON.parse(line).type : line), [
    "complete",
    "b",
  ]);
  assert.equal(cut.count, 2);
  // A line that looks like a pairs line but is not one is left for decodeEvent to refuse.
  for (
    const broken of [
      pair.slice(0, 40),
      pairsLine("h:1", { at: 0, runs: ["t1", "add", 0, "2", 1000, 5] }),
    ]
  ) {
    assert.deepEqual(expandEventLines([broken]), [broken]);
    assert.equal(eventCount([broken]), 1);
  }
});

test("a publisher's runs of consecutive calls go as one pairs line, in order among other events", () => {
  const run = (id: string, start = 0) => [id, "add", 0, "1", start, 1000, 1];
  const timed = (at: number, ...runs: (string | number)[][]) => ({ at, runs: runs.flat() });
  const published = (segments: EventSegment[], count: number, consumer = "h:1") =>
    new PublishedEvents(segments, count, 100, consumer);
  const merged = mergeEvents([
    published([timed(1000, run("t1"))], 2),
    published([timed(2000, run("t2"), run("t3", 5))], 4),
    published(["x", timed(3000, run("t4"))], 3),
    { items: ["y"], maxLength: 100 },
    published([timed(4000, run("t5"))], 2, "h:2"),
  ]);
  assert.equal(merged.count, 12);
  assert.equal(merged.items.length, 5, "t1-t3 | x | t4 | y | t5 (another consumer)");
  const events = expandEventLines(merged.items).map((text) =>
    text[0] === "{" ? JSON.parse(text) : text
  );
  assert.deepEqual(events.map((event) => event.id ?? event), [
    "t1",
    "t1",
    "t2",
    "t2",
    "t3",
    "t3",
    "x",
    "t4",
    "t4",
    "y",
    "t5",
    "t5",
  ]);
  assert.deepEqual(
    events.filter((event) => event.type === "executing").map((event) => event.at),
    [1000, 2000, 2005, 3000, 4000],
    "each run's start counted from its own call's time",
  );
  assert.deepEqual(events.filter((event) => event.type === "complete").map((event) => event.at), [
    1001,
    2001,
    2006,
    3001,
    4001,
  ]);
  assert.equal(events[1].duration, 0.001);
  assert.equal(events.at(-1).consumer, "h:2");
  // Cut by the cap inside a pairs line: the newest events are kept, a run's complete alone.
  const cut = mergeEvents([published([timed(0, run("t1"), run("t2"))], 4), published(["x"], 1)]);
  assert.equal(cut.count, 5);
  const kept = mergeEvents([{ items: cut.items, maxLength: 2 }, published(["z"], 1)]);
  assert.deepEqual(
    expandEventLines(kept.items).map((text) => text[0] === "{" ? JSON.parse(text).type : text),
    ["complete", "x", "z"],
    "the first call keeps 2 events, then z",
  );
});

test("the events that the calls of a write share are stored once, their lines as they are", () => {
  const runs = {
    at: 1000,
    runs: ["t1", "add", 0, "1", 0, 1000, 1, "t2", "add", 0, "1", 2, 500, 1],
  };
  const shared = new PublishedEvents(["x", runs], 5, 100, "h:1");
  const lines = shared.items;
  const merged = mergeEvents([shared, shared, shared]);
  assert.deepEqual(merged, { items: lines, count: 5, keep: 100 });
  assert.equal(shared.taken, true);
  assert.deepEqual(mergeEvents([shared]), { items: [], count: 0, keep: Infinity }, "taken once");
});

test("a greenlet consumer publishes its start, every task's events in order, and its stop", async () => {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const fails = huey.task(function fails() {
    throw new Error("no");
  }, { retries: 1 });
  const consumer = huey.createConsumer({ workerType: "greenlet", workers: 4 });
  const running = consumer.run();
  const results = [];
  for (let i = 0; i < 200; i++) results.push(await add(i, i));
  const failing = await fails();
  for (const [i, result] of results.entries()) {
    assert.equal(await result.get({ blocking: true, timeout: 30 }), 2 * i);
  }
  await until(
    async () => (await huey.storage.readEvents({ limit: 10_000 })).length >= 407,
    "events",
  );
  await consumer.stop();
  await running;
  const events = await logged(huey);
  assert.equal(events[0].type, "consumer-started");
  assert.equal(events.at(-1)!.type, "consumer-stopped");
  assert.equal(events[0].consumer, consumer.id);
  for (const result of results) {
    assert.deepEqual(typesOf(events, result.id), ["executing", "complete"]);
  }
  const workers = new Set(events.filter((event) => event.type === "complete").map((e) => e.worker));
  assert.ok([...workers].every((worker) => /^Worker-[1-4]$/.test(worker)), [...workers].join());
  assert.deepEqual(typesOf(events, failing.id), [
    "executing",
    "error",
    "retrying",
    "enqueued",
    "executing",
    "error",
  ]);
  const seqs = events.map((event) => BigInt(event.seq));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => (a < b ? -1 : 1)), "read back in seq order");
});

test("events: false publishes nothing; a producer never publishes", async () => {
  const off = makeHuey({ events: false });
  const add = off.task(function add(a: number, b: number) {
    return a + b;
  });
  const consumer = off.createConsumer({ workerType: "greenlet", workers: 1 });
  const running = consumer.run();
  assert.equal(await (await add(1, 2)).get({ blocking: true, timeout: 30 }), 3);
  await consumer.stop();
  await running;
  assert.deepEqual(await off.storage.readEvents({ limit: 10 }), []);

  const producer = makeHuey();
  const echo = producer.task(function echo(value: string) {
    return value;
  });
  await echo("a");
  await executeNext(producer);
  assert.deepEqual(await producer.storage.readEvents({ limit: 10 }), []);
});

test("eventsMaxLength and events are checked", () => {
  for (const value of [0, -1, 1.5, "10", null]) {
    assert.throws(
      () => new MemoryHuey("bad", { eventsMaxLength: value as number }),
      (error: Error) =>
        error instanceof ConfigurationError && error.message.includes("'eventsMaxLength'") &&
        error.message.includes(String(value === "10" ? '"10"' : value)),
    );
  }
  assert.throws(
    () => new MemoryHuey("bad", { events: "yes" as unknown as boolean }),
    /Option 'events' must be/,
  );
});

/** A Huey with its publisher on, and a way to publish `count` lifecycle events. */
function lifecycleHuey(options = {}) {
  const huey = makeHuey(options);
  publishing(huey, "");
  const events = huey[WORKER].events;
  return {
    huey,
    async publish(count: number, worker = "Worker-1"): Promise<void> {
      for (let i = 0; i < count; i++) events.lifecycle("worker-died", worker, `death ${i}`);
      await events.stop(); // flushed
      publishing(huey, "");
    },
  };
}

/** Collects what an event stream yields until `count` events came. */
async function collect(stream: AsyncIterable<HueyEvent>, count: number): Promise<HueyEvent[]> {
  const seen: HueyEvent[] = [];
  if (count === 0) return seen;
  for await (const event of stream) {
    seen.push(event);
    if (seen.length === count) break;
  }
  return seen;
}

test("huey.events() replays after a seq or since a Date, then follows new events", async () => {
  const { huey, publish } = lifecycleHuey();
  await publish(3);
  const kept = await collect(huey.events({ since: new Date(0) }), 3);
  assert.deepEqual(kept.map((event) => event.error), ["death 0", "death 1", "death 2"]);
  assert.ok(kept[0].at instanceof Date, "at is a Date");
  assert.equal(kept[0].consumer, CONSUMER);

  const afterFirst = collect(huey.events({ since: kept[0].seq }), 4);
  const fromNow = collect(huey.events(), 2);
  const fromLater = collect(huey.events({ since: fromNowDate(-60) }), 5);
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the followers start
  await publish(2, "Worker-2");
  assert.deepEqual(
    (await afterFirst).map((event) => event.error),
    ["death 1", "death 2", "death 0", "death 1"],
  );
  assert.deepEqual((await fromNow).map((event) => event.worker), ["Worker-2", "Worker-2"]);
  assert.equal((await fromLater).length, 5);
});

function fromNowDate(seconds: number): Date {
  return fromNow(seconds);
}

test("huey.events() filters by type, skips undecodable events, and ends on abort or break", async () => {
  const { huey, publish } = lifecycleHuey();
  await huey.storage.addEvents({ items: ["not json"], maxLength: 10 });
  await publish(1);
  huey[WORKER].events.lifecycle("consumer-stopped");
  await huey[WORKER].events.stop();
  const stopped = await collect(
    huey.events({ since: new Date(0), types: ["consumer-stopped"] }),
    1,
  );
  assert.equal(stopped[0].type, "consumer-stopped");
  assert.ok(logs.some((line) => line.includes("cannot be decoded")), logs.join("\n"));

  const abort = new AbortController();
  const waiting = collect(huey.events({ signal: abort.signal }), 10);
  setTimeout(() => abort.abort(), 20);
  assert.deepEqual(await waiting, [], "an abort ends the iteration normally");

  const stream = huey.events();
  const next = stream.next();
  await stream.return();
  assert.deepEqual(await next, { done: true, value: undefined }, "return() ends a wait under way");

  assert.throws(() => huey.events({ types: ["nope" as "error"] }), ConfigurationError);
  assert.throws(() => huey.events({ since: new Date(Number.NaN) }), /Option 'since'/);
});

test("the events of a finish step that fails are kept, and stored by a later flush", async () => {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const storage = huey.storage;
  const finish = storage.finish!.bind(storage);
  let failures = 1;
  storage.finish = (receipt: string | null, options: FinishOptions) =>
    failures-- > 0 ? Promise.reject(new Error("down")) : finish(receipt, options);
  publishing(huey);
  const result = await add(1, 2);
  await assert.rejects(executeNext(huey), /down/);
  const events = await logged(huey);
  assert.deepEqual(typesOf(events, result.id), ["executing", "complete"]);
});

/**
 * A Huey whose `finish` steps go out after the turn, as a batching storage's
 * do, failing the first `failures` of them; the events handed to each, and
 * two results of `add` run in one turn.
 */
async function finishAfterTheTurn(failures: number) {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const storage = huey.storage;
  const finish = storage.finish!.bind(storage);
  const handed: EventsToAdd[] = [];
  storage.finish = (receipt: string | null, options: FinishOptions) => {
    if (options.events) handed.push(options.events);
    const fails = failures-- > 0;
    return new Promise<void>((resolve, reject) =>
      setImmediate(() =>
        fails ? reject(new Error("down")) : finish(receipt, options).then(resolve, reject)
      )
    );
  };
  publishing(huey);
  const results = [await add(1, 2), await add(3, 4)];
  const runs = await Promise.allSettled([executeNext(huey), executeNext(huey)]);
  const events = await logged(huey);
  return { handed, runs, events, ids: results.map((result) => result.id) };
}

test("the finish steps of a turn share their events, which the first write stores once", async () => {
  const { handed, runs, events, ids } = await finishAfterTheTurn(0);
  assert.deepEqual(runs.map((run) => run.status), ["fulfilled", "fulfilled"]);
  assert.equal(handed.length, 2);
  assert.equal(handed[0], handed[1], "one object for the turn's two steps");
  assert.deepEqual(events.map((event) => [event.type, event.id]), [
    ["executing", ids[0]],
    ["complete", ids[0]],
    ["executing", ids[1]],
    ["complete", ids[1]],
  ]);
});

test("when the finish steps that share events fail, the events are stored once by a flush", async () => {
  const { runs, events, ids } = await finishAfterTheTurn(2);
  assert.deepEqual(runs.map((run) => run.status), ["rejected", "rejected"]);
  assert.deepEqual(events.map((event) => [event.type, event.id]), [
    ["executing", ids[0]],
    ["complete", ids[0]],
    ["executing", ids[1]],
    ["complete", ids[1]],
  ]);
});

/**
 * A Huey that keeps at most five events, whose storage refuses `addEvents`
 * until `up()`, with a task `add`.
 */
function refusingEvents() {
  const huey = makeHuey({ eventsMaxLength: 5 });
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const storage = huey.storage;
  const addEvents = storage.addEvents.bind(storage);
  let down = true;
  storage.addEvents = (events) => down ? Promise.reject(new Error("down")) : addEvents(events);
  return { huey, add, storage, up: () => down = false };
}

test("while the storage refuses events, the capped buffer drops the oldest runs whole", async () => {
  const { huey, add, storage, up } = refusingEvents();
  // No finish step: the runs' events wait in the buffer for a flush.
  (storage as { finish?: unknown }).finish = undefined;
  publishing(huey);
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await add(i, i));
  for (let i = 0; i < 4; i++) await executeNext(huey);
  await until(() => logs.some((line) => line.includes("Could not publish")), "the warning");
  up();
  const events = await logged(huey);
  const [, , third, fourth] = results.map((result) => result.id);
  assert.deepEqual(
    events.map((event) => [event.type, event.id]),
    [["executing", third], ["complete", third], ["executing", fourth], ["complete", fourth]],
    "two runs of the four: four events, the most of five that whole runs fill",
  );
  assert.ok(logs.some((line) => line.includes("Dropped 4 event(s)")), logs.join("\n"));
});

test("a storage that refuses events costs no task; the buffer is capped and the drop is logged", async () => {
  const { huey, add, up } = refusingEvents();
  publishing(huey);
  for (let i = 0; i < 20; i++) huey[WORKER].events.lifecycle("worker-died", "Worker-1", `${i}`);
  await until(() => logs.some((line) => line.includes("Could not publish")), "the warning");
  up();
  const result = await add(2, 3);
  await executeNext(huey);
  assert.equal(await result.get(), 5, "the task ran and its result is stored");
  const events = await logged(huey);
  assert.deepEqual(
    typesOf(events),
    ["worker-died", "worker-died", "worker-died", "executing", "complete"],
    "the newest five: the buffer kept no more than eventsMaxLength",
  );
  assert.deepEqual(events.slice(0, 3).map((event) => event.error), ["17", "18", "19"]);
  assert.ok(logs.some((line) => line.includes("Dropped 17 event(s)")), logs.join("\n"));
});
