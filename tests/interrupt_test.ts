// Our additions (SPEC §5.3, §7): execute() with an AbortSignal interrupts the task and puts
// its message back at once; a task's `timeout` stops it with TaskTimeout (retries apply) and
// aborts `task.signal`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sleep } from "../_runtime.ts";
import { ConfigurationError, TaskError, TaskTimeout } from "../errors.ts";
import type { Task } from "../task.ts";
import { executeNext, makeHuey, quietLogs, recordSignals } from "./_helpers.ts";

quietLogs();

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

test("execute() with an aborted signal interrupts the task: no run, no result, pending again at once", async () => {
  const huey = makeHuey();
  const signals = recordSignals(huey);
  let runs = 0;
  const work = huey.task(function work() {
    runs++;
    return "ran";
  });
  const result = await work();
  const task = await huey.dequeue();
  signals.take();
  assert.equal(await huey.execute(task!, { signal: AbortSignal.abort() }), undefined);
  assert.deepEqual(signals.take(), ["executing", "interrupted"]);
  assert.equal(runs, 0);
  assert.equal(await huey.resultCount(), 0);
  assert.equal(await huey.pendingCount(), 1, "released, not left to expire");
  assert.equal(await executeNext(huey), "ran");
  assert.equal(await result.get(), "ran");
});

test("aborting a running task interrupts it, aborts task.signal and releases its message", async () => {
  const huey = makeHuey();
  let seen: AbortSignal | undefined;
  const slow = huey.task(async function slow(task: Task) {
    seen = task.signal;
    await wait(5000, task.signal);
    return "finished";
  }, { context: true });
  await slow();
  const controller = new AbortController();
  const task = await huey.dequeue();
  const running = huey.execute(task!, { signal: controller.signal });
  await sleep(0.05);
  controller.abort(new Error("shutting down"));
  assert.equal(await running, undefined);
  assert.ok(seen?.aborted);
  assert.equal(await huey.pendingCount(), 1);
  assert.equal(await huey.resultCount(), 0);
});

test("a task that first reads task.signal after it was interrupted finds it aborted, with the reason", async () => {
  const huey = makeHuey();
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let began!: () => void;
  const started = new Promise<void>((resolve) => began = resolve);
  let seen: AbortSignal | undefined;
  const late = huey.task(async function late(task: Task) {
    began();
    await released;
    seen = task.signal;
  }, { context: true });
  await late();
  const controller = new AbortController();
  const task = await huey.dequeue();
  const running = huey.execute(task!, { signal: controller.signal });
  await started;
  const reason = new Error("shutting down");
  controller.abort(reason);
  assert.equal(await running, undefined);
  release();
  await released;
  await Promise.resolve(); // the task's step after \`released\` runs first
  assert.equal(seen?.aborted, true);
  assert.equal(seen?.reason, reason);
  assert.equal(task!.signal, seen, "the same signal afterwards");
});

test("a task past its timeout fails with TaskTimeout and its signal is aborted", async () => {
  const huey = makeHuey();
  let seen: AbortSignal | undefined;
  const slow = huey.task(async function slow(task: Task) {
    seen = task.signal;
    await wait(5000, task.signal);
  }, { context: true, timeout: 0.05 });
  const result = await slow();
  assert.equal(await executeNext(huey), undefined);
  assert.ok(seen?.aborted);
  assert.ok(seen?.reason instanceof TaskTimeout);
  await assert.rejects(() => result.get(), (error: TaskError) => {
    assert.ok(error instanceof TaskError);
    assert.equal(error.metadata.name, "TaskTimeout");
    return true;
  });
});

test("a task that ignores its signal still fails at its timeout, and retries apply", async () => {
  const huey = makeHuey();
  const signals = recordSignals(huey);
  let calls = 0;
  const stubborn = huey.task(async function stubborn() {
    calls++;
    if (calls === 1) await wait(300);
    return calls;
  }, { timeout: 0.05, retries: 1 });
  const result = await stubborn();
  signals.take();
  assert.equal(await executeNext(huey), undefined);
  assert.deepEqual(signals.take(), ["executing", "timeout", "retrying", "enqueued"]);
  assert.equal(await executeNext(huey), 2);
  assert.equal(await result.get(), 2, "the retry's value replaced the stored TaskTimeout");
  await sleep(0.3);
});

test("a per-call timeout overrides the task's, and a fast task is not affected", async () => {
  const huey = makeHuey();
  const nap = huey.task(async function nap(ms: number) {
    await wait(ms);
    return ms;
  }, { timeout: 5 });
  await huey.enqueue(nap.s(200).withOptions({ timeout: 0.02 }));
  await nap(1);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await executeNext(huey), 1);
  await sleep(0.2);
});

test("a task's timeout must be a positive number of seconds a timer can keep", () => {
  const huey = makeHuey();
  for (const timeout of [0, -1, Number.NaN, Infinity, 3_000_000]) {
    assert.throws(
      () => huey.task(function bad() {}, { timeout, name: `bad${String(timeout)}` }),
      (error: Error) => error instanceof ConfigurationError && /'timeout'/.test(error.message),
    );
  }
});
