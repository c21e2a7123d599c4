// Ported from huey's tests/test_api.py (the revoke tests): revoking every call of a task or
// one call, once, until a time, or until restored.
import { test } from "node:test";
import assert from "node:assert/strict";
import { crontab } from "../crontab.ts";
import type { Task } from "../task.ts";
import { executeNext, makeHuey } from "./_helpers.ts";

function setup() {
  const huey = makeHuey();
  const state = new Map<number, number>();
  const putState = huey.task(function putState(n: number) {
    state.set(n, n);
    return n + 1;
  });
  return { huey, state, putState };
}

test("revoking a whole task skips every call until restore()", async () => {
  const { huey, state, putState } = setup();
  const r1 = await putState(1);
  const r2 = await putState(2);
  await putState.revoke();
  assert.ok(await putState.isRevoked());
  assert.ok(await r1.isRevoked());
  assert.ok(await r2.isRevoked());
  assert.ok(await huey.isRevoked(r1));
  assert.ok(await huey.isRevoked(r1.task));
  assert.equal(await huey.isRevoked(r1.id), false, "an id alone only names the instance");
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(state.size, 0);
  assert.equal(await huey.resultCount(), 1, "only the revoke key");
  const r3 = await putState(3);
  assert.equal(await executeNext(huey), undefined, "still revoked");
  assert.ok(await putState.isRevoked());
  assert.equal(await putState.restore(), true);
  assert.equal(await putState.restore(), false);
  await huey.enqueue(r3.task);
  assert.equal(await executeNext(huey), 4);
  assert.deepEqual([...state], [[3, 3]]);
});

test("revoking one call skips only that call; revokeOnce is the Result's default", async () => {
  const { huey, putState } = setup();
  const r1 = await putState(1);
  const r2 = await putState(2);
  const r3 = await putState(3);
  await r1.revoke();
  await r3.revoke();
  assert.ok(await r1.isRevoked());
  assert.ok(await huey.isRevoked(r1));
  assert.ok(await huey.isRevoked(r1.id));
  assert.equal(await r2.isRevoked(), false);
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await executeNext(huey), 3);
  assert.equal(await r3.restore(), true);
  assert.equal(await executeNext(huey), 4);
  await huey.enqueue(r1.task);
  assert.equal(await executeNext(huey), 2, "the revoke-once was consumed");
  assert.equal(await r1.get(), 2);
});

test("a persistent revocation of one call skips it every time it is enqueued", async () => {
  const { huey, putState } = setup();
  const r1 = await putState(1);
  const r2 = await putState(2);
  await r1.revoke({ revokeOnce: false });
  await r2.revoke();
  assert.equal(await executeNext(huey), undefined);
  assert.equal(await executeNext(huey), undefined);
  await huey.enqueue(r1.task);
  await huey.enqueue(r2.task);
  assert.equal(await executeNext(huey), undefined, "still revoked");
  assert.equal(await executeNext(huey), 3);
  assert.ok(await r1.isRevoked());
  assert.equal(await r2.get(), 3);
  assert.equal(await huey.resultCount(), 1, "r1's lingering revoke key");
});

test("revokeById() and restoreById() act on task ids", async () => {
  const { huey, state, putState } = setup();
  const results = [await putState(1), await putState(2), await putState(3)];
  for (const result of results) await huey.revokeById(result.id);
  assert.equal(await huey.restoreById(results[1].id), true);
  assert.equal(await huey.restoreById(results[1].id), false);
  for (let i = 0; i < 3; i++) await executeNext(huey);
  assert.deepEqual([...state.keys()], [2]);
  assert.equal(await results[0].get(), null);
  assert.equal(await results[1].get(), 3);
  assert.equal(await results[2].get(), null);
});

test("huey.revokeAll() and restoreAll() act on a whole task like the wrapper's methods", async () => {
  const { huey, putState } = setup();
  await huey.revokeAll(putState);
  assert.ok(await huey.isRevoked(putState));
  assert.ok(await putState.isRevoked());
  assert.equal(await huey.restoreAll(putState), true);
  assert.equal(await huey.restoreAll(putState), false);
  assert.equal(await putState.isRevoked(), false);
});

