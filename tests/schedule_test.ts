// Ported from huey's tests/test_api.py: etas fixed when a pipeline is built, expiry (relative
// and absolute, on the task and per call), and Result.reschedule().
import { test } from "node:test";
import assert from "node:assert/strict";
import { ResultGroup } from "../result.ts";
import type { Task } from "../task.ts";
import { executeNext, fromNow, makeHuey, single } from "./_helpers.ts";

function setup(options: { expires?: number | Date; priority?: number } = {}) {
  const huey = makeHuey();
  const add = huey.task(function add(a: number, b: number) {
    return a + b;
  }, options);
  return { huey, add };
}

function between(date: Date | null, from: number, to: number): boolean {
  assert.ok(date, "expected a date");
  return date.getTime() >= Date.now() + from * 1000 - 50 && date.getTime() < Date.now() + to * 1000;
}

test("a pipeline's etas are fixed when it is built, and reschedule() keeps the pipeline", async () => {
  const { huey, add } = setup();
  const group = await huey.enqueue(
    add.s(1, 2).withOptions({ delay: 10 }).chain(add.s(3).withOptions({ delay: 20 })),
  );
  assert.ok(group instanceof ResultGroup);
  assert.equal(group.length, 2);
  const [r1, r2] = group.results;
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await huey.scheduledCount(), 1);
  assert.ok(huey.readyToRun(r1.task, fromNow(10)));
  const child = r1.task.next!;
  assert.equal(child.id, r2.id);
  assert.equal(huey.readyToRun(child, fromNow(10)), false);
  assert.ok(huey.readyToRun(child, fromNow(20)));

  const again = await r1.reschedule();
  assert.ok(again instanceof ResultGroup);
  assert.equal(again.length, 2);
  assert.notEqual(again.results[0].id, r1.id);
  assert.equal(again.results[1].id, child.id, "the pipeline travels with the copy");
  assert.equal(await executeNext(huey), 3);
  const enqueuedChild = await huey.dequeue();
  assert.ok(enqueuedChild);
  assert.deepEqual(enqueuedChild.args, [3, 3]);
  assert.equal(huey.readyToRun(enqueuedChild), false);
  assert.equal(await huey.execute(enqueuedChild, { timestamp: fromNow(20) }), 6);
});

for (const [label, expires] of [["seconds", 10], ["a Date", null]] as const) {
  test(`a task's expires (${label}) is resolved at enqueue and skips late executions`, async () => {
    const { huey, add } = setup({ expires: expires ?? fromNow(10) });
    await add(1, 2);
    assert.equal(await executeNext(huey, fromNow(1)), 3);

    const fresh = await add(1, 2);
    assert.ok(between(fresh.task.expiresResolved, 10, 12));
    assert.equal(await executeNext(huey, fromNow(12)), undefined);
    assert.equal(await fresh.get(), null);
    await add(1, 3);
    assert.equal(await executeNext(huey, fromNow(5)), 4);

    const perCall = add.s(1, 4).withOptions({ expires: 60 });
    await huey.enqueue(perCall);
    assert.ok(between(perCall.expiresResolved, 60, 62));
    assert.equal(await executeNext(huey, fromNow(63)), undefined);
    await huey.enqueue(add.s(1, 5).withOptions({ expires: 60 }));
    assert.equal(await executeNext(huey, fromNow(50)), 6);

    const boundary = fromNow(30);
    const exact = add.s(1, 6).withOptions({ expires: boundary });
    await huey.enqueue(exact);
    assert.equal(exact.expiresResolved?.getTime(), boundary.getTime());
    assert.equal(await executeNext(huey, new Date(boundary.getTime() + 1000)), undefined);
    await huey.enqueue(add.s(1, 7).withOptions({ expires: boundary }));
    assert.equal(await executeNext(huey, boundary), 8, "the boundary itself still runs");
    assert.equal(await huey.pendingCount(), 0);
  });
}

