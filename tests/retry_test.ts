// Ported from huey's tests/test_api.py: failures and their stored metadata, retries (with a
// delay, per call, periodic), RetryTask and CancelExecution.
import { test } from "node:test";
import assert from "node:assert/strict";
import { crontab } from "../crontab.ts";
import { CancelExecution, type ErrorMetadata, RetryTask, TaskError } from "../errors.ts";
import { MemoryHuey } from "../mod.ts";
import type { Result } from "../result.ts";
import type { Task } from "../task.ts";
import { executeNext, fromNow, makeHuey, quietLogs } from "./_helpers.ts";

quietLogs();

class TestError extends Error {
  override name = "TestError";
}

/** The metadata of the TaskError a result rejects with. */
async function failure(result: Result): Promise<ErrorMetadata> {
  try {
    await result.get();
  } catch (error) {
    assert.ok(error instanceof TaskError, `expected a TaskError, got ${String(error)}`);
    return error.metadata;
  }
  assert.fail("expected the result to reject");
}

test("a failed task stores a TaskError with the error, the retries and the task id", async () => {
  const huey = makeHuey();
  const fail = huey.task(function fail() {
    throw new TestError("uh-oh");
  });
  const result = await fail();
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await huey.resultCount(), 1);
  const metadata = await failure(result);
  assert.equal(metadata.error, "TestError: uh-oh");
  assert.equal(metadata.name, "TestError");
  assert.equal(metadata.message, "uh-oh");
  assert.equal(metadata.retries, 0);
  assert.equal(metadata.taskId, result.id);
  assert.match(metadata.traceback ?? "", /uh-oh/);
  await assert.rejects(() => result.get(), /TestError: uh-oh/, "the error is cached");
  assert.equal(await huey.resultCount(), 0);
  assert.equal(await huey.pendingCount(), 0);
});

test("a task failing on a failed sub-result stores the inner error, not the wrapper's", async () => {
  const huey = makeHuey();
  const inner = huey.task(function inner(n: number) {
    throw new TestError(String(n));
  });
  const outer = huey.task(function outer(id: string) {
    return huey.result(id);
  });
  const innerResult = await inner(1);
  await executeNext(huey);
  const outerResult = await outer(innerResult.id);
  await executeNext(huey);
  assert.equal((await failure(outerResult)).error, "TestError: 1");
});

test("a task with retries is enqueued again; the first error stays cached until reset()", async () => {
  const huey = makeHuey();
  let count = 0;
  const counted = huey.task(function counted(fail: boolean) {
    count++;
    if (fail) throw new TestError(`attempt ${count}`);
    return count;
  }, { retries: 1 });
  await counted(false);
  assert.equal(await executeNext(huey), 1);

  const result = await counted(true);
  assert.equal(await executeNext(huey), undefined);
  const first = await failure(result);
  assert.equal(first.error, "TestError: attempt 2");
  assert.equal(first.retries, 1);
  assert.equal(await huey.pendingCount(), 1);
  const retry = await huey.dequeue();
  assert.equal(retry?.id, result.id);
  assert.equal(retry?.retries, 0);
  await huey.execute(retry!);
  assert.equal((await failure(result)).error, "TestError: attempt 2", "cached");
  result.reset();
  const second = await failure(result);
  assert.equal(second.error, "TestError: attempt 3");
  assert.equal(second.retries, 0);
  assert.equal(await huey.pendingCount(), 0);
});

test("per-call retries override the task's", async () => {
  const huey = makeHuey();
  const fail = huey.task(function fail() {
    throw new TestError("no");
  }, { retries: 1 });
  const none = await huey.enqueue(fail.s().withOptions({ retries: 0 }));
  await executeNext(huey);
  assert.equal((await failure(none as Result)).retries, 0);
  assert.equal(await huey.pendingCount(), 0);

  const two = await huey.enqueue(fail.s().withOptions({ retries: 2 }));
  await executeNext(huey);
  assert.equal((await failure(two as Result)).retries, 2);
  assert.equal((await huey.pending())[0].retries, 1);
  await huey.flush();

  const scheduled = await fail.schedule({ delay: -1, retries: 3 });
  await executeNext(huey);
  assert.equal((await failure(scheduled)).retries, 3);
  assert.equal(await huey.pendingCount(), 1);
});

test("a failed periodic task is retried with one retry less, and stores no error", async () => {
  const huey = makeHuey();
  let calls = 0;
  huey.periodicTask(crontab(), function flakyPeriodic() {
    if (++calls === 1) throw new TestError("first");
    return calls;
  }, { retries: 2 });
  const [task] = await huey.readPeriodic(new Date());
  await huey.enqueue(task);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await huey.resultCount(), 0);
  const [retry] = await huey.pending();
  assert.equal(retry.id, task.id);
  assert.equal(retry.retries, 1);
  assert.equal(await executeNext(huey), 2);
  assert.equal(await huey.pendingCount(), 0);
});

test("a task retried until it succeeds leaves only its value", async () => {
  const huey = makeHuey();
  let calls = 0;
  const eventually = huey.task(function eventually() {
    if (++calls < 3) throw new TestError(`try ${calls}`);
    return 1337;
  }, { retries: 2 });
  const result = await eventually();
  for (let i = 0; i < 3; i++) await executeNext(huey);
  assert.equal(await result.get(), 1337);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.scheduledCount(), 0);
  assert.equal(await huey.resultCount(), 0);
});

