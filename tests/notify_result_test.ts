// notifyResult on a real redis-server (SPEC §9, huey 3.3's notify_result): a blocking
// Result.get() on a Redis Huey with `notifyResult` waits on Redis and wakes when another Huey
// stores the result; it does not poll. Every Redis kind.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@redis/client";
import {
  PriorityRedisExpireHuey,
  PriorityRedisHuey,
  RedisExpireHuey,
  RedisHuey,
  Result,
  ResultTimeout,
} from "../mod.ts";
import type { Storage } from "../storage/base.ts";
import { type RedisServer, redisSkip, startRedis } from "./_redis_server.ts";
import { executeNext } from "./_helpers.ts";
import { waitFor } from "./consumer/_consumer.ts";

let server: RedisServer;
let unique = 0;
before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(() => server?.stop());

const KINDS = [RedisHuey, PriorityRedisHuey, RedisExpireHuey, PriorityRedisExpireHuey] as const;

/** How long a waiter is left waiting before the result is stored: polling would read ~9 times. */
const WAITING = 1500;

/** Counts the reads of a storage's key/value store (the calls a polling `get()` makes). */
function countReads(storage: Storage): { count: number } {
  const reads = { count: 0 };
  for (const method of ["peekData", "popData", "hasDataForKey"] as const) {
    const original = storage[method].bind(storage) as (key: string) => Promise<never>;
    storage[method] = (key: string) => {
      reads.count += 1;
      return original(key);
    };
  }
  return reads;
}

for (const Kind of KINDS) {
  test(
    `${Kind.name} with notifyResult: a blocking get wakes when another Huey stores the result, without polling`,
    { skip: redisSkip },
    async () => {
      const name = `notify-${++unique}`;
      await using waiter = new Kind(name, { url: server.url, notifyResult: true });
      await using worker = new Kind(name, { url: server.url, notifyResult: true });
      const reads = countReads(waiter.storage);
      worker.task(function add(a: number, b: number) {
        return a + b;
      });
      const add = waiter.task(function add(a: number, b: number) {
        return a + b;
      });
      const result = await add(2, 3) as Result<number>;
      const started = Date.now();
      const value = result.get({ blocking: true, timeout: 120 });
      await waitFor(() => reads.count >= 1 && Date.now() - started > WAITING, "the waiter to wait");
      assert.equal(await executeNext(worker), 5);
      assert.equal(await value, 5);
      assert.equal(reads.count, 2, "one read before the wait and one after the wake");
      await waiter.flush();
    },
  );
}

test(
  "notifyResult: waiters on one result in two Hueys all wake, and a timeout still throws ResultTimeout",
  { skip: redisSkip },
  async () => {
    const name = `notify-${++unique}`;
    await using first = new RedisHuey(name, { url: server.url, notifyResult: true });
    await using second = new RedisHuey(name, { url: server.url, notifyResult: true });
    await using worker = new RedisHuey(name, { url: server.url, notifyResult: true });
    const echo = first.task(function echo(text: string) {
      return text;
    });
    worker.task(function echo(text: string) {
      return text;
    });
    const result = await echo("hello") as Result<string>;
    const reads = countReads(first.storage);
    const options = { blocking: true, timeout: 120, preserve: true };
    const waiting = [
      result.get(options),
      result.get(options),
      new Result<string>(second, result.task).get(options),
    ];
    await waitFor(() => reads.count >= 2, "both waiters of the first Huey to wait");
    assert.equal(await executeNext(worker), "hello");
    assert.deepEqual(await Promise.all(waiting), ["hello", "hello", "hello"]);

    const later = await echo("never run") as Result<string>;
    await assert.rejects(later.get({ blocking: true, timeout: 0.3 }), ResultTimeout);
    const controller = new AbortController();
    const stopped = later.get({ blocking: true, signal: controller.signal });
    controller.abort(new Error("stop waiting"));
    await assert.rejects(stopped, /stop waiting/);
    await first.flush();
  },
);

/** How many BLMOVE commands the test server has run. */
async function blockingWaits(): Promise<number> {
  const client = createClient({ url: server.url });
  client.on("error", () => {});
  await client.connect();
  try {
    const stats = await client.info("commandstats");
    return Number(/cmdstat_blmove:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  } finally {
    await client.close();
  }
}

test(
  "notifyResult: a result read (and removed) before does not wake the next blocking get",
  { skip: redisSkip },
  async () => {
    const name = `notify-${++unique}`;
    await using huey = new RedisHuey(name, { url: server.url, notifyResult: true });
    const echo = huey.task(function echo(text: string) {
      return text;
    });
    const result = await echo("once") as Result<string>;
    await executeNext(huey);
    assert.equal(await result.get({ blocking: true, timeout: 60 }), "once");
    const reads = countReads(huey.storage);
    const before = await blockingWaits();
    const again = new Result<string>(huey, result.task);
    await assert.rejects(again.get({ blocking: true, timeout: 1 }), ResultTimeout);
    assert.equal(reads.count, 2, "one read before the wait and one after it");
    assert.equal(await blockingWaits() - before, 1, "the stale notification woke nobody");
  },
);
