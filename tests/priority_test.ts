// Ported from huey's tests/test_priority.py: higher priorities run first, FIFO within one;
// the priority travels with the task through the schedule, periodic reads and retries.
import { test } from "node:test";
import assert from "node:assert/strict";
import { crontab } from "../crontab.ts";
import { executeNext, makeHuey, quietLogs } from "./_helpers.ts";

quietLogs();

function setup() {
  const huey = makeHuey();
  const ran: number[] = [];
  const make = (name: string, priority?: number) =>
    huey.task((n: number) => {
      ran.push(n);
      return n;
    }, { name, priority });
  return { huey, ran, task0: make("task0"), task1: make("task1", 1), task2: make("task2", 2) };
}

async function drain(huey: ReturnType<typeof setup>["huey"], timestamp?: Date): Promise<void> {
  while ((await huey.pendingCount()) > 0) await executeNext(huey, timestamp);
}

test("tasks run by priority, highest first, and in call order within a priority", async () => {
  const { huey, ran, task0, task1, task2 } = setup();
  await task0(0);
  await task1(10);
  await task2(100);
  await task0(2);
  await task1(12);
  await task2(120);
  await drain(huey);
  assert.deepEqual(ran, [100, 120, 10, 12, 0, 2]);
});

test("a per-call priority overrides the task's", async () => {
  const { huey, ran, task0, task1, task2 } = setup();
  await task2(100);
  await huey.enqueue(task0.s(1).withOptions({ priority: 2 }));
  await task1(10);
  await huey.enqueue(task2.s(110).withOptions({ priority: 1 }));
  await task0(0);
  await huey.enqueue(task1.s(11).withOptions({ priority: 0 }));
  await task1.schedule({ args: [12], delay: 0, priority: 2 });
  await drain(huey);
  assert.deepEqual(ran, [100, 1, 12, 10, 110, 0, 11]);

  ran.length = 0;
  await task2(130);
  await task1(13);
  await huey.enqueue(task0.s(9).withOptions({ priority: 9 }));
  await drain(huey);
  assert.deepEqual(ran, [9, 130, 13]);
});

test("negative priorities run after the default one", async () => {
  const { huey, ran, task0 } = setup();
  await huey.enqueue(task0.s(-1).withOptions({ priority: -1 }));
  await task0(0);
  await drain(huey);
  assert.deepEqual(ran, [0, -1]);
});

test("priorities survive the trip through the schedule", async () => {
  const { huey, ran, task0, task1, task2 } = setup();
  const eta = new Date(Date.UTC(2030, 0, 1));
  await task0.schedule({ args: [0], eta });
  await task1.schedule({ args: [1], eta });
  await task2.schedule({ args: [2], eta });
  await task0.schedule({ args: [3], eta, priority: 5 });
  for (let i = 0; i < 4; i++) await executeNext(huey, new Date(0));
  // Dequeued (and so scheduled) by priority; the same eta keeps that order.
  assert.deepEqual((await huey.scheduled()).map((task) => task.priority), [5, 2, 1, null]);
  // The consumer's scheduler moves due tasks to the queue with their priorities, in one step.
  assert.equal((await huey.storage.moveDue(eta.getTime(), 500)).length, 4);
  await drain(huey, eta);
  assert.deepEqual(ran, [3, 2, 1, 0]);
});

test("a periodic task's priority applies when readPeriodic() tasks are enqueued", async () => {
  const { huey, task0, task1, task2 } = setup();
  const order: string[] = [];
  huey.signal((_signal, task) => {
    order.push(`${task.name}:${task.priority}`);
  }, "executing");
  huey.periodicTask(crontab(), function urgent() {}, { priority: 3 });
  await task0(0);
  await task1(1);
  await task2(2);
  for (const task of await huey.readPeriodic(new Date())) await huey.enqueue(task);
  await drain(huey);
  assert.deepEqual(order, ["urgent:3", "task2:2", "task1:1", "task0:null"]);
});

test("a retried task keeps its priority and is dequeued again ahead of lower ones", async () => {
  const { huey, task2 } = setup();
  let calls = 0;
  const flaky = huey.task(function flaky() {
    if (++calls === 1) throw new Error("first");
    return "second";
  }, { priority: 3, retries: 1 });
  await task2(2);
  const result = await flaky();
  const first = await huey.dequeue();
  assert.equal(first?.id, result.id);
  await huey.execute(first!);
  const retried = await huey.dequeue();
  assert.equal(retried?.id, result.id);
  assert.equal(retried?.priority, 3);
  assert.equal(retried?.retries, 0);
  assert.equal(await huey.execute(retried!), "second");
});
