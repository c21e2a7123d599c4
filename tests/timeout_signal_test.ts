// Issue 12 item 4 (SPEC §9, huey 3.3): a task ended by its `timeout` emits SIGNAL_TIMEOUT
// instead of SIGNAL_ERROR, with a WARNING line; retries and the error handler apply as for any
// failure. Here on the greenlet path (execute() in this event loop) and in immediate mode;
// tests/consumer/timeout_signal_test.ts covers thread and process workers. Also: a periodic task with
// `context: true` is given its running Task.
import { test } from "node:test";
import assert from "node:assert/strict";
import { crontab } from "../crontab.ts";
import { TaskError, TaskTimeout } from "../errors.ts";
import { SIGNAL_ERROR, SIGNAL_TIMEOUT } from "../mod.ts";
import type { Task } from "../task.ts";
import { executeNext, makeHuey, quietLogs, recordSignals, single } from "./_helpers.ts";

const lines = quietLogs();

/** Never settles: only the timeout ends it. */
function forever(): Promise<never> {
  return new Promise(() => {});
}

test("a task ended by its timeout emits SIGNAL_TIMEOUT, not SIGNAL_ERROR; retries and the error handler apply", async () => {
  const huey = makeHuey();
  const signals = recordSignals(huey);
  const hangs = huey.task(function hangs() {
    return forever();
  }, { timeout: 0.02, retries: 1 });
  const handled: unknown[] = [];
  const handler = huey.task(function handler(error: unknown) {
    handled.push(error);
  });
  const result = single(await huey.enqueue(hangs.s().onError(handler)));
  signals.take();
  lines.length = 0;
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", SIGNAL_TIMEOUT, "retrying", "enqueued"]);
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", SIGNAL_TIMEOUT, "enqueued"]);
  assert.ok(!signals.all.some((each) => each.signal === SIGNAL_ERROR));
  await executeNext(huey);
  assert.equal(handled.length, 1);
  assert.ok(handled[0] instanceof TaskTimeout || /TaskTimeout/.test(String(handled[0])));
  await assert.rejects(() => result.get(), (error: TaskError) => {
    assert.ok(error instanceof TaskError);
    assert.equal(error.metadata.name, "TaskTimeout");
    return true;
  });
  const warnings = lines.filter((line) =>
    line.includes(`Task ${result.id} timed out after 0.02s.`)
  );
  assert.equal(warnings.length, 2, "one WARNING per attempt");
  assert.ok(warnings.every((line) => line.includes("WARNING:huey:")));
  assert.ok(!lines.some((line) => line.includes("Unhandled exception")), "no ERROR stack");
});

test("a task that blocks the event loop past its timeout emits SIGNAL_TIMEOUT too", async () => {
  const huey = makeHuey();
  const timeouts: string[] = [];
  huey.signal((_, task) => void timeouts.push(task.id), SIGNAL_TIMEOUT);
  const blocks = huey.task(function blocks() {
    const start = performance.now();
    while (performance.now() - start < 60) {
      // busy: the timer cannot fire
    }
    return "late";
  }, { timeout: 0.02 });
  const result = await blocks();
  await executeNext(huey);
  assert.deepEqual(timeouts, [result.id]);
  await assert.rejects(() => result.get(), /TaskTimeout|timeout/);
});

test("in immediate mode a task past its timeout emits SIGNAL_TIMEOUT", async () => {
  const huey = makeHuey({ immediate: true });
  const signals = recordSignals(huey);
  const hangs = huey.task(function hangs() {
    return forever();
  }, { timeout: 0.02 });
  const result = await hangs();
  assert.ok(signals.take().includes(SIGNAL_TIMEOUT));
  await assert.rejects(() => result.get(), TaskError);
});

test("a periodic task with context: true is called with its running Task", async () => {
  const huey = makeHuey();
  const seen: Task[] = [];
  const tick = huey.periodicTask(crontab(), function tick(task: Task) {
    seen.push(task);
    return task.id;
  }, { context: true });
  const [task] = await huey.readPeriodic(new Date());
  await huey.enqueue(task);
  assert.equal(await executeNext(huey), task.id);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].name, tick.name);
  assert.equal(seen[0].id, task.id);

  const plain = huey.periodicTask(crontab(), function plain(...args: unknown[]) {
    return args.length;
  }, { name: "plain" });
  const [, other] = await huey.readPeriodic(new Date());
  assert.equal(other.name, plain.name);
  await huey.enqueue(other);
  assert.equal(await executeNext(huey), 0, "without context: no argument");
});
