// The Redis storages on a real Redis Cluster of three masters (one per file): the conformance
// suite for the plain and the priority-expire kinds, every queue's keys on one master, queues
// spread over masters, an existing node-redis cluster client, and the checks of option `cluster`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createCluster } from "@redis/client";
import { ConfigurationError, HueyError } from "../../errors.ts";
import type { Storage } from "../../storage/base.ts";
import {
  PriorityRedisExpireHuey,
  PriorityRedisHuey,
  RedisExpireHuey,
  RedisHuey,
} from "../../huey_kinds.ts";
import {
  PriorityRedisExpireStorage,
  PriorityRedisStorage,
  RedisExpireStorage,
  RedisStorage,
  type RedisStorageOptions,
} from "../../storage/redis.ts";
import { type RedisCluster, redisSkip, startRedisCluster } from "../_redis_cluster.ts";
import { freePort } from "../_redis_server.ts";
import { storageSuite } from "./_suite.ts";

type Kind = new (name: string, options?: RedisStorageOptions) => RedisStorage;

const encoder = new TextEncoder();
let cluster: RedisCluster;

before(async () => {
  if (!redisSkip) cluster = await startRedisCluster();
});
after(async () => {
  await cluster?.stop();
});

/** A storage of `kind` on the test cluster. */
function open(kind: Kind, queue: string, options: RedisStorageOptions = {}): RedisStorage {
  return new kind(queue, { cluster: { rootNodes: cluster.rootNodes }, ...options });
}

/** Enqueues, dequeues and acknowledges one message, and stores and reads one result. */
async function roundTrip(storage: RedisStorage): Promise<void> {
  await storage.enqueue(encoder.encode(`hello ${storage.name}`));
  const delivery = await storage.dequeue({ lease: 30 });
  assert.equal(new TextDecoder().decode(delivery?.data), `hello ${storage.name}`);
  await storage.ack(delivery!.receipt!);
  await storage.putData("result", encoder.encode("42"), { isResult: true });
  assert.deepEqual(await storage.peekData("result"), encoder.encode("42"));
}