test("a relative expiry counts from the eta once the task is scheduled, as huey's re-resolution when the scheduler enqueues it", async () => {
  const { huey, add } = setup();
  const result = await add.schedule({ args: [1, 3], eta: fromNow(60), expires: 5 });
  assert.ok(between(result.task.expiresResolved, 5, 7), "resolved at the enqueue");
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await huey.scheduledCount(), 1);
  const [scheduled] = await huey.scheduled();
  assert.equal(scheduled.expires, 5);
  assert.ok(between(scheduled.expiresResolved, 65, 67), "eta + expires");
  // The consumer's scheduler moves the message as it is: the expiry holds at the eta.
  assert.equal((await huey.storage.moveDue(fromNow(60).getTime(), 500)).length, 1);
  assert.equal(await executeNext(huey, fromNow(68)), undefined, "expired 5 s after its eta");
  assert.equal(await result.get(), null);

  const kept = await add.schedule({ args: [1, 4], eta: fromNow(60), expires: 5 });
  assert.equal(await executeNext(huey), undefined);
  await huey.storage.moveDue(fromNow(60).getTime(), 500);
  assert.equal(await executeNext(huey, fromNow(64)), 5, "runs within 5 s of its eta");
  assert.equal(await kept.get(), 5);
});

test("a task scheduled with an absolute expiry keeps it", async () => {
  const { huey, add } = setup();
  const expires = fromNow(30);
  await add.schedule({ args: [1, 1], eta: fromNow(60), expires });
  assert.equal(await executeNext(huey), undefined);
  const [scheduled] = await huey.scheduled();
  assert.equal(scheduled.expiresResolved?.getTime(), expires.getTime());
});

test("reschedule() revokes the original once and enqueues a copy with a new id", async () => {
  const { huey, add } = setup();
  const result = await add(1, 2);
  const copy = await result.reschedule({ eta: new Date(2000, 0, 1) });
  assert.ok(!(copy instanceof ResultGroup));
  assert.notEqual(copy.id, result.id);
  assert.equal(await huey.pendingCount(), 2);
  assert.ok(await result.isRevoked());
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await executeNext(huey), 3);
  assert.equal(await copy.get(), 3);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.scheduledCount(), 0);
  assert.equal(await huey.resultCount(), 0);
});

test("reschedule() without options runs the copy now; the context shows the new id", async () => {
  const huey = makeHuey();
  const seen: string[] = [];
  const record = huey.task(function record(task: Task) {
    seen.push(task.id);
    return true;
  }, { context: true });
  const result = await record();
  const copy = await result.reschedule();
  assert.ok(!(copy instanceof ResultGroup));
  assert.equal(copy.task.eta, null);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await executeNext(huey), true);
  assert.deepEqual(seen, [copy.id]);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await copy.get(), true);
  assert.equal(await huey.resultCount(), 0);
});

test("reschedule() with a delay puts the copy in the schedule when a worker sees it", async () => {
  const { huey, add } = setup();
  const result = await add(1, 2);
  const copy = single(await result.reschedule({ delay: 30 }));
  assert.ok(between(copy.task.eta, 29, 31));
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await huey.scheduledCount(), 1);
});

test("reschedule() can replace the expiry", async () => {
  const { huey, add } = setup();
  const result = await add(1, 2);
  const expires = fromNow(10);
  const first = await result.reschedule({ expires });
  assert.ok(!(first instanceof ResultGroup));
  assert.equal(first.task.expiresResolved?.getTime(), expires.getTime());
  assert.equal(await executeNext(huey, fromNow(11)), undefined, "the revoked original");
  assert.equal(await executeNext(huey, fromNow(11)), undefined, "the expired copy");
  const second = await first.reschedule({ expires: 5 });
  assert.ok(!(second instanceof ResultGroup));
  assert.ok(between(second.task.expiresResolved, 5, 7));
  assert.equal(await executeNext(huey), 3);
});

test("reschedule() can replace the priority, and the copy is dequeued first", async () => {
  const { huey, add } = setup({ priority: 10 });
  const result = await add(1, 2);
  assert.equal(result.task.priority, 10);
  const copy = single(await result.reschedule({ priority: 99 }));
  const first = await huey.dequeue();
  assert.ok(first);
  assert.equal(first.id, copy.id);
  assert.equal(first.priority, 99);
  assert.equal(await huey.execute(first), 3);
  const second = await huey.dequeue();
  assert.ok(second);
  assert.equal(second.id, result.id);
  assert.equal(second.priority, 10);
  assert.equal(await huey.execute(second), undefined);
});
