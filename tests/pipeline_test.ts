// Ported from huey's tests/test_api.py (TestTaskChaining) and the verified value-passing
// rules, adapted to JavaScript: a tuple() is spread into the next stage, null and undefined
// add nothing, anything else (an array, an object, 0, a string) is appended as one argument.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TaskError } from "../errors.ts";
import { Huey } from "../huey.ts";
import type { MemoryHuey } from "../mod.ts";
import { newTask } from "../registry.ts";
import { ResultGroup } from "../result.ts";
import { MemoryStorage } from "../storage/memory.ts";
import type { Task } from "../task.ts";
import { tuple } from "../tuple.ts";
import { executeNext, makeHuey, quietLogs, single } from "./_helpers.ts";

quietLogs();

function setup() {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const mul = huey.task(function mul(a: number, b: number) {
    return a * b;
  });
  const fib = huey.task(function fib(a: number, b?: number) {
    return tuple(a + (b ?? 1), a);
  });
  const collect = huey.task(function collect(...args: unknown[]) {
    return args;
  });
  return { huey, add, mul, fib, collect };
}

/** Runs a pipeline stage by stage; exactly one task is queued at each step. */
async function runPipeline(huey: MemoryHuey, pipeline: Task): Promise<unknown[]> {
  const group = await huey.enqueue(pipeline);
  assert.ok(group instanceof ResultGroup);
  while ((await huey.pendingCount()) > 0) {
    assert.equal(await huey.pendingCount(), 1);
    await executeNext(huey);
  }
  return group.get();
}

test("a tuple() returned by a stage is spread into the next stage's arguments", async () => {
  const { huey, fib } = setup();
  const values = await runPipeline(huey, fib.s(1).chain(fib).chain(fib).chain(fib));
  assert.deepEqual(values.map((value) => [...(value as number[])]), [[2, 1], [3, 2], [5, 3], [
    8,
    5,
  ]]);
});

test("chain() arguments come first and the previous stage's value is appended", async () => {
  const { huey, add, mul } = setup();
  assert.deepEqual(
    await runPipeline(huey, add.s(1, 2).chain(add, 3).chain(add, 4).chain(add, 5)),
    [3, 6, 10, 15],
  );
  assert.deepEqual(
    await runPipeline(huey, add.s(1, 2).chain(mul, 4).chain(add, -5).chain(mul, 3).chain(add, 8)),
    [3, 12, 7, 21, 29],
  );
});

test("chain() accepts built tasks, extends their arguments, and appends to the end", async () => {
  const { huey, add, mul, collect } = setup();
  const pipeline = add.s(1, 2).chain(add.s(3)).chain(mul.s(4));
  pipeline.chain(mul, 5);
  assert.deepEqual(await runPipeline(huey, pipeline), [3, 6, 24, 120]);
  const extended = add.s(1, 2).chain(collect.s("a"), "b");
  assert.deepEqual(await runPipeline(huey, extended), [3, ["a", "b", 3]]);
});

test("an array or an object arrives as one argument; null and undefined add nothing", async () => {
  const huey = makeHuey();
  const give = huey.task(function give(kind: string): unknown {
    return ({
      array: [1, 2],
      tuple: tuple(1, 2),
      emptyTuple: tuple(),
      object: { a: 1 },
      nothing: null,
      undef: undefined,
      zero: 0,
      text: "str",
    } as Record<string, unknown>)[kind];
  });
  const seen = huey.task(function seen(...args: unknown[]) {
    return args.length === 0 ? "none" : args;
  });
  const cases: [string, unknown][] = [
    ["array", [[1, 2]]],
    ["tuple", [1, 2]],
    ["emptyTuple", "none"],
    ["object", [{ a: 1 }]],
    ["nothing", "none"],
    ["undef", "none"],
    ["zero", [0]],
    ["text", ["str"]],
  ];
  for (const [kind, expected] of cases) {
    const [, received] = await runPipeline(huey, give.s(kind).chain(seen));
    assert.deepEqual(received, expected, kind);
  }
});

test("enqueue() of a pipeline resolves to a group of the task and each stage, not error handlers", async () => {
  const { huey, add } = setup();
  const pipeline = add.s(1, 2).chain(add, 3).onError(add, 0);
  const group = await huey.enqueue(pipeline);
  assert.ok(group instanceof ResultGroup);
  assert.deepEqual(group.results.map((result) => result.id), [pipeline.id, pipeline.next!.id]);
  assert.deepEqual([...group].map((result) => result.id), [pipeline.id, pipeline.next!.id]);
});

