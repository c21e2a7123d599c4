// Ported from huey's tests/test_api.py (TestTaskHooks): pre- and post-execute hooks, their
// order, cancellation, errors and unregistering; plus the worker startup/shutdown hook lists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CancelExecution, ConfigurationError } from "../errors.ts";
import type { Task } from "../task.ts";
import { executeNext, makeHuey, quietLogs } from "./_helpers.ts";

const logs = quietLogs();

function setup() {
  const huey = makeHuey();
  const runs: unknown[] = [];
  const work = huey.task(function work(n: number) {
    if (n < 0) throw new TypeError("negative");
    runs.push(n);
    return n * 2;
  });
  return { huey, runs, work };
}

test("pre-execute hooks get the task, post-execute hooks get the task, value and error", async () => {
  const { huey, work } = setup();
  const calls: unknown[][] = [];
  huey.preExecute((task) => {
    calls.push(["pre", task.args]);
  });
  huey.postExecute((task, value, error) => {
    calls.push(["post", task.args, value, error]);
  });
  const result = await work(2);
  assert.equal(await executeNext(huey), 4);
  assert.deepEqual(calls, [["pre", [2]], ["post", [2], 4, undefined]]);
  assert.equal((await huey.pending()).length, 0);
  assert.equal(await result.get(), 4);

  calls.length = 0;
  await work(-1);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(calls.length, 2);
  const [, , value, error] = calls[1];
  assert.equal(value, undefined);
  assert.ok(error instanceof TypeError);
});

test("a pre-execute hook that throws CancelExecution stops the task, later hooks and post hooks", async () => {
  const { huey, runs, work } = setup();
  const calls: string[] = [];
  huey.preExecute(function first() {
    calls.push("first");
  });
  huey.preExecute(function cancel(task: Task) {
    calls.push("cancel");
    if (task.args[0] === 0) throw new CancelExecution();
  });
  huey.preExecute(function third() {
    calls.push("third");
  });
  huey.postExecute(function post() {
    calls.push("post");
  });
  const result = await work(0);
  assert.equal(await executeNext(huey), undefined);
  assert.deepEqual(calls, ["first", "cancel"]);
  assert.deepEqual(runs, []);
  assert.equal(await result.get(), null, "no result is stored");
  assert.equal(await huey.pendingCount(), 0, "and no retry");

  calls.length = 0;
  await work(1);
  assert.equal(await executeNext(huey), 2);
  assert.deepEqual(calls, ["first", "cancel", "third", "post"]);
});

test("a hook that throws is logged and does not stop the other hooks or the task", async () => {
  const { huey, work } = setup();
  const calls: string[] = [];
  huey.preExecute(function brokenPre() {
    throw new Error("pre broke");
  });
  huey.preExecute(() => {
    calls.push("pre");
  });
  huey.postExecute(function brokenPost() {
    throw new Error("post broke");
  });
  huey.postExecute(() => {
    calls.push("post");
  });
  logs.length = 0;
  await work(2);
  assert.equal(await executeNext(huey), 4);
  assert.deepEqual(calls, ["pre", "post"]);
  assert.ok(logs.some((line) => line.includes("brokenPre")));
  assert.ok(logs.some((line) => line.includes("brokenPost")));
});

test("hooks are unregistered by name or by function, true only the first time", async () => {
  const { huey, work } = setup();
  const calls: string[] = [];
  huey.preExecute(() => {
    calls.push("pre");
  }, { name: "named-pre" });
  const post = huey.postExecute(function namedPost() {
    calls.push("post");
  });
  assert.equal(huey.unregisterPreExecute("named-pre"), true);
  assert.equal(huey.unregisterPreExecute("named-pre"), false);
  assert.equal(huey.unregisterPostExecute(post), true);
  assert.equal(huey.unregisterPostExecute("namedPost"), false);
  await work(1);
  await executeNext(huey);
  assert.deepEqual(calls, []);
});

test("a hook registered under a name already in use replaces the old one", async () => {
  const { huey, work } = setup();
  const calls: string[] = [];
  huey.preExecute(() => {
    calls.push("old");
  }, { name: "audit" });
  huey.preExecute(() => {
    calls.push("new");
  }, { name: "audit" });
  await work(1);
  await executeNext(huey);
  assert.deepEqual(calls, ["new"]);
  assert.equal(huey.preExecuteHooks.size, 1);
});

test("async hooks are awaited in order", async () => {
  const { huey, work } = setup();
  const calls: string[] = [];
  huey.preExecute(async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    calls.push("slow pre");
  });
  huey.preExecute(() => {
    calls.push("fast pre");
  });
  huey.postExecute(async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    calls.push("slow post");
  });
  await work(1);
  await executeNext(huey);
  assert.deepEqual(calls, ["slow pre", "fast pre", "slow post"]);
});

test("startup and shutdown hooks are kept in order and can be unregistered", () => {
  const huey = makeHuey();
  const start1 = huey.onStartup(function openDb() {});
  huey.onStartup(function warmCache() {});
  huey.onShutdown(function closeDb() {});
  assert.equal(typeof start1, "function");
  assert.deepEqual(huey.startupHooks.hooks.map((hook) => hook.name), ["openDb", "warmCache"]);
  assert.equal(huey.unregisterOnStartup("openDb"), true);
  assert.equal(huey.unregisterOnStartup(start1), false);
  assert.equal(huey.unregisterOnShutdown("closeDb"), true);
  assert.equal(huey.shutdownHooks.size, 0);
  assert.throws(() => huey.onStartup("nope" as unknown as () => void), ConfigurationError);
});
