import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { createClient } from "@redis/client";
import { ConfigurationError, HueyError } from "../../errors.ts";
import type { Storage } from "../../storage/base.ts";
import {
  PriorityRedisExpireStorage,
  PriorityRedisStorage,
  type RedisConnection,
  RedisExpireStorage,
  RedisStorage,
  type RedisStorageOptions,
} from "../../storage/redis.ts";
import { freePort, type RedisServer, redisSkip, startRedis } from "../_redis_server.ts";
import { storageSuite, type SuiteOptions } from "./_suite.ts";

type Kind = new (name: string, options?: RedisStorageOptions) => RedisStorage;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let server: RedisServer;
let unique = 0;

before(async () => {
  if (!redisSkip) server = await startRedis();
});
after(async () => {
  await server?.stop();
});

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function text(data: Uint8Array | null | undefined): string | null {
  return data ? decoder.decode(data) : null;
}

function name(): string {
  unique += 1;
  return `redis-test-${unique}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A storage of `kind` on the test server (close it, or open it with `await using`). */
function open(kind: Kind, queue: string, options: RedisStorageOptions = {}): RedisStorage {
  return new kind(queue, { port: server.port, ...options });
}

/** A plain node-redis client on the test server. */
function plainClient() {
  return createClient({ url: server.url });
}

type Client = ReturnType<typeof plainClient>;

/** Runs `body` with a plain node-redis client, to look at the server from outside the storage. */
async function inspecting(body: (client: Client) => Promise<void>): Promise<void> {
  const client = plainClient();
  client.on("error", () => {});
  await client.connect();
  try {
    await body(client);
  } finally {
    client.destroy();
  }
}

/** Runs `attempt` until it resolves, for up to 10 s (reconnection after a restart). */
async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0;; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 100) throw error;
      await delay(100);
    }
  }
}

if (redisSkip) {
  test("redis storages (skipped: redis-server is missing)", { skip: redisSkip }, () => {});
} else {
  // A LIST queue puts a message back from a lease at its head, not at its old place.
  const list = { priority: false, keepsPlace: false };
  const kinds: [string, Kind, RedisStorageOptions, SuiteOptions][] = [
    ["redis", RedisStorage, { readTimeout: 0.1 }, list],
    ["redis non-blocking", RedisStorage, { blocking: false }, list],
    ["priority redis", PriorityRedisStorage, { readTimeout: 0.1 }, {}],
    ["priority redis non-blocking", PriorityRedisStorage, { blocking: false }, {}],
    ["redis expire", RedisExpireStorage, { readTimeout: 0.1 }, { ...list, expiring: true }],
    ["priority redis expire", PriorityRedisExpireStorage, { blocking: false }, { expiring: true }],
  ];
  for (const [label, kind, options, suiteOptions] of kinds) {
    // The cap drops whole entries (one per call) once a tenth over it: it is exact when, as in the
    // suite's checks, the cap is under 10 and no entry holds events on both sides of it;
    // redis_events_test.ts checks the bound otherwise.
    const exact = { ...suiteOptions, eventsSlack: 0 };
    storageSuite(label, (queue: string): Storage => open(kind, queue, options), exact);
  }
  registerRedisTests();
}

function registerRedisTests(): void {
  test("redis: every key of a queue shares the hash tag {name}", async () => {
    const plain = name();
    const priority = name();
    for (
      const [kind, queue] of [[RedisStorage, plain], [
        PriorityRedisExpireStorage,
        priority,
      ]] as const
    ) {
      await using storage = open(kind, queue, { blocking: false, notifyResult: true });
      await storage.enqueue(bytes("leased"));
      await storage.enqueue(bytes("waiting"));
      await storage.dequeue({ lease: 30 });
      await storage.addToSchedule(bytes("later"), Date.now() + 60_000);
      await storage.putData("result", bytes("1"), { isResult: true });
      await storage.putIfEmpty("lock", bytes("1"), { ttl: 30 });
      await storage.addDeadLetter(bytes("bad"), "bad message");
      await storage.incr("hits");
      await storage.addMember("chord", "a");
      await storage.addEvents({ items: ["event"], maxLength: 10 });
      await storage.putHeartbeat("host:1", bytes("alive"), 30);
    }
    const common = [
      "dead",
      "events",
      "events-count",
      "event-sizes",
      "heartbeats",
      "heartbeat-expiries",
      "leased",
      "leases",
      "queue",
      "schedule",
      "sequence",
      "counter:hits",
      "members:chord",
      "result-notify:result",
    ];
    await inspecting(async (client) => {
      const suffixes = async (queue: string): Promise<string[]> => {
        const keys = await client.keys(`*${queue}*`);
        for (const key of keys) assert.ok(key.startsWith(`huey:{${queue}}:`), key);
        return keys.map((key) => key.slice(`huey:{${queue}}:`.length)).sort();
      };
      assert.deepEqual(await suffixes(plain), [...common, "kv", "kv-expiries"].sort());
      assert.deepEqual(
        await suffixes(priority),
        [...common, "notify", "r:lock", "r:result"].sort(),
      );
    });
  });

  test("redis: with notifyResult, waitForData wakes every waiter when another client stores the result", async () => {
    for (const kind of [RedisStorage, RedisExpireStorage]) {
      const queue = name();
      await using waiter = open(kind, queue, { notifyResult: true });
      await using writer = open(kind, queue, { notifyResult: true });
      const wait = waiter.waitForData!;
      assert.equal(await wait("stored", 50), false, "nothing stored yet");
      const waiting = [wait("stored", 60_000), wait("stored", 60_000)];
      await writer.putData("stored", bytes("1"), { isResult: true });
      assert.deepEqual(await Promise.all(waiting), [true, true]);
      await writer.enqueue(bytes("job"));
      const delivery = await writer.dequeue({ lease: 30 });
      const finished = wait("finished", 60_000);
      await writer.finish(delivery!.receipt, { result: { key: "finished", value: bytes("2") } });
      assert.equal(await finished, true);
      const controller = new AbortController();
      const stopped = wait("never", 60_000, controller.signal);
      controller.abort();
      assert.equal(await stopped, false);
    }
    await using plain = open(RedisStorage, name());
    assert.equal(plain.waitForData, undefined, "no notifyResult: callers poll");
  });

  registerEventTests();

  test("redis: contradictory options throw ConfigurationError naming them", () => {
    const cases: [RedisStorageOptions, RegExp][] = [
      [{ url: "redis://127.0.0.1:6379", host: "127.0.0.1" }, /'url'.*'host'/],
      [{ url: "redis://127.0.0.1:6379", port: 6380 }, /'url'.*'port'/],
      [{ url: "redis://127.0.0.1:6379", db: 2 }, /'url'.*'db'/],
      [{ url: "redis://:secret@127.0.0.1", password: "other" }, /'url'.*'password'/],
      [{ client: createClient(), url: "redis://127.0.0.1" }, /'client'.*'url'/],
      [{ client: createClient(), host: "localhost", port: 6379 }, /'client'.*'host', 'port'/],
      [{ expireTime: 60 }, /'expireTime'.*RedisStorage/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => new RedisStorage("q", options), (error: Error) => {
        assert.ok(error instanceof ConfigurationError, String(error));
        assert.match(error.message, message);
        return true;
      });
    }
    assert.doesNotThrow(() => new RedisStorage("q", { host: undefined, url: "redis://h:1/0" }));
    assert.doesNotThrow(() => new RedisExpireStorage("q", { expireTime: 60 }));
  });

  test("redis: bad option values throw ConfigurationError naming the option and the value", () => {
    const cases: [string, RedisStorageOptions, string][] = [
      ["q", { port: 70000 }, "Option 'port' must be an integer from 1 to 65535, got 70000"],
      ["q", { db: -1 }, "Option 'db' must be an integer from 0 to 2147483647, got -1"],
      ["q", { readTimeout: 0 }, "Option 'readTimeout' must be a finite number > 0, got 0"],
      ["q", { expireTime: -1 } as RedisStorageOptions, "Option 'expireTime'"],
      [
        "q",
        { blocking: "yes" as unknown as boolean },
        `Option 'blocking' must be a boolean, got "yes"`,
      ],
      [
        "q",
        { notifyResult: 1 as unknown as boolean },
        "Option 'notifyResult' must be a boolean, got 1",
      ],
      [
        "q",
        { url: "http://1" },
        `Option 'url' must be a redis:// or rediss:// URL, got "http://1"`,
      ],
      ["q", { url: "::" }, `Option 'url' must be a redis:// or rediss:// URL, got "::"`],
      ["q", { host: "" }, `Option 'host' must be a non-empty string, got ""`],
      ["q", { client: 5 as unknown as RedisConnection }, "Option 'client' must be a node-redis"],
      ["", {}, `Option 'name' must be a non-empty string, got ""`],
      ["a{b}", {}, `Option 'name' must be a name without '{' or '}', got "a{b}"`],
    ];
    for (const [queue, options, message] of cases) {
      assert.throws(() => new RedisStorage(queue, options), (error: Error) => {
        assert.ok(error instanceof ConfigurationError, String(error));
        assert.ok(error.message.startsWith(message), error.message);
        return true;
      });
    }
    assert.throws(() => new RedisExpireStorage("q", { expireTime: -5 }), /'expireTime'.*-5/);
  });

  for (const kind of [RedisStorage, RedisExpireStorage]) {
    test(`${kind.name}: the finishes of one turn share a script, and every key ends as they leave it in turn`, async () => {
      await using storage = open(kind, name(), { blocking: false });
      await storage.enqueueMany(["a", "b", "c"].map((item) => ({ data: bytes(item) })));
      const leased = await Promise.all([1, 2, 3].map(() => storage.dequeue({ lease: 30 })));
      const [a, b, c] = leased.map((delivery) => delivery!.receipt);
      await Promise.all([
        storage.finish!(a, { result: { key: "stored then deleted", value: bytes("1") } }),
        storage.finish!(b, { deleteKeys: ["stored then deleted", "deleted then stored"] }),
        storage.finish!(c, { result: { key: "deleted then stored", value: bytes("2") } }),
        storage.finish!(null, { result: { key: "twice", value: bytes("first") } }),
        storage.finish!(null, { result: { key: "twice", value: bytes("second") } }),
      ]);
      assert.equal(await storage.peekData("stored then deleted"), null);
      assert.equal(text(await storage.peekData("deleted then stored")), "2");
      assert.equal(text(await storage.peekData("twice")), "second");
      // Every lease ended: nothing comes back, and the receipts do nothing now.
      await storage.renew([a!, b!, c!], 0.05);
      await delay(100);
      assert.equal(await storage.queueSize(), 0);
      assert.equal(await storage.dequeue({ lease: 30 }), null);
    });
  }

  test("redis expire: a lease reads no revocation keys (they are keys of their own)", async () => {
    await using storage = open(RedisExpireStorage, name(), { blocking: false });
    await storage.putData("r:one", bytes("own"));
    await storage.enqueue(bytes('{"id":"one","name":"task","args":[]}'));
    const delivery = await storage.dequeue({ lease: 30 });
    assert.equal(text(delivery?.data), '{"id":"one","name":"task","args":[]}');
    assert.equal(delivery?.revocations, undefined);
  });

  test("redis expire: a result gets a TTL of expireTime, other keys none", async () => {
    const queue = name();
    await using storage = open(RedisExpireStorage, queue, { expireTime: 3600 });
    await storage.putData("result", bytes("42"), { isResult: true });
    await storage.putData("revoked", bytes("1"));
    await storage.putIfEmpty("lock", bytes("1"), { ttl: 60 });
    await inspecting(async (client) => {
      const ttl = await client.ttl(`huey:{${queue}}:r:result`);
      assert.ok(ttl > 3590 && ttl <= 3600, String(ttl));
      assert.equal(await client.ttl(`huey:{${queue}}:r:revoked`), -1);
      const lockTtl = await client.ttl(`huey:{${queue}}:r:lock`);
      assert.ok(lockTtl > 50 && lockTtl <= 60, String(lockTtl));
    });
    assert.equal(text(await storage.popData("result")), "42");
    assert.equal(text(await storage.popData("result")), "42");
    assert.equal(await storage.deleteData("result"), true);
    assert.equal(await storage.peekData("result"), null);
  });

  for (const kind of [RedisStorage, PriorityRedisStorage]) {
    test(`${kind.name}: a lease reads the revocation keys of each message that starts with its id and name`, async () => {
      await using storage = open(kind, name(), { blocking: false });
      const message = (id: string, task: string) =>
        bytes(`{"id":"${id}","name":"${task}","args":[]}`);
      await storage.putData("r:one", bytes("own"));
      await storage.putData("rt:other", bytes("whole"));
      await storage.putIfEmpty("r:gone", bytes("passed"), { ttl: 0.05 });
      await storage.putIfEmpty("r:kept", bytes("kept"), { ttl: 600 });
      await delay(100); // past r:gone's ttl, on any clock
      const messages = [
        message("one", "task"),
        message("two", "other"),
        message("three", "task"),
        message("gone", "task"),
        message("kept", "other"),
        bytes('{"name":"task","id":"one"}'), // not id first: not read
        message('o\\"ne', "task"), // an escape in the id: not read
        bytes("not json at all"),
      ];
      await storage.enqueueMany(messages.map((data) => ({ data })));
      const leases = messages.map((_, i) => storage.dequeue({ lease: i % 2 === 0 ? 30 : 0 }));
      const deliveries = await Promise.all(leases);
      // Leases of different times go in different scripts: match each reply by its message.
      // A key not set reads as null, exactly (not undefined).
      const shown = (value: Uint8Array | null) => value && text(value);
      const read = new Map(
        deliveries.map((delivery) => [text(delivery!.data), delivery!.revocations?.map(shown)]),
      );
      assert.deepEqual(messages.map((data) => read.get(text(data)!)), [
        ["own", null],
        [null, "whole"],
        [null, null],
        [null, null],
        ["kept", "whole"],
        undefined,
        undefined,
        undefined,
      ]);
    });

    test(`${kind.name}: a blocking dequeue returns a message another client enqueues meanwhile`, async () => {
      const queue = name();
      await using consumer = open(kind, queue, { readTimeout: 10 });
      await using producer = open(kind, queue);
      await consumer.queueSize(); // connected before waiting
      const waiting = consumer.dequeue({ lease: 30 });
      await delay(300);
      await producer.enqueue(bytes("job"));
      const delivery = await waiting;
      assert.equal(text(delivery?.data), "job");
      await consumer.ack(delivery!.receipt!);
    });

    test(`${kind.name}: concurrent blocking dequeues on one client each get a message`, async () => {
      const queue = name();
      await using consumer = open(kind, queue, { readTimeout: 10 });
      await using producer = open(kind, queue);
      const waiting = Array.from({ length: 5 }, () => consumer.dequeue());
      await delay(200);
      await producer.enqueueMany(["a", "b", "c", "d", "e"].map((item) => ({ data: bytes(item) })));
      const got = (await Promise.all(waiting)).map((delivery) => text(delivery?.data));
      assert.deepEqual(got.sort(), ["a", "b", "c", "d", "e"]);
    });
  }

  test("redis: a blocking dequeue resolves to null after readTimeout", async () => {
    await using storage = open(PriorityRedisStorage, name(), { readTimeout: 0.3 });
    assert.equal(await storage.dequeue(), null);
    await using plain = open(RedisStorage, name(), { readTimeout: 0.3 });
    assert.equal(await plain.dequeue({ lease: 5 }), null);
  });

  test("redis: an aborted blocking dequeue resolves to null, and so does one cut by close", async () => {
    const queue = name();
    const storage = open(RedisStorage, queue, { readTimeout: 60 });
    const controller = new AbortController();
    const aborted = storage.dequeue({ signal: controller.signal });
    await delay(200);
    controller.abort();
    assert.equal(await aborted, null);
    const cut = storage.dequeue();
    await delay(200);
    await storage.close();
    assert.equal(await cut, null);
    // The abandoned waits took nothing: a message enqueued now is still there.
    await using other = open(RedisStorage, queue);
    await other.enqueue(bytes("kept"));
    assert.equal(await other.queueSize(), 1);
  });

  test("redis: a lease outlives its client: another client gets the message after expiry", async () => {
    const queue = name();
    const first = open(PriorityRedisStorage, queue, { blocking: false });
    await first.enqueue(bytes("job"), 3);
    const leased = await first.dequeue({ lease: 0.3 });
    assert.equal(text(leased?.data), "job");
    await first.close(); // gone without ack
    await using second = open(PriorityRedisStorage, queue, { readTimeout: 5 });
    assert.equal(await second.queueSize(), 0);
    await delay(400);
    const again = await second.dequeue({ lease: 30 });
    assert.equal(text(again?.data), "job");
    assert.notEqual(again?.receipt, leased?.receipt);
  });

  test("redis: a blocking dequeue wakes up when a lease expires", async () => {
    await using storage = open(RedisStorage, name(), { readTimeout: 10 });
    await storage.enqueue(bytes("job"));
    await storage.dequeue({ lease: 0.3 });
    const again = await storage.dequeue({ lease: 30 });
    assert.equal(text(again?.data), "job");
  });

  test("redis: operations reject clearly while Redis is down and work again after it returns", async () => {
    const queue = name();
    await using storage = open(RedisStorage, queue, { readTimeout: 0.2 });
    await using priority = open(PriorityRedisStorage, queue + "-p", { readTimeout: 0.2 });
    await using waiter = open(RedisStorage, queue + "-w", { readTimeout: 60 });
    await storage.enqueue(bytes("before"));
    await priority.enqueue(bytes("before"), 1);
    assert.equal(text((await storage.dequeue())?.data), "before");
    await waiter.queueSize();
    const unreachable = new RegExp(`Redis is unreachable at 127\\.0\\.0\\.1:${server.port}`);
    const waiting = assert.rejects(
      waiter.dequeue(),
      (error: Error) => unreachable.test(error.message),
    );
    await delay(200);
    await server.stop();
    try {
      await waiting;
      await assert.rejects(storage.enqueue(bytes("while down")), (error: Error) => {
        assert.ok(error instanceof HueyError);
        assert.match(error.message, unreachable);
        return true;
      });
      await assert.rejects(priority.dequeue(), unreachable);
    } finally {
      await server.restart(); // empty: no persistence
    }
    await eventually(() => storage.queueSize());
    await eventually(() => priority.queueSize());
    await storage.enqueue(bytes("after"));
    assert.equal(text((await storage.dequeue({ lease: 5 }))?.data), "after");
    await priority.enqueue(bytes("after"), 2);
    assert.equal(text((await priority.dequeue())?.data), "after");
    assert.equal(await storage.dequeue(), null);
  });

  test("redis: the first operation rejects clearly when nothing listens", async () => {
    const port = await freePort();
    await using storage = new RedisStorage(name(), { port });
    await assert.rejects(
      storage.queueSize(),
      new RegExp(`Redis is unreachable at 127.0.0.1:${port}`),
    );
    await assert.rejects(storage.enqueue(bytes("x")), /Redis is unreachable/);
  });

  test("redis: scripts still run after the server's script cache is flushed", async () => {
    await using storage = open(PriorityRedisStorage, name(), { blocking: false });
    await storage.enqueue(bytes("one"), 1);
    await inspecting(async (client) => void await client.scriptFlush());
    await storage.enqueue(bytes("two"), 2);
    assert.equal(text((await storage.dequeue())?.data), "two");
  });

  test("redis: a node-redis client passed as `client` is used and left open", async () => {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    const queue = name();
    const storage = new RedisStorage(queue, { client, readTimeout: 0.2 });
    await storage.enqueue(bytes("job"));
    assert.equal(text((await storage.dequeue())?.data), "job");
    assert.equal(await storage.dequeue(), null);
    await storage.close();
    assert.ok(client.isOpen);
    assert.equal(await client.exists(`huey:{${queue}}:queue`), 0);
    await client.close();
  });
}

