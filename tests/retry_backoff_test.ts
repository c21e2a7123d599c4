// Issue 12 item 2 (SPEC §9): retries with backoff, jitter and a cap, as execute() schedules
// them; the settings and the retry count travel in the message (checked on reading) and survive
// reschedule(); the consumer's log says when a task is requeued, with the failure's stack at
// WARNING while a retry follows and at ERROR when it failed for good.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { crontab } from "../crontab.ts";
import { RetryTask } from "../errors.ts";
import type { Huey } from "../huey.ts";
import { configureLogging } from "../logger.ts";
import type { Task } from "../task.ts";
import { executeNext, fromNow, makeHuey, single } from "./_helpers.ts";

const lines: string[] = [];
before(() => configureLogging({ level: "INFO", write: (line) => lines.push(line) }));
after(() => configureLogging({ level: "WARNING", write: (line) => console.error(line) }));

class Flaky extends Error {
  override name = "Flaky";
}

function alwaysFails(): never {
  throw new Flaky("not yet");
}

/**
 * Runs the next task (it fails) and checks where its retry went: the
 * schedule, `seconds` from now (`spread`: jitter, from `seconds * (1 - spread)`
 * to `seconds * (1 + spread)`). Moves it back to the queue, due now.
 *
 * @returns The retry, as read back from the schedule.
 */
async function failAndExpectRetryIn(huey: Huey, seconds: number, spread = 0): Promise<Task> {
  const start = Date.now();
  await executeNext(huey);
  const end = Date.now();
  const [retry] = await huey.readSchedule(fromNow(1e6));
  assert.ok(retry?.eta, "the retry waits in the schedule");
  const eta = retry.eta.getTime();
  const low = start + seconds * (1 - spread) * 1000;
  const high = end + seconds * (1 + spread) * 1000;
  assert.ok(eta >= low && eta <= high, `retry ${eta - start} ms after the run, ${seconds}s wanted`);
  retry.eta = null; // due now: the next executeNext() runs it
  await huey.enqueue(retry);
  return retry;
}

test("each retry waits retryBackoff times longer than the one before, up to retryDelayMax", async () => {
  const huey = makeHuey();
  const fails = huey.task(alwaysFails, {
    retries: 4,
    retryDelay: 10,
    retryBackoff: 2,
    retryDelayMax: 30,
  });
  const result = await fails();
  const waits = [10, 20, 30, 30];
  for (const [index, seconds] of waits.entries()) {
    const retry = await failAndExpectRetryIn(huey, seconds);
    assert.equal(retry.retried, index + 1);
    assert.equal(retry.retries, 3 - index);
    assert.equal(retry.retryDelay, 10, "the first delay stays as it was set");
  }
  await executeNext(huey);
  assert.equal(await huey.scheduledCount(), 0, "no retry left");
  await assert.rejects(() => result.get(), /Flaky: not yet/);
});

test("retryJitter spreads each retry's delay around its backoff value", async () => {
  const huey = makeHuey();
  const fails = huey.task(alwaysFails, {
    retries: 3,
    retryDelay: 100,
    retryBackoff: 3,
    retryJitter: 0.2,
  });
  await fails();
  for (const seconds of [100, 300, 900]) await failAndExpectRetryIn(huey, seconds, 0.2);
});

test("a periodic task and a schedule() call take the backoff settings too", async () => {
  const huey = makeHuey();
  huey.periodicTask(crontab(), alwaysFails, { retries: 2, retryDelay: 5, retryBackoff: 4 });
  const [periodic] = await huey.readPeriodic(new Date());
  await huey.enqueue(periodic);
  await failAndExpectRetryIn(huey, 5);
  await failAndExpectRetryIn(huey, 20);

  const other = makeHuey();
  const fails = other.task(alwaysFails, { retries: 2, retryDelay: 1 });
  await fails.schedule({ delay: 0, retryDelay: 2, retryBackoff: 5, retryDelayMax: 6 });
  await failAndExpectRetryIn(other, 2);
  await failAndExpectRetryIn(other, 6);
});

