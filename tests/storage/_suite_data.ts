/**
 * The conformance checks of what a storage keeps besides the queue: the
 * schedule, the key/value store (expiring keys, atomic `putIfEmpty`) and the
 * dead letters, with their limits and payloads.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  bytes,
  type Check,
  entries,
  type Features,
  PAST_SHORT_LEASE,
  text,
  texts,
  wait,
} from "./_suite_helpers.ts";

/**
 * Registers the checks of the schedule, the key/value store and the dead letters.
 *
 * @param check Registers one check.
 * @param features What the backend supports.
 */
export function dataChecks(check: Check, features: Features): void {
  const { expiring } = features;

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

  check(
    "peekMany, where a storage has it, reads each key like peekData, in order",
    async ({ open }) => {
      const storage = await open();
      if (!storage.peekMany) return;
      await storage.putData("a", bytes("1"));
      await storage.putData("c", bytes("3"));
      assert.deepEqual((await storage.peekMany(["c", "b", "a", "c"])).map((v) => v && text(v)), [
        "3",
        null,
        "1",
        "3",
      ]);
      assert.deepEqual(await storage.peekMany([]), []);
      const many = Array.from({ length: 2500 }, (_, n) => (n % 2 ? "a" : `missing-${n}`));
      const values = await storage.peekMany(many);
      assert.equal(values.length, 2500);
      assert.deepEqual(values.slice(0, 3).map((v) => v && text(v)), [null, "1", null]);
      assert.equal(await storage.hasDataForKey("a"), true, "nothing is removed");
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

  check("dead letters are listed oldest first, counted, read, taken, flushed", async ({ open }) => {
    const storage = await open();
    assert.equal(await storage.deadLetterCount(), 0);
    const before = Date.now();
    const a = await storage.addDeadLetter(bytes("a"), 'unknown task "a"');
    const b = await storage.addDeadLetter(bytes("b"), "bad message");
    const after = Date.now();
    assert.equal(typeof a, "string");
    assert.notEqual(a, b);
    assert.equal(await storage.deadLetterCount(), 2);
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
    const peeked = await storage.peekDeadLetter(b);
    assert.deepEqual({ ...peeked, data: text(peeked!.data) }, { ...letters[1], data: "b" });
    assert.equal(await storage.peekDeadLetter(a), null);
    assert.equal(await storage.peekDeadLetter("unknown-id"), null);
    assert.equal(await storage.takeDeadLetter(a), null);
    assert.equal(await storage.takeDeadLetter("unknown-id"), null);
    assert.deepEqual((await storage.deadLetters()).map((letter) => letter.id), [b]);
    assert.equal(await storage.deadLetterCount(), 1);
    await storage.addDeadLetter(bytes("c"), "bad message");
    assert.equal(await storage.deadLetterCount(), 2);
    assert.equal(await storage.flushDeadLetters(), 2);
    assert.deepEqual(await storage.deadLetters(), []);
    assert.equal(await storage.deadLetterCount(), 0);
    assert.equal(await storage.flushDeadLetters(), 0);
  });
}
