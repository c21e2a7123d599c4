// Groups and chords (issue 12 item 1, SPEC §9): huey 3.3's composition rules and results, and
// beyond huey, a member that ends twice (at-least-once delivery) counts once and the callback
// is enqueued once.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CancelExecution,
  Chord,
  chord,
  ChordResult,
  ConfigurationError,
  Group,
  group,
  type Huey,
  Result,
  ResultGroup,
  type Task,
  TaskError,
} from "../mod.ts";
import { executeNext, fromNow, makeHuey, quietLogs } from "./_helpers.ts";

quietLogs();

function setup(options: Parameters<typeof makeHuey>[0] = {}) {
  const huey = makeHuey(options);
  const incr = huey.task(function incr(n: number) {
    return n + 1;
  });
  const total = huey.task(function total(ns: number[]) {
    return ns.reduce((a, b) => a + b, 0);
  });
  const collect = huey.task(function collect(...args: unknown[]) {
    return args;
  });
  const boom = huey.task(function boom(n: number): number {
    throw new Error(`boom ${n}`);
  });
  return { huey, incr, total, collect, boom };
}

/** Runs every queued task, one at a time, until the queue is empty. */
async function drain(huey: Huey): Promise<void> {
  while ((await huey.pendingCount()) > 0) await executeNext(huey);
}

/** The names of the queued tasks, in order. */
async function queuedNames(huey: Huey): Promise<string[]> {
  return (await huey.pending()).map((task) => task.name);
}

test("group(...).chain(callback) is a chord; chain() and onError() on a chord go to its callback", () => {
  const { incr, total, collect } = setup();
  const made = group([incr.s(1), incr.s(2)]).chain(total);
  assert.ok(made instanceof Chord);
  assert.equal(made.callback.name, "total");
  assert.equal(made.tasks.length, 2);
  made.chain(incr).onError(collect, "failed");
  assert.equal(made.callback.next?.name, "incr");
  assert.equal(made.callback.errorHandler?.name, "collect");
  assert.deepEqual(made.callback.errorHandler?.args, ["failed"]);
  const withArgs = group([incr.s(1)]).chain(collect, "first");
  assert.deepEqual(withArgs.callback.args, ["first"]);
  assert.ok(chord([incr.s(1)], total.s()) instanceof Chord);
});

test("group(...).onError(handler) gives every member its own copy of the handler", () => {
  const { incr, total, collect } = setup();
  const inner = chord([incr.s(1)], total);
  const made = group([incr.s(1), incr.s(2), inner]).onError(collect, "x");
  const [a, b] = made.tasks as Task[];
  assert.equal(a.errorHandler?.name, "collect");
  assert.deepEqual(a.errorHandler?.args, ["x"]);
  assert.notEqual(a.errorHandler, b.errorHandler);
  assert.notEqual(a.errorHandler?.id, b.errorHandler?.id);
  assert.equal(inner.callback.errorHandler?.name, "collect");
  const built = collect.s("y");
  const [c, d] = group([incr.s(1), incr.s(2)]).onError(built).tasks as Task[];
  assert.deepEqual([c.errorHandler?.args, d.errorHandler?.args], [["y"], ["y"]]);
  assert.notEqual(c.errorHandler?.id, d.errorHandler?.id);
});

test("a failing group member runs its own copy of the group's error handler", async () => {
  const { huey, incr, boom, collect } = setup();
  const made = group([boom.s(1), incr.s(1), boom.s(2)]).onError(collect, "failed");
  const results = await huey.enqueue(made);
  await drain(huey);
  const [first, , third] = made.tasks as Task[];
  const handled = await Promise.all(
    [first, third].map((task) => new Result(huey, task.errorHandler!).get()),
  );
  assert.deepEqual(handled.map((value) => (value as [string, Error])[1].message), [
    "boom 1",
    "boom 2",
  ]);
  assert.equal(await results.results[1].get(), 2);
  assert.equal(await huey.pendingCount(), 0);
});

