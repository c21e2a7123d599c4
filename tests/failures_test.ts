// The failures (issue 13 item 3, SPEC §10): a capped list of the tasks that failed for good,
// newest first; retryFailure enqueues one again with its retries reset; purgeFailures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  CancelExecution,
  chord,
  ConfigurationError,
  type Huey,
  HueyError,
  RateLimitExceeded,
  RedisHuey,
  SqliteHuey,
  TaskError,
} from "../mod.ts";
import { executeNext, fromNow, makeHuey, quietLogs } from "./_helpers.ts";
import { redisSkip, startRedis } from "./_redis_server.ts";

quietLogs();

function setup(options: Parameters<typeof makeHuey>[0] = {}) {
  const huey = makeHuey(options);
  let failing = true;
  const flaky = huey.task(function flaky(n: number) {
    if (failing) throw new Error(`flaky ${n}`);
    return n * 10;
  }, { retries: 2 });
  const boom = huey.task(function boom(n: number): number {
    throw new Error(`boom ${n}`);
  });
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  return { huey, flaky, boom, add, heal: () => failing = false };
}

/** Runs every queued task (and the retries they enqueue) until the queue is empty. */
async function drain(huey: Huey): Promise<void> {
  while (await huey.pendingCount() > 0) await executeNext(huey);
}

test("a task is recorded only once it has failed for good, with its error and retries", async () => {
  const { huey, flaky } = setup();
  const result = await flaky(7);
  await executeNext(huey); // fails, 2 retries left: re-enqueued
  await executeNext(huey);
  assert.deepEqual(await huey.failures(), [], "not while retries remain");
  assert.equal(await huey.failureCount(), 0);
  await executeNext(huey); // fails for good
  const [failure, ...rest] = await huey.failures();
  assert.deepEqual(rest, []);
  assert.equal(failure.id, result.id);
  assert.equal(failure.name, "flaky");
  assert.deepEqual(failure.args, [7]);
  assert.equal(failure.error, "Error: flaky 7");
  assert.match(failure.traceback ?? "", /flaky 7/);
  assert.equal(failure.retries, 2, "retried twice before failing for good");
  assert.ok(failure.at instanceof Date && Math.abs(failure.at.getTime() - Date.now()) < 60_000);
  assert.equal(await huey.failureCount(), 1);
  await assert.rejects(result.get(), TaskError);
});

test("revoked, expired, cancelled and rate-limited-with-retry tasks are not failures", async () => {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  const cancel = huey.task(function cancel() {
    throw new CancelExecution({ retry: false });
  });
  const limited = huey.task(function limited() {
    throw new RateLimitExceeded("key", 60, { retry: true });
  });
  (await add(1, 2)).revoke();
  await huey.enqueue(add.s(1, 2).withOptions({ expires: fromNow(-1) }));
  await cancel();
  await limited();
  await drain(huey);
  assert.deepEqual(await huey.failures(), []);
  assert.equal(await huey.scheduledCount(), 1, "the rate-limited task waits for its retry");
});

test("failures come newest first; limit and name filter them", async () => {
  const { huey, boom, add } = setup();
  const bad = huey.task(function bad(): number {
    throw new TypeError("bad");
  });
  for (const enqueue of [() => boom(1), bad, () => boom(2), () => add(1, 2), () => boom(3)]) {
    await enqueue();
    await drain(huey);
  }
  const all = await huey.failures();
  assert.deepEqual(all.map((each) => each.args), [[3], [2], [], [1]]);
  assert.deepEqual((await huey.failures({ limit: 3 })).map((each) => each.args), [[3], [2], []]);
  const booms = await huey.failures({ name: "boom", limit: 2 });
  assert.deepEqual(booms.map((each) => each.args), [[3], [2]]);
  assert.deepEqual((await huey.failures({ name: "boom" })).length, 3);
  assert.deepEqual(await huey.failures({ name: "add" }), []);
  assert.equal((await huey.failures({ name: "bad" }))[0].error, "TypeError: bad");
  await assert.rejects(huey.failures({ limit: -1 }), ConfigurationError);
  await assert.rejects(huey.failures({ name: "" }), ConfigurationError);
});

test("the list keeps the newest failuresMaxLength failures; 0 keeps none", async () => {
  const { huey, boom } = setup({ failuresMaxLength: 3 });
  for (let n = 1; n <= 5; n++) await boom(n);
  await drain(huey);
  assert.deepEqual((await huey.failures()).map((each) => each.args), [[5], [4], [3]]);
  const none = setup({ failuresMaxLength: 0 });
  await none.boom(1);
  await drain(none.huey);
  assert.deepEqual(await none.huey.failures(), []);
  for (const failuresMaxLength of [-1, 1.5, "10"]) {
    assert.throws(
      () => makeHuey({ failuresMaxLength: failuresMaxLength as number }),
      (error: Error) =>
        error instanceof ConfigurationError && /'failuresMaxLength'/.test(error.message),
    );
  }
});

