/**
 * The conformance checks of the queue and its leases: order (FIFO,
 * priorities), batches, and acknowledged delivery (hidden while leased,
 * ack, release, renew, expiry).
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConfigurationError } from "../../errors.ts";
import {
  bytes,
  type Check,
  type Features,
  leased,
  PAST_SHORT_LEASE,
  take,
  text,
  texts,
  wait,
} from "./_suite_helpers.ts";

/**
 * Registers the checks of the queue and its leases.
 *
 * @param check Registers one check.
 * @param features What the backend supports.
 */
export function queueChecks(check: Check, features: Features): void {
  const { priority, keepsPlace } = features;

  check(
    "bad arguments reject with ConfigurationError naming the option and the value",
    async ({ open }) => {
      const storage = await open();
      const bad = (message: string) => ({ name: "ConfigurationError", message });
      const finite = "a finite number";
      await assert.rejects(
        storage.dequeue({ lease: -1 }),
        bad(`Option 'lease' must be ${finite} >= 0, got -1`),
      );
      await assert.rejects(
        storage.renew([], Number.NaN),
        bad(`Option 'lease' must be ${finite} >= 0, got NaN`),
      );
      await assert.rejects(
        storage.enqueue(bytes("x"), Number.NaN),
        bad(`Option 'priority' must be ${finite}, got NaN`),
      );
      await assert.rejects(
        storage.enqueuedItems(-1),
        bad(`Option 'limit' must be ${finite} >= 0, got -1`),
      );
      await assert.rejects(
        storage.addToSchedule(bytes("x"), Infinity),
        bad(`Option 'eta' must be ${finite}, got Infinity`),
      );
      await assert.rejects(
        storage.moveDue(Date.now(), 1.5),
        bad("Option 'limit' must be an integer >= 1, got 1.5"),
      );
      await assert.rejects(
        storage.putIfEmpty("k", bytes("x"), { ttl: 0 }),
        bad(`Option 'ttl' must be ${finite} > 0, got 0`),
      );
      assert.equal(await storage.queueSize(), 0);
    },
  );

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

  check(
    "dequeue with wait: false resolves to null on an empty queue, even when blocking",
    async ({ open }) => {
      const storage = await open();
      const producer = await open();
      // Both connected first: the dequeue below must not spend the 50 ms opening a connection
      // (it did once on a busy machine, and then found the message enqueued meanwhile).
      assert.equal(await storage.queueSize(), 0);
      assert.equal(await producer.queueSize(), 0);
      const taking = storage.dequeue({ lease: 30, wait: false });
      await wait(0.05);
      await producer.enqueue(bytes("later"));
      assert.equal(await taking, null, "it did not wait for the message enqueued later");
      assert.equal(await storage.queueSize(), 1);
      assert.equal(text((await storage.dequeue({ lease: 30, wait: false }))!.data), "later");
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

  check(
    keepsPlace
      ? "a message back from an expired lease or a release keeps its FIFO place"
      : "a message back from an expired lease or a release waits again",
    async ({ open }) => {
      const storage = await open();
      await storage.enqueueMany(["a", "b", "c"].map((item) => ({ data: bytes(item) })));
      const a = await leased(storage, 0.2);
      const b = await leased(storage, 30);
      assert.deepEqual([a.data, b.data], ["a", "b"]);
      assert.deepEqual(texts(await storage.enqueuedItems()), ["c"]);
      await wait(PAST_SHORT_LEASE);
      const back = texts(await storage.enqueuedItems());
      await storage.release(b.receipt);
      await storage.ack(a.receipt);
      assert.equal(await storage.queueSize(), 3);
      const waiting = texts(await storage.enqueuedItems());
      const order = (items: string[]): string[] => keepsPlace ? items : [...items].sort();
      assert.deepEqual(order(back), ["a", "c"]);
      assert.deepEqual(order(waiting), ["a", "b", "c"]);
      assert.deepEqual([await take(storage), await take(storage), await take(storage)], waiting);
    },
  );

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
}
