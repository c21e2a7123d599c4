// Ported from huey's tests/test_api.py (TestTaskLocking, test_flush_locks,
// test_flush_named_locks), plus our TaskLock forms (run, acquire/release, await using),
// the `ttl` that makes a lock expire, and owned locks (SPEC §8): a release deletes the lock
// only while the token of its acquisition holds it, on memory, SQLite and Redis.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TaskError, TaskLockedError } from "../errors.ts";
import type { Huey } from "../huey.ts";
import { MemoryHuey, RedisHuey, SqliteHuey } from "../mod.ts";
import { MemoryStorage } from "../storage/memory.ts";
import { sleep } from "../_runtime.ts";
import { executeNext, makeHuey, quietLogs } from "./_helpers.ts";
import { type RedisServer, redisSkip, startRedis } from "./_redis_server.ts";

quietLogs();
const dir = mkdtempSync(join(tmpdir(), "huey-locks-"));
let server: RedisServer | undefined;
let unique = 0;
before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls `check` until it holds, for up to 30 s (a loaded machine can be slow). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await sleep(0.02);
  }
}

const STORAGES: { kind: string; skip?: string; make: () => Huey }[] = [
  { kind: "memory", make: () => new MemoryHuey(`locks-${++unique}`) },
  {
    kind: "sqlite",
    make: () => new SqliteHuey(`locks-${++unique}`, { filename: join(dir, "locks.db") }),
  },
  {
    kind: "redis",
    skip: redisSkip,
    make: () => new RedisHuey(`locks-${++unique}`, { url: server!.url }),
  },
];

for (const { kind, skip, make } of STORAGES) {
  test(`${kind}: a holder that outlived its ttl cannot release the next holder's lock`, {
    skip,
  }, async () => {
    await using huey = make();
    // Two holders, as two processes would be: each its own TaskLock and token.
    const first = huey.lockTask("owned", { ttl: 1 });
    const next = huey.lockTask("owned", { ttl: 60 });
    await first.acquire();
    await assert.rejects(() => next.acquire(), TaskLockedError);
    await until(async () => !(await huey.isLocked("owned")), "the first holder's ttl passed");
    await next.acquire();
    assert.equal(await first.release(), false, "the first holder's token no longer holds it");
    assert.ok(await next.isLocked(), "the next holder still holds it");
    await assert.rejects(() => first.acquire(), TaskLockedError);
    assert.equal(await next.release(), true);
    assert.equal(await huey.isLocked("owned"), false);
  });

  test(`${kind}: clear() and flushLocks() remove a lock whoever holds it`, { skip }, async () => {
    await using huey = make();
    const holder = huey.lockTask("stuck");
    await holder.acquire();
    assert.equal(await huey.lockTask("stuck").release(), false, "a release of nothing");
    assert.ok(await holder.isLocked());
    assert.equal(await huey.lockTask("stuck").clear(), true);
    assert.equal(await holder.isLocked(), false);
    await holder.acquire();
    assert.deepEqual(await huey.flushLocks(), new Set(["stuck"]));
    assert.equal(await holder.release(), false, "flushed: nothing left to release");
  });
}

test("run() keeps each call's token: a call that outlived the ttl does not free the lock of the call that took it next", async () => {
  let now = Date.UTC(2030, 0, 1);
  const storage = new MemoryStorage("calls", { clock: () => now });
  const huey = new MemoryHuey("calls", { storage });
  const lock = huey.lockTask("slow", { ttl: 10 });
  const gates = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
  const first = lock.run(() => gates[0].promise);
  await until(() => lock.isLocked(), "the first call holds the lock");
  now += 11_000;
  const second = lock.run(() => gates[1].promise);
  await until(() => lock.isLocked(), "the second call holds the lock");
  gates[0].resolve();
  await first;
  assert.ok(await lock.isLocked(), "the second call still holds the lock");
  gates[1].resolve();
  await second;
  assert.equal(await lock.isLocked(), false);
});

test("a locked task runs normally, fails while its lock is held, and succeeds on retry", async () => {
  const huey = makeHuey();
  const lockA = huey.lockTask("lock_a");
  const addOne = huey.task(
    lockA.wrap(function addOne(n: number) {
      return n + 1;
    }),
    { retries: 1 },
  );
  await addOne(3);
  assert.equal(await executeNext(huey), 4);
  assert.equal(await lockA.isLocked(), false, "released after the run");

  await huey.lockTask("unrelated").run(async () => {
    await addOne(4);
    assert.equal(await executeNext(huey), 5);
  });

  const result = await lockA.run(async () => {
    const result = await addOne(5);
    assert.equal(await executeNext(huey), undefined);
    return result;
  });
  await assert.rejects(() => result.get(), (error: TaskError) => {
    assert.ok(error instanceof TaskError);
    assert.match(error.message, /unable to acquire lock lock_a/);
    return true;
  });
  assert.equal(await huey.pendingCount(), 1, "retried");
  assert.equal(await executeNext(huey), 6);
  assert.equal(await huey.isLocked("lock_a"), false);
});

