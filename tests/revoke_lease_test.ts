// Our addition: a worker's loop checks each task's revocation keys with values read when its
// message was leased (Redis reads them inside its lease script; the other storages right after
// the lease). The check must decide as a fresh read would: a revocation written before the lease
// skips the task (and a revoke-once is used up), one lifted or passed before it does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Huey } from "../huey.ts";
import { WORKER } from "../worker_side.ts";
import { sharedStores } from "./_shared_hueys.ts";
import { quietLogs } from "./_helpers.ts";

quietLogs();

let unique = 0;

type App = ReturnType<typeof setup>;

function setup(make: (name: string) => Huey) {
  const huey = make(`revoke-lease-${++unique}-${Math.random().toString(36).slice(2, 8)}`);
  const calls: string[] = [];
  const work = huey.task(function work(label: string) {
    calls.push(label);
    return label;
  });
  const other = huey.task(function other(label: string) {
    calls.push(`other ${label}`);
    return label;
  });
  return { huey, work, other, calls };
}

/** Runs `body` with a fresh app on the store, then empties and closes its Huey. */
async function withApp(make: (name: string) => Huey, body: (app: App) => Promise<void>) {
  const app = setup(make);
  try {
    await body(app);
  } finally {
    await app.huey.flush();
    await app.huey.close();
  }
}

/** Runs `count` queued tasks as a worker's loop does (the first dequeued, the next leased ahead). */
async function drain(huey: Huey, count: number): Promise<void> {
  const loop = new AbortController();
  const worker = huey[WORKER];
  try {
    for (let i = 0; i < count; i++) {
      const task = worker.takeReady(loop.signal) ?? await worker.dequeue(loop.signal);
      assert.ok(task, `task ${i + 1} of ${count} is queued`);
      await worker.execute(task);
    }
  } finally {
    loop.abort();
  }
}

for (const store of sharedStores("revoke-lease")) {
  const options = { skip: store.skip };

  test(
    `${store.kind}: a task revoked once before its message is leased is skipped, and the revocation is used up`,
    options,
    () =>
      withApp(store.make, async ({ huey, work, calls }) => {
        await work("a");
        const revoked = await work("b");
        await work("c");
        await revoked.revoke(); // revokeOnce
        await drain(huey, 3);
        assert.deepEqual(calls, ["a", "c"]);
        assert.equal(await revoked.isRevoked(), false, "the revoke-once was consumed");
      }),
  );

  test(
    `${store.kind}: a whole task revoked before its messages are leased is skipped, the others run`,
    options,
    () =>
      withApp(store.make, async ({ huey, work, other, calls }) => {
        await work("a");
        await other("b");
        await work("c");
        await other.revoke();
        await drain(huey, 3);
        assert.deepEqual(calls, ["a", "c"]);
        assert.equal(await other.isRevoked(), true, "a whole task stays revoked");
        await other.restore();
        await other("d");
        await drain(huey, 1);
        assert.deepEqual(calls, ["a", "c", "other d"]);
      }),
  );

  test(
    `${store.kind}: a revocation whose time has passed lets the task run and is cleared`,
    options,
    () =>
      withApp(store.make, async ({ huey, work, calls }) => {
        await work("a");
        const passed = await work("b");
        await passed.revoke({ revokeUntil: new Date(Date.now() - 1000), revokeOnce: false });
        await drain(huey, 2);
        assert.deepEqual(calls, ["a", "b"]);
        assert.equal(
          await huey.storage.peekData(`r:${passed.id}`),
          null,
          "the passed revocation is cleared",
        );
      }),
  );
}