test("RetryTask's own delay wins, and still counts as a retry for the backoff", async () => {
  const huey = makeHuey();
  let runs = 0;
  const asks = huey.task(function asks() {
    runs++;
    if (runs === 1) throw new RetryTask({ delay: 1000 });
    throw new Flaky("after");
  }, { retries: 1, retryDelay: 10, retryBackoff: 2 });
  await asks();
  const first = await failAndExpectRetryIn(huey, 1000);
  assert.equal(first.retried, 1);
  assert.equal(first.retries, 1, "RetryTask uses up no retry");
  await failAndExpectRetryIn(huey, 20);
});

test("a task without backoff settings writes the message it wrote before; with them, the fields travel", () => {
  const huey = makeHuey();
  const plain = huey.task(function plain() {});
  const data = JSON.parse(new TextDecoder().decode(huey.serializeTask(plain.s())));
  assert.deepEqual(Object.keys(data), [
    "id",
    "name",
    "args",
    "eta",
    "retries",
    "retryDelay",
    "priority",
    "expires",
    "expiresResolved",
    "timeout",
    "onComplete",
    "onError",
  ]);
  const backed = huey.task(function backed() {}, {
    retryBackoff: 2,
    retryJitter: 0.5,
    retryDelayMax: 9,
  });
  const task = backed.s();
  task.retried = 4;
  const fields = JSON.parse(new TextDecoder().decode(huey.serializeTask(task)));
  assert.deepEqual(
    [fields.retryBackoff, fields.retryJitter, fields.retryDelayMax, fields.retried],
    [2, 0.5, 9, 4],
  );
  const back = huey.deserializeTask(huey.serializeTask(task));
  assert.deepEqual(
    [back.retryBackoff, back.retryJitter, back.retryDelayMax, back.retried],
    [2, 0.5, 9, 4],
  );
});

test("reschedule() keeps the backoff settings and the retries done", async () => {
  const huey = makeHuey();
  const fails = huey.task(alwaysFails, {
    retries: 3,
    retryDelay: 10,
    retryBackoff: 3,
    retryJitter: 0,
    retryDelayMax: 50,
  });
  await fails();
  const retry = await failAndExpectRetryIn(huey, 10);
  const result = await huey.enqueue(retry).then(single);
  const copy = single(await result.reschedule({ delay: 0 })).task;
  assert.notEqual(copy.id, retry.id);
  assert.deepEqual(
    [copy.retries, copy.retryDelay, copy.retryBackoff, copy.retryDelayMax, copy.retried],
    [2, 10, 3, 50, 1],
  );
});

test("the log says when a task is requeued, with the stack at WARNING until it fails for good", async () => {
  const huey = makeHuey();
  const fails = huey.task(function logged(): never {
    throw new Flaky("logged failure");
  }, { retries: 2, retryDelay: 10, retryBackoff: 3 });
  const { id } = await fails();
  lines.length = 0;
  await failAndExpectRetryIn(huey, 10);
  await failAndExpectRetryIn(huey, 30);
  await executeNext(huey);
  const mine = lines.filter((line) => line.includes(id) && !line.includes("Executing"));
  const heads = mine.map((line) => line.split("\n")[0].replace(/^\[[^\]]+\] /, ""));
  assert.deepEqual(heads, [
    `WARNING:huey:MainThread:Unhandled exception in task ${id}.`,
    `INFO:huey:MainThread:Requeueing logged: ${id} in 10s, 1 retries left`,
    `WARNING:huey:MainThread:Unhandled exception in task ${id}.`,
    `INFO:huey:MainThread:Requeueing logged: ${id} in 30s, 0 retries left`,
    `ERROR:huey:MainThread:Unhandled exception in task ${id}.`,
  ]);
  for (const index of [0, 2, 4]) {
    assert.match(mine[index], /\nFlaky: logged failure\n\s+at /, "the failure's stack follows");
  }
});

test("a retry without a delay is requeued at once and logged with 0s", async () => {
  const huey = makeHuey();
  const fails = huey.task(alwaysFails, { retries: 1 });
  const { id } = await fails();
  lines.length = 0;
  await executeNext(huey);
  assert.equal(await huey.pendingCount(), 1);
  assert.ok(
    lines.some((line) => line.endsWith(`Requeueing alwaysFails: ${id} in 0s, 0 retries left`)),
  );
});
