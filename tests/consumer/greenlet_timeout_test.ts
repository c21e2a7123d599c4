/**
 * A task that blocks its event loop past its `timeout` fails with
 * `TaskTimeout` when it returns (SPEC §7, §8), with a warning that greenlet
 * workers cannot interrupt synchronous code: through `execute()`, and
 * through the real CLI with greenlet workers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { TaskError } from "../../errors.ts";
import { executeNext, makeHuey, quietLogs } from "../_helpers.ts";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";

after(killAll);

const logs = quietLogs();

/** Blocks the thread, and so the event loop, for `seconds`. */
function blockThread(seconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}

/** The stored error of a task that failed. */
async function storedError(result: { get(): Promise<unknown> }): Promise<TaskError> {
  const error = await result.get().then(() => null, (error: unknown) => error);
  assert.ok(error instanceof TaskError, `expected a TaskError, got ${error}`);
  return error;
}

const WARNING = /cannot interrupt synchronous code.*thread or process workers/;

test("execute() fails a task that blocks the event loop past its timeout with TaskTimeout, and warns", async () => {
  const huey = makeHuey();
  const stuck = huey.task(function stuck(): string {
    blockThread(1.3);
    return "done";
  }, { timeout: 1 });
  const result = await stuck();
  logs.length = 0;
  assert.equal(await executeNext(huey), undefined);
  const error = await storedError(result);
  assert.equal(error.metadata.name, "TaskTimeout");
  assert.match(logs.join("\n"), WARNING);
  await huey.close();
});

test("execute() keeps the value of a synchronous task that returns within its timeout", async () => {
  const huey = makeHuey();
  const brief = huey.task(function brief(): string {
    blockThread(0.05);
    return "done";
  }, { timeout: 5 });
  const result = await brief();
  logs.length = 0;
  assert.equal(await executeNext(huey), "done");
  assert.equal(await result.get(), "done");
  assert.doesNotMatch(logs.join("\n"), WARNING);
  await huey.close();
});

test("a task's timeout counts from its start, its synchronous part included", async () => {
  const huey = makeHuey();
  const mixed = huey.task(async function mixed(): Promise<string> {
    blockThread(0.6);
    await new Promise((resolve) => setTimeout(resolve, 600));
    return "done";
  }, { timeout: 1 });
  const result = await mixed();
  assert.equal(await executeNext(huey), undefined);
  assert.equal((await storedError(result)).metadata.name, "TaskTimeout");
  await huey.close();
});

test("greenlet workers store TaskTimeout for a task that blocks past its timeout, warn, and go on", () =>
  inScenario({ kind: "sqlite" }, async ({ app, start, waitMarkers }) => {
    const consumer = start([...FAST, "-n", "-k", "greenlet", "-w", "1"]);
    await waitMarkers("startup");
    const result = await app.overrun("sync", 1.5);
    const error = await result.get({ blocking: true, timeout: 60 }).then(
      () => null,
      (error: unknown) => error,
    );
    assert.ok(error instanceof TaskError, `expected a TaskError, got ${error}`);
    assert.equal(error.metadata.name, "TaskTimeout");
    await waitFor(() => WARNING.test(consumer.output()), "the warning");
    const next = await app.add(2, 3);
    assert.equal(await next.get({ blocking: true, timeout: 60 }), 5);
    assert.deepEqual(await consumer.stop("SIGINT"), { code: 0, signal: null });
  }));
