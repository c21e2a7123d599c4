/**
 * The real CLI on Redis, with thread, process and greenlet workers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";
import { FAST, inScenario, killAll, waitFor } from "./_consumer.ts";
import { consumerMatrix } from "./_matrix.ts";

let server: RedisServer | undefined;

before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(async () => {
  await killAll();
  await server?.stop();
});

for (const workerType of ["thread", "process", "greenlet"] as const) {
  consumerMatrix("Redis", workerType, {
    storage: () => ({ kind: "redis", url: server!.url }),
    skip: redisSkip,
  });
}

test("a consumer keeps going while Redis restarts, and runs the tasks enqueued after", {
  skip: redisSkip,
}, () =>
  inScenario({ kind: "redis", url: server!.url }, async ({ app, start, waitMarkers }) => {
    const consumer = start([...FAST, "-n", "-k", "thread", "-w", "2"]);
    await waitMarkers("startup", 2);
    const before = await app.add(1, 1);
    assert.equal(await before.get({ blocking: true, timeout: 60 }), 2);
    await server!.restart();
    // The producer's own client rejects while it reconnects (as it should).
    const after = await waitFor(() => app.add(2, 2).catch(() => null), "the producer to reconnect");
    assert.equal(await after.get({ blocking: true, timeout: 60 }), 4);
    assert.deepEqual(await consumer.stop("SIGINT"), { code: 0, signal: null });
  }));
