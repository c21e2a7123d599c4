/**
 * A bad message is dead-lettered exactly once, even when the worker that
 * moves it aside dies before its acknowledgement reaches the storage (as a
 * worker ended at a hard timeout can): moving aside and acknowledging are
 * one storage step. Real SQLite files and a real redis-server.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, test } from "node:test";
import type { Huey } from "../huey.ts";
import { RedisHuey, SqliteHuey } from "../mod.ts";
import { makeHuey, quietLogs } from "./_helpers.ts";
import { type RedisServer, redisSkip, startRedis } from "./_redis_server.ts";

/** Seconds of each lease: a message not acknowledged comes back this soon. */
const LEASE = 0.5;

quietLogs();
let server: RedisServer | undefined;
const dir = mkdtempSync(join(tmpdir(), "huey-dead-once-"));

before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves once the wall clock has passed `time` (epoch ms). */
async function until(time: number): Promise<void> {
  while (Date.now() <= time) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(10, time - Date.now() + 1)));
  }
}

const storages: { label: string; skip?: string; make: () => Huey }[] = [
  { label: "memory", make: () => makeHuey({ leaseTimeout: LEASE }) },
  {
    label: "SQLite",
    make: () => new SqliteHuey("once", { filename: join(dir, "queue.db"), leaseTimeout: LEASE }),
  },
  {
    label: "Redis",
    skip: redisSkip,
    make: () => new RedisHuey(`once-${process.pid}`, { url: server!.url, leaseTimeout: LEASE }),
  },
];

for (const { label, skip, make } of storages) {
  test(
    `${label}: a bad message is dead-lettered once when its worker dies before acknowledging it`,
    {
      skip,
    },
    async () => {
      const huey = make();
      try {
        await huey.storage.enqueue(new TextEncoder().encode("not a message"), 0);
        // The worker dies before any acknowledgement of its reaches the storage.
        const storage = huey.storage as { ack(receipt: string): Promise<void> };
        storage.ack = () => Promise.reject(new Error("the worker died"));
        await huey.dequeue().catch(() => null);
        const leasedUntil = Date.now() + LEASE * 1000;
        delete (storage as { ack?: unknown }).ack;

        // Its lease has run out: a message still leased would be delivered again now.
        await until(leasedUntil + 50);
        assert.equal(await huey.dequeue(), null);
        const letters = await huey.deadLetters();
        assert.equal(letters.length, 1, `dead letters: ${letters.map((letter) => letter.id)}`);
        assert.equal(await huey.pendingCount(), 0);
      } finally {
        await huey.flush().catch(() => {});
        await huey.close();
      }
    },
  );
}
