// Ported from huey's tests/test_signals.py, plus every signal order of huey-behaviours.md §5
// (adapted: the error handler is enqueued only when the task has failed for good).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CancelExecution, RetryTask } from "../errors.ts";
import {
  SIGNAL_COMPLETE,
  SIGNAL_ERROR,
  SIGNAL_EXECUTING,
  type SignalHandler,
  type SignalName,
} from "../signals.ts";
import { executeNext, fromNow, makeHuey, quietLogs, recordSignals } from "./_helpers.ts";

const logs = quietLogs();

function setup(options: { retries?: number; retryDelay?: number; expires?: number } = {}) {
  const huey = makeHuey();
  const signals = recordSignals(huey);
  const run = huey.task(function run(mode: string) {
    if (mode === "error") throw new Error("boom");
    if (mode === "retry") throw new RetryTask();
    if (mode === "retry-later") throw new RetryTask({ delay: 60 });
    if (mode === "cancel") throw new CancelExecution();
    if (mode === "cancel-retry") throw new CancelExecution({ retry: true });
    return mode;
  }, options);
  return { huey, signals, run };
}

test("a call, a run, a scheduled run and a failed run emit their signals", async () => {
  const { huey, signals, run } = setup();
  await run("ok");
  assert.deepEqual(signals.take(), ["enqueued"]);
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", "complete"]);
  await run.schedule({ args: ["ok"], delay: 60 });
  assert.deepEqual(signals.take(), ["enqueued"]);
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["scheduled"]);
  await run("error");
  assert.deepEqual(signals.take(), ["enqueued"]);
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", "error"]);
  const error = signals.all.at(-1)!;
  assert.equal(error.signal, "error");
  assert.equal((error.extra[0] as Error).message, "boom", "ERROR passes the error");
  const due = await huey.readSchedule(fromNow(61));
  assert.deepEqual(signals.take(), [], "reading the schedule enqueues nothing");
  for (const task of due) await huey.enqueue(task);
  assert.deepEqual(signals.take(), ["enqueued"]);
});

test("the result is readable when SIGNAL_COMPLETE is emitted", async () => {
  const { huey, run } = setup();
  const seen: unknown[] = [];
  huey.signal(async (_signal, task) => {
    seen.push(await huey.result(task.id));
  }, SIGNAL_COMPLETE);
  await run("three");
  await executeNext(huey);
  assert.deepEqual(seen, ["three"]);
});

test("a failure with retries emits retrying and enqueued, or scheduled with a retryDelay", async () => {
  const { huey, signals, run } = setup({ retries: 1 });
  await run("error");
  signals.take();
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", "error", "retrying", "enqueued"]);
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", "error"]);

  const delayed = setup({ retries: 1, retryDelay: 60 });
  await delayed.run("error");
  delayed.signals.take();
  await executeNext(delayed.huey);
  assert.deepEqual(delayed.signals.take(), ["executing", "error", "retrying", "scheduled"]);
});

test("a revoked task emits only revoked", async () => {
  const { huey, signals, run } = setup();
  await run.revoke({ revokeOnce: true });
  await run("ok");
  assert.deepEqual(signals.take(), ["enqueued"]);
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["revoked"]);
  await run("ok");
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["enqueued", "executing", "complete"]);
});

test("a task that cannot take its lock emits locked", async () => {
  const huey = makeHuey();
  const signals = recordSignals(huey);
  const lock = huey.lockTask("signal-lock");
  const locked = huey.task(lock.wrap(function locked() {
    return 1;
  }));
  await locked();
  signals.take();
  await lock.acquire();
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", "locked"]);
});

test("an expired task emits only expired", async () => {
  const { huey, signals, run } = setup({ expires: 10 });
  await run("ok");
  signals.take();
  await executeNext(huey, fromNow(15));
  assert.deepEqual(signals.take(), ["expired"]);
});

test("RetryTask and CancelExecution emit their own orders, without error", async () => {
  const { huey, signals, run } = setup();
  const orders: [string, string[]][] = [
    ["retry", ["executing", "retrying", "enqueued"]],
    ["retry-later", ["executing", "retrying", "scheduled"]],
    ["cancel", ["executing", "canceled"]],
    ["cancel-retry", ["executing", "canceled", "retrying", "enqueued"]],
  ];
  for (const [mode, order] of orders) {
    await huey.flush();
    await run(mode);
    signals.take();
    await executeNext(huey);
    assert.deepEqual(signals.take(), order, mode);
  }
});

test("a pre-execute hook that cancels emits executing then canceled", async () => {
  const { huey, signals, run } = setup();
  huey.preExecute(() => {
    throw new CancelExecution();
  });
  await run("ok");
  signals.take();
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", "canceled"]);
});

test("post-execute hooks run after error and canceled, and before complete", async () => {
  const { huey, run } = setup();
  const events: string[] = [];
  huey.signal((signal) => {
    events.push(signal);
  });
  huey.postExecute(() => {
    events.push("post");
  });
  for (const mode of ["ok", "error", "cancel"]) {
    await run(mode);
    await executeNext(huey);
  }
  assert.deepEqual(events, [
    "enqueued",
    "executing",
    "post",
    "complete",
    "enqueued",
    "executing",
    "error",
    "post",
    "enqueued",
    "executing",
    "canceled",
    "post",
  ]);
});

