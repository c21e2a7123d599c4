// Rate limits (issue 12 item 3; huey 3.3's RateLimit and rate-limited tasks, tests/test_api.py
// TestRateLimit): a fixed window counted in the storage with one atomic incr, as a limiter
// (acquire, wrap, await using, reset) and as a task option whose retry does not use up a retry;
// shared across Hueys on one SQLite file and on one Redis server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError, RateLimitExceeded, SIGNAL_RATE_LIMITED, TaskError } from "../mod.ts";
import { sleep } from "../_runtime.ts";
import { executeNext, makeHuey, quietLogs, recordSignals, single } from "./_helpers.ts";
import { sharedStores } from "./_shared_hueys.ts";

quietLogs();
const stores = sharedStores("rate-limits");

/** A window so long that no test sees it roll over (windows are aligned on the epoch). */
const LONG = 365 * 24 * 3600;

/** What a promise rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

test("a rate limit allows `limit` acquisitions per window, then throws RateLimitExceeded", async () => {
  await using huey = makeHuey();
  const limit = huey.rateLimit("api", { limit: 2, per: LONG });
  await limit.acquire();
  await limit.acquire();
  assert.equal(await limit.usage(), 2);
  const error = await rejection(limit.acquire());
  assert.ok(error instanceof RateLimitExceeded);
  assert.equal(error.key, "api");
  assert.equal(error.name, "RateLimitExceeded");
  assert.equal(error.retry, true);
  assert.ok(error.delay > 0 && error.delay <= LONG, `delay ${error.delay}`);
  const noRetry = huey.rateLimit("api", { limit: 2, per: LONG, retry: false });
  assert.equal(((await rejection(noRetry.acquire())) as RateLimitExceeded).retry, false);
});

test("wrap() calls the function only while the window has room", async () => {
  await using huey = makeHuey();
  let calls = 0;
  const ping = huey.rateLimit("ping", { limit: 1, per: LONG }).wrap(function ping(n: number) {
    calls += 1;
    return n * 2;
  });
  assert.equal(ping.name, "ping");
  assert.equal(await ping(21), 42);
  assert.ok((await rejection(ping(1))) instanceof RateLimitExceeded);
  assert.equal(calls, 1);
});

test("await using takes a slot for the block; leaving it gives nothing back", async () => {
  await using huey = makeHuey();
  const limit = huey.rateLimit("block", { limit: 1, per: LONG });
  {
    await using slot = await limit.acquire();
    assert.equal(slot, limit);
  }
  assert.equal(await limit.usage(), 1);
  assert.ok((await rejection(limit.acquire())) instanceof RateLimitExceeded);
});

test("reset() empties the current window", async () => {
  await using huey = makeHuey();
  const limit = huey.rateLimit("reset", { limit: 1, per: LONG });
  await limit.acquire();
  await limit.reset();
  assert.equal(await limit.usage(), 0);
  await limit.acquire();
});

test("the next window has room again once the delay has passed", async () => {
  await using huey = makeHuey();
  const limit = huey.rateLimit("windows", { limit: 1, per: 1 });
  // The first acquisition may fall at the end of a window: fill the window it lands in.
  await limit.acquire().catch(() => {});
  const error = await rejection(limit.acquire());
  assert.ok(error instanceof RateLimitExceeded && error.delay <= 1);
  await sleep(error.delay);
  const deadline = Date.now() + 30_000;
  while (!(await limit.acquire().then(() => true, () => false))) {
    assert.ok(Date.now() < deadline, "the next window never opened");
    await sleep(0.01);
  }
});

test("bad limits and windows throw ConfigurationError naming the option", async () => {
  await using huey = makeHuey();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ limit: 0, per: 1 }, /'limit'.*0/],
    [{ limit: 1.5, per: 1 }, /'limit'/],
    [{ limit: "3", per: 1 }, /'limit'/],
    [{ limit: 1, per: 0 }, /'per'/],
    [{ limit: 1, per: -1 }, /'per'/],
    [{ limit: 1, per: Infinity }, /'per'/],
    [{ limit: 1, per: 1, retry: "yes" }, /'retry'/],
  ];
  for (const [options, message] of cases) {
    const opts = options as { limit: number; per: number };
    assert.throws(() => huey.rateLimit("bad", opts), { name: "ConfigurationError", message });
    assert.throws(
      () => huey.task(function bad() {}, { rateLimit: opts }),
      (error) => error instanceof ConfigurationError && message.test(error.message),
    );
  }
  assert.throws(() => huey.rateLimit("", { limit: 1, per: 1 }), ConfigurationError);
});

test("a rate-limited task with retry runs again in the next window without using up a retry", async () => {
  await using huey = makeHuey();
  let runs = 0;
  const sync = huey.task(function sync() {
    runs += 1;
  }, { rateLimit: { limit: 1, per: LONG } });
  const signals = recordSignals(huey);
  await sync();
  await sync();
  await executeNext(huey);
  signals.take();
  const before = Date.now();
  await executeNext(huey);
  assert.equal(runs, 1);
  assert.deepEqual(signals.take(), ["executing", SIGNAL_RATE_LIMITED, "retrying", "scheduled"]);
  const [scheduled] = await huey.scheduled();
  assert.equal(scheduled.retries, 0, "a task without retries still has none left");
  // The next window of a LONG window is far ahead, and no later than its length.
  const eta = scheduled.eta!.getTime();
  assert.ok(eta > before && eta <= Date.now() + LONG * 1000);
  assert.equal(await huey.pendingCount(), 0);
});

test("a RateLimitExceeded with retry does not decrement the task's retries", async () => {
  await using huey = makeHuey();
  const limit = huey.rateLimit("shared-api", { limit: 1, per: LONG });
  const call = huey.task(async function call() {
    await limit.acquire();
  }, { retries: 2 });
  await call();
  await call();
  await executeNext(huey);
  await executeNext(huey);
  const [scheduled] = await huey.scheduled();
  assert.equal(scheduled.retries, 2);
});

test("the task option's name defaults to the task's; tasks naming one limit share it", async () => {
  await using huey = makeHuey();
  const a = huey.task(function a() {}, { rateLimit: { limit: 1, per: LONG, name: "vendor" } });
  const b = huey.task(function b() {}, { rateLimit: { limit: 1, per: LONG, name: "vendor" } });
  const c = huey.task(function c() {}, { rateLimit: { limit: 1, per: LONG } });
  assert.equal(a.definition.rateLimit?.name, "vendor");
  assert.equal(c.definition.rateLimit?.name, "c");
  await a();
  await b();
  await c();
  for (let i = 0; i < 3; i++) await executeNext(huey);
  assert.deepEqual((await huey.scheduled()).map((task) => task.name), ["b"]);
  assert.equal(await huey.rateLimit("c", { limit: 1, per: LONG }).usage(), 1);
});

test("without retry a rate-limited task fails as any failure: its error is stored, retries apply", async () => {
  await using huey = makeHuey();
  const once = huey.task(function once() {}, {
    rateLimit: { limit: 1, per: LONG, retry: false },
  });
  const signals = recordSignals(huey);
  await once();
  const limited = await once();
  const retried = single(await huey.enqueue(once.s().withOptions({ retries: 1 })));
  await executeNext(huey);
  signals.take();
  await executeNext(huey);
  assert.deepEqual(signals.take(), ["executing", SIGNAL_RATE_LIMITED]);
  const error = await rejection(limited.get());
  assert.ok(error instanceof TaskError);
  assert.equal(error.metadata.name, "RateLimitExceeded");
  assert.equal(await huey.scheduledCount(), 0);
  // With a retry left (and no retryDelay), it retries in the next window, using up the retry.
  await executeNext(huey);
  const [scheduled] = await huey.scheduled();
  assert.equal(scheduled.id, retried.id);
  assert.equal(scheduled.retries, 0);
  assert.ok(scheduled.eta!.getTime() > Date.now());
});

for (const { kind, skip, make } of stores) {
  test(`${kind}: two Hueys on one store share a window`, { skip }, async () => {
    const name = `shared-${crypto.randomUUID()}`;
    await using one = make(name);
    await using two = make(name);
    const first = one.rateLimit("vendor", { limit: 5, per: LONG });
    const second = two.rateLimit("vendor", { limit: 5, per: LONG });
    const taken = await Promise.all(
      Array.from(
        { length: 12 },
        (_, i) =>
          (i % 2 ? first : second).acquire().then(() => true, (error) => {
            assert.ok(error instanceof RateLimitExceeded);
            return false;
          }),
      ),
    );
    assert.equal(taken.filter(Boolean).length, 5);
    assert.equal(await second.usage(), 12);
    await first.reset();
    await second.acquire();
  });

  test(`${kind}: a task's rate limit counts runs by every consumer`, { skip }, async () => {
    const name = `tasks-${crypto.randomUUID()}`;
    await using one = make(name);
    await using two = make(name);
    let runs = 0;
    const register = (huey: typeof one) =>
      huey.task(function report() {
        runs += 1;
      }, { rateLimit: { limit: 1, per: LONG } });
    const report = register(one);
    register(two);
    await report();
    await report();
    await executeNext(one);
    await executeNext(two);
    assert.equal(runs, 1);
    assert.equal(await two.scheduledCount(), 1);
  });
}