/** Runs `body` while MONITOR records the commands Redis runs; resolves to their lines. */
async function monitoring(body: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const marker = `end-of-monitoring-${Math.random()}`;
  const monitor = plainClient();
  monitor.on("error", () => {});
  await monitor.connect();
  try {
    await monitor.monitor((line) => lines.push(String(line)));
    await body();
    // Redis runs commands one at a time: the marker's line comes after every line of `body`.
    await inspecting(async (client) => void await client.echo(marker));
    for (let tries = 0; !lines.some((line) => line.includes(marker)); tries++) {
      assert.ok(tries < 200, "MONITOR never showed the marker");
      await delay(50);
    }
  } finally {
    monitor.destroy();
  }
  return lines;
}

/** Runs `attempt` until it gives a truthy value, for up to 10 s. */
async function until<T>(attempt: () => Promise<T | null | undefined | false>): Promise<T> {
  for (let tries = 0;; tries++) {
    const value = await attempt();
    if (value) return value;
    assert.ok(tries < 200, "the condition never came true");
    await delay(50);
  }
}

function registerEventTests(): void {
  test("redis: finish appends its events in the script that stores the outcome and acks, also with a stale receipt", async () => {
    for (const kind of [RedisStorage, PriorityRedisExpireStorage]) {
      const queue = name();
      await using storage = open(kind, queue, { blocking: false });
      await storage.enqueue(bytes("job"));
      const stale = (await storage.dequeue({ lease: 0.2 }))!;
      // The lease expires and the message is delivered again: the first receipt is stale.
      const current = await until(() => storage.dequeue({ lease: 30 }));
      await storage.ack("0:warm-up"); // the completion script is in the server's cache
      const events = { items: ["e1", "e2"], maxLength: 100 };
      const result = { key: "outcome", value: bytes("done") };
      const lines = await monitoring(() => storage.finish(stale.receipt, { result, events }));
      const mine = lines.filter((line) => line.includes(`huey:{${queue}}:`));
      const sent = mine.filter((line) => !/\[\d+ lua\]/.test(line));
      assert.equal(sent.length, 1, sent.join("\n"));
      assert.match(sent[0], /"EVALSHA"/);
      const adds = mine.filter((line) => /\[\d+ lua\] "XADD"/.test(line));
      assert.equal(adds.length, 1, mine.join("\n"));
      // One entry: how many, then the events' lines (MONITOR shows the line break as \n).
      assert.match(
        adds[0],
        new RegExp(`"huey:\\{${queue}\\}:events" "\\*" "n" "2" "d" "e1\\\\ne2"$`),
      );
      // As a finish without events: the outcome is stored, the stale receipt acks nothing.
      assert.equal(text(await storage.peekData("outcome")), "done");
      assert.deepEqual((await storage.readEvents({ limit: 10 })).map((e) => e.data), [
        "e1",
        "e2",
      ]);
      await storage.release(current.receipt!);
      assert.equal(await storage.queueSize(), 1, "the current delivery was still leased");
    }
  });

  test("redis: the event log is a stream, one entry per call: seq is the entry id and the event's index, at its milliseconds", async () => {
    const queue = name();
    await using storage = open(RedisStorage, queue);
    const before = Date.now();
    await storage.addEvents({ items: ["a", "b", "c"], maxLength: 1000 });
    const read = await storage.readEvents({ limit: 10 });
    assert.deepEqual(read.map((event) => event.data), ["a", "b", "c"]);
    const entry = read[0].seq.slice(0, -2);
    assert.deepEqual(read.map((event) => event.seq), [0, 1, 2].map((index) => `${entry}.${index}`));
    for (const { at } of read) {
      assert.equal(at, Number(entry.split("-")[0]));
      assert.ok(Math.abs(at - before) < 60_000, "the server's clock, in epoch ms");
    }
    assert.equal(await storage.lastEventSeq(), read[2].seq);
    assert.deepEqual(await storage.readEvents({ after: read[2].seq, limit: 10 }), []);
    assert.equal((await storage.readEvents({ since: read[0].at, limit: 10 })).length, 3);
    for (const after of ["3", "x-1", entry, `${entry}.`, `${entry}.-1`, `${entry}.1.2`]) {
      await assert.rejects(storage.readEvents({ after, limit: 1 }), /'after'/);
      await assert.rejects(storage.waitForEvents!(after, 10), ConfigurationError);
    }
    await storage.addEvents({
      items: Array.from({ length: 1000 }, (_, index) => `e${index}`),
      maxLength: 100,
    });
    await inspecting(async (client) => {
      const key = `huey:{${queue}}:events`;
      assert.equal(await client.type(key), "stream");
      // The newest 100 were appended as one entry; the 3 before stay (at most a tenth over the cap).
      assert.equal(await client.xLen(key), 2, "only the newest 100 were appended, as one entry");
      assert.equal(await client.get(`huey:{${queue}}:events-count`), "103");
      assert.deepEqual(await client.lRange(`huey:{${queue}}:event-sizes`, 0, -1), ["3", "100"]);
    });
    const kept = await storage.readEvents({ limit: 1000 });
    assert.deepEqual(kept.map((event) => event.data).slice(0, 4), ["a", "b", "c", "e900"]);
    assert.equal(kept.length, 103);
    const newest = await storage.lastEventSeq();
    await storage.flushAll();
    assert.equal(await storage.lastEventSeq(), null);
    // Emptied, not deleted: the stream keeps its newest id, and later ids follow it.
    await inspecting(async (client) => {
      const info = await client.xInfoStream(`huey:{${queue}}:events`);
      assert.deepEqual([info.length, `${info["last-generated-id"]}.99`], [0, newest]);
      const counts = [`huey:{${queue}}:events-count`, `huey:{${queue}}:event-sizes`];
      assert.equal(await client.exists(counts), 0, "the count and the sizes went too");
    });
  });

  test("redis: waitForEvents waits with a blocking XREAD and wakes when another client adds events", async () => {
    const queue = name();
    await using waiter = open(RedisStorage, queue);
    await using writer = open(RedisStorage, queue);
    const events = { items: ["e"], maxLength: 100 };
    assert.equal(await waiter.waitForEvents!(null, 50), false, "an empty log");
    const blockedReads = async (): Promise<number> => {
      let blocked = 0;
      await inspecting(async (client) => {
        blocked = (await client.clientList()).filter((info) => info.cmd === "xread").length;
      });
      return blocked;
    };
    const first = waiter.waitForEvents!(null, 60_000);
    await until(async () => await blockedReads() > 0);
    await writer.addEvents(events);
    assert.equal(await first, true);
    const last = (await waiter.lastEventSeq())!;
    assert.equal(await waiter.waitForEvents!(null, 0), true, "null: any event");
    assert.equal(await waiter.waitForEvents!(last, 50), false, "nothing after the newest");
    const second = waiter.waitForEvents!(last, 60_000);
    await writer.finish(null, { events });
    assert.equal(await second, true);
    const controller = new AbortController();
    const aborted = waiter.waitForEvents!(
      (await waiter.lastEventSeq())!,
      60_000,
      controller.signal,
    );
    controller.abort();
    assert.equal(await aborted, false);
    const cut = waiter.waitForEvents!((await waiter.lastEventSeq())!, 60_000);
    await until(async () => await blockedReads() > 0);
    await waiter.close();
    assert.equal(await cut, false);
  });

  test("redis: heartbeats expire on the server's clock, and expired records are removed", async () => {
    const queue = name();
    await using storage = open(RedisStorage, queue);
    await storage.putHeartbeat("gone", bytes("old"), 0.2);
    await storage.putHeartbeat("alive", bytes("new"), 60);
    await until(async () => (await storage.heartbeats()).length === 1);
    assert.deepEqual((await storage.heartbeats()).map(text), ["new"]);
    await inspecting(async (client) => {
      assert.deepEqual(await client.hKeys(`huey:{${queue}}:heartbeats`), ["alive"]);
      assert.equal(await client.zCard(`huey:{${queue}}:heartbeat-expiries`), 1);
    });
    assert.equal(await storage.deleteHeartbeat("gone"), false);
    assert.equal(await storage.deleteHeartbeat("alive"), true);
    assert.deepEqual(await storage.heartbeats(), []);
  });
}