test("redis cluster: option 'cluster' is checked, and excludes 'url', 'host', 'port', 'db' and 'client'", () => {
  const rootNodes = [{ url: "redis://127.0.0.1:7000" }];
  const bad: [RedisStorageOptions, RegExp][] = [
    [{ cluster: null as never }, /'cluster'.*rootNodes/],
    [{ cluster: { rootNodes: [] } }, /'cluster\.rootNodes'/],
    [
      { cluster: { rootNodes: [{ url: "http://x:1" }] } },
      /'cluster\.rootNodes\[0\]\.url'.*http:\/\/x:1/,
    ],
    [{ cluster: { rootNodes: ["redis://x"] as never } }, /'cluster\.rootNodes\[0\]'/],
    [{ cluster: { rootNodes, maxCommandRedirections: 0 } }, /'cluster\.maxCommandRedirections'/],
    [{ cluster: { rootNodes, replicas: true } as never }, /'cluster\.replicas'/],
    [{ cluster: { rootNodes }, url: "redis://127.0.0.1:7000" }, /'cluster' and 'url'/],
    [{ cluster: { rootNodes }, port: 7000 }, /'cluster' and 'port'/],
    [{ cluster: { rootNodes }, db: 1 }, /'cluster' and 'db'/],
    [{ cluster: { rootNodes }, client: {} as never }, /'client' and 'cluster'/],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => new RedisStorage("q", options), (error: Error) => {
      assert.ok(error instanceof ConfigurationError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
  const storage = new RedisStorage("q", { cluster: { rootNodes }, password: "secret" });
  assert.equal(storage.location, "127.0.0.1:7000");
});

test("redis cluster: a cluster nobody answers at rejects with HueyError naming the address", async () => {
  const port = await freePort();
  await using storage = new RedisStorage("down", {
    cluster: { rootNodes: [{ url: `redis://127.0.0.1:${port}` }] },
  });
  await assert.rejects(storage.queueSize(), (error: Error) => {
    assert.ok(error instanceof HueyError && !(error instanceof ConfigurationError), String(error));
    assert.match(error.message, new RegExp(`unreachable at 127\\.0\\.0\\.1:${port}`));
    return true;
  });
});

if (redisSkip) {
  test("redis cluster storages (skipped: redis-server is missing)", { skip: redisSkip }, () => {});
} else {
  // A LIST queue puts a message back from a lease at its head, not at its old place.
  // The event cap drops whole entries: exact in the suite's checks (see redis_test.ts).
  const list = { priority: false, keepsPlace: false, eventsSlack: 0 };
  storageSuite(
    "redis cluster",
    (queue: string): Storage => open(RedisStorage, queue, { readTimeout: 0.1 }),
    list,
  );
  storageSuite(
    "priority redis expire cluster",
    (queue: string): Storage => open(PriorityRedisExpireStorage, queue, { readTimeout: 0.1 }),
    { expiring: true, eventsSlack: 0 },
  );
  registerClusterTests();
}

/**
 * Resolves to the port of a master on which a client waits in `command`
 * (BLMOVE unless given; polls CLIENT LIST for 30 s).
 */
async function blockedOnMaster(command = "blmove"): Promise<number> {
  for (let attempt = 0; attempt < 300; attempt++) {
    for (const port of cluster.ports) {
      if ((await cluster.cli(port, "client", "list")).includes(`cmd=${command}`)) return port;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no client waits in ${command.toUpperCase()}`);
}

function registerClusterTests(): void {
  // Slots split in three by `redis-cli --cluster create`: these names hash to different thirds.
  const names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];

  test("redis cluster: each queue's keys live on one master, and queues spread over masters", async () => {
    const masters = new Set<number>();
    for (const [index, name] of names.entries()) {
      const kinds = [
        RedisStorage,
        PriorityRedisStorage,
        RedisExpireStorage,
        PriorityRedisExpireStorage,
      ];
      const queue = `${name}-${kinds[index % kinds.length].name}`;
      await using storage = open(kinds[index % kinds.length], queue);
      await roundTrip(storage);
      await storage.enqueue(encoder.encode("stays"), 0);
      await storage.addToSchedule(encoder.encode("later"), Date.now() + 60_000);
      await storage.putIfEmpty("lock", encoder.encode("1"));
      await storage.incr("done");
      await storage.addMember("seen", "worker-1");
      await storage.addDeadLetter(encoder.encode("bad"), "undecodable");
      await storage.addEvents({ items: ["event"], maxLength: 10 });
      await storage.putHeartbeat("host:1", encoder.encode("alive"), 30);
      assert.deepEqual([...(await storage.resultItems()).keys()].sort(), ["lock", "result"]);
      const holders = await cluster.holders(`huey:{${queue}}:*`);
      assert.equal(holders.length, 1, `the keys of ${queue} are on ${holders.join(", ")}`);
      masters.add(holders[0]);
      await storage.flushAll();
      // flushAll (SCAN for results, counters and sets) ran on that master: only the
      // receipt sequence and the emptied event log stay, on purpose (receipts and seqs stay unique).
      const left = await cluster.cli(holders[0], "--scan", "--pattern", `huey:{${queue}}:*`);
      assert.deepEqual(left.split("\n").filter(Boolean).sort(), [
        `huey:{${queue}}:events`,
        `huey:{${queue}}:sequence`,
      ]);
      assert.equal(await cluster.cli(holders[0], "xlen", `huey:{${queue}}:events`), "0\n");
    }
    assert.ok(masters.size >= 2, `all queues landed on one master: ${[...masters]}`);
  });

  test("redis cluster: a blocking dequeue wakes when another client enqueues", async () => {
    for (const name of names.slice(0, 3)) {
      await using consumer = open(RedisStorage, `${name}-wake`, { readTimeout: 30 });
      await using producer = open(RedisStorage, `${name}-wake`);
      const waiting = consumer.dequeue({ lease: 30 });
      await blockedOnMaster();
      await producer.enqueue(encoder.encode("wake"));
      const delivery = await waiting;
      assert.equal(new TextDecoder().decode(delivery?.data), "wake");
    }
  });

  test("redis cluster: with notifyResult, waitForData wakes on the master of the queue's slot", async () => {
    for (const name of names.slice(0, 3)) {
      await using waiter = open(RedisExpireStorage, `${name}-notify`, { notifyResult: true });
      await using writer = open(RedisExpireStorage, `${name}-notify`, { notifyResult: true });
      const wait = waiter.waitForData!;
      assert.equal(await wait("stored", 50), false, "nothing stored yet");
      const waiting = [wait("stored", 60_000), wait("stored", 60_000)];
      await blockedOnMaster();
      await writer.putData("stored", encoder.encode("1"), { isResult: true });
      assert.deepEqual(await Promise.all(waiting), [true, true]);
    }
  });

  test("redis cluster: waitForEvents waits in XREAD on the master of the queue's slot", async () => {
    for (const name of names.slice(0, 3)) {
      await using waiter = open(RedisStorage, `${name}-events`);
      await using writer = open(RedisStorage, `${name}-events`);
      assert.equal(await waiter.waitForEvents!(null, 50), false, "an empty log");
      const waiting = waiter.waitForEvents!(null, 60_000);
      const port = await blockedOnMaster("xread");
      await writer.finish(null, { events: { items: ["e"], maxLength: 10 } });
      assert.equal(await waiting, true);
      assert.deepEqual(await cluster.holders(`huey:{${name}-events}:*`), [port]);
      assert.equal((await waiter.readEvents({ limit: 10 })).length, 1);
      await writer.flushAll();
    }
  });

  test("redis cluster: the four RedisHuey kinds pass option 'cluster' to their storage and run tasks", async () => {
    for (const Kind of [RedisHuey, PriorityRedisHuey, RedisExpireHuey, PriorityRedisExpireHuey]) {
      const queue = `huey-${Kind.name}`;
      await using huey = new Kind(queue, { cluster: { rootNodes: cluster.rootNodes } });
      const add = huey.task(function add(a: number, b: number): number {
        return a + b;
      });
      const result = await add(1, 2);
      assert.equal((await cluster.holders(`huey:{${queue}}:*`)).length, 1);
      const task = await huey.dequeue();
      assert.ok(task, `${Kind.name}: the task is on the cluster`);
      await huey.execute(task);
      assert.equal(await result.get(), 3);
      await huey.flush();
    }
  });

  test("redis cluster: an existing node-redis cluster client is used and left open", async () => {
    const client = createCluster({ rootNodes: cluster.rootNodes });
    client.on("error", () => {});
    try {
      const storage = new PriorityRedisStorage("existing-client", { client });
      assert.equal(storage.location, `127.0.0.1:${cluster.ports[0]}`);
      await roundTrip(storage);
      await storage.flushAll();
      await storage.close();
      assert.ok(client.isOpen, "the storage closed a client it was given");
      assert.equal(await client.sendCommand("huey", true, ["PING"]), "PONG");
    } finally {
      client.destroy();
    }
  });
}