test("a group cannot be a member of a chord or a group: ConfigurationError names the member", () => {
  const { incr, total } = setup();
  const inner = group([incr.s(1)]);
  const members = [incr.s(1), inner] as unknown as Task<number>[];
  assert.throws(() => chord(members, total), (error: unknown) => {
    assert.ok(error instanceof ConfigurationError);
    assert.match(error.message, /Member 1 of a chord must be a task, a pipeline or a chord/);
    assert.match(error.message, /group\(\.\.\.\)\.chain\(callback\)/);
    return true;
  });
  assert.throws(() => group(members), /Member 1 of a group/);
  assert.throws(() => group(members).chain(total), ConfigurationError);
  assert.throws(
    () => chord([incr.s(1)], 42 as unknown as Task),
    /A chord's callback must be a task wrapper or a task, got 42/,
  );
});

test("huey.enqueue(group) enqueues every member and resolves to their results in order", async () => {
  const { huey, incr, total } = setup();
  const results = await huey.enqueue(group([incr.s(1), incr.s(2).chain(incr), total.s([4, 5])]));
  assert.ok(results instanceof ResultGroup);
  assert.deepEqual(await queuedNames(huey), ["incr", "incr", "total"]);
  await drain(huey);
  assert.deepEqual(await results.get(), [2, 4, 9]); // a pipeline member gives its last stage's
  assert.ok(huey.group([incr.s(1)]) instanceof Group);
});

test("the callback is enqueued once the last member ends, with the values in the members' order", async () => {
  const { huey, incr, collect } = setup();
  const result = await huey.enqueue(huey.chord([incr.s(1), incr.s(2), incr.s(3)], collect.s("x")));
  assert.ok(result instanceof ChordResult);
  const [first, second, third] = await huey.pending();
  await huey.storage.flushQueue();
  await huey.execute(third);
  await huey.execute(first);
  assert.equal(await huey.pendingCount(), 0, "no callback before every member ended");
  await huey.execute(second);
  assert.deepEqual(await queuedNames(huey), ["collect"]);
  await drain(huey);
  assert.deepEqual(await result.get(), ["x", [2, 3, 4]]);
  assert.deepEqual(await result.results.get(), [2, 3, 4]);
  assert.equal(result.pipelineResults, null);
  assert.ok(result.callback instanceof Result);
  assert.equal(result.id, result.callback.id);
});

test("what a chord stored for its members is gone once the callback is enqueued", async () => {
  const { huey, incr, total } = setup({ results: false });
  const made = chord([incr.s(1), incr.s(2)], total);
  await huey.enqueue(made);
  const [first] = made.tasks as Task[];
  const id = first.chord!.id;
  await drain(huey);
  assert.equal(await huey.storage.resultStoreSize(), 0, "no member outcome is left");
  assert.equal(await huey.storage.addMember(`chord:${id}`, "probe"), 1, "the member set is gone");
});

test("a member that failed for good contributes its TaskError; one with retries left does not yet", async () => {
  const { huey, incr, boom, collect } = setup();
  const result = await huey.enqueue(
    chord([incr.s(1), boom.s(2).withOptions({ retries: 1 }), incr.s(3)], collect),
  );
  await executeNext(huey);
  await executeNext(huey); // boom fails, one retry left: re-enqueued
  await executeNext(huey);
  assert.deepEqual(await queuedNames(huey), ["boom"]);
  await executeNext(huey); // boom fails for good: the chord completes
  assert.deepEqual(await queuedNames(huey), ["collect"]);
  await drain(huey);
  const [values] = (await result.get()) as [unknown[]];
  assert.equal(values[0], 2);
  assert.equal(values[2], 4);
  const error = values[1] as Error & { metadata?: { error: string; retries: number } };
  assert.ok(error instanceof Error);
  assert.equal(error.name, "TaskError");
  assert.match(error.metadata!.error, /boom 2/);
  assert.equal(error.metadata!.retries, 0);
  await assert.rejects(result.results.results[1].get(), TaskError);
});

test("a member that was revoked, expired or cancelled by a pre-execute hook contributes null and counts", async () => {
  const { huey, incr, collect } = setup();
  huey.preExecute((task) => {
    if (task.args[0] === 3) throw new CancelExecution();
  });
  const revoked = incr.s(1);
  const expired = incr.s(2).withOptions({ expires: 1 });
  const result = await huey.enqueue(chord([revoked, expired, incr.s(3), incr.s(4)], collect));
  await new Result(huey, revoked).revoke();
  for (let i = 0; i < 4; i++) await executeNext(huey, fromNow(60));
  assert.deepEqual(await queuedNames(huey), ["collect"]);
  await drain(huey);
  assert.deepEqual(await result.get(), [[null, null, null, 5]]);
});