for (const periodic of [false, true]) {
  test(`a ${periodic ? "periodic " : ""}task's retry waits retryDelay in the schedule`, async () => {
    const huey = makeHuey();
    const fn = function delayed(): never {
      throw new TestError("later");
    };
    const options = { retries: 2, retryDelay: 60 };
    let task: Task;
    if (periodic) {
      huey.periodicTask(crontab(), fn, options);
      [task] = await huey.readPeriodic(new Date());
      await huey.enqueue(task);
    } else {
      task = (await huey.task(fn, options)()).task;
    }
    await executeNext(huey);
    assert.equal(await huey.pendingCount(), 0);
    assert.equal(await huey.scheduledCount(), 1);
    const [scheduled] = await huey.scheduled();
    assert.equal(scheduled.id, task.id);
    assert.equal(scheduled.retries, 1);
    assert.ok(scheduled.eta);
    assert.equal(huey.readyToRun(scheduled), false);
    assert.ok(huey.readyToRun(scheduled, fromNow(61)));
  });
}

test("RetryTask puts the task in the schedule at its eta, its delay, or the task's retryDelay", async () => {
  const eta = new Date(Date.UTC(2030, 0, 1));
  const cases: [RetryTask, (date: Date) => boolean][] = [
    [new RetryTask({ eta }), (date) => date.getTime() === eta.getTime()],
    [
      new RetryTask({ delay: 100 }),
      (date) => Math.abs(date.getTime() - fromNow(100).getTime()) < 3000,
    ],
    [new RetryTask(), (date) => Math.abs(date.getTime() - fromNow(10).getTime()) < 3000],
  ];
  for (const [retry, check] of cases) {
    const huey = makeHuey();
    const retrying = huey.task(function retrying() {
      throw retry;
    }, { retryDelay: 10 });
    const result = await retrying();
    await executeNext(huey);
    await assert.rejects(() => result.get(), TaskError);
    assert.equal(await huey.pendingCount(), 0);
    const [scheduled] = await huey.scheduled();
    assert.ok(scheduled?.eta && check(scheduled.eta), `eta ${scheduled?.eta?.toISOString()}`);
  }
});

test("RetryTask retries even without retries left, and does not use one up", async () => {
  const huey = makeHuey();
  let calls = 0;
  const retryOnce = huey.task(function retryOnce() {
    if (++calls === 1) throw new RetryTask({ message: "asdf" });
    return 2;
  });
  const result = await retryOnce();
  await executeNext(huey);
  const metadata = await failure(result);
  assert.equal(metadata.error, "RetryTask: asdf");
  assert.equal(metadata.retries, 1);
  assert.equal(await huey.pendingCount(), 1);
  assert.equal(await executeNext(huey), 2);

  calls = 0;
  const withRetries = await huey.enqueue(retryOnce.s().withOptions({ retries: 2 }));
  await executeNext(huey);
  const [again] = await huey.pending();
  assert.equal(again.id, (withRetries as Result).id);
  assert.equal(again.retries, 2);
});

test("CancelExecution stores an error and retries only when asked", async () => {
  for (
    const [cancel, retried] of [
      [new CancelExecution(), false],
      [new CancelExecution({ retry: false }), false],
      [new CancelExecution({ retry: true }), true],
    ] as const
  ) {
    const huey = makeHuey();
    const cancelled = huey.task(function cancelled() {
      throw cancel;
    });
    const result = await cancelled();
    await executeNext(huey);
    const metadata = await failure(result);
    assert.match(metadata.error, /^CancelExecution/);
    assert.equal(metadata.retries, retried ? 1 : 0);
    assert.equal(await huey.pendingCount(), retried ? 1 : 0);
  }
});

test("CancelExecution with the task's retries: retry false never, undefined counts down, true keeps one", async () => {
  const expectations: [boolean | undefined, number[]][] = [
    [false, [0]],
    [undefined, [2, 1, 0]],
    [true, [2, 1, 1, 1]],
  ];
  for (const [retry, seen] of expectations) {
    const huey = makeHuey();
    const cancelled = huey.task(function cancelled() {
      throw new CancelExecution({ retry });
    }, { retries: 2 });
    const result = await cancelled();
    const retries: number[] = [];
    for (let step = 0; step < seen.length; step++) {
      await executeNext(huey);
      result.reset();
      retries.push((await failure(result)).retries!);
      const requeued = (await huey.pendingCount()) === 1;
      assert.equal(requeued, retry === true || (retry === undefined && step < 2), `step ${step}`);
    }
    assert.deepEqual(retries, seen, `retry: ${retry}`);
  }
});

test("buildErrorResult() can be overridden to add metadata", async () => {
  class CustomHuey extends MemoryHuey {
    override buildErrorResult(task: Task, error: unknown): ErrorMetadata {
      return { ...super.buildErrorResult(task, error), task: task.name, args: task.args };
    }
  }
  const huey = new CustomHuey("custom-errors");
  const taskE = huey.task(function taskE(n: number) {
    throw new TestError(`e${n}`);
  });
  const result = await taskE(0);
  await executeNext(huey);
  const metadata = await failure(result);
  assert.equal(metadata.task, "taskE");
  assert.deepEqual(metadata.args, [0]);
  assert.equal(metadata.error, "TestError: e0");
});