test("the error handler is enqueued after the failure with the error as its last argument", async () => {
  const huey = makeHuey();
  const fail = huey.task(function fail(n: number): number {
    throw new TypeError(`uh-oh ${n}`);
  });
  const seen: unknown[][] = [];
  const handler = huey.task(function handler(...args: unknown[]) {
    seen.push(args);
    return 1337;
  });
  const failing = fail.s(0).onError(handler, "extra");
  const result = await huey.enqueue(failing);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await huey.pendingCount(), 1);
  assert.equal(await executeNext(huey), 1337);
  assert.equal(seen.length, 1);
  const [extra, error] = seen[0];
  assert.equal(extra, "extra");
  assert.ok(error instanceof Error);
  assert.equal(error.name, "TypeError");
  assert.equal(error.message, "uh-oh 0");
  await assert.rejects(() => single(result).get(), TaskError);
  assert.equal(await huey.result(failing.errorHandler!.id), 1337);
});

test("the error handler runs once, after the last retry, with only the last error", async () => {
  const huey = makeHuey();
  let attempts = 0;
  const flaky = huey.task(function flaky() {
    throw new Error(`attempt ${++attempts}`);
  }, { retries: 2 });
  const seen: unknown[][] = [];
  const handler = huey.task(function handler(...args: unknown[]) {
    seen.push(args);
  });
  await huey.enqueue(flaky.s().onError(handler));
  for (let i = 0; i < 3; i++) {
    assert.equal(await huey.pendingCount(), 1);
    const task = await huey.dequeue();
    assert.equal(task?.name, "flaky");
    await huey.execute(task!);
  }
  assert.equal(seen.length, 0, "not while retries remain");
  assert.equal(await huey.pendingCount(), 1);
  await executeNext(huey);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].length, 1);
  assert.equal((seen[0][0] as Error).message, "attempt 3");
  assert.equal(await huey.pendingCount(), 0);
});

test("a stage that fails stops the pipeline: later stages are never enqueued", async () => {
  const huey = makeHuey();
  const step = huey.task(function step(n: number) {
    if (n === 3) throw new Error("stage three");
    return n + 1;
  });
  const group = await huey.enqueue(step.s(1).chain(step).chain(step).chain(step));
  assert.ok(group instanceof ResultGroup);
  const [r1, r2, r3, r4] = group.results;
  for (let i = 0; i < 3; i++) await executeNext(huey);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await r1.get(), 2);
  assert.equal(await r2.get(), 3);
  await assert.rejects(() => r3.get(), (error: TaskError) => {
    assert.ok(error instanceof TaskError);
    assert.match(error.metadata.error, /stage three/);
    return true;
  });
  assert.equal(await r4.get(), null);
});

test("a revoked stage is skipped, the pipeline stops, and the revocation is consumed", async () => {
  const { huey, add } = setup();
  const group = await huey.enqueue(add.s(1, 1).chain(add, 1).chain(add, 1).chain(add, 1));
  assert.ok(group instanceof ResultGroup);
  const [r1, r2, r3] = group.results;
  await r3.revoke();
  assert.equal(await executeNext(huey), 2);
  assert.equal(await executeNext(huey), 3);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await r1.get(), 2);
  assert.equal(await r2.get(), 3);
  assert.equal(await r3.get(), null);
  assert.equal(await r3.isRevoked(), false);
});

test("an error handler that fails runs its own error handler", async () => {
  const huey = makeHuey();
  const maybeFail = huey.task(function maybeFail(n: number) {
    if (n > 0) throw new Error(`failed ${n}`);
    return n;
  });
  const handle = huey.task(function handle(code: number, error: Error) {
    if (code === 0) throw new Error(`handler saw ${error.message}`);
    return `${code}: ${error.message}`;
  });
  const pipeline = maybeFail.s(0).chain(maybeFail.s(1).onError(handle, 0).onError(handle, 3));
  const group = await huey.enqueue(pipeline);
  assert.ok(group instanceof ResultGroup);
  const [r1, r2] = group.results;
  assert.equal(await executeNext(huey), 0);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await executeNext(huey), undefined, "the first handler fails");
  assert.equal(await executeNext(huey), "3: handler saw failed 1");
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await r1.get(), 0);
  await assert.rejects(() => r2.get(), TaskError);
});