test("pipelines as members: the last stage's value counts; a pipeline that stops early contributes its end", async () => {
  const { huey, incr, boom, total, collect } = setup();
  const result = await huey.enqueue(
    chord([incr.s(0).chain(incr).chain(incr), incr.s(1).chain(incr), incr.s(2)], total),
  );
  await drain(huey);
  assert.equal(await result.get(), 3 + 3 + 3);
  assert.deepEqual(await result.results.get(), [3, 3, 3]);

  const skipped = incr.s(5).chain(incr);
  const early = await huey.enqueue(chord([incr.s(0).chain(boom).chain(incr), skipped], collect));
  await new Result(huey, skipped).revoke();
  await drain(huey);
  const [[failed, none]] = (await early.get()) as [[Error, null]];
  assert.equal(failed.name, "TaskError");
  assert.equal(none, null);
});

test("chords of chords: each inner callback's value is a member of the outer chord", async () => {
  const { huey, incr, total, collect } = setup();
  const inner1 = chord([incr.s(1), incr.s(2)], total); // 2 + 3
  const inner2 = chord([incr.s(10)], total).chain(incr); // 11, then 12
  const result = await huey.enqueue(chord([inner1, inner2, incr.s(0)], collect));
  await drain(huey);
  assert.deepEqual(await result.get(), [[5, 12, 1]]);
  assert.deepEqual(await result.results.get(), [5, 12, 1]);
});

test("chord(...).chain(next): get() is the callback's value, pipelineResults every stage's", async () => {
  const { huey, incr, total, collect } = setup();
  const result = await huey.enqueue(
    group([incr.s(0), incr.s(1), incr.s(2)]).chain(total).chain(incr).onError(collect),
  );
  await drain(huey);
  assert.equal(await result.get(), 6);
  assert.deepEqual(await result.pipelineResults!.get(), [6, 7]);
});

test("chord(...).onError(handler) runs the handler when the callback fails", async () => {
  const { huey, incr, boom, collect } = setup();
  const made = chord([incr.s(1)], boom.s()).onError(collect, "callback failed");
  const result = await huey.enqueue(made);
  await drain(huey);
  await assert.rejects(result.get(), TaskError);
  const handler = made.callback.errorHandler!;
  const [label, error] = (await new Result(huey, handler).get()) as [string, Error];
  assert.equal(label, "callback failed");
  assert.match(error.message, /boom/);
});

test("an empty chord enqueues its callback at once with []", async () => {
  const { huey, total } = setup();
  const result = await huey.enqueue(chord([], total));
  assert.deepEqual(await queuedNames(huey), ["total"]);
  await drain(huey);
  assert.equal(await result.get(), 0);
});

test("a member delivered twice counts once: the callback waits for the other members", async () => {
  const { huey, incr, collect } = setup();
  const result = await huey.enqueue(chord([incr.s(1), incr.s(2)], collect));
  const first = (await huey.dequeue())!;
  const again = huey.serializeTask(first);
  await huey.execute(first);
  await huey.storage.enqueue(again); // the same message comes back (its lease ran out)
  await huey.execute((await huey.dequeue())!); // incr(2)
  // incr(2) completed the chord: its callback and the redelivered incr(1) are queued.
  assert.deepEqual((await queuedNames(huey)).sort(), ["collect", "incr"]);
  await drain(huey);
  assert.deepEqual(await result.get(), [[2, 3]]);
});

test("a member delivered twice before the others ends counts once: no early callback", async () => {
  const { huey, incr, collect } = setup();
  const result = await huey.enqueue(chord([incr.s(1), incr.s(2), incr.s(3)], collect));
  const first = (await huey.dequeue())!;
  const again = huey.deserializeTask(huey.serializeTask(first));
  await huey.execute(first);
  await huey.execute(again);
  await huey.execute(huey.deserializeTask(huey.serializeTask(again)));
  assert.deepEqual(
    await queuedNames(huey),
    ["incr", "incr"],
    "three ends of one member: no callback",
  );
  await drain(huey);
  assert.deepEqual(await queuedNames(huey), []);
  assert.deepEqual(await result.get(), [[2, 3, 4]]);
});

