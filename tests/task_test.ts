// The Task class: options set with withOptions(), pipelines built with chain() and
// onError(), and the fields that go into a message (toData/fromData).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError } from "../errors.ts";
import { Task } from "../task.ts";
import { fromNow, makeHuey } from "./_helpers.ts";

function setup() {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  });
  return { huey, add };
}

test("withOptions() sets options on the task and fixes a delay's eta when called", () => {
  const { add } = setup();
  const task = add.s(1, 2);
  assert.equal(
    task.withOptions({ priority: 5, retries: 2, retryDelay: 3, expires: 10, id: "chosen" }),
    task,
  );
  assert.equal(task.priority, 5);
  assert.equal(task.retries, 2);
  assert.equal(task.retryDelay, 3);
  assert.equal(task.expires, 10);
  assert.equal(task.id, "chosen");
  task.withOptions({ delay: 30 });
  assert.ok(task.eta && Math.abs(task.eta.getTime() - fromNow(30).getTime()) < 1000);
  task.withOptions({ delay: 0 });
  assert.equal(task.eta, null, "a delay of 0 means now");
  const eta = new Date(Date.UTC(2030, 0, 1));
  task.withOptions({ eta });
  assert.equal(task.eta, eta);
  task.withOptions({ priority: undefined });
  assert.equal(task.priority, 5, "undefined leaves an option as it was");
  assert.throws(() => task.withOptions({ delay: 1, eta }), ConfigurationError);
  assert.throws(() => task.withOptions({ id: "" }), {
    name: "ConfigurationError",
    message: /'id'/,
  });
});

test("withOptions() rejects a timeout no timer keeps and delays whose time is no valid Date", () => {
  const { add } = setup();
  const task = add.s(1, 2);
  // A timer fires at once past 2^31 - 1 ms: such a timeout would fail every run.
  assert.throws(() => task.withOptions({ timeout: 3_000_000 }), {
    name: "ConfigurationError",
    message: /Option 'timeout' must be .*at most 2147483.*got 3000000/,
  });
  for (const option of ["retryDelay", "delay", "expires"] as const) {
    assert.throws(() => task.withOptions({ [option]: 1e300 }), {
      name: "ConfigurationError",
      message: new RegExp(`Option '${option}' must be .*100 years.*got 1e\\+300`),
    });
  }
  task.withOptions({ timeout: 2_147_483, retryDelay: 86_400 * 365, delay: 3600, expires: 60 });
  assert.equal(task.timeout, 2_147_483);
});

test("chain() appends stages to the end; onError() nests handlers", () => {
  const { add } = setup();
  const head = add.s(1, 2);
  assert.equal(head.chain(add, 3), head);
  head.chain(add.s(4));
  assert.deepEqual([head.next?.args, head.next?.next?.args], [[3], [4]]);
  const first = add.s(0);
  const second = add.s(0);
  head.onError(first).onError(second, 9);
  assert.equal(head.errorHandler, first);
  assert.equal(first.errorHandler, second);
  assert.deepEqual(second.args, [0, 9]);
});

test("toData() and fromData() carry every field and the whole pipeline", () => {
  const { add } = setup();
  const task = add.s(1, 2).withOptions({
    eta: new Date(Date.UTC(2030, 0, 1)),
    priority: 1,
    expires: new Date(Date.UTC(2031, 0, 1)),
    timeout: 5,
  }).chain(add, 3).onError(add, 0);
  const copy = Task.fromData(task.toData());
  assert.deepEqual(copy.toData(), task.toData());
  assert.equal(copy.next?.name, "add");
  assert.equal(copy.errorHandler?.name, "add");
  assert.equal(copy.timeout, 5);
});

test("a new Task has defaults and a fresh id, and toString() names it", () => {
  const task = new Task({ name: "plain" });
  assert.match(task.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(task.args, []);
  assert.equal(task.eta, null);
  assert.equal(task.retries, 0);
  assert.equal(task.next, null);
  assert.equal(task.errorHandler, null);
  assert.equal(task.signal.aborted, false);
  assert.equal(String(task), `plain: ${task.id}`);
  const eta = new Date(Date.UTC(2030, 0, 1));
  const detailed = new Task({ name: "busy", id: "x", eta, priority: 2, retries: 3 });
  assert.equal(String(detailed), `busy: x @${eta.toISOString()} p=2 3 retries`);
});