test("a stage that fails and is retried continues the pipeline once it succeeds", async () => {
  const huey = makeHuey();
  let calls = 0;
  const flaky = huey.task(function flaky(n: number) {
    if (++calls === 1) throw new Error("first try");
    return n * 10;
  }, { retries: 1 });
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const values = await runPipeline(huey, flaky.s(2).chain(add, 1));
  assert.deepEqual(values, [20, 21]);
});

/**
 * A Huey on a memory storage whose clock the test moves, and a worker loop
 * that runs what it dequeues, then lets every lease expire, for `rounds`
 * rounds: a message that is never acknowledged comes back each round.
 */
function leasedWorld() {
  let now = Date.now();
  const storage = new MemoryStorage(`pipeline-${crypto.randomUUID()}`, { clock: () => now });
  const huey = new Huey(storage.name, { storage, leaseTimeout: 30 });
  const runs: string[] = [];
  const errors: unknown[] = [];
  const work = async (rounds = 3): Promise<void> => {
    for (let round = 0; round < rounds; round++) {
      for (let task = await huey.dequeue(); task; task = await huey.dequeue()) {
        await huey.execute(task).catch((error) => errors.push(error));
      }
      now += 31_000;
    }
  };
  return { huey, runs, errors, work };
}

test("a pipeline whose next stage is unknown goes to the dead letters whole: its first stage never runs", async () => {
  const { huey, runs, errors, work } = leasedWorld();
  huey.task(function first(n: number) {
    runs.push(`first ${n}`);
    return n;
  });
  const vanished = huey.task(function vanished(n: number) {
    runs.push(`vanished ${n}`);
  });
  const first = huey.registry.get("first")!;
  // A producer that knows both tasks wrote it; this consumer does not know the second.
  const data = huey.serializeTask(newTask(first, [1]).chain(vanished));
  vanished.unregister();
  await huey.storage.enqueue(data);

  await work();
  assert.deepEqual(runs, []);
  assert.deepEqual(errors, []);
  const letters = await huey.deadLetters();
  assert.equal(letters.length, 1);
  assert.deepEqual([...letters[0].data], [...data]);
  assert.match(
    letters[0].reason,
    /^Unknown task "vanished" \(next stage of "first"\): no task of that name is registered$/,
  );
  assert.equal(await huey.pendingCount(), 0);
});

test("an error handler of an error handler that is unknown sends the whole message to the dead letters", async () => {
  const { huey, runs, errors, work } = leasedWorld();
  const fail = huey.task(function fail() {
    runs.push("fail");
    throw new Error("boom");
  });
  const handler = huey.task(function handler() {});
  const gone = huey.task(function gone() {});
  const data = huey.serializeTask(fail.s().onError(handler).onError(gone));
  gone.unregister();
  await huey.storage.enqueue(data);
  await work();
  assert.deepEqual(runs, []);
  assert.deepEqual(errors, []);
  const [letter] = await huey.deadLetters();
  assert.match(letter.reason, /Unknown task "gone" \(error handler of "handler"\)/);
});

test("a follow-up whose task was unregistered while its parent ran goes to the dead letters; the parent runs once and is acknowledged", async () => {
  const { huey, runs, errors, work } = leasedWorld();
  const first = huey.task(function first(n: number) {
    runs.push(`first ${n}`);
    return n * 10;
  });
  const fail = huey.task(function fail() {
    runs.push("fail");
    throw new Error("boom");
  });
  const later = huey.task(function later(...args: unknown[]) {
    runs.push(`later ${args.length}`);
  });
  await huey.enqueue(first.s(1).chain(later, "x"));
  await huey.enqueue(fail.s().onError(later));
  const tasks = [(await huey.dequeue())!, (await huey.dequeue())!];
  later.unregister(); // the registry changed after the messages were read
  for (const task of tasks) await huey.execute(task);
  await work();
  assert.deepEqual(runs, ["first 1", "fail"], "each parent ran once");
  assert.deepEqual(errors, []);
  const letters = await huey.deadLetters();
  assert.deepEqual(letters.map((letter) => letter.reason), [
    'Unknown task "later" (next stage of "first"): no task of that name is registered',
    'Unknown task "later" (error handler of "fail"): no task of that name is registered',
  ]);
  // The stage's message carries the parent's value, ready to be requeued once "later" is back.
  const stage = huey.serializer.deserialize(letters[0].data) as { name: string; args: unknown[] };
  assert.deepEqual([stage.name, stage.args], ["later", ["x", 10]]);
  assert.equal(await huey.pendingCount(), 0);
});
