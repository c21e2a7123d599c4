// Task progress (issue 12 item 6; BullMQ's job.updateProgress / job.progress): a task with
// `context: true` records progress with task.progress(value); result.progress() reads the
// latest, during the run and after it (kept, as BullMQ keeps a job's progress), from any Huey
// of the same storage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HueyError, type Task } from "../mod.ts";
import { executeNext, makeHuey, quietLogs } from "./_helpers.ts";
import { sharedStores } from "./_shared_hueys.ts";

quietLogs();
const stores = sharedStores("progress");

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

test("result.progress() reads the latest progress during the run, and after it", async () => {
  await using huey = makeHuey();
  const reported = gate();
  const proceed = gate();
  const importer = huey.task(async function importer(rows: number, task: Task) {
    await task.progress(0);
    await task.progress({ done: rows / 2, of: rows });
    reported.open();
    await proceed.opened;
    await task.progress({ done: rows, of: rows });
    return rows;
  }, { context: true });
  const result = await importer(10);
  assert.equal(await result.progress(), null, "no progress before it runs");
  const running = executeNext(huey);
  await reported.opened;
  assert.deepEqual(await result.progress(), { done: 5, of: 10 });
  proceed.open();
  await running;
  assert.equal(await result.get(), 10);
  assert.deepEqual(await result.progress(), { done: 10, of: 10 }, "kept after the task finished");
});

test("a task that records no progress reads as null", async () => {
  await using huey = makeHuey();
  const quiet = huey.task(function quiet(_task: Task) {
    return 1;
  }, { context: true });
  const result = await quiet();
  await executeNext(huey);
  assert.equal(await result.progress(), null);
});

test("task.progress() outside a run rejects with HueyError", async () => {
  await using huey = makeHuey();
  const job = huey.task(function job(_task: Task) {}, { context: true });
  await assert.rejects(job.s().progress(1), (error) => {
    assert.ok(error instanceof HueyError);
    assert.match(error.message, /not running/);
    return true;
  });
});

for (const { kind, skip, make } of stores) {
  test(`${kind}: progress recorded by a consumer is read by another Huey`, { skip }, async () => {
    const name = `progress-${crypto.randomUUID()}`;
    await using producer = make(name);
    await using consumer = make(name);
    const register = (huey: typeof producer) =>
      huey.task(async function step(task: Task) {
        await task.progress([1, "two", { three: 3 }]);
      }, { context: true });
    const step = register(producer);
    register(consumer);
    const result = await step();
    await executeNext(consumer);
    assert.deepEqual(await result.progress(), [1, "two", { three: 3 }]);
  });
}