test("two overlapping runs of a locked task: the second fails with TaskLockedError", async () => {
  const huey = makeHuey();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const lock = huey.lockTask("exclusive");
  const exclusive = huey.task(lock.wrap(async function exclusive() {
    await gate;
    return "done";
  }));
  const first = await exclusive();
  const second = await exclusive();
  const running = executeNext(huey);
  for (let i = 0; i < 1000 && !(await lock.isLocked()); i++) await sleep(0.001);
  assert.equal(await executeNext(huey), undefined);
  release();
  assert.equal(await running, "done");
  assert.equal(await first.get(), "done");
  await assert.rejects(() => second.get(), /unable to acquire/);
});

test("a lock that cannot be taken with no retry left runs the error handler", async () => {
  const huey = makeHuey();
  const lock = huey.lockTask("handled");
  const guarded = huey.task(lock.wrap(function guarded() {}));
  const errors: string[] = [];
  const onLocked = huey.task(function onLocked(error: Error) {
    errors.push(error.name);
  });
  await huey.enqueue(guarded.s().onError(onLocked));
  await lock.acquire();
  await executeNext(huey);
  await executeNext(huey);
  assert.deepEqual(errors, ["TaskLockedError"]);
});

test("flushLocks() releases every known lock and resolves to the names that were held", async () => {
  const huey = makeHuey();
  await huey.lockTask("lock1").run(async () => {
    await huey.lockTask("lock2").run(async () => {
      assert.deepEqual(await huey.flushLocks(), new Set(["lock1", "lock2"]));
    });
  });
  assert.deepEqual(await huey.flushLocks(), new Set());
});

test("flushLocks(...names) also releases locks this process never declared", async () => {
  const huey = makeHuey();
  await huey.putIfEmpty(`${huey.name}.lock.lock1`, "1");
  await huey.putIfEmpty(`${huey.name}.lock.lock2`, "1");
  await huey.lockTask("lock3").acquire();
  assert.deepEqual(
    await huey.flushLocks("lock1", " lock2 ", "lockx"),
    new Set(["lock1", "lock2", "lock3"]),
  );
  assert.equal(await huey.resultCount(), 0);
});

test("acquire() and release() take and free the lock; a second acquire() fails", async () => {
  const huey = makeHuey();
  const lock = huey.lockTask("manual");
  assert.equal(lock.name, "manual");
  assert.equal(lock.key, `${huey.name}.lock.manual`);
  assert.equal(await lock.acquire(), lock);
  assert.ok(await lock.isLocked());
  assert.ok(await huey.isLocked("manual"));
  await assert.rejects(() => huey.lockTask("manual").acquire(), TaskLockedError);
  assert.equal(await lock.release(), true);
  assert.equal(await lock.release(), false);
  await lock.acquire();
  assert.equal(await lock.clear(), true);
  assert.equal(await lock.isLocked(), false);
});

test("await using releases the lock at the end of the block, also on a throw", async () => {
  const huey = makeHuey();
  const lock = huey.lockTask("scoped");
  {
    await using _held = await lock.acquire();
    assert.ok(await lock.isLocked());
  }
  assert.equal(await lock.isLocked(), false);
  await assert.rejects(async () => {
    await using _held = await lock.acquire();
    throw new Error("inside");
  }, /inside/);
  assert.equal(await lock.isLocked(), false);
});

test("run() releases the lock when the function throws, and does not run it when locked", async () => {
  const huey = makeHuey();
  const lock = huey.lockTask("ctx");
  await assert.rejects(() => lock.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await lock.isLocked(), false);
  await lock.acquire();
  let ran = false;
  await assert.rejects(() => lock.run(() => (ran = true)), TaskLockedError);
  assert.equal(ran, false);
  assert.ok(await lock.isLocked(), "a failed acquire does not release the holder's lock");
});

test("wrap() keeps the function's name and passes its arguments and value through", async () => {
  const huey = makeHuey();
  const wrapped = huey.lockTask("w").wrap(function join(a: string, b: string) {
    return a + b;
  });
  assert.equal(wrapped.name, "join");
  assert.equal(await wrapped("a", "b"), "ab");
});

test("a lock with a ttl expires by itself", async () => {
  let now = Date.UTC(2030, 0, 1);
  const storage = new MemoryStorage("ttl", { clock: () => now });
  const huey = new MemoryHuey("ttl", { storage });
  const lock = huey.lockTask("crashy", { ttl: 10 });
  await lock.acquire();
  now += 9_000;
  await assert.rejects(() => lock.acquire(), TaskLockedError);
  now += 1_000;
  assert.equal(await lock.isLocked(), false);
  await lock.acquire();
  assert.ok(await lock.isLocked());
});

test("a lock's ttl must be a positive number of seconds", () => {
  const huey = makeHuey();
  for (const ttl of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => huey.lockTask("bad", { ttl }), (error: Error) => {
      assert.equal(error.name, "ConfigurationError");
      assert.match(error.message, /'ttl'/);
      return true;
    });
  }
});
