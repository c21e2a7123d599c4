/**
 * The layout of the Redis event log: one stream entry per call (a turn's
 * calls together), the cap counted in events, seqs inside entries.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@redis/client";
import { ConfigurationError } from "../../errors.ts";
import { RedisStorage } from "../../storage/redis.ts";
import { type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";

let server: RedisServer;
let unique = 0;

before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(async () => {
  await server?.stop();
});

/** A storage of a new queue on the test server, and the key of its stream. */
function openLog(): { storage: RedisStorage; key: string } {
  unique += 1;
  const queue = `redis-events-${unique}-${Math.random().toString(36).slice(2, 8)}`;
  return { storage: new RedisStorage(queue, { port: server.port }), key: `huey:{${queue}}:events` };
}

/** A plain node-redis client on the test server. */
function plainClient() {
  return createClient({ url: server.url });
}

/** Runs `body` with a plain client, to look at the server from outside the storage. */
async function withClient<T>(body: (client: ReturnType<typeof plainClient>) => Promise<T>) {
  const client = plainClient();
  await client.connect();
  try {
    return await body(client);
  } finally {
    client.destroy();
  }
}

/**
 * How many events each entry of the stream `key` holds, oldest first: its
 * field `n`, checked against the lines of its field `d`.
 */
function entrySizes(key: string): Promise<number[]> {
  return withClient(async (client) => {
    const entries = await client.sendCommand(["XRANGE", key, "-", "+"]) as [string, string[]][];
    return entries.map(([, fields]) => {
      assert.deepEqual([fields[0], fields[2]], ["n", "d"]);
      assert.equal(fields[3].split("\n").length, Number(fields[1]), "n is the count of lines");
      return Number(fields[1]);
    });
  });
}

/** The payloads of every kept event. */
async function kept(storage: RedisStorage): Promise<string[]> {
  return (await storage.readEvents({ limit: 100_000 })).map((event) => event.data);
}

/** `count` numbered payloads from `first` on. */
function numbered(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `e${first + index}`);
}