test("a whole task revoked once skips exactly one execution", async () => {
  const { huey, putState } = setup();
  const r1 = await putState(1);
  const r2 = await putState(2);
  const r3 = await putState(3);
  await putState.revoke({ revokeOnce: true });
  for (const result of [r1, r2, r3]) assert.ok(await result.isRevoked());
  await executeNext(huey);
  assert.equal(await putState.isRevoked(), false);
  await executeNext(huey);
  await executeNext(huey);
  assert.equal(await r1.get(), null);
  assert.equal(await r2.get(), 3);
  assert.equal(await r3.get(), 4);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.resultCount(), 0);
});

test("revokeUntil ends at its time, and the key is cleared once a worker sees it passed", async () => {
  const { huey, putState } = setup();
  const t = new Date(Date.UTC(2030, 0, 1, 12));
  const at = (seconds: number) => new Date(t.getTime() + seconds * 1000);
  await putState.revoke({ revokeUntil: t });
  assert.equal(await putState.isRevoked({ timestamp: t, peek: true }), false);
  assert.equal(await putState.isRevoked({ timestamp: at(-1), peek: true }), true);
  const results = [];
  for (const n of [2, 3, 4, 5]) results.push(await putState(n));
  assert.equal(await executeNext(huey, at(-1)), undefined);
  assert.equal(await executeNext(huey, t), 4);
  assert.equal(await executeNext(huey, at(1)), 5);
  assert.equal(await executeNext(huey, at(-1)), 6, "the key was deleted once its time had passed");
  assert.deepEqual(await Promise.all(results.map((result) => result.get())), [null, 4, 5, 6]);
  assert.equal(await huey.pendingCount(), 0);
  assert.equal(await huey.resultCount(), 0);
});

test("isRevoked() with peek: false consumes a revoke-once", async () => {
  const { huey, putState } = setup();
  const result = await putState(1);
  await result.revoke();
  assert.ok(await huey.isRevoked(result.id));
  assert.ok(await huey.isRevoked(result.id, { peek: false }));
  assert.equal(await huey.isRevoked(result.id), false);
});

test("a periodic task can be revoked and restored like any other", async () => {
  const huey = makeHuey();
  let runs = 0;
  const periodic = huey.periodicTask(crontab(), function everyMinute() {
    runs++;
  });
  assert.equal(await periodic.restore(), false);
  await periodic.revoke();
  await periodic.revoke();
  assert.ok(await periodic.isRevoked());
  assert.equal(await periodic.restore(), true);
  assert.equal(await periodic.restore(), false);

  await periodic.revoke({ revokeOnce: true });
  const [first] = await huey.readPeriodic(new Date());
  assert.equal(await huey.execute(first), undefined);
  assert.equal(runs, 0);
  assert.equal(await periodic.isRevoked(), false);
  const [second] = await huey.readPeriodic(new Date());
  await huey.execute(second);
  assert.equal(runs, 1);

  const t = new Date(Date.UTC(2030, 0, 1));
  await periodic.revoke({ revokeUntil: t });
  assert.equal(await periodic.isRevoked({ timestamp: t }), false);
  assert.equal(await periodic.isRevoked({ timestamp: new Date(t.getTime() + 1000) }), false);
  assert.equal(await periodic.isRevoked({ timestamp: new Date(t.getTime() - 1000) }), true);
  assert.equal(await periodic.restore(), true);
  assert.equal(await periodic.isRevoked({ timestamp: new Date(t.getTime() - 1000) }), false);
});

test("a revocation issued while the task runs is cleared when it finishes", async () => {
  const huey = makeHuey();
  const selfRevoking = huey.task(async function selfRevoking(task: Task) {
    await huey.revoke(task, { revokeOnce: false });
    return "done";
  }, { context: true });
  const result = await selfRevoking();
  assert.equal(await executeNext(huey), "done");
  assert.equal(await result.isRevoked(), false);
  assert.equal(await huey.resultCount(), 1, "only the result");
});