test("retryFailure enqueues the task again with its retries reset, removes the record, and it runs", async () => {
  const { huey, flaky, heal } = setup();
  const result = await flaky(4);
  await drain(huey);
  const [failure] = await huey.failures();
  assert.equal(await huey.retryFailure(failure.id), true);
  assert.deepEqual(await huey.failures(), []);
  const task = await huey.dequeue();
  assert.ok(task);
  assert.equal(task.id, result.id, "the same id: its result is the task's result");
  assert.equal(task.retries, 2, "the task's configured retries");
  assert.equal(task.retried, 0);
  heal();
  assert.equal(await huey.execute(task), 40);
  assert.equal(await result.get(), 40);
  assert.equal(await huey.retryFailure(failure.id), false, "a second retry finds nothing");
  assert.equal(await huey.retryFailure("never-failed"), false);
});

test("a retried task that fails for good again is recorded again", async () => {
  const { huey, boom } = setup();
  await boom(1);
  await drain(huey);
  const [first] = await huey.failures();
  assert.equal(await huey.retryFailure(first.id), true);
  await drain(huey);
  const [again, ...rest] = await huey.failures();
  assert.deepEqual(rest, [], "one record per task id");
  assert.equal(again.id, first.id);
  assert.ok(again.at >= first.at);
});

test("retryFailure of a task no longer registered throws and keeps the record", async () => {
  const { huey, boom } = setup();
  await boom(1);
  await drain(huey);
  const [failure] = await huey.failures();
  huey.registry.unregister("boom");
  await assert.rejects(huey.retryFailure(failure.id), HueyError);
  assert.deepEqual((await huey.failures()).map((each) => each.id), [failure.id]);
});

test("purgeFailures removes every record and flush() clears them too", async () => {
  const { huey, boom } = setup();
  await boom(1);
  await boom(2);
  await drain(huey);
  assert.equal(await huey.purgeFailures(), 2);
  assert.equal(await huey.purgeFailures(), 0);
  assert.equal(await huey.failureCount(), 0);
  await boom(3);
  await drain(huey);
  await huey.flush();
  assert.deepEqual(await huey.failures(), []);
});

test("a failing pipeline stage and a failing chord member are recorded", async () => {
  const { huey, boom, add } = setup();
  await huey.enqueue(add.s(1, 2).chain(boom).chain(add, 5));
  await huey.enqueue(chord([add.s(1, 1), boom.s(9)], add.s(0)));
  await drain(huey);
  const failures = await huey.failures({ name: "boom" });
  assert.deepEqual(failures.map((each) => each.args).sort(), [[3], [9]]);
  assert.equal((await huey.failures()).length, 2, "the chord's callback ran; only boom failed");
});

test("immediate mode records failures, and retryFailure runs the task at once", async () => {
  const { huey, flaky, heal } = setup({ immediate: true });
  const result = await flaky(2);
  const [failure] = await huey.failures();
  assert.equal(failure.id, result.id);
  heal();
  assert.equal(await huey.retryFailure(failure.id), true);
  assert.equal(await result.get(), 20);
  assert.deepEqual(await huey.failures(), []);
});

/**
 * Two Hueys of one queue (`make` builds each): a failure one records, the
 * other lists and retries once; the first runs the retry, which fails again.
 */
async function checkShared(make: () => Huey): Promise<void> {
  const build = () => {
    const huey = make();
    const boom = huey.task(function boom(n: number): number {
      throw new Error(`boom ${n}`);
    });
    return { huey, boom };
  };
  const first = build();
  const second = build();
  try {
    const result = await first.boom(6);
    await drain(first.huey);
    const [failure] = await second.huey.failures({ name: "boom" });
    assert.equal(failure.id, result.id);
    assert.deepEqual(failure.args, [6]);
    assert.equal(failure.error, "Error: boom 6");
    assert.equal(await second.huey.retryFailure(failure.id), true);
    assert.equal(await first.huey.retryFailure(failure.id), false);
    assert.equal(await first.huey.pendingCount(), 1);
    assert.equal(await first.huey.failureCount(), 0);
    await drain(first.huey);
    assert.equal(await second.huey.purgeFailures(), 1);
  } finally {
    await first.huey.flush();
    await first.huey.close();
    await second.huey.close();
  }
}

test("a SqliteHuey records failures in its file, seen by another Huey of the same file", async () => {
  const folder = mkdtempSync(join(tmpdir(), "huey-failures-"));
  const filename = join(folder, "huey.db");
  try {
    await checkShared(() => new SqliteHuey("failures", { filename }));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("a RedisHuey records failures on the server, seen by another Huey of the queue", {
  skip: redisSkip,
}, async () => {
  const server = await startRedis();
  try {
    await checkShared(() => new RedisHuey(`failures-${process.pid}`, { url: server.url }));
  } finally {
    await server.stop();
  }
});
