// Each RedisHuey kind on a real redis-server: the storage it builds, a full task trip, and the
// priority rule of the non-priority kinds (huey's test_wrappers, plus SPEC §7 "Redis without
// priorities").
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ConfigurationError } from "../errors.ts";
import { PriorityRedisExpireHuey, PriorityRedisHuey, RedisExpireHuey, RedisHuey } from "../mod.ts";
import {
  PriorityRedisExpireStorage,
  PriorityRedisStorage,
  RedisExpireStorage,
  RedisStorage,
} from "../storage/redis.ts";
import { type RedisServer, redisSkip, startRedis } from "./_redis_server.ts";
import { executeNext } from "./_helpers.ts";

let server: RedisServer;
let unique = 0;
before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(() => server?.stop());

const KINDS = [
  [RedisHuey, RedisStorage, false],
  [PriorityRedisHuey, PriorityRedisStorage, true],
  [RedisExpireHuey, RedisExpireStorage, false],
  [PriorityRedisExpireHuey, PriorityRedisExpireStorage, true],
] as const;

for (const [Kind, Storage, priority] of KINDS) {
  test(
    `${Kind.name} builds a ${Storage.name} and runs a task end to end`,
    { skip: redisSkip },
    async () => {
      const huey = new Kind(`kinds-${++unique}`, { url: server.url });
      try {
        assert.equal(huey.storage.constructor, Storage);
        assert.equal(huey.storage.priority, priority);
        const add = huey.task(function add(a: number, b: number) {
          return a + b;
        });
        const result = await add(2, 3);
        assert.equal(await executeNext(huey), 5);
        assert.equal(await result.get(), 5);
      } finally {
        await huey.flush();
        await huey.close();
      }
    },
  );
}

test("RedisHuey and RedisExpireHuey refuse a priority and name PriorityRedisHuey", {
  skip: redisSkip,
}, async () => {
  for (const Kind of [RedisHuey, RedisExpireHuey]) {
    const huey = new Kind(`kinds-${++unique}`, { url: server.url });
    try {
      const task = huey.task(function urgent() {});
      await assert.rejects(
        task.schedule({ delay: 0, priority: 5 }),
        (error: Error) =>
          error instanceof ConfigurationError && /PriorityRedisHuey/.test(error.message),
      );
      assert.equal(await huey.pendingCount(), 0);
    } finally {
      await huey.close();
    }
  }
});

test("PriorityRedisHuey runs higher priorities first", { skip: redisSkip }, async () => {
  const huey = new PriorityRedisHuey(`kinds-${++unique}`, { url: server.url });
  try {
    const echo = huey.task(function echo(n: number) {
      return n;
    });
    for (const [n, priority] of [[1, 0], [2, 10], [3, 5]]) {
      await echo.schedule({ args: [n], delay: 0, priority });
    }
    const order = [];
    for (let i = 0; i < 3; i++) order.push(await executeNext(huey));
    assert.deepEqual(order, [2, 3, 1]);
  } finally {
    await huey.flush();
    await huey.close();
  }
});

test(
  "RedisExpireHuey results stay readable after a read (reads do not delete)",
  { skip: redisSkip },
  async () => {
    const huey = new RedisExpireHuey(`kinds-${++unique}`, { url: server.url, expireTime: 120 });
    try {
      const add = huey.task(function add(a: number, b: number) {
        return a + b;
      });
      const result = await add(1, 1);
      await executeNext(huey);
      assert.equal(await result.get(), 2);
      result.reset();
      assert.equal(await result.get(), 2);
    } finally {
      await huey.flush();
      await huey.close();
    }
  },
);

test("contradictory Redis options throw a ConfigurationError naming them", () => {
  assert.throws(
    () => new RedisHuey("conflict", { url: "redis://127.0.0.1:1", host: "127.0.0.1" }),
    (error: Error) =>
      error instanceof ConfigurationError && /url/.test(error.message) &&
      /host/.test(error.message),
  );
});
