/**
 * The conformance suite every storage backend runs: huey's `StorageTests`
 * (test_storage.py) ported, plus our contract (leases, expiring keys, dead
 * letters, separate queue names). A backend's test file calls
 * `storageSuite("sqlite", factory)` and adds its own tests.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import type { Storage } from "../../storage/base.ts";
import { ConfigurationError } from "../../errors.ts";

/** What a backend supports, for {@linkcode storageSuite}. */
export interface SuiteOptions {
  /** The backend honours priorities. @default true */
  priority?: boolean;
  /** popData only reads, it never deletes (RedisExpire kinds). @default false */
  expiring?: boolean;
}

/** Gives a test clients of its queue, and closes them when it ends. */
interface Context {
  /** This test's queue name, unique to the run. */
  readonly name: string;
  /** A new client of the queue `name` (this test's queue by default). */
  open(name?: string): Promise<Storage>;
  /** Another unique queue name. */
  newName(): string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Comfortably past a 0.2 s lease or ttl. */
const PAST_SHORT_LEASE = 0.5;

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function text(data: Uint8Array | null): string | null {
  if (data === null) return null;
  assert.ok(data instanceof Uint8Array, `expected a Uint8Array, got ${typeof data}`);
  return decoder.decode(data);
}

function texts(items: Uint8Array[]): string[] {
  assert.ok(Array.isArray(items), "expected an array");
  return items.map((data) => text(data) as string);
}

function entries(map: Map<string, Uint8Array>): Record<string, string> {
  assert.ok(map instanceof Map, "expected a Map");
  return Object.fromEntries([...map].map(([key, value]) => [key, text(value) as string]));
}

async function take(storage: Storage, lease?: number): Promise<string | null> {
  const delivery = await storage.dequeue({ lease });
  return delivery === null ? null : text(delivery.data);
}

async function leased(storage: Storage, lease: number): Promise<{ data: string; receipt: string }> {
  const delivery = await storage.dequeue({ lease });
  assert.ok(delivery, "expected a message");
  assert.equal(typeof delivery.receipt, "string");
  return { data: text(delivery.data) as string, receipt: delivery.receipt as string };
}

function wait(seconds: number): Promise<void> {
  return delay(seconds * 1000);
}

let counter = 0;

function uniqueName(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  counter += 1;
  return `${slug}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Registers the conformance tests as top-level test() calls named `${label}: <sentence>`.
 * `factory(name)` returns a client of the queue `name`; called twice with the same name it returns two
 * clients of the same queue (the memory factory returns the same instance). The suite picks unique
 * names, and closes every client it made (close() is idempotent).
 *
 * @param label Prefix of every test name, e.g. `"sqlite"`.
 * @param factory Makes a client of a queue.
 * @param options What the backend supports.
 *
 * @example
 * ```ts ignore
 * import { storageSuite } from "./_suite.ts";
 * import { MemoryStorage } from "../../storage/memory.ts";
 * const queues = new Map<string, MemoryStorage>();
 * storageSuite("memory", (name) => {
 *   if (!queues.has(name)) queues.set(name, new MemoryStorage(name));
 *   return queues.get(name)!;
 * });
 * ```
 */
export function storageSuite(
  label: string,
  factory: (name: string) => Storage | Promise<Storage>,
  options: SuiteOptions = {},
): void {
  const { priority = true, expiring = false } = options;

  function check(sentence: string, body: (context: Context) => Promise<void>): void {
    test(`${label}: ${sentence}`, async () => {
      const clients: Storage[] = [];
      const context: Context = {
        name: uniqueName(label),
        async open(name = context.name): Promise<Storage> {
          const storage = await factory(name);
          clients.push(storage);
          return storage;
        },
        newName: () => uniqueName(label),
      };
      try {
        await body(context);
      } finally {
        for (const client of clients) await client.close();
      }
    });
  }

  check("a new queue is empty everywhere", async ({ name, open }) => {
    const storage = await open();
    assert.equal(storage.name, name);
    assert.equal(storage.priority, priority);
    assert.equal(typeof storage.blocking, "boolean");
    assert.equal(await storage.queueSize(), 0);
    assert.deepEqual(await storage.enqueuedItems(), []);
    assert.equal(await storage.dequeue(), null);
    assert.equal(await storage.scheduleSize(), 0);
    assert.deepEqual(await storage.scheduledItems(), []);
    assert.deepEqual(await storage.readSchedule(Date.now() + 3600_000), []);
    assert.equal(await storage.resultStoreSize(), 0);
    assert.deepEqual(entries(await storage.resultItems()), {});
    assert.deepEqual(await storage.deadLetters(), []);
    assert.equal(await storage.flushDeadLetters(), 0);
  });

  check("the queue is FIFO (huey's test_queue_methods)", async ({ open }) => {
    const storage = await open();
    for (const item of ["item-0", "item-1", "item-2"]) await storage.enqueue(bytes(item));
    const first = await storage.dequeue();
    assert.ok(first);
    assert.equal(text(first.data), "item-0");
    assert.equal(first.receipt, null);
    assert.equal(await storage.queueSize(), 2);
    assert.deepEqual(texts(await storage.enqueuedItems()), ["item-1", "item-2"]);
    assert.equal(await take(storage), "item-1");
    assert.equal(await take(storage), "item-2");
    assert.equal(await take(storage), null);
    await storage.enqueue(bytes("item-3"));
    await storage.flushQueue();
    assert.equal(await storage.queueSize(), 0);
    assert.equal(await take(storage), null);
  });

  check("identical messages stay two messages", async ({ open }) => {
    const storage = await open();
    await storage.enqueue(bytes("same"));
    await storage.enqueue(bytes("same"));
    await storage.addToSchedule(bytes("same"), 1000);
    await storage.addToSchedule(bytes("same"), 1000);
    assert.equal(await storage.queueSize(), 2);
    assert.equal(await storage.scheduleSize(), 2);
    assert.deepEqual(texts(await storage.readSchedule(1000)), ["same", "same"]);
  });

  check("enqueueMany adds messages in order", async ({ open }) => {
    const storage = await open();
    await storage.enqueueMany([]);
    await storage.enqueue(bytes("m-0"));
    await storage.enqueueMany(["m-1", "m-2", "m-3"].map((item) => ({ data: bytes(item) })));
    assert.equal(await storage.queueSize(), 4);
    assert.deepEqual(texts(await storage.enqueuedItems()), ["m-0", "m-1", "m-2", "m-3"]);
    for (const item of ["m-0", "m-1", "m-2", "m-3", null]) assert.equal(await take(storage), item);
  });

  if (priority) {
    check(
      "higher priorities come first, FIFO within one (huey's test_priority)",
      async ({ open }) => {
        const storage = await open();
        const priorities = [1, undefined, 5, undefined, 3, undefined, 9, undefined, 7, 0];
        for (const [index, value] of priorities.entries()) {
          await storage.enqueue(
            bytes(value === undefined ? `i${index}` : `i${index}-${value}`),
            value,
          );
        }
        const expected = ["i6-9", "i8-7", "i2-5", "i4-3", "i0-1", "i1", "i3", "i5", "i7", "i9-0"];
        assert.deepEqual(texts(await storage.enqueuedItems()), expected);
        assert.deepEqual(texts(await storage.enqueuedItems(3)), expected.slice(0, 3));
        for (const item of expected) assert.equal(await take(storage), item);
        assert.equal(await take(storage), null);
      },
    );

    check("negative priorities come after priority 0", async ({ open }) => {
      const storage = await open();
      await storage.enqueueMany([
        { data: bytes("minus-1"), priority: -1 },
        { data: bytes("zero"), priority: 0 },
        { data: bytes("none") },
        { data: bytes("minus-5"), priority: -5 },
        { data: bytes("plus-1"), priority: 1 },
      ]);
      for (const item of ["plus-1", "zero", "none", "minus-1", "minus-5"]) {
        assert.equal(await take(storage), item);
      }
    });
  } else {
    check("a non-zero priority rejects with ConfigurationError", async ({ open }) => {
      const storage = await open();
      await assert.rejects(storage.enqueue(bytes("high"), 5), ConfigurationError);
      await assert.rejects(
        storage.enqueueMany([{ data: bytes("high"), priority: 1 }]),
        ConfigurationError,
      );
      assert.equal(await storage.queueSize(), 0);
      await storage.enqueue(bytes("zero"), 0);
      await storage.enqueueMany([{ data: bytes("none") }, { data: bytes("zero"), priority: 0 }]);
      assert.equal(await storage.queueSize(), 3);
    });
  }

  check(
    "readSchedule takes due items in eta order (huey's test_schedule_methods)",
    async ({ open }) => {
      const storage = await open();
      const now = Date.now();
      await storage.addToSchedule(bytes("p1"), now + 1000);
      await storage.addToSchedule(bytes("p0"), now);
      await storage.addToSchedule(bytes("n1"), now - 1000);
      await storage.addToSchedule(bytes("p2"), now + 2000);
      assert.equal(await storage.scheduleSize(), 4);
      assert.deepEqual(texts(await storage.readSchedule(now)), ["n1", "p0"]);
      assert.deepEqual(texts(await storage.scheduledItems()), ["p1", "p2"]);
      assert.equal(await storage.scheduleSize(), 2);
      assert.deepEqual(texts(await storage.readSchedule(now + 2000)), ["p1", "p2"]);
      assert.deepEqual(texts(await storage.readSchedule(now + 2000)), []);
      assert.equal(await storage.scheduleSize(), 0);
      await storage.addToSchedule(bytes("later"), now + 5000);
      await storage.flushSchedule();
      assert.equal(await storage.scheduleSize(), 0);
      assert.deepEqual(texts(await storage.readSchedule(now + 10_000)), []);
    },
  );

  check(
    "the key/value store reads, pops and deletes (huey's test_result_store_methods)",
    async ({ open }) => {
      const storage = await open();
      await storage.putData("k1", bytes("v1"));
      await storage.putData("k2", bytes("v2"), { isResult: true });
      assert.equal(text(await storage.peekData("k1")), "v1");
      assert.equal(text(await storage.peekData("k2")), "v2");
      assert.equal(await storage.peekData("k3"), null);
      assert.equal(await storage.resultStoreSize(), 2);

      await storage.putData("k1", bytes("v1-x"));
      assert.equal(text(await storage.peekData("k1")), "v1-x");
      assert.equal(text(await storage.popData("k1")), "v1-x");
      if (expiring) {
        assert.equal(text(await storage.popData("k1")), "v1-x");
        assert.equal(await storage.deleteData("k1"), true);
      }
      assert.equal(await storage.popData("k1"), null);
      assert.equal(await storage.hasDataForKey("k1"), false);
      assert.equal(await storage.hasDataForKey("k2"), true);

      assert.equal(await storage.putIfEmpty("k1", bytes("v1-y")), true);
      assert.equal(await storage.putIfEmpty("k1", bytes("v1-z")), false);
      assert.equal(text(await storage.peekData("k1")), "v1-y");
      assert.deepEqual(entries(await storage.resultItems()), { k1: "v1-y", k2: "v2" });

      assert.equal(await storage.deleteData("k2"), true);
      assert.equal(await storage.deleteData("k2"), false);
      assert.equal(await storage.resultStoreSize(), 1);
      await storage.flushResults();
      assert.equal(await storage.resultStoreSize(), 0);
      assert.deepEqual(entries(await storage.resultItems()), {});
    },
  );

  check("putIfEmpty lets exactly one of 20 racing clients win", async ({ open }) => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => open()));
    const won = await Promise.all(
      clients.map((client, index) => client.putIfEmpty("lock", bytes(`client-${index}`))),
    );
    assert.equal(won.filter((outcome) => outcome === true).length, 1);
    const winner = won.indexOf(true);
    assert.equal(text(await clients[0].peekData("lock")), `client-${winner}`);
  });

  check("a key put with a ttl reads as absent once the ttl has passed", async ({ open }) => {
    const storage = await open();
    assert.equal(await storage.putIfEmpty("lock", bytes("first"), { ttl: 0.2 }), true);
    assert.equal(await storage.putIfEmpty("lock", bytes("second"), { ttl: 0.2 }), false);
    assert.equal(await storage.hasDataForKey("lock"), true);
    assert.equal(await storage.putIfEmpty("kept", bytes("ttl"), { ttl: 0.2 }), true);
    await storage.putData("kept", bytes("replaced"));
    await wait(PAST_SHORT_LEASE);
    assert.equal(await storage.peekData("lock"), null);
    assert.equal(await storage.hasDataForKey("lock"), false);
    assert.equal(await storage.popData("lock"), null);
    assert.equal(await storage.resultStoreSize(), 1);
    assert.deepEqual(entries(await storage.resultItems()), { kept: "replaced" });
    assert.equal(await storage.putIfEmpty("lock", bytes("third")), true);
    assert.equal(text(await storage.peekData("lock")), "third");
  });

  check("limit returns exactly min(limit, size) items, oldest first", async ({ open }) => {
    const storage = await open();
    const now = Date.now();
    for (const index of [0, 1, 2, 3, 4]) {
      await storage.enqueue(bytes(`q${index}`));
      await storage.addToSchedule(bytes(`s${4 - index}`), now + 1000 * (5 - index));
      await storage.addDeadLetter(bytes(`d${index}`), `reason ${index}`);
    }
    assert.deepEqual(texts(await storage.enqueuedItems(3)), ["q0", "q1", "q2"]);
    assert.deepEqual(texts(await storage.enqueuedItems(10)), ["q0", "q1", "q2", "q3", "q4"]);
    assert.deepEqual(texts(await storage.enqueuedItems(0)), []);
    assert.deepEqual(texts(await storage.scheduledItems(2)), ["s0", "s1"]);
    assert.deepEqual(texts(await storage.scheduledItems(10)), ["s0", "s1", "s2", "s3", "s4"]);
    assert.deepEqual(texts(await storage.scheduledItems(0)), []);
    const letters = await storage.deadLetters(2);
    assert.deepEqual(letters.map((letter) => text(letter.data)), ["d0", "d1"]);
    assert.equal((await storage.deadLetters(10)).length, 5);
    assert.deepEqual(await storage.deadLetters(0), []);
  });

  check(
    "flushAll empties the queue, schedule, key/value store and dead letters",
    async ({ open }) => {
      const storage = await open();
      await storage.enqueue(bytes("queued"));
      await storage.enqueue(bytes("leased"));
      await storage.addToSchedule(bytes("scheduled"), Date.now() + 60_000);
      await storage.putData("key", bytes("value"));
      await storage.addDeadLetter(bytes("dead"), "reason");
      const { receipt } = await leased(storage, 30);
      await storage.flushAll();
      await storage.release(receipt);
      assert.equal(await storage.queueSize(), 0);
      assert.equal(await storage.scheduleSize(), 0);
      assert.equal(await storage.resultStoreSize(), 0);
      assert.deepEqual(await storage.deadLetters(), []);
      assert.equal(await take(storage), null);
    },
  );

  check("flushQueue removes leased messages too", async ({ open }) => {
    const storage = await open();
    await storage.enqueue(bytes("leased"));
    await storage.enqueue(bytes("waiting"));
    const { receipt } = await leased(storage, 30);
    await storage.flushQueue();
    await storage.release(receipt);
    await storage.ack(receipt);
    assert.equal(await storage.queueSize(), 0);
    assert.equal(await take(storage), null);
  });

  check("empty and binary payloads round-trip byte for byte", async ({ open }) => {
    const storage = await open();
    const binary = Uint8Array.from({ length: 256 }, (_, index) => index);
    for (const payload of [new Uint8Array(0), binary]) {
      await storage.enqueue(payload);
      const delivery = await storage.dequeue();
      assert.ok(delivery?.data instanceof Uint8Array);
      assert.deepEqual(Array.from(delivery.data), Array.from(payload));
      await storage.addToSchedule(payload, 1000);
      const [scheduled] = await storage.readSchedule(1000);
      assert.deepEqual(Array.from(scheduled), Array.from(payload));
      await storage.putData("key", payload);
      assert.equal(await storage.hasDataForKey("key"), true);
      assert.deepEqual(Array.from((await storage.peekData("key"))!), Array.from(payload));
      const id = await storage.addDeadLetter(payload, "bytes");
      assert.deepEqual(Array.from((await storage.takeDeadLetter(id))!), Array.from(payload));
    }
  });

  check("a leased message is hidden from every client until acked for good", async ({ open }) => {
    const first = await open();
    const second = await open();
    await first.enqueue(bytes("job"));
    const delivery = await leased(first, 0.2);
    assert.equal(delivery.data, "job");
    assert.equal(await second.dequeue({ lease: 0.2 }), null);
    assert.equal(await second.queueSize(), 0);
    assert.deepEqual(await second.enqueuedItems(), []);
    await first.ack(delivery.receipt);
    await wait(PAST_SHORT_LEASE);
    assert.equal(await second.queueSize(), 0);
    assert.equal(await second.dequeue({ lease: 0.2 }), null);
  });

  check("release puts a leased message back at once", async ({ open }) => {
    const storage = await open();
    await storage.enqueue(bytes("job"));
    const first = await leased(storage, 30);
    await storage.release(first.receipt);
    assert.equal(await storage.queueSize(), 1);
    assert.deepEqual(texts(await storage.enqueuedItems()), ["job"]);
    const second = await leased(storage, 30);
    assert.equal(second.data, "job");
    assert.notEqual(second.receipt, first.receipt);
    await storage.release(first.receipt);
    assert.equal(await storage.queueSize(), 0);
    await storage.ack(second.receipt);
  });

  check("an expired lease delivers the message again with its priority", async ({ open }) => {
    const storage = await open();
    await storage.enqueue(bytes("urgent"), priority ? 5 : undefined);
    await storage.enqueue(bytes("normal"));
    const first = await leased(storage, 0.2);
    assert.equal(first.data, "urgent");
    await wait(PAST_SHORT_LEASE);
    assert.equal(await storage.queueSize(), 2);
    assert.deepEqual(texts(await storage.enqueuedItems()).sort(), ["normal", "urgent"]);
    await storage.enqueue(bytes("later"));
    if (priority) assert.equal(await take(storage), "urgent");
    else {
      const rest = [await take(storage), await take(storage), await take(storage)];
      assert.deepEqual(rest.sort(), ["later", "normal", "urgent"]);
    }
  });

  check("an old receipt does nothing once the message is delivered again", async ({ open }) => {
    const storage = await open();
    await storage.enqueue(bytes("job"));
    const old = await leased(storage, 0.2);
    await wait(PAST_SHORT_LEASE);
    const current = await leased(storage, 0.2);
    assert.equal(current.data, "job");
    assert.notEqual(current.receipt, old.receipt);
    await storage.ack(old.receipt);
    await storage.renew([old.receipt], 30);
    await storage.release(old.receipt);
    assert.equal(await storage.queueSize(), 0);
    await wait(PAST_SHORT_LEASE);
    const last = await leased(storage, 30);
    assert.equal(last.data, "job");
    await storage.ack(last.receipt);
  });

  check("renew extends a lease", async ({ open }) => {
    const first = await open();
    const second = await open();
    await first.enqueue(bytes("job"));
    const delivery = await leased(first, 0.2);
    await first.renew([], 2);
    await first.renew(["unknown-receipt", delivery.receipt], 2);
    await wait(PAST_SHORT_LEASE);
    assert.equal(await second.dequeue({ lease: 0.2 }), null);
    assert.equal(await second.queueSize(), 0);
    await first.ack(delivery.receipt);
  });

  check("dequeue without a lease deletes the message", async ({ open }) => {
    const storage = await open();
    await storage.enqueueMany([{ data: bytes("a") }, { data: bytes("b") }]);
    assert.equal((await storage.dequeue())?.receipt, null);
    assert.equal((await storage.dequeue({ lease: 0 }))?.receipt, null);
    await storage.ack("unknown-receipt");
    await storage.release("unknown-receipt");
    assert.equal(await storage.queueSize(), 0);
    assert.equal(await storage.dequeue(), null);
  });

  check("dead letters are listed oldest first, taken and flushed", async ({ open }) => {
    const storage = await open();
    const before = Date.now();
    const a = await storage.addDeadLetter(bytes("a"), 'unknown task "a"');
    const b = await storage.addDeadLetter(bytes("b"), "bad message");
    const after = Date.now();
    assert.equal(typeof a, "string");
    assert.notEqual(a, b);
    const letters = await storage.deadLetters();
    assert.deepEqual(
      letters.map(({ id, reason, data }) => ({ id, reason, data: text(data) })),
      [{ id: a, reason: 'unknown task "a"', data: "a" }, {
        id: b,
        reason: "bad message",
        data: "b",
      }],
    );
    for (const { at } of letters) {
      assert.ok(at instanceof Date);
      assert.ok(at.getTime() >= before - 1000 && at.getTime() <= after + 1000, String(at));
    }
    assert.equal(await storage.queueSize(), 0);
    assert.equal(text(await storage.takeDeadLetter(a)), "a");
    assert.equal(await storage.takeDeadLetter(a), null);
    assert.equal(await storage.takeDeadLetter("unknown-id"), null);
    assert.deepEqual((await storage.deadLetters()).map((letter) => letter.id), [b]);
    await storage.addDeadLetter(bytes("c"), "bad message");
    assert.equal(await storage.flushDeadLetters(), 2);
    assert.deepEqual(await storage.deadLetters(), []);
    assert.equal(await storage.flushDeadLetters(), 0);
  });

  check("separate queue names never see each other's data", async ({ open, newName }) => {
    const mine = await open();
    const other = await open(newName());
    await mine.enqueue(bytes("job"));
    await mine.addToSchedule(bytes("scheduled"), 1000);
    await mine.putData("key", bytes("value"));
    const id = await mine.addDeadLetter(bytes("dead"), "reason");
    assert.equal(await other.queueSize(), 0);
    assert.equal(await other.dequeue(), null);
    assert.equal(await other.scheduleSize(), 0);
    assert.deepEqual(await other.readSchedule(2000), []);
    assert.equal(await other.peekData("key"), null);
    assert.equal(await other.putIfEmpty("key", bytes("other")), true);
    assert.equal(await other.resultStoreSize(), 1);
    assert.deepEqual(await other.deadLetters(), []);
    assert.equal(await other.takeDeadLetter(id), null);
    await other.flushAll();
    assert.equal(await mine.queueSize(), 1);
    assert.equal(await mine.scheduleSize(), 1);
    assert.equal(text(await mine.peekData("key")), "value");
    assert.equal((await mine.deadLetters()).length, 1);
  });

  check("close is idempotent and later operations reject", async ({ open }) => {
    const storage = await open();
    await storage.close();
    await storage.close();
    await assert.rejects(storage.queueSize());
    await assert.rejects(storage.enqueue(bytes("late")));
    await assert.rejects(storage.peekData("key"));
  });
}
