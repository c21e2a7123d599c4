// Ported from huey's tests/test_api.py (test_task_parameters, test_context_task): `context:
// true` passes the running Task as the last argument, and contextTask() wraps every
// execution in a context's enter()/exit().
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TaskContext } from "../huey.ts";
import { Task } from "../task.ts";
import { executeNext, makeHuey, quietLogs } from "./_helpers.ts";

quietLogs();

test("context: true passes the running Task last; the call leaves it out", async () => {
  const huey = makeHuey();
  const seen: Task[] = [];
  const tb = huey.task(function withTask(a: number, task: Task) {
    seen.push(task);
    return a + task.retries;
  }, { retries: 2, retryDelay: 1, context: true, name: "tb" });
  const built = tb.s(5);
  assert.equal(built.name, "tb");
  assert.equal(built.retries, 2);
  assert.equal(built.retryDelay, 1);
  assert.deepEqual(built.args, [5]);
  const result = await tb(10);
  assert.equal(await executeNext(huey), 12);
  assert.equal(seen.length, 1);
  const [task] = seen;
  assert.ok(task instanceof Task);
  assert.equal(task.id, result.id);
  assert.equal(task.name, "tb");
  assert.equal(task.retries, 2);
  assert.equal(task.retryDelay, 1);
  assert.ok(task.signal instanceof AbortSignal);
  assert.equal(task.signal.aborted, false);
  assert.deepEqual(task.args, [10], "the task is not added to the stored arguments");
});

function recordingContext(): { log: unknown[]; context: TaskContext<string> } {
  const log: unknown[] = [];
  return {
    log,
    context: {
      enter() {
        log.push("open");
        return "connection";
      },
      exit(error?: unknown) {
        log.push(error === undefined ? "close" : `close after ${(error as Error).message}`);
      },
    },
  };
}

test("contextTask() enters and exits the context around every execution, failed ones included", async () => {
  const huey = makeHuey();
  const { log, context } = recordingContext();
  const work = huey.contextTask(context, function work(n: number) {
    log.push(`run ${n}`);
    if (n < 0) throw new Error("negative");
    return n;
  });
  await work(1);
  await work(-1);
  assert.deepEqual(log, [], "nothing happens at enqueue");
  assert.equal(await executeNext(huey), 1);
  assert.equal(await executeNext(huey), undefined);
  assert.deepEqual(log, ["open", "run 1", "close", "open", "run -1", "close after negative"]);
});

test("contextTask() with asArgument passes the context's value first", async () => {
  const huey = makeHuey();
  const { context } = recordingContext();
  const query = huey.contextTask(context, function query(db: string, sql: string) {
    return `${db}: ${sql}`;
  }, { asArgument: true });
  const result = await query("select 1");
  await executeNext(huey);
  assert.equal(await result.get(), "connection: select 1");
  assert.equal(query.name, "query");
});

test("contextTask() awaits async enter and exit, and keeps the task options", async () => {
  const huey = makeHuey();
  const log: string[] = [];
  const context: TaskContext<number> = {
    async enter() {
      await new Promise((resolve) => setTimeout(resolve, 2));
      log.push("entered");
      return 41;
    },
    async exit() {
      await new Promise((resolve) => setTimeout(resolve, 2));
      log.push("exited");
    },
  };
  const answer = huey.contextTask(context, function answer(base: number) {
    log.push("ran");
    return base + 1;
  }, { asArgument: true, retries: 3, name: "theAnswer" });
  assert.equal(answer.name, "theAnswer");
  assert.equal(answer.s().retries, 3);
  await answer();
  assert.equal(await executeNext(huey), 42);
  assert.deepEqual(log, ["entered", "ran", "exited"]);
});
