// Ported from huey's tests/test_registry.py and test_api.py (TestDecorators): task names,
// defaults and option checks, unregistering, and the message a task travels in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { crontab } from "../crontab.ts";
import { ConfigurationError, HueyError } from "../errors.ts";
import { Task } from "../task.ts";
import { makeHuey } from "./_helpers.ts";

test("task() returns a wrapper whose s() builds a Task with the task's defaults", () => {
  const huey = makeHuey();
  const addOne = huey.task(function addOne(n: number) {
    return n + 1;
  });
  assert.equal(typeof addOne, "function");
  assert.equal(addOne.name, "addOne");
  assert.equal(addOne.huey, huey);
  assert.equal(addOne.definition.name, "addOne");
  const task = addOne.s(3);
  assert.ok(task instanceof Task);
  assert.equal(task.name, "addOne");
  assert.equal(task.retries, 0);
  assert.equal(task.retryDelay, 0);
  assert.equal(task.priority, null);
  assert.deepEqual(task.args, [3]);
  assert.equal(addOne.callLocal(3), 4);
  assert.notEqual(addOne.s(3).id, task.id, "each task gets a new id");
});

test("periodicTask() registers a task with its schedule and defaults", () => {
  const huey = makeHuey();
  const plain = huey.periodicTask(crontab(), function plain() {
    return "p";
  });
  const tuned = huey.periodicTask(crontab(), function tuned() {}, { retries: 3, retryDelay: 10 });
  assert.equal(plain.s().retries, 0);
  assert.equal(plain.callLocal(), "p");
  assert.equal(tuned.s().retries, 3);
  assert.equal(tuned.s().retryDelay, 10);
  assert.throws(
    () => huey.periodicTask("* * * * *" as unknown as () => boolean, function bad() {}),
    { name: "ConfigurationError", message: /'validate'.*crontab\(\), got "\* \* \* \* \*"/ },
  );
});

test("a name already registered, or a function without a name, is a ConfigurationError", () => {
  const huey = makeHuey();
  function taskA() {}
  const first = huey.task(taskA);
  assert.throws(() => huey.task(taskA), ConfigurationError);
  assert.throws(() => huey.task(function other() {}, { name: "taskA" }), /already registered/);
  const second = huey.task(taskA, { name: "taskA2" });
  assert.notEqual(first.s().name, second.s().name);
  assert.throws(() => huey.task(() => 1), ConfigurationError);
  assert.throws(() => huey.task(() => 1), /name/);
  assert.equal(huey.task(() => 1, { name: "named" }).name, "named");
  assert.throws(
    () => huey.task("not a function" as unknown as () => void),
    ConfigurationError,
  );
});

test("bad task options are rejected with a ConfigurationError naming the option", () => {
  const huey = makeHuey();
  const cases: [string, Record<string, unknown>][] = [
    ["retries", { retries: -1 }],
    ["retries", { retries: 1.5 }],
    ["retryDelay", { retryDelay: -1 }],
    ["priority", { priority: Number.NaN }],
    ["timeout", { timeout: 0 }],
    ["expires", { expires: Infinity }],
    ["expires", { expires: new Date(Number.NaN) }],
    ["retries", { retries: "3" }],
    ["context", { context: "yes" }],
    ["name", { name: 5 }],
  ];
  for (const [option, options] of cases) {
    assert.throws(
      () => huey.task(function bad() {}, options),
      (error: Error) =>
        error instanceof ConfigurationError && error.message.includes(`'${option}'`),
      option,
    );
  }
  assert.deepEqual(huey.registry.names(), [], "nothing was registered");
});

test("unregister() removes a task: true the first time, false after", () => {
  const huey = makeHuey();
  const gone = huey.task(function gone() {});
  assert.equal(gone.unregister(), true);
  assert.equal(gone.unregister(), false);
  huey.task(function gone() {});
  assert.equal(huey.unregisterTask("gone"), true);
  assert.equal(huey.unregisterTask("gone"), false);
});

test("the registry lists the periodic tasks, in registration order", () => {
  const huey = makeHuey();
  huey.task(function a() {});
  const p1 = huey.periodicTask(crontab(), function p1() {});
  huey.task(function b() {});
  huey.periodicTask(crontab(), function p2() {});
  assert.deepEqual(huey.registry.periodic().map((definition) => definition.name), ["p1", "p2"]);
  assert.deepEqual(huey.registry.names(), ["a", "p1", "b", "p2"]);
  p1.unregister();
  assert.deepEqual(huey.registry.periodic().map((definition) => definition.name), ["p2"]);
});

test("a task's message carries its fields and round-trips", () => {
  const huey = makeHuey();
  const taskA = huey.task(function taskA(a: string, b: string) {
    return a + b;
  }, { retries: 1 });
  const task = taskA.s("v1", "v2");
  const message = huey.serializer.deserialize(huey.serializeTask(task)) as Record<string, unknown>;
  assert.equal(message.id, task.id);
  assert.equal(message.name, "taskA");
  assert.equal(message.retries, 1);
  assert.equal(message.retryDelay, 0);
  assert.deepEqual(message.args, ["v1", "v2"]);
  for (const field of ["onComplete", "onError", "expires", "expiresResolved", "eta", "priority"]) {
    assert.equal(message[field], null, field);
  }
  const copy = huey.deserializeTask(huey.serializeTask(task));
  assert.deepEqual(copy.toData(), task.toData());
});

test("after unregister(), a task can be neither serialized nor deserialized", async () => {
  const huey = makeHuey();
  const taskA = huey.task(function taskA() {});
  const task = taskA.s();
  const message = huey.serializeTask(task);
  taskA.unregister();
  assert.throws(() => huey.deserializeTask(message), HueyError);
  assert.throws(() => huey.serializeTask(task), /Unknown task "taskA"/);
  await assert.rejects(() => taskA(), HueyError);
});
