/**
 * The conformance checks of the storage steps that must be atomic for the
 * scheduler and for locks: `moveDue` (due scheduled messages into the queue,
 * with their priorities), `enqueueOnce` (the periodic tasks of a minute,
 * with a marker that is no key) and `deleteIfEquals` (the release of an
 * owned lock).
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  bytes,
  type Check,
  drain,
  entries,
  type Features,
  PAST_SHORT_LEASE,
  text,
  texts,
  wait,
} from "./_suite_helpers.ts";

/**
 * Registers the checks of `moveDue`, `enqueueOnce` and `deleteIfEquals`.
 *
 * @param check Registers one check.
 * @param features What the backend supports.
 */
export function moveChecks(check: Check, features: Features): void {
  const { priority } = features;

  check(
    "moveDue moves due items into the queue, soonest first, at most limit per call",
    async ({ open }) => {
      const storage = await open();
      const now = Date.now();
      await storage.addToSchedule(bytes("later"), now + 60_000);
      for (const index of [3, 1, 4, 2, 0]) {
        await storage.addToSchedule(bytes(`due${index}`), now - 1000 * (5 - index));
      }
      await storage.enqueue(bytes("waiting"));
      assert.deepEqual(texts(await storage.moveDue(now, 2)), ["due0", "due1"]);
      assert.equal(await storage.scheduleSize(), 4);
      assert.deepEqual(texts(await storage.moveDue(now, 500)), ["due2", "due3", "due4"]);
      assert.deepEqual(await storage.moveDue(now, 500), []);
      assert.deepEqual(texts(await storage.scheduledItems()), ["later"]);
      assert.equal(await storage.queueSize(), 6);
      assert.deepEqual(await drain(storage), ["waiting", "due0", "due1", "due2", "due3", "due4"]);
      await assert.rejects(storage.moveDue(now, 0));
      await assert.rejects(storage.moveDue(now, 1.5));
    },
  );

  check(
    "moveDue enqueues each message with the priority it was scheduled with",
    async ({ open }) => {
      const storage = await open();
      const now = Date.now();
      if (!priority) {
        await storage.addToSchedule(bytes("plain"), now - 1000, 0);
        await storage.addToSchedule(bytes("also plain"), now - 1000);
        assert.deepEqual(texts(await storage.moveDue(now, 10)), ["plain", "also plain"]);
        assert.deepEqual(await drain(storage), ["plain", "also plain"]);
        return;
      }
      await storage.enqueue(bytes("waiting at 1"), 1);
      await storage.addToSchedule(bytes("low"), now - 3000, -5);
      await storage.addToSchedule(bytes("none"), now - 2000);
      await storage.addToSchedule(bytes("high"), now - 1000, 10);
      await storage.addToSchedule(bytes("fraction"), now - 500, 2.5);
      assert.deepEqual(texts(await storage.moveDue(now, 10)), ["low", "none", "high", "fraction"]);
      assert.deepEqual(await drain(storage), ["high", "fraction", "waiting at 1", "none", "low"]);
    },
  );

  check("moveDue on racing clients moves each due item exactly once", async ({ open }) => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => open()));
    const now = Date.now();
    const total = 200;
    for (let index = 0; index < total; index++) {
      await clients[0].addToSchedule(bytes(`m${index}`), now - total + index);
    }
    const moved = await Promise.all(clients.map(async (client) => {
      const mine: string[] = [];
      for (let batch = await client.moveDue(now, 7); batch.length > 0;) {
        mine.push(...texts(batch));
        batch = await client.moveDue(now, 7);
      }
      return mine;
    }));
    const all = moved.flat();
    assert.equal(all.length, total, "each item was reported moved once");
    assert.equal(new Set(all).size, total);
    assert.equal(await clients[0].scheduleSize(), 0);
    const queued = await drain(clients[0]);
    assert.equal(queued.length, total, "each item is in the queue once");
    assert.equal(new Set(queued).size, total);
  });

  check(
    "enqueueOnce enqueues once per marker until its ttl passes; markers are no keys",
    async ({ open }) => {
      const storage = await open();
      const items = [{ data: bytes("a") }, { data: bytes("b"), priority: 0 }];
      assert.equal(await storage.enqueueOnce("minute-1", items, { ttl: 0.2 }), true);
      assert.equal(await storage.enqueueOnce("minute-1", items, { ttl: 0.2 }), false);
      assert.equal(
        await storage.enqueueOnce("minute-2", [{ data: bytes("c") }], { ttl: 60 }),
        true,
      );
      assert.deepEqual(texts(await storage.enqueuedItems()), ["a", "b", "c"]);
      assert.equal(await storage.resultStoreSize(), 0);
      assert.deepEqual(entries(await storage.resultItems()), {});
      assert.equal(await storage.peekData("minute-1"), null);
      assert.equal(await storage.hasDataForKey("minute-2"), false);
      assert.equal(await storage.putIfEmpty("minute-2", bytes("a key of that name")), true);
      await wait(PAST_SHORT_LEASE);
      assert.equal(
        await storage.enqueueOnce("minute-1", [{ data: bytes("d") }], { ttl: 60 }),
        true,
      );
      assert.equal(
        await storage.enqueueOnce("minute-2", [{ data: bytes("e") }], { ttl: 60 }),
        false,
      );
      assert.deepEqual(await drain(storage), ["a", "b", "c", "d"]);
      assert.deepEqual(entries(await storage.resultItems()), { "minute-2": "a key of that name" });
      await storage.flushAll();
      assert.equal(
        await storage.enqueueOnce("minute-2", [{ data: bytes("f") }], { ttl: 60 }),
        true,
      );
      assert.deepEqual(await drain(storage), ["f"]);
    },
  );

  check("enqueueOnce lets exactly one of 10 racing clients enqueue", async ({ open }) => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => open()));
    const won = await Promise.all(
      clients.map((client, index) =>
        client.enqueueOnce("minute", [{ data: bytes(`from ${index}`) }, { data: bytes("x") }], {
          ttl: 60,
        })
      ),
    );
    assert.equal(won.filter(Boolean).length, 1);
    assert.deepEqual(await drain(clients[0]), [`from ${won.indexOf(true)}`, "x"]);
  });

  check("enqueueOnce keeps each message's priority", async ({ open }) => {
    const storage = await open();
    if (!priority) {
      await assert.rejects(storage.enqueueOnce("m", [{ data: bytes("p"), priority: 3 }], {
        ttl: 60,
      }));
      assert.equal(await storage.queueSize(), 0, "nothing enqueued");
      assert.equal(await storage.enqueueOnce("m", [{ data: bytes("p") }], { ttl: 60 }), true);
      return;
    }
    await storage.enqueue(bytes("waiting"));
    const items = [{ data: bytes("low"), priority: -1 }, { data: bytes("high"), priority: 2 }];
    assert.equal(await storage.enqueueOnce("m", items, { ttl: 60 }), true);
    assert.deepEqual(await drain(storage), ["high", "waiting", "low"]);
  });

  check("deleteIfEquals removes a key only while it holds that value", async ({ open }) => {
    const [holder, other] = await Promise.all([open(), open()]);
    assert.equal(await holder.putIfEmpty("lock", bytes("token-a"), { ttl: 0.2 }), true);
    assert.equal(await other.deleteIfEquals("lock", bytes("token-b")), false);
    assert.equal(await other.deleteIfEquals("lock", bytes("token-")), false);
    assert.equal(text(await holder.peekData("lock")), "token-a");
    await wait(PAST_SHORT_LEASE);
    assert.equal(await other.putIfEmpty("lock", bytes("token-b"), { ttl: 60 }), true);
    assert.equal(await holder.deleteIfEquals("lock", bytes("token-a")), false, "expired");
    assert.equal(text(await holder.peekData("lock")), "token-b", "the new holder keeps it");
    assert.equal(await other.deleteIfEquals("lock", bytes("token-b")), true);
    assert.equal(await other.deleteIfEquals("lock", bytes("token-b")), false);
    assert.equal(await holder.hasDataForKey("lock"), false);
    await holder.putData("plain", bytes("v"));
    assert.equal(await holder.deleteIfEquals("plain", bytes("v")), true);
    assert.equal(await holder.deleteIfEquals("missing", bytes("v")), false);
    assert.equal(await holder.resultStoreSize(), 0);
  });
}
