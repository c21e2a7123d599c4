// Ported from huey's tests/test_api.py (test_result_store, test_result_timeout,
// TestDisableResultStore) and the verified Result behaviours: blocking reads, timeouts,
// preserve and the read cache, ResultGroup; plus `results: false` as SPEC §2 defines it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError, ResultTimeout } from "../errors.ts";
import { Result, ResultGroup } from "../result.ts";
import { sleep } from "../_runtime.ts";
import { executeNext, makeHuey } from "./_helpers.ts";

function setup(options = {}) {
  const huey = makeHuey(options);
  const echo = huey.task(function echo(value: number | null | undefined) {
    return value;
  });
  return { huey, echo };
}

test("a task returning undefined or null stores nothing unless storeNone", async () => {
  const { huey, echo } = setup();
  const r1 = await echo(1);
  const r2 = await echo(undefined);
  const r3 = await echo(2);
  for (let i = 0; i < 3; i++) await executeNext(huey);
  assert.equal(await huey.resultCount(), 2);
  assert.equal(await r2.get({ preserve: true }), null);
  assert.equal(await r1.get(), 1);
  assert.equal(await r3.get(), 2);

  huey.storeNone = true;
  const r4 = await echo(null);
  await executeNext(huey);
  assert.equal(await huey.resultCount(), 1);
  assert.equal(await r4.get(), null);
  assert.equal(await huey.resultCount(), 0);
});

test("a blocking get() rejects with ResultTimeout, and can revoke the task on timeout", async () => {
  const { huey, echo } = setup();
  const result = await echo(1);
  await assert.rejects(() => result.get({ blocking: true, timeout: 0.01 }), ResultTimeout);
  assert.equal(await result.isRevoked(), false);
  assert.equal(await executeNext(huey), 1);
  assert.equal(await result.get({ blocking: true, timeout: 0.01 }), 1);

  const revoked = await echo(2);
  await assert.rejects(
    () => revoked.get({ blocking: true, timeout: 0.01, revokeOnTimeout: true }),
    (error: Error) =>
      error instanceof ResultTimeout && error.message === "timed out waiting for result",
  );
  assert.ok(await revoked.isRevoked());
  assert.equal(await executeNext(huey), undefined);
});

test("a blocking get() resolves once a worker stores the value", async () => {
  const { huey, echo } = setup();
  const result = await echo(7);
  const worker = new Promise((resolve) => setTimeout(() => resolve(executeNext(huey)), 30));
  assert.equal(await result.get({ blocking: true, timeout: 5, backoff: 1.5, maxDelay: 0.05 }), 7);
  assert.equal(await worker, 7);
});

test("a blocking get() stops when its signal aborts", async () => {
  const { echo } = setup();
  const result = await echo(1);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("no longer needed")), 20);
  await assert.rejects(
    () => result.get({ blocking: true, signal: controller.signal }),
    /no longer needed/,
  );
});

test("get({ preserve }) leaves the value stored; the value read is cached until reset()", async () => {
  const { huey, echo } = setup();
  const result = await echo(5);
  await executeNext(huey);
  assert.equal(await result.get({ preserve: true }), 5);
  assert.equal(await huey.resultCount(), 1);
  assert.equal(await result.get(), 5, "from the cache");
  assert.equal(await huey.resultCount(), 1, "the cached read did not pop");
  result.reset();
  assert.equal(await result.get(), 5);
  assert.equal(await huey.resultCount(), 0);
  assert.equal(await result.get(), 5, "cached again");
  result.reset();
  assert.equal(await result.get(), null);
});

test("with results: false nothing is stored and get() rejects with ConfigurationError", async () => {
  const { huey, echo } = setup({ results: false });
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const result = await add(1, 2);
  assert.ok(result instanceof Result);
  assert.equal(await executeNext(huey), 3);
  assert.equal(await huey.resultCount(), 0);
  await assert.rejects(() => result.get(), ConfigurationError);

  const group = await huey.enqueue(add.s(1, 2).chain(add, 3));
  assert.ok(group instanceof ResultGroup);
  assert.equal(await executeNext(huey), 3);
  assert.equal(await executeNext(huey), 6);
  await assert.rejects(() => group.get(), ConfigurationError);

  const mapped = await echo.map([1, 2]);
  assert.ok(mapped instanceof ResultGroup);
  assert.equal(mapped.length, 2);
  await result.revoke();
  assert.ok(await result.isRevoked(), "the Result still revokes");
  assert.equal(await huey.resultCount(), 1, "only the revoke key");
});

test("a ResultGroup reads every value in order, and is iterable", async () => {
  const { huey, echo } = setup();
  const group = await echo.map([1, 2, 3]);
  assert.equal(group.length, 3);
  assert.deepEqual(await group.get(), [null, null, null]);
  for (let i = 0; i < 3; i++) await executeNext(huey);
  assert.deepEqual(await group.get({ blocking: true, timeout: 1 }), [1, 2, 3]);
  assert.deepEqual([...group].map((result) => result.task.args), [[1], [2], [3]]);
});

test("ResultGroup.asCompleted() yields values in the order their tasks finish", async () => {
  const { huey, echo } = setup();
  const group = await echo.map([1, 2, 3]);
  const tasks = [];
  for (let i = 0; i < 3; i++) tasks.push((await huey.dequeue())!);
  const seen: number[] = [];
  const collecting = (async () => {
    for await (const value of group.asCompleted({ backoff: 1.1, maxDelay: 0.02 })) {
      seen.push(value as number);
    }
  })();
  for (const [step, index] of [2, 0, 1].entries()) {
    await huey.execute(tasks[index]);
    for (let i = 0; i < 400 && seen.length <= step; i++) await sleep(0.005);
  }
  await collecting;
  assert.deepEqual(seen, [3, 1, 2]);
});

test("ResultGroup.asCompleted() yields a stored null (storeNone) instead of waiting for it forever", async () => {
  const { huey, echo } = setup({ storeNone: true });
  const group = await echo.map([null, 1, undefined]);
  for (let i = 0; i < 3; i++) await executeNext(huey);
  const seen: unknown[] = [];
  // Only a bound for the failure: before the fix the loop never ended.
  const signal = AbortSignal.timeout(20_000);
  for await (const value of group.asCompleted({ maxDelay: 0.01, signal })) seen.push(value);
  assert.deepEqual(seen, [null, 1, undefined]);
  assert.equal(await huey.resultCount(), 0, "the values were read (and removed) once");
});

test("ResultGroup.asCompleted() stops when its signal aborts", async () => {
  const { echo } = setup();
  const group = await echo.map([1]);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop waiting")), 20);
  await assert.rejects(async () => {
    for await (const _ of group.asCompleted({ signal: controller.signal })) {
      assert.fail("nothing ran");
    }
  }, /stop waiting/);
});

test("Result, ResultGroup and Task are never thenable", async () => {
  const { echo } = setup();
  const result = await echo(1);
  const group = await echo.map([1]);
  const task = echo.s(1);
  for (const value of [result, group, task]) {
    assert.equal("then" in value, false);
    assert.equal(await value, value, "awaiting gives the object itself");
  }
});