test("the last member executed twice enqueues the callback once", async () => {
  const { huey, incr, collect } = setup();
  const calls: unknown[] = [];
  huey.signal((_signal, task) => {
    if (task.name === "collect") calls.push(task.id);
  }, "executing");
  const result = await huey.enqueue(chord([incr.s(1), incr.s(2)], collect));
  await executeNext(huey);
  const last = (await huey.dequeue())!;
  const copy = huey.serializeTask(last);
  await huey.execute(last);
  await huey.execute(huey.deserializeTask(copy));
  assert.deepEqual(await queuedNames(huey), ["collect"]);
  await drain(huey);
  assert.equal(calls.length, 1);
  assert.deepEqual(await result.get(), [[2, 3]]);
});

test("members that end at the same time enqueue the callback once, and signal it once", async () => {
  const { huey, incr, collect } = setup();
  const enqueued: string[] = [];
  huey.signal((_signal, task) => void enqueued.push(task.name), "enqueued");
  const result = await huey.enqueue(chord([1, 2, 3, 4, 5].map((n) => incr.s(n)), collect));
  const members = [];
  for (let i = 0; i < 5; i++) members.push((await huey.dequeue())!);
  await Promise.all(members.map((task) => huey.execute(task)));
  await Promise.all(members.map((task) => huey.execute(task))); // and each one again
  assert.deepEqual(await queuedNames(huey), ["collect"]);
  assert.deepEqual(enqueued.filter((name) => name === "collect"), ["collect"]);
  await drain(huey);
  assert.deepEqual(await result.get(), [[2, 3, 4, 5, 6]]);
});

test("immediate mode runs the members, then the callback, inside enqueue()", async () => {
  const { huey, incr, total } = setup({ immediate: true });
  const result = await huey.enqueue(chord([incr.s(1), incr.s(2)], total).chain(incr));
  assert.equal(await result.get(), 5);
  assert.deepEqual(await result.pipelineResults!.get(), [5, 6]);
  const plain = await huey.enqueue(group([incr.s(1), incr.s(2)]));
  assert.deepEqual(await plain.get(), [2, 3]);
});

test("only chord members carry a chord field in their message, and it is read back whole", async () => {
  const { huey, incr, total } = setup();
  const plain = huey.serializeTask(incr.s(1));
  assert.ok(!new TextDecoder().decode(plain).includes('"chord"'));
  const made = chord([incr.s(1).chain(incr), incr.s(2)], total.s().chain(incr));
  await huey.enqueue(made);
  const [head] = await huey.pending();
  assert.equal(head.chord, null, "the first stage of a pipeline member carries nothing");
  const membership = head.next!.chord!;
  assert.deepEqual([membership.size, membership.index], [2, 0]);
  assert.equal(membership.callback.name, "total");
  assert.equal(membership.callback.onComplete?.name, "incr");
  const read = huey.deserializeTask(huey.serializeTask(head));
  assert.deepEqual(read.next!.chord, membership);
});

test("a chord of tasks returning T gives a callback that takes T[] (types)", async () => {
  const { huey, incr, total } = setup({ immediate: true });
  const words = huey.task(function words(list: string[]) {
    return list.join(" ");
  });
  const ok: ChordResult<number, number> = await huey.enqueue(chord([incr.s(1)], total));
  const value: number | null = await ok.get();
  assert.equal(value, 2);
  // @ts-expect-error: the members give numbers, the callback takes strings
  chord([incr.s(1)], words);
  // @ts-expect-error: same through group().chain()
  group([incr.s(1), incr.s(2)]).chain(words);
  const members: ResultGroup<number> = await huey.enqueue(group([incr.s(1)]));
  assert.deepEqual(await members.get(), [2]);
  const nested = chord([chord([incr.s(1)], total)], total);
  assert.equal(await (await huey.enqueue(nested)).get(), 2);
});