if (redisSkip) {
  test("redis event log (skipped: redis-server is missing)", { skip: redisSkip }, () => {});
} else {
  test("redis events: the events of one call, and of one turn's calls, share one stream entry", async () => {
    const { storage, key } = openLog();
    await using _ = storage;
    await storage.addEvents({ items: ["a", "b", "c"], maxLength: 100 });
    await Promise.all([
      storage.addEvents({ items: ["d"], maxLength: 100 }),
      storage.finish(null, { events: { items: ["e", "f"], maxLength: 100 } }),
      storage.addEvents({ items: ["g"], maxLength: 100 }),
    ]);
    assert.deepEqual(await entrySizes(key), [3, 4]);
    const events = await storage.readEvents({ limit: 10 });
    assert.deepEqual(events.map((event) => event.data), [..."abcdefg"]);
    const ids = events.map((event) => event.seq.split(".")[0]);
    assert.equal(new Set(ids).size, 2);
    assert.deepEqual(events.map((event) => event.seq.split(".")[1]), [..."0120123"]);
    // However many events a call has, they are one entry (the script copies their lines whole).
    const many = numbered(0, 2500);
    await storage.addEvents({ items: many, maxLength: 10_000 });
    assert.deepEqual(await entrySizes(key), [3, 4, 2500]);
    assert.deepEqual((await kept(storage)).slice(7), many);
  });

  test("redis events: the cap holds in events across calls of different sizes and caps", async () => {
    const { storage, key } = openLog();
    await using _ = storage;
    const sizesKey = key.replace(/events$/, "event-sizes");
    const added: string[] = [];
    const check = async (cap: number): Promise<void> => {
      const events = await kept(storage);
      const sizes = await entrySizes(key);
      assert.deepEqual(events, added.slice(-events.length), "the newest, in order");
      assert.ok(
        events.length >= Math.min(cap, added.length),
        `${events.length} kept of cap ${cap}`,
      );
      // Trimmed once a tenth over the cap, down to the fewest whole entries that hold the cap.
      const bound = Math.max(cap + Math.floor(cap / 10), cap + sizes[0] - 1);
      assert.ok(events.length <= bound, `${events.length} kept, oldest entry ${sizes[0]}`);
      assert.equal(sizes.reduce((sum, size) => sum + size, 0), events.length);
      await withClient(async (client) => {
        assert.equal(await client.get(`${key}-count`), String(events.length));
        assert.deepEqual(await client.lRange(sizesKey, 0, -1), sizes.map(String));
      });
    };
    for (const size of [1, 7, 3, 12, 1, 1, 5, 30, 2, 9, 9, 1, 4]) {
      const items = numbered(added.length, size);
      added.push(...items);
      await storage.addEvents({ items: items, maxLength: 10 });
      await check(10);
    }
    // A call of more events than the cap appends only the newest cap of them.
    const flood = numbered(added.length, 25);
    added.push(...flood);
    await storage.finish(null, { events: { items: flood, maxLength: 10 } });
    assert.deepEqual(await entrySizes(key), [10]);
    await check(10);
    // Calls of one turn with different caps: as if each were appended and capped in turn.
    const wide = numbered(added.length, 6);
    const narrow = numbered(added.length + 6, 2);
    added.push(...wide, ...narrow);
    await Promise.all([
      storage.addEvents({ items: wide, maxLength: 100 }),
      storage.addEvents({ items: narrow, maxLength: 3 }),
    ]);
    assert.deepEqual(await kept(storage), added.slice(-3));
    await check(3);
    // The count and the sizes are kept beside the stream; when they are lost or do not match
    // it, the log is counted again.
    for (const lose of [[`${key}-count`], [sizesKey], [`${key}-count`, sizesKey]]) {
      await withClient(async (client) => void await client.del(lose));
      const more = numbered(added.length, 4);
      added.push(...more);
      await storage.addEvents({ items: more, maxLength: 5 });
      await check(5);
    }
    await withClient(async (client) => void await client.lPop(sizesKey));
    const last = numbered(added.length, 2);
    added.push(...last);
    await storage.addEvents({ items: last, maxLength: 5 });
    await check(5);
  });

  test("redis events: the log is trimmed once it holds a tenth more than the cap, to the cap", async () => {
    const { storage, key } = openLog();
    await using _ = storage;
    const added = numbered(0, 111);
    for (const [index, item] of added.entries()) {
      await storage.addEvents({ items: [item], maxLength: 100 });
      const expected = index < 110 ? index + 1 : 100;
      assert.equal((await entrySizes(key)).length, expected, `after ${index + 1} events`);
    }
    assert.deepEqual(await kept(storage), added.slice(-100));
    await withClient(async (client) => {
      assert.equal(await client.get(`${key}-count`), "100");
    });
  });

  test("redis events: paging with small limits through multi-event entries reads every event once, in order", async () => {
    const { storage } = openLog();
    await using _ = storage;
    const all: string[] = [];
    for (const size of [1, 3, 7, 2, 1, 1, 12, 5, 4, 1]) {
      const items = numbered(all.length, size);
      all.push(...items);
      await storage.addEvents({ items: items, maxLength: 1000 });
    }
    for (const limit of [1, 2, 3, 5, 8, 40]) {
      const paged: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await storage.readEvents({ after, limit });
        if (page.length === 0) break;
        assert.ok(page.length <= limit);
        assert.ok(page.length === limit || paged.length + page.length === all.length, "full pages");
        paged.push(...page.map((event) => event.data));
        after = page.at(-1)!.seq;
      }
      assert.deepEqual(paged, all, `limit ${limit}`);
      assert.equal(after, await storage.lastEventSeq());
    }
    const events = await storage.readEvents({ limit: 100 });
    for (const [index, event] of events.entries()) {
      const rest = await storage.readEvents({ after: event.seq, limit: 100 });
      assert.deepEqual(rest.map((next) => next.data), all.slice(index + 1));
    }
  });

  test("redis events: waitForEvents returns at once when after's entry has later events", async () => {
    const { storage, key } = openLog();
    await using _ = storage;
    await storage.addEvents({ items: ["a", "b", "c"], maxLength: 100 });
    const [a, b, c] = await storage.readEvents({ limit: 10 });
    // A timeout of 0 never blocks: only events already there count.
    assert.equal(await storage.waitForEvents(a.seq, 0), true);
    assert.equal(await storage.waitForEvents(b.seq, 0), true);
    assert.equal(await storage.waitForEvents(c.seq, 0), false);
    assert.equal(await storage.waitForEvents(a.seq, 60_000), true);
    await storage.addEvents({ items: ["d"], maxLength: 100 });
    assert.equal(await storage.waitForEvents(c.seq, 0), true, "the next entry");
    // After's entry trimmed away: what is kept follows it.
    await storage.addEvents({ items: ["e"], maxLength: 1 });
    assert.deepEqual(await entrySizes(key), [1]);
    assert.equal(await storage.waitForEvents(a.seq, 0), true);
    const [e] = await storage.readEvents({ after: a.seq, limit: 10 });
    assert.equal(await storage.waitForEvents(e.seq, 0), false);
    await assert.rejects(storage.waitForEvents("1-1", 0), ConfigurationError);
  });
}