test("a stage's completion is followed by the enqueue of the next stage", async () => {
  const { huey, signals, run } = setup();
  await huey.enqueue(run.s("first").chain(run, "second"));
  signals.take();
  await executeNext(huey);
  const names = signals.all.slice(-3).map((each) => `${each.signal}:${each.task.args[0]}`);
  assert.deepEqual(names, ["executing:first", "complete:first", "enqueued:second"]);
});

test("with an error handler and retries, the handler is enqueued only after the last failure", async () => {
  const { huey, signals, run } = setup({ retries: 1 });
  const handler = huey.task(function handler(_error: unknown) {});
  await huey.enqueue(run.s("error").onError(handler));
  signals.take();
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", "error", "retrying", "enqueued"]);
  await executeNext(huey);
  const last = signals.all.slice(-3).map((each) => `${each.signal}:${each.task.name}`);
  assert.deepEqual(last, ["executing:run", "error:run", "enqueued:handler"]);
});

test("an aborted execution emits executing then interrupted", async () => {
  const { huey, signals, run } = setup();
  await run("ok");
  signals.take();
  const task = await huey.dequeue();
  await huey.execute(task!, { signal: AbortSignal.abort() });
  assert.deepEqual(signals.take(), ["executing", "interrupted"]);
});

test("a specific handler receives only its signals, before catch-all handlers", async () => {
  const { huey, signals, run } = setup();
  const calls: [SignalName, string, number][] = [];
  const specific: SignalHandler = (signal, task, ...extra) => {
    calls.push([signal, task.id, extra.length]);
    signals.all.push({ signal: "specific" as SignalName, task, extra });
  };
  huey.signal(specific, SIGNAL_EXECUTING);
  const result = await run("ok");
  await executeNext(huey);
  assert.deepEqual(calls, [["executing", result.id, 0]]);
  assert.deepEqual(signals.take(), ["enqueued", "specific", "executing", "complete"]);
  huey.disconnectSignal(specific, SIGNAL_EXECUTING);
  await run("ok");
  await executeNext(huey);
  assert.equal(calls.length, 1);
  assert.deepEqual(signals.take(), ["enqueued", "executing", "complete"]);
});

test("several handlers fire in connection order and disconnect from some or all signals", async () => {
  const { huey, run } = setup();
  const calls: string[] = [];
  const h1: SignalHandler = (signal) => {
    calls.push(`h1:${signal}`);
  };
  const h2: SignalHandler = (signal) => {
    calls.push(`h2:${signal}`);
  };
  huey.signal(h1, SIGNAL_EXECUTING, SIGNAL_COMPLETE);
  huey.signal(h2, SIGNAL_EXECUTING, SIGNAL_COMPLETE);
  await run("ok");
  await executeNext(huey);
  assert.deepEqual(calls, ["h1:executing", "h2:executing", "h1:complete", "h2:complete"]);
  calls.length = 0;
  huey.disconnectSignal(h1, SIGNAL_COMPLETE);
  await run("ok");
  await executeNext(huey);
  assert.deepEqual(calls, ["h1:executing", "h2:executing", "h2:complete"]);
  calls.length = 0;
  huey.disconnectSignal(h2);
  await run("ok");
  await executeNext(huey);
  assert.deepEqual(calls, ["h1:executing"]);
});

test("a handler that throws is logged and does not stop the task or other handlers", async () => {
  const { huey, run } = setup();
  let reached = false;
  huey.signal(function broken() {
    throw new Error("handler broke");
  }, SIGNAL_COMPLETE);
  huey.signal(() => {
    reached = true;
  }, SIGNAL_COMPLETE);
  const result = await run("fine");
  assert.equal(await executeNext(huey), "fine");
  assert.ok(reached);
  assert.equal(await result.get(), "fine");
  assert.ok(logs.some((line) => line.includes("handler broke") || line.includes("broken")));
});

test("SIGNAL_ERROR handlers receive the task and the error", async () => {
  const { huey, run } = setup();
  const errors: unknown[] = [];
  huey.signal((_signal, _task, error) => {
    errors.push(error);
  }, SIGNAL_ERROR);
  await run("error");
  await executeNext(huey);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, "boom");
});

test("SIGNALS names every signal once, and the event types start with them", async () => {
  const signals = await import("../signals.ts");
  const { EVENT_TYPES } = await import("../event.ts");
  const constants = Object.entries(signals)
    .filter(([name]) => name.startsWith("SIGNAL_"))
    .map(([, value]) => value as string);
  assert.deepEqual([...signals.SIGNALS].sort(), constants.sort());
  assert.equal(new Set(signals.SIGNALS).size, signals.SIGNALS.length);
  assert.deepEqual(EVENT_TYPES.slice(0, signals.SIGNALS.length), [...signals.SIGNALS]);
});
