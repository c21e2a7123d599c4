// Issue 12 item 4 (SPEC §9): storeIntermediateErrors (huey 3.2's store_intermediate_errors) and
// Result.isReady(). With storeIntermediateErrors off, an attempt that a retry follows stores
// nothing, so a blocking get() waits for the final outcome; the signals still fire every attempt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError, TaskError } from "../errors.ts";
import { executeNext, makeHuey, quietLogs, recordSignals, single } from "./_helpers.ts";

quietLogs();

class Flaky extends Error {
  override name = "Flaky";
}

/** A Huey with a task that fails `failures` times, then returns "done". */
function flakyWorld(options: { storeIntermediateErrors?: boolean }, failures: number) {
  const huey = makeHuey(options);
  let runs = 0;
  const flaky = huey.task(function flaky() {
    if (++runs <= failures) throw new Flaky(`attempt ${runs}`);
    return "done";
  }, { retries: 2 });
  const handled: unknown[] = [];
  const handler = huey.task(function handler(error: unknown) {
    handled.push(error);
  });
  return { huey, flaky, handler, handled };
}

test("by default the error of an attempt that will be retried is stored (isReady() says so)", async () => {
  const { huey, flaky } = flakyWorld({}, 1);
  const result = await flaky();
  assert.equal(await result.isReady(), false);
  await executeNext(huey);
  assert.equal(await result.isReady(), true);
  assert.equal(await result.isReady(), true, "isReady() does not consume the result");
  await assert.rejects(() => result.get({ preserve: true }), /Flaky: attempt 1/);
  result.reset();
  await executeNext(huey);
  assert.equal(await result.get(), "done");
});

test("with storeIntermediateErrors: false a retried attempt stores nothing; a blocking get() waits for the final value", async () => {
  const { huey, flaky } = flakyWorld({ storeIntermediateErrors: false }, 2);
  const signals = recordSignals(huey);
  const result = await flaky();
  signals.take();
  await executeNext(huey);
  assert.equal(await result.isReady(), false);
  assert.equal(await huey.resultCount(), 0);
  assert.deepEqual(signals.take(), ["executing", "error", "retrying", "enqueued"]);
  const waiting = result.get({ blocking: true, timeout: 60 });
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", "error", "retrying", "enqueued"]);
  assert.equal(await result.isReady(), false);
  await executeNext(huey);
  assert.equal(await waiting, "done");
});

test("with storeIntermediateErrors: false the final failure is stored and the error handler runs once", async () => {
  const { huey, flaky, handler, handled } = flakyWorld({ storeIntermediateErrors: false }, 5);
  const result = single(await huey.enqueue(flaky.s().onError(handler)));
  for (let attempt = 1; attempt <= 2; attempt++) {
    await executeNext(huey);
    assert.equal(await result.get(), null, `attempt ${attempt} stored nothing`);
    assert.equal(await huey.pendingCount(), 1, "only the retry is queued, no error handler");
  }
  await executeNext(huey);
  assert.equal(await result.isReady(), true);
  const error = await result.get().catch((error) => error);
  assert.ok(error instanceof TaskError);
  assert.equal(error.metadata.error, "Flaky: attempt 3");
  assert.equal(error.metadata.retries, 0);
  await executeNext(huey);
  assert.equal(handled.length, 1);
  assert.match(String(handled[0]), /attempt 3/);
});

test("storeIntermediateErrors must be a boolean", () => {
  assert.throws(
    () => makeHuey({ storeIntermediateErrors: "no" as never }),
    (error: Error) =>
      error instanceof ConfigurationError && /'storeIntermediateErrors'/.test(error.message) &&
      /"no"/.test(error.message),
  );
});

test("isReady() is true for a stored value or null, false before, and needs results", async () => {
  const huey = makeHuey({ storeNone: true });
  const none = huey.task(function none() {
    return null;
  });
  const result = await none();
  assert.equal(await result.isReady(), false);
  await executeNext(huey);
  assert.equal(await result.isReady(), true);
  assert.equal(await result.get(), null);
  assert.equal(await result.isReady(), true, "read into the Result: still ready");

  const off = makeHuey({ results: false });
  const task = off.task(function task() {});
  const unstored = await task();
  await assert.rejects(() => unstored.isReady(), ConfigurationError);
});
